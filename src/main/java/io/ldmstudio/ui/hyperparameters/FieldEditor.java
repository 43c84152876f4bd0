package io.ldmstudio.ui.hyperparameters;

import io.ldmstudio.config.ConfigSchema;
import javafx.beans.binding.Bindings;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Control;
import javafx.scene.control.Label;
import javafx.scene.control.TextField;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.VBox;
import org.controlsfx.property.editor.PropertyEditor;

/**
 * The editor of one field: a text field, a choice box or a check box; beside it the preset's value when
 * changed; under it the field's message in red when the value can't be used.
 */
final class FieldEditor implements PropertyEditor<Object> {
    private final HyperparametersViewModel.Field field;
    private final VBox node;
    private final Control input;

    FieldEditor(HyperparametersViewModel.Field field) {
        this.field = field;
        if (field.key().kind() == ConfigSchema.Kind.BOOLEAN) {
            CheckBox box = new CheckBox();
            box.setSelected(Boolean.parseBoolean(field.textProperty().get()));
            box.selectedProperty().addListener((o, a, b) -> field.textProperty().set(Boolean.toString(b)));
            field.textProperty().addListener((o, a, b) -> box.setSelected(Boolean.parseBoolean(b)));
            input = box;
        } else if (field.choices().isPresent()) {
            ComboBox<String> combo = new ComboBox<>();
            combo.getItems().setAll(field.choices().get());
            combo.setValue(field.textProperty().get());
            combo.valueProperty().addListener((o, a, b) -> {
                if (b != null) {
                    field.textProperty().set(b);
                }
            });
            field.textProperty().addListener((o, a, b) -> combo.setValue(b));
            combo.setMaxWidth(Double.MAX_VALUE);
            input = combo;
        } else {
            TextField text = new TextField();
            text.textProperty().bindBidirectional(field.textProperty());
            text.setPromptText(field.key().kind() == ConfigSchema.Kind.STRING ? "(none)" : field.key().kind().description());
            text.setMaxWidth(Double.MAX_VALUE);
            input = text;
        }
        input.setId("field-" + field.path().replace('.', '-'));
        input.setTooltip(new Tooltip(field.path() + " — " + field.key().kind().description()
                + field.choices().map(c -> ": one of " + String.join(", ", c)).orElse("")));
        HBox.setHgrow(input, Priority.ALWAYS);

        Label was = new Label();
        was.getStyleClass().add("dim");
        was.textProperty().bind(Bindings.createStringBinding(
                () -> field.changedProperty().get() ? "preset: " + (field.presetText().isEmpty() ? "(none)"
                        : field.presetText()) : "", field.changedProperty()));
        was.visibleProperty().bind(field.changedProperty());
        was.managedProperty().bind(field.changedProperty());
        was.setMinWidth(Control.USE_PREF_SIZE);

        Label error = new Label();
        error.setId("error-" + field.path().replace('.', '-'));
        error.getStyleClass().add("field-error");
        error.setWrapText(true);
        error.textProperty().bind(field.errorProperty());
        error.visibleProperty().bind(field.errorProperty().isNotEmpty());
        error.managedProperty().bind(error.visibleProperty());

        field.changedProperty().addListener((o, a, b) -> mark(b));
        mark(field.changedProperty().get());
        field.errorProperty().addListener((o, a, b) -> invalid(!b.isEmpty()));
        invalid(!field.errorProperty().get().isEmpty());

        HBox row = new HBox(8, input, was);
        row.setAlignment(Pos.CENTER_LEFT);
        node = new VBox(2, row, error);
    }

    private void mark(boolean changed) {
        input.getStyleClass().remove("changed-from-preset");
        if (changed) {
            input.getStyleClass().add("changed-from-preset");
        }
    }

    private void invalid(boolean bad) {
        input.getStyleClass().remove("invalid");
        if (bad) {
            input.getStyleClass().add("invalid");
        }
    }

    @Override
    public Node getEditor() {
        return node;
    }

    @Override
    public Object getValue() {
        return field.textProperty().get();
    }

    @Override
    public void setValue(Object value) {
        field.textProperty().set(value == null ? "" : value.toString());
    }
}

package io.ldmstudio.ui.hyperparameters;

import io.ldmstudio.config.ConfigSchema;
import java.util.Optional;
import java.util.function.Function;
import javafx.beans.binding.Bindings;
import javafx.beans.value.ObservableBooleanValue;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.control.Button;
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
 * The editor of one field: a text field, a choice box or a check box (a path field with Browse…/File…
 * beside it); beside it the preset's value when changed; under it the field's message in red when the
 * value can't be used.
 */
final class FieldEditor implements PropertyEditor<Object> {
    private final HyperparametersViewModel.Field field;
    private final VBox node;
    private final Control input;

    /**
     * The buttons beside a path field: Browse… chooses a folder, File… (shown where the source also
     * takes one file) a file; {@code choose} opens the chooser (true: a folder) and gives the path
     * picked, or empty when cancelled.
     *
     * @param needed whether the field is read at all (else both buttons are disabled)
     * @param file   whether a single file is allowed too
     */
    record PathButtons(ObservableBooleanValue needed, ObservableBooleanValue file,
            Function<Boolean, Optional<String>> choose) {}

    FieldEditor(HyperparametersViewModel.Field field) {
        this(field, null);
    }

    FieldEditor(HyperparametersViewModel.Field field, PathButtons buttons) {
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

        Label unused = new Label();
        unused.setId("unused-" + field.path().replace('.', '-'));
        unused.getStyleClass().add("dim");
        unused.setWrapText(true);
        unused.textProperty().bind(field.unusedProperty());
        unused.visibleProperty().bind(field.unusedProperty().isNotEmpty());
        unused.managedProperty().bind(unused.visibleProperty());
        input.disableProperty().bind(field.unusedProperty().isNotEmpty());

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

        HBox row = new HBox(8, input);
        if (buttons != null) {
            String id = field.path().replace('.', '-');
            Button browse = new Button("Browse…");
            browse.setId("browse-" + id);
            browse.setTooltip(new Tooltip("Choose the folder " + field.path() + " names"));
            browse.disableProperty().bind(Bindings.createBooleanBinding(() -> !buttons.needed().get(), buttons.needed()));
            browse.setOnAction(e -> buttons.choose().apply(true).ifPresent(field.textProperty()::set));
            Button file = new Button("File…");
            file.setId("file-" + id);
            file.setTooltip(new Tooltip("Choose one file instead (a CIFAR-10 batch file, an IDX images file)"));
            file.visibleProperty().bind(Bindings.createBooleanBinding(() -> buttons.needed().get() && buttons.file().get(),
                    buttons.needed(), buttons.file()));
            file.managedProperty().bind(file.visibleProperty());
            file.setOnAction(e -> buttons.choose().apply(false).ifPresent(field.textProperty()::set));
            browse.setMinWidth(Control.USE_PREF_SIZE);
            file.setMinWidth(Control.USE_PREF_SIZE);
            row.getChildren().addAll(browse, file);
        }
        row.getChildren().add(was);
        row.setAlignment(Pos.CENTER_LEFT);
        node = new VBox(2, row, unused, error);
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

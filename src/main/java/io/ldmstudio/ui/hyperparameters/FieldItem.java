package io.ldmstudio.ui.hyperparameters;

import java.util.Optional;
import javafx.beans.value.ObservableValue;
import org.controlsfx.control.PropertySheet;

/** One config key as a {@link PropertySheet} row, backed by the view model's field. */
final class FieldItem implements PropertySheet.Item {
    private final HyperparametersViewModel.Field field;

    FieldItem(HyperparametersViewModel.Field field) {
        this.field = field;
    }

    HyperparametersViewModel.Field field() {
        return field;
    }

    @Override
    public Class<?> getType() {
        return String.class;
    }

    @Override
    public String getCategory() {
        return field.group();
    }

    @Override
    public String getName() {
        return field.key().name();
    }

    @Override
    public String getDescription() {
        String preset = field.presetText().isEmpty() ? "(empty)" : field.presetText();
        return field.path() + " — " + field.key().kind().description()
                + field.choices().map(c -> ": one of " + String.join(", ", c)).orElse("")
                + "\npreset value: " + preset;
    }

    @Override
    public Object getValue() {
        return field.textProperty().get();
    }

    @Override
    public void setValue(Object value) {
        field.textProperty().set(value == null ? "" : value.toString());
    }

    @Override
    public Optional<ObservableValue<? extends Object>> getObservableValue() {
        return Optional.of(field.textProperty());
    }
}

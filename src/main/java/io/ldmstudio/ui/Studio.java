package io.ldmstudio.ui;

import io.ldmstudio.config.Presets;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.RunInfo;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.service.ModelInfo;
import io.ldmstudio.service.Models;
import io.ldmstudio.ui.common.Background;
import io.ldmstudio.ui.common.UiErrors;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import javafx.application.Platform;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;

/**
 * What every pane shares: the workspace and its runs, the presets, the selected run, the training
 * jobs, the background executor, the device, and the way to tell the user something. Only touched on
 * the FX thread (except {@link #device()}, which may block until the engine is up).
 */
public final class Studio {
    private final Workspace workspace;
    private final Presets presets;
    private final Background background;
    private final TrainingHub training;
    private final CompletableFuture<Devices.DeviceInfo> device;
    private final ObservableList<RunInfo> runs = FXCollections.observableArrayList();
    private final ObjectProperty<RunInfo> selectedRun = new SimpleObjectProperty<>(this, "selectedRun");
    private final Models modelStore;
    private final ObservableList<ModelInfo> models = FXCollections.observableArrayList();
    private final ObjectProperty<ModelInfo> selectedModel = new SimpleObjectProperty<>(this, "selectedModel");
    private final javafx.beans.property.ReadOnlyStringWrapper selectedRunName =
            new javafx.beans.property.ReadOnlyStringWrapper(this, "selectedRunName");
    private final StringProperty status = new SimpleStringProperty(this, "status", "");
    private final ObjectProperty<Message> message = new SimpleObjectProperty<>(this, "message");
    private Consumer<String> navigator = id -> {};
    private Consumer<io.ldmstudio.config.RunConfig> configEditor = c -> {};
    private java.util.function.BiConsumer<io.ldmstudio.config.RunConfig, String> namedConfigEditor =
            (c, name) -> configEditor.accept(c);

    /** Something the user should read: an error names what is wrong. */
    public record Message(String text, boolean error) {}

    /**
     * @param deviceSpec {@code auto}, {@code cpu}, {@code cuda:N} or {@code mps}; the engine starts in
     *                   the background
     */
    public Studio(Workspace workspace, Presets presets, Background background, String deviceSpec) {
        this.workspace = workspace;
        this.presets = presets;
        this.background = background;
        this.modelStore = new Models(workspace);
        this.device = CompletableFuture.supplyAsync(() -> Devices.resolve(deviceSpec));
        this.training = new TrainingHub(workspace, this::device);
        training.watchStates(() -> Platform.runLater(this::refreshRuns));
        selectedRun.addListener((o, a, b) -> selectedRunName.set(b == null ? null : b.name()));
    }

    public Workspace workspace() {
        return workspace;
    }

    public Presets presets() {
        return presets;
    }

    public Background background() {
        return background;
    }

    public TrainingHub training() {
        return training;
    }

    /** The device training and sampling use; blocks until the engine has started. */
    public Devices.DeviceInfo device() {
        return device.join();
    }

    /** The device, when the engine has started. */
    public Optional<Devices.DeviceInfo> deviceIfReady() {
        return device.isDone() && !device.isCompletedExceptionally() ? Optional.of(device.join()) : Optional.empty();
    }

    public CompletableFuture<Devices.DeviceInfo> deviceFuture() {
        return device;
    }

    /** The workspace's runs, newest first; refreshed by {@link #refreshRuns()}. */
    public ObservableList<RunInfo> runs() {
        return runs;
    }

    /** The selected run as last listed: replaced at each refresh, with its newer step, loss and status. */
    public ObjectProperty<RunInfo> selectedRunProperty() {
        return selectedRun;
    }

    /**
     * The name of the selected run (null for none): changes only when another run is chosen, not when
     * a refresh brings the same run's newer figures — for panes that load something per run.
     */
    public javafx.beans.property.ReadOnlyStringProperty selectedRunNameProperty() {
        return selectedRunName.getReadOnlyProperty();
    }

    /** Opens the selected run, if any. */
    public Optional<Run> selectedRun() throws IOException {
        RunInfo info = selectedRun.get();
        return info == null ? Optional.empty() : Optional.of(workspace.open(info.name()));
    }

    /** Selects the run called {@code name} once the list has it. */
    public void select(String name) {
        runs.stream().filter(r -> r.name().equals(name)).findFirst().ifPresentOrElse(selectedRun::set,
                () -> refreshRuns(() -> runs.stream().filter(r -> r.name().equals(name)).findFirst()
                        .ifPresent(selectedRun::set)));
    }

    public void refreshRuns() {
        refreshRuns(() -> {});
    }

    /** Re-reads the run list (and the models) in the background, keeping the selection by name. */
    public void refreshRuns(Runnable then) {
        refreshModels(() -> {});
        background.submit("listing the runs in " + workspace.runsDir(), workspace::list, list -> {
            String keep = selectedRun.get() == null ? null : selectedRun.get().name();
            runs.setAll(list);
            if (keep != null) {
                list.stream().filter(r -> r.name().equals(keep)).findFirst().ifPresent(selectedRun::set);
            }
            then.run();
        }, this::error);
    }

    // ---- models: diffusers pipelines in the workspace's models/ folder or opened from elsewhere ----

    /** The models the studio knows (see {@link Models#list}), broken and missing ones included; refreshed with the runs. */
    public ObservableList<ModelInfo> models() {
        return models;
    }

    /** The model chosen in the sidebar's Models section, or null; for panes that follow it. */
    public ObjectProperty<ModelInfo> selectedModelProperty() {
        return selectedModel;
    }

    /** Where the models are listed and remembered. */
    public Models modelStore() {
        return modelStore;
    }

    public void refreshModels() {
        refreshModels(() -> {});
    }

    /** Re-reads the models in the background, keeping the selection by folder. */
    public void refreshModels(Runnable then) {
        background.submit("listing the models in " + workspace.modelsDir(), modelStore::list, list -> {
            Path keep = selectedModel.get() == null ? null : selectedModel.get().dir();
            models.setAll(list);
            if (keep != null) {
                selectedModel.set(list.stream().filter(m -> m.dir().equals(keep)).findFirst().orElse(null));
            }
            then.run();
        }, this::error);
    }

    /**
     * Opens the pipeline folder {@code dir} off the FX thread, remembers it (unless it is in {@code models/}),
     * lists and selects it; a folder that is not a pipeline shows the error naming its file.
     */
    public void openModel(Path dir) {
        background.submit("opening a model", () -> modelStore.open(dir), info -> refreshModels(() -> {
            models.stream().filter(m -> m.dir().equals(info.dir())).findFirst().ifPresent(selectedModel::set);
            inform("model " + info.name() + ": " + info.summary());
        }), this::error);
    }

    /** Forgets a model opened from elsewhere (its folder stays where it is). */
    public void forgetModel(ModelInfo model) {
        background.submit("forgetting the model " + model.dir(), () -> modelStore.forget(model.dir()), removed -> {
            if (selectedModel.get() != null && selectedModel.get().dir().equals(model.dir())) {
                selectedModel.set(null);
            }
            refreshModels();
        }, this::error);
    }

    public StringProperty statusProperty() {
        return status;
    }

    public ObjectProperty<Message> messageProperty() {
        return message;
    }

    /** Shows {@code text} in the window's message bar. */
    public void inform(String text) {
        message.set(new Message(text, false));
    }

    /** Shows what went wrong (one line naming it, no stack trace). */
    public void error(Throwable e) {
        message.set(new Message(UiErrors.message(e), true));
    }

    public void error(String text) {
        message.set(new Message(text, true));
    }

    /** Brings the pane with this id to the front. */
    public void navigate(String paneId) {
        navigator.accept(paneId);
    }

    void setNavigator(Consumer<String> navigator) {
        this.navigator = navigator;
    }

    /** Opens {@code config} in the Hyperparameters pane as a new run's draft. */
    public void editConfig(io.ldmstudio.config.RunConfig config) {
        configEditor.accept(config);
    }

    public void setConfigEditor(Consumer<io.ldmstudio.config.RunConfig> editor) {
        this.configEditor = editor;
    }

    /**
     * Opens {@code config} in the Hyperparameters pane as a new run's draft, proposing a run name that
     * starts with {@code runName} (made unique there).
     */
    public void editConfig(io.ldmstudio.config.RunConfig config, String runName) {
        namedConfigEditor.accept(config, runName);
    }

    public void setNamedConfigEditor(java.util.function.BiConsumer<io.ldmstudio.config.RunConfig, String> editor) {
        this.namedConfigEditor = editor;
    }

    /** The runs folder, for file choosers. */
    public Path runsDir() {
        return workspace.runsDir();
    }

    /** Names of the presets, for choosers. */
    public List<String> presetNames() {
        return presets.names(); // names only: no preset is read or resolved
    }
}

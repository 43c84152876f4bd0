package io.ldmstudio.ui.hyperparameters;

import io.ldmstudio.config.RunConfig;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.RunInfo;
import io.ldmstudio.data.Sources;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioPane;
import java.lang.management.ManagementFactory;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import javafx.beans.binding.Bindings;
import javafx.beans.property.StringProperty;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.TextField;
import javafx.scene.control.TextInputDialog;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import javafx.stage.DirectoryChooser;
import javafx.stage.FileChooser;
import org.controlsfx.control.PropertySheet;

/**
 * The whole run configuration in a property sheet, grouped; changed fields marked, every edit
 * validated at the field; load a preset, save as a preset; the figures that follow (latent shape,
 * U-Net size, memory) shown live; start a run from it.
 */
public final class HyperparametersPane implements StudioPane {
    private static final List<String> ORDER = List.of("Run", "Data", "Autoencoder", "Model", "Diffusion",
            "Optimisation", "Conditioning", "Sampling", "Logging", "Evaluation");

    private final Studio studio;
    private final HyperparametersViewModel vm;
    private final BorderPane root = new BorderPane();
    private final PropertySheet sheet = new PropertySheet();
    private final ComboBox<String> preset = new ComboBox<>();
    private final TextField runName = new TextField();
    private final Button start = new Button("Start training");
    private final Label problems = new Label();

    public HyperparametersPane(Studio studio) {
        this.studio = studio;
        this.vm = new HyperparametersViewModel(studio.presets());
        root.setId("hyperparameters-pane");
        root.setPadding(new Insets(10));

        sheet.setId("config-sheet");
        sheet.setMode(PropertySheet.Mode.CATEGORY);
        sheet.setModeSwitcherVisible(true);
        sheet.setSearchBoxVisible(true);
        sheet.setCategoryComparator(Comparator.comparingInt(c -> ORDER.indexOf(c) < 0 ? 99 : ORDER.indexOf(c)));
        // the sheet asks again on every search keystroke, mode switch and task change: one editor per
        // field, or each request would leave another set of listeners on the field for good
        Map<HyperparametersViewModel.Field, FieldEditor> editors = new java.util.HashMap<>();
        sheet.setPropertyEditorFactory(item -> editors.computeIfAbsent(((FieldItem) item).field(),
                f -> new FieldEditor(f, f.path().equals("data.path") ? dataPathButtons() : null)));
        Map<String, FieldItem> items = new LinkedHashMap<>();
        vm.fields().forEach(f -> items.put(f.path(), new FieldItem(f)));
        Runnable showRelevant = () -> sheet.getItems().setAll(vm.relevantFields().stream()
                .map(f -> items.get(f.path())).toList());
        showRelevant.run();
        vm.field("task").ifPresent(f -> f.textProperty().addListener((o, a, b) -> showRelevant.run()));

        root.setTop(toolbar());
        root.setCenter(sheet);
        root.setRight(derived());
        root.setBottom(startBar());

        studio.setConfigEditor(this::edit);
        studio.setNamedConfigEditor(this::edit);
        // runs train on the studio's device: a batch that can't fit in its memory is refused at the field
        studio.background().submit("reading the memory of the training device", () -> memoryOf(studio.device()),
                vm::setDeviceMemory, e -> { }); // the status bar says why the engine failed; no memory check then
        vm.validProperty().addListener((o, a, b) -> updateProblems());
        vm.fields().forEach(f -> f.errorProperty().addListener((o, a, b) -> updateProblems()));
        String first = studio.presetNames().contains("quickstart") ? "quickstart"
                : studio.presetNames().isEmpty() ? null : studio.presetNames().get(0);
        if (first != null) {
            loadPreset(first);
        }
    }

    /** Browse… / File… beside data.path, as the data source reads it (a folder, or for cifar10/idx one file too). */
    private FieldEditor.PathButtons dataPathButtons() {
        StringProperty source = vm.field("data.source").orElseThrow().textProperty();
        return new FieldEditor.PathButtons(
                Bindings.createBooleanBinding(() -> HyperparametersViewModel.readsPath(source.get()), source),
                Bindings.createBooleanBinding(() -> HyperparametersViewModel.takesFile(source.get()), source),
                folder -> choosePath(source.get(), folder));
    }

    private Optional<String> choosePath(String source, boolean folder) {
        String now = vm.field("data.path").map(f -> f.textProperty().get()).orElse("");
        File start = null;
        try {
            Path p = now == null || now.isBlank() ? null : Sources.expand(now).toAbsolutePath();
            Path dir = p == null ? null : Files.isDirectory(p) ? p : p.getParent();
            start = dir != null && Files.isDirectory(dir) ? dir.toFile() : null;
        } catch (RuntimeException e) {
            // an unusable path: the chooser starts where it likes
        }
        javafx.stage.Window owner = root.getScene() == null ? null : root.getScene().getWindow();
        String kind = source == null ? "" : source.strip();
        File chosen;
        if (folder) {
            DirectoryChooser dc = new DirectoryChooser();
            dc.setTitle(switch (kind) {
                case "cifar10" -> "data.path: the folder of CIFAR-10 data_batch_*.bin files";
                case "idx" -> "data.path: the folder of IDX files (train-images-idx3-ubyte[.gz] …)";
                default -> "data.path: a folder of images (one sub-folder per class labels them)";
            });
            dc.setInitialDirectory(start);
            chosen = dc.showDialog(owner);
        } else {
            FileChooser fc = new FileChooser();
            fc.setTitle(kind.equals("idx") ? "data.path: an IDX images file" : "data.path: a CIFAR-10 batch file (.bin)");
            fc.setInitialDirectory(start);
            chosen = fc.showOpenDialog(owner);
        }
        return Optional.ofNullable(chosen).map(File::getPath);
    }

    private Node toolbar() {
        Label title = new Label("Hyperparameters");
        title.getStyleClass().add("pane-title");
        preset.setId("preset-choice");
        preset.getItems().setAll(studio.presetNames());
        preset.setTooltip(new Tooltip("The preset the new run starts from; fields you change are marked"));
        preset.setOnAction(e -> {
            String p = preset.getValue();
            if (p != null && !p.equals(vm.basePresetProperty().get())) {
                loadPreset(p);
            }
        });
        preset.setOnShowing(e -> {
            String keep = preset.getValue();
            preset.getItems().setAll(studio.presetNames());
            preset.setValue(keep);
        });
        Button fromRun = new Button("From selected run");
        fromRun.setTooltip(new Tooltip("Start from the configuration of the run selected in the sidebar"));
        fromRun.disableProperty().bind(studio.selectedRunProperty().isNull());
        fromRun.setOnAction(e -> fromSelectedRun());
        Button revert = new Button("Revert");
        revert.setId("revert");
        revert.setTooltip(new Tooltip("Put every field back to the preset's value"));
        revert.setOnAction(e -> vm.revert());
        Button save = new Button("Save as preset…");
        save.setId("save-preset");
        save.setTooltip(new Tooltip("Write a preset that extends this one with your changes (in ./presets)"));
        save.disableProperty().bind(vm.validProperty().not());
        save.setOnAction(e -> saveAsPreset());
        Label summary = new Label();
        summary.setId("config-summary");
        summary.getStyleClass().add("dim");
        summary.textProperty().bind(vm.summaryProperty());
        Region spacer = new Region();
        HBox.setHgrow(spacer, Priority.ALWAYS);
        HBox bar = new HBox(8, title, new Label("Preset"), preset, fromRun, revert, save, spacer, summary);
        bar.setAlignment(Pos.CENTER_LEFT);
        bar.setPadding(new Insets(0, 0, 8, 0));
        return bar;
    }

    private Node derived() {
        Label head = new Label("What follows");
        head.getStyleClass().add("section-title");
        Label shape = figure("latent-shape", vm.latentShapeProperty());
        Label params = figure("unet-parameters", vm.parametersProperty());
        Label memory = figure("memory-estimate", vm.memoryProperty());
        Label caption = new Label();
        caption.setId("latent-caption");
        caption.setWrapText(true);
        caption.textProperty().bind(vm.latentCaptionProperty());
        VBox box = new VBox(6, head, caption, shape, new Label("Model size"), params,
                new Label("Training memory"), memory);
        box.getStyleClass().add("derived");
        box.setPrefWidth(270);
        box.setMaxHeight(Region.USE_PREF_SIZE);
        BorderPane.setMargin(box, new Insets(0, 0, 0, 10));
        return box;
    }

    private static Label figure(String id, javafx.beans.value.ObservableValue<String> value) {
        Label l = new Label();
        l.setId(id);
        l.setWrapText(true);
        l.getStyleClass().add("figure");
        l.textProperty().bind(value);
        return l;
    }

    private Node startBar() {
        runName.setId("run-name");
        runName.setPromptText("run name");
        runName.setPrefColumnCount(22);
        runName.setTooltip(new Tooltip("The new run's folder name under the workspace's runs/"));
        start.setId("start-training");
        start.setDefaultButton(false);
        start.setTooltip(new Tooltip("Create the run and start training it in the background (Ctrl+Enter)"));
        start.disableProperty().bind(vm.validProperty().not().or(runName.textProperty().isEmpty()));
        start.setOnAction(e -> startRun());
        root.setOnKeyPressed(e -> {
            if (e.isShortcutDown() && e.getCode() == javafx.scene.input.KeyCode.ENTER && !start.isDisabled()) {
                startRun();
            }
        });
        problems.setId("config-problems");
        problems.getStyleClass().add("field-error");
        problems.setWrapText(true);
        problems.setMaxWidth(Double.MAX_VALUE);
        HBox.setHgrow(problems, Priority.ALWAYS);
        Label nameLabel = new Label("Run name");
        // a long list of problems wraps beside them instead of squeezing the name and the button to "…"
        for (Region r : List.of(nameLabel, runName, start)) {
            r.setMinWidth(Region.USE_PREF_SIZE);
        }
        HBox bar = new HBox(8, nameLabel, runName, start, problems);
        bar.setAlignment(Pos.CENTER_LEFT);
        bar.setPadding(new Insets(8, 0, 0, 0));
        return bar;
    }

    private void updateProblems() {
        String list = vm.fields().stream().filter(f -> !f.errorProperty().get().isEmpty())
                .map(f -> f.errorProperty().get().startsWith(f.path()) ? f.errorProperty().get()
                        : f.path() + ": " + f.errorProperty().get()).collect(Collectors.joining("\n"));
        problems.setText(list.isEmpty() ? "" : list);
    }

    /** Loads preset {@code name}; a broken preset shows its message. */
    public void loadPreset(String name) {
        try {
            vm.loadPreset(name);
            preset.setValue(name);
            runName.setText(studio.workspace().uniqueName(name));
        } catch (RuntimeException e) {
            studio.error(e);
        }
    }

    /** Shows {@code config} as the draft of a new run. */
    public void edit(RunConfig config) {
        edit(config, config.preset() == null ? "run" : config.preset());
    }

    /** Shows {@code config} as the draft of a new run named after {@code name} (made unique). */
    public void edit(RunConfig config, String name) {
        vm.load(config);
        preset.setValue(config.preset());
        runName.setText(studio.workspace().uniqueName(name));
    }

    /**
     * Where the memory of {@code device} is read: the CPU's is the machine's physical memory as the JVM
     * sees it (a container's limit); a CUDA GPU's is what its driver reports; MPS has none of its own
     * (null: no check).
     */
    static Supplier<HyperparametersViewModel.DeviceMemory> memoryOf(Devices.DeviceInfo device) {
        if (device.isGpu()) {
            if (Devices.gpuMemory(device).isEmpty()) {
                return null;
            }
            return () -> {
                long[] m = Devices.gpuMemory(device).orElse(new long[] {Long.MAX_VALUE, Long.MAX_VALUE});
                return new HyperparametersViewModel.DeviceMemory("GPU " + device.name(), m[0], m[1]);
            };
        }
        if (!(ManagementFactory.getOperatingSystemMXBean()
                instanceof com.sun.management.OperatingSystemMXBean os)) {
            return null;
        }
        return () -> new HyperparametersViewModel.DeviceMemory("the CPU", os.getTotalMemorySize(),
                os.getFreeMemorySize());
    }

    private void fromSelectedRun() {
        RunInfo info = studio.selectedRunProperty().get();
        if (info == null) {
            return;
        }
        studio.background().submit("reading the config of run '" + info.name() + "'",
                () -> studio.workspace().open(info.name()).config(), this::edit, studio::error);
    }

    private void saveAsPreset() {
        TextInputDialog ask = new TextInputDialog(vm.basePresetProperty().get() + "-custom");
        ask.setTitle("Save as preset");
        ask.setHeaderText("A preset that extends '" + vm.basePresetProperty().get() + "' with your "
                + vm.changes().size() + " change(s)");
        ask.setContentText("Name");
        if (root.getScene() != null) {
            ask.initOwner(root.getScene().getWindow());
        }
        Optional<String> name = ask.showAndWait();
        name.ifPresent(n -> saveAsPreset(n.trim()));
    }

    /** Writes preset {@code name} into the presets folder. */
    public void saveAsPreset(String name) {
        Path dir = studio.presets().directory().orElse(Path.of("presets"));
        studio.background().submit("saving preset '" + name + "'", () -> vm.saveAsPreset(dir, name, null, false),
                file -> {
                    studio.inform("saved preset " + file);
                    preset.getItems().setAll(studio.presetNames());
                }, studio::error);
    }

    /** Creates the run from the edited config and starts it. */
    public void startRun() {
        Optional<RunConfig> config = vm.config();
        String name = runName.getText().trim();
        if (config.isEmpty()) {
            studio.error("the configuration has errors: " + problems.getText().lines().findFirst().orElse(""));
            return;
        }
        if (!Workspace.isValidName(name)) {
            studio.error("run name '" + name + "': use letters, digits, '-', '_' and '.'");
            return;
        }
        start.disableProperty().unbind();
        start.setDisable(true);
        studio.background().submit("creating run '" + name + "'", () -> {
            // a missing data folder or a broken autoencoder is refused here, not by a failed run that takes the name
            io.ldmstudio.training.Trainer.checkStartable(config.get());
            Run run = studio.workspace().create(name, config.get());
            studio.device();
            return run;
        }, run -> {
            restoreStart();
            try {
                studio.training().start(run, 0);
                studio.select(run.name());
                studio.inform("started '" + run.name() + "'");
                runName.setText(studio.workspace().uniqueName(vm.basePresetProperty().get()));
                studio.navigate("training");
            } catch (RuntimeException e) {
                studio.error(e);
            }
        }, e -> {
            restoreStart();
            studio.error(e);
        });
    }

    private void restoreStart() {
        start.disableProperty().unbind();
        start.disableProperty().bind(vm.validProperty().not().or(runName.textProperty().isEmpty()));
    }

    /** The view model (tests). */
    public HyperparametersViewModel viewModel() {
        return vm;
    }

    @Override
    public String id() {
        return "hyperparameters";
    }

    @Override
    public String title() {
        return "Hyperparameters";
    }

    @Override
    public Node view() {
        return root;
    }
}

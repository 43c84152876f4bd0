package io.ldmstudio.ui.runs;

import io.ldmstudio.config.ConfigResolver;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.RunInfo;
import io.ldmstudio.runs.RunStatus;
import io.ldmstudio.service.ModelInfo;
import io.ldmstudio.ui.Studio;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.ListView;
import javafx.scene.control.MenuButton;
import javafx.scene.control.MenuItem;
import javafx.scene.control.Tooltip;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;

/**
 * The runs of the workspace: name, preset, status, step and last loss; new run from a preset, open
 * another workspace, resume the selected run. Under them, the models: the diffusers pipelines in the
 * workspace's {@code models/} folder and those opened from elsewhere with "Open model…".
 */
public final class RunsSidebar {
    private final Studio studio;
    private final VBox root = new VBox(6);
    private final ListView<RunInfo> list = new ListView<>();
    private final Button resume = new Button("Resume");
    private final MenuButton newRun = new MenuButton("New run");
    private final ListView<ModelInfo> models = new ListView<>();

    /** @param openWorkspace asks the user for another workspace folder and switches to it */
    public RunsSidebar(Studio studio, Runnable openWorkspace) {
        this.studio = studio;
        root.setId("runs-sidebar");
        root.setPadding(new Insets(8));
        root.setPrefWidth(300);
        root.setMinWidth(290);
        Label title = new Label("Runs");
        title.getStyleClass().add("pane-title");
        Label where = new Label(studio.workspace().root().toAbsolutePath().normalize().toString());
        where.getStyleClass().add("dim");
        where.setTooltip(new Tooltip("The workspace folder: runs live in its runs/ folder"));

        list.setId("runs-list");
        list.setItems(studio.runs());
        list.setCellFactory(v -> new RunCell());
        list.setPlaceholder(new Label("No runs yet.\nStart one with New run."));
        VBox.setVgrow(list, Priority.ALWAYS);
        list.getSelectionModel().selectedItemProperty().addListener((o, a, b) -> {
            if (b != null) {
                studio.selectedRunProperty().set(b);
            }
        });
        studio.selectedRunProperty().addListener((o, a, b) -> {
            if (b != null && list.getSelectionModel().getSelectedItem() != b) {
                list.getSelectionModel().select(b);
            }
        });

        newRun.setId("new-run");
        newRun.setTooltip(new Tooltip("Open a preset in Hyperparameters as a new run's draft (Ctrl+N)"));
        newRun.setOnShowing(e -> fillPresets());
        fillPresets();

        resume.setId("resume-run");
        resume.setTooltip(new Tooltip("Continue the selected run from its newest checkpoint (Ctrl+R)"));
        resume.setOnAction(e -> resumeSelected());
        resume.disableProperty().bind(studio.selectedRunProperty().isNull());

        Button open = new Button("Open…");
        open.setId("open-workspace");
        open.setTooltip(new Tooltip("Open another workspace folder (Ctrl+Shift+O)"));
        open.setOnAction(e -> openWorkspace.run());
        Button refresh = new Button("⟳");
        refresh.setTooltip(new Tooltip("Re-read the runs folder (F5)"));
        refresh.setOnAction(e -> studio.refreshRuns());

        for (javafx.scene.control.Control c : List.of(newRun, resume, open, refresh)) {
            c.setMinWidth(Region.USE_PREF_SIZE);
        }
        HBox buttons = new HBox(6, newRun, resume, open, refresh);
        buttons.setAlignment(Pos.CENTER_LEFT);
        root.getChildren().addAll(title, where, buttons, list, modelsSection());
        list.setContextMenu(contextMenu());
    }

    // ---- models ----

    /** "Models" with its Open model… button, and the list: name, class (or broken / missing) and summary. */
    private Region modelsSection() {
        Label title = new Label("Models");
        title.getStyleClass().add("section-title");
        title.setTooltip(new Tooltip("Diffusers pipelines (DDPM, DDIM, LDM): the folders in "
                + studio.workspace().modelsDir() + " and those opened from elsewhere"));
        Button open = new Button("Open model…");
        open.setId("open-model");
        open.setMinWidth(Region.USE_PREF_SIZE);
        open.setTooltip(new Tooltip("Open a diffusers pipeline folder (model_index.json, or config.json with"
                + " scheduler_config.json); the studio remembers it"));
        open.setOnAction(e -> chooseModel());
        Region spacer = new Region();
        HBox.setHgrow(spacer, Priority.ALWAYS);
        HBox header = new HBox(6, title, spacer, open);
        header.setAlignment(Pos.BOTTOM_LEFT);

        models.setId("models-list");
        models.setItems(studio.models());
        models.setCellFactory(v -> new ModelCell());
        models.setPrefHeight(150);
        models.setMinHeight(80);
        Label empty = new Label("No models. Put diffusers pipeline folders in\n" + studio.workspace().modelsDir()
                + "\nor open one with Open model…");
        empty.getStyleClass().add("dim");
        empty.setWrapText(true);
        models.setPlaceholder(empty);
        models.getSelectionModel().selectedItemProperty().addListener((o, a, b) -> {
            if (b != null) {
                studio.selectedModelProperty().set(b);
            }
        });
        studio.selectedModelProperty().addListener((o, a, b) -> {
            if (b == null) {
                models.getSelectionModel().clearSelection();
            } else if (models.getSelectionModel().getSelectedItem() != b) {
                models.getSelectionModel().select(b);
            }
        });
        MenuItem forget = new MenuItem("Forget (the folder stays)");
        forget.setId("model-forget");
        forget.setOnAction(e -> {
            ModelInfo m = models.getSelectionModel().getSelectedItem();
            if (m != null) {
                studio.forgetModel(m);
            }
        });
        MenuItem refresh = new MenuItem("Re-read the models");
        refresh.setOnAction(e -> studio.refreshModels());
        MenuItem evaluate = new MenuItem("Evaluate…");
        evaluate.setId("model-evaluate");
        evaluate.setOnAction(e -> {
            ModelInfo m = models.getSelectionModel().getSelectedItem();
            if (m != null && m.ok()) {
                EvaluateWindow.open(studio, () -> io.ldmstudio.service.SampleSource.pipeline(m.dir()),
                        root.getScene() == null ? null : root.getScene().getWindow());
            }
        });
        javafx.scene.control.ContextMenu menu = new javafx.scene.control.ContextMenu(evaluate,
                new javafx.scene.control.SeparatorMenuItem(), forget, refresh);
        menu.setOnShowing(e -> {
            ModelInfo m = models.getSelectionModel().getSelectedItem();
            forget.setDisable(m == null || !m.remembered());
            evaluate.setDisable(m == null || !m.ok());
        });
        models.setContextMenu(menu);
        VBox box = new VBox(3, header, models);
        box.setId("models-section");
        return box;
    }

    /** Asks for a pipeline folder and opens it (checked off the FX thread). */
    private void chooseModel() {
        javafx.stage.DirectoryChooser dc = new javafx.stage.DirectoryChooser();
        dc.setTitle("Diffusers pipeline folder");
        java.nio.file.Path start = studio.workspace().modelsDir();
        dc.setInitialDirectory((java.nio.file.Files.isDirectory(start) ? start : studio.workspace().root()).toFile());
        java.io.File f = root.getScene() == null ? null : dc.showDialog(root.getScene().getWindow());
        if (f != null) {
            studio.openModel(f.toPath());
        }
    }

    /** The models list, for tests. */
    public ListView<ModelInfo> modelsList() {
        return models;
    }

    // ---- managing runs ----

    private javafx.scene.control.ContextMenu contextMenu() {
        MenuItem rename = new MenuItem("Rename…");
        rename.setId("run-rename");
        rename.setOnAction(e -> withSelected(info -> ask("Rename run", "New name for '" + info.name() + "':", info.name())
                .ifPresent(to -> rename(info.name(), to))));
        MenuItem duplicate = new MenuItem("Duplicate (config only)…");
        duplicate.setId("run-duplicate");
        duplicate.setOnAction(e -> withSelected(info -> ask("Duplicate run", "Name of the copy (the config of '"
                + info.name() + "', none of its history):", studio.workspace().uniqueName(info.name() + "-copy"))
                .ifPresent(to -> duplicate(info.name(), to))));
        MenuItem note = new MenuItem("Note…");
        note.setId("run-note");
        note.setOnAction(e -> withSelected(info -> ask("Note on run '" + info.name() + "'",
                "A note shown in the run's tooltip (empty removes it):", info.note())
                .ifPresent(text -> setNote(info.name(), text))));
        MenuItem evaluate = new MenuItem("Evaluate…");
        evaluate.setId("run-evaluate");
        evaluate.setOnAction(e -> withSelected(this::evaluate));
        MenuItem startNow = new MenuItem("Start now, beside the running ones");
        startNow.setId("run-start-now");
        startNow.setOnAction(e -> withSelected(info -> studio.training().startNow(info.name())));
        MenuItem delete = new MenuItem("Delete…");
        delete.setId("run-delete");
        delete.setOnAction(e -> withSelected(this::confirmDelete));
        javafx.scene.control.ContextMenu menu = new javafx.scene.control.ContextMenu(rename, duplicate, note,
                new javafx.scene.control.SeparatorMenuItem(), evaluate, startNow, new javafx.scene.control.SeparatorMenuItem(),
                delete);
        menu.setOnShowing(e -> {
            RunInfo info = studio.selectedRunProperty().get();
            boolean none = info == null;
            boolean busy = !none && studio.training().job(info.name()).isPresent();
            rename.setDisable(none || busy);
            delete.setDisable(none || busy);
            duplicate.setDisable(none || info.broken());
            note.setDisable(none || info.broken());
            evaluate.setDisable(none || info.broken());
            startNow.setVisible(!none && studio.training().isQueued(info.name()));
        });
        return menu;
    }

    /**
     * Opens the Evaluate window of run {@code info} (its metric, the sampler sweep and the samples scored); its config
     * is read off the FX thread.
     */
    private void evaluate(RunInfo info) {
        EvaluateWindow.open(studio, () -> io.ldmstudio.service.SampleSource.of(studio.workspace().open(info.name())),
                root.getScene() == null ? null : root.getScene().getWindow());
    }

    private void withSelected(Consumer<RunInfo> action) {
        RunInfo info = studio.selectedRunProperty().get();
        if (info != null) {
            action.accept(info);
        }
    }

    private java.util.Optional<String> ask(String title, String question, String initial) {
        javafx.scene.control.TextInputDialog d = new javafx.scene.control.TextInputDialog(initial);
        d.setTitle(title);
        d.setHeaderText(null);
        d.setContentText(question);
        if (root.getScene() != null) {
            d.initOwner(root.getScene().getWindow());
        }
        return d.showAndWait().map(String::strip).filter(s -> !s.isEmpty() || title.startsWith("Note"));
    }

    private void confirmDelete(RunInfo info) {
        javafx.scene.control.Alert a = new javafx.scene.control.Alert(javafx.scene.control.Alert.AlertType.CONFIRMATION,
                "Delete run '" + info.name() + "' (" + info.dir() + ")?\n\nIt goes to the trash (or the workspace's "
                        + ".trash folder), from where it can be restored." + dependentsWarning(info.name()),
                javafx.scene.control.ButtonType.OK, javafx.scene.control.ButtonType.CANCEL);
        a.setHeaderText("Delete '" + info.name() + "'?");
        if (root.getScene() != null) {
            a.initOwner(root.getScene().getWindow());
        }
        a.showAndWait().filter(b -> b == javafx.scene.control.ButtonType.OK).ifPresent(b -> delete(info.name()));
    }

    /** A line for the delete confirmation when other runs use this one as their autoencoder. */
    private String dependentsWarning(String name) {
        try {
            List<String> users = studio.workspace().dependents(name);
            return users.isEmpty() ? "" : "\n\n" + String.join(", ", users) + (users.size() == 1 ? " uses" : " use")
                    + " it as the autoencoder: without it they can no longer resume or sample.";
        } catch (java.io.IOException e) {
            return "";
        }
    }

    /** Renames run {@code from} to {@code to} (off the FX thread), keeps it selected. */
    public void rename(String from, String to) {
        studio.background().submit("renaming run '" + from + "'", () -> studio.workspace().rename(from, to), run -> {
            studio.inform("renamed '" + from + "' to '" + to + "'");
            studio.select(to); // the listing is read again: the new name is not in it yet
        }, studio::error);
    }

    /** A new run with {@code from}'s config; selects it. */
    public void duplicate(String from, String to) {
        studio.background().submit("copying the config of run '" + from + "'", () -> studio.workspace().duplicate(from, to),
                run -> {
                    studio.inform("'" + to + "' has the config of '" + from + "': Start trains it");
                    studio.select(to);
                }, studio::error);
    }

    /** Sets the note of {@code name}. */
    public void setNote(String name, String text) {
        studio.background().submit("writing the note of run '" + name + "'", () -> {
            studio.workspace().open(name).setNote(text);
            return name;
        }, n -> studio.refreshRuns(), studio::error);
    }

    /** Moves run {@code name} to the trash (no question asked: the menu asks first). */
    public void delete(String name) {
        studio.background().submit("deleting run '" + name + "'", () -> studio.workspace().delete(name), where -> {
            studio.inform("deleted '" + name + "': it is in " + where.getParent());
            if (studio.selectedRunProperty().get() != null && studio.selectedRunProperty().get().name().equals(name)) {
                studio.selectedRunProperty().set(null);
            }
            studio.refreshRuns();
        }, studio::error);
    }

    public Region view() {
        return root;
    }

    /** The presets, those that train on a CPU first (their description says so), each with its description. */
    private void fillPresets() {
        List<io.ldmstudio.config.Presets.PresetInfo> infos;
        try {
            infos = studio.presets().list();
        } catch (RuntimeException e) {
            infos = studio.presetNames().stream().map(n -> new io.ldmstudio.config.Presets.PresetInfo(n, "", "")).toList();
        }
        List<io.ldmstudio.config.Presets.PresetInfo> sorted = new java.util.ArrayList<>(infos);
        sorted.sort(java.util.Comparator.comparing((io.ldmstudio.config.Presets.PresetInfo p) -> !runsOnCpu(p))
                .thenComparing(io.ldmstudio.config.Presets.PresetInfo::name));
        List<MenuItem> items = new java.util.ArrayList<>();
        boolean cpu = true;
        for (io.ldmstudio.config.Presets.PresetInfo p : sorted) {
            if (cpu && !runsOnCpu(p)) {
                cpu = false;
                if (!items.isEmpty()) {
                    items.add(new javafx.scene.control.SeparatorMenuItem());
                }
            }
            Label name = new Label(p.name());
            name.getStyleClass().add("run-name");
            Label about = new Label(p.description() == null ? "" : p.description());
            about.getStyleClass().add("dim");
            about.setWrapText(true);
            about.setMaxWidth(460);
            VBox box = new VBox(1, name, about);
            MenuItem m = new MenuItem(null, box);
            m.setId("preset-" + p.name());
            m.setOnAction(e -> newFromPreset(p.name()));
            items.add(m);
        }
        newRun.getItems().setAll(items);
    }

    /** A preset meant for a CPU: its name or description says so (the presets written for 2 cores do). */
    static boolean runsOnCpu(io.ldmstudio.config.Presets.PresetInfo p) {
        String d = p.description() == null ? "" : p.description();
        return p.name().contains("cpu") || d.contains("CPU");
    }

    /** Loads {@code preset} into the Hyperparameters pane as a draft. */
    public void newFromPreset(String preset) {
        try {
            RunConfig config = ConfigResolver.resolve(studio.presets(), preset, List.of());
            studio.editConfig(config);
            studio.navigate("hyperparameters");
        } catch (RuntimeException e) {
            studio.error(e);
        }
    }

    /** Continues the selected run in the background and shows the Training pane. */
    public void resumeSelected() {
        RunInfo info = studio.selectedRunProperty().get();
        if (info == null) {
            return;
        }
        if (studio.training().job(info.name()).isPresent()) {
            studio.inform("'" + info.name() + "' is already training");
            studio.navigate("training");
            return;
        }
        Consumer<Run> start = run -> {
            try {
                studio.training().start(run, 0);
                studio.inform("resumed '" + run.name() + "'");
                studio.navigate("training");
            } catch (RuntimeException e) {
                studio.error(e);
            }
        };
        studio.background().submit("opening run '" + info.name() + "'", () -> {
            Run run = studio.workspace().open(info.name());
            io.ldmstudio.training.Trainer.checkStartable(run.config());
            studio.device();
            return run;
        }, start, studio::error);
    }

    /** A list row of a name with a status badge beside it and a dim detail line under it. */
    private abstract static class TwoLineCell<T> extends ListCell<T> {
        final Label name = new Label();
        final Label detail = new Label();
        final Label status = new Label();
        final VBox box;

        TwoLineCell() {
            // never wider than the list: long names and details are cut with an ellipsis, no sideways scrolling
            setPrefWidth(0);
            name.setMinWidth(0);
            detail.setMinWidth(0);
            status.setMinWidth(Region.USE_PREF_SIZE);
            name.getStyleClass().add("run-name");
            detail.getStyleClass().add("dim");
            status.getStyleClass().add("run-status");
            Region spacer = new Region();
            HBox.setHgrow(spacer, Priority.ALWAYS);
            box = new VBox(1, new HBox(4, name, spacer, status), detail);
        }
    }

    private static final class ModelCell extends TwoLineCell<ModelInfo> {

        @Override
        protected void updateItem(ModelInfo m, boolean empty) {
            super.updateItem(m, empty);
            if (empty || m == null) {
                setGraphic(null);
                setTooltip(null);
                return;
            }
            name.setText(m.name());
            status.setText(m.label());
            status.getStyleClass().removeIf(c -> c.startsWith("status-"));
            if (!m.ok()) {
                status.getStyleClass().add("status-broken");
            }
            // the summary without the class the badge shows already
            String summary = m.summary() == null ? "" : m.summary();
            detail.setText(m.ok() && summary.startsWith(m.pipelineClass() + " · ")
                    ? summary.substring(m.pipelineClass().length() + 3) : withinFolder(summary, m.dir()));
            Tooltip t = new Tooltip(summary + "\n" + m.dir() + (m.remembered() ? "\n(opened with Open model…)" : ""));
            t.setWrapText(true);
            t.setMaxWidth(520);
            setTooltip(t);
            setGraphic(box);
        }
    }

    /**
     * A problem as the list shows it, its files named within the model's folder (the tooltip has it all):
     * "unet/config.json: not valid JSON", "not a diffusers pipeline folder: …".
     */
    static String withinFolder(String problem, java.nio.file.Path dir) {
        String d = dir.toString();
        String p = problem.replace(d + java.io.File.separator, "");
        return p.startsWith(d + ": ") ? p.substring(d.length() + 2) : p;
    }

    private final class RunCell extends TwoLineCell<RunInfo> {

        @Override
        protected void updateItem(RunInfo r, boolean empty) {
            super.updateItem(r, empty);
            if (empty || r == null) {
                setGraphic(null);
                setTooltip(null);
                return;
            }
            name.setText(r.name());
            boolean queued = studio.training().isQueued(r.name());
            boolean live = !queued && studio.training().job(r.name()).isPresent();
            RunStatus s = r.status();
            status.setText(queued ? "queued" : live && s != RunStatus.PAUSED ? "training" : s.name().toLowerCase(Locale.ROOT));
            status.getStyleClass().removeIf(c -> c.startsWith("status-"));
            status.getStyleClass().add("status-" + (queued ? "created" : live ? "running" : s.name().toLowerCase(Locale.ROOT)));
            String loss = Double.isNaN(r.lastLoss()) ? "—" : String.format(Locale.ROOT, "%.4f", r.lastLoss());
            detail.setText((r.preset() == null ? "?" : r.preset()) + " · step " + r.step() + " · loss " + loss);
            StringBuilder tip = new StringBuilder();
            if (!r.note().isEmpty()) {
                tip.append(r.note()).append("\n\n");
            }
            if (r.message() != null && !r.message().isBlank()) {
                tip.append(r.message()).append('\n');
            }
            if (r.quality() != null) {
                tip.append(r.quality().describe()).append('\n');
            }
            if (!r.broken()) {
                tip.append(r.checkpointStep() > 0 ? "resume starts from the checkpoint of step " + r.checkpointStep()
                        : "no checkpoint yet").append('\n');
            }
            tip.append(r.dir());
            Tooltip t = new Tooltip(tip.toString());
            t.setWrapText(true);
            t.setMaxWidth(520);
            setTooltip(t);
            setGraphic(box);
        }
    }
}

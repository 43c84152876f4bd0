package io.ldmstudio.ui.runs;

import io.ldmstudio.config.ConfigResolver;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.RunInfo;
import io.ldmstudio.runs.RunStatus;
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
 * another workspace, resume the selected run.
 */
public final class RunsSidebar {
    private final Studio studio;
    private final VBox root = new VBox(6);
    private final ListView<RunInfo> list = new ListView<>();
    private final Button resume = new Button("Resume");
    private final MenuButton newRun = new MenuButton("New run");

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
        root.getChildren().addAll(title, where, buttons, list);
    }

    public Region view() {
        return root;
    }

    private void fillPresets() {
        List<MenuItem> items = studio.presetNames().stream().map(name -> {
            MenuItem m = new MenuItem(name);
            m.setOnAction(e -> newFromPreset(name));
            return m;
        }).toList();
        newRun.getItems().setAll(items);
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
            studio.device();
            return run;
        }, start, studio::error);
    }

    private final class RunCell extends ListCell<RunInfo> {
        private final Label name = new Label();
        private final Label detail = new Label();
        private final Label status = new Label();
        private final VBox box;

        RunCell() {
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
            setTooltip(new Tooltip(r.message() == null || r.message().isBlank() ? r.dir().toString()
                    : r.message() + "\n" + r.dir()));
            setGraphic(box);
        }
    }
}

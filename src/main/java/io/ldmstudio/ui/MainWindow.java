package io.ldmstudio.ui;

import io.ldmstudio.ui.autoencoder.AutoencoderPane;
import io.ldmstudio.ui.dataset.DatasetPane;
import io.ldmstudio.ui.denoising.DenoisingPane;
import io.ldmstudio.ui.gallery.GalleryPane;
import io.ldmstudio.ui.hyperparameters.HyperparametersPane;
import io.ldmstudio.ui.runs.RunsSidebar;
import io.ldmstudio.ui.training.TrainingPane;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javafx.animation.PauseTransition;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.Scene;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.SplitPane;
import javafx.scene.control.Tab;
import javafx.scene.control.TabPane;
import javafx.scene.control.Tooltip;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyCodeCombination;
import javafx.scene.input.KeyCombination;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.util.Duration;

/** The main window: runs sidebar, the six panes as tabs, a message bar and a status bar. */
public final class MainWindow {
    private static final List<String> TIPS = List.of(
            "Browse a dataset: thumbnails, statistics, the training transform (Ctrl+1)",
            "Load or train an autoencoder and see what it keeps and loses (Ctrl+2)",
            "Edit the run configuration, validated as you type (Ctrl+3)",
            "Start, pause and stop training; live loss, learning rate and gradient norm (Ctrl+4)",
            "Sample grids written during training, step by step (Ctrl+5)",
            "Generate with any sampler and scrub through every denoising step (Ctrl+6)");

    private final Studio studio;
    private final BorderPane root = new BorderPane();
    private final TabPane tabs = new TabPane();
    private final Map<String, StudioPane> panes = new LinkedHashMap<>();
    private final Map<String, Tab> tabById = new LinkedHashMap<>();
    private final RunsSidebar sidebar;
    private final Label message = new Label();
    private final BorderPane messageBar;
    private final PauseTransition messageTimeout = new PauseTransition(Duration.seconds(12));

    public MainWindow(Studio studio, Runnable openWorkspace) {
        this.studio = studio;
        root.setId("main-window");
        sidebar = new RunsSidebar(studio, openWorkspace);
        List<StudioPane> all = List.of(new DatasetPane(studio), new AutoencoderPane(studio),
                new HyperparametersPane(studio), new TrainingPane(studio), new GalleryPane(studio),
                new DenoisingPane(studio));
        for (int i = 0; i < all.size(); i++) {
            StudioPane p = all.get(i);
            Tab tab = new Tab(p.title(), p.view());
            tab.setId("tab-" + p.id());
            tab.setClosable(false);
            tab.setTooltip(new Tooltip(TIPS.get(i)));
            panes.put(p.id(), p);
            tabById.put(p.id(), tab);
            tabs.getTabs().add(tab);
        }
        tabs.getSelectionModel().selectedItemProperty().addListener((o, a, b) -> {
            if (b != null) {
                panes.get(b.getId().substring(4)).shown();
            }
        });
        studio.setNavigator(this::show);

        message.setId("message");
        message.setWrapText(true);
        message.setMinHeight(Region.USE_PREF_SIZE); // every wrapped line, not one and a clipped rest
        message.setMaxWidth(Double.MAX_VALUE);
        HBox.setHgrow(message, Priority.ALWAYS);
        Button dismiss = new Button("✕");
        dismiss.getStyleClass().add("flat");
        dismiss.setTooltip(new Tooltip("Dismiss (Esc)"));
        dismiss.setOnAction(e -> studio.messageProperty().set(null));
        messageBar = new BorderPane(message, null, dismiss, null, null); // the centre gets the width less the ×
        BorderPane.setAlignment(message, Pos.CENTER_LEFT);
        BorderPane.setAlignment(dismiss, Pos.TOP_RIGHT);
        BorderPane.setMargin(dismiss, new Insets(0, 0, 0, 8));
        messageBar.setId("message-bar");
        messageBar.setPadding(new Insets(6, 10, 6, 10));
        messageBar.setVisible(false);
        // over the content, not above it: a message appearing or going never moves the panes
        messageBar.setEffect(new javafx.scene.effect.DropShadow(8, javafx.scene.paint.Color.rgb(0, 0, 0, 0.25)));
        messageTimeout.setOnFinished(e -> {
            Studio.Message m = studio.messageProperty().get();
            if (m != null && !m.error()) {
                studio.messageProperty().set(null);
            }
        });
        studio.messageProperty().addListener((o, a, m) -> {
            messageBar.setVisible(m != null);
            messageBar.getStyleClass().removeAll("error", "info");
            if (m != null) {
                message.setText(m.text());
                messageBar.getStyleClass().add(m.error() ? "error" : "info");
                messageTimeout.playFromStart();
            }
        });

        SplitPane split = new SplitPane(sidebar.view(), tabs);
        split.setDividerPositions(0.22);
        SplitPane.setResizableWithParent(sidebar.view(), false);
        // anchored, so its height follows its wrapped lines at the window's width; clicks beside it go through
        javafx.scene.layout.AnchorPane overlay = new javafx.scene.layout.AnchorPane(messageBar);
        overlay.setPickOnBounds(false);
        javafx.scene.layout.AnchorPane.setTopAnchor(messageBar, 0.0);
        javafx.scene.layout.AnchorPane.setLeftAnchor(messageBar, 0.0);
        javafx.scene.layout.AnchorPane.setRightAnchor(messageBar, 0.0);
        javafx.scene.layout.StackPane center = new javafx.scene.layout.StackPane(split, overlay);
        root.setCenter(center);
        root.setBottom(statusBar());

        // the sidebar's step and loss follow live runs (a listing reads only each metrics file's tail)
        liveRefresh.setCycleCount(javafx.animation.Animation.INDEFINITE);
        liveRefresh.play();
    }

    private final javafx.animation.Timeline liveRefresh = new javafx.animation.Timeline(
            new javafx.animation.KeyFrame(Duration.seconds(4), e -> refreshIfTraining()));

    private void refreshIfTraining() {
        List<String> active = studio.training().active();
        List<String> queued = studio.training().queued();
        studio.statusProperty().set((active.isEmpty() ? "" : "training: " + String.join(", ", active))
                + (queued.isEmpty() ? "" : (active.isEmpty() ? "" : " · ") + "queued: " + String.join(", ", queued)));
        if (!active.isEmpty()) {
            studio.refreshRuns();
        }
    }

    private Region statusBar() {
        Label device = new Label("starting the engine…");
        device.setId("status-device");
        studio.deviceFuture().whenComplete((d, e) -> javafx.application.Platform.runLater(() -> device.setText(
                e != null ? "engine failed to start: " + io.ldmstudio.ui.common.UiErrors.message(e)
                        : d.describe())));
        Label status = new Label();
        status.setId("status-text");
        status.textProperty().bind(studio.statusProperty());
        Region spacer = new Region();
        HBox.setHgrow(spacer, Priority.ALWAYS);
        HBox bar = new HBox(12, status, spacer, device);
        bar.setId("status-bar");
        bar.setPadding(new Insets(3, 10, 3, 10));
        return bar;
    }

    /** Installs the keyboard shortcuts on {@code scene}. */
    public void installShortcuts(Scene scene) {
        for (int i = 0; i < tabs.getTabs().size(); i++) {
            Tab t = tabs.getTabs().get(i);
            scene.getAccelerators().put(new KeyCodeCombination(KeyCode.getKeyCode(String.valueOf(i + 1)),
                    KeyCombination.SHORTCUT_DOWN), () -> tabs.getSelectionModel().select(t));
        }
        scene.getAccelerators().put(new KeyCodeCombination(KeyCode.N, KeyCombination.SHORTCUT_DOWN),
                () -> sidebar.newFromPreset(studio.presetNames().contains("quickstart") ? "quickstart"
                        : studio.presetNames().get(0)));
        scene.getAccelerators().put(new KeyCodeCombination(KeyCode.R, KeyCombination.SHORTCUT_DOWN),
                sidebar::resumeSelected);
        scene.getAccelerators().put(new KeyCodeCombination(KeyCode.F5), studio::refreshRuns);
        // a filter, not an accelerator: focused controls would swallow Esc first
        scene.addEventFilter(javafx.scene.input.KeyEvent.KEY_PRESSED, e -> {
            if (e.getCode() == KeyCode.ESCAPE && studio.messageProperty().get() != null) {
                studio.messageProperty().set(null);
                e.consume();
            }
        });
    }

    /** The runs list on the left. */
    public RunsSidebar sidebar() {
        return sidebar;
    }

    public BorderPane view() {
        return root;
    }

    /** Brings pane {@code id} to the front (unknown ids are ignored). */
    public void show(String id) {
        Tab t = tabById.get(id);
        if (t != null) {
            tabs.getSelectionModel().select(t);
        }
    }

    /** The id of the pane in front. */
    public String current() {
        Tab t = tabs.getSelectionModel().getSelectedItem();
        return t == null ? null : t.getId().substring(4);
    }

    public StudioPane pane(String id) {
        return panes.get(id);
    }

    public List<String> paneIds() {
        return List.copyOf(panes.keySet());
    }

    public void dispose() {
        liveRefresh.stop();
        panes.values().forEach(StudioPane::dispose);
    }
}

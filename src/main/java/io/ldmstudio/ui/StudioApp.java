package io.ldmstudio.ui;

import io.ldmstudio.config.Presets;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.ui.common.FxBackground;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import javafx.application.Application;
import javafx.application.Platform;
import javafx.scene.Scene;
import javafx.scene.control.Alert;
import javafx.scene.control.ButtonBar;
import javafx.scene.control.ButtonType;
import javafx.stage.DirectoryChooser;
import javafx.stage.Stage;

/** The JavaFX application: one main window over a workspace. */
public final class StudioApp extends Application {
    private static volatile Path requestedWorkspace;
    private static volatile String requestedDevice = "auto";
    private static volatile StudioApp running;

    private Stage stage;
    private StudioSettings settings;
    private Path settingsFile;
    private Studio studio;
    private MainWindow window;
    private FxBackground background;

    /**
     * Opens the studio and returns when its window has closed.
     *
     * @param workspace the workspace folder; null for the last one used, else {@code ./workspace}
     * @throws IllegalStateException when there is no display to open a window on
     */
    public static void launch(Path workspace, String device) {
        requestedWorkspace = workspace;
        requestedDevice = device == null ? "auto" : device;
        if (isHeadlessLinux()) {
            throw new IllegalStateException("no display to open the studio on (DISPLAY is not set): run it on a "
                    + "desktop, under Xvfb (xvfb-run java -jar target/ldm-studio.jar), or use the CLI commands "
                    + "(java -jar target/ldm-studio.jar --help)");
        }
        // Java2D draws the charts and export figures into images only; it never needs a window of its
        // own, and a second toolkit beside JavaFX's (AWT on macOS above all) is trouble
        if (System.getProperty("java.awt.headless") == null) {
            System.setProperty("java.awt.headless", "true");
        }
        java.util.concurrent.CountDownLatch ended = new java.util.concurrent.CountDownLatch(1);
        // Ctrl+C or a TERM signal: close the toolkit before the JVM tears down native code (leaving the
        // GTK loop running then crashes in libc's exit). Training runs in processes of its own, in
        // sessions of their own: they go on, and the next studio follows them again.
        Thread hook = new Thread(() -> {
            StudioApp app = running;
            if (app != null && app.studio != null) {
                app.studio.training().close();
            }
            Platform.exit();
            try {
                ended.await(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "ldm-studio-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            Application.launch(StudioApp.class);
        } finally {
            ended.countDown();
        }
    }

    private static boolean isHeadlessLinux() {
        String os = System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT);
        return os.contains("linux") && System.getenv("DISPLAY") == null && System.getenv("WAYLAND_DISPLAY") == null
                && !"Monocle".equals(System.getProperty("glass.platform"));
    }

    /** Sets what the next {@link #start} opens (tests; {@link #launch} does it for users). */
    static void request(Path workspace, String device) {
        requestedWorkspace = workspace;
        requestedDevice = device;
    }

    Studio studio() {
        return studio;
    }

    MainWindow window() {
        return window;
    }

    Stage stage() {
        return stage;
    }

    @Override
    public void start(Stage stage) {
        this.stage = stage;
        running = this;
        settingsFile = StudioSettings.defaultFile();
        settings = StudioSettings.load(settingsFile);
        Path ws = requestedWorkspace;
        if (ws == null && settings.lastWorkspace != null && Files.isDirectory(Path.of(settings.lastWorkspace))) {
            ws = Path.of(settings.lastWorkspace);
        }
        if (ws == null) {
            ws = Workspace.defaultWorkspace().root();
        }
        stage.setWidth(settings.width);
        stage.setHeight(settings.height);
        if (!Double.isNaN(settings.x) && !Double.isNaN(settings.y)) {
            stage.setX(settings.x);
            stage.setY(settings.y);
        }
        stage.setMaximized(settings.maximized);
        stage.setMinWidth(900);
        stage.setMinHeight(600);
        open(ws);
        stage.setOnCloseRequest(e -> {
            if (!confirmClose()) {
                e.consume();
            }
        });
        stage.show();
    }

    /** Builds the window over workspace {@code root}, replacing the current one. */
    private void open(Path root) {
        if (window != null) {
            window.dispose();
        }
        if (studio != null) {
            studio.training().close(); // its runs go on training; the new workspace's hub follows its own
        }
        if (background == null) {
            background = new FxBackground(3);
        }
        Workspace workspace = new Workspace(root);
        studio = new Studio(workspace, Presets.standard(), background, requestedDevice);
        window = new MainWindow(studio, this::chooseWorkspace);
        Scene scene = new Scene(window.view());
        scene.getStylesheets().add(StudioStyle.stylesheet());
        window.installShortcuts(scene);
        scene.getAccelerators().put(new javafx.scene.input.KeyCodeCombination(javafx.scene.input.KeyCode.O,
                javafx.scene.input.KeyCombination.SHORTCUT_DOWN, javafx.scene.input.KeyCombination.SHIFT_DOWN),
                this::chooseWorkspace); // plain Ctrl+O opens a folder in the Dataset and Autoencoder panes
        stage.setScene(scene);
        stage.setTitle("LDM Studio — " + root.toAbsolutePath().normalize());
        settings.lastWorkspace = root.toAbsolutePath().normalize().toString();
        window.show(settings.lastPane);
        studio.refreshRuns();
    }

    private void chooseWorkspace() {
        DirectoryChooser chooser = new DirectoryChooser();
        chooser.setTitle("Open a workspace (a folder with a runs/ folder, or an empty folder)");
        File start = studio.workspace().root().toAbsolutePath().toFile();
        if (start.isDirectory()) {
            chooser.setInitialDirectory(start);
        }
        File dir = chooser.showDialog(stage);
        if (dir != null) {
            Path p = dir.toPath();
            // a run folder or a runs folder picked by mistake: go up to its workspace
            if (Files.isRegularFile(p.resolve("config.json")) && p.getParent() != null
                    && p.getParent().getFileName().toString().equals(Workspace.RUNS)) {
                p = p.getParent().getParent();
            } else if (p.getFileName() != null && p.getFileName().toString().equals(Workspace.RUNS)) {
                p = p.getParent();
            }
            open(p);
        }
    }

    /** Asks what to do with running training; false keeps the window open. */
    private boolean confirmClose() {
        List<String> active = studio.training().active();
        List<String> queued = studio.training().queued();
        if (!active.isEmpty() || !queued.isEmpty()) {
            ButtonType keep = new ButtonType("Keep training", ButtonBar.ButtonData.YES);
            ButtonType stop = new ButtonType("Stop with a checkpoint", ButtonBar.ButtonData.NO);
            String text = (active.isEmpty() ? "" : "Training: " + String.join(", ", active) + ". Each run trains in a "
                    + "process of its own and goes on when the studio closes; open the studio again to follow it "
                    + "(live charts, Pause, Stop), or see it with `runs` in a terminal.")
                    + (queued.isEmpty() ? "" : (active.isEmpty() ? "" : "\n\n") + "Waiting in the queue: "
                            + String.join(", ", queued) + " — these start only while the studio is open.")
                    + "\n\nStop with a checkpoint writes one and stops (Resume continues exactly).";
            Alert a = new Alert(Alert.AlertType.CONFIRMATION, text, keep, stop, ButtonType.CANCEL);
            a.setHeaderText("Close LDM Studio?");
            a.initOwner(stage);
            Optional<ButtonType> answer = a.showAndWait();
            if (answer.isEmpty() || answer.get() == ButtonType.CANCEL) {
                return false;
            }
            if (answer.get() == stop) {
                studio.training().stopAll(120_000);
            }
        }
        saveSettings();
        window.dispose();
        studio.training().close();
        return true;
    }

    private void saveSettings() {
        settings.maximized = stage.isMaximized();
        if (!stage.isMaximized()) {
            settings.width = stage.getWidth();
            settings.height = stage.getHeight();
            settings.x = stage.getX();
            settings.y = stage.getY();
        }
        settings.lastPane = window.current();
        settings.save(settingsFile);
    }

    @Override
    public void stop() {
        if (studio != null) {
            studio.training().close();
        }
        if (background != null) {
            background.close();
        }
    }
}

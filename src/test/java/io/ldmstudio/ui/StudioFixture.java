package io.ldmstudio.ui;

import io.ldmstudio.config.ConfigResolver;
import io.ldmstudio.config.Presets;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.service.TrainingService;
import io.ldmstudio.training.Trainer;
import io.ldmstudio.ui.common.Background;
import io.ldmstudio.ui.common.FxBackground;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javafx.application.Platform;
import javafx.scene.Node;
import javafx.scene.Scene;
import javafx.scene.image.WritableImage;
import javax.imageio.ImageIO;

/**
 * Shared ground for the studio tests: a workspace holding one short, really trained run (so the
 * training, gallery and denoising panes have real content), studios over it, and screenshots.
 */
public final class StudioFixture {
    /** The trained run's name in {@link #trainedWorkspace()}. */
    public static final String RUN = "tiny-shapes";
    /** Steps of the trained run; a sample grid and checkpoint every {@link #EVERY}. */
    public static final int STEPS = 24;
    public static final int EVERY = 12;

    /** A tiny 16 px U-Net on the procedural dataset; trains in a few seconds on CPU. */
    public static final List<String> TINY = List.of(
            "data.resolution=16", "data.workers=1",
            "model.model_channels=16", "model.channel_mult=1,2", "model.num_res_blocks=1",
            "model.attention_resolutions=2", "model.num_heads=2", "model.norm_groups=8",
            "optim.batch_size=8", "optim.steps=" + STEPS, "optim.warmup_steps=3", "optim.ema_decay=0.9",
            "logging.log_every=1", "logging.checkpoint_every=" + EVERY, "logging.sample_every=" + EVERY,
            "logging.keep_checkpoints=2", "sampling.n=4", "sampling.steps=8", "device=cpu");

    private static Path trained;

    private StudioFixture() {}

    public static RunConfig tinyConfig(String... more) {
        List<String> o = new ArrayList<>(TINY);
        o.addAll(List.of(more));
        return ConfigResolver.resolve(Presets.classpath(), "quickstart", o);
    }

    /** A workspace (made once per test JVM) with {@link #RUN} trained for {@link #STEPS} steps. */
    public static synchronized Path trainedWorkspace() {
        if (trained == null) {
            try {
                Path root = Files.createTempDirectory("ldm-studio-ui-");
                Workspace ws = new Workspace(root);
                Run run = ws.create(RUN, tinyConfig().withPreset("quickstart"));
                TrainingService.Job job = new TrainingService().start(run, Devices.resolve("cpu"), 0, List.of());
                if (job.await() != Trainer.Outcome.FINISHED) {
                    throw new IllegalStateException("fixture training failed: " + job.failure());
                }
                trained = root;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }
        return trained;
    }

    /** A fresh, empty workspace. */
    public static Path emptyWorkspace() throws IOException {
        return Files.createTempDirectory("ldm-studio-empty-");
    }

    /** A studio over {@code root} on the CPU with a real background pool. */
    public static Studio studio(Path root) {
        return new Studio(new Workspace(root), Presets.standard(), new FxBackground(2), "cpu");
    }

    /** A studio whose background work runs in line (for view-model tests without threads). */
    public static Studio directStudio(Path root) {
        return new Studio(new Workspace(root), Presets.standard(), Background.direct(), "cpu");
    }

    /**
     * Shows {@code window} as the studio does: a 1400×900 scene with the stylesheet and the shortcuts.
     * Call from a TestFX {@code @Start} method; returns the scene.
     */
    public static Scene show(javafx.stage.Stage stage, MainWindow window) {
        Scene scene = new Scene(window.view(), 1400, 900);
        scene.getStylesheets().add(StudioStyle.stylesheet());
        window.installShortcuts(scene);
        stage.setScene(scene);
        stage.show();
        return scene;
    }

    /** Shows one pane alone at the size of the main window's pane area (1100×860), styled. */
    public static Scene show(javafx.stage.Stage stage, StudioPane pane) {
        Scene scene = new Scene((javafx.scene.Parent) pane.view(), 1100, 860);
        scene.getStylesheets().add(StudioStyle.stylesheet());
        stage.setScene(scene);
        stage.show();
        return scene;
    }

    /** Where screenshots go: {@code -Dldm.screenshots.dir}, else target/screenshots. */
    public static Path screenshotsDir() {
        String dir = System.getProperty("ldm.screenshots.dir");
        return Path.of(dir == null || dir.isBlank() || dir.startsWith("${") ? "target/screenshots" : dir);
    }

    /**
     * Renders {@code scene} to {@code <screenshots>/<name>.png} (call on the FX thread) and returns the
     * file.
     */
    public static Path screenshot(Scene scene, String name) {
        WritableImage img = scene.snapshot(null);
        return write(img, name);
    }

    /**
     * Renders {@code scene} with an open popup (a context menu, which a scene snapshot leaves out)
     * drawn at its place (call on the FX thread).
     */
    public static Path screenshot(Scene scene, javafx.stage.PopupWindow popup, String name) {
        java.awt.image.BufferedImage base = javafx.embed.swing.SwingFXUtils.fromFXImage(scene.snapshot(null), null);
        java.awt.image.BufferedImage menu = javafx.embed.swing.SwingFXUtils.fromFXImage(
                popup.getScene().getRoot().snapshot(null, null), null);
        java.awt.Graphics2D g = base.createGraphics();
        double x = popup.getX() - scene.getWindow().getX() - scene.getX();
        double y = popup.getY() - scene.getWindow().getY() - scene.getY();
        g.drawImage(menu, (int) Math.round(x), (int) Math.round(y), null);
        g.dispose();
        return write(javafx.embed.swing.SwingFXUtils.toFXImage(base, null), name);
    }

    /** Renders one node (call on the FX thread). */
    public static Path screenshot(Node node, String name) {
        WritableImage img = node.snapshot(null, null);
        return write(img, name);
    }

    private static Path write(WritableImage img, String name) {
        try {
            Path dir = screenshotsDir();
            Files.createDirectories(dir);
            Path file = dir.resolve(name + ".png");
            ImageIO.write(javafx.embed.swing.SwingFXUtils.fromFXImage(img, null), "png", file.toFile());
            return file;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Runs {@code r} on the FX thread and waits for it. */
    public static void onFx(Runnable r) {
        if (Platform.isFxApplicationThread()) {
            r.run();
            return;
        }
        java.util.concurrent.CompletableFuture<Void> f = new java.util.concurrent.CompletableFuture<>();
        Platform.runLater(() -> {
            try {
                r.run();
                f.complete(null);
            } catch (Throwable t) {
                f.completeExceptionally(t);
            }
        });
        f.join();
    }
}

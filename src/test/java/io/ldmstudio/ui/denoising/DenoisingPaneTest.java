package io.ldmstudio.ui.denoising;

import io.ldmstudio.config.SamplerKind;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.diffusion.Trajectory;
import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioFixture;
import io.ldmstudio.ui.common.PixelView;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javafx.scene.Scene;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.Slider;
import javafx.scene.image.Image;
import javafx.scene.input.KeyCode;
import javafx.stage.Stage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/** The Denoising pane on the fixture's trained 16 px run: generating, scrubbing, cancelling, exporting. */
@ExtendWith(ApplicationExtension.class)
class DenoisingPaneTest {
    static final int N_IMAGES = 4;

    Studio studio;
    DenoisingPane pane;
    DenoisingViewModel vm;
    Scene scene;

    @TempDir
    Path tmp;

    @Start
    void start(Stage stage) {
        studio = StudioFixture.studio(StudioFixture.trainedWorkspace());
        pane = new DenoisingPane(studio);
        vm = pane.model();
        scene = StudioFixture.show(stage, pane);
        studio.refreshRuns();
    }

    void awaitRun() throws Exception {
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> vm.checkpointProperty().get() != null);
        assertEquals(StudioFixture.RUN, vm.runNameProperty().get());
        assertEquals(StudioFixture.STEPS, vm.checkpointProperty().get().step(), "newest checkpoint preselected");
        assertEquals(2, vm.checkpoints().size());
    }

    void settings(SamplerKind sampler, int steps) {
        StudioFixture.onFx(() -> {
            vm.samplerProperty().set(sampler);
            vm.stepsProperty().set(steps);
            vm.etaProperty().set(0);
            vm.seedProperty().set(7);
            vm.imagesProperty().set(N_IMAGES);
        });
    }

    /**
     * Presses Generate (fired rather than clicked: in the full suite other tests' windows may share
     * the headless screen) and waits until the new trajectory is sampled.
     */
    void generate(FxRobot robot) throws Exception {
        Button button = robot.lookup("#denoise-generate").queryButton();
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> !button.isDisabled());
        Generation before = vm.primaryProperty().get();
        StudioFixture.onFx(button::fire);
        try {
            WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> vm.primaryProperty().get() != before
                    || studio.messageProperty().get() != null && studio.messageProperty().get().error());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("Generate did not start; running " + vm.runningProperty().get() + ", settings "
                    + vm.settingsErrorProperty().get() + ", message " + studio.messageProperty().get(), e);
        }
        WaitForAsyncUtils.waitFor(120, TimeUnit.SECONDS, () -> !vm.runningProperty().get());
        WaitForAsyncUtils.waitForFxEvents();
        Studio.Message m = studio.messageProperty().get();
        assertTrue(m != null && !m.error() && m.text().startsWith("Generated"), "message " + m);
    }

    /** Moves the scrubber and waits until the pictures of that step are on screen. */
    void scrubTo(int i) throws Exception {
        StudioFixture.onFx(() -> vm.indexProperty().set(i));
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> vm.shownIndexProperty().get() == i);
        WaitForAsyncUtils.waitForFxEvents();
    }

    static int[] pixels(Image img) {
        int w = (int) img.getWidth();
        int h = (int) img.getHeight();
        int[] px = new int[w * h];
        img.getPixelReader().getPixels(0, 0, w, h, javafx.scene.image.PixelFormat.getIntArgbInstance(), px, 0, w);
        return px;
    }

    @Test
    void generatingFillsTheTrajectoryAndTheScrubberShowsEveryStep(FxRobot robot) throws Exception {
        awaitRun();
        settings(SamplerKind.DDIM, 8);
        generate(robot);
        Generation g = vm.primaryProperty().get();
        assertEquals(8, g.size());
        assertEquals(8, vm.frameCountProperty().get());
        Slider slider = robot.lookup("#denoise-slider").queryAs(Slider.class);
        assertEquals(7, slider.getMax());
        Trajectory.Step s0 = g.trajectory().get(0);
        assertEquals(N_IMAGES * 3 * 16 * 16, s0.xt().length);

        StudioFixture.onFx(() -> slider.setValue(0));
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> vm.shownIndexProperty().get() == 0);
        WaitForAsyncUtils.waitForFxEvents();
        PixelView xtView = pane.denoisingView().frameView(0, FrameKind.XT);
        PixelView x0View = pane.denoisingView().frameView(0, FrameKind.X0);
        int[] xtFirst = pixels(xtView.getImage());
        int[] x0First = pixels(x0View.getImage());
        assertEquals("step 0/8 · t = " + g.t(0), robot.lookup("#denoise-step-label").queryAs(Label.class).getText());
        // 4 images of 16 px tiled 2×2 with a 1 px gap, shown at a whole-number magnification
        assertEquals(33, xtView.getImage().getWidth());
        assertTrue(xtView.scale() >= 3 && xtView.scale() == Math.floor(xtView.scale()), "scale " + xtView.scale());

        StudioFixture.onFx(() -> slider.setValue(7));
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> vm.shownIndexProperty().get() == 7);
        WaitForAsyncUtils.waitForFxEvents();
        int[] xtLast = pixels(xtView.getImage());
        assertFalse(java.util.Arrays.equals(xtFirst, xtLast), "x_t at step 7 differs from pure noise at step 0");
        assertFalse(java.util.Arrays.equals(x0First, pixels(x0View.getImage())), "x̂0 changes along the trajectory");
        assertEquals("step 7/8 · t = " + g.t(7), robot.lookup("#denoise-step-label").queryAs(Label.class).getText());
        assertTrue(g.t(0) > g.t(7), "timesteps descend: " + g.t(0) + " then " + g.t(7));

        // the last x̂0 is the final sample (DDIM ends with ᾱ = 1)
        float[] lastX0 = g.trajectory().get(7).predX0();
        List<float[]> samples = g.result().images();
        assertEquals(N_IMAGES, samples.size());
        for (int k = 0; k < N_IMAGES; k++) {
            float[] img = samples.get(k);
            for (int i = 0; i < img.length; i++) {
                assertEquals(img[i], lastX0[k * img.length + i], 1e-6f, "image " + k + " value " + i);
            }
        }

        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> vm.stripPreviewProperty().get() != null);
        WaitForAsyncUtils.waitForFxEvents();
        StudioFixture.onFx(() -> StudioFixture.screenshot(scene, "denoising-single"));

        // arrow keys step the scrubber
        robot.clickOn("#denoise-slider");
        StudioFixture.onFx(() -> vm.indexProperty().set(3));
        robot.press(KeyCode.RIGHT).release(KeyCode.RIGHT);
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals(4, vm.indexProperty().get());
        robot.press(KeyCode.LEFT).release(KeyCode.LEFT);
        robot.press(KeyCode.LEFT).release(KeyCode.LEFT);
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals(2, vm.indexProperty().get());
        assertEquals(2, (int) slider.getValue());
        robot.press(KeyCode.END).release(KeyCode.END);
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals(7, vm.indexProperty().get());
    }

    @Test
    void etaIsOnlyForDdimAndTheComparisonScrubberMovesByFraction(FxRobot robot) throws Exception {
        awaitRun();
        assertTrue(robot.lookup("#denoise-empty").query().isVisible(), "the empty pane says what to do");
        javafx.scene.Node eta = robot.lookup("#denoise-eta").query();
        javafx.scene.Node eta2 = robot.lookup("#denoise-eta2").query();
        settings(SamplerKind.DDPM, 6);
        WaitForAsyncUtils.waitForFxEvents();
        assertTrue(eta.isDisabled(), "η is DDIM's");
        settings(SamplerKind.DDIM, 6);
        WaitForAsyncUtils.waitForFxEvents();
        assertFalse(eta.isDisabled());
        StudioFixture.onFx(() -> {
            vm.compareProperty().set(true);
            vm.sampler2Property().set(SamplerKind.DPMPP);
            vm.steps2Property().set(12);
        });
        WaitForAsyncUtils.waitForFxEvents();
        assertTrue(eta2.isDisabled());
        StudioFixture.onFx(() -> vm.sampler2Property().set(SamplerKind.DDIM));
        WaitForAsyncUtils.waitForFxEvents();
        assertFalse(eta2.isDisabled());
        StudioFixture.onFx(() -> vm.sampler2Property().set(SamplerKind.DPMPP));
        generate(robot);
        assertFalse(robot.lookup("#denoise-empty").query().isVisible());
        assertEquals(12, vm.secondaryProperty().get().size());

        scrubTo(3);
        assertEquals(7, vm.secondaryIndexProperty().get(), "3/5 of the way through 12 steps is step 7 (6.6 rounded)");
        Slider slider2 = robot.lookup("#denoise-slider2").queryAs(Slider.class);
        assertEquals(7, (int) slider2.getValue());
        assertEquals(11, slider2.getMax());
        assertEquals(vm.stepLabel2Property().get(), robot.lookup("#denoise-step-label2").queryAs(Label.class).getText());
        // dragging the comparison's scrubber moves both
        StudioFixture.onFx(() -> vm.scrubSecondary(11));
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals(5, vm.indexProperty().get());
        assertEquals(11, vm.secondaryIndexProperty().get());

        // playback advances the scrubber and wraps around
        StudioFixture.onFx(() -> {
            vm.fpsProperty().set(30);
            vm.togglePlay();
        });
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> vm.indexProperty().get() == 0);
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> vm.indexProperty().get() == 2);
        StudioFixture.onFx(vm::togglePlay);
        assertFalse(vm.playingProperty().get());
    }

    @Test
    void aRunWithoutACheckpointSaysSoAndCannotGenerate(FxRobot robot) throws Exception {
        Path root = StudioFixture.emptyWorkspace();
        new io.ldmstudio.runs.Workspace(root).create("fresh", StudioFixture.tinyConfig());
        Studio other = StudioFixture.studio(root);
        DenoisingViewModel[] model = new DenoisingViewModel[1];
        StudioFixture.onFx(() -> {
            other.refreshRuns();
            model[0] = new DenoisingViewModel(other);
        });
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> model[0].settingsErrorProperty().get().contains("fresh"));
        assertEquals("run fresh has no checkpoint yet: train it first (Training pane)",
                model[0].settingsErrorProperty().get());
        assertTrue(model[0].checkpoints().isEmpty());
        StudioFixture.onFx(() -> {
            assertFalse(model[0].canGenerate().get());
            assertFalse(model[0].generate());
            model[0].dispose();
        });
        assertTrue(other.messageProperty().get().error());
    }

    @Test
    void ddimWithEtaZeroAndTheSameSeedGivesIdenticalFrames(FxRobot robot) throws Exception {
        awaitRun();
        settings(SamplerKind.DDIM, 6);
        generate(robot);
        Generation first = vm.primaryProperty().get();
        generate(robot);
        Generation second = vm.primaryProperty().get();
        assertTrue(first != second);
        assertEquals(6, second.size());
        for (int i = 0; i < 6; i++) {
            Trajectory.Step a = first.trajectory().get(i);
            Trajectory.Step b = second.trajectory().get(i);
            assertEquals(a.t(), b.t());
            assertArrayEquals(a.xt(), b.xt(), "x_t of step " + i);
            assertArrayEquals(a.predX0(), b.predX0(), "x̂0 of step " + i);
            assertArrayEquals(a.predEps(), b.predEps(), "ε̂ of step " + i);
        }
        // and another seed does not
        StudioFixture.onFx(() -> vm.seedProperty().set(8));
        generate(robot);
        assertFalse(java.util.Arrays.equals(first.trajectory().get(0).xt(), vm.primaryProperty().get().trajectory().get(0).xt()));
    }

    @Test
    void cancelStopsALongGenerationAndLeavesThePaneUsable(FxRobot robot) throws Exception {
        awaitRun();
        settings(SamplerKind.DDPM, 1000);
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> !robot.lookup("#denoise-generate").queryButton().isDisabled());
        robot.clickOn("#denoise-generate");
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> vm.frameCountProperty().get() >= 3);
        assertTrue(vm.runningProperty().get());
        assertFalse(robot.lookup("#denoise-cancel").queryButton().isDisabled());
        assertTrue(robot.lookup("#denoise-generate").queryButton().isDisabled(), "no second generation while one runs");
        // the scrubber follows the newest step while sampling
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> vm.shownIndexProperty().get() >= 1);
        robot.clickOn("#denoise-cancel");
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> !vm.runningProperty().get());
        WaitForAsyncUtils.waitForFxEvents();
        Generation g = vm.primaryProperty().get();
        assertTrue(g.size() < 1000, "stopped early: " + g.size());
        assertTrue(g.result() == null);
        Studio.Message m = studio.messageProperty().get();
        assertTrue(m != null && !m.error() && m.text().startsWith("Cancelled at step " + g.size() + " of 1000"), "" + m);
        assertEquals(g.size(), vm.frameCountProperty().get());
        // the steps so far can be scrubbed, and the pane generates again
        scrubTo(0);
        assertNotNull(pane.denoisingView().frameView(0, FrameKind.X0).getImage());
        settings(SamplerKind.DPMPP, 5);
        generate(robot);
        assertEquals(5, vm.primaryProperty().get().size());
        assertTrue(vm.primaryProperty().get().complete());
    }

    @Test
    void theStripHasExactlyTheSizeOfItsStepsAndScale(FxRobot robot) throws Exception {
        awaitRun();
        settings(SamplerKind.DDIM, 8);
        generate(robot);
        robot.clickOn("#denoise-export-steps").eraseText(20).write("0,3,7");
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals("", vm.exportStepsErrorProperty().get());
        StudioFixture.onFx(() -> {
            vm.scaleProperty().set(4);
            vm.rowXtProperty().set(true);
            vm.rowX0Property().set(true);
            vm.rowEpsProperty().set(false);
            vm.rowLabelsProperty().set(false);
        });
        Path file = tmp.resolve("strip.png");
        StudioFixture.onFx(() -> assertTrue(vm.exportStrip(file)));
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> file.equals(vm.lastExportProperty().get()));
        BufferedImage img = ImageIO.read(file.toFile());
        // frame: 2×2 images of 16 px + 1 px gap = 33 px, ×4 = 132; padding 16, gap 10; captions: 4 + 2 lines
        // of ⌈1.4 × 24⌉ = 34 (labels are 6 px per unit of scale)
        int frame = 33 * 4;
        assertEquals(24, FigureComposer.Style.defaults(4).fontSize());
        assertEquals(2 * 16 + 3 * frame + 2 * 10, img.getWidth());
        assertEquals(2 * 16 + 2 * (frame + 4 + 2 * 34) + 10, img.getHeight());
        assertEquals(0xFFFFFF, img.getRGB(0, 0) & 0xFFFFFF, "white background");
        assertTrue(studio.messageProperty().get().text().contains(file.toString()), "message names the file");
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(file), left.toList(), "no temporary files left behind");
        }

        // with row labels the figure grows by the label column
        StudioFixture.onFx(() -> vm.rowLabelsProperty().set(true));
        Path labelled = tmp.resolve("labelled.png");
        StudioFixture.onFx(() -> assertTrue(vm.exportStrip(labelled)));
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> labelled.equals(vm.lastExportProperty().get()));
        FigureComposer.Style st = FigureComposer.Style.defaults(4);
        int labels = Math.max(FigureComposer.textWidth(FrameKind.XT.figureLabel(), st),
                FigureComposer.textWidth(FrameKind.X0.figureLabel(), st));
        assertEquals(2 * 16 + labels + 10 + 3 * frame + 2 * 10, ImageIO.read(labelled.toFile()).getWidth());
    }

    @Test
    void aBadStepListIsNamedAtTheFieldAndBlocksTheStrip(FxRobot robot) throws Exception {
        awaitRun();
        settings(SamplerKind.DDIM, 8);
        generate(robot);
        robot.clickOn("#denoise-export-steps").eraseText(20).write("0,x,99999");
        WaitForAsyncUtils.waitForFxEvents();
        Label error = robot.lookup("#denoise-export-steps-error").queryAs(Label.class);
        assertTrue(error.isVisible());
        assertTrue(error.getText().contains("\"x\"") && error.getText().contains("not a step number"), error.getText());
        Button strip = robot.lookup("#denoise-export-strip").queryButton();
        assertTrue(strip.isDisabled());
        Path file = tmp.resolve("never.png");
        StudioFixture.onFx(() -> assertFalse(vm.exportStrip(file)));
        WaitForAsyncUtils.waitForFxEvents();
        assertFalse(Files.exists(file));

        robot.clickOn("#denoise-export-steps").eraseText(20).write("0,99999");
        WaitForAsyncUtils.waitForFxEvents();
        assertTrue(error.getText().contains("99999") && error.getText().contains("0–7"), error.getText());
        robot.clickOn("#denoise-export-steps").eraseText(20).write("every 3");
        WaitForAsyncUtils.waitForFxEvents();
        assertFalse(error.isVisible());
        assertFalse(strip.isDisabled());
    }

    @Test
    void theGifHasOneFrameAStepAndLoops(FxRobot robot) throws Exception {
        awaitRun();
        settings(SamplerKind.DDIM, 8);
        generate(robot);
        StudioFixture.onFx(() -> vm.fpsProperty().set(10));
        Path file = tmp.resolve("trajectory.gif");
        StudioFixture.onFx(() -> assertTrue(vm.exportGif(file)));
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> file.equals(vm.lastExportProperty().get()));
        Iterator<ImageReader> readers = ImageIO.getImageReadersByFormatName("gif");
        ImageReader reader = readers.next();
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            reader.setInput(in);
            assertEquals(8, reader.getNumImages(true));
            int w = reader.getWidth(0);
            for (int i = 0; i < 8; i++) {
                assertEquals(w, reader.getWidth(i), "every frame the same size");
                IIOMetadataNode root = (IIOMetadataNode) reader.getImageMetadata(i).getAsTree("javax_imageio_gif_image_1.0");
                IIOMetadataNode gce = (IIOMetadataNode) root.getElementsByTagName("GraphicControlExtension").item(0);
                assertEquals(i == 7 ? "150" : "10", gce.getAttribute("delayTime"), "delay of frame " + i);
                if (i == 0) {
                    IIOMetadataNode app = (IIOMetadataNode) root.getElementsByTagName("ApplicationExtension").item(0);
                    assertEquals("NETSCAPE", app.getAttribute("applicationID"));
                    assertArrayEquals(new byte[] {1, 0, 0}, (byte[]) app.getUserObject(), "loop forever");
                }
            }
            // 2 rows ticked by default (x_t and x̂0) side by side at scale 4
            assertTrue(w >= 2 * 16 + 2 * 132 + 10, "width " + w);
        } finally {
            reader.dispose();
        }
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(1, left.count(), "no temporary files left behind");
        }
    }

    @Test
    void rawFramesAreOnePngPerStepAndKind(FxRobot robot) throws Exception {
        awaitRun();
        settings(SamplerKind.DDIM, 8);
        generate(robot);
        StudioFixture.onFx(() -> assertTrue(vm.exportFrames(tmp)));
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> vm.lastExportProperty().get() != null);
        Path dir = vm.lastExportProperty().get();
        assertEquals(tmp.resolve(StudioFixture.RUN + "-ddim-8-seed7-frames"), dir);
        List<String> names = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir)) {
            files.forEach(p -> names.add(p.getFileName().toString()));
        }
        assertEquals(8 * 3, names.size());
        Generation g = vm.primaryProperty().get();
        assertTrue(names.contains(String.format("x0-0007-t%04d.png", g.t(7))), names.toString());
        assertTrue(names.contains(String.format("eps-0000-t%04d.png", g.t(0))), names.toString());
        BufferedImage x0 = ImageIO.read(dir.resolve(String.format("x0-0007-t%04d.png", g.t(7))).toFile());
        assertEquals(33, x0.getWidth());
        // a second export goes next to it rather than over it
        StudioFixture.onFx(() -> assertTrue(vm.exportFrames(tmp)));
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> !dir.equals(vm.lastExportProperty().get()));
        assertEquals(tmp.resolve(StudioFixture.RUN + "-ddim-8-seed7-frames-2"), vm.lastExportProperty().get());
    }

    @Test
    void screenshotWithACompareTrajectoryAndAnExportedStrip(FxRobot robot) throws Exception {
        awaitRun();
        settings(SamplerKind.DDIM, 10);
        StudioFixture.onFx(() -> {
            vm.compareProperty().set(true);
            vm.sampler2Property().set(SamplerKind.DDPM);
            vm.steps2Property().set(40);
        });
        generate(robot);
        Generation a = vm.primaryProperty().get();
        Generation b = vm.secondaryProperty().get();
        assertEquals(10, a.size());
        assertEquals(40, b.size());
        assertEquals(a.trajectory().get(0).xt()[0], b.trajectory().get(0).xt()[0], "the same seed gives the same x_T");
        scrubTo(5);
        // the second row sits at the same fraction of its trajectory: 5/9 of 39 → 22
        assertEquals(22, vm.secondaryStep(5));
        assertEquals("step 22/40 · t = " + b.t(22), vm.stepLabel2Property().get());
        assertEquals("step 22/40\nt = " + b.t(22), robot.lookup("#denoise-row-step-1").queryAs(Label.class).getText());
        assertEquals("DDPM", robot.lookup("#denoise-row-title-1").queryAs(Label.class).getText());
        assertNotNull(pane.denoisingView().frameView(1, FrameKind.EPS).getImage());
        StudioFixture.onFx(() -> vm.exportStepsProperty().set("0,2,4,6,9"));
        // the preview shows the strip as it will be written
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> vm.stripPreviewProperty().get() != null
                && vm.stripPreviewTextProperty().get().contains("0, 2, 4, 6, 9"));
        WaitForAsyncUtils.waitForFxEvents();
        Path[] shot = new Path[1];
        StudioFixture.onFx(() -> shot[0] = StudioFixture.screenshot(scene, "denoising"));
        BufferedImage img = ImageIO.read(shot[0].toFile());
        assertEquals(1100, img.getWidth());
        assertEquals(860, img.getHeight());

        StudioFixture.onFx(() -> vm.rowEpsProperty().set(true));
        Path strip = StudioFixture.screenshotsDir().toAbsolutePath().resolve("denoising-strip.png");
        StudioFixture.onFx(() -> assertTrue(vm.exportStrip(strip)));
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> strip.equals(vm.lastExportProperty().get()));
        BufferedImage s = ImageIO.read(strip.toFile());
        // two trajectories × three kinds, five columns
        FigureComposer.Layout l = FigureComposer.layout(Exports.strip(a, b, List.of(0, 2, 4, 6, 9),
                List.of(FrameKind.XT, FrameKind.X0, FrameKind.EPS)), FigureComposer.Style.defaults(4));
        assertEquals(6, l.rows());
        assertEquals(5, l.columns());
        assertEquals(l.width(), s.getWidth());
        assertEquals(l.height(), s.getHeight());
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> vm.stripPreviewProperty().get() != null
                && vm.stripPreviewProperty().get().getHeight() == s.getHeight());
        assertEquals(s.getWidth(), (int) vm.stripPreviewProperty().get().getWidth());
        assertEquals(s.getHeight(), (int) vm.stripPreviewProperty().get().getHeight());

        // and the animation beside it, for review
        Path gif = StudioFixture.screenshotsDir().toAbsolutePath().resolve("denoising-trajectory.gif");
        StudioFixture.onFx(() -> assertTrue(vm.exportGif(gif)));
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> gif.equals(vm.lastExportProperty().get()));
        assertTrue(Files.size(gif) > 10_000);
    }
}

package io.ldmstudio.ui.denoising;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.config.SamplerKind;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.pipeline.Pipeline;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.service.SamplingService;
import io.ldmstudio.training.Trainer;
import io.ldmstudio.training.TrainingControl;
import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioFixture;
import io.ldmstudio.ui.training.TrainingTestSupport;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javafx.scene.Node;
import javafx.scene.Scene;
import javafx.scene.control.Button;
import javafx.stage.Stage;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/**
 * Class conditioning on the Denoising pane, on a tiny class-conditional run of the procedural shapes (5 classes:
 * disc, square, triangle, ring, stripes): the class box, guidance w and φ, one row per class, and the guidance
 * sweep — each giving the images {@link SamplingService} (what `sample --class` runs) gives, bit for bit — and an
 * unconditional run beside it, which shows none of it.
 */
@ExtendWith(ApplicationExtension.class)
class DenoisingClassTest {
    static final List<String> SHAPES = List.of("disc", "square", "triangle", "ring", "stripes");
    static final Devices.DeviceInfo CPU = Devices.resolve("cpu");
    static Path root;

    Studio studio;
    DenoisingPane pane;
    DenoisingViewModel vm;
    Scene scene;

    @BeforeAll
    static void train() throws Exception {
        root = StudioFixture.emptyWorkspace();
        Workspace ws = new Workspace(root);
        for (String name : List.of("cond", "plain")) {
            Run run = ws.create(name, name.equals("cond")
                    ? StudioFixture.tinyConfig("conditioning.type=class", "conditioning.guidance=2.5", "optim.steps=4",
                            "logging.sample_every=4", "logging.checkpoint_every=4")
                    : StudioFixture.tinyConfig("optim.steps=2", "logging.sample_every=2", "logging.checkpoint_every=2"));
            Trainer trainer = new Trainer(run, CPU);
            assertEquals(Trainer.Outcome.FINISHED, trainer.run(new TrainingControl()), trainer.failure());
        }
    }

    @Start
    void start(Stage stage) {
        studio = StudioFixture.studio(root);
        pane = new DenoisingPane(studio);
        vm = pane.model();
        scene = StudioFixture.show(stage, pane);
        studio.refreshRuns();
    }

    Run run(String name) throws Exception {
        return new Workspace(root).open(name);
    }

    void choose(String name) throws Exception {
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> vm.runNames().contains(name));
        StudioFixture.onFx(() -> vm.runNameProperty().set(name));
        long newest = name.equals("cond") ? 4 : 2; // its own checkpoint, not the previous run's
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> vm.checkpointProperty().get() != null
                && vm.checkpointProperty().get().step() == newest
                && vm.classesProperty().get() == (name.equals("cond") ? 5 : 0)
                && TrainingTestSupport.fx(() -> vm.canGenerate().get() || !vm.settingsErrorProperty().get().isEmpty()));
    }

    void settings(String classes, double w, int images) {
        StudioFixture.onFx(() -> {
            vm.samplerProperty().set(SamplerKind.DDIM);
            vm.stepsProperty().set(3);
            vm.etaProperty().set(0);
            vm.seedProperty().set(3);
            vm.imagesProperty().set(images);
            vm.classTextProperty().set(classes);
            vm.guidanceProperty().set(w);
        });
    }

    void generate(FxRobot robot) throws Exception {
        Button button = robot.lookup("#denoise-generate").queryButton();
        try {
            WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> !button.isDisabled());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("Generate stays disabled: " + vm.settingsErrorProperty().get(), e);
        }
        Generation before = vm.primaryProperty().get();
        StudioFixture.onFx(button::fire);
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> vm.primaryProperty().get() != before
                || studio.messageProperty().get() != null && studio.messageProperty().get().error());
        WaitForAsyncUtils.waitFor(120, TimeUnit.SECONDS, () -> !vm.runningProperty().get());
        WaitForAsyncUtils.waitForFxEvents();
        Studio.Message m = studio.messageProperty().get();
        assertTrue(m != null && !m.error() && m.text().startsWith("Generated"), "message " + m);
    }

    /** What `sample cond --class … --guidance w --steps 3 --seed 3` samples (EMA weights of the newest checkpoint). */
    SamplingService.Result service(int[] labels, double w) throws Exception {
        return SamplingService.sample(run("cond"), new SamplingService.Request("ddim", 3, 0, 3, labels.length, true, 0,
                new Pipeline.Condition(labels, w, 0)), CPU, null, () -> false);
    }

    static void assertSameImages(SamplingService.Result want, Generation g) {
        assertEquals(want.images().size(), g.result().images().size());
        for (int i = 0; i < want.images().size(); i++) {
            assertArrayEquals(want.images().get(i), g.result().images().get(i), "image " + i);
        }
    }

    @Test
    void aClassAListAndOneRowPerClassGiveTheServicesImages(FxRobot robot) throws Exception {
        choose("cond");
        assertEquals(2.5, vm.guidanceProperty().get(), "the run's conditioning.guidance");
        assertEquals(0, vm.guidanceRescaleProperty().get());
        assertEquals(SHAPES, List.copyOf(vm.classNames()));
        assertTrue(shown(robot.lookup("#denoise-class").query()), "the class box shows for a class-conditional run");
        assertTrue(shown(robot.lookup("#denoise-guidance").query()));
        assertTrue(shown(robot.lookup("#denoise-sweep-scales").query()));

        // one class by name, at w = 2
        settings("ring", 2, 2);
        generate(robot);
        Generation g = vm.primaryProperty().get();
        assertArrayEquals(new int[] {3, 3}, g.settings().conditioning().choice().labels());
        assertSameImages(service(new int[] {3, 3}, 2), g);
        assertTrue(vm.resultSummaryProperty().get().contains("class ring"), vm.resultSummaryProperty().get());
        assertTrue(vm.exportStem().contains("-ring-w2-seed3"), vm.exportStem());
        // its strip names the class and w
        FigureComposer.Figure strip = Exports.strip(g, null, List.of(0, 2), List.of(FrameKind.X0));
        assertEquals("class ring · w = 2", strip.footer());
        // another w gives other images from the same x_T
        SamplingService.Result w1 = service(new int[] {3, 3}, 1);
        assertFalse(java.util.Arrays.equals(w1.images().get(0), g.result().images().get(0)), "w = 2 is not w = 1");

        // a list, cycled over the images, by label and name
        settings("3, disc", 2, 3);
        generate(robot);
        assertSameImages(service(new int[] {3, 0, 3}, 2), vm.primaryProperty().get());
        assertEquals("classes ring, disc", vm.primaryProperty().get().settings().conditioning().classLabel());

        // one row per class of 2 images each: 10 images in label order, rows named
        StudioFixture.onFx(() -> vm.guidanceRescaleProperty().set(0.5));
        settings(DenoisingViewModel.rowsPerClassText(), 2, 2);
        assertEquals("Per class", robot.lookup("#denoise-images-label").queryLabeled().getText());
        generate(robot);
        g = vm.primaryProperty().get();
        assertArrayEquals(new int[] {0, 0, 1, 1, 2, 2, 3, 3, 4, 4}, g.settings().conditioning().choice().labels());
        SamplingService.Result rows = SamplingService.sample(run("cond"), new SamplingService.Request("ddim", 3, 0, 3, 10,
                true, 0, new Pipeline.Condition(new int[] {0, 0, 1, 1, 2, 2, 3, 3, 4, 4}, 2, 0.5)), CPU, null, () -> false);
        assertSameImages(rows, g);
        // the pane's frame: a row of 2 images per class, 5 rows of 16 px with 1 px gaps
        BufferedImage frame = g.frame(2, FrameKind.X0);
        assertEquals(2 * 16 + 1, frame.getWidth());
        assertEquals(5 * 16 + 4, frame.getHeight());
        strip = Exports.strip(g, null, List.of(0, 2), List.of(FrameKind.X0));
        assertEquals(SHAPES, strip.rows().stream().map(FigureComposer.Row::label).toList(), "rows named, in label order");
        assertEquals(List.of("step 0\nt = " + g.t(0), "step 2\nt = " + g.t(2)), strip.columnHeaders());
        assertEquals("one row per class · w = 2 · φ = 0.5", strip.footer());
        // row 3 of the strip is class 3's images (6 and 7) at step 2
        assertArrayEquals(pixels(g.frameRow(2, FrameKind.X0, 6, 2)), pixels(strip.rows().get(3).cells().get(1).frame()));
        assertTrue(vm.exportStem().contains("-all-w2-phi0.5-"), vm.exportStem());
        assertEquals("rows: disc, square, triangle, ring, stripes",
                robot.lookup("#denoise-row-classes-0").queryLabeled().getText(), "the pane names the rows");
        Path file = root.resolve("classes-strip.png");
        StudioFixture.onFx(() -> vm.exportStrip(file));
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> Files.exists(file) && !vm.exportingProperty().get());
        assertNotNull(ImageIO.read(file.toFile()));
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> vm.stripPreviewTextProperty().get().startsWith("Strip"));
        StudioFixture.onFx(() -> StudioFixture.screenshot(scene, "denoising-class"));

        // typed into the class box, a class counts once the box is left (or on Enter)
        @SuppressWarnings("unchecked")
        javafx.scene.control.ComboBox<String> box = robot.lookup("#denoise-class").queryAs(javafx.scene.control.ComboBox.class);
        StudioFixture.onFx(() -> {
            box.requestFocus();
            box.getEditor().setText("stripes");
        });
        WaitForAsyncUtils.waitForFxEvents();
        StudioFixture.onFx(() -> robot.lookup("#denoise-seed").query().requestFocus());
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals("stripes", vm.classTextProperty().get());

        // compared with a second sampler: the same classes and w, rows named under each sampler's title
        StudioFixture.onFx(() -> {
            vm.guidanceRescaleProperty().set(0);
            vm.compareProperty().set(true);
            vm.sampler2Property().set(SamplerKind.DDPM);
            vm.steps2Property().set(4);
        });
        settings(DenoisingViewModel.rowsPerClassText(), 2, 1);
        generate(robot);
        Generation b = vm.secondaryProperty().get();
        assertNotNull(b);
        SamplingService.Result ddpm = SamplingService.sample(run("cond"), new SamplingService.Request("ddpm", 4, 0, 3, 5,
                true, 0, new Pipeline.Condition(new int[] {0, 1, 2, 3, 4}, 2, 0)), CPU, null, () -> false);
        assertSameImages(ddpm, b);
        FigureComposer.Figure both = Exports.strip(vm.primaryProperty().get(), b, List.of(0, 2), List.of(FrameKind.X0));
        assertEquals(10, both.rows().size());
        assertEquals("DDPM · 4 steps · w = 2\nx\u0302_0 · stripes", both.rows().get(9).label());
        StudioFixture.onFx(() -> vm.compareProperty().set(false));

        // a class the run does not have is refused, naming it and what was expected
        StudioFixture.onFx(() -> vm.classTextProperty().set("ring, hexagon"));
        String error = vm.settingsErrorProperty().get();
        assertTrue(error.contains("hexagon") && error.contains("disc, square, triangle, ring, stripes"), error);
        assertFalse(TrainingTestSupport.fx(() -> vm.canGenerate().get()));
        StudioFixture.onFx(() -> vm.classTextProperty().set("7"));
        assertTrue(vm.settingsErrorProperty().get().contains("classes 0..4"), vm.settingsErrorProperty().get());
        StudioFixture.onFx(() -> {
            vm.classTextProperty().set("square");
            vm.guidanceRescaleProperty().set(1.5);
        });
        assertTrue(vm.settingsErrorProperty().get().contains("rescale"), vm.settingsErrorProperty().get());
        StudioFixture.onFx(() -> vm.guidanceRescaleProperty().set(0));
        assertEquals("", vm.settingsErrorProperty().get());
    }

    @Test
    void aGuidanceSweepSamplesTheSameXtAtEachScaleScrubbedAndExportedTogether(FxRobot robot) throws Exception {
        choose("cond");
        settings(DenoisingViewModel.rowsPerClassText(), 2, 1);
        StudioFixture.onFx(() -> {
            vm.compareProperty().set(true);
            vm.sweepProperty().set(true);
            vm.sweepTextProperty().set("1, 4, 8");
        });
        assertFalse(vm.compareProperty().get(), "a sweep replaces the comparison");
        generate(robot);
        List<Generation> sweep = vm.sweepGenerationsProperty().get();
        assertEquals(3, sweep.size());
        assertEquals(vm.primaryProperty().get(), sweep.get(0));
        assertNull(vm.secondaryProperty().get());
        assertEquals(List.of(1.0, 4.0, 8.0), sweep.stream().map(g -> g.settings().conditioning().guidance()).toList());
        int[] labels = {0, 1, 2, 3, 4};
        assertSameImages(service(labels, 4), sweep.get(1));
        assertSameImages(service(labels, 8), sweep.get(2));
        assertFalse(java.util.Arrays.equals(sweep.get(0).result().images().get(3), sweep.get(1).result().images().get(3)),
                "w = 4 differs from w = 1");
        assertArrayEquals(sweep.get(0).trajectory().get(0).xt(), sweep.get(2).trajectory().get(0).xt(), "the same x_T");
        assertTrue(vm.exportStem().contains("-all-sweep-w1-4-8-seed3"), vm.exportStem());

        // scrubbed together: each column shows its own trajectory's x̂0 at the scrubbed step
        StudioFixture.onFx(() -> vm.indexProperty().set(1));
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> vm.shownIndexProperty().get() == 1
                && vm.sweepFrameProperty(2).get() != null);
        WaitForAsyncUtils.waitForFxEvents();
        for (int c = 0; c < 3; c++) {
            assertArrayEquals(pixels(sweep.get(c).frame(1, FrameKind.X0)), fxPixels(vm.sweepFrameProperty(c).get()),
                    "column " + c + " at step 1");
            assertTrue(pane.denoisingView().sweepView(c).isVisible());
        }
        assertNull(vm.sweepFrameProperty(3).get());
        StudioFixture.onFx(() -> vm.sweepKindProperty().set(FrameKind.XT)); // the columns show x_t instead
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> java.util.Arrays.equals(
                pixels(sweep.get(2).frame(1, FrameKind.XT)), fxPixels(vm.sweepFrameProperty(2).get())));
        StudioFixture.onFx(() -> vm.sweepKindProperty().set(FrameKind.X0));
        assertFalse(pane.denoisingView().sweepView(3).getParent().isVisible(), "no fourth column");

        // one labelled figure: a column per w, a row per class, at the scrubbed step
        StudioFixture.onFx(() -> vm.indexProperty().set(2));
        FigureComposer.Figure fig = Exports.sweep(sweep, 2, List.of(FrameKind.X0));
        assertEquals(List.of("w = 1", "w = 4", "w = 8"), fig.columnHeaders());
        assertEquals(SHAPES, fig.rows().stream().map(FigureComposer.Row::label).toList());
        assertTrue(fig.footer().contains("seed 3") && fig.footer().contains("step 2/3"), fig.footer());
        assertArrayEquals(pixels(sweep.get(1).frameRow(2, FrameKind.X0, 4, 1)), pixels(fig.rows().get(4).cells().get(1)
                .frame()), "stripes at w = 4");
        Path file = root.resolve("sweep.png");
        StudioFixture.onFx(() -> vm.exportSweep(file));
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> Files.exists(file) && !vm.exportingProperty().get());
        BufferedImage written = ImageIO.read(file.toFile());
        assertEquals(FigureComposer.layout(fig, FigureComposer.Style.defaults(4)).width(), written.getWidth());
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> vm.stripPreviewTextProperty().get().startsWith("Sweep"));
        // the GIF animates every scale side by side; the frames go a sub-folder per scale; a strip is of w = 1 alone
        Path gif = root.resolve("sweep.gif");
        StudioFixture.onFx(() -> vm.exportGif(gif));
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> Files.exists(gif) && !vm.exportingProperty().get());
        try (var in = ImageIO.createImageInputStream(gif.toFile())) {
            var reader = ImageIO.getImageReaders(in).next();
            reader.setInput(in);
            assertEquals(3, reader.getNumImages(true), "one frame per step");
            BufferedImage first = reader.read(0);
            assertEquals(written.getHeight(), first.getHeight(), "each frame the sweep figure");
            assertTrue(first.getWidth() >= written.getWidth(), "on a canvas as wide as the widest footer");
        }
        Path framesParent = root.resolve("frames-out");
        StudioFixture.onFx(() -> vm.exportFrames(framesParent));
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> vm.lastExportProperty().get() != null
                && vm.lastExportProperty().get().startsWith(framesParent) && !vm.exportingProperty().get());
        Path frames = vm.lastExportProperty().get();
        for (String w : List.of("w1", "w4", "w8")) {
            try (var files = Files.list(frames.resolve(w))) {
                assertEquals(3 * 3, files.count(), w + ": x_t, x̂0, ε̂ of 3 steps");
            }
        }
        assertTrue(vm.stripStem().contains("-all-w1-seed3"), vm.stripStem());
        StudioFixture.onFx(() -> StudioFixture.screenshot(scene, "denoising-class-sweep"));

        // the w = 1 column is a plain w = 1 generation
        StudioFixture.onFx(() -> vm.sweepProperty().set(false));
        settings(DenoisingViewModel.rowsPerClassText(), 1, 1);
        generate(robot);
        assertTrue(vm.sweepGenerationsProperty().get().isEmpty());
        assertSameImages(sweep.get(0).result(), vm.primaryProperty().get());
        assertSameImages(service(labels, 1), vm.primaryProperty().get());

        // a sweep list that is not one is refused, naming the fault
        StudioFixture.onFx(() -> {
            vm.sweepProperty().set(true);
            vm.sweepTextProperty().set("1, two");
        });
        assertTrue(vm.settingsErrorProperty().get().contains("two is not a number"), vm.settingsErrorProperty().get());
        assertEquals(List.of(1.0, 2.0, 4.5), SamplingSettings.parseScales(" 1,2 4.5 "));
        assertThrows(IllegalArgumentException.class, () -> SamplingSettings.parseScales("1, 1"));
        assertThrows(IllegalArgumentException.class, () -> SamplingSettings.parseScales("-1"));
        assertThrows(IllegalArgumentException.class, () -> SamplingSettings.parseScales(""));
    }

    @Test
    void anUnconditionalRunShowsNoClassControlsAndSamplesAsBefore(FxRobot robot) throws Exception {
        choose("plain");
        for (String id : List.of("#denoise-class", "#denoise-guidance", "#denoise-sweep", "#denoise-sweep-scales")) {
            assertFalse(shown(robot.lookup(id).query()), id + " hidden");
        }
        StudioFixture.onFx(() -> vm.sweepProperty().set(true)); // left ticked from another run: ignored here
        settings("ring", 2, 2);
        assertEquals("", vm.settingsErrorProperty().get(), "the class box is not read for an unconditional run");
        generate(robot);
        Generation g = vm.primaryProperty().get();
        assertNull(g.settings().conditioning());
        assertTrue(vm.sweepGenerationsProperty().get().isEmpty());
        assertEquals("DDIM · 3 steps · η 0", g.settings().title());
        SamplingService.Result plain = SamplingService.sample(run("plain"), new SamplingService.Request("ddim", 3, 0, 3, 2,
                true, 0), CPU, null, () -> false);
        assertSameImages(plain, g);
        assertTrue(vm.exportStem().endsWith("plain-ddim-3-seed3"), vm.exportStem());

        // the conditional run next: the controls show, w is its default again
        StudioFixture.onFx(() -> vm.guidanceProperty().set(7));
        choose("cond");
        assertTrue(shown(robot.lookup("#denoise-class").query()));
        assertTrue(shown(robot.lookup("#denoise-guidance").query()));
        assertEquals(2.5, vm.guidanceProperty().get());
    }

    /** Whether {@code n} and every parent of it are visible. */
    static boolean shown(Node n) {
        for (Node p = n; p != null; p = p.getParent()) {
            if (!p.isVisible()) {
                return false;
            }
        }
        return true;
    }

    /**
     * The run's diffusers export opened as a model (a UNet2DModel with num_class_embeds and id2label): the same class
     * controls, by default the run's guidance, which the export's weights name (as `sample` takes it for the folder),
     * and the run's images for the same classes.
     */
    @Test
    void aClassConditionalModelFolderTakesClassesAndGivesTheRunsImages(FxRobot robot) throws Exception {
        Path export = run("cond").exportsDir().resolve("diffusers");
        assertTrue(Files.isDirectory(export), "training exports the run: " + export);
        StudioFixture.onFx(() -> studio.openModel(export));
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> vm.sourceProperty().get() != null
                && vm.sourceProperty().get().model() != null && vm.classesProperty().get() == 5
                && TrainingTestSupport.fx(() -> vm.canGenerate().get()));
        assertEquals(SHAPES, List.copyOf(vm.classNames()), "the names from id2label");
        double w = run("cond").config().conditioning().guidance();
        assertTrue(w != 3.0, "the fixture's guidance differs from a foreign folder's default, 3");
        assertEquals(w, vm.guidanceProperty().get(), "a studio export's default w: its run's");
        assertTrue(shown(robot.lookup("#denoise-class").query()));
        settings("triangle", 2, 2);
        generate(robot);
        Generation g = vm.primaryProperty().get();
        Pipeline p = Pipeline.open(export);
        SamplingService.Result want = SamplingService.sample(p, SamplerKind.DDIM, 3, 0, 3, 2, null,
                new Pipeline.Condition(new int[] {2, 2}, 2, 0), CPU, null, () -> false, null);
        assertSameImages(want, g);
        assertSameImages(service(new int[] {2, 2}, 2), g);
        assertTrue(vm.exportStem().contains("-triangle-w2-"), vm.exportStem());
    }

    static int[] pixels(BufferedImage img) {
        return img.getRGB(0, 0, img.getWidth(), img.getHeight(), null, 0, img.getWidth());
    }

    static int[] fxPixels(javafx.scene.image.Image img) {
        return pixels(javafx.embed.swing.SwingFXUtils.fromFXImage(img, null));
    }
}

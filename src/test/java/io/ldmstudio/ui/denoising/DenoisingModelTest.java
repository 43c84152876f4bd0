package io.ldmstudio.ui.denoising;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.config.SamplerKind;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.pipeline.Pipeline;
import io.ldmstudio.service.ModelFixtures;
import io.ldmstudio.service.ModelInfo;
import io.ldmstudio.service.SamplingService;
import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioFixture;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javafx.scene.Node;
import javafx.scene.Scene;
import javafx.scene.control.Button;
import javafx.scene.control.TextField;
import javafx.stage.Stage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/**
 * The Denoising pane samples, scrubs and exports a model — a diffusers pipeline under the workspace's
 * {@code models/} — as it does a run: an LDMPipeline (VQModel, latents decoded, its latent scale settable)
 * and a flat DDPMPipeline in pixel space.
 */
@ExtendWith(ApplicationExtension.class)
class DenoisingModelTest {
    Path root;
    Studio studio;
    DenoisingViewModel vm;
    Scene scene;

    @Start
    void start(Stage stage) throws Exception {
        root = StudioFixture.emptyWorkspace();
        ModelFixtures.ldm(root.resolve("models").resolve("vq-ldm"));
        ModelFixtures.ddpm(root.resolve("models").resolve("ddpm-flat"));
        ModelFixtures.ddim(root.resolve("models").resolve("ddim"));
        studio = StudioFixture.studio(root);
        DenoisingPane pane = new DenoisingPane(studio);
        vm = pane.model();
        scene = StudioFixture.show(stage, pane);
        studio.refreshRuns();
    }

    /** Chooses the model called {@code name} in the sidebar and waits until the pane has opened it. */
    ModelInfo choose(String name) throws Exception {
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> studio.models().size() >= 3
                && studio.models().stream().anyMatch(x -> x.name().equals(name)));
        ModelInfo m = io.ldmstudio.ui.training.TrainingTestSupport.fx(() -> studio.models().stream().filter(x -> x.name().equals(name)).findFirst()
                .orElseThrow());
        StudioFixture.onFx(() -> studio.selectedModelProperty().set(m));
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> io.ldmstudio.ui.training.TrainingTestSupport.fx(() -> vm.canGenerate().get()));
        assertEquals(DenoisingViewModel.SourceChoice.of(m), vm.sourceProperty().get());
        assertEquals(null, vm.runNameProperty().get(), "no run is chosen while a model is");
        return m;
    }

    void generate(FxRobot robot, SamplerKind sampler, int steps, int n) throws Exception {
        generate0(robot, sampler, steps, n);
        Studio.Message m = studio.messageProperty().get();
        assertTrue(m.text().contains("from model"), "message " + m);
    }

    /** Generates from whatever is chosen, a run or a model. */
    void generate0(FxRobot robot, SamplerKind sampler, int steps, int n) throws Exception {
        StudioFixture.onFx(() -> {
            vm.samplerProperty().set(sampler);
            vm.stepsProperty().set(steps);
            vm.seedProperty().set(3);
            vm.imagesProperty().set(n);
        });
        Button button = robot.lookup("#denoise-generate").queryButton();
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> !button.isDisabled());
        Generation before = vm.primaryProperty().get();
        StudioFixture.onFx(button::fire);
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> vm.primaryProperty().get() != before
                || studio.messageProperty().get() != null && studio.messageProperty().get().error());
        WaitForAsyncUtils.waitFor(120, TimeUnit.SECONDS, () -> !vm.runningProperty().get());
        WaitForAsyncUtils.waitForFxEvents();
        Studio.Message m = studio.messageProperty().get();
        assertTrue(m != null && !m.error() && m.text().startsWith("Generated"), "message " + m);
    }

    @Test
    void aLatentModelIsSampledDecodedAndScrubbedWithTheLatentScaleItIsGiven(FxRobot robot) throws Exception {
        ModelInfo m = choose("vq-ldm");
        Pipeline p = Pipeline.open(m.dir());
        double configScale = p.latentScale().orElseThrow();
        assertEquals(configScale, vm.latentScaleProperty().get(), "the config's scale until another is set");
        assertEquals(SamplerKind.DDIM, vm.samplerProperty().get(), "the folder's own scheduler class");
        Node field = robot.lookup("#denoise-latent-scale").query();
        assertEquals(configScale, Double.parseDouble(((TextField) field).getText()), "shown in full, not rounded");
        assertEquals("from its config", vm.latentScaleNoteProperty().get());
        assertTrue(field.getParent().isVisible(), "the latent scale row is shown for a latent model");
        assertTrue(robot.lookup("#denoise-checkpoint").query().isDisabled(), "a model has no checkpoints");

        generate(robot, SamplerKind.DDIM, 3, 2);
        Generation g = vm.primaryProperty().get();
        assertEquals(3, g.size());
        assertTrue(g.geometry().latent());
        // the images the CLI gives from the same model and seed
        SamplingService.Result cli = SamplingService.sample(p, SamplerKind.DDIM, 3, 0, 3, 2, null, Devices.resolve("cpu"),
                null, () -> false);
        for (int i = 0; i < 2; i++) {
            assertArrayEquals(cli.images().get(i), g.result().images().get(i), "image " + i);
        }
        // x_t and x̂0 are decoded to the images' 16 px; ε̂ stays at the latents' 8 px, enlarged to the same frame
        assertEquals(16 * 16 * 3, g.values(0, FrameKind.XT).length / 2);
        assertEquals(8 * 8 * 3, g.values(0, FrameKind.EPS).length / 2);
        assertEquals(g.frameWidth(), g.frame(1, FrameKind.X0).getWidth());
        assertEquals(g.frameWidth(), g.frame(1, FrameKind.EPS).getWidth());
        StudioFixture.onFx(() -> vm.indexProperty().set(1));
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> vm.shownIndexProperty().get() == 1);
        assertEquals(root.resolve("exports"), vm.exportsDir(), "a model's figures go to the workspace's exports");
        assertTrue(vm.exportStem().startsWith("vq-ldm-ddim-3"), vm.exportStem());
        Path strip = root.resolve("exports").resolve("strip.png");
        StudioFixture.onFx(() -> vm.exportStrip(strip));
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> java.nio.file.Files.exists(strip) && !vm.exportingProperty().get());
        StudioFixture.onFx(() -> StudioFixture.screenshot(scene, "denoising-model"));

        // another latent scale: the same latents decode to other images, and the pane says what the config says
        StudioFixture.onFx(() -> {
            TextField t = (TextField) field;
            t.setText("1.0");
            t.getOnAction().handle(null);
        });
        assertEquals(1.0, vm.latentScaleProperty().get());
        assertTrue(vm.latentScaleNoteProperty().get().equals("config: " + SamplingSettings.fmt(configScale)), vm.latentScaleNoteProperty().get());
        generate(robot, SamplerKind.DDIM, 3, 2);
        SamplingService.Result scaled = SamplingService.sample(p.withLatentScale(1.0), SamplerKind.DDIM, 3, 0, 3, 2, null,
                Devices.resolve("cpu"), null, () -> false);
        assertArrayEquals(scaled.images().get(0), vm.primaryProperty().get().result().images().get(0));
        assertFalse(java.util.Arrays.equals(cli.images().get(0), scaled.images().get(0)));

        StudioFixture.onFx(() -> vm.latentScaleProperty().set(Double.NaN));
        assertTrue(vm.settingsErrorProperty().get().startsWith("latent scale"), vm.settingsErrorProperty().get());
        assertFalse(io.ldmstudio.ui.training.TrainingTestSupport.fx(() -> vm.canGenerate().get()));
    }

    @Test
    void aFlatPixelModelSamplesWithItsOwnSchedulerAndHasNoLatentScale(FxRobot robot) throws Exception {
        choose("ddpm-flat");
        assertEquals(SamplerKind.DDPM, vm.samplerProperty().get());
        assertFalse(robot.lookup("#denoise-latent-scale").query().getParent().isVisible(), "no latent scale in pixel space");
        generate(robot, SamplerKind.DDPM, 4, 1);
        Generation g = vm.primaryProperty().get();
        assertEquals(4, g.size());
        assertFalse(g.geometry().latent());
        assertTrue(vm.resultSummaryProperty().get().contains("model ddpm-flat"), vm.resultSummaryProperty().get());
        assertEquals(List.of("ddim", "ddpm-flat", "vq-ldm"), vm.sources().stream().map(DenoisingViewModel.SourceChoice::name)
                .sorted().toList());

        // a DDIMPipeline (subfolders) samples with DDIM, its own scheduler
        choose("ddim");
        assertEquals(SamplerKind.DDIM, vm.samplerProperty().get());
        generate(robot, SamplerKind.DDIM, 2, 1);
        assertEquals(2, vm.primaryProperty().get().size());
    }

    /**
     * A latent run's export — an LDMPipeline with the run's AutoencoderKL — opened as a model gives, in the
     * pane, the images the run itself gives from the same seed: the export carries the denoiser, the
     * scheduler and the latent scale whole.
     */
    @Test
    void aLatentRunsExportOpenedAsAModelGivesTheRunsImages(FxRobot robot) throws Exception {
        Path vae = root.resolve("vae");
        try (ai.djl.ndarray.NDManager nd = ai.djl.ndarray.NDManager.newBaseManager()) {
            io.ldmstudio.nn.AutoencoderKL kl = new io.ldmstudio.nn.AutoencoderKL(
                    io.ldmstudio.nn.VaeConfig.of(3, 3, List.of(16, 32), 1, 4, 8, 16)); // f = 2
            kl.initialize(nd, new io.ldmstudio.util.Rng(1), false);
            io.ldmstudio.weights.VaeWeights.save(kl, vae);
        }
        List<String> o = new java.util.ArrayList<>(StudioFixture.TINY);
        o.addAll(List.of("optim.steps=3", "logging.checkpoint_every=3", "logging.sample_every=1000",
                "autoencoder.kind=pretrained", "autoencoder.path=" + vae, "autoencoder.downsample_factor=2",
                "autoencoder.latent_channels=4", "autoencoder.scaling_factor=0.5"));
        io.ldmstudio.runs.Run run = new io.ldmstudio.runs.Workspace(root).create("latent",
                io.ldmstudio.config.ConfigResolver.resolve(io.ldmstudio.config.Presets.classpath(), "quickstart", o));
        io.ldmstudio.training.Trainer trainer = new io.ldmstudio.training.Trainer(run, Devices.resolve("cpu"));
        assertEquals(io.ldmstudio.training.Trainer.Outcome.FINISHED,
                trainer.run(new io.ldmstudio.training.TrainingControl()), trainer.failure());
        StudioFixture.onFx(() -> studio.refreshRuns());
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> vm.runNames().contains("latent"));

        StudioFixture.onFx(() -> vm.runNameProperty().set("latent"));
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> vm.checkpointProperty().get() != null);
        generate0(robot, SamplerKind.DDIM, 3, 2);
        Generation byRun = vm.primaryProperty().get();
        float[] runX0 = byRun.values(1, FrameKind.X0); // decoded now: the next generation frees this one's decoder

        StudioFixture.onFx(() -> studio.openModel(run.exportsDir().resolve("diffusers")));
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> vm.sourceProperty().get() != null
                && vm.sourceProperty().get().model() != null
                && io.ldmstudio.ui.training.TrainingTestSupport.fx(() -> vm.canGenerate().get()));
        assertEquals(0.5, vm.latentScaleProperty().get(), "the latent scale the run trained with");
        generate(robot, SamplerKind.DDIM, 3, 2);
        Generation byModel = vm.primaryProperty().get();
        assertTrue(byModel.geometry().latent());
        for (int i = 0; i < 2; i++) {
            assertArrayEquals(byRun.result().images().get(i), byModel.result().images().get(i), "image " + i);
        }
        assertArrayEquals(runX0, byModel.values(1, FrameKind.X0), "decoded x̂0 of step 1");
    }

    /** A given x_T (a .npy, as `sample --noise` takes) sets the images, and they are the CLI's from the same x_T. */
    @Test
    void aGivenXtIsSampledAsTheCliSamplesIt(FxRobot robot) throws Exception {
        ModelInfo m = choose("vq-ldm");
        Pipeline p = Pipeline.open(m.dir());
        long[] shape = p.noiseShape(3);
        float[] xT = new io.ldmstudio.util.Rng(11).gaussians((int) (shape[0] * shape[1] * shape[2] * shape[3]));
        Path file = root.resolve("given.npy");
        io.ldmstudio.data.Npy.write(file, shape, xT);
        StudioFixture.onFx(() -> vm.noiseFileProperty().set(file));
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> vm.imagesProperty().get() == 3
                && vm.settingsErrorProperty().get().isEmpty());
        assertTrue(robot.lookup("#denoise-images").query().isDisabled(), "x_T sets how many images");
        generate(robot, SamplerKind.DDIM, 3, 3);
        Generation g = vm.primaryProperty().get();
        SamplingService.Result cli = SamplingService.sample(p, SamplerKind.DDIM, 3, 0, 3, 3, xT, Devices.resolve("cpu"),
                null, () -> false);
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(cli.images().get(i), g.result().images().get(i), "image " + i);
        }
        assertTrue(vm.resultSummaryProperty().get().contains("x_T from given.npy"), vm.resultSummaryProperty().get());
        assertTrue(vm.exportStem().endsWith("-given"), vm.exportStem());

        // x_T of another shape is refused, naming the file and both shapes
        Path wrong = root.resolve("wrong.npy");
        io.ldmstudio.data.Npy.write(wrong, new long[] {2, shape[1], 4, 4}, new float[(int) (2 * shape[1] * 16)]);
        StudioFixture.onFx(() -> vm.noiseFileProperty().set(wrong));
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> vm.settingsErrorProperty().get().contains("wrong.npy has shape"));
        assertTrue(vm.settingsErrorProperty().get().contains("[n, " + shape[1] + ", 8, 8]"), vm.settingsErrorProperty().get());
        assertFalse(io.ldmstudio.ui.training.TrainingTestSupport.fx(() -> vm.canGenerate().get()));
        StudioFixture.onFx(() -> vm.noiseFileProperty().set(null));
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> vm.settingsErrorProperty().get().isEmpty());
    }
}

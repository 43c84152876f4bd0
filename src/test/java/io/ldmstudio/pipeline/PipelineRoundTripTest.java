package io.ldmstudio.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.ldmstudio.config.ConfigResolver;
import io.ldmstudio.config.Presets;
import io.ldmstudio.config.SamplerKind;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.nn.AutoencoderKL;
import io.ldmstudio.nn.VaeConfig;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.service.SamplingService;
import io.ldmstudio.training.Trainer;
import io.ldmstudio.training.TrainingControl;
import io.ldmstudio.ui.StudioFixture;
import io.ldmstudio.util.Rng;
import io.ldmstudio.weights.VaeWeights;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run's export, opened as a pipeline, gives the images the studio gives from the same x_T: the
 * denoiser, the scheduler config (as diffusers reads it) and, in latent space, the autoencoder and its
 * scale all survive the trip.
 */
class PipelineRoundTripTest {
    @TempDir
    Path tmp;

    Run train(String name, List<String> more) throws Exception {
        List<String> o = new ArrayList<>(StudioFixture.TINY);
        o.addAll(List.of("optim.steps=3", "logging.checkpoint_every=3", "logging.sample_every=1000"));
        o.addAll(more);
        Run run = new Workspace(tmp.resolve("ws")).create(name, ConfigResolver.resolve(Presets.classpath(), "quickstart", o));
        Trainer trainer = new Trainer(run, Devices.resolve("cpu"));
        assertEquals(Trainer.Outcome.FINISHED, trainer.run(new TrainingControl()), trainer.failure());
        return run;
    }

    /** The studio's images (its own sampling service) and the pipeline's from the same x_T. */
    static void sameImages(Run run, Pipeline p, String sampler, int n) throws Exception {
        sameImages(run, p, sampler, n, null);
    }

    /** As above, for a class-conditional model asked for {@code condition}'s classes (null: the null class). */
    static void sameImages(Run run, Pipeline p, String sampler, int n, Pipeline.Condition condition) throws Exception {
        long[] shape = p.noiseShape(n);
        float[] xT = new Rng(5).gaussians((int) Arrays.stream(shape).reduce(1, (a, b) -> a * b));
        SamplingService.Result studio = SamplingService.sample(run,
                new SamplingService.Request(sampler, 4, 0, 5, n, true, 0, condition), Devices.resolve("cpu"), null,
                () -> false);
        Pipeline.Result theirs;
        try (NDManager m = NDManager.newBaseManager()) {
            // the same seed: it also draws a stochastic sampler's noise after x_T
            theirs = p.generate(new Pipeline.Request(SamplerKind.parse(sampler, "sampler"), 4, 0, 5, n, xT, condition), m,
                    null, () -> false);
        }
        assertEquals(studio.channels(), theirs.channels());
        assertEquals(studio.width(), theirs.width());
        for (int i = 0; i < n; i++) {
            assertArrayEquals(studio.images().get(i), theirs.images().get(i), sampler + " image " + i); // bit for bit
        }
    }

    @Test
    void aPixelRunsDdpmPipelineSamplesAsTheStudioDoes() throws Exception {
        Run run = train("pixel", List.of());
        Pipeline p = Pipeline.open(run.exportsDir().resolve("diffusers"));
        assertEquals("DDPMPipeline", p.folder().pipelineClass());
        assertFalse(p.hasAutoencoder());
        assertTrue(p.latentScale().isEmpty());
        assertEquals(16, p.imageSize());
        sameImages(run, p, "ddpm", 2);
        assertThrows(IllegalArgumentException.class, () -> p.withLatentScale(1.0), "no autoencoder to scale for");
    }

    Run latentRun(String name, String sampler, String... more) throws Exception {
        Path vae = tmp.resolve("vae");
        if (!java.nio.file.Files.exists(vae)) {
            try (NDManager m = NDManager.newBaseManager()) {
                AutoencoderKL model = new AutoencoderKL(VaeConfig.of(3, 3, List.of(16, 32), 1, 4, 8, 16)); // f = 2
                model.initialize(m, new Rng(1), false);
                VaeWeights.save(model, vae);
            }
        }
        List<String> o = new ArrayList<>(List.of("autoencoder.kind=pretrained", "autoencoder.path=" + vae,
                "sampling.sampler=" + sampler, "autoencoder.downsample_factor=2", "autoencoder.latent_channels=4",
                "autoencoder.scaling_factor=0.5"));
        o.addAll(List.of(more));
        return train(name, o);
    }

    /**
     * LDM's class-conditional latent model: an LDMPipeline whose unet is a UNet2DConditionModel beside its
     * class_embedder samples as the studio does, by class with guidance and for the null class.
     */
    @Test
    void aCrossAttentionLatentRunsPipelineSamplesAsTheStudioDoes() throws Exception {
        Run run = latentRun("xattn", "ddim", "conditioning.type=cross_attention", "conditioning.cross_attention_dim=16");
        Pipeline p = Pipeline.open(run.exportsDir().resolve("diffusers"));
        assertEquals("LDMPipeline", p.folder().pipelineClass());
        assertEquals(List.of("vqvae", "unet", "scheduler", "class_embedder"), List.copyOf(p.folder().components().keySet()));
        assertTrue(p.network().isCrossAttention());
        assertEquals(5, p.classes());
        assertArrayEquals(new long[] {2, 4, 8, 8}, p.noiseShape(2));
        sameImages(run, p, "ddim", 2, new Pipeline.Condition(new int[] {3, 1}, 2.5, 0.5));
        sameImages(run, p, "ddpm", 2, null);
    }

    /**
     * The exported scheduler config carries the spacing of the run's sampler (DPM-Solver++: trailing), so a
     * dpmpp run's pipeline samples with DPM-Solver++ as the studio does.
     */
    @Test
    void aDpmSolverRunsPipelineSamplesAsTheStudioDoes() throws Exception {
        Run run = latentRun("dpm", "dpmpp");
        Pipeline p = Pipeline.open(run.exportsDir().resolve("diffusers"));
        sameImages(run, p, "dpmpp", 2);
    }

    @Test
    void aLatentRunsLdmPipelineDecodesAsTheStudioDoes() throws Exception {
        Run run = latentRun("latent", "ddim");
        Pipeline p = Pipeline.open(run.exportsDir().resolve("diffusers"));
        assertEquals("LDMPipeline", p.folder().pipelineClass());
        assertEquals(0.5, p.latentScale().orElseThrow());
        assertEquals(16, p.imageSize());
        assertEquals(3, p.imageChannels());
        assertArrayEquals(new long[] {2, 4, 8, 8}, p.noiseShape(2));
        assertEquals(SamplerKind.DDPM, p.defaultSampler(), "the export's scheduler is a DDPMScheduler");
        sameImages(run, p, "ddim", 2);

        // another latent scale decodes the same latents to other images, and says which it used
        Pipeline scaled = p.withLatentScale(1.0);
        assertEquals(1.0, scaled.latentScale().orElseThrow());
        float[] xT = new Rng(5).gaussians(4 * 8 * 8);
        try (NDManager m = NDManager.newBaseManager()) {
            float[] a = p.generate(new Pipeline.Request(SamplerKind.DDIM, 3, 0, 1, 1, xT), m, null, () -> false).images().get(0);
            float[] b = scaled.generate(new Pipeline.Request(SamplerKind.DDIM, 3, 0, 1, 1, xT), m, null, () -> false)
                    .images().get(0);
            assertFalse(Arrays.equals(a, b));
        }
        assertThrows(IllegalArgumentException.class, () -> p.withLatentScale(0));
    }

    /**
     * The CLI's --trajectory of a latent pipeline: x_t and x̂0 decoded into images by the same decoder as the
     * samples, ε̂ in latent space. DDIM ends on ᾱ = 1 (set_alpha_to_one), so the last step's x̂0 is the sample:
     * its decoded grid is the samples' grid, pixel for pixel.
     */
    @Test
    void aLatentPipelinesTrajectoryIsWrittenDecoded() throws Exception {
        Run run = latentRun("traj", "ddim");
        Pipeline p = Pipeline.open(run.exportsDir().resolve("diffusers"));
        Path dir = tmp.resolve("traj");
        Devices.DeviceInfo cpu = Devices.resolve("cpu");
        SamplingService.Result r;
        io.ldmstudio.service.TrajectoryWriter tw;
        try (io.ldmstudio.service.LatentDecoder dec = new io.ldmstudio.service.LatentDecoder(p, cpu)) {
            tw = new io.ldmstudio.service.TrajectoryWriter(dir, null, dec);
            r = SamplingService.sample(p, SamplerKind.DDIM, 3, 0, 5, 2, null, cpu, tw, () -> false, dec);
        }
        assertEquals(3, tw.stepsWritten());
        List<String> names;
        try (var files = java.nio.file.Files.list(dir)) {
            names = files.map(f -> f.getFileName().toString()).sorted().toList();
        }
        assertEquals(9, names.size(), names.toString());
        Path grid = tmp.resolve("samples.png");
        io.ldmstudio.data.ImageWriter.writeGrid(r.images(), r.channels(), r.height(), r.width(), grid);
        java.awt.image.BufferedImage samples = javax.imageio.ImageIO.read(grid.toFile());
        String last = names.stream().filter(n -> n.startsWith("x0-0002-")).findFirst().orElseThrow();
        java.awt.image.BufferedImage x0 = javax.imageio.ImageIO.read(dir.resolve(last).toFile());
        assertEquals(samples.getWidth(), x0.getWidth(), "x̂0 is decoded to the images' size (16 px)");
        assertArrayEquals(samples.getRGB(0, 0, samples.getWidth(), samples.getHeight(), null, 0, samples.getWidth()),
                x0.getRGB(0, 0, x0.getWidth(), x0.getHeight(), null, 0, x0.getWidth()));
        java.awt.image.BufferedImage xt = javax.imageio.ImageIO.read(dir.resolve(
                names.stream().filter(n -> n.startsWith("xt-0000-")).findFirst().orElseThrow()).toFile());
        assertEquals(samples.getWidth(), xt.getWidth());
        java.awt.image.BufferedImage eps = javax.imageio.ImageIO.read(dir.resolve(
                names.stream().filter(n -> n.startsWith("eps-0000-")).findFirst().orElseThrow()).toFile());
        assertTrue(eps.getWidth() < samples.getWidth(), "ε̂ stays at the latents' 8 px: " + eps.getWidth());
    }
}

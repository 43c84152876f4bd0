package io.ldmstudio.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.ldmstudio.config.ConfigResolver;
import io.ldmstudio.config.Presets;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.nn.AutoencoderKL;
import io.ldmstudio.nn.VaeConfig;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.service.SamplingService;
import io.ldmstudio.util.Rng;
import io.ldmstudio.weights.VaeWeights;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Latent-space training end to end: autoencoder on disk → latent cache → U-Net on latents → decoded samples. */
class LatentTrainingTest {
    @TempDir
    Path tmp;

    @Test
    void aLatentRunEncodesOnceTrainsOnLatentsAndDecodesItsSamples() throws Exception {
        Path vae = tmp.resolve("vae");
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKL model = new AutoencoderKL(VaeConfig.of(3, 3, List.of(16, 32), 1, 4, 8, 16)); // f = 2
            model.initialize(m, new Rng(1), false);
            VaeWeights.save(model, vae);
        }
        List<String> o = new ArrayList<>(TrainerTest.TINY);
        o.addAll(List.of("autoencoder.kind=pretrained", "autoencoder.path=" + vae, "autoencoder.downsample_factor=2",
                "autoencoder.latent_channels=4", "autoencoder.scaling_factor=0.5", "data.flip=true", "optim.steps=4",
                "logging.checkpoint_every=2"));
        RunConfig config = ConfigResolver.resolve(Presets.classpath(), "quickstart", o);
        assertEquals(8, config.unetResolution());
        Workspace ws = new Workspace(tmp.resolve("ws"));
        Run run = ws.create("latent", config);
        Devices.DeviceInfo cpu = Devices.resolve("cpu");
        Trainer trainer = new Trainer(run, cpu);
        assertEquals(Trainer.Outcome.FINISHED, trainer.run(new TrainingControl()), trainer.failure());

        String log = Files.readString(run.logFile());
        assertTrue(log.contains("latent cache") && log.contains(": built"), log);
        try (Stream<Path> files = Files.list(tmp.resolve("ws/cache/latents"))) {
            assertEquals(1, files.count());
        }
        // the U-Net sees 4x8x8 latents; the grid holds decoded 16 px RGB images
        assertEquals(List.of(16, 32), io.ldmstudio.weights.UNetWeights.readConfig(run.latestCheckpoint().orElseThrow().dir())
                .blockOutChannels());
        assertEquals(4, io.ldmstudio.weights.UNetWeights.readConfig(run.latestCheckpoint().orElseThrow().dir()).inChannels());
        BufferedImage grid = ImageIO.read(run.sampleGrid(4).toFile());
        assertEquals(2 * 16 + 3 * 2, grid.getWidth());

        // a second run with the same data and autoencoder reuses the cache
        Run again = ws.create("latent2", config);
        assertEquals(Trainer.Outcome.FINISHED, new Trainer(again, cpu).run(new TrainingControl()));
        assertTrue(Files.readString(again.logFile()).contains(": reused"));

        SamplingService.Result r = SamplingService.sample(run, new SamplingService.Request("ddim", 3, 0, 1, 2, true, 0),
                cpu, null, () -> false);
        assertEquals(3, r.channels());
        assertEquals(16, r.height());
        for (float v : r.images().get(0)) {
            assertTrue(v >= -1 && v <= 1);
        }
    }

    @Test
    void aWrongDownsampleFactorIsNamed() throws Exception {
        Path vae = tmp.resolve("vae");
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKL model = new AutoencoderKL(VaeConfig.of(3, 3, List.of(16, 32), 1, 4, 8, 16));
            model.initialize(m, new Rng(1), false);
            VaeWeights.save(model, vae);
        }
        List<String> o = new ArrayList<>(TrainerTest.TINY);
        o.addAll(List.of("autoencoder.kind=pretrained", "autoencoder.path=" + vae, "autoencoder.downsample_factor=4",
                "autoencoder.latent_channels=4"));
        Run run = new Workspace(tmp.resolve("ws")).create("f", ConfigResolver.resolve(Presets.classpath(), "quickstart", o));
        Trainer trainer = new Trainer(run, Devices.resolve("cpu"));
        try {
            trainer.run(new TrainingControl());
        } catch (java.io.IOException e) {
            assertTrue(e.getMessage().contains("autoencoder.downsample_factor") && e.getMessage().contains("f = 2"),
                    e.getMessage());
            return;
        }
        throw new AssertionError("expected a failure naming autoencoder.downsample_factor");
    }

    @Test
    void aLatentRunTrainsOnAStudioAutoencoderRunWithItsMeasuredScale() throws Exception {
        Workspace ws = new Workspace(tmp.resolve("ws"));
        Run vaeRun = ws.create("vae", AutoencoderTrainingTest.tiny("optim.steps=4", "logging.sample_every=1000"));
        assertEquals(Trainer.Outcome.FINISHED, new Trainer(vaeRun, Devices.resolve("cpu")).run(new TrainingControl()));
        double scale = VaeWeights.readConfig(vaeRun.autoencoderExportDir()).scalingFactor();
        assertTrue(scale > 0 && scale != 1.0, "measured scaling factor " + scale);

        List<String> o = new ArrayList<>(TrainerTest.TINY);
        o.addAll(List.of("autoencoder.kind=studio", "autoencoder.path=" + vaeRun.dir(), "autoencoder.scaling_factor=0",
                "autoencoder.downsample_factor=2", "autoencoder.latent_channels=3", "optim.steps=2",
                "logging.checkpoint_every=2"));
        Run run = ws.create("latent", ConfigResolver.resolve(Presets.classpath(), "quickstart", o));
        Trainer trainer = new Trainer(run, Devices.resolve("cpu"));
        assertEquals(Trainer.Outcome.FINISHED, trainer.run(new TrainingControl()), trainer.failure());
        String log = Files.readString(run.logFile());
        assertTrue(log.contains("autoencoder: " + vaeRun.autoencoderExportDir().resolve(VaeWeights.DIFFUSERS_WEIGHTS))
                && log.contains("scaling factor " + scale), log);
        assertEquals(16 * 2 + 3 * 2, ImageIO.read(run.sampleGrid(2).toFile()).getWidth());
        // the export is a whole LDMPipeline: its vqvae is the autoencoder with the scale the run trained with
        Path export = run.exportsDir().resolve("diffusers");
        io.ldmstudio.pipeline.PipelineFolder folder = io.ldmstudio.pipeline.PipelineFolder.open(export);
        assertEquals("LDMPipeline", folder.pipelineClass());
        assertEquals("AutoencoderKL", folder.component("vqvae").orElseThrow().className());
        assertEquals(scale, VaeWeights.readConfig(export.resolve("vqvae")).scalingFactor());
        assertEquals(3, io.ldmstudio.weights.UNetWeights.readConfig(export.resolve("unet")).inChannels(),
                "the U-Net of 3-channel latents");
        io.ldmstudio.weights.SafeTensors.Contents source = io.ldmstudio.weights.SafeTensors.read(
                vaeRun.autoencoderExportDir().resolve(VaeWeights.DIFFUSERS_WEIGHTS));
        io.ldmstudio.weights.SafeTensors.Contents copy = io.ldmstudio.weights.SafeTensors.read(
                export.resolve("vqvae").resolve(VaeWeights.DIFFUSERS_WEIGHTS));
        assertEquals(source.tensors().keySet(), copy.tensors().keySet());
        for (String name : source.tensors().keySet()) {
            org.junit.jupiter.api.Assertions.assertArrayEquals(source.tensors().get(name).toFloatArray(),
                    copy.tensors().get(name).toFloatArray(), name);
        }

        // a diffusion run is not an autoencoder: the message says so before anything is trained
        List<String> wrong = new ArrayList<>(o);
        wrong.add("autoencoder.path=" + run.dir());
        Run bad = ws.create("bad", ConfigResolver.resolve(Presets.classpath(), "quickstart", wrong));
        Trainer t = new Trainer(bad, Devices.resolve("cpu"));
        assertEquals(Trainer.Outcome.FAILED, t.run(new TrainingControl()));
        assertTrue(t.failure().contains("is a diffusion run"), t.failure());
    }
}

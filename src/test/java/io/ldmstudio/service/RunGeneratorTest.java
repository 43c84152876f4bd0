package io.ldmstudio.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.config.ConfigResolver;
import io.ldmstudio.config.Presets;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.pipeline.Pipeline;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.training.Trainer;
import io.ldmstudio.training.TrainingControl;
import io.ldmstudio.ui.StudioFixture;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A run's checkpoint loaded once gives, call after call and sampler after sampler, the very images that
 * {@link SamplingService} gives when it reopens the run per call — in latent space (decoded by the loaded autoencoder)
 * and for a class-conditional run with guidance.
 */
class RunGeneratorTest {
    static final Devices.DeviceInfo CPU = Devices.resolve("cpu");

    @TempDir
    Path tmp;

    private static void same(Run run, RunGenerator g, String sampler, int steps, long seed, int n,
            Pipeline.Condition c) throws Exception {
        SamplingService.Result want = SamplingService.sample(run, new SamplingService.Request(sampler, steps, 0, seed, n,
                true, 0, c), CPU, null, () -> false);
        SamplingService.Result got = g.generate(sampler, steps, 0, seed, n, c, null, () -> false);
        assertEquals(want.images().size(), got.images().size());
        for (int i = 0; i < n; i++) {
            assertArrayEquals(want.images().get(i), got.images().get(i), 0f, sampler + " " + steps + " image " + i);
        }
        assertEquals(want.checkpointStep(), got.checkpointStep());
    }

    @Test
    void aLatentRunDecodesAsSamplingServiceDoes() throws Exception {
        List<String> o = new ArrayList<>(StudioFixture.TINY);
        o.addAll(List.of("optim.steps=2", "logging.checkpoint_every=2", "logging.sample_every=2",
                "autoencoder.kind=pretrained", "autoencoder.path=" + Path.of("src/test/resources/golden/vq")
                        .toAbsolutePath(), "autoencoder.downsample_factor=2", "autoencoder.latent_channels=3",
                "autoencoder.scaling_factor=0.5"));
        Run run = new Workspace(tmp.resolve("ws")).create("vq", ConfigResolver.resolve(Presets.classpath(), "quickstart",
                o));
        Trainer t = new Trainer(run, CPU);
        assertEquals(Trainer.Outcome.FINISHED, t.run(new TrainingControl()), t.failure());
        try (RunGenerator g = RunGenerator.open(run, 0, true, CPU)) {
            same(run, g, "ddim", 3, 4, 3, null);
            same(run, g, "dpmpp", 4, 5, 2, null);
            same(run, g, "ddim", 3, 4, 3, null); // again, after another sampler: nothing carried over
            String e = assertThrows(IllegalArgumentException.class,
                    () -> g.generate("ddim", 5000, 0, 0, 1, null, null, null)).getMessage();
            assertTrue(e.contains("--steps 5000") && e.contains("diffusion.timesteps"), e);
        }
    }

    @Test
    void aConditionalRunSamplesItsClassesWithGuidanceAsSamplingServiceDoes() throws Exception {
        Run run = new Workspace(tmp.resolve("ws")).create("cond", StudioFixture.tinyConfig("conditioning.type=class",
                "optim.steps=2", "logging.sample_every=2", "logging.checkpoint_every=2"));
        Trainer t = new Trainer(run, CPU);
        assertEquals(Trainer.Outcome.FINISHED, t.run(new TrainingControl()), t.failure());
        try (RunGenerator g = RunGenerator.open(run, 0, true, CPU)) {
            same(run, g, "ddpm", 3, 9, 4, new Pipeline.Condition(new int[] {0, 1, 2, 3}, 2.5, 0));
            same(run, g, "dpmpp", 3, 9, 2, new Pipeline.Condition(new int[] {4, 4}, 1.0, 0));
        }
    }
}

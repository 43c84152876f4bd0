package io.ldmstudio.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.config.ConfigOverrides;
import io.ldmstudio.config.ConfigResolver;
import io.ldmstudio.config.Presets;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.runs.AtomicFiles;
import io.ldmstudio.runs.Checkpoint;
import io.ldmstudio.runs.MetricsRow;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.RunStatus;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.engine.Devices;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The training loop end to end on a tiny U-Net: files, resume exactness, non-finite stops. */
class TrainerTest {
    static final List<String> TINY = List.of(
            "data.resolution=16", "data.workers=1",
            "model.model_channels=16", "model.channel_mult=1,2", "model.num_res_blocks=1",
            "model.attention_resolutions=2", "model.num_heads=2", "model.norm_groups=8",
            "optim.batch_size=4", "optim.steps=12", "optim.warmup_steps=3", "optim.ema_decay=0.9",
            "logging.log_every=1", "logging.checkpoint_every=6", "logging.sample_every=1000",
            "logging.keep_checkpoints=2", "sampling.n=4", "sampling.steps=4", "device=cpu");

    @TempDir
    Path tmp;

    static RunConfig tiny(String... more) {
        return resolve("quickstart", TINY, more);
    }

    /** A shipped preset with the {@code base} overrides, then {@code more}. */
    static RunConfig resolve(String preset, List<String> base, String... more) {
        List<String> o = new ArrayList<>(base);
        o.addAll(List.of(more));
        return ConfigResolver.resolve(Presets.classpath(), preset, o);
    }

    static Devices.DeviceInfo cpu() {
        return Devices.resolve("cpu");
    }

    static double[] losses(Run run) throws Exception {
        return run.metrics().stream().mapToDouble(MetricsRow::loss).toArray();
    }

    @Test
    void aRunWritesMetricsSamplesAndCheckpointsAndFinishes() throws Exception {
        Workspace ws = new Workspace(tmp);
        Run run = ws.create("a", tiny());
        assertEquals(Trainer.Outcome.FINISHED, new Trainer(run, cpu()).run(new TrainingControl()));
        List<MetricsRow> rows = run.metrics();
        assertEquals(12, rows.size());
        for (int i = 0; i < rows.size(); i++) {
            assertEquals(i + 1, rows.get(i).step());
            assertTrue(Double.isFinite(rows.get(i).loss()) && rows.get(i).loss() > 0);
            assertTrue(rows.get(i).gradNorm() > 0);
            assertTrue(rows.get(i).imagesPerS() > 0);
        }
        assertEquals(2e-4 / 3, rows.get(0).lr(), 1e-12); // warm-up 1/3 of 2e-4
        assertEquals(2e-4, rows.get(5).lr(), 1e-12);
        BufferedImage grid = ImageIO.read(run.sampleGrid(12).toFile());
        assertEquals(2 * 16 + 3 * 2, grid.getWidth()); // 2x2 grid of 16 px with 2 px padding
        Checkpoint latest = run.latestCheckpoint().orElseThrow();
        assertEquals(12, latest.step());
        for (String f : List.of(Checkpoint.MODEL_FILE, Checkpoint.EMA_FILE, Checkpoint.OPTIMIZER_FILE, "config.json",
                "scheduler_config.json", Run.CHECKPOINT_STATE)) {
            assertTrue(Files.isRegularFile(latest.dir().resolve(f)), f);
        }
        assertEquals(RunStatus.FINISHED, run.state().status());
        Path export = run.exportsDir().resolve("diffusers");
        assertTrue(Files.readString(export.resolve("model_index.json")).contains("DDPMPipeline"));
        assertEquals(io.ldmstudio.weights.UNetWeights.readConfig(export.resolve("unet")).blockOutChannels(),
                List.of(16, 32));
        assertTrue(Files.readString(export.resolve("scheduler").resolve("scheduler_config.json"))
                .contains("squaredcos_cap_v2"));
        assertTrue(Files.readString(run.logFile()).contains("finished at step 12"));
    }

    @Test
    void anImageThatDoesNotDecodeAtLoadIsLeftOutAndNamedInTheLog() throws Exception {
        Path images = tmp.resolve("images");
        for (int i = 0; i < 6; i++) {
            io.ldmstudio.data.BadImageFiles.noisePng(images.resolve("img" + i + ".png"), 16, 16, i);
        }
        Path truncated = images.resolve("img2t.png");
        io.ldmstudio.data.BadImageFiles.truncatedPng(truncated, 64, 64, 7);
        Workspace ws = new Workspace(tmp.resolve("ws"));
        // 3 steps of 4 images cover the first epoch of 7, so the loader meets the truncated file
        Run run = ws.create("bad", tiny("data.source=folder", "data.path=" + images, "optim.steps=3",
                "optim.warmup_steps=1"));
        assertEquals(Trainer.Outcome.FINISHED, new Trainer(run, cpu()).run(new TrainingControl()));
        String log = Files.readString(run.logFile());
        assertTrue(log.contains("dataset: image folder " + images + ": 7 images"), log);
        assertTrue(log.contains("skipped " + truncated + " (does not decode; left out of training): "), log);
        assertEquals(1, log.split(java.util.regex.Pattern.quote("skipped " + truncated), -1).length - 1,
                "logged once: " + log);
        assertEquals(3, run.metrics().size());
    }

    /**
     * Trains {@code config} twice: straight through as run "straight", and as run "interrupted",
     * stopped after step 5 (checking that it stopped with a step-5 checkpoint) and resumed to the end.
     */
    static Run[] straightAndResumed(Workspace ws, RunConfig config) throws Exception {
        Run straight = ws.create("straight", config);
        assertEquals(Trainer.Outcome.FINISHED, new Trainer(straight, cpu()).run(new TrainingControl()));

        Run broken = ws.create("interrupted", config);
        TrainingControl control = new TrainingControl();
        Trainer first = new Trainer(broken, cpu()).addListener(new TrainingListener() {
            @Override
            public void onStep(StepEvent e) {
                if (e.step() == 5) {
                    control.requestStop();
                }
            }
        });
        assertEquals(Trainer.Outcome.STOPPED, first.run(control));
        assertEquals(RunStatus.STOPPED, broken.state().status());
        assertEquals(5, broken.latestCheckpoint().orElseThrow().step());
        assertEquals(Trainer.Outcome.FINISHED, new Trainer(broken, cpu()).run(new TrainingControl()));
        return new Run[] {straight, broken};
    }

    @Test
    void resumingAfterAStopGivesTheSameLossesStepForStep() throws Exception {
        Run[] runs = straightAndResumed(new Workspace(tmp), tiny());
        Run straight = runs[0];
        Run broken = runs[1];

        double[] a = losses(straight);
        double[] b = losses(broken);
        assertEquals(12, b.length);
        for (int i = 0; i < 12; i++) {
            assertEquals(a[i], b[i], 0.0, "loss at step " + (i + 1));
        }
        assertTrue(Files.readString(broken.logFile()).contains("resumed from step-00000005 at step 5"));
    }

    @Test
    void goingOnFromACheckpointOrFromScratchLeavesOneHistoryInTheMetrics() throws Exception {
        Workspace ws = new Workspace(tmp);
        // a run killed before its first checkpoint: rows for steps 1-4 but nothing to resume from
        Run fresh = ws.create("killed-early", tiny("optim.steps=3"));
        for (int s = 1; s <= 4; s++) {
            fresh.appendMetrics(new MetricsRow(s, 9.0, 1e-4, 1.0, 10, s));
        }
        assertEquals(Trainer.Outcome.FINISHED, new Trainer(fresh, cpu()).run(new TrainingControl()));
        List<MetricsRow> rows = fresh.metrics();
        assertEquals(List.of(1L, 2L, 3L), rows.stream().map(MetricsRow::step).toList(), "one history, from step 1");
        assertTrue(rows.stream().noneMatch(r -> r.loss() == 9.0), "the killed attempt's rows are gone");
        assertTrue(Files.readString(fresh.logFile()).contains("dropped 4 metrics row(s) after step 0"));

        // a run killed after its checkpoint at step 6, having logged steps 7-9: it goes on from 6
        Run straight = ws.create("straight", tiny("optim.steps=9"));
        assertEquals(Trainer.Outcome.FINISHED, new Trainer(straight, cpu()).run(new TrainingControl()));
        Run run = ws.create("killed-late", tiny("optim.steps=6"));
        assertEquals(Trainer.Outcome.FINISHED, new Trainer(run, cpu()).run(new TrainingControl()));
        for (int s = 7; s <= 9; s++) {
            run.appendMetrics(new MetricsRow(s, 9.0, 1e-4, 1.0, 10, s));
        }
        assertEquals(Trainer.Outcome.FINISHED, new Trainer(run, cpu()).totalSteps(9).run(new TrainingControl()));
        List<MetricsRow> again = run.metrics();
        assertEquals(9, again.size(), "steps 7-9 once, not twice: " + again);
        double[] expected = losses(straight);
        for (int i = 0; i < 9; i++) {
            assertEquals(i + 1, again.get(i).step());
            assertEquals(expected[i], again.get(i).loss(), 0.0, "the same history as an uninterrupted run, step " + (i + 1));
        }
        assertTrue(Files.readString(run.logFile()).contains("dropped 3 metrics row(s) after step 6"));
    }

    @Test
    void aNonFiniteLossStopsTheRunAndKeepsTheLastGoodCheckpoint() throws Exception {
        Workspace ws = new Workspace(tmp);
        Run run = ws.create("nan", tiny("optim.steps=6"));
        assertEquals(Trainer.Outcome.FINISHED, new Trainer(run, cpu()).run(new TrainingControl()));
        byte[] goodWeights = Files.readAllBytes(run.checkpointDir(6).resolve(Checkpoint.MODEL_FILE));

        // continue the run with an absurd learning rate and no clipping: the weights blow up
        RunConfig wild = ConfigOverrides.apply(run.config(), List.of("optim.lr=1e30", "optim.lr_schedule=constant",
                "optim.grad_clip=0", "optim.steps=12"));
        AtomicFiles.writeJson(run.configFile(), new io.ldmstudio.runs.RunManifest(wild, run.manifest().preset(),
                run.manifest().engine(), run.manifest().device(), run.manifest().created()));
        Trainer trainer = new Trainer(run, cpu());
        assertEquals(Trainer.Outcome.FAILED, trainer.run(new TrainingControl()));

        assertTrue(trainer.failure().startsWith("non-finite"), trainer.failure());
        assertTrue(trainer.failure().contains("step-00000006"), trainer.failure());
        assertEquals(RunStatus.FAILED, run.state().status());
        // where it went wrong, as detect_anomaly would tell: the forward pass, and the parameters by their diffusers names
        System.out.println("non-finite step: " + trainer.failure());
        assertTrue(trainer.failure().contains("the network's output already held NaN or Inf"), trainer.failure());
        assertTrue(java.util.regex.Pattern.compile("parameters have non-finite gradients, nearest the loss: conv_out\\.bias, "
                + "conv_out\\.weight, conv_norm_out\\.bias and \\d+ more\\. ").matcher(trainer.failure()).find(), trainer.failure());
        assertEquals(trainer.failure(), run.state().message(), "the run's state says the same");
        String log = Files.readString(run.logFile());
        assertTrue(log.contains("parameters with non-finite gradients, nearest the loss first: conv_out.bias, conv_out.weight, "
                + "conv_norm_out.bias, conv_norm_out.weight, up_blocks.1.resnets.1.conv_shortcut.bias"), log);
        Checkpoint latest = run.latestCheckpoint().orElseThrow();
        assertEquals(6, latest.step());
        assertTrue(java.util.Arrays.equals(goodWeights, Files.readAllBytes(latest.dir().resolve(Checkpoint.MODEL_FILE))));
        for (MetricsRow r : run.metrics()) {
            assertTrue(Double.isFinite(r.loss()), "only applied steps are logged");
        }
        assertFalse(Files.exists(run.checkpointDir(12)));
    }

    @Test
    void latentPresetsStopWithAMessageNamingTheMissingAutoencoder() throws Exception {
        Workspace ws = new Workspace(tmp);
        RunConfig latent = ConfigResolver.resolve(Presets.classpath(), "celeba-hq-256", List.of());
        Run run = ws.create("latent", latent);
        Trainer trainer = new Trainer(run, cpu());
        assertEquals(Trainer.Outcome.FAILED, trainer.run(new TrainingControl()));
        assertTrue(trainer.failure().contains("autoencoder"), trainer.failure());
        assertTrue(trainer.failure().contains("models/sd-vae-ft-mse"), trainer.failure());
    }
}

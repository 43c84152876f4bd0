package io.ldmstudio.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.data.ProceduralSource;
import io.ldmstudio.data.Transform;
import io.ldmstudio.eval.ImageMetrics;
import io.ldmstudio.eval.PixelRange;
import io.ldmstudio.nn.AutoencoderKL;
import io.ldmstudio.nn.DiagonalGaussian;
import io.ldmstudio.nn.GradMode;
import io.ldmstudio.nn.VaeConfig;
import io.ldmstudio.pipeline.Autoencoders;
import io.ldmstudio.runs.Checkpoint;
import io.ldmstudio.runs.MetricsRow;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.RunStatus;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.util.Rng;
import io.ldmstudio.weights.VaeWeights;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Training a KL autoencoder as a run: the objective, learning, files, resume, export and loading back. */
class AutoencoderTrainingTest {
    /** A tiny f = 2 autoencoder on 16 px procedural shapes, 12 steps. */
    static final List<String> TINY = List.of(
            "data.resolution=16", "data.workers=1",
            "vae.block_out_channels=16,32", "vae.norm_groups=8", "vae.latent_channels=3",
            "optim.batch_size=4", "optim.steps=12", "optim.warmup_steps=3", "optim.lr_schedule=warmup_constant",
            "logging.log_every=1", "logging.checkpoint_every=6", "logging.sample_every=6",
            "logging.keep_checkpoints=2", "sampling.n=6", "device=cpu");

    @TempDir
    Path tmp;

    static RunConfig tiny(String... more) {
        return TrainerTest.resolve("vae-procedural", TINY, more);
    }

    static Devices.DeviceInfo cpu() {
        return TrainerTest.cpu();
    }

    @Test
    void anImageThatDoesNotDecodeIsLeftOutOfTrainingAndOfThePreviewImages() throws Exception {
        Path images = tmp.resolve("images");
        for (int i = 0; i < 6; i++) {
            io.ldmstudio.data.BadImageFiles.noisePng(images.resolve("img" + i + ".png"), 16, 16, i);
        }
        Path truncated = images.resolve("img0t.png"); // index 1 of 7: one of the six preview images
        io.ldmstudio.data.BadImageFiles.truncatedPng(truncated, 64, 64, 7);
        Run run = new Workspace(tmp.resolve("ws")).create("bad", tiny("data.source=folder", "data.path=" + images,
                "data.channels=3", "optim.steps=3", "optim.warmup_steps=1", "logging.sample_every=3",
                "logging.checkpoint_every=3"));
        assertEquals(Trainer.Outcome.FINISHED, new Trainer(run, cpu()).run(new TrainingControl()), run.state().message());
        String log = Files.readString(run.logFile());
        assertTrue(log.contains("skipped " + truncated + " (does not decode; left out of training): "), log);
        assertEquals(3, run.metrics().size());
    }

    @Test
    void theLossIsThePerPixelReconstructionErrorPlusTheWeightedKlPerPixel() {
        // 2 images of 1x2x2 pixels, latents 1x1x2: every number checked by hand
        float[] x = {0.5f, -0.5f, 1f, 0f, /* image 2 */ -1f, 0.25f, 0.75f, 0f};
        float[] y = {0.25f, -0.5f, 0f, 0.5f, /* image 2 */ -1f, 0f, 0.25f, 1f};
        float[] mu = {1f, -2f, 0.5f, 0f};
        float[] logvar = {0f, 1f, -1f, 2f};
        double l1 = 0, l2 = 0;
        for (int i = 0; i < x.length; i++) {
            l1 += Math.abs(x[i] - y[i]) / x.length;
            l2 += (x[i] - y[i]) * (double) (x[i] - y[i]) / x.length;
        }
        double[] kl = new double[2];
        for (int i = 0; i < mu.length; i++) { // ½ Σ (μ² + σ² − 1 − log σ²), per image
            kl[i / 2] += 0.5 * (mu[i] * mu[i] + Math.exp(logvar[i]) - 1 - logvar[i]);
        }
        double klMean = (kl[0] + kl[1]) / 2;
        double w = 0.01;
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray xs = m.create(x, new Shape(2, 1, 2, 2));
            NDArray ys = m.create(y, new Shape(2, 1, 2, 2));
            DiagonalGaussian q = new DiagonalGaussian(m.create(mu, new Shape(2, 1, 1, 2)),
                    m.create(logvar, new Shape(2, 1, 1, 2)));
            ParameterUpdate.Loss a = AutoencoderTrainStep.loss(xs, ys, q.kl().mean(), AutoencoderTrainStep.Reconstruction.L1, w);
            assertEquals(l1, a.parts().get("rec_loss").getFloat(), 1e-6);
            assertEquals(klMean, a.parts().get("kl").getFloat(), 1e-5);
            assertEquals(l1 + w * klMean / 4, a.total().getFloat(), 1e-6); // KL per image over its 4 pixels
            ParameterUpdate.Loss b = AutoencoderTrainStep.loss(xs, ys, q.kl().mean(), AutoencoderTrainStep.Reconstruction.L2, 0);
            assertEquals(l2, b.total().getFloat(), 1e-6);
        }
    }

    @Test
    void aTinyAutoencoderOverfitsASmallBatch() {
        int n = 8;
        int res = 16;
        Transform tf = new Transform(res, 3, true);
        ProceduralSource source = new ProceduralSource();
        float[] images = new float[n * 3 * res * res];
        for (int i = 0; i < n; i++) {
            System.arraycopy(source.load(i, tf, false), 0, images, i * 3 * res * res, 3 * res * res);
        }
        List<float[]> list = io.ldmstudio.data.Grids.split(images, n, 3 * res * res);
        try (NDManager m = NDManager.newBaseManager()) {
            GradMode.disable();
            AutoencoderKL vae = new AutoencoderKL(VaeConfig.of(3, 3, List.of(16, 32), 1, 3, 8, res));
            vae.initialize(m, new Rng(3), true);
            AdamW opt = new AdamW(vae, m, 0.9, 0.999, 1e-8, 0.0);
            AutoencoderTrainStep step = new AutoencoderTrainStep(vae, m, opt, null, 1.0,
                    AutoencoderTrainStep.Reconstruction.L1, 1e-6, true, 5);
            double psnrBefore = meanPsnr(vae, m, list, res);
            double first = 0;
            double last = 0;
            int arrays = -1;
            for (int s = 1; s <= 120; s++) {
                StepResult r = step.run(s, images, new Shape(n, 3, res, res), 3e-3);
                assertTrue(r.applied());
                if (s == 1) {
                    first = r.parts().get("rec_loss");
                    arrays = m.getManagedArrays().size();
                }
                last = r.parts().get("rec_loss");
            }
            double psnrAfter = meanPsnr(vae, m, list, res);
            assertTrue(last < first / 3, "L1 reconstruction loss " + first + " -> " + last);
            assertTrue(psnrAfter > psnrBefore + 8 && psnrAfter > 20, "PSNR " + psnrBefore + " -> " + psnrAfter + " dB");
            assertEquals(arrays, m.getManagedArrays().size(), "steps leave no arrays in the model's manager");
            opt.close();
            vae.close();
        }
    }

    private static double meanPsnr(AutoencoderKL vae, NDManager m, List<float[]> images, int res) {
        List<float[]> out = Reconstructions.reconstruct(vae, m, images, 3, res, 4);
        double sum = 0;
        for (int i = 0; i < images.size(); i++) {
            sum += ImageMetrics.psnr(images.get(i), out.get(i), 3, res, res, PixelRange.MINUS_ONE_TO_ONE);
        }
        return sum / images.size();
    }

    @Test
    void aRunWritesMetricsPairGridsCheckpointsAndADiffusersExportThatLoadsBack() throws Exception {
        Run run = new Workspace(tmp).create("vae", tiny());
        Trainer trainer = new Trainer(run, cpu());
        assertEquals(Trainer.Outcome.FINISHED, trainer.run(new TrainingControl()), trainer.failure());
        assertEquals(RunStatus.FINISHED, run.state().status());

        List<MetricsRow> rows = run.metrics();
        assertEquals(12, rows.size());
        for (MetricsRow r : rows) {
            double rec = r.extra().get("rec_loss");
            double kl = r.extra().get("kl");
            assertTrue(rec > 0 && kl > 0, r.toString());
            // loss = rec + 1e-6 · kl / (3·16·16): the parts add up to the logged loss
            assertEquals(rec + 1e-6 * kl / (3 * 16 * 16), r.loss(), 1e-6 * r.loss());
        }
        // input | reconstruction pairs, 3 pairs a row for 6 images: 6 columns x 2 rows of 16 px
        BufferedImage grid = ImageIO.read(run.sampleGrid(12).toFile());
        assertEquals(6 * 16 + 7 * 2, grid.getWidth());
        assertEquals(2 * 16 + 3 * 2, grid.getHeight());
        assertTrue(Files.isRegularFile(run.sampleGrid(6)));
        String log = Files.readString(run.logFile());
        assertTrue(log.contains("VAE: ") && log.contains("f = 2"), log);
        assertTrue(log.contains("reconstructions at step 12: PSNR"), log);

        Checkpoint latest = run.latestCheckpoint().orElseThrow();
        assertEquals(12, latest.step());
        for (String f : List.of(Checkpoint.MODEL_FILE, Checkpoint.OPTIMIZER_FILE, VaeWeights.CONFIG, Run.CHECKPOINT_STATE)) {
            assertTrue(Files.isRegularFile(latest.dir().resolve(f)), f);
        }
        Path export = run.autoencoderExportDir();
        assertTrue(Files.isRegularFile(export.resolve(VaeWeights.DIFFUSERS_WEIGHTS)));
        VaeConfig exported = VaeWeights.readConfig(export);
        assertEquals(List.of(16, 32), exported.blockOutChannels());
        assertEquals(3, exported.latentChannels());

        // the run folder, the export and the checkpoint all load; the same weights give the same outputs
        Transform tf = new Transform(16, 3, true);
        ProceduralSource source = new ProceduralSource();
        List<float[]> images = new ArrayList<>();
        for (int i = 0; i < AutoencoderTask.SCALE_IMAGES; i++) {
            images.add(source.load(i * source.size() / AutoencoderTask.SCALE_IMAGES, tf, false));
        }
        assertEquals(export.resolve(VaeWeights.DIFFUSERS_WEIGHTS),
                Autoencoders.resolve(run.dir(), (Double) null).weightsFile());
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKL fromRun = (AutoencoderKL) Autoencoders.load(run.dir(), (Double) null, m);
            AutoencoderKL fromCheckpoint = VaeWeights.load(latest.dir(), m);
            List<float[]> a = Reconstructions.reconstruct(fromRun, m, images.subList(0, 4), 3, 16, 4);
            List<float[]> b = Reconstructions.reconstruct(fromCheckpoint, m, images.subList(0, 4), 3, 16, 4);
            for (int i = 0; i < a.size(); i++) {
                assertArrayEquals(a.get(i), b.get(i));
            }
            // the measured scaling factor gives the latents of those images unit variance
            assertEquals(exported.scalingFactor(), fromRun.config().scalingFactor());
            float[] z = fromRun.encodeLatents(m.create(stack(images), new Shape(images.size(), 3, 16, 16))).toFloatArray();
            assertEquals(1.0, std(z), 1e-3);
        }
    }

    private static float[] stack(List<float[]> images) {
        int per = images.get(0).length;
        float[] out = new float[images.size() * per];
        for (int i = 0; i < images.size(); i++) {
            System.arraycopy(images.get(i), 0, out, i * per, per);
        }
        return out;
    }

    private static double std(float[] v) {
        double s = 0;
        double ss = 0;
        for (float x : v) {
            s += x;
            ss += (double) x * x;
        }
        double mean = s / v.length;
        return Math.sqrt(ss / v.length - mean * mean);
    }

    @Test
    void resumingAfterAStopGivesTheSameLossesStepForStep() throws Exception {
        Run[] runs = TrainerTest.straightAndResumed(new Workspace(tmp), tiny("logging.sample_every=1000"));
        Run straight = runs[0];
        Run broken = runs[1];

        List<MetricsRow> a = straight.metrics();
        List<MetricsRow> b = broken.metrics();
        assertEquals(12, b.size());
        for (int i = 0; i < 12; i++) {
            assertEquals(a.get(i).loss(), b.get(i).loss(), 0.0, "loss at step " + (i + 1));
            assertEquals(a.get(i).extra().get("kl"), b.get(i).extra().get("kl"), 0.0, "kl at step " + (i + 1));
        }
        assertTrue(Files.readString(broken.logFile()).contains("resumed from step-00000005 at step 5"));
        assertArrayEquals(Files.readAllBytes(straight.autoencoderExportDir().resolve(VaeWeights.DIFFUSERS_WEIGHTS)),
                Files.readAllBytes(broken.autoencoderExportDir().resolve(VaeWeights.DIFFUSERS_WEIGHTS)));
    }
}

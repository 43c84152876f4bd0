package io.ldmstudio.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.ldmstudio.nn.AutoencoderKL;
import io.ldmstudio.nn.VaeConfig;
import io.ldmstudio.util.Rng;
import io.ldmstudio.weights.SafeTensors;
import io.ldmstudio.weights.TensorData;
import io.ldmstudio.weights.VaeWeights;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VaeCommandTest {
    @TempDir
    Path tmp;

    @Test
    void infoAndReconWriteReconstructionsAGridAndTheMetrics() throws Exception {
        Path vae = tmp.resolve("vae");
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKL model = new AutoencoderKL(VaeConfig.of(3, 3, List.of(16, 32), 1, 4, 8, 16));
            model.initialize(m, new Rng(1), false);
            VaeWeights.save(model, vae);
        }
        Path images = tmp.resolve("images");
        Files.createDirectories(images.resolve("sub"));
        Color[] colors = {Color.RED, Color.GREEN, Color.BLUE};
        for (int i = 0; i < 3; i++) {
            BufferedImage img = new BufferedImage(20, 16, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = img.createGraphics();
            g.setColor(colors[i]);
            g.fillOval(2, 2, 12, 12);
            g.dispose();
            ImageIO.write(img, "png", (i == 2 ? images.resolve("sub") : images).resolve("img" + i + ".png").toFile());
        }

        CliTest.Outcome info = CliTest.run("vae", "info", vae.toString(), "--size", "32");
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("16") && info.out().contains("f"), info.out());

        Path out = tmp.resolve("out");
        CliTest.Outcome r = CliTest.run("vae", "recon", "--vae", vae.toString(), "--images", images.toString(), "--out",
                out.toString(), "--size", "16", "--device", "cpu");
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isRegularFile(out.resolve("img0.png")));
        assertTrue(Files.isRegularFile(out.resolve("sub/img2.png")));
        assertEquals(16, ImageIO.read(out.resolve("img1.png").toFile()).getWidth());
        BufferedImage grid = ImageIO.read(out.resolve("grid.png").toFile());
        assertEquals(3 * 16 + 4 * 2, grid.getWidth()); // input | reconstruction | difference
        assertEquals(3 * 16 + 4 * 2, grid.getHeight()); // three images
        assertTrue(r.out().contains("[4, 8, 8]"), r.out()); // f = 2 at 16 px
        assertTrue(r.out().toLowerCase().contains("psnr") && r.out().toLowerCase().contains("ssim"), r.out());

        CliTest.Outcome pickle = CliTest.run("vae", "info", tmp.resolve("x.ckpt").toString());
        assertTrue(pickle.code() != 0);
        assertTrue(pickle.err().contains("safetensors"), pickle.err());
    }

    static final String POISONED_TENSOR = "decoder.up_blocks.0.resnets.1.conv1.weight";

    /** A small f = 2 autoencoder saved in {@code dir} with a NaN and an infinity in {@link #POISONED_TENSOR}; its weights file. */
    static Path poisonedVae(Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKL model = new AutoencoderKL(VaeConfig.of(3, 3, List.of(16, 32), 1, 4, 8, 16));
            model.initialize(m, new Rng(1), false);
            VaeWeights.save(model, dir);
        }
        Path file = dir.resolve(VaeWeights.DIFFUSERS_WEIGHTS);
        SafeTensors.Contents c = SafeTensors.read(file);
        Map<String, SafeTensors.Source> sources = new LinkedHashMap<>();
        for (TensorData t : c.tensors().values()) {
            float[] v = t.toFloatArray();
            if (t.name().equals(POISONED_TENSOR)) {
                v[0] = Float.NaN;
                v[5] = Float.POSITIVE_INFINITY;
            }
            sources.put(t.name(), SafeTensors.Source.of(v, t.shape()));
        }
        Path poisoned = dir.resolveSibling("poisoned.safetensors");
        SafeTensors.write(poisoned, sources, c.metadata(), "F32");
        Files.move(poisoned, file, StandardCopyOption.REPLACE_EXISTING);
        return file;
    }

    @Test
    void anAutoencoderWithANanIsABadValueNamingTheTensorAndTheFile() throws Exception {
        Path vae = tmp.resolve("vae");
        Path file = poisonedVae(vae);
        String tensor = POISONED_TENSOR;
        Path images = tmp.resolve("images");
        Files.createDirectories(images);
        ImageIO.write(new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB), "png", images.resolve("black.png").toFile());
        CliTest.Outcome r = CliTest.run("vae", "recon", "--vae", vae.toString(), "--images", images.toString(), "--out",
                tmp.resolve("out").toString(), "--size", "16", "--device", "cpu");
        assertEquals(2, r.code(), r.err());
        assertTrue(r.err().contains("error: " + file + ": tensor '" + tensor + "' has 2 non-finite values (NaN or Inf: "
                + "1 NaN, 1 Inf)"), r.err());
        assertFalse(Files.exists(tmp.resolve("out/black.png")), "no reconstruction is written");
    }

    @Test
    void latentTrainingOnAnAutoencoderWithANanIsRefusedBeforeTheRunIsCreated() throws Exception {
        Path vae = tmp.resolve("vae");
        Path file = poisonedVae(vae);
        List<String> args = new ArrayList<>(List.of("train", "--preset", "quickstart", "--run", "latent", "--steps", "2",
                "--workspace", tmp.resolve("ws").toString(), "--set", "autoencoder.kind=pretrained", "--set",
                "autoencoder.path=" + vae, "--set", "autoencoder.downsample_factor=2", "--set", "autoencoder.latent_channels=4"));
        args.addAll(List.of(CliTest.TINY));
        CliTest.Outcome o = CliTest.run(args.toArray(String[]::new));
        assertEquals(2, o.code(), o.err());
        assertTrue(o.err().contains("error: " + file + ": tensor '" + POISONED_TENSOR + "' has 2 non-finite values"),
                o.err());
        assertFalse(Files.exists(tmp.resolve("ws/runs/latent")), "no run is created");
    }

    /** A tiny f = 2 autoencoder on 16 px procedural shapes. */
    private String[] vaeTrain(String name, int steps, String preset) {
        return new String[] {"vae", "train", "--preset", preset, "--run", name, "--steps", Integer.toString(steps),
            "--workspace", tmp.resolve("ws").toString(), "--device", "cpu", "--set", "data.resolution=16",
            "--set", "vae.block_out_channels=16,32", "--set", "vae.norm_groups=8", "--set", "optim.batch_size=4",
            "--set", "logging.checkpoint_every=2", "--set", "logging.sample_every=2", "--set", "sampling.n=4",
            "--set", "data.workers=1"};
    }

    @Test
    void vaeTrainMakesARunThatInfoReconEvalResumeAndRunsAccept() throws Exception {
        CliTest.Outcome t = CliTest.run(vaeTrain("ae", 4, "vae-procedural"));
        assertEquals(0, t.code(), t.err());
        assertTrue(t.out().contains("VAE: ") && t.out().contains("reconstructions at step 4"), t.out());
        assertTrue(t.out().contains("exports") && t.out().contains("vae eval --vae"), t.out());
        Path run = tmp.resolve("ws/runs/ae");
        assertTrue(Files.isRegularFile(run.resolve("exports/vae/diffusion_pytorch_model.safetensors")));

        CliTest.Outcome info = CliTest.run("vae", "info", run.toString(), "--size", "16");
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("exports") && info.out().contains("latent for 16×16: 4×8×8"), info.out());
        // the run by its name in a workspace, as sample takes one
        CliTest.Outcome byName = CliTest.run("vae", "info", "ae", "--size", "16", "--workspace", tmp.resolve("ws").toString());
        assertEquals(0, byName.code(), byName.err());
        assertEquals(info.out(), byName.out());
        CliTest.Outcome noSuchRun = CliTest.run("vae", "info", "ae2", "--workspace", tmp.resolve("ws").toString());
        assertEquals(2, noSuchRun.code());
        assertTrue(noSuchRun.err().contains("PATH ae2: no such file or folder, nor a run of that name in "
                + tmp.resolve("ws/runs")), noSuchRun.err());

        Path images = tmp.resolve("images");
        Files.createDirectories(images);
        BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.ORANGE);
        g.fillRect(3, 3, 9, 9);
        g.dispose();
        ImageIO.write(img, "png", images.resolve("box.png").toFile());
        CliTest.Outcome recon = CliTest.run("vae", "recon", "--vae", "ae", "--workspace", tmp.resolve("ws").toString(),
                "--images", images.toString(), "--out", tmp.resolve("recon").toString(), "--size", "16", "--device", "cpu");
        assertEquals(0, recon.code(), recon.err());
        assertTrue(Files.isRegularFile(tmp.resolve("recon/box.png")));

        Path grid = tmp.resolve("eval.png");
        CliTest.Outcome eval = CliTest.run("vae", "eval", "--vae", run.toString(), "--limit", "20", "--batch", "8",
                "--grid", grid.toString(), "--device", "cpu");
        assertEquals(0, eval.code(), eval.err());
        assertTrue(eval.out().contains("test split") && eval.out().contains("20 images at 16 px"), eval.out());
        assertTrue(eval.out().contains("PSNR  mean") && eval.out().contains("SSIM  mean"), eval.out());
        assertEquals(3 * 16 + 4 * 2, ImageIO.read(grid.toFile()).getWidth()); // input | reconstruction | difference

        CliTest.Outcome resume = CliTest.run("resume", "ae", "--steps", "6", "--workspace", tmp.resolve("ws").toString());
        assertEquals(0, resume.code(), resume.err());
        assertTrue(resume.out().contains("resumed from step-00000004"), resume.out());
        assertTrue(Files.isRegularFile(run.resolve("samples/step-00000006.png")));

        CliTest.Outcome runs = CliTest.run("runs", "--workspace", tmp.resolve("ws").toString());
        assertTrue(runs.out().contains("autoencoder") && runs.out().contains("vae-procedural"), runs.out());

        CliTest.Outcome sample = CliTest.run("sample", "ae", "--out", tmp.resolve("s.png").toString(), "--workspace",
                tmp.resolve("ws").toString());
        assertEquals(2, sample.code());
        assertTrue(sample.err().contains("trains an autoencoder") && sample.err().contains("vae recon"), sample.err());
    }

    @Test
    void vaeTrainRefusesADiffusionPresetAndNamesTheAutoencoderPresets() {
        CliTest.Outcome o = CliTest.run(vaeTrain("x", 2, "quickstart"));
        assertEquals(2, o.code());
        assertTrue(o.err().contains("task = diffusion") && o.err().contains("vae-fashion-mnist")
                && o.err().contains("vae-procedural"), o.err());
        CliTest.Outcome f = CliTest.run("vae", "train", "--preset", "vae-procedural", "--set", "vae.block_out_channels=8,8,8,8,8",
                "--workspace", tmp.toString());
        assertEquals(2, f.code());
        assertTrue(f.err().contains("vae.block_out_channels") && f.err().contains("1, 2, 4 or 8"), f.err());
    }

    @Test
    void theLatentPresetStopsWithAMessageNamingTheMissingVaeRunAndHowToTrainIt() {
        Path missing = tmp.resolve("ws/runs/vae-fashion-mnist");
        CliTest.Outcome o = CliTest.run("train", "--preset", "fashion-mnist-latent-cpu", "--set",
                "autoencoder.path=" + missing, "--workspace", tmp.resolve("ws").toString());
        assertEquals(1, o.code());
        assertTrue(o.err().contains(missing.toString()) && o.err().contains("not found"), o.err());
        assertTrue(o.err().contains("vae train --preset vae-fashion-mnist --run vae-fashion-mnist --workspace "
                + tmp.resolve("ws")), o.err());
        assertFalse(Files.exists(tmp.resolve("ws/runs")) && tmp.resolve("ws/runs").toFile().list().length > 0,
                "no run is created");
    }

    @Test
    void vaeBenchTimesEncodingAndDecoding() {
        CliTest.Outcome o = CliTest.run("vae", "bench", "--arch", "vae-procedural", "--size", "16", "--encode-images",
                "32", "--decode-repeats", "2", "--device", "cpu", "--json");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("\"encode_images_per_s\"") && o.out().contains("\"decode_ms_median\"")
                && o.out().contains("\"latent\":\"4x4x4\""), o.out());
        CliTest.Outcome both = CliTest.run("vae", "bench", "--arch", "sd-vae-ft-mse", "--vae", tmp.toString());
        assertEquals(2, both.code());
    }
}

package io.ldmstudio.service;

import io.ldmstudio.engine.Devices;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.data.BadImageFiles;
import io.ldmstudio.eval.ImageResult;
import io.ldmstudio.nn.AutoencoderKL;
import io.ldmstudio.nn.VaeConfig;
import io.ldmstudio.util.Rng;
import io.ldmstudio.weights.VaeWeights;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vae recon} through an autoencoder of the images' own channel count. */
class ReconstructionServiceTest {
    @TempDir
    Path tmp;

    @Test
    void aOneChannelAutoencoderReconstructsAFolderInGray() throws Exception {
        Path vae = tmp.resolve("vae");
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKL model = new AutoencoderKL(VaeConfig.of(1, 1, List.of(16, 32), 1, 4, 8, 16)); // f = 2
            model.initialize(m, new Rng(1), false);
            VaeWeights.save(model, vae);
        }
        Path images = tmp.resolve("images");
        Files.createDirectories(images);
        Color[] colors = {Color.WHITE, Color.GRAY};
        for (int i = 0; i < colors.length; i++) {
            BufferedImage img = new BufferedImage(20, 16, BufferedImage.TYPE_INT_RGB); // RGB in, gray through the model
            Graphics2D g = img.createGraphics();
            g.setColor(colors[i]);
            g.fillOval(2, 2, 12, 12);
            g.dispose();
            ImageIO.write(img, "png", images.resolve("img" + i + ".png").toFile());
        }

        Path out = tmp.resolve("out");
        List<Integer> seen = new ArrayList<>();
        ReconstructionService.Result r = ReconstructionService.reconstruct(vae, VaeWeights.Options.DEFAULTS, images, out,
                16, Devices.resolve("cpu"), seen::add);

        assertEquals(2, r.images());
        assertEquals(List.of(1, 2), seen);
        assertArrayEquals(new long[] {4, 8, 8}, r.latentShape());
        for (int i = 0; i < colors.length; i++) {
            BufferedImage png = ImageIO.read(out.resolve("img" + i + ".png").toFile());
            assertEquals(16, png.getWidth());
            assertEquals(16, png.getHeight());
            assertEquals(BufferedImage.TYPE_BYTE_GRAY, png.getType(), "one channel in, one channel out");
        }
        BufferedImage grid = ImageIO.read(r.grid().toFile());
        assertEquals(3 * 16 + 4 * 2, grid.getWidth()); // input | reconstruction | difference
        assertEquals(2 * 16 + 3 * 2, grid.getHeight()); // two images
        assertEquals(2, r.summary().count());
        for (ImageResult m : r.summary().images()) {
            assertTrue(Double.isFinite(m.psnr()), m.toString());
            assertTrue(Double.isFinite(m.ssim()), m.toString());
        }
    }

    @Test
    void withoutASizeEveryImageIsReconstructedAtItsOwnSizeCroppedToAMultipleOfF() throws Exception {
        Path vae = tmp.resolve("vae");
        AutoencoderKL model;
        try (NDManager m = NDManager.newBaseManager()) {
            model = new AutoencoderKL(VaeConfig.of(3, 3, List.of(16, 32, 32), 1, 4, 8, 16)); // f = 4
            model.initialize(m, new Rng(2), false);
            VaeWeights.save(model, vae);
        }
        Path images = tmp.resolve("images");
        Files.createDirectories(images);
        int[][] sizes = {{64, 64}, {30, 21}, {2, 9}}; // width, height: as is; cropped to 28x20; smaller than f
        for (int i = 0; i < sizes.length; i++) {
            BufferedImage img = new BufferedImage(sizes[i][0], sizes[i][1], BufferedImage.TYPE_INT_RGB);
            Graphics2D g = img.createGraphics();
            g.setColor(Color.ORANGE);
            g.fillRect(1, 1, sizes[i][0] / 2, sizes[i][1] / 2);
            g.dispose();
            ImageIO.write(img, "png", images.resolve("img" + i + ".png").toFile());
        }

        ReconstructionService.Result r = ReconstructionService.reconstruct(vae, VaeWeights.Options.DEFAULTS, images,
                tmp.resolve("out"), null, Devices.resolve("cpu"), null);

        assertEquals(2, r.images());
        assertEquals(4, r.f());
        assertEquals(1, r.cropped(), "only the 30x21 image needed cropping");
        assertEquals(java.util.Map.of("64x64", 1, "28x20", 1), r.sizes());
        assertArrayEquals(new long[] {4, 16, 16}, r.latentShape(), "the first image's latent, at 64 px (not 256)");
        BufferedImage big = ImageIO.read(tmp.resolve("out/img0.png").toFile());
        assertEquals(64, big.getWidth());
        assertEquals(64, big.getHeight());
        BufferedImage small = ImageIO.read(tmp.resolve("out/img1.png").toFile());
        assertEquals(28, small.getWidth());
        assertEquals(20, small.getHeight());
        assertEquals(1, r.skipped().size());
        assertTrue(r.skipped().get(0).contains("img2.png") && r.skipped().get(0).contains("smaller than f = 4"),
                r.skipped().toString());
        BufferedImage grid = ImageIO.read(r.grid().toFile());
        assertEquals(3 * 64 + 4 * 2, grid.getWidth(), "rows at their own sizes, as wide as the widest");
        assertEquals(64 + 20 + 3 * 2, grid.getHeight());
    }

    @Test
    void filesThatDoNotDecodeAreListedGetNoOutputAndStayOutOfTheMeans() throws Exception {
        Path vae = tmp.resolve("vae");
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKL model = new AutoencoderKL(VaeConfig.of(3, 3, List.of(16, 32), 1, 4, 8, 16)); // f = 2
            model.initialize(m, new Rng(3), false);
            VaeWeights.save(model, vae);
        }
        Path images = tmp.resolve("images");
        Path goodOnly = tmp.resolve("good-only");
        for (int i = 0; i < 2; i++) {
            BadImageFiles.noisePng(images.resolve("img" + i + ".png"), 16, 16, 20 + i);
            BadImageFiles.noisePng(goodOnly.resolve("img" + i + ".png"), 16, 16, 20 + i);
        }
        BadImageFiles.truncatedPng(images.resolve("img0t.png"), 64, 64, 4); // between img0 and img1
        BadImageFiles.declaredSizePng(images.resolve("bomb.png"), 60000, 60000);

        Path out = tmp.resolve("out");
        ReconstructionService.Result r = ReconstructionService.reconstruct(vae, VaeWeights.Options.DEFAULTS, images, out,
                null, Devices.resolve("cpu"), null);
        ReconstructionService.Result ref = ReconstructionService.reconstruct(vae, VaeWeights.Options.DEFAULTS, goodOnly,
                tmp.resolve("ref"), null, Devices.resolve("cpu"), null);

        assertEquals(2, r.images());
        try (Stream<Path> files = Files.list(out)) {
            assertEquals(List.of("grid.png", "img0.png", "img1.png"),
                    files.map(f -> f.getFileName().toString()).sorted().toList(), "nothing written for the bad files");
        }
        assertEquals(2, r.skipped().size(), r.skipped().toString());
        String bomb = r.skipped().stream().filter(k -> k.contains("bomb.png")).findFirst().orElseThrow();
        assertTrue(bomb.contains("60000x60000"), bomb);
        String truncated = r.skipped().stream().filter(k -> k.contains("img0t.png")).findFirst().orElseThrow();
        assertTrue(truncated.startsWith(images.resolve("img0t.png") + ": ") && truncated.length()
                > (images.resolve("img0t.png") + ": ").length(), "the path and a reason: " + truncated);
        assertEquals(List.of("img0.png", "img1.png"), r.summary().images().stream().map(ImageResult::name).toList());
        assertEquals(ref.summary().psnr().mean(), r.summary().psnr().mean(), 0.0);
        assertEquals(ref.summary().ssim().mean(), r.summary().ssim().mean(), 0.0);
        assertEquals(ref.summary().mse().mean(), r.summary().mse().mean(), 0.0);
        // each written image is the reconstruction of its own input, as in the folder without bad files
        for (String name : List.of("img0.png", "img1.png")) {
            BufferedImage a = ImageIO.read(out.resolve(name).toFile());
            BufferedImage b = ImageIO.read(tmp.resolve("ref").resolve(name).toFile());
            assertArrayEquals(b.getRGB(0, 0, 16, 16, null, 0, 16), a.getRGB(0, 0, 16, 16, null, 0, 16), name);
        }

        // vae eval over the same folder: the same images measured, the bad ones listed
        ReconstructionService.Evaluation e = ReconstructionService.evaluate(vae, VaeWeights.Options.DEFAULTS,
                new RunConfig.Data("folder", images.toString(), 16, 3, true, false, 0, 0), false, 0, 2, null,
                Devices.resolve("cpu"), null);
        ReconstructionService.Evaluation eRef = ReconstructionService.evaluate(vae, VaeWeights.Options.DEFAULTS,
                new RunConfig.Data("folder", goodOnly.toString(), 16, 3, true, false, 0, 0), false, 0, 2, null,
                Devices.resolve("cpu"), null);
        assertEquals(List.of("0", "2"), e.summary().images().stream().map(ImageResult::name).toList(),
                "indices of img0.png and img1.png; img0t.png (1) left out");
        assertEquals(2, e.skipped().size(), e.skipped().toString());
        // batched as [img0], [img1] here and [img0, img1] there: equal up to float rounding in the convolutions
        assertEquals(eRef.summary().psnr().mean(), e.summary().psnr().mean(), 1e-4);
        assertEquals(eRef.summary().mse().mean(), e.summary().mse().mean(), 1e-6 * eRef.summary().mse().mean());
    }
}

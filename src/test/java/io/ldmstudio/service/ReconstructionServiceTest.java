package io.ldmstudio.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
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
}

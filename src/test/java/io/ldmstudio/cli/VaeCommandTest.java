package io.ldmstudio.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.ldmstudio.nn.AutoencoderKL;
import io.ldmstudio.nn.VaeConfig;
import io.ldmstudio.util.Rng;
import io.ldmstudio.weights.VaeWeights;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
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
}

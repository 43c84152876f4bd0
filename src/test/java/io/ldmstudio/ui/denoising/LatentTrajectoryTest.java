package io.ldmstudio.ui.denoising;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.diffusion.StepListener;
import io.ldmstudio.nn.AutoencoderKL;
import io.ldmstudio.nn.VaeConfig;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.service.LatentDecoder;
import io.ldmstudio.service.SamplingService;
import io.ldmstudio.training.Trainer;
import io.ldmstudio.training.TrainingControl;
import io.ldmstudio.ui.StudioFixture;
import io.ldmstudio.util.Rng;
import io.ldmstudio.weights.VaeWeights;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A latent run's trajectory: x_t and x̂0 decoded through the autoencoder, ε̂ shown in latent space. */
class LatentTrajectoryTest {
    @TempDir
    Path tmp;

    @Test
    void latentFramesAreDecodedToImageSizeAndTheLastX0IsTheDecodedSample() throws Exception {
        Path vae = tmp.resolve("vae");
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKL model = new AutoencoderKL(VaeConfig.of(3, 3, List.of(16, 32), 1, 4, 8, 16)); // f = 2
            model.initialize(m, new Rng(1), false);
            VaeWeights.save(model, vae);
        }
        RunConfig config = StudioFixture.tinyConfig("autoencoder.kind=pretrained", "autoencoder.path=" + vae,
                "autoencoder.downsample_factor=2", "autoencoder.latent_channels=4", "autoencoder.scaling_factor=0.5",
                "optim.steps=2", "logging.checkpoint_every=2", "logging.sample_every=2");
        Run run = new Workspace(tmp.resolve("ws")).create("latent", config);
        Devices.DeviceInfo cpu = Devices.resolve("cpu");
        Trainer trainer = new Trainer(run, cpu);
        assertEquals(Trainer.Outcome.FINISHED, trainer.run(new TrainingControl()), trainer.failure());

        Generation.Geometry geo = Generation.geometry(run.config(), 2);
        assertTrue(geo.latent());
        assertEquals(8, geo.latentSize());
        assertEquals(16, geo.imageSize());
        assertEquals(2, geo.factor());
        Generation.Settings s = new Generation.Settings("ddim", 3, 0, 5, 2, true, 2);
        LatentDecoder decoder = new LatentDecoder(run.config(), cpu);
        try {
            Generation g = new Generation("latent", s, geo, decoder);
            SamplingService.Result r = SamplingService.sample(run, s.request(), cpu, g.trajectory(), () -> false);
            g.finish(r);
            assertEquals(3, g.size());
            assertEquals(2 * 4 * 8 * 8, g.trajectory().get(0).xt().length, "the trajectory holds latents");

            for (FrameKind k : FrameKind.values()) {
                BufferedImage f = g.frame(1, k);
                assertEquals(2 * 16 + Frames.GAP, f.getWidth(), k + " frame width");
                assertEquals(16, f.getHeight(), k + " frame height");
            }
            float[] x0 = g.values(2, FrameKind.X0);
            assertEquals(2 * 3 * 16 * 16, x0.length, "x̂0 decoded to RGB 16 px");
            assertSame(x0, g.values(2, FrameKind.X0), "decoded frames are cached");
            assertEquals(2 * 4 * 8 * 8, g.values(2, FrameKind.EPS).length, "ε̂ stays in latent space");
            // the service decodes the final latent, which DDIM makes equal to the last x̂0
            for (int k = 0; k < 2; k++) {
                float[] img = r.images().get(k);
                for (int i = 0; i < img.length; i++) {
                    assertEquals(img[i], x0[k * img.length + i], 1e-5f, "image " + k + " value " + i);
                }
            }
            assertNotEquals(g.values(0, FrameKind.XT)[0], g.values(2, FrameKind.XT)[0]);

            // exports work on latent runs too
            Path dir = Exports.writeFrames(tmp, "frames", g, null);
            try (Stream<Path> files = Files.list(dir)) {
                assertEquals(3 * 3, files.count());
            }
            Path strip = tmp.resolve("strip.png");
            BufferedImage written = Exports.writeStrip(strip, g, null, List.of(0, 2), List.of(FrameKind.X0),
                    new FigureComposer.Style(2, 8, 6, 14, false));
            BufferedImage read = ImageIO.read(strip.toFile());
            assertEquals(2 * 8 + 2 * 66 + 6, read.getWidth());
            assertEquals(written.getHeight(), read.getHeight());

            // handed the decoder, the service decodes the samples with the autoencoder it holds (as the
            // pane does): with the weights gone from the autoencoder's folder it still gives the same images
            try (Stream<Path> files = Files.list(vae)) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            try (Stream<Path> files = Files.list(vae)) {
                assertEquals(0, files.count());
            }
            SamplingService.Result again = SamplingService.sample(run, s.request(), cpu, StepListener.NONE, () -> false,
                    decoder);
            assertEquals(3, again.channels());
            assertEquals(16, again.width());
            assertEquals(2, again.images().size());
            for (int k = 0; k < 2; k++) {
                assertArrayEquals(r.images().get(k), again.images().get(k), 1e-5f, "image " + k);
            }
            // without one it loads the run's autoencoder itself, which is now gone
            assertThrows(IOException.class,
                    () -> SamplingService.sample(run, s.request(), cpu, StepListener.NONE, () -> false));
        } finally {
            decoder.close();
        }
    }
}

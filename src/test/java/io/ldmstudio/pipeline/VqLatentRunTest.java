package io.ldmstudio.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ldmstudio.config.ConfigResolver;
import io.ldmstudio.config.Presets;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.training.Trainer;
import io.ldmstudio.training.TrainingControl;
import io.ldmstudio.ui.StudioFixture;
import io.ldmstudio.weights.VaeWeights;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A latent run on a diffusers VQModel (the golden fixture: 16 px RGB, f = 2, 3 latent channels): it
 * trains, writes a decoded sample grid, and exports an LDMPipeline whose vqvae is that VQModel, which
 * the studio's pipeline opens and samples from as the studio does.
 */
class VqLatentRunTest {
    static final Path GOLDEN = Path.of("src/test/resources/golden/vq");

    @TempDir
    Path tmp;

    @Test
    void aLatentRunOnAVqModelTrainsDecodesAndExportsItAsVqvae() throws Exception {
        List<String> o = new ArrayList<>(StudioFixture.TINY);
        o.addAll(List.of("optim.steps=3", "logging.checkpoint_every=3", "logging.sample_every=3",
                "autoencoder.kind=pretrained", "autoencoder.path=" + GOLDEN.toAbsolutePath(),
                "autoencoder.downsample_factor=2", "autoencoder.latent_channels=3", "autoencoder.scaling_factor=0.5",
                "sampling.sampler=ddim"));
        Run run = new Workspace(tmp.resolve("ws")).create("vq", ConfigResolver.resolve(Presets.classpath(), "quickstart", o));
        Trainer trainer = new Trainer(run, Devices.resolve("cpu"));
        assertEquals(Trainer.Outcome.FINISHED, trainer.run(new TrainingControl()), trainer.failure());

        String log = Files.readString(run.logFile());
        assertTrue(log.contains("VQModel") && log.contains("latent cache"), log);
        assertEquals(3, io.ldmstudio.weights.UNetWeights.readConfig(run.latestCheckpoint().orElseThrow().dir()).inChannels());
        BufferedImage grid = ImageIO.read(run.sampleGrid(3).toFile());
        assertEquals(2 * 16 + 3 * 2, grid.getWidth()); // decoded 16 px images, not 8 px latents

        Path export = run.exportsDir().resolve("diffusers");
        JsonNode index = new ObjectMapper().readTree(export.resolve("model_index.json").toFile());
        assertEquals("VQModel", index.path("vqvae").get(1).asText());
        assertTrue(VaeWeights.isVq(export.resolve("vqvae")));
        assertEquals(0.5, VaeWeights.readVqConfig(export.resolve("vqvae")).scalingFactor());
        assertEquals(VaeWeights.readVqConfig(GOLDEN).numVqEmbeddings(),
                VaeWeights.readVqConfig(export.resolve("vqvae")).numVqEmbeddings());

        Pipeline p = Pipeline.open(export);
        assertEquals("LDMPipeline", p.folder().pipelineClass());
        assertEquals(0.5, p.latentScale().orElseThrow());
        assertEquals(3, p.imageChannels());
        assertArrayEquals(new long[] {2, 3, 8, 8}, p.noiseShape(2));
        PipelineRoundTripTest.sameImages(run, p, "ddim", 2);
    }
}

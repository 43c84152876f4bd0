package io.ldmstudio.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ldmstudio.config.SamplerKind;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.pipeline.Pipeline;
import io.ldmstudio.runs.MetricsRow;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.service.SamplingService;
import io.ldmstudio.ui.StudioFixture;
import io.ldmstudio.weights.SafeTensors;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * LDM's cross-attention class route ({@code conditioning.type cross_attention}) through the run machinery, as
 * {@link ConditionalRunTest} takes the class-embedding route: the classes recorded, labels through training,
 * a resumed run that repeats the uninterrupted one's losses (network, class tokens, EMA, AdamW), a labelled
 * grid of one row per class, sampling by class with guidance, and an export — a {@code UNet2DConditionModel}
 * beside a {@code ClassEmbedder} table — that gives the run's images bit for bit.
 */
class CrossAttentionRunTest {
    @TempDir
    Path tmp;

    static final Devices.DeviceInfo CPU = Devices.resolve("cpu");
    static final String[] XATTN = {"conditioning.type=cross_attention", "conditioning.cross_attention_dim=24",
        "logging.sample_every=4", "logging.checkpoint_every=4", "sampling.n=4", "sampling.steps=3"};

    static io.ldmstudio.config.RunConfig config(int steps) {
        String[] o = java.util.Arrays.copyOf(XATTN, XATTN.length + 1);
        o[XATTN.length] = "optim.steps=" + steps;
        return StudioFixture.tinyConfig(o);
    }

    @Test
    void aCrossAttentionRunTrainsResumesSamplesByClassAndExportsWhatItSamples() throws Exception {
        Workspace ws = new Workspace(tmp.resolve("ws"));
        Run run = ws.create("xattn", config(4));
        Trainer trainer = new Trainer(run, CPU);
        assertEquals(Trainer.Outcome.FINISHED, trainer.run(new TrainingControl()), trainer.failure());

        List<String> shapes = List.of("disc", "square", "triangle", "ring", "stripes");
        assertEquals(shapes, run.classNames());
        assertEquals(5, run.config().conditioning().classes());
        String log = Files.readString(run.logFile());
        assertTrue(log.contains("conditioning: 5 classes") && log.contains("cross-attention to a class token (24 wide"),
                log);
        assertTrue(log.contains("UNet2DConditionModel: "), "the network it trains: " + log);

        // one labelled row per class of ⌈4 / 5⌉ = 1 image of 16 px
        BufferedImage grid = ImageIO.read(run.sampleGrid(4).toFile());
        assertEquals(5 * (16 + 2) + 2, grid.getHeight());
        assertTrue(grid.getWidth() > 16 + 2 * 2, "a margin for the class names: " + grid.getWidth());

        // resumed from its step-4 checkpoint to step 6: the losses of a run trained to 6 straight
        assertEquals(Trainer.Outcome.FINISHED, new Trainer(run, CPU).totalSteps(6).run(new TrainingControl()));
        assertTrue(Files.readString(run.logFile()).contains("resumed from step-00000004 at step 4"));
        Run straight = ws.create("straight", config(6));
        assertEquals(Trainer.Outcome.FINISHED, new Trainer(straight, CPU).run(new TrainingControl()));
        List<MetricsRow> a = run.metrics();
        List<MetricsRow> b = straight.metrics();
        assertEquals(6, a.size());
        for (int i = 0; i < 6; i++) {
            assertEquals(b.get(i).loss(), a.get(i).loss(), 0.0, "loss at step " + (i + 1));
        }

        int[] labels = {0, 4};
        SamplingService.Result mine = SamplingService.sample(run, new SamplingService.Request("ddim", 3, 0, 1, 2, true, 0,
                new Pipeline.Condition(labels, 3.0, 0)), CPU, null, () -> false);
        SamplingService.Result swapped = SamplingService.sample(run, new SamplingService.Request("ddim", 3, 0, 1, 2, true,
                0, new Pipeline.Condition(new int[] {4, 0}, 3.0, 0)), CPU, null, () -> false);
        assertFalse(java.util.Arrays.equals(mine.images().get(0), swapped.images().get(0)), "another class, another image");
        assertEquals(2, SamplingService.sample(run, new SamplingService.Request("ddim", 3, 0, 1, 2, true, 0), CPU, null,
                () -> false).images().size(), "no labels: the null class");
        assertThrows(IllegalArgumentException.class, () -> SamplingService.sample(run, new SamplingService.Request("ddim",
                3, 0, 1, 1, true, 0, new Pipeline.Condition(new int[] {5}, 3.0, 0)), CPU, null, () -> false));

        // the export: unet/ a UNet2DConditionModel, class_embedder/ LDM's ClassEmbedder table with the null row
        Path export = run.exportsDir().resolve("diffusers");
        ObjectMapper json = new ObjectMapper();
        JsonNode index = json.readTree(export.resolve("model_index.json").toFile());
        assertEquals("UNet2DConditionModel", index.path("unet").get(1).asText());
        assertEquals("ClassEmbedder", index.path("class_embedder").get(1).asText());
        JsonNode unet = json.readTree(export.resolve("unet/config.json").toFile());
        assertEquals("UNet2DConditionModel", unet.path("_class_name").asText());
        assertEquals(24, unet.path("cross_attention_dim").asInt());
        assertEquals("[\"DownBlock2D\",\"CrossAttnDownBlock2D\"]", unet.path("down_block_types").toString());
        assertEquals("[\"CrossAttnUpBlock2D\",\"UpBlock2D\"]", unet.path("up_block_types").toString());
        JsonNode tokens = json.readTree(export.resolve("class_embedder/config.json").toFile());
        assertEquals(6, tokens.path("n_classes").asInt(), "the 5 classes and the null class");
        assertEquals(24, tokens.path("embed_dim").asInt());
        assertEquals("ring", tokens.path("id2label").path("3").asText());
        SafeTensors.Header table = SafeTensors.readHeader(export.resolve("class_embedder/diffusion_pytorch_model.safetensors"));
        assertEquals(List.of("embedding.weight"), List.copyOf(table.tensors().keySet()));
        assertArrayEquals(new long[] {6, 24}, table.tensors().get("embedding.weight").shape());
        assertTrue(SafeTensors.readHeader(export.resolve("unet/diffusion_pytorch_model.safetensors")).tensors()
                .containsKey("down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.weight"), "diffusers' names");

        Pipeline p = Pipeline.open(export);
        assertTrue(p.network().isCrossAttention());
        assertEquals(5, p.classes());
        assertEquals(shapes, p.classNames(), "the class names go along as id2label");
        SamplingService.Result fromExport = SamplingService.sample(p, SamplerKind.DDIM, 3, 0, 1, 2, null,
                new Pipeline.Condition(labels, 3.0, 0), CPU, null, () -> false, null);
        for (int i = 0; i < 2; i++) {
            assertArrayEquals(mine.images().get(i), fromExport.images().get(i), "image " + i); // bit for bit
        }
    }
}

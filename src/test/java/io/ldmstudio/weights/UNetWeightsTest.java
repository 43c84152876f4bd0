package io.ldmstudio.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.nn.Module;
import io.ldmstudio.nn.UNet2DModel;
import io.ldmstudio.nn.UNetConfig;
import io.ldmstudio.util.Rng;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** U-Net weights in diffusers' layout: config, names, round trips and errors. */
class UNetWeightsTest {
    static final RunConfig.Model SMALL = new RunConfig.Model(16, List.of(1, 2), 1, List.of(2), 2, 8, 0.0);

    @TempDir
    Path tmp;

    private static float[] forward(UNet2DModel unet, NDManager m) {
        NDArray x = m.create(new Rng(9).gaussians(2 * 3 * 8 * 8), new Shape(2, 3, 8, 8));
        NDArray t = m.create(new float[] {10, 700});
        return unet.forward(x, t, false).toFloatArray();
    }

    @Test
    void diffusersConfigNamesTheBlocksAndReadsBackToTheSameShape() throws Exception {
        UNetConfig c = UNetConfig.of(SMALL, 3, 8);
        JsonNode n = UNetWeights.diffusersConfig(c);
        assertEquals("UNet2DModel", n.get("_class_name").asText());
        assertEquals("[\"DownBlock2D\",\"AttnDownBlock2D\"]", n.get("down_block_types").toString());
        assertEquals("[\"AttnUpBlock2D\",\"UpBlock2D\"]", n.get("up_block_types").toString());
        assertEquals("[16,32]", n.get("block_out_channels").toString());
        assertEquals(16, n.get("attention_head_dim").asInt()); // 32 channels / 2 heads
        assertEquals(1, n.get("layers_per_block").asInt());
        UNetConfig back = UNetWeights.fromDiffusersConfig(n, tmp.resolve("config.json"));
        assertEquals(new UNet2DModel(c).namedParameters().keySet(), new UNet2DModel(back).namedParameters().keySet());
        assertEquals(new UNet2DModel(c).parameterCount(), new UNet2DModel(back).parameterCount());
    }

    @Test
    void parameterNamesAreDiffusersNames() {
        Map<String, Module.Param> p = new UNet2DModel(UNetConfig.of(SMALL, 3, 8)).namedParameters();
        for (String name : List.of("conv_in.weight", "time_embedding.linear_1.weight", "time_embedding.linear_2.bias",
                "down_blocks.0.resnets.0.norm1.weight", "down_blocks.0.resnets.0.time_emb_proj.weight",
                "down_blocks.0.downsamplers.0.conv.weight", "down_blocks.1.resnets.0.conv_shortcut.weight",
                "down_blocks.1.attentions.0.group_norm.weight", "down_blocks.1.attentions.0.to_q.weight",
                "down_blocks.1.attentions.0.to_out.0.bias", "mid_block.attentions.0.to_k.weight",
                "mid_block.resnets.1.conv2.weight", "up_blocks.0.resnets.1.conv_shortcut.weight",
                "up_blocks.0.attentions.1.to_v.weight", "up_blocks.0.upsamplers.0.conv.weight",
                "up_blocks.1.resnets.1.norm2.bias", "conv_norm_out.weight", "conv_out.bias")) {
            assertTrue(p.containsKey(name), name);
        }
        assertEquals(new Shape(32, 48, 3, 3), p.get("up_blocks.0.resnets.1.conv1.weight").shape()); // 32 + 16 skip
    }

    @Test
    void savedWeightsLoadBackToIdenticalOutputs() throws Exception {
        UNetConfig c = UNetConfig.of(SMALL, 3, 8);
        try (NDManager m = NDManager.newBaseManager()) {
            UNet2DModel a = new UNet2DModel(c);
            a.initialize(m, new Rng(1), false);
            UNetWeights.writeConfig(c, tmp);
            UNetWeights.writeWeights(a, tmp.resolve(UNetWeights.DIFFUSERS_WEIGHTS), Map.of());
            UNetConfig read = UNetWeights.readConfig(tmp);
            UNet2DModel b = new UNet2DModel(read);
            b.initialize(m, new Rng(2), false);
            b.loadStateDict(UNetWeights.readFor(b, UNetWeights.weightsFile(tmp, null)), m);
            assertArrayEquals(forward(a, m), forward(b, m), 0f);
        }
    }

    @Test
    void olderAttentionNamesLoad() throws Exception {
        UNetConfig c = UNetConfig.of(SMALL, 3, 8);
        try (NDManager m = NDManager.newBaseManager()) {
            UNet2DModel a = new UNet2DModel(c);
            a.initialize(m, new Rng(1), false);
            Map<String, SafeTensors.Source> old = new LinkedHashMap<>();
            a.namedParameters().forEach((k, p) -> old.put(k.replace(".to_q.", ".query.").replace(".to_k.", ".key.")
                    .replace(".to_v.", ".value.").replace(".to_out.0.", ".proj_attn."),
                    SafeTensors.Source.of(p.array().toFloatArray(), p.shape().getShape())));
            Path file = tmp.resolve("old.safetensors");
            SafeTensors.write(file, old, Map.of(), "F16");
            assertTrue(SafeTensors.readHeader(file).tensors().containsKey("mid_block.attentions.0.proj_attn.weight"));
            UNet2DModel b = new UNet2DModel(c);
            b.initialize(m, new Rng(2), false);
            b.loadStateDict(UNetWeights.readFor(b, file), m);
            float[] fa = forward(a, m);
            float[] fb = forward(b, m);
            for (int i = 0; i < fa.length; i++) {
                assertEquals(fa[i], fb[i], 2e-2, "f16 weights give nearly the same output");
            }
        }
    }

    @Test
    void missingUnexpectedAndMisshapenTensorsAreListedInOneError() throws Exception {
        UNetConfig c = UNetConfig.of(SMALL, 3, 8);
        try (NDManager m = NDManager.newBaseManager()) {
            UNet2DModel a = new UNet2DModel(c);
            a.initialize(m, new Rng(1), false);
            Map<String, SafeTensors.Source> src = new LinkedHashMap<>();
            a.namedParameters().forEach((k, p) -> src.put(k, SafeTensors.Source.of(p.array().toFloatArray(),
                    p.shape().getShape())));
            src.remove("conv_out.bias");
            src.put("extra.weight", SafeTensors.Source.of(new float[] {1}, 1));
            src.put("conv_in.weight", SafeTensors.Source.of(new float[16 * 3 * 3], 16, 3, 3));
            Path file = tmp.resolve("bad.safetensors");
            SafeTensors.write(file, src, Map.of(), "F32");
            Exception e = assertThrows(java.io.IOException.class, () -> UNetWeights.readFor(a, file));
            String msg = e.getMessage();
            assertTrue(msg.contains("missing (1): conv_out.bias"), msg);
            assertTrue(msg.contains("unexpected (1): extra.weight"), msg);
            assertTrue(msg.contains("wrong shape (1): conv_in.weight [16, 3, 3] (expected [16, 3, 3, 3])"), msg);
            assertTrue(msg.contains("bad.safetensors"), msg);
        }
    }

    /** diffusers' class conditioning (class_embed_type null): num_class_embeds rows of class_embedding.weight. */
    @Test
    void numClassEmbedsReadsWritesAndLoadsTheClassEmbedding() throws Exception {
        UNetConfig c = UNetConfig.of(SMALL, 3, 8).withNumClassEmbeds(11);
        JsonNode n = UNetWeights.diffusersConfig(c);
        assertEquals(11, n.get("num_class_embeds").asInt());
        assertTrue(n.get("class_embed_type").isNull());
        assertTrue(UNetWeights.diffusersConfig(UNetConfig.of(SMALL, 3, 8)).get("num_class_embeds").isNull());
        UNetConfig back = UNetWeights.fromDiffusersConfig(n, tmp.resolve("config.json"));
        assertEquals(11, back.numClassEmbeds());
        assertEquals(new UNet2DModel(c).parameterCount(), new UNet2DModel(back).parameterCount());
        try (NDManager m = NDManager.newBaseManager()) {
            UNet2DModel a = new UNet2DModel(c);
            a.initialize(m, new Rng(1), false);
            assertEquals(new Shape(11, 64), a.namedParameters().get("class_embedding.weight").shape());
            assertEquals(10, a.classes());
            assertEquals(10, a.nullClass());
            UNetWeights.writeConfig(c, tmp);
            UNetWeights.writeWeights(a, tmp.resolve(UNetWeights.DIFFUSERS_WEIGHTS), Map.of());
            UNet2DModel b = UNetWeights.open(tmp, m);
            assertEquals(11, b.config().numClassEmbeds());
            NDArray x = m.create(new Rng(9).gaussians(2 * 3 * 8 * 8), new Shape(2, 3, 8, 8));
            NDArray t = m.create(new float[] {10, 700});
            NDArray labels = m.create(new long[] {3, 10});
            assertArrayEquals(a.forward(x, t, labels, false).toFloatArray(),
                    b.forward(x, t, labels, false).toFloatArray(), 0f);
        }
    }

    @Test
    void aMissingOrExtraClassEmbeddingIsListedInTheOneError() throws Exception {
        UNetConfig plain = UNetConfig.of(SMALL, 3, 8);
        UNetConfig conditional = plain.withNumClassEmbeds(5);
        try (NDManager m = NDManager.newBaseManager()) {
            UNet2DModel a = new UNet2DModel(plain);
            a.initialize(m, new Rng(1), false);
            UNet2DModel b = new UNet2DModel(conditional);
            b.initialize(m, new Rng(1), false);
            Path plainFile = tmp.resolve("plain.safetensors");
            Path conditionalFile = tmp.resolve("conditional.safetensors");
            UNetWeights.writeWeights(a, plainFile, Map.of());
            UNetWeights.writeWeights(b, conditionalFile, Map.of());
            String missing = assertThrows(java.io.IOException.class, () -> UNetWeights.readFor(b, plainFile)).getMessage();
            assertTrue(missing.contains("missing (1): class_embedding.weight") && missing.contains("plain.safetensors"),
                    missing);
            String extra = assertThrows(java.io.IOException.class, () -> UNetWeights.readFor(a, conditionalFile))
                    .getMessage();
            assertTrue(extra.contains("unexpected (1): class_embedding.weight"), extra);
            UNet2DModel other = new UNet2DModel(plain.withNumClassEmbeds(3));
            String shape = assertThrows(java.io.IOException.class, () -> UNetWeights.readFor(other, conditionalFile))
                    .getMessage();
            assertTrue(shape.contains("wrong shape (1): class_embedding.weight [5, 64] (expected [3, 64])"), shape);
        }
    }

    @Test
    void unsupportedDiffusersConfigsAreRefusedNamingTheField() throws Exception {
        ObjectMapper om = new ObjectMapper();
        JsonNode n = UNetWeights.diffusersConfig(UNetConfig.of(SMALL, 3, 8));
        ((com.fasterxml.jackson.databind.node.ObjectNode) n).put("resnet_time_scale_shift", "scale_shift");
        Exception e = assertThrows(java.io.IOException.class,
                () -> UNetWeights.fromDiffusersConfig(n, tmp.resolve("config.json")));
        assertTrue(e.getMessage().contains("resnet_time_scale_shift"), e.getMessage());
        Files.writeString(tmp.resolve("config.json"), "{not json");
        Exception e2 = assertThrows(java.io.IOException.class, () -> UNetWeights.readConfig(tmp));
        assertTrue(e2.getMessage().contains("config.json"), e2.getMessage());
        assertTrue(om != null);
    }
}

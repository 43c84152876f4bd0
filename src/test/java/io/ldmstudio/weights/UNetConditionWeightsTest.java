package io.ldmstudio.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ldmstudio.nn.GradMode;
import io.ldmstudio.nn.UNet2DConditionConfig;
import io.ldmstudio.nn.UNet2DConditionModel;
import io.ldmstudio.util.Rng;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link UNetConditionWeights}: a saved cross-attention U-Net opens as itself; settings it lacks are refused. */
class UNetConditionWeightsTest {
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void noGradients() {
        GradMode.disable();
    }

    @TempDir
    Path tmp;

    static UNet2DConditionConfig config(List<Integer> heads) {
        return new UNet2DConditionConfig(8, 3, 3, List.of("CrossAttnDownBlock2D", "DownBlock2D"),
                List.of("UpBlock2D", "CrossAttnUpBlock2D"), List.of(16, 32), 1, heads, 16, 1, 4, 1e-5f, true, 0, 1, 0f);
    }

    @Test
    void aSavedNetworkOpensAsItselfBitForBit() throws Exception {
        for (List<Integer> heads : List.of(List.of(2, 4), List.of(2, 2))) {
            try (NDManager m = NDManager.newBaseManager()) {
                UNet2DConditionModel unet = new UNet2DConditionModel(config(heads));
                unet.initialize(m, new Rng(31), false);
                Path dir = tmp.resolve("unet-" + heads.get(1));
                UNetConditionWeights.save(unet, dir, Map.of("source", "test"));
                UNet2DConditionModel back = UNetConditionWeights.open(dir, m);
                assertEquals(unet.config(), back.config());
                NDArray x = m.randomNormal(new Shape(2, 3, 8, 8));
                NDArray t = m.create(new long[] {1, 999});
                NDArray tokens = m.randomNormal(new Shape(2, 3, 16));
                assertArrayEquals(unet.forwardWithTokens(x, t, tokens, false).toFloatArray(),
                        back.forwardWithTokens(x, t, tokens, false).toFloatArray());
            }
        }
    }

    @Test
    void settingsTheNetworkLacksAreRefusedByName() {
        ObjectNode good = UNetConditionWeights.diffusersConfig(config(List.of(2, 4)));
        Path file = tmp.resolve("config.json");
        Map<String, Object> bad = Map.of("num_attention_heads", 4, "use_linear_projection", true,
                "class_embed_type", "timestep", "mid_block_type", "UNetMidBlock2DSimpleCrossAttn",
                "time_embedding_dim", 128, "some_new_setting", 1, "encoder_hid_dim", 32);
        for (Map.Entry<String, Object> e : bad.entrySet()) {
            ObjectNode n = good.deepCopy();
            n.set(e.getKey(), JSON.valueToTree(e.getValue()));
            IOException ex = assertThrows(IOException.class, () -> UNetConditionWeights.fromDiffusersConfig(n, file),
                    e.getKey());
            assertTrue(ex.getMessage().contains(e.getKey()), ex.getMessage());
        }
        ObjectNode cross = good.deepCopy();
        cross.putArray("down_block_types").add("AttnDownBlock2D").add("DownBlock2D");
        assertThrows(IOException.class, () -> UNetConditionWeights.fromDiffusersConfig(cross, file));
    }

    @Test
    void attentionHeadDimIsTheHeadCountAsInDiffusers() throws Exception {
        ObjectNode n = UNetConditionWeights.diffusersConfig(config(List.of(2, 4)));
        n.put("attention_head_dim", 8);
        UNet2DConditionConfig c = UNetConditionWeights.fromDiffusersConfig(n, tmp.resolve("config.json"));
        assertEquals(List.of(8, 8), c.numAttentionHeads()); // 8 heads: of 2 channels at 16, of 4 at 32
        n.remove("attention_head_dim");
        assertEquals(List.of(8, 8), UNetConditionWeights.fromDiffusersConfig(n, tmp.resolve("config.json"))
                .numAttentionHeads()); // diffusers' default, 8
    }
}

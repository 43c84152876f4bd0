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
        Map<String, Object> bad = Map.of("num_attention_heads", 4, "dual_cross_attention", true,
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

    /** Stable Diffusion 1.5's unet/config.json (stable-diffusion-v1-5/stable-diffusion-v1-5), as published. */
    static final String SD15 = """
            {
              "_class_name": "UNet2DConditionModel",
              "_diffusers_version": "0.6.0",
              "act_fn": "silu",
              "attention_head_dim": 8,
              "block_out_channels": [320, 640, 1280, 1280],
              "center_input_sample": false,
              "cross_attention_dim": 768,
              "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
              "downsample_padding": 1,
              "flip_sin_to_cos": true,
              "freq_shift": 0,
              "in_channels": 4,
              "layers_per_block": 2,
              "mid_block_scale_factor": 1,
              "norm_eps": 1e-05,
              "norm_num_groups": 32,
              "out_channels": 4,
              "sample_size": 64,
              "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]
            }
            """;

    /**
     * The network built from SD 1.5's config has diffusers' 859,520,964 weights (the figure in diffusers'
     * own {@code num_parameters} docstring for that unet) in 686 tensors, under diffusers' names and shapes.
     * Nothing is allocated: parameters have shapes until initialised.
     */
    @Test
    void stableDiffusion15sConfigBuildsItsUNet() throws Exception {
        UNet2DConditionConfig c = UNetConditionWeights.fromDiffusersConfig(JSON.readTree(SD15), tmp.resolve("config.json"));
        assertEquals(List.of(8, 8, 8, 8), c.numAttentionHeads());
        UNet2DConditionModel unet = new UNet2DConditionModel(c);
        assertEquals(859_520_964L, unet.parameterCount());
        var params = unet.namedParameters();
        assertEquals(686, params.size());
        Map<String, Shape> shapes = Map.of(
                "time_embedding.linear_1.weight", new Shape(1280, 320),
                "down_blocks.0.attentions.0.transformer_blocks.0.attn2.to_k.weight", new Shape(320, 768),
                "down_blocks.0.attentions.0.transformer_blocks.0.ff.net.0.proj.weight", new Shape(2560, 320),
                "down_blocks.0.attentions.0.transformer_blocks.0.ff.net.2.weight", new Shape(320, 1280),
                "mid_block.attentions.0.proj_in.weight", new Shape(1280, 1280, 1, 1),
                "up_blocks.3.attentions.2.transformer_blocks.0.attn1.to_out.0.bias", new Shape(320),
                "up_blocks.0.resnets.2.conv_shortcut.weight", new Shape(1280, 2560, 1, 1),
                "down_blocks.2.downsamplers.0.conv.weight", new Shape(1280, 1280, 3, 3));
        for (Map.Entry<String, Shape> e : shapes.entrySet()) {
            assertTrue(params.containsKey(e.getKey()), e.getKey());
            assertEquals(e.getValue(), params.get(e.getKey()).shape(), e.getKey());
        }
    }

    /**
     * Stable Diffusion 2.1's unet config (Linear projections, head counts per level, 1024-wide tokens) builds
     * 865,910,724 weights in 686 tensors: SD 1.5's count plus the wider to_k/to_v of every cross-attention
     * (2 × 256 × the 12,480 channels of its 16 transformers); Linear and 1×1-conv projections hold the same weights.
     */
    @Test
    void stableDiffusion21sConfigBuildsItsUNet() throws Exception {
        ObjectNode n = (ObjectNode) JSON.readTree(SD15);
        n.putArray("attention_head_dim").add(5).add(10).add(20).add(20);
        n.put("cross_attention_dim", 1024);
        n.put("use_linear_projection", true);
        n.put("upcast_attention", true);
        n.put("sample_size", 96);
        UNet2DConditionConfig c = UNetConditionWeights.fromDiffusersConfig(n, tmp.resolve("config.json"));
        assertEquals(List.of(5, 10, 20, 20), c.numAttentionHeads());
        UNet2DConditionModel unet = new UNet2DConditionModel(c);
        assertEquals(865_910_724L, unet.parameterCount());
        var params = unet.namedParameters();
        assertEquals(686, params.size());
        assertEquals(new Shape(320, 320), params.get("down_blocks.0.attentions.0.proj_in.weight").shape());
        assertEquals(new Shape(1280, 1280), params.get("mid_block.attentions.0.proj_out.weight").shape());
        assertEquals(new Shape(640, 1024),
                params.get("up_blocks.2.attentions.1.transformer_blocks.0.attn2.to_v.weight").shape());
    }
}

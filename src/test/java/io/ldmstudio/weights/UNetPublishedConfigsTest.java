package io.ldmstudio.weights;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ldmstudio.nn.UNet2DModel;
import io.ldmstudio.nn.UNetConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The configs of published diffusers UNet2DModel checkpoints open, with diffusers' meaning of each setting. */
class UNetPublishedConfigsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Path FILE = Path.of("unet", "config.json");

    /** google/ddpm-cifar10-32's config.json as published (diffusers 0.0.4). */
    static final String DDPM_CIFAR10 = """
            {"_class_name": "UNet2DModel", "_diffusers_version": "0.0.4", "act_fn": "silu",
             "attention_head_dim": null, "block_out_channels": [128, 256, 256, 256], "center_input_sample": false,
             "down_block_types": ["DownBlock2D", "AttnDownBlock2D", "DownBlock2D", "DownBlock2D"],
             "downsample_padding": 0, "flip_sin_to_cos": false, "freq_shift": 1, "in_channels": 3,
             "layers_per_block": 2, "mid_block_scale_factor": 1, "norm_eps": 1e-06, "norm_num_groups": 32,
             "out_channels": 3, "sample_size": 32, "time_embedding_type": "positional",
             "up_block_types": ["UpBlock2D", "UpBlock2D", "AttnUpBlock2D", "UpBlock2D"]}""";

    /**
     * The unet of CompVis/ldm-celebahq-256: diffusers' UNet2DModel defaults, which were taken from it
     * (LDM's celebahq config: model_channels 224, channel_mult 1,2,3,4, attention at 8,4,2, num_head_channels 32).
     */
    static final String LDM_CELEBAHQ = """
            {"_class_name": "UNet2DModel", "act_fn": "silu", "attention_head_dim": 32,
             "block_out_channels": [224, 448, 672, 896], "center_input_sample": false,
             "down_block_types": ["DownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D", "AttnDownBlock2D"],
             "downsample_padding": 1, "flip_sin_to_cos": true, "freq_shift": 0, "in_channels": 3,
             "layers_per_block": 2, "mid_block_scale_factor": 1, "norm_eps": 1e-05, "norm_num_groups": 32,
             "out_channels": 3, "sample_size": 64, "time_embedding_type": "positional",
             "up_block_types": ["AttnUpBlock2D", "AttnUpBlock2D", "AttnUpBlock2D", "UpBlock2D"]}""";

    @Test
    void ddpmCifar10ReadsWithItsTimeEmbeddingPaddingAndOneHead() throws Exception {
        UNetConfig c = UNetWeights.fromDiffusersConfig(JSON.readTree(DDPM_CIFAR10), FILE);
        assertEquals(List.of(128, 256, 256, 256), c.blockOutChannels());
        assertEquals(List.of(false, true, false, false), c.attention());
        assertEquals(0, c.downsamplePadding());
        assertEquals(false, c.flipSinToCos());
        assertEquals(1.0, c.freqShift());
        assertEquals(1e-6f, c.normEps());
        assertEquals(1, c.headsFor(256)); // attention_head_dim null: each block's channels, one head
        assertEquals(35_746_307L, new UNet2DModel(c).parameterCount()); // the published checkpoint's count
    }

    @Test
    void ldmCelebahqHasHeadsOfThirtyTwoChannelsPerBlock() throws Exception {
        UNetConfig c = UNetWeights.fromDiffusersConfig(JSON.readTree(LDM_CELEBAHQ), FILE);
        assertEquals(1, c.downsamplePadding());
        assertEquals(14, c.headsFor(448));
        assertEquals(21, c.headsFor(672));
        assertEquals(28, c.headsFor(896));
        assertEquals(274_056_163L, new UNet2DModel(c).parameterCount());
    }

    @Test
    void writtenConfigReadsBackWithPaddingAndNullHeadDim() throws Exception {
        UNetConfig c = UNetWeights.fromDiffusersConfig(JSON.readTree(DDPM_CIFAR10), FILE);
        ObjectNode written = UNetWeights.diffusersConfig(c);
        assertEquals(0, written.get("downsample_padding").asInt());
        assertTrue(written.get("attention_head_dim").isNull());
        assertEquals(c, UNetWeights.fromDiffusersConfig(written, FILE));
    }

    @Test
    void unknownKeysAndUnsupportedValuesNameTheFileAndKey() throws Exception {
        String[][] bad = {
            {"flux_capacitor", "1"},
            {"mid_block_scale_factor", "1.414"},
            {"downsample_padding", "2"},
            {"attention_head_dim", "48"}, // does not divide 256
            {"attn_norm_num_groups", "8"},
            {"time_embedding_dim", "1024"},
            {"downsample_type", "\"resnet\""},
            {"mid_block_type", "null"},
            {"class_embed_type", "\"timestep\""},
            {"class_embed_type", "\"identity\""},
            {"num_class_embeds", "1"},
            {"num_class_embeds", "2.5"},
            {"num_class_embeds", "\"ten\""},
        };
        for (String[] kv : bad) {
            ObjectNode n = (ObjectNode) JSON.readTree(DDPM_CIFAR10);
            n.set(kv[0], JSON.readTree(kv[1]));
            IOException e = assertThrows(IOException.class, () -> UNetWeights.fromDiffusersConfig(n, FILE), kv[0]);
            assertTrue(e.getMessage().contains(FILE.toString()) && e.getMessage().contains(kv[0]), e.getMessage());
        }
    }
}

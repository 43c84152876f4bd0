package io.ldmstudio.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.ldmstudio.weights.SafeTensors;
import io.ldmstudio.weights.UNetConditionWeights;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The studio's {@link UNet2DConditionModel}, opened from a diffusers folder by
 * {@link UNetConditionWeights}, against diffusers' UNet2DConditionModel re-implemented in PyTorch
 * ({@code src/test/python/unet_condition_reference.py}, which wrote {@code src/test/resources/golden/unet-cond*}).
 * Both cases: block_out_channels [16, 32], {@code CrossAttnDownBlock2D}/{@code DownBlock2D} down,
 * {@code UNetMidBlock2DCrossAttn}, {@code UpBlock2D}/{@code CrossAttnUpBlock2D} up, batch 2, 8×8.
 * {@code cond}: 1×1-conv projections (LDM, SD 1.x), attention_head_dim [2, 4] (read as head counts, as
 * diffusers does), cross_attention_dim 16, L = 3 tokens. {@code cond-linear}: SD 2.x's Linear projections,
 * two transformer blocks per Transformer2DModel, attention_head_dim 2, cross_attention_dim 8, L = 5. Their
 * 200k and 234k weights lie on a coarse grid and are stored gzipped (100 KB and 117 KB).
 *
 * <p>Tolerance as {@link UNetGoldenTest}: float32 on both sides with different kernels. The script prints
 * what misread settings move the output by (0.24–1.1: other head counts, flip_sin_to_cos, one transformer block
 * for two), and other tokens move it by 0.55 and 0.80, so 1e-4 is far below any real mistake. Measured here
 * for {@code cond}: 1.2e-6 from PyTorch's float32 output (1.4e-6 with the other tokens), 6.4e-7 from its
 * float64 output (PyTorch float32 itself: 9.0e-7); for {@code cond-linear}: 1.8e-6 (1.4e-6) and 1.7e-6
 * (PyTorch float32 itself: 1.2e-6).
 */
class UNet2DConditionGoldenTest {
    static final double TOLERANCE = 1e-4;
    static final String WEIGHTS = "diffusion_pytorch_model.safetensors";

    @BeforeAll
    static void noGradients() {
        GradMode.disable();
    }

    @TempDir
    Path tmp;

    /** The fixture {@code unet-<name>} as a diffusers folder in {@code tmp}, the weights unpacked. */
    Path folder(String name) throws Exception {
        Path dir = Path.of(getClass().getResource("/golden/unet-" + name).toURI());
        Path out = tmp.resolve("unet-" + name);
        Files.createDirectories(out);
        Files.copy(dir.resolve("config.json"), out.resolve("config.json"));
        try (InputStream in = new GZIPInputStream(Files.newInputStream(dir.resolve(WEIGHTS + ".gz")))) {
            Files.copy(in, out.resolve(WEIGHTS));
        }
        Files.copy(dir.resolve("io.safetensors"), out.resolve("io.safetensors"));
        return out;
    }

    @Test
    void configReadsAsDiffusersResolvesIt() throws Exception {
        UNet2DConditionConfig c = UNetConditionWeights.readConfig(folder("cond"));
        assertEquals(List.of(16, 32), c.blockOutChannels());
        assertEquals(List.of(2, 4), c.numAttentionHeads());
        assertEquals(16, c.crossAttentionDim());
        assertEquals(List.of("CrossAttnDownBlock2D", "DownBlock2D"), c.downBlockTypes());
        UNet2DConditionConfig linear = UNetConditionWeights.readConfig(folder("cond-linear"));
        assertEquals(List.of(2, 2), linear.numAttentionHeads());
        assertTrue(linear.useLinearProjection());
        assertEquals(2, linear.transformerLayersPerBlock());
    }

    @ParameterizedTest
    @ValueSource(strings = {"cond", "cond-linear"})
    void forwardMatchesTheDiffusersReference(String name) throws Exception {
        Path dir = folder(name);
        try (NDManager m = NDManager.newBaseManager()) {
            UNet2DConditionModel unet = UNetConditionWeights.open(dir, m);
            Map<String, NDArray> io = SafeTensors.readNDArrays(m, dir.resolve("io.safetensors"));
            float[] y = unet.forwardWithTokens(io.get("x"), io.get("t"), io.get("encoder_hidden_states"), false)
                    .toFloatArray();
            assertClose(io.get("y").toFloatArray(), y, "torch float32");
            assertClose(io.get("y64").toFloatArray(), y, "torch float64");
            float[] y2 = unet.forwardWithTokens(io.get("x"), io.get("t"), io.get("encoder_hidden_states_2"), false)
                    .toFloatArray();
            assertClose(io.get("y_2").toFloatArray(), y2, "torch float32, other tokens");
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"cond", "cond-linear"})
    void otherTokensGiveAnotherPrediction(String name) throws Exception {
        Path dir = folder(name);
        try (NDManager m = NDManager.newBaseManager()) {
            UNet2DConditionModel unet = UNetConditionWeights.open(dir, m);
            Map<String, NDArray> io = SafeTensors.readNDArrays(m, dir.resolve("io.safetensors"));
            NDArray x = io.get("x");
            NDArray t = io.get("t");
            NDArray tokens = io.get("encoder_hidden_states");
            float[] a = unet.forwardWithTokens(x, t, tokens, false).toFloatArray();
            float[] b = unet.forwardWithTokens(x, t, tokens.add(m.full(tokens.getShape(), 0.5f)), false)
                    .toFloatArray();
            assertTrue(maxAbsDiff(a, b) > 1e-2, "shifting the tokens by 0.5 moved the output by " + maxAbsDiff(a, b));
        }
    }

    @Test
    void refusesTokensOfTheWrongWidthAndAForwardWithoutTokens() throws Exception {
        Path dir = folder("cond");
        try (NDManager m = NDManager.newBaseManager()) {
            UNet2DConditionModel unet = UNetConditionWeights.open(dir, m);
            Map<String, NDArray> io = SafeTensors.readNDArrays(m, dir.resolve("io.safetensors"));
            NDArray wrong = m.zeros(new ai.djl.ndarray.types.Shape(2, 3, 8));
            assertThrows(IllegalArgumentException.class,
                    () -> unet.forwardWithTokens(io.get("x"), io.get("t"), wrong, false));
            assertThrows(UnsupportedOperationException.class, () -> unet.forward(io.get("x"), io.get("t"), false));
        }
    }

    private static void assertClose(float[] want, float[] got, String what) {
        assertEquals(want.length, got.length);
        double max = maxAbsDiff(want, got);
        assertTrue(max <= TOLERANCE, "max |studio - " + what + "| = " + max);
    }

    static double maxAbsDiff(float[] a, float[] b) {
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}

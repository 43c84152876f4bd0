package io.ldmstudio.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.util.Rng;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The class embedding of {@link UNet2DModel} (diffusers' {@code num_class_embeds}, {@code class_embed_type}
 * null): its parameter, initialisation, refusals and gradients. The forward pass against diffusers is in
 * {@link UNetGoldenTest} (case class-embed).
 */
class UNetClassEmbeddingTest {
    static final RunConfig.Model SMALL = new RunConfig.Model(8, List.of(1, 2), 1, List.of(2), 2, 4, 0.0);

    static UNetConfig config(int numClassEmbeds) {
        return UNetConfig.of(SMALL, 3, 8).withNumClassEmbeds(numClassEmbeds);
    }

    @Test
    void theEmbeddingIsATableOfNumClassEmbedsRowsAfterTheTimeEmbedding() {
        UNetConfig plain = UNetConfig.of(SMALL, 3, 8);
        assertEquals(0, plain.numClassEmbeds());
        UNet2DModel unet = new UNet2DModel(config(5));
        List<String> names = new ArrayList<>(unet.namedParameters().keySet());
        int at = names.indexOf("class_embedding.weight");
        assertEquals("time_embedding.linear_2.bias", names.get(at - 1)); // diffusers' state dict order
        assertEquals(new Shape(5, 32), unet.namedParameters().get("class_embedding.weight").shape());
        assertEquals(new UNet2DModel(plain).parameterCount() + 5 * 32, unet.parameterCount());
        assertEquals(4, unet.classes());
        assertEquals(4, unet.nullClass());
        UNet2DModel unconditional = new UNet2DModel(plain);
        assertEquals(0, unconditional.classes());
        assertNull(unconditional.namedParameters().get("class_embedding.weight"));
        assertEquals(plain, config(5).withNumClassEmbeds(0));
        assertThrows(IllegalArgumentException.class, () -> config(1));
        assertThrows(IllegalArgumentException.class, () -> config(-3));
    }

    @Test
    void theEmbeddingIsInitialisedStandardNormalAsTorchNnEmbedding() {
        try (NDManager m = NDManager.newBaseManager()) {
            UNet2DModel unet = new UNet2DModel(config(64));
            unet.initialize(m, new Rng(3), false);
            float[] w = unet.namedParameters().get("class_embedding.weight").array().toFloatArray();
            double mean = 0;
            for (float v : w) {
                mean += v;
            }
            mean /= w.length;
            double var = 0;
            for (float v : w) {
                var += (v - mean) * (v - mean);
            }
            double std = Math.sqrt(var / (w.length - 1));
            assertEquals(2048, w.length);
            assertEquals(0, mean, 0.1);
            assertEquals(1, std, 0.1);
        }
    }

    @Test
    void labelsAreRequiredExactlyWhenThereIsAnEmbedding() {
        try (NDManager m = NDManager.newBaseManager()) {
            UNet2DModel conditional = new UNet2DModel(config(4));
            conditional.initialize(m, new Rng(1), false);
            UNet2DModel plain = new UNet2DModel(UNetConfig.of(SMALL, 3, 8));
            plain.initialize(m, new Rng(1), false);
            NDArray x = m.create(new Rng(2).gaussians(2 * 3 * 8 * 8), new Shape(2, 3, 8, 8));
            NDArray t = m.create(new long[] {5, 600});
            String none = assertThrows(IllegalArgumentException.class,
                    () -> conditional.forward(x, t, null, false)).getMessage();
            assertTrue(none.contains("class_labels should be provided"), none);
            assertThrows(IllegalArgumentException.class, () -> conditional.forward(x, t, false));
            String extra = assertThrows(IllegalArgumentException.class,
                    () -> plain.forward(x, t, m.create(new long[] {0, 1}), false)).getMessage();
            assertTrue(extra.contains("unconditional"), extra);
            String range = assertThrows(IllegalArgumentException.class,
                    () -> conditional.forward(x, t, m.create(new long[] {0, 4}), false)).getMessage();
            assertTrue(range.contains("4") && range.contains("[0, 4)"), range);
            assertThrows(IllegalArgumentException.class,
                    () -> conditional.forward(x, t, m.create(new long[] {0, 1, 2}), false));
            assertThrows(IllegalArgumentException.class,
                    () -> conditional.forward(x, t, m.create(new float[] {0, 1}), false));
            // int32 labels are read as int64
            float[] a = conditional.forward(x, t, m.create(new long[] {2, 3}), false).toFloatArray();
            float[] b = conditional.forward(x, t, m.create(new int[] {2, 3}), false).toFloatArray();
            org.junit.jupiter.api.Assertions.assertArrayEquals(a, b, 0f);
        }
    }

    /**
     * The rows of the labels used get gradients, the others exactly zero; and since the class vector is added
     * to the time embedding's output, the rows' gradients sum to the gradient of that output's bias
     * ({@code time_embedding.linear_2.bias}) — which would not hold were it added after the SiLU.
     */
    @Test
    void onlyTheRowsOfTheLabelsUsedGetGradients() {
        try (NDManager m = NDManager.newBaseManager()) {
            UNet2DModel unet = new UNet2DModel(config(5));
            unet.initialize(m, new Rng(7), true);
            Module.Param table = unet.namedParameters().get("class_embedding.weight");
            Module.Param bias = unet.namedParameters().get("time_embedding.linear_2.bias");
            try (NDManager step = m.newSubManager();
                    GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray x = step.create(new Rng(8).gaussians(3 * 3 * 8 * 8), new Shape(3, 3, 8, 8));
                NDArray t = step.create(new long[] {10, 400, 900});
                NDArray labels = step.create(new long[] {1, 3, 1});
                NDArray y = unet.forward(x, t, labels, true);
                gc.backward(y.square().mean());
            }
            float[] g = table.array().getGradient().toFloatArray();
            float[] gb = bias.array().getGradient().toFloatArray();
            int dim = 32;
            for (int row = 0; row < 5; row++) {
                double norm = 0;
                for (int j = 0; j < dim; j++) {
                    norm += Math.abs(g[row * dim + j]);
                }
                if (row == 1 || row == 3) {
                    assertTrue(norm > 1e-6, "row " + row + " gets a gradient: " + norm);
                } else {
                    assertEquals(0.0, norm, "row " + row + " is unused");
                }
            }
            double scale = 0;
            for (float v : gb) {
                scale = Math.max(scale, Math.abs(v));
            }
            assertTrue(scale > 1e-6, "the bias gets a gradient");
            for (int j = 0; j < dim; j++) {
                float sum = g[dim + j] + g[3 * dim + j];
                assertEquals(gb[j], sum, 1e-5 * scale + 1e-9, "column " + j);
            }
        }
    }

    /**
     * Under mixed precision the table stands in as float16 like every weight: the lookup and its gradient run
     * in float16, and the unscaled gradient reaching the float32 master is the float32 one to float16 precision.
     */
    @Test
    void theEmbeddingTrainsUnderMixedPrecision() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[][] grads = new float[2][];
            for (int run = 0; run < 2; run++) {
                UNet2DModel unet = new UNet2DModel(config(5));
                unet.initialize(m, new Rng(7), true);
                List<Module.Param> params = unet.parameters();
                io.ldmstudio.training.MixedPrecision mp = run == 1
                        ? new io.ldmstudio.training.MixedPrecision(ai.djl.ndarray.types.DataType.FLOAT16) : null;
                try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope()) {
                    scope.suppressNotUsedWarning();
                    if (mp != null) {
                        mp.install(params);
                    }
                    try (NDManager step = m.newSubManager();
                            GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray x = step.create(new Rng(8).gaussians(3 * 3 * 8 * 8), new Shape(3, 3, 8, 8));
                        NDArray t = step.create(new long[] {10, 400, 900});
                        NDArray labels = step.create(new long[] {1, 3, 1});
                        NDArray y = unet.forward(mp != null ? mp.cast(x) : x, t, labels, true);
                        NDArray loss = y.square().mean(); // in float16 under mixed precision (casts cut the graph)
                        gc.backward(mp != null ? mp.scaled(loss) : loss);
                    }
                    if (mp != null) {
                        assertTrue(mp.uninstall(params), "no overflow");
                    }
                }
                grads[run] = unet.namedParameters().get("class_embedding.weight").master().getGradient().toFloatArray();
            }
            double max = 0;
            for (float v : grads[0]) {
                max = Math.max(max, Math.abs(v));
            }
            for (int i = 0; i < grads[0].length; i++) {
                int row = i / 32;
                if (row == 1 || row == 3) {
                    assertEquals(grads[0][i], grads[1][i], 0.05 * max, "element " + i);
                } else {
                    assertEquals(0f, grads[1][i], "row " + row + " is unused");
                }
            }
        }
    }
}

package io.ldmstudio.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.ldmstudio.util.Rng;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** {@link ClassTokens}: labels become rows of the table, and a loss through the cross-attention U-Net trains them. */
class ClassTokensTest {
    static final int CLASSES = 3;
    static final int DIM = 16;

    static UNet2DConditionConfig tiny() {
        return new UNet2DConditionConfig(8, 3, 3, List.of("CrossAttnDownBlock2D", "DownBlock2D"),
                List.of("UpBlock2D", "CrossAttnUpBlock2D"), List.of(16, 32), 1, List.of(2, 4), DIM, 1, 4, 1e-5f,
                true, 0, 1, 0f);
    }

    @Test
    void labelsLookUpTheirRowsAndTheNullClassIsTheLast() {
        try (NDManager m = NDManager.newBaseManager()) {
            ClassTokens tokens = new ClassTokens(CLASSES, DIM);
            tokens.initialize(m, new Rng(5), false);
            assertEquals(CLASSES, tokens.nullClass());
            float[] table = tokens.namedParameters().get("weight").array().toFloatArray();
            NDArray out = tokens.forward(m.create(new int[] {2, CLASSES, 0}));
            assertEquals(new Shape(3, 1, DIM), out.getShape());
            float[] got = out.toFloatArray();
            int[] rows = {2, CLASSES, 0};
            for (int i = 0; i < rows.length; i++) {
                assertArrayEquals(Arrays.copyOfRange(table, rows[i] * DIM, (rows[i] + 1) * DIM),
                        Arrays.copyOfRange(got, i * DIM, (i + 1) * DIM));
            }
            assertThrows(IllegalArgumentException.class, () -> tokens.forward(m.create(new long[] {CLASSES + 1})));
            assertThrows(IllegalArgumentException.class, () -> tokens.forward(m.create(new long[] {-1})));
        }
    }

    @Test
    void aLossThroughTheUNetReachesTheRowsUsedAndOnlyThose() {
        try (NDManager m = NDManager.newBaseManager()) {
            UNet2DConditionModel unet = new UNet2DConditionModel(tiny());
            unet.initialize(m, new Rng(6), true);
            ClassTokens tokens = new ClassTokens(CLASSES, DIM);
            tokens.initialize(m, new Rng(7), true);
            Rng rng = new Rng(8);
            float[] xs = new float[2 * 3 * 8 * 8];
            float[] targets = new float[xs.length];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = (float) rng.nextGaussian();
                targets[i] = (float) rng.nextGaussian();
            }
            try (NDManager step = m.newSubManager();
                    GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray x = step.create(xs, new Shape(2, 3, 8, 8));
                NDArray target = step.create(targets, new Shape(2, 3, 8, 8));
                NDArray labels = step.create(new long[] {0, CLASSES}); // a class and the null class
                NDArray y = unet.forwardWithTokens(x, step.create(new long[] {10, 500}), tokens.forward(labels), true);
                gc.backward(y.sub(target).square().mean());
            }
            float[] g = tokens.namedParameters().get("weight").array().getGradient().toFloatArray();
            for (int row = 0; row <= CLASSES; row++) {
                double norm = 0;
                for (int j = 0; j < DIM; j++) {
                    norm += Math.abs(g[row * DIM + j]);
                }
                if (row == 0 || row == CLASSES) {
                    assertTrue(norm > 0, "no gradient reaches the token of label " + row);
                } else {
                    assertEquals(0.0, norm, "label " + row + " was not used, yet its token has a gradient");
                }
            }
            // One token: the cross-attention's softmax runs over a single key and is 1 whatever the scores, so
            // attn2's output is to_out(to_v(token)) and what only feeds the scores (norm2, attn2.to_q, attn2.to_k)
            // gets exactly no gradient. Every other weight does.
            for (Map.Entry<String, Module.Param> e : unet.namedParameters().entrySet()) {
                boolean scoresOnly = e.getKey().contains(".norm2.") || e.getKey().contains(".attn2.to_q.")
                        || e.getKey().contains(".attn2.to_k.");
                boolean resnet = e.getKey().contains("resnets");
                try (NDArray grad = e.getValue().array().getGradient(); NDArray a = grad.abs(); NDArray s = a.sum()) {
                    if (scoresOnly && !resnet) {
                        assertEquals(0f, s.getFloat(), e.getKey() + " only feeds the scores of a one-key attention");
                    } else {
                        assertTrue(s.getFloat() > 0, "no gradient reaches " + e.getKey());
                    }
                }
            }
        }
    }
}

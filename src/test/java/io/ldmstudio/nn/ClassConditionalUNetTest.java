package io.ldmstudio.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.util.Rng;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link ClassConditionalUNet}: labels → tokens → the cross-attention U-Net, behind DiffusionNetwork's label forward. */
class ClassConditionalUNetTest {
    @BeforeAll
    static void noGradients() {
        GradMode.disable();
    }

    @Test
    void theLabelForwardIsTheTokenForwardOfTheLabelsTokens() {
        try (NDManager m = NDManager.newBaseManager()) {
            ClassConditionalUNet net = new ClassConditionalUNet(ClassTokensTest.tiny(), 3);
            net.initialize(m, new Rng(11), false);
            assertEquals(3, net.classes());
            assertEquals(3, net.nullClass());
            assertTrue(net.namedParameters().containsKey("unet.down_blocks.0.attentions.0.transformer_blocks.0"
                    + ".attn2.to_k.weight"));
            assertEquals(new Shape(4, 16), net.namedParameters().get("class_tokens.weight").shape());
            Rng rng = new Rng(12);
            float[] xs = new float[2 * 3 * 8 * 8];
            for (int i = 0; i < xs.length; i++) {
                xs[i] = (float) rng.nextGaussian();
            }
            NDArray x = m.create(xs, new Shape(2, 3, 8, 8));
            NDArray t = m.create(new long[] {5, 700});
            NDArray labels = m.create(new long[] {1, 2});
            float[] viaLabels = net.forward(x, t, labels, false).toFloatArray();
            float[] viaTokens = net.unet().forwardWithTokens(x, t, net.classTokens().forward(labels), false).toFloatArray();
            assertArrayEquals(viaTokens, viaLabels);
            float[] unconditional = net.forward(x, t, false).toFloatArray();
            float[] nulls = net.forward(x, t, m.create(new long[] {3, 3}), false).toFloatArray();
            assertArrayEquals(nulls, unconditional);
            assertTrue(UNet2DConditionGoldenTest.maxAbsDiff(viaLabels, unconditional) > 1e-3,
                    "the class changes the prediction");
        }
    }
}

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

    /**
     * A forward (and a backward) in a step's sub-manager leaves nothing in the model's manager: the views of
     * parameters (proj_out's weight as a matrix, the GroupNorm affines) and the token lookup live on the step.
     * The first pass is a warm-up: GroupNorm keeps its ones/zeros constants in the model's manager by design.
     */
    @Test
    void aStepLeavesNothingInTheModelsManager() {
        try (NDManager m = NDManager.newBaseManager()) {
            ClassConditionalUNet net = new ClassConditionalUNet(ClassTokensTest.tiny(), 3);
            net.initialize(m, new Rng(13), true);
            int before = -1;
            for (int pass = 0; pass < 3; pass++) {
                try (NDManager step = m.newSubManager();
                        ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                    NDArray x = step.randomNormal(new Shape(2, 3, 8, 8));
                    NDArray y = net.forward(x, step.create(new long[] {3, 400}), step.create(new long[] {0, 3}), true);
                    gc.backward(y.square().mean());
                }
                for (var p : net.parameters()) {
                    p.array().getGradient().close(); // the gradients' handles, not the buffers autograd keeps
                }
                int now = m.getManagedArrays().size();
                if (pass == 1) {
                    before = now;
                } else if (pass == 2) {
                    assertEquals(before, now, "arrays left in the model's manager by one step");
                }
            }
        }
    }
}

package io.ldmstudio.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Classifier-free guidance against its closed form, with a network whose outputs are known. */
class GuidanceTest {
    /**
     * A "network" whose output is known: label k gives x·(k + 1) + t/1000, the null class (label 9) gives
     * −x. It records the batch sizes it is called with.
     */
    static final class Known implements ConditionalDenoiser {
        final List<Long> batches = new ArrayList<>();

        @Override
        public NDArray predict(NDArray xt, NDArray t, NDArray labels) {
            batches.add(xt.getShape().get(0));
            long[] l = labels.toLongArray();
            float[] x = xt.toFloatArray();
            float[] tt = t.toFloatArray();
            int per = x.length / l.length;
            float[] out = new float[x.length];
            for (int i = 0; i < l.length; i++) {
                for (int j = 0; j < per; j++) {
                    float v = x[i * per + j];
                    out[i * per + j] = l[i] == 9 ? -v : v * (l[i] + 1) + tt[i] / 1000f;
                }
            }
            return xt.getManager().create(out, xt.getShape());
        }
    }

    @Test
    void theGuidedOutputIsUnconditionalPlusWTimesTheDifferenceFromOneBatchedPass() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] x = {1, 2, 3, 4, -1, 0.5f, 2, -3};
            NDArray xt = m.create(x, new Shape(2, 1, 2, 2));
            NDArray t = m.create(new float[] {500, 250});
            int[] labels = {0, 2};
            for (double w : new double[] {0, 1, 3, 7.5}) {
                Known net = new Known();
                float[] got = Guidance.guided(net, labels, 9, w, 0).predict(xt, t).toFloatArray();
                assertEquals(w == 1 ? List.of(2L) : List.of(4L), net.batches, "w = 1 is one pass of B, else one of 2B");
                for (int i = 0; i < 2; i++) {
                    for (int j = 0; j < 4; j++) {
                        float v = x[i * 4 + j];
                        double cond = v * (labels[i] + 1) + (i == 0 ? 0.5 : 0.25);
                        double uncond = -v;
                        assertEquals(uncond + w * (cond - uncond), got[i * 4 + j], 1e-5, "w " + w + " sample " + i);
                    }
                }
            }
        }
    }

    /** diffusers' rescale_noise_cfg: φ·g·std(c)/std(g) + (1 − φ)·g per sample, unbiased std over C, H, W. */
    @Test
    void rescalePullsTheGuidedOutputBackToTheConditionalSpread() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] c = {1, 2, 3, 4, 0, 0, 1, 1};
            float[] u = {0, 1, 1, 0, 1, -1, 0, 2};
            double w = 5;
            double phi = 0.7;
            // (B, C, H, W) as images are: the spread is taken over C, H and W together
            float[] got = Guidance.combine(m.create(c, new Shape(2, 1, 2, 2)), m.create(u, new Shape(2, 1, 2, 2)), w, phi)
                    .toFloatArray();
            for (int i = 0; i < 2; i++) {
                double[] g = new double[4];
                double[] cc = new double[4];
                for (int j = 0; j < 4; j++) {
                    g[j] = u[i * 4 + j] + w * (c[i * 4 + j] - u[i * 4 + j]);
                    cc[j] = c[i * 4 + j];
                }
                double ratio = std(cc) / std(g);
                for (int j = 0; j < 4; j++) {
                    assertEquals(phi * g[j] * ratio + (1 - phi) * g[j], got[i * 4 + j], 1e-4, "sample " + i + " value " + j);
                }
            }
            float[] none = Guidance.combine(m.create(c, new Shape(2, 4)), m.create(u, new Shape(2, 4)), w, 0).toFloatArray();
            float[] plain = new float[8];
            for (int k = 0; k < 8; k++) {
                plain[k] = (float) (u[k] + w * (c[k] - u[k]));
            }
            assertArrayEquals(plain, none, 1e-5f);
        }
    }

    static double std(double[] v) {
        double mean = 0;
        for (double d : v) {
            mean += d / v.length;
        }
        double s = 0;
        for (double d : v) {
            s += (d - mean) * (d - mean);
        }
        return Math.sqrt(s / (v.length - 1));
    }

    @Test
    void badScalesAreRefused() {
        Known net = new Known();
        assertThrows(IllegalArgumentException.class, () -> Guidance.guided(net, new int[] {0}, 9, -1, 0));
        assertThrows(IllegalArgumentException.class, () -> Guidance.guided(net, new int[] {0}, 9, Double.NaN, 0));
        assertThrows(IllegalArgumentException.class, () -> Guidance.guided(net, new int[] {0}, 9, 2, 1.5));
    }
}

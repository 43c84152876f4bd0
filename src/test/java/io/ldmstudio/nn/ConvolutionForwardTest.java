package io.ldmstudio.nn;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.util.Rng;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Ops#conv2d}'s forward pass against a plain loop in double, at input widths that are and are not
 * multiples of 16. Without the zero channels {@link Ops#conv2d} appends, 20, 24 and 40 input channels at
 * batch 2 with gradients off were off by ~10 (libtorch 2.7.1 through DJL 0.36, this machine's CPU).
 */
class ConvolutionForwardTest {
    private static double maxError(NDManager m, int b, int cin, int cout, int hw) {
        Rng r = new Rng(cin * 131L + hw);
        float[] x = r.gaussians(b * cin * hw * hw);
        float[] w = r.gaussians(cout * cin * 9);
        float[] got = Ops.conv2d(m.create(x, new Shape(b, cin, hw, hw)), m.create(w, new Shape(cout, cin, 3, 3)),
                m.zeros(new Shape(cout)), 1, 1).toFloatArray();
        double max = 0;
        for (int n = 0; n < b; n++) {
            for (int o = 0; o < cout; o++) {
                for (int i = 0; i < hw; i++) {
                    for (int j = 0; j < hw; j++) {
                        double s = 0;
                        for (int c = 0; c < cin; c++) {
                            for (int di = 0; di < 3; di++) {
                                for (int dj = 0; dj < 3; dj++) {
                                    int ii = i + di - 1;
                                    int jj = j + dj - 1;
                                    if (ii >= 0 && jj >= 0 && ii < hw && jj < hw) {
                                        s += x[((n * cin + c) * hw + ii) * hw + jj] * (double) w[((o * cin + c) * 3 + di) * 3 + dj];
                                    }
                                }
                            }
                        }
                        max = Math.max(max, Math.abs(s - got[((n * cout + o) * hw + i) * hw + j]));
                    }
                }
            }
        }
        return max;
    }

    @ParameterizedTest
    @ValueSource(ints = {3, 8, 12, 16, 17, 20, 24, 32, 40})
    void convolutionIsRightAtEveryInputWidth(int cin) {
        GradMode.disable();
        try (NDManager m = NDManager.newBaseManager()) {
            for (int hw : new int[] {4, 8}) {
                double e = maxError(m, 2, cin, 16, hw);
                assertTrue(e < 1e-4, cin + " channels, " + hw + "×" + hw + ": max error " + e);
            }
        }
    }
}

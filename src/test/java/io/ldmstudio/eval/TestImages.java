package io.ldmstudio.eval;

import java.util.Random;

/** Deterministic test images, CHW float arrays. */
final class TestImages {
    private TestImages() {}

    static float[] constant(int c, int h, int w, float v) {
        float[] a = new float[c * h * w];
        java.util.Arrays.fill(a, v);
        return a;
    }

    /** Uniform values in [lo, hi). */
    static float[] uniform(int c, int h, int w, long seed, float lo, float hi) {
        Random r = new Random(seed);
        float[] a = new float[c * h * w];
        for (int i = 0; i < a.length; i++) {
            a[i] = lo + (hi - lo) * r.nextFloat();
        }
        return a;
    }

    /**
     * Integer patterns shared with the scikit-image reference values in the tests: level k in 0..96
     * stored as the float {@code k/48 − 1} (in [-1, 1]). The references were made with skimage
     * 0.19.3 (Debian's python3-skimage) as:
     *
     * <pre>
     * a = ((k_a / 48.0 - 1.0).astype(np.float32).astype(np.float64) + 1.0) / 2.0   # same for b
     * structural_similarity(a, b, channel_axis=0, gaussian_weights=True, sigma=1.5,
     *                       use_sample_covariance=False, data_range=1.0)
     * mean_squared_error(a, b); peak_signal_noise_ratio(a, b, data_range=1.0)
     * </pre>
     *
     * with {@code k_a} and {@code k_b} built by the same integer formulas as {@link #patternA},
     * {@link #smooth} and {@link #perturbed} (CHW, channel axis 0).
     */
    static int[] patternA(int c, int h, int w) {
        int[] k = new int[c * h * w];
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    k[(ch * h + y) * w + x] = ((x * 7 + y * 13 + ch * 29) * (x + 3) + y * y) % 97;
                }
            }
        }
        return k;
    }

    static int[] smooth(int c, int h, int w) {
        int[] k = new int[c * h * w];
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    k[(ch * h + y) * w + x] = (x * 2 + y * 3 + (x * y) % 7 + ch * 11) % 97;
                }
            }
        }
        return k;
    }

    /** The pattern with a small deterministic perturbation of −4..4 levels, clamped to 0..96. */
    static int[] perturbed(int[] k, int c, int h, int w) {
        int[] out = new int[k.length];
        for (int ch = 0; ch < c; ch++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int i = (ch * h + y) * w + x;
                    out[i] = Math.min(96, Math.max(0, k[i] + (x * 3 + y * 5 + ch) % 9 - 4));
                }
            }
        }
        return out;
    }

    static float[] signed(int[] k) {
        float[] a = new float[k.length];
        for (int i = 0; i < k.length; i++) {
            a[i] = (float) (k[i] / 48.0 - 1.0);
        }
        return a;
    }
}

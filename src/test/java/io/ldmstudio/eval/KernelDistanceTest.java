package io.ldmstudio.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.data.Npy;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** clean-fid's kernel_distance: its formula by hand, and its numbers (fid_reference.py) on fixed subsets. */
class KernelDistanceTest {
    static final double[][] X = {{1, 0, 2}, {0, 1, 1}, {2, 2, 0}, {1, 1, 1}};
    static final double[][] Y = {{0, 0, 1}, {1, 2, 0}, {0, 1, 2}, {2, 0, 0}};

    /**
     * Four rows of three features each, one subset holding all: with k(a, b) = (a·b/3 + 1)³ every kernel value is a
     * multiple of 1/27, and the unbiased MMD² works out to −457/108 (exact rational arithmetic, fid_reference.py and
     * Python's fractions agree).
     */
    @Test
    void smallHandMadeSet() throws Exception {
        assertEquals(-457.0 / 108, KernelDistance.mmd2(Y, X), 1e-14);
        assertEquals(-457.0 / 108, KernelDistance.mmd2(X, Y), 1e-14, "MMD² is symmetric in its two sets");
        assertEquals(FidGolden.number("kid.small"), KernelDistance.mmd2(Y, X), 1e-14);
        assertEquals(naive(Y, X), KernelDistance.mmd2(Y, X), 1e-14);
        int[][] all = {{0, 1, 2, 3}};
        KernelDistance.Result r = KernelDistance.compute(X, Y, all, all);
        assertEquals(-457.0 / 108, r.mean(), 1e-14);
        assertEquals(0, r.std(), 0);
        assertEquals(4, r.subsetSize());
        // k(x, x) by hand: (1, 0, 2)·(1, 0, 2) = 5, (5/3 + 1)³ = 512/27
        assertEquals(512.0 / 27, KernelDistance.kernel(X[0], X[0], 3), 1e-13);
    }

    /** Five subsets of 12 from 40 and 30 rows of 16 features, the index sets fid_reference.py drew. */
    @Test
    void agreesWithCleanFidOnTheSameSubsets() throws Exception {
        Map<String, Npy.Float64Array> kid = FidGolden.arrays("kid");
        double[][] f1 = FidGolden.rows(kid.get("feats1"));
        double[][] f2 = FidGolden.rows(kid.get("feats2"));
        int[][] idx1 = FidGolden.indices(kid.get("idx1"));
        int[][] idx2 = FidGolden.indices(kid.get("idx2"));
        KernelDistance.Result r = KernelDistance.compute(f1, f2, idx1, idx2);
        assertEquals(12, r.subsetSize());
        assertTrue(FidGolden.relative(r.mean(), FidGolden.number("kid")) < 1e-12,
                r.mean() + " vs clean-fid " + FidGolden.number("kid"));
        assertTrue(FidGolden.relative(r.std(), FidGolden.number("kid.std")) < 1e-12);
        assertArrayEquals(kid.get("per_subset").data(), r.subsetValues(), 1e-13);
        // each subset is exactly the formula on its rows
        for (int s = 0; s < idx1.length; s++) {
            double[][] x = new double[12][];
            double[][] y = new double[12][];
            for (int i = 0; i < 12; i++) {
                x[i] = f2[idx2[s][i]];
                y[i] = f1[idx1[s][i]];
            }
            assertEquals(naive(x, y), r.subsetValues()[s], 1e-14);
        }
    }

    @Test
    void seededSubsetsOfCleanFidsSize() {
        Random random = new Random(5);
        double[][] a = normal(random, 60, 8, 0);
        double[][] b = normal(random, 45, 8, 0);
        double[][] shifted = normal(random, 45, 8, 1.0);
        KernelDistance.Result r = KernelDistance.compute(a, b, 7);
        assertEquals(45, r.subsetSize(), "min(n1, n2, 1000)");
        assertEquals(KernelDistance.SUBSETS, r.subsetValues().length);
        assertEquals(KernelDistance.compute(a, b, 7).mean(), r.mean(), 0, "the same seed, the same subsets");
        assertNotEquals(KernelDistance.compute(a, b, 8).mean(), r.mean());
        double sum = 0;
        for (double v : r.subsetValues()) {
            sum += v;
        }
        assertEquals(sum / r.subsetValues().length, r.mean(), 1e-15);
        assertEquals(10, KernelDistance.compute(a, b, 3, 10, 7).subsetSize());
        // same distribution: near zero; a shift of 1 in every feature: k grows, KID far above
        double far = KernelDistance.compute(a, shifted, 7).mean();
        assertTrue(Math.abs(r.mean()) < 0.1 * far, r.mean() + " vs shifted " + far);
        assertTrue(far > 0.5, "shifted " + far);
    }

    @Test
    void degenerateInputsAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> KernelDistance.compute(new double[][] {{1, 2, 3}}, X, 1));
        assertTrue(e.getMessage().contains("subsets of 1 row") && e.getMessage().contains("at least 2"), e.getMessage());
        double[][] nan = {{1, 2, 3}, {Double.NaN, 0, 0}, {1, 1, 1}, {0, 0, 0}, {2, 2, 2}};
        e = assertThrows(IllegalArgumentException.class, () -> KernelDistance.compute(nan, X, 1));
        assertTrue(e.getMessage().contains("1 of 5 feature rows hold NaN"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> KernelDistance.compute(new double[4][2048], new double[4][64], 1));
        assertTrue(e.getMessage().contains("2048 and 64"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> KernelDistance.compute(X, Y, new int[][] {{0, 0, 1}}, new int[][] {{0, 1, 2}}));
        assertTrue(e.getMessage().contains("index 0 twice"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> KernelDistance.compute(X, Y, new int[][] {{0, 1, 9}}, new int[][] {{0, 1, 2}}));
        assertTrue(e.getMessage().contains("index 9") && e.getMessage().contains("outside its 4 rows"), e.getMessage());
    }

    /** The unbiased estimate straight from its definition, with full kernel matrices (clean-fid's way round). */
    static double naive(double[][] x, double[][] y) {
        int m = x.length;
        int d = x[0].length;
        double a = 0;
        double diag = 0;
        double b = 0;
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < m; j++) {
                double kxx = Math.pow(dot(x[i], x[j]) / d + 1, 3) + Math.pow(dot(y[i], y[j]) / d + 1, 3);
                a += kxx;
                if (i == j) {
                    diag += kxx;
                }
                b += Math.pow(dot(x[i], y[j]) / d + 1, 3);
            }
        }
        return ((a - diag) / (m - 1) - b * 2 / m) / m;
    }

    static double dot(double[] u, double[] v) {
        double s = 0;
        for (int k = 0; k < u.length; k++) {
            s += u[k] * v[k];
        }
        return s;
    }

    static double[][] normal(Random random, int n, int d, double shift) {
        double[][] x = new double[n][d];
        for (double[] row : x) {
            for (int j = 0; j < d; j++) {
                row[j] = random.nextGaussian() + shift;
            }
        }
        return x;
    }
}

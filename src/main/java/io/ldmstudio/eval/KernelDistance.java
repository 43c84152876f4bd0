package io.ldmstudio.eval;

import java.util.SplittableRandom;

/**
 * KID, the kernel Inception distance (Bińkowski et al. 2018), as clean-fid's {@code kernel_distance}
 * (cleanfid/fid.py) computes it: the cubic polynomial kernel {@code k(x, y) = (x·y / d + 1)³}, {@code num_subsets}
 * = 100 random subsets of {@code m = min(n1, n2, 1000)} rows drawn without replacement from each set, the unbiased
 * MMD² estimate on each
 *
 * <pre>  [ (ΣK_xx + ΣK_yy − trace(K_xx) − trace(K_yy)) / (m − 1) − 2·ΣK_xy / m ] / m</pre>
 *
 * and their mean. clean-fid draws with NumPy's global RNG and returns the mean only; here the subsets come from a
 * {@link SplittableRandom} with the seed given (or are passed in), and the result also carries the standard deviation
 * over subsets (population, as torch-fidelity's {@code kid_subsets_std}) and every subset's value.
 */
public final class KernelDistance {
    /** clean-fid's {@code num_subsets}. */
    public static final int SUBSETS = 100;
    /** clean-fid's {@code max_subset_size}. */
    public static final int MAX_SUBSET_SIZE = 1000;

    private KernelDistance() {}

    /**
     * @param mean KID: the mean of the subsets' MMD² estimates
     * @param std their population standard deviation
     * @param subsetValues each subset's unbiased MMD² estimate
     * @param subsetSize m, rows per subset from each set
     */
    public record Result(double mean, double std, double[] subsetValues, int subsetSize) {
        public Result {
            subsetValues = subsetValues.clone();
        }

        @Override
        public double[] subsetValues() {
            return subsetValues.clone();
        }
    }

    /** clean-fid's defaults: 100 subsets of at most 1000 rows, drawn with {@code seed}. */
    public static Result compute(double[][] feats1, double[][] feats2, long seed) {
        return compute(feats1, feats2, SUBSETS, MAX_SUBSET_SIZE, seed);
    }

    /**
     * clean-fid's {@code kernel_distance(feats1, feats2, num_subsets, max_subset_size)} with seeded subsets: for each
     * subset, first m rows of {@code feats2} then m rows of {@code feats1}, each drawn without replacement.
     */
    public static Result compute(double[][] feats1, double[][] feats2, int subsets, int maxSubsetSize, long seed) {
        check(feats1, feats2);
        if (subsets < 1) {
            throw new IllegalArgumentException("KID needs at least one subset, not " + subsets);
        }
        int m = Math.min(Math.min(feats1.length, feats2.length), maxSubsetSize);
        checkSubsetSize(m, feats1.length, feats2.length, maxSubsetSize);
        SplittableRandom random = new SplittableRandom(seed);
        int[][] idx1 = new int[subsets][];
        int[][] idx2 = new int[subsets][];
        for (int s = 0; s < subsets; s++) {
            idx2[s] = choose(random, feats2.length, m);
            idx1[s] = choose(random, feats1.length, m);
        }
        return subsets(feats1, feats2, idx1, idx2);
    }

    /**
     * clean-fid's {@code kernel_distance} on given subsets: subset s takes rows {@code idx1[s]} of {@code feats1} and
     * {@code idx2[s]} of {@code feats2}, all index sets of one size m ≥ 2, indices distinct within a set.
     */
    public static Result compute(double[][] feats1, double[][] feats2, int[][] idx1, int[][] idx2) {
        check(feats1, feats2);
        if (idx1.length == 0 || idx1.length != idx2.length) {
            throw new IllegalArgumentException("KID: " + idx1.length + " index sets for feats1 and " + idx2.length
                    + " for feats2; give the same number, at least one");
        }
        int m = idx1[0].length;
        checkSubsetSize(m, feats1.length, feats2.length, m);
        for (int s = 0; s < idx1.length; s++) {
            checkIndices(idx1[s], m, feats1.length, "feats1", s);
            checkIndices(idx2[s], m, feats2.length, "feats2", s);
        }
        return subsets(feats1, feats2, idx1, idx2);
    }

    /**
     * One subset's unbiased MMD² with the cubic polynomial kernel, clean-fid's formula: {@code x} and {@code y} are
     * m rows each (m ≥ 2) of d features. The off-diagonal sums are taken over i &lt; j and doubled (the kernel is
     * symmetric), where clean-fid sums all of K and subtracts the diagonal: the same number up to rounding.
     */
    public static double mmd2(double[][] x, double[][] y) {
        int m = x.length;
        if (m < 2 || y.length != m) {
            throw new IllegalArgumentException("KID: one subset is m ≥ 2 rows from each set; got " + x.length + " and "
                    + y.length);
        }
        int d = x[0].length;
        double offDiagonal = 0; // Σ_{i≠j} k(x_i, x_j) + k(y_i, y_j), from the symmetric halves
        double cross = 0; // Σ_{i,j} k(x_i, y_j)
        for (int i = 0; i < m; i++) {
            for (int j = i + 1; j < m; j++) {
                offDiagonal += kernel(x[i], x[j], d) + kernel(y[i], y[j], d);
            }
            for (int j = 0; j < m; j++) {
                cross += kernel(x[i], y[j], d);
            }
        }
        return (2 * offDiagonal / (m - 1) - cross * 2 / m) / m;
    }

    /** clean-fid's kernel: {@code (a·b / d + 1)³}. */
    static double kernel(double[] a, double[] b, int d) {
        double dot = 0;
        for (int k = 0; k < d; k++) {
            dot += a[k] * b[k];
        }
        double v = dot / d + 1;
        return v * v * v;
    }

    private static Result subsets(double[][] feats1, double[][] feats2, int[][] idx1, int[][] idx2) {
        int subsets = idx1.length;
        int m = idx1[0].length;
        double[] values = new double[subsets];
        double sum = 0;
        for (int s = 0; s < subsets; s++) {
            double[][] x = new double[m][];
            double[][] y = new double[m][];
            for (int i = 0; i < m; i++) {
                x[i] = feats2[idx2[s][i]];
                y[i] = feats1[idx1[s][i]];
            }
            values[s] = mmd2(x, y);
            sum += values[s];
        }
        double mean = sum / subsets;
        double ss = 0;
        for (double v : values) {
            ss += (v - mean) * (v - mean);
        }
        return new Result(mean, Math.sqrt(ss / subsets), values, m);
    }

    /** m distinct indices below n, a partial Fisher–Yates shuffle. */
    private static int[] choose(SplittableRandom random, int n, int m) {
        int[] all = new int[n];
        for (int i = 0; i < n; i++) {
            all[i] = i;
        }
        for (int i = 0; i < m; i++) {
            int j = i + random.nextInt(n - i);
            int t = all[i];
            all[i] = all[j];
            all[j] = t;
        }
        return java.util.Arrays.copyOf(all, m);
    }

    private static void check(double[][] feats1, double[][] feats2) {
        int d1 = Features.checkRows(feats1, "KID feats1");
        int d2 = Features.checkRows(feats2, "KID feats2");
        Features.checkSameDimension(d1, d2, "KID's two feature sets");
    }

    private static void checkSubsetSize(int m, int n1, int n2, int max) {
        if (m < 2) {
            throw new IllegalArgumentException("KID: subsets of " + m + " row(s) (min of " + n1 + " and " + n2
                    + " feature rows and a subset size of " + max + "); the unbiased estimate needs at least 2 rows from"
                    + " each set");
        }
    }

    private static void checkIndices(int[] idx, int m, int n, String which, int s) {
        if (idx.length != m) {
            throw new IllegalArgumentException("KID: index set " + s + " of " + which + " has " + idx.length
                    + " indices where set 0 has " + m);
        }
        boolean[] seen = new boolean[n];
        for (int i : idx) {
            if (i < 0 || i >= n) {
                throw new IllegalArgumentException("KID: index " + i + " in set " + s + " of " + which
                        + " is outside its " + n + " rows");
            }
            if (seen[i]) {
                throw new IllegalArgumentException("KID: index " + i + " twice in set " + s + " of " + which
                        + "; subsets are drawn without replacement");
            }
            seen[i] = true;
        }
    }
}

package io.ldmstudio.ui.training;

import java.util.Arrays;

/**
 * Thins a long curve for drawing without changing what it looks like: the x range is cut into
 * {@code buckets} equal columns (one per pixel column of the plot, roughly) and each column keeps only
 * its lowest and its highest point, in their original order. The first and last points are always
 * kept, so is every column's extreme — hence the global minimum and maximum. A curve of any length
 * comes out with at most {@link #bound(int)} points; a curve already that short is passed through.
 *
 * <p>The x values must be ascending (steps are). Points whose y is not finite are dropped when
 * thinning (a log axis or a diverged step would otherwise dominate a column).
 */
public final class Decimator {
    private Decimator() {}

    /** A thinned curve: the first {@code size} entries of {@code x} and {@code y}. */
    public record Points(double[] x, double[] y, int size) {
        public static final Points EMPTY = new Points(new double[0], new double[0], 0);

        public double x(int i) {
            return x[i];
        }

        public double y(int i) {
            return y[i];
        }
    }

    /** The most points {@link #minMax} returns for {@code buckets} columns. */
    public static int bound(int buckets) {
        return 2 * Math.max(1, buckets) + 2;
    }

    /** The whole curve of {@code n} points. */
    public static Points minMax(double[] x, double[] y, int n, int buckets) {
        return minMax(x, y, 0, n, buckets);
    }

    /**
     * Thins points {@code from} (inclusive) to {@code to} (exclusive).
     *
     * @param buckets columns, ≥ 1; the result has at most {@code 2 * buckets + 2} points
     */
    public static Points minMax(double[] x, double[] y, int from, int to, int buckets) {
        int n = to - from;
        if (n <= 0) {
            return Points.EMPTY;
        }
        int b = Math.max(1, buckets);
        if (n <= bound(b)) {
            return new Points(Arrays.copyOfRange(x, from, to), Arrays.copyOfRange(y, from, to), n);
        }
        double[] ox = new double[bound(b)];
        double[] oy = new double[bound(b)];
        int out = 0;
        ox[out] = x[from];
        oy[out] = y[from];
        out++;
        double x0 = x[from];
        double span = x[to - 1] - x0;
        double scale = span > 0 ? b / span : 0;
        int bucket = -1;
        int lo = -1;
        int hi = -1;
        for (int i = from + 1; i < to - 1; i++) {
            double v = y[i];
            if (!Double.isFinite(v)) {
                continue;
            }
            int k = (int) Math.min(b - 1, Math.max(0, (x[i] - x0) * scale));
            if (k != bucket) {
                out = flush(x, y, lo, hi, ox, oy, out);
                bucket = k;
                lo = i;
                hi = i;
            } else if (v < y[lo]) {
                lo = i;
            } else if (v > y[hi]) {
                hi = i;
            }
        }
        out = flush(x, y, lo, hi, ox, oy, out);
        ox[out] = x[to - 1];
        oy[out] = y[to - 1];
        out++;
        return new Points(ox, oy, out);
    }

    private static int flush(double[] x, double[] y, int lo, int hi, double[] ox, double[] oy, int out) {
        if (lo < 0) {
            return out;
        }
        int first = Math.min(lo, hi);
        int second = Math.max(lo, hi);
        ox[out] = x[first];
        oy[out] = y[first];
        out++;
        if (second != first) {
            ox[out] = x[second];
            oy[out] = y[second];
            out++;
        }
        return out;
    }

    /** The index of the first point with x ≥ {@code value} in ascending {@code x[0..n)}. */
    public static int lowerBound(double[] x, int n, double value) {
        int a = 0;
        int b = n;
        while (a < b) {
            int m = (a + b) >>> 1;
            if (x[m] < value) {
                a = m + 1;
            } else {
                b = m;
            }
        }
        return a;
    }
}

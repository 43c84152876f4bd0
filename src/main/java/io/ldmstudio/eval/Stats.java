package io.ldmstudio.eval;

import java.util.Collection;

/**
 * Summary statistics of one metric over many images. Mean, standard deviation, minimum and maximum
 * are taken over the <b>finite</b> values only; infinite values (a PSNR of {@code +∞} for an
 * identical image) and NaNs (a diverged reconstruction) are counted, not averaged. With no finite
 * value the mean, std, min and max are NaN.
 *
 * @param count all values
 * @param finite values that entered mean/std/min/max
 * @param positiveInfinite values equal to {@code +∞}
 * @param negativeInfinite values equal to {@code −∞}
 * @param nan NaN values
 * @param mean mean of the finite values
 * @param std population standard deviation of the finite values (0 for one value)
 * @param min smallest finite value
 * @param max largest finite value
 */
public record Stats(int count, int finite, int positiveInfinite, int negativeInfinite, int nan, double mean,
        double std, double min, double max) {

    public static Stats of(double... values) {
        int n = values.length;
        int fin = 0;
        int pos = 0;
        int neg = 0;
        int nan = 0;
        double sum = 0;
        double min = Double.POSITIVE_INFINITY;
        double max = Double.NEGATIVE_INFINITY;
        for (double v : values) {
            if (Double.isNaN(v)) {
                nan++;
            } else if (v == Double.POSITIVE_INFINITY) {
                pos++;
            } else if (v == Double.NEGATIVE_INFINITY) {
                neg++;
            } else {
                fin++;
                sum += v;
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
        if (fin == 0) {
            return new Stats(n, 0, pos, neg, nan, Double.NaN, Double.NaN, Double.NaN, Double.NaN);
        }
        double mean = sum / fin;
        double ss = 0;
        for (double v : values) {
            if (Double.isFinite(v)) {
                double d = v - mean;
                ss += d * d;
            }
        }
        return new Stats(n, fin, pos, neg, nan, mean, Math.sqrt(ss / fin), min, max);
    }

    public static Stats of(Collection<Double> values) {
        return of(values.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** Number of values left out of the mean (infinite or NaN). */
    public int excluded() {
        return count - finite;
    }
}

package io.ldmstudio.eval;

import java.util.ArrayList;
import java.util.List;

/**
 * Full-reference image metrics for comparing a reconstruction with its input: MSE, PSNR and SSIM.
 *
 * <p>Images are CHW {@code float[]} arrays of {@code channels · height · width} values (the layout
 * of {@link io.ldmstudio.data.Transform} and {@link io.ldmstudio.data.Grids}). Methods without a
 * {@link PixelRange} take the studio's [-1, 1] images; pass {@link PixelRange#ZERO_TO_ONE} for
 * [0, 1] images. Every metric is computed on the [0, 1] scale with data range 1, so the numbers
 * match the usual reporting (and scikit-image with {@code data_range=1}) whichever range the images
 * come in.
 *
 * <ul>
 *   <li>{@code mse} — mean of the squared differences over all channels and pixels;
 *   <li>{@code psnr} — {@code 10·log10(1 / mse)} dB. Identical images (MSE exactly 0) give
 *       {@link Double#POSITIVE_INFINITY}; {@link Stats} and {@link MetricSummary} average PSNR over
 *       the finite values only and count the infinite ones separately (no arbitrary cap);
 *   <li>{@code ssim} — {@link Ssim#STANDARD}: Gaussian 11 × 11 window, σ = 1.5, K1 = 0.01,
 *       K2 = 0.03, per channel over the valid region, averaged over channels. Images need to be at
 *       least 11 × 11.
 * </ul>
 *
 * <p>NaN inputs give NaN metrics. Values outside the range are not clamped. Pure Java, no DJL;
 * stateless and thread-safe.
 */
public final class ImageMetrics {
    private ImageMetrics() {}

    // ---- MSE ----

    /** MSE on the [0, 1] scale of two [-1, 1] images. */
    public static double mse(float[] a, float[] b, int channels, int height, int width) {
        return mse(a, b, channels, height, width, PixelRange.MINUS_ONE_TO_ONE);
    }

    /** MSE on the [0, 1] scale of two images in {@code range}. */
    public static double mse(float[] a, float[] b, int channels, int height, int width, PixelRange range) {
        int n = Shapes.checkPair(a, b, channels, height, width);
        return mse(a, 0, b, 0, n, Shapes.checkRange(range));
    }

    static double mse(float[] a, int aOff, float[] b, int bOff, int n, PixelRange range) {
        double sum = 0;
        for (int i = 0; i < n; i++) {
            double d = range.toUnit(a[aOff + i]) - range.toUnit(b[bOff + i]);
            sum += d * d;
        }
        return sum / n;
    }

    // ---- PSNR ----

    /** PSNR in dB (data range 1) of two [-1, 1] images; {@code +∞} when they are identical. */
    public static double psnr(float[] a, float[] b, int channels, int height, int width) {
        return psnrFromMse(mse(a, b, channels, height, width));
    }

    /** PSNR in dB (data range 1) of two images in {@code range}; {@code +∞} when they are identical. */
    public static double psnr(float[] a, float[] b, int channels, int height, int width, PixelRange range) {
        return psnrFromMse(mse(a, b, channels, height, width, range));
    }

    /**
     * {@code 10·log10(1 / mse)}: the PSNR for a data range of 1. {@code mse = 0} gives
     * {@code +∞}, NaN gives NaN; a negative MSE is an error.
     */
    public static double psnrFromMse(double mse) {
        if (mse < 0) {
            throw new IllegalArgumentException("MSE cannot be negative: " + mse);
        }
        if (mse == 0) {
            return Double.POSITIVE_INFINITY;
        }
        return -10.0 * Math.log10(mse);
    }

    // ---- SSIM ----

    /** Mean SSIM ({@link Ssim#STANDARD}) of two [-1, 1] images. */
    public static double ssim(float[] a, float[] b, int channels, int height, int width) {
        return Ssim.STANDARD.compute(a, b, channels, height, width, PixelRange.MINUS_ONE_TO_ONE);
    }

    /** Mean SSIM ({@link Ssim#STANDARD}) of two images in {@code range}. */
    public static double ssim(float[] a, float[] b, int channels, int height, int width, PixelRange range) {
        return Ssim.STANDARD.compute(a, b, channels, height, width, range);
    }

    // ---- all three ----

    /** MSE, PSNR and SSIM of a reconstruction {@code b} against its reference {@code a}. */
    public static ImageResult compare(String name, float[] a, float[] b, int channels, int height, int width,
            PixelRange range) {
        int n = Shapes.checkPair(a, b, channels, height, width);
        return compare(name, a, 0, b, 0, n, channels, height, width, Shapes.checkRange(range));
    }

    /**
     * Compares {@code n} references with their reconstructions, both laid out NCHW in one array each
     * (a batch), and summarises them. Images are named {@code names.get(i)}, or by their index
     * ({@code "0"}, {@code "1"}, …) when {@code names} is null.
     */
    public static MetricSummary compareBatch(List<String> names, float[] references, float[] reconstructions,
            int n, int channels, int height, int width, PixelRange range) {
        int len = Shapes.length(channels, height, width);
        Shapes.checkRange(range);
        if (n <= 0) {
            throw new IllegalArgumentException("a batch needs at least one image: " + n);
        }
        long need = (long) n * len;
        if (references == null || reconstructions == null) {
            throw new IllegalArgumentException("batches must not be null");
        }
        if (references.length < need || reconstructions.length < need) {
            throw new IllegalArgumentException("batches have " + references.length + " and "
                    + reconstructions.length + " values, fewer than " + n + " images of " + len);
        }
        if (names != null && names.size() != n) {
            throw new IllegalArgumentException(names.size() + " names for " + n + " images");
        }
        List<ImageResult> results = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String name = names != null ? names.get(i) : Integer.toString(i);
            results.add(compare(name, references, i * len, reconstructions, i * len, len, channels, height,
                    width, range));
        }
        return MetricSummary.of(results);
    }

    private static ImageResult compare(String name, float[] a, int aOff, float[] b, int bOff, int n,
            int channels, int height, int width, PixelRange range) {
        double mse = mse(a, aOff, b, bOff, n, range);
        double ssim = Ssim.STANDARD.compute(a, aOff, b, bOff, channels, height, width, range);
        return new ImageResult(name, mse, psnrFromMse(mse), ssim);
    }
}

package io.ldmstudio.eval;

import java.util.Arrays;

/**
 * Mean structural similarity (Wang, Bovik, Sheikh and Simoncelli, "Image quality assessment: from
 * error visibility to structural similarity", IEEE TIP 13(4), 2004), computed as scikit-image's
 * {@code structural_similarity(a, b, gaussian_weights=True, sigma=1.5,
 * use_sample_covariance=False, data_range=1, channel_axis=0)} does:
 *
 * <ol>
 *   <li>both images are put on the [0, 1] scale ({@link PixelRange#toUnit}); data range {@code L = 1},
 *       {@code C1 = (K1·L)²}, {@code C2 = (K2·L)²};
 *   <li>local statistics come from a normalised Gaussian window of standard deviation σ, truncated at
 *       radius {@code r = ⌊3.5σ + 0.5⌋} (scipy's {@code truncate=3.5}): 11 × 11 for σ = 1.5. It is
 *       separable, weights {@code g(k) ∝ exp(−k²/2σ²)}, {@code k = −r..r}, summing to 1;
 *   <li>{@code μx = g∗x}, {@code σx² = g∗x² − μx²}, {@code σxy = g∗(xy) − μxμy} (population
 *       moments, no N/(N−1) factor);
 *   <li>{@code S = (2μxμy + C1)(2σxy + C2) / ((μx² + μy² + C1)(σx² + σy² + C2))};
 *   <li>the SSIM of a channel is the mean of {@code S} over the <em>valid</em> region only — the
 *       positions whose whole window lies inside the image, i.e. {@code r} pixels are cropped at
 *       every border, which is exactly what scikit-image's crop of {@code (win_size − 1)/2} keeps, so
 *       border padding never matters;
 *   <li>the image's SSIM is the plain mean over channels.
 * </ol>
 *
 * <p>All arithmetic is in double precision (scikit-image keeps float32 inputs in float32; on float64
 * inputs the two agree to rounding). Images smaller than the window on either side have no valid
 * region: that is an {@link IllegalArgumentException}, as in scikit-image — there is no silent
 * fallback window; use a smaller σ ({@link #Ssim(double, double, double)}) deliberately for tiny
 * images (σ = 0.5 gives a 5 × 5 window).
 *
 * <p>Cost: two passes of {@code 2r + 1} taps over five planes per channel; a 3 × 256 × 256 image
 * takes a few milliseconds. Immutable and thread-safe.
 */
public final class Ssim {
    /** The standard settings: σ = 1.5 (11 × 11 window), K1 = 0.01, K2 = 0.03. */
    public static final Ssim STANDARD = new Ssim(1.5, 0.01, 0.03);

    /** Images are compared on the [0, 1] scale: {@code L = 1}. */
    public static final double DATA_RANGE = 1.0;

    /** scipy's and scikit-image's window truncation, in standard deviations. */
    public static final double TRUNCATE = 3.5;

    private final double sigma;
    private final double k1;
    private final double k2;
    private final int radius;
    private final double[] kernel;

    /**
     * @param sigma standard deviation of the Gaussian window in pixels (positive)
     * @param k1 luminance constant, {@code C1 = k1²} (non-negative)
     * @param k2 contrast constant, {@code C2 = k2²} (non-negative)
     */
    public Ssim(double sigma, double k1, double k2) {
        if (!(sigma > 0) || Double.isInfinite(sigma)) {
            throw new IllegalArgumentException("sigma must be positive and finite: " + sigma);
        }
        if (!(k1 >= 0) || !(k2 >= 0) || Double.isInfinite(k1) || Double.isInfinite(k2)) {
            throw new IllegalArgumentException("K1 and K2 must be non-negative and finite: " + k1 + ", " + k2);
        }
        this.sigma = sigma;
        this.k1 = k1;
        this.k2 = k2;
        this.radius = (int) (TRUNCATE * sigma + 0.5);
        this.kernel = gaussianKernel(sigma, radius);
    }

    public double sigma() {
        return sigma;
    }

    public double k1() {
        return k1;
    }

    public double k2() {
        return k2;
    }

    /** Half the window side: {@code ⌊3.5σ + 0.5⌋} (5 for σ = 1.5). */
    public int radius() {
        return radius;
    }

    /** Side of the square window: {@code 2·radius + 1} (11 for σ = 1.5). */
    public int windowSize() {
        return 2 * radius + 1;
    }

    /** The normalised 1-D window weights (a copy), {@code windowSize()} values summing to 1. */
    public double[] kernel() {
        return kernel.clone();
    }

    /** Mean SSIM over channels of two CHW images in the given range. */
    public double compute(float[] a, float[] b, int channels, int height, int width, PixelRange range) {
        Shapes.checkPair(a, b, channels, height, width);
        return compute(a, 0, b, 0, channels, height, width, Shapes.checkRange(range));
    }

    /** SSIM of each channel (the mean of {@link #compute} is their average). */
    public double[] perChannel(float[] a, float[] b, int channels, int height, int width, PixelRange range) {
        Shapes.checkPair(a, b, channels, height, width);
        return perChannel(a, 0, b, 0, channels, height, width, Shapes.checkRange(range));
    }

    double compute(float[] a, int aOff, float[] b, int bOff, int channels, int height, int width,
            PixelRange range) {
        double[] s = perChannel(a, aOff, b, bOff, channels, height, width, range);
        double sum = 0;
        for (double v : s) {
            sum += v;
        }
        return sum / channels;
    }

    double[] perChannel(float[] a, int aOff, float[] b, int bOff, int channels, int height, int width,
            PixelRange range) {
        int win = windowSize();
        if (height < win || width < win) {
            throw new IllegalArgumentException("SSIM needs images of at least " + win + "x" + win
                    + " pixels (the Gaussian window for sigma " + sigma + "); got " + height + "x" + width
                    + ". Use a smaller sigma for smaller images.");
        }
        int plane = height * width;
        int vw = width - 2 * radius; // valid width
        int vh = height - 2 * radius; // valid height
        double c1 = (k1 * DATA_RANGE) * (k1 * DATA_RANGE);
        double c2 = (k2 * DATA_RANGE) * (k2 * DATA_RANGE);
        int taps = kernel.length;

        double[] x = new double[plane];
        double[] y = new double[plane];
        // horizontally filtered planes: height rows of the valid width
        double[] hx = new double[height * vw];
        double[] hy = new double[height * vw];
        double[] hxx = new double[height * vw];
        double[] hyy = new double[height * vw];
        double[] hxy = new double[height * vw];
        // one output row of the vertical pass
        double[] mx = new double[vw];
        double[] my = new double[vw];
        double[] mxx = new double[vw];
        double[] myy = new double[vw];
        double[] mxy = new double[vw];

        double[] out = new double[channels];
        for (int c = 0; c < channels; c++) {
            int ao = aOff + c * plane;
            int bo = bOff + c * plane;
            for (int i = 0; i < plane; i++) {
                x[i] = range.toUnit(a[ao + i]);
                y[i] = range.toUnit(b[bo + i]);
            }
            for (int row = 0; row < height; row++) {
                int in = row * width;
                int o = row * vw;
                for (int j = 0; j < vw; j++) {
                    double sx = 0;
                    double sy = 0;
                    double sxx = 0;
                    double syy = 0;
                    double sxy = 0;
                    int p = in + j;
                    for (int k = 0; k < taps; k++) {
                        double g = kernel[k];
                        double xv = x[p + k];
                        double yv = y[p + k];
                        // products before weighting: swapping a and b swaps sxx and syy and
                        // leaves sxy bit-identical, so SSIM is exactly symmetric, and a = b
                        // gives sxx = syy = sxy, so SSIM is exactly 1
                        sx += g * xv;
                        sy += g * yv;
                        sxx += g * (xv * xv);
                        syy += g * (yv * yv);
                        sxy += g * (xv * yv);
                    }
                    hx[o + j] = sx;
                    hy[o + j] = sy;
                    hxx[o + j] = sxx;
                    hyy[o + j] = syy;
                    hxy[o + j] = sxy;
                }
            }
            double total = 0;
            for (int i = 0; i < vh; i++) {
                Arrays.fill(mx, 0);
                Arrays.fill(my, 0);
                Arrays.fill(mxx, 0);
                Arrays.fill(myy, 0);
                Arrays.fill(mxy, 0);
                for (int k = 0; k < taps; k++) {
                    double g = kernel[k];
                    int r = (i + k) * vw;
                    for (int j = 0; j < vw; j++) {
                        mx[j] += g * hx[r + j];
                        my[j] += g * hy[r + j];
                        mxx[j] += g * hxx[r + j];
                        myy[j] += g * hyy[r + j];
                        mxy[j] += g * hxy[r + j];
                    }
                }
                for (int j = 0; j < vw; j++) {
                    double ux = mx[j];
                    double uy = my[j];
                    double vx = mxx[j] - ux * ux;
                    double vy = myy[j] - uy * uy;
                    double vxy = mxy[j] - ux * uy;
                    double num = (2 * ux * uy + c1) * (2 * vxy + c2);
                    double den = (ux * ux + uy * uy + c1) * (vx + vy + c2);
                    total += num / den;
                }
            }
            out[c] = total / ((double) vh * vw);
        }
        return out;
    }

    /** scipy.ndimage's 1-D Gaussian: {@code exp(−k²/2σ²)} for {@code k = −r..r}, normalised. */
    private static double[] gaussianKernel(double sigma, int radius) {
        double[] g = new double[2 * radius + 1];
        double sum = 0;
        for (int k = -radius; k <= radius; k++) {
            double v = Math.exp(-0.5 / (sigma * sigma) * k * k);
            g[k + radius] = v;
            sum += v;
        }
        for (int i = 0; i < g.length; i++) {
            g[i] /= sum;
        }
        return g;
    }
}

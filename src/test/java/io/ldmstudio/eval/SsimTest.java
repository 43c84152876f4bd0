package io.ldmstudio.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class SsimTest {
    private static final double C1 = 0.01 * 0.01;
    private static final double C2 = 0.03 * 0.03;

    /**
     * SSIM straight from Wang et al.'s formula, written independently of {@link Ssim}: for every
     * centre whose 11×11 window fits, weight the window with a 2-D Gaussian (σ = 1.5, normalised
     * over the 121 taps), take the weighted mean, variance (about that mean) and covariance, apply
     * the formula; average over centres, then over channels. Inputs in [-1, 1].
     */
    private static double naiveSsim(float[] a, float[] b, int c, int h, int w) {
        int r = 5;
        double sigma = 1.5;
        double[][] wt = new double[2 * r + 1][2 * r + 1];
        double total = 0;
        for (int dy = -r; dy <= r; dy++) {
            for (int dx = -r; dx <= r; dx++) {
                wt[dy + r][dx + r] = Math.exp(-(dx * dx + dy * dy) / (2 * sigma * sigma));
                total += wt[dy + r][dx + r];
            }
        }
        double channelSum = 0;
        for (int ch = 0; ch < c; ch++) {
            double sum = 0;
            int count = 0;
            for (int cy = r; cy < h - r; cy++) {
                for (int cx = r; cx < w - r; cx++) {
                    double ma = 0;
                    double mb = 0;
                    for (int dy = -r; dy <= r; dy++) {
                        for (int dx = -r; dx <= r; dx++) {
                            double g = wt[dy + r][dx + r] / total;
                            int i = (ch * h + cy + dy) * w + cx + dx;
                            ma += g * (a[i] + 1.0) / 2;
                            mb += g * (b[i] + 1.0) / 2;
                        }
                    }
                    double va = 0;
                    double vb = 0;
                    double cov = 0;
                    for (int dy = -r; dy <= r; dy++) {
                        for (int dx = -r; dx <= r; dx++) {
                            double g = wt[dy + r][dx + r] / total;
                            int i = (ch * h + cy + dy) * w + cx + dx;
                            double da = (a[i] + 1.0) / 2 - ma;
                            double db = (b[i] + 1.0) / 2 - mb;
                            va += g * da * da;
                            vb += g * db * db;
                            cov += g * da * db;
                        }
                    }
                    sum += (2 * ma * mb + C1) * (2 * cov + C2) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
                    count++;
                }
            }
            channelSum += sum / count;
        }
        return channelSum / c;
    }

    @Test
    void standardWindowIsElevenTapsOfSigmaOneAndAHalfSummingToOne() {
        assertEquals(5, Ssim.STANDARD.radius());
        assertEquals(11, Ssim.STANDARD.windowSize());
        double[] k = Ssim.STANDARD.kernel();
        assertEquals(11, k.length);
        double sum = 0;
        for (double v : k) {
            sum += v;
        }
        assertEquals(1.0, sum, 1e-15);
        assertEquals(Math.exp(-25 / 4.5), k[0] / k[5], 1e-15);
        assertEquals(k[1], k[9], 0.0);
        // scipy's radius rule int(3.5σ + 0.5): σ = 0.5 → 2 (5 taps), σ = 2 → 7 (15 taps)
        assertEquals(5, new Ssim(0.5, 0.01, 0.03).windowSize());
        assertEquals(15, new Ssim(2.0, 0.01, 0.03).windowSize());
    }

    @Test
    void identicalImagesGiveExactlyOne() {
        float[] a = TestImages.uniform(3, 24, 31, 5, -1f, 1f);
        assertEquals(1.0, ImageMetrics.ssim(a, a, 3, 24, 31), 0.0);
        assertEquals(1.0, ImageMetrics.ssim(a, a.clone(), 3, 24, 31), 0.0);
        float[] flat = TestImages.constant(1, 11, 11, 0.3f);
        assertEquals(1.0, ImageMetrics.ssim(flat, flat.clone(), 1, 11, 11), 0.0);
        float[] black = TestImages.constant(1, 11, 11, -1f);
        assertEquals(1.0, ImageMetrics.ssim(black, black.clone(), 1, 11, 11), 0.0);
    }

    @Test
    void constantImagesReduceToTheLuminanceTerm() {
        float[][] pairs = {{0.2f, -0.4f}, {-1f, 1f}, {0.9f, 0.85f}, {-0.95f, -1f}};
        for (float[] p : pairs) {
            float[] a = TestImages.constant(3, 13, 17, p[0]);
            float[] b = TestImages.constant(3, 13, 17, p[1]);
            double ma = (p[0] + 1.0) / 2;
            double mb = (p[1] + 1.0) / 2;
            // no variance: the contrast-structure term is C2/C2 = 1
            double expected = (2 * ma * mb + C1) / (ma * ma + mb * mb + C1);
            assertEquals(expected, ImageMetrics.ssim(a, b, 3, 13, 17), 1e-12, "pair " + p[0] + ", " + p[1]);
        }
        // the same on the [0, 1] scale
        float[] a = TestImages.constant(1, 11, 11, 0.25f);
        float[] b = TestImages.constant(1, 11, 11, 0.75f);
        double expected = (2 * 0.25 * 0.75 + C1) / (0.0625 + 0.5625 + C1);
        assertEquals(expected, ImageMetrics.ssim(a, b, 1, 11, 11, PixelRange.ZERO_TO_ONE), 1e-12);
        // black against white: C1 / (1 + C1), almost 0
        assertEquals(C1 / (1 + C1), ImageMetrics.ssim(TestImages.constant(1, 11, 11, -1f),
                TestImages.constant(1, 11, 11, 1f), 1, 11, 11), 1e-15);
    }

    @Test
    void agreesWithANaiveImplementationForNegationScaleAndNoise() {
        int c = 3;
        int h = 24;
        int w = 24;
        float[] a = TestImages.uniform(c, h, w, 42, -1f, 1f);
        float[] neg = new float[a.length];
        float[] half = new float[a.length];
        float[] noisy = new float[a.length];
        Random r = new Random(9);
        for (int i = 0; i < a.length; i++) {
            neg[i] = -a[i];
            half[i] = 0.5f * a[i];
            noisy[i] = a[i] + 0.2f * (float) r.nextGaussian();
        }
        float[][] others = {neg, half, noisy};
        String[] names = {"negation", "scale 0.5", "noise 0.2"};
        for (int k = 0; k < others.length; k++) {
            double expected = naiveSsim(a, others[k], c, h, w);
            assertEquals(expected, ImageMetrics.ssim(a, others[k], c, h, w), 1e-9, names[k]);
        }
        assertTrue(naiveSsim(a, neg, c, h, w) < 0, "a negated random image is anti-correlated");
        // a non-square gray image catches swapped height and width
        float[] g = TestImages.uniform(1, 13, 29, 8, -1f, 1f);
        float[] g2 = TestImages.uniform(1, 13, 29, 10, -1f, 1f);
        for (int i = 0; i < g.length; i++) {
            g2[i] = 0.7f * g[i] + 0.3f * g2[i];
        }
        assertEquals(naiveSsim(g, g2, 1, 13, 29), ImageMetrics.ssim(g, g2, 1, 13, 29), 1e-9);
    }

    @Test
    void matchesScikitImageOnReferenceImages() {
        // from skimage 0.19.3 structural_similarity(gaussian_weights=True, sigma=1.5,
        // use_sample_covariance=False, data_range=1[, channel_axis=0]) on float64 [0, 1] images
        int[] ks = TestImages.smooth(1, 32, 40);
        assertEquals(0.9469072958870411, ImageMetrics.ssim(TestImages.signed(ks),
                TestImages.signed(TestImages.perturbed(ks, 1, 32, 40)), 1, 32, 40), 1e-12);
        int[] km = TestImages.patternA(1, 11, 11);
        assertEquals(0.9963266458299461, ImageMetrics.ssim(TestImages.signed(km),
                TestImages.signed(TestImages.perturbed(km, 1, 11, 11)), 1, 11, 11), 1e-12);
    }

    @Test
    void isSymmetric() {
        float[] a = TestImages.uniform(3, 20, 16, 1, -1f, 1f);
        float[] b = TestImages.uniform(3, 20, 16, 2, -1f, 1f);
        for (int i = 0; i < a.length; i++) {
            b[i] = 0.5f * a[i] + 0.5f * b[i];
        }
        assertEquals(ImageMetrics.ssim(a, b, 3, 20, 16), ImageMetrics.ssim(b, a, 3, 20, 16), 0.0);
        assertArrayEquals(Ssim.STANDARD.perChannel(a, b, 3, 20, 16, PixelRange.MINUS_ONE_TO_ONE),
                Ssim.STANDARD.perChannel(b, a, 3, 20, 16, PixelRange.MINUS_ONE_TO_ONE), 0.0);
    }

    @Test
    void moreNoiseGivesLowerSsim() {
        int h = 32;
        int w = 32;
        float[] a = new float[3 * h * w];
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    a[(c * h + y) * w + x] = (float) (0.6 * Math.sin(0.3 * x + 0.2 * y + c) * Math.cos(0.15 * y));
                }
            }
        }
        Random r = new Random(3);
        float[] noise = new float[a.length];
        for (int i = 0; i < noise.length; i++) {
            noise[i] = (float) r.nextGaussian();
        }
        double previous = 1.0;
        for (double level : new double[] {0.02, 0.1, 0.3}) {
            float[] b = new float[a.length];
            for (int i = 0; i < a.length; i++) {
                b[i] = (float) (a[i] + level * noise[i]);
            }
            double s = ImageMetrics.ssim(a, b, 3, h, w);
            assertTrue(s < previous, "noise " + level + " gave " + s + ", not below " + previous);
            previous = s;
        }
        assertTrue(previous < 0.8, "heavy noise should clearly hurt: " + previous);
    }

    @Test
    void channelSsimIsTheMeanOfPerChannelValues() {
        float[] a = TestImages.uniform(3, 16, 16, 4, -1f, 1f);
        float[] b = a.clone();
        for (int i = 256; i < 512; i++) { // perturb channel 1 only
            b[i] = -b[i];
        }
        double[] per = Ssim.STANDARD.perChannel(a, b, 3, 16, 16, PixelRange.MINUS_ONE_TO_ONE);
        assertEquals(1.0, per[0], 0.0);
        assertEquals(1.0, per[2], 0.0);
        assertTrue(per[1] < 0);
        assertEquals((per[0] + per[1] + per[2]) / 3, ImageMetrics.ssim(a, b, 3, 16, 16), 1e-15);
    }

    @Test
    void imagesSmallerThanTheWindowAreAClearError() {
        float[] a = new float[10 * 20];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImageMetrics.ssim(a, a, 1, 10, 20));
        assertTrue(e.getMessage().contains("11x11") && e.getMessage().contains("10x20"), e.getMessage());
        float[] narrow = new float[20 * 8];
        assertThrows(IllegalArgumentException.class, () -> ImageMetrics.ssim(narrow, narrow, 1, 20, 8));
        // a smaller window, chosen on purpose, works on small images
        float[] s = TestImages.uniform(1, 8, 8, 1, -1f, 1f);
        assertEquals(1.0, new Ssim(0.5, 0.01, 0.03).compute(s, s, 1, 8, 8, PixelRange.MINUS_ONE_TO_ONE), 0.0);
        assertThrows(IllegalArgumentException.class, () -> new Ssim(0, 0.01, 0.03));
        assertThrows(IllegalArgumentException.class, () -> new Ssim(1.5, -0.01, 0.03));
    }

    @Test
    void a256ImageTakesMilliseconds() {
        float[] a = TestImages.uniform(3, 256, 256, 1, -1f, 1f);
        float[] b = TestImages.uniform(3, 256, 256, 2, -1f, 1f);
        ImageMetrics.ssim(a, b, 3, 256, 256); // warm-up
        long best = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            long t0 = System.nanoTime();
            ImageMetrics.ssim(a, b, 3, 256, 256);
            best = Math.min(best, System.nanoTime() - t0);
        }
        // typically well under 50 ms; the bound is loose for a shared machine
        assertTrue(best < 1_000_000_000L, "3x256x256 SSIM took " + best / 1e6 + " ms");
    }
}

package io.ldmstudio.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ImageMetricsTest {

    @Test
    void constantOffsetOnUnitScaleGivesMseDeltaSquaredAndPsnrMinus20Log10Delta() {
        // dyadic values: every difference is exactly 1/16 in float and double
        float delta = 1f / 16f;
        float[] a = new float[3 * 8 * 8];
        for (int i = 0; i < a.length; i++) {
            a[i] = (i % 200) / 256f;
        }
        float[] b = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = a[i] + delta;
        }
        assertEquals((double) delta * delta, ImageMetrics.mse(a, b, 3, 8, 8, PixelRange.ZERO_TO_ONE), 0.0);
        assertEquals(-20 * Math.log10(delta), ImageMetrics.psnr(a, b, 3, 8, 8, PixelRange.ZERO_TO_ONE), 1e-12);
        assertEquals(24.082399653118497, ImageMetrics.psnr(a, b, 3, 8, 8, PixelRange.ZERO_TO_ONE), 1e-12);
    }

    @Test
    void nonDyadicOffsetMatchesClosedFormToFloatPrecision() {
        float[] a = TestImages.uniform(1, 16, 16, 7, 0f, 0.8f);
        float[] b = new float[a.length];
        double[] actualDiff = new double[a.length];
        for (int i = 0; i < a.length; i++) {
            b[i] = a[i] + 0.1f;
            actualDiff[i] = (double) b[i] - a[i];
        }
        assertEquals(0.01, ImageMetrics.mse(a, b, 1, 16, 16, PixelRange.ZERO_TO_ONE), 1e-8);
        assertEquals(20.0, ImageMetrics.psnr(a, b, 1, 16, 16, PixelRange.ZERO_TO_ONE), 1e-5);
        // and exactly the mean of the float differences that are really there
        double sum = 0;
        for (double d : actualDiff) {
            sum += d * d;
        }
        assertEquals(sum / a.length, ImageMetrics.mse(a, b, 1, 16, 16, PixelRange.ZERO_TO_ONE), 1e-18);
    }

    @Test
    void signedImagesAreHalvedBeforeSquaring() {
        // 0.25 apart in [-1, 1] is 0.125 apart in [0, 1]: MSE 1/64, PSNR 20·log10(8)
        float[] a = TestImages.constant(3, 4, 5, -0.5f);
        float[] b = TestImages.constant(3, 4, 5, -0.25f);
        assertEquals(1.0 / 64, ImageMetrics.mse(a, b, 3, 4, 5), 0.0);
        assertEquals(1.0 / 64, ImageMetrics.mse(a, b, 3, 4, 5, PixelRange.MINUS_ONE_TO_ONE), 0.0);
        assertEquals(20 * Math.log10(8), ImageMetrics.psnr(a, b, 3, 4, 5), 1e-12);
        // the brief's example: 0.2 apart in [-1, 1] → 0.1 in [0, 1] → MSE 0.01, PSNR 20 dB
        float[] c = TestImages.constant(1, 4, 4, 0.3f);
        float[] d = TestImages.constant(1, 4, 4, 0.5f);
        double unitDiff = ((double) d[0] - c[0]) / 2;
        assertEquals(0.1, unitDiff, 1e-7);
        assertEquals(unitDiff * unitDiff, ImageMetrics.mse(c, d, 1, 4, 4), 1e-18);
        assertEquals(20.0, ImageMetrics.psnr(c, d, 1, 4, 4), 1e-5);
    }

    @Test
    void sameImageInEitherRangeGivesTheSameMetrics() {
        float[] u = TestImages.uniform(3, 16, 12, 1, 0f, 1f);
        float[] v = TestImages.uniform(3, 16, 12, 2, 0f, 1f);
        float[] su = new float[u.length];
        float[] sv = new float[v.length];
        for (int i = 0; i < u.length; i++) {
            su[i] = u[i] * 2f - 1f; // exact: scaling by 2 and subtracting 1 from [0,1] floats
            sv[i] = v[i] * 2f - 1f;
        }
        assertEquals(ImageMetrics.mse(u, v, 3, 16, 12, PixelRange.ZERO_TO_ONE), ImageMetrics.mse(su, sv, 3, 16, 12),
                1e-15);
        assertEquals(ImageMetrics.ssim(u, v, 3, 16, 12, PixelRange.ZERO_TO_ONE), ImageMetrics.ssim(su, sv, 3, 16, 12),
                1e-12);
    }

    @Test
    void identicalImagesHaveZeroMseAndInfinitePsnr() {
        float[] a = TestImages.uniform(3, 12, 12, 3, -1f, 1f);
        assertEquals(0.0, ImageMetrics.mse(a, a.clone(), 3, 12, 12), 0.0);
        assertEquals(Double.POSITIVE_INFINITY, ImageMetrics.psnr(a, a.clone(), 3, 12, 12));
        assertEquals(Double.POSITIVE_INFINITY, ImageMetrics.psnrFromMse(0));
        assertTrue(Double.isNaN(ImageMetrics.psnrFromMse(Double.NaN)));
        assertThrows(IllegalArgumentException.class, () -> ImageMetrics.psnrFromMse(-1e-3));
    }

    @Test
    void matchesScikitImageOnAReferencePair() {
        // values from skimage 0.19.3: mean_squared_error, peak_signal_noise_ratio(data_range=1) and
        // structural_similarity(channel_axis=0, gaussian_weights=True, sigma=1.5,
        // use_sample_covariance=False, data_range=1) on the float64 [0, 1] versions of these images
        int[] ka = TestImages.patternA(3, 20, 27);
        float[] a = TestImages.signed(ka);
        float[] b = TestImages.signed(TestImages.perturbed(ka, 3, 20, 27));
        ImageResult r = ImageMetrics.compare("ref", a, b, 3, 20, 27, PixelRange.MINUS_ONE_TO_ONE);
        assertEquals(0.0007024819876926563, r.mse(), 1e-15);
        assertEquals(31.533648070043412, r.psnr(), 1e-9);
        assertEquals(0.9957174814410633, r.ssim(), 1e-12);
    }

    @Test
    void batchComparisonMatchesImageByImageComparison() {
        int c = 3;
        int h = 12;
        int w = 14;
        int len = c * h * w;
        int n = 3;
        float[] refs = TestImages.uniform(n, c * h, w, 11, -1f, 1f);
        float[] recs = refs.clone();
        for (int i = len; i < recs.length; i++) { // image 0 identical, others perturbed
            recs[i] = Math.max(-1f, Math.min(1f, recs[i] + 0.05f * (i % 3 - 1) * (i / len)));
        }
        MetricSummary s = ImageMetrics.compareBatch(List.of("x", "y", "z"), refs, recs, n, c, h, w,
                PixelRange.MINUS_ONE_TO_ONE);
        assertEquals(3, s.count());
        for (int k = 0; k < n; k++) {
            float[] a = java.util.Arrays.copyOfRange(refs, k * len, (k + 1) * len);
            float[] b = java.util.Arrays.copyOfRange(recs, k * len, (k + 1) * len);
            ImageResult one = ImageMetrics.compare("x", a, b, c, h, w, PixelRange.MINUS_ONE_TO_ONE);
            assertEquals(one.mse(), s.images().get(k).mse(), 0.0);
            assertEquals(one.psnr(), s.images().get(k).psnr(), 0.0);
            assertEquals(one.ssim(), s.images().get(k).ssim(), 0.0);
        }
        assertEquals("z", s.images().get(2).name());
        assertEquals(Double.POSITIVE_INFINITY, s.images().get(0).psnr());
        assertEquals(1, s.psnr().positiveInfinite());
        assertEquals("1", ImageMetrics.compareBatch(null, refs, recs, n, c, h, w, PixelRange.MINUS_ONE_TO_ONE)
                .images().get(1).name());
    }

    @Test
    void mismatchedShapesAreRejectedWithTheShapeInTheMessage() {
        float[] a = new float[3 * 4 * 4];
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ImageMetrics.mse(a, new float[3 * 4 * 5], 3, 4, 4));
        assertTrue(e.getMessage().contains("3x4x4"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> ImageMetrics.mse(a, a, 3, 4, 5));
        assertThrows(IllegalArgumentException.class, () -> ImageMetrics.mse(a, a, 0, 4, 4));
        assertThrows(IllegalArgumentException.class, () -> ImageMetrics.mse(a, a, 3, 4, 4, null));
        assertThrows(IllegalArgumentException.class,
                () -> ImageMetrics.compareBatch(List.of("one"), a, a, 2, 3, 2, 4, PixelRange.ZERO_TO_ONE));
        assertThrows(IllegalArgumentException.class,
                () -> ImageMetrics.compareBatch(null, a, a, 2, 3, 4, 4, PixelRange.ZERO_TO_ONE));
    }
}

package io.ldmstudio.eval;

import java.util.List;

/**
 * Per-image results and their statistics. PSNR is averaged over finite values only: identical
 * images ({@code +∞} dB) are counted in {@code psnr().positiveInfinite()} instead. The
 * {@link #pooledPsnr()} — the PSNR of the mean MSE — is the other common dataset figure and is
 * finite unless every image is identical.
 */
public record MetricSummary(List<ImageResult> images, Stats mse, Stats psnr, Stats ssim) {

    public MetricSummary {
        images = List.copyOf(images);
    }

    public static MetricSummary of(List<ImageResult> images) {
        int n = images.size();
        double[] mse = new double[n];
        double[] psnr = new double[n];
        double[] ssim = new double[n];
        for (int i = 0; i < n; i++) {
            ImageResult r = images.get(i);
            mse[i] = r.mse();
            psnr[i] = r.psnr();
            ssim[i] = r.ssim();
        }
        return new MetricSummary(images, Stats.of(mse), Stats.of(psnr), Stats.of(ssim));
    }

    public int count() {
        return images.size();
    }

    /** {@code 10·log10(1 / mean MSE)}: PSNR of the whole set pooled (NaN if no image). */
    public double pooledPsnr() {
        return mse.finite() == 0 ? Double.NaN : ImageMetrics.psnrFromMse(mse.mean());
    }

    /** The fixed-width table of {@link MetricTable#format}. */
    public String table() {
        return MetricTable.format(this);
    }
}

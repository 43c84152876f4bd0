package io.ldmstudio.eval;

import java.util.Locale;

/**
 * Formats a {@link MetricSummary} as a fixed-width, plain-ASCII text table for the CLI (this package
 * never prints). One row per image, then mean and std rows and notes on values left out of the
 * means:
 *
 * <pre>
 * image            mse    psnr_db     ssim
 * --------  ----------  ---------  -------
 * cat.png    1.000e-02     20.000   0.9500
 * dog.png    0.000e+00        inf   1.0000
 * bird.png   2.500e-03     26.021   0.8125
 * --------  ----------  ---------  -------
 * mean       4.167e-03     23.010   0.9208
 * std        4.249e-03      3.010   0.0793
 * psnr: mean over 2 of 3 images; 1 identical (inf dB) excluded; pooled (of mean mse) 23.802 dB
 * </pre>
 *
 * <p>The name column is as wide as the longest name, at least 5 and at most {@value #MAX_NAME}
 * characters; longer names keep their end, prefixed with {@code ..}. Numbers use
 * {@link Locale#ROOT}; infinite values print as {@code inf}/{@code -inf}, NaN as {@code nan}. Lines
 * end with {@code \n}.
 */
public final class MetricTable {
    public static final int MAX_NAME = 40;
    private static final int MSE_W = 10;
    private static final int PSNR_W = 9;
    private static final int SSIM_W = 7;

    private MetricTable() {}

    public static String format(MetricSummary s) {
        int nameW = 5;
        for (ImageResult r : s.images()) {
            nameW = Math.max(nameW, Math.min(MAX_NAME, r.name().length()));
        }
        StringBuilder sb = new StringBuilder();
        row(sb, nameW, "image", pad("mse", MSE_W), pad("psnr_db", PSNR_W), pad("ssim", SSIM_W));
        String rule = row(new StringBuilder(), nameW, "-".repeat(nameW), "-".repeat(MSE_W), "-".repeat(PSNR_W),
                "-".repeat(SSIM_W)).toString();
        sb.append(rule);
        for (ImageResult r : s.images()) {
            row(sb, nameW, fit(r.name(), nameW), mse(r.mse()), fixed(r.psnr(), PSNR_W, 3), fixed(r.ssim(), SSIM_W, 4));
        }
        sb.append(rule);
        row(sb, nameW, "mean", mse(s.mse().mean()), fixed(s.psnr().mean(), PSNR_W, 3),
                fixed(s.ssim().mean(), SSIM_W, 4));
        row(sb, nameW, "std", mse(s.mse().std()), fixed(s.psnr().std(), PSNR_W, 3),
                fixed(s.ssim().std(), SSIM_W, 4));
        Stats p = s.psnr();
        if (p.excluded() > 0) {
            sb.append(String.format(Locale.ROOT, "psnr: mean over %d of %d images", p.finite(), p.count()));
            if (p.positiveInfinite() > 0) {
                sb.append(String.format(Locale.ROOT, "; %d identical (inf dB) excluded", p.positiveInfinite()));
            }
            if (p.nan() > 0) {
                sb.append(String.format(Locale.ROOT, "; %d nan excluded", p.nan()));
            }
            sb.append(String.format(Locale.ROOT, "; pooled (of mean mse) %s dB\n", number(s.pooledPsnr(), 3)));
        }
        if (s.mse().nan() > 0 || s.ssim().nan() > 0) {
            sb.append(String.format(Locale.ROOT, "nan values excluded from means: mse %d, ssim %d\n",
                    s.mse().nan(), s.ssim().nan()));
        }
        return sb.toString();
    }

    private static StringBuilder row(StringBuilder sb, int nameW, String name, String mse, String psnr,
            String ssim) {
        sb.append(name).append(" ".repeat(Math.max(0, nameW - name.length())));
        sb.append("  ").append(mse).append("  ").append(psnr).append("  ").append(ssim).append('\n');
        return sb;
    }

    private static String fit(String name, int w) {
        return name.length() <= w ? name : ".." + name.substring(name.length() - (w - 2));
    }

    private static String pad(String s, int w) {
        return " ".repeat(Math.max(0, w - s.length())) + s;
    }

    private static String mse(double v) {
        return pad(Double.isFinite(v) ? String.format(Locale.ROOT, "%.3e", v) : special(v), MSE_W);
    }

    private static String fixed(double v, int w, int decimals) {
        return pad(number(v, decimals), w);
    }

    private static String number(double v, int decimals) {
        return Double.isFinite(v) ? String.format(Locale.ROOT, "%." + decimals + "f", v) : special(v);
    }

    private static String special(double v) {
        return Double.isNaN(v) ? "nan" : (v > 0 ? "inf" : "-inf");
    }
}

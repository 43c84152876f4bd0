package io.ldmstudio.eval;

/**
 * The metrics of one image against its reference, all on the [0, 1] scale.
 *
 * @param name a label for tables (a file name or an index)
 * @param mse mean squared error
 * @param psnr peak signal-to-noise ratio in dB, {@code +∞} for identical images
 * @param ssim mean structural similarity (Wang et al. 2004), 1 for identical images
 */
public record ImageResult(String name, double mse, double psnr, double ssim) {
    public ImageResult {
        if (name == null) {
            throw new IllegalArgumentException("name must not be null");
        }
    }
}

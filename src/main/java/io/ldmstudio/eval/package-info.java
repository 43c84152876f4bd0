/**
 * Image-quality metrics for comparing reconstructions (e.g. an autoencoder's) with their inputs:
 * {@link io.ldmstudio.eval.ImageMetrics} (MSE, PSNR, SSIM on the [0, 1] scale, for [-1, 1] or
 * [0, 1] images via {@link io.ldmstudio.eval.PixelRange}), {@link io.ldmstudio.eval.Ssim} (Wang et
 * al. 2004 with scikit-image's Gaussian settings), per-image {@link io.ldmstudio.eval.ImageResult}s
 * summarised by {@link io.ldmstudio.eval.MetricSummary} / {@link io.ldmstudio.eval.Stats} and
 * formatted by {@link io.ldmstudio.eval.MetricTable}, and {@link io.ldmstudio.eval.DifferenceImage}
 * for magnified-difference pictures.
 *
 * <p>Pure Java on CHW {@code float[]} arrays; nothing here prints or uses DJL.
 */
package io.ldmstudio.eval;

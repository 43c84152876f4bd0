/**
 * Image-quality metrics for comparing reconstructions (e.g. an autoencoder's) with their inputs:
 * {@link io.ldmstudio.eval.ImageMetrics} (MSE, PSNR, SSIM on the [0, 1] scale, for [-1, 1] or
 * [0, 1] images via {@link io.ldmstudio.eval.PixelRange}), {@link io.ldmstudio.eval.Ssim} (Wang et
 * al. 2004 with scikit-image's Gaussian settings), per-image {@link io.ldmstudio.eval.ImageResult}s
 * summarised by {@link io.ldmstudio.eval.MetricSummary} / {@link io.ldmstudio.eval.Stats} and
 * formatted by {@link io.ldmstudio.eval.MetricTable}, and {@link io.ldmstudio.eval.DifferenceImage}
 * for magnified-difference pictures.
 *
 * <p>The statistics half of FID and KID, from feature vectors (a network's, e.g. Inception's 2048 pool
 * features): {@link io.ldmstudio.eval.FeatureStats} (mu and sigma as pytorch-fid's
 * {@code calculate_activation_statistics}, read from and written to its {@code .npz} files),
 * {@link io.ldmstudio.eval.FrechetDistance} (pytorch-fid's {@code calculate_frechet_distance}) and
 * {@link io.ldmstudio.eval.KernelDistance} (clean-fid's {@code kernel_distance}); the square root of the
 * covariance product comes from EJML.
 *
 * <p>Pure Java on CHW {@code float[]} arrays and feature matrices; nothing here prints or uses DJL.
 */
package io.ldmstudio.eval;

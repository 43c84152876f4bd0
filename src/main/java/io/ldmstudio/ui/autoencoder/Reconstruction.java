package io.ldmstudio.ui.autoencoder;

import io.ldmstudio.eval.ImageResult;
import java.util.List;
import javafx.scene.image.Image;

/**
 * One dataset image through the autoencoder: what went in, what came out, the magnified difference,
 * the metrics, and the latent it passed through.
 *
 * @param sample      position in the sample (0-based)
 * @param index       the image's index in the dataset
 * @param label       its class name, or ""
 * @param channels    image channels (the autoencoder's in_channels)
 * @param size        image side in pixels
 * @param input       CHW in [-1, 1], as the transform made it
 * @param output      the reconstruction, CHW, clipped to [-1, 1]
 * @param metrics     MSE, PSNR, SSIM of {@code output} against {@code input} ({@code eval.ImageMetrics})
 * @param latents     the scaled latent (what the diffusion model sees), CHW
 * @param latentShape (L, h, w)
 */
public record Reconstruction(int sample, int index, String label, int channels, int size, float[] input,
        float[] output, ImageResult metrics, float[] latents, long[] latentShape, Image inputImage,
        Image outputImage, Image differenceImage, List<LatentChannel> latentChannels) {

    /** One latent channel as a picture, normalised from its own minimum (black) to maximum (white). */
    public record LatentChannel(int channel, Image image, float min, float max) {}

    public double psnr() {
        return metrics.psnr();
    }

    public double ssim() {
        return metrics.ssim();
    }

    public double mse() {
        return metrics.mse();
    }
}

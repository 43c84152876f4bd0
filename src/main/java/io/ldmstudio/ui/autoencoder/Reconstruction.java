package io.ldmstudio.ui.autoencoder;

import io.ldmstudio.eval.ImageResult;
import io.ldmstudio.service.AutoencoderSession;
import io.ldmstudio.ui.common.FxImages;
import java.util.ArrayList;
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

    /**
     * The pictures for a session's plain result: input, reconstruction and difference as images, each
     * latent channel from its min to its max. Any thread (the images are made off the FX thread).
     */
    static Reconstruction of(AutoencoderSession.Result r) {
        int ch = r.channels();
        int s = r.size();
        long[] latentShape = r.latentShape();
        float[] z = r.latents();
        int lc = (int) latentShape[0];
        int lh = (int) latentShape[1];
        int lw = (int) latentShape[2];
        List<LatentChannel> chans = new ArrayList<>(lc);
        for (int i = 0; i < lc; i++) {
            float lo = r.latentMin()[i];
            float hi = r.latentMax()[i];
            chans.add(new LatentChannel(i, FxImages.fromPlane(z, i * lh * lw, lh, lw, lo, hi), lo, hi));
        }
        return new Reconstruction(r.sample(), r.index(), r.label(), ch, s, r.input(), r.output(), r.metrics(), z,
                latentShape, FxImages.fromChw(r.input(), ch, s, s), FxImages.fromChw(r.output(), ch, s, s),
                FxImages.fromChw(r.difference(), ch, s, s), List.copyOf(chans));
    }

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

package io.ldmstudio.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.data.Grids;
import io.ldmstudio.eval.ImageMetrics;
import io.ldmstudio.eval.ImageResult;
import io.ldmstudio.eval.PixelRange;
import io.ldmstudio.nn.AutoencoderKL;
import io.ldmstudio.nn.GradMode;
import io.ldmstudio.nn.VQModel;
import java.util.ArrayList;
import java.util.List;

/**
 * Images through an autoencoder in batches, each batch in its own sub-manager of {@code manager} (so
 * nothing stays behind): reconstructions through the posterior mean, and the latents' scale.
 * Images are CHW float arrays in [-1, 1], all of one shape.
 */
public final class Reconstructions {
    private Reconstructions() {}

    /** x̂ = decode(mean of q(z|x)), clipped to [-1, 1], one array per image. */
    public static List<float[]> reconstruct(AutoencoderKL model, NDManager manager, List<float[]> images,
            int channels, int resolution, int batchSize) {
        return reconstruct(model, manager, images, channels, resolution, resolution, batchSize);
    }

    /** {@link #reconstruct} for images of {@code height × width} (both multiples of the autoencoder's f). */
    public static List<float[]> reconstruct(AutoencoderKL model, NDManager manager, List<float[]> images,
            int channels, int height, int width, int batchSize) {
        GradMode.disable();
        int per = channels * height * width;
        List<float[]> out = new ArrayList<>(images.size());
        for (int start = 0; start < images.size(); start += batchSize) {
            int n = Math.min(batchSize, images.size() - start);
            try (NDManager m = manager.newSubManager()) {
                NDArray x = m.create(stack(images, start, n, per), new Shape(n, channels, height, width));
                NDArray y = model.decode(model.encode(x).mode()).clip(-1, 1);
                out.addAll(Grids.split(y.toFloatArray(), n, per));
            }
        }
        return out;
    }

    /**
     * Reconstructions through a VQ model and the codebook entries they used.
     *
     * @param images one CHW array per image, clipped to [-1, 1]
     * @param usage  how often each codebook entry was chosen over these images
     */
    public record Quantized(List<float[]> images, VQModel.CodebookUsage usage) {}

    /**
     * x̂ = decode(quantize(encode(x))), clipped to [-1, 1] (diffusers' {@code VQModel.forward}), with the
     * codebook usage of the quantised latents; images of {@code height × width}, multiples of f.
     */
    public static Quantized reconstruct(VQModel model, NDManager manager, List<float[]> images, int channels, int height,
            int width, int batchSize) {
        GradMode.disable();
        int per = channels * height * width;
        List<float[]> out = new ArrayList<>(images.size());
        VQModel.CodebookUsage usage = new VQModel.CodebookUsage(new long[model.config().numVqEmbeddings()]);
        for (int start = 0; start < images.size(); start += batchSize) {
            int n = Math.min(batchSize, images.size() - start);
            try (NDManager m = manager.newSubManager()) {
                NDArray x = m.create(stack(images, start, n, per), new Shape(n, channels, height, width));
                NDArray h = model.encode(x);
                usage = usage.plus(model.codebookUsage(model.quantize(h).indices()));
                NDArray y = model.decode(h).clip(-1, 1); // quantises again: forward(x), whatever the config's flags
                out.addAll(Grids.split(y.toFloatArray(), n, per));
            }
        }
        return new Quantized(out, usage);
    }

    /**
     * 1 / std of the posterior means of {@code images} (unscaled, all values pooled): the scaling
     * factor that gives the diffusion model latents of unit variance (LDM, section 3.2 / appendix).
     */
    public static double scalingFactor(AutoencoderKL model, NDManager manager, List<float[]> images, int channels,
            int resolution, int batchSize) {
        GradMode.disable();
        int per = channels * resolution * resolution;
        double sum = 0;
        double sumSq = 0;
        long count = 0;
        for (int start = 0; start < images.size(); start += batchSize) {
            int n = Math.min(batchSize, images.size() - start);
            try (NDManager m = manager.newSubManager()) {
                NDArray x = m.create(stack(images, start, n, per), new Shape(n, channels, resolution, resolution));
                for (float v : model.encode(x).mode().toFloatArray()) {
                    sum += v;
                    sumSq += (double) v * v;
                    count++;
                }
            }
        }
        double mean = sum / count;
        double var = sumSq / count - mean * mean;
        return var > 0 && Double.isFinite(var) ? 1.0 / Math.sqrt(var) : 1.0;
    }

    /**
     * MSE, PSNR and SSIM of each reconstruction against its image ([-1, 1]), each named by its index
     * counted from {@code firstIndex}.
     */
    public static List<ImageResult> compare(List<float[]> images, List<float[]> reconstructions, int channels,
            int resolution, int firstIndex) {
        List<ImageResult> results = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            results.add(ImageMetrics.compare(Integer.toString(firstIndex + i), images.get(i), reconstructions.get(i), channels,
                    resolution, resolution, PixelRange.MINUS_ONE_TO_ONE));
        }
        return results;
    }

    private static float[] stack(List<float[]> images, int start, int n, int per) {
        float[] x = new float[n * per];
        for (int i = 0; i < n; i++) {
            System.arraycopy(images.get(start + i), 0, x, i * per, per);
        }
        return x;
    }
}

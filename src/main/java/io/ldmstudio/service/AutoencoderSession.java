package io.ldmstudio.service;

import io.ldmstudio.engine.Devices;
import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.data.ImageSource;
import io.ldmstudio.data.Transform;
import io.ldmstudio.eval.DifferenceImage;
import io.ldmstudio.eval.ImageMetrics;
import io.ldmstudio.eval.ImageResult;
import io.ldmstudio.eval.PixelRange;
import io.ldmstudio.nn.AutoencoderKL;
import io.ldmstudio.nn.GradMode;
import io.ldmstudio.nn.LatentAutoencoder;
import io.ldmstudio.nn.VQModel;
import io.ldmstudio.nn.VaeConfig;
import io.ldmstudio.pipeline.Autoencoders;
import io.ldmstudio.weights.VaeWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The one thread that owns a loaded autoencoder and every tensor made with it (DJL arrays are not
 * shared between threads). Keeps the last model loaded, so reconstructing again does not re-read the
 * weights; a different file, a newer modification time or another config loads afresh and frees the
 * old one. Hands out plain arrays only.
 */
public final class AutoencoderSession implements AutoCloseable {
    private final ModelThread<LatentAutoencoder> thread =
            new ModelThread<>("ldm-autoencoder-session", Thread.NORM_PRIORITY - 1, LatentAutoencoder::close);
    private final Supplier<Devices.DeviceInfo> device;

    // touched on the session thread only: what the model held was loaded from
    private Path loadedFile;
    private FileTime loadedTime;
    private VaeConfig loadedConfig;

    /**
     * @param device the device to load on; asked on the session thread when a model is loaded (it may
     *               block until the engine has started)
     */
    public AutoencoderSession(Supplier<Devices.DeviceInfo> device) {
        this.device = device;
    }

    /** Runs {@code job} on the session thread. */
    public <T> Future<T> submit(Callable<T> job) {
        return thread.submit(job);
    }

    /** What a reconstruction needs: the dataset, which images, the size and crop. */
    public record Job(ImageSource source, int[] indices, int size, boolean centerCrop) {}

    /**
     * One dataset image through the autoencoder, as plain data.
     *
     * @param sample      position in the job's sample (0-based)
     * @param index       the image's index in the dataset
     * @param label       its class name, or ""
     * @param channels    image channels (the autoencoder's in_channels)
     * @param size        image side in pixels
     * @param input       CHW in [-1, 1], as the transform made it
     * @param output      the reconstruction, CHW, clipped to [-1, 1]
     * @param metrics     MSE, PSNR, SSIM of {@code output} against {@code input}
     * @param latents     the scaled latent (what the diffusion model sees), CHW
     * @param latentShape (L, h, w)
     * @param difference  |input − output| magnified ({@link DifferenceImage#of}), CHW
     * @param latentMin   per latent channel, its smallest value
     * @param latentMax   per latent channel, its largest value
     * @param codebookCounts for a VQ model, how often each codebook entry was chosen for this image's
     *                    latents (K counts); null for a KL autoencoder
     */
    public record Result(int sample, int index, String label, int channels, int size, float[] input, float[] output,
            ImageResult metrics, float[] latents, long[] latentShape, float[] difference, float[] latentMin,
            float[] latentMax, long[] codebookCounts) {}

    /**
     * Reconstructs the images of {@code job} one by one with the weights {@code weights} points at,
     * handing each result to {@code onImage} (on the session thread) until {@code cancelled} says stop.
     * Call on the session thread (through {@link #submit}).
     */
    public void reconstruct(VaeWeights.Source weights, Job job, Consumer<Result> onImage, BooleanSupplier cancelled)
            throws IOException {
        LatentAutoencoder vae = ensure(weights);
        VaeConfig c = vae instanceof VQModel vq ? vq.config().backbone() : ((AutoencoderKL) vae).config();
        if (c.outChannels() != c.inChannels()) {
            throw new IllegalArgumentException("the autoencoder turns " + c.inChannels() + "-channel images into "
                    + c.outChannels() + "-channel ones; reconstructions need as many channels out as in");
        }
        int ch = c.inChannels();
        if (ch != 1 && ch != 3) {
            throw new IllegalArgumentException("the autoencoder takes " + ch + "-channel images; the dataset gives 1 or 3");
        }
        long[] latentShape = c.latentShape(job.size()); // throws with the f advice when not a multiple
        if (vae instanceof VQModel vq) {
            latentShape[0] = vq.config().vqEmbedDim();
        }
        Transform tf = new Transform(job.size(), ch, job.centerCrop());
        int n = job.indices().length;
        int r = job.size();
        for (int k = 0; k < n; k++) {
            if (cancelled.getAsBoolean()) {
                return;
            }
            int idx = job.indices()[k];
            float[] x = job.source().load(idx, tf, false);
            float[] y;
            float[] z;
            long[] counts = null;
            try (NDManager step = thread.manager().newSubManager()) {
                NDArray in = step.create(x, new Shape(1, ch, r, r));
                if (vae instanceof VQModel vq) { // decode(encode(x)) quantising, as VQModel.forward
                    NDArray h = vq.encode(in);
                    counts = vq.codebookUsage(vq.quantize(h).indices()).counts();
                    z = h.mul(vq.scalingFactor()).toFloatArray();
                    y = vq.decode(h).clip(-1, 1).toFloatArray();
                } else {
                    NDArray lat = vae.encodeLatents(in);
                    z = lat.toFloatArray();
                    y = vae.decodeLatents(lat).clip(-1, 1).toFloatArray();
                }
            }
            List<String> names = job.source().classNames();
            int l = names.isEmpty() ? -1 : job.source().label(idx);
            String label = l >= 0 && l < names.size() ? names.get(l) : "";
            ImageResult m = ImageMetrics.compare("image " + idx, x, y, ch, r, r, PixelRange.MINUS_ONE_TO_ONE);
            float[] d = DifferenceImage.of(x, y);
            int lc = (int) latentShape[0];
            int lh = (int) latentShape[1];
            int lw = (int) latentShape[2];
            float[] mins = new float[lc];
            float[] maxs = new float[lc];
            for (int i = 0; i < lc; i++) {
                float lo = Float.POSITIVE_INFINITY;
                float hi = Float.NEGATIVE_INFINITY;
                int off = i * lh * lw;
                for (int j = 0; j < lh * lw; j++) {
                    lo = Math.min(lo, z[off + j]);
                    hi = Math.max(hi, z[off + j]);
                }
                mins[i] = lo;
                maxs[i] = hi;
            }
            onImage.accept(new Result(k, idx, label, ch, r, x, y, m, z, latentShape, d, mins, maxs, counts));
        }
    }

    /** The model for {@code weights}, loading it when it is not the one held. */
    private LatentAutoencoder ensure(VaeWeights.Source weights) throws IOException {
        Device d = device.get().device(); // waits for the engine to start
        GradMode.disable();
        Path file = weights.weightsFile().toAbsolutePath().normalize();
        FileTime time = Files.getLastModifiedTime(file);
        LatentAutoencoder held = thread.model();
        if (held != null && file.equals(loadedFile) && time.equals(loadedTime)
                && Objects.equals(weights.config(), loadedConfig)) {
            return held;
        }
        // a VQ model's description carries its weights file with its config.json beside it
        Autoencoders.Source source = Autoencoders.of(weights);
        LatentAutoencoder model = thread.load(d, m -> Autoencoders.load(source, m));
        loadedFile = file;
        loadedTime = time;
        loadedConfig = weights.config();
        return model;
    }

    /** Frees the model (on the session thread) and ends the thread; does nothing once closed. */
    @Override
    public void close() {
        thread.close();
    }
}

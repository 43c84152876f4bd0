package io.ldmstudio.service;

import io.ldmstudio.engine.Devices;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.nn.AutoencoderKL;
import io.ldmstudio.nn.GradMode;
import io.ldmstudio.nn.LatentAutoencoder;
import io.ldmstudio.nn.VQModel;
import io.ldmstudio.nn.VaeConfig;
import io.ldmstudio.pipeline.Autoencoders;
import io.ldmstudio.util.Rng;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Times an autoencoder the way the studio uses it: encoding images in batches into scaled latents
 * (what building a latent cache does, at batch {@link io.ldmstudio.data.LatentCache#ENCODE_BATCH} there) and decoding one latent back
 * into an image (what every decoded sample costs). Random images and latents: the time does not
 * depend on their values. Weights are a model's own ({@code --vae}) or random of a given shape.
 */
public final class VaeBenchmark {
    /**
     * What to time.
     *
     * @param weights       a model to load, or null for random weights of {@code config}'s shape
     * @param config        the shape when {@code weights} is null
     * @param size          image side in pixels
     * @param encodeImages  images to encode after one warm-up batch (0 = skip)
     * @param batchSize     encoding batch
     * @param decodeRepeats single-image decodes timed after one warm-up (0 = skip)
     */
    public record Spec(Path weights, VaeConfig config, int size, int encodeImages, int batchSize, int decodeRepeats) {
        public Spec {
            if (size < 1 || encodeImages < 0 || batchSize < 1 || decodeRepeats < 0) {
                throw new IllegalArgumentException("size and batch must be positive, image and repeat counts ≥ 0");
            }
        }
    }

    private VaeBenchmark() {}

    public static Map<String, Object> run(Spec spec, Devices.DeviceInfo device, Consumer<String> progress)
            throws IOException {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("device", device.device().toString());
        out.put("engine", device.engine() + " " + device.engineVersion());
        out.put("threads", device.threads());
        GradMode.disable();
        try (NDManager manager = NDManager.newBaseManager(device.device())) {
            LatentAutoencoder vae;
            VaeConfig c;
            if (spec.weights() != null) {
                Autoencoders.Source source = Autoencoders.resolve(spec.weights(), (Double) null);
                vae = Autoencoders.load(source, manager);
                c = source.backbone();
                out.put("weights", source.weightsFile().toString());
                if (vae instanceof VQModel vq) {
                    out.put("kind", vq.kind());
                    out.put("codebook", vq.config().numVqEmbeddings() + "x" + vq.config().vqEmbedDim());
                }
            } else {
                AutoencoderKL kl = new AutoencoderKL(spec.config());
                kl.initialize(manager, new Rng(0), false);
                vae = kl;
                c = kl.config();
                out.put("weights", "random");
            }
            int side = spec.size() / vae.downFactor();
            long[] z = {vae.latentChannels(), side, side};
            out.put("block_out_channels", c.blockOutChannels().toString());
            out.put("params", ((io.ldmstudio.nn.Module) vae).parameterCount());
            out.put("f", vae.downFactor());
            out.put("image", c.inChannels() + "x" + spec.size() + "x" + spec.size());
            out.put("latent", z[0] + "x" + z[1] + "x" + z[2]);
            Rng rng = new Rng(1);
            if (spec.encodeImages() > 0) {
                int b = spec.batchSize();
                Shape shape = new Shape(b, c.inChannels(), spec.size(), spec.size());
                float[] images = rng.gaussians(Math.toIntExact(shape.size()));
                progress.accept("encoding: 1 warm-up batch, then " + spec.encodeImages() + " images at batch " + b);
                encode(vae, manager, images, shape);
                int batches = (spec.encodeImages() + b - 1) / b;
                long t0 = System.nanoTime();
                for (int i = 0; i < batches; i++) {
                    encode(vae, manager, images, shape);
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                out.put("encode_batch", b);
                out.put("encode_images", batches * b);
                out.put("encode_seconds", Benchmark.round(seconds, 3));
                out.put("encode_images_per_s", Benchmark.round(batches * b / seconds, 1));
            }
            if (spec.decodeRepeats() > 0) {
                Shape shape = new Shape(1, z[0], z[1], z[2]);
                float[] latent = rng.gaussians(Math.toIntExact(shape.size()));
                progress.accept("decoding one " + spec.size() + " px image: 1 warm-up, then " + spec.decodeRepeats()
                        + " timed");
                decode(vae, manager, latent, shape);
                double[] ms = new double[spec.decodeRepeats()];
                for (int i = 0; i < ms.length; i++) {
                    long t0 = System.nanoTime();
                    decode(vae, manager, latent, shape);
                    ms[i] = (System.nanoTime() - t0) / 1e6;
                }
                out.put("decode_repeats", ms.length);
                out.put("decode_ms_median", Benchmark.round(Benchmark.median(ms), 1));
                out.put("decode_ms_min", Benchmark.round(java.util.Arrays.stream(ms).min().orElse(Double.NaN), 1));
            }
            vae.close();
        }
        out.put("peak_rss_mb", Benchmark.Memory.peakRssMb());
        return out;
    }

    private static void encode(LatentAutoencoder vae, NDManager manager, float[] images, Shape shape) {
        try (NDManager m = manager.newSubManager()) {
            vae.encodeLatents(m.create(images, shape)).toFloatArray();
        }
    }

    private static void decode(LatentAutoencoder vae, NDManager manager, float[] latent, Shape shape) {
        try (NDManager m = manager.newSubManager()) {
            vae.decodeLatents(m.create(latent, shape)).toFloatArray();
        }
    }
}

package io.ldmstudio.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.data.LatentCache;
import io.ldmstudio.nn.AutoencoderKL;
import io.ldmstudio.weights.VaeWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The autoencoder of a latent-space run: loads it, checks it against the config, encodes for the
 * latent cache and decodes samples. Lives on the thread that made it (it owns the VAE's tensors).
 */
public final class LatentSpace implements LatentCache.Encoder {
    private final AutoencoderKL vae;
    private final NDManager manager;
    private final Path weightsFile;

    private LatentSpace(AutoencoderKL vae, NDManager manager, Path weightsFile) {
        this.vae = vae;
        this.manager = manager;
        this.weightsFile = weightsFile;
    }

    /**
     * Loads {@code autoencoder.path} (a diffusers folder, a safetensors file or a studio autoencoder
     * run) with the config's scaling factor, or the autoencoder's own when that is 0; checks f and
     * latent channels.
     */
    public static LatentSpace load(RunConfig config, NDManager manager) throws IOException {
        RunConfig.Autoencoder ae = config.autoencoder();
        if (ae.path() == null || !Files.exists(Path.of(ae.path()))) {
            throw new IOException("autoencoder.path: " + (ae.path() == null ? "not set" : ae.path() + " does not exist")
                    + "; a diffusers AutoencoderKL folder, a safetensors file or a studio autoencoder run is expected");
        }
        VaeWeights.Options opts = ae.scalingFactor() > 0 ? VaeWeights.Options.scalingFactor(ae.scalingFactor())
                : VaeWeights.Options.DEFAULTS;
        VaeWeights.Source src = VaeWeights.resolve(Path.of(ae.path()), opts);
        AutoencoderKL vae = VaeWeights.load(src, manager);
        if (vae.downFactor() != ae.downsampleFactor()) {
            throw new IOException("autoencoder.downsample_factor is " + ae.downsampleFactor() + " but " + ae.path()
                    + " has f = " + vae.downFactor() + "; set --set autoencoder.downsample_factor=" + vae.downFactor());
        }
        if (vae.config().latentChannels() != ae.latentChannels()) {
            throw new IOException("autoencoder.latent_channels is " + ae.latentChannels() + " but " + ae.path() + " has "
                    + vae.config().latentChannels() + "; set --set autoencoder.latent_channels="
                    + vae.config().latentChannels());
        }
        return new LatentSpace(vae, manager, src.weightsFile());
    }

    public AutoencoderKL vae() {
        return vae;
    }

    public Path weightsFile() {
        return weightsFile;
    }

    @Override
    public int latentChannels() {
        return vae.config().latentChannels();
    }

    @Override
    public int latentSize(int resolution) {
        return (int) vae.latentShape(resolution)[1];
    }

    @Override
    public float[] encode(float[] images, int n, int channels, int resolution) {
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.create(images, new Shape(n, channels, resolution, resolution));
            return vae.encodeLatents(x).toFloatArray();
        }
    }

    /** Decodes scaled latents (N, L, h, w) into images in [-1, 1]. */
    public float[] decode(float[] latents, int n, int size) {
        try (NDManager m = manager.newSubManager()) {
            NDArray z = m.create(latents, new Shape(n, latentChannels(), size, size));
            return vae.decodeLatents(z).clip(-1, 1).toFloatArray();
        }
    }

    public void close() {
        vae.close();
    }
}

package io.ldmstudio.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.data.LatentCache;
import io.ldmstudio.nn.AutoencoderKL;
import io.ldmstudio.nn.LatentAutoencoder;
import io.ldmstudio.nn.VQModel;
import io.ldmstudio.pipeline.Autoencoders;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The autoencoder of a latent-space run, a KL autoencoder or a VQ model: loads it, checks it against the config, encodes for the
 * latent cache and decodes samples. Lives on the thread that made it (it owns the VAE's tensors).
 */
public final class LatentSpace implements LatentCache.Encoder {
    private final LatentAutoencoder vae;
    private final NDManager manager;
    private final Path weightsFile;

    private LatentSpace(LatentAutoencoder vae, NDManager manager, Path weightsFile) {
        this.vae = vae;
        this.manager = manager;
        this.weightsFile = weightsFile;
    }

    /**
     * Loads {@code autoencoder.path} (whatever {@link Autoencoders#resolve} opens: a diffusers
     * AutoencoderKL or VQModel folder, a safetensors file or a studio autoencoder run) with the config's scaling factor, or
     * the autoencoder's own when that is 0; checks f and latent channels (a VQ model's latents are its
     * vq_embed_dim channels, what {@link VQModel#encode} gives).
     */
    public static LatentSpace load(RunConfig config, NDManager manager) throws IOException {
        RunConfig.Autoencoder ae = config.autoencoder();
        if (ae.path() == null || !Files.exists(Path.of(ae.path()))) {
            throw new IOException("autoencoder.path: " + (ae.path() == null ? "not set" : ae.path() + " does not exist")
                    + "; a diffusers AutoencoderKL or VQModel folder, a safetensors file or a studio autoencoder run is"
                    + " expected");
        }
        Autoencoders.Source src = Autoencoders.resolve(Path.of(ae.path()),
                ae.scalingFactor() > 0 ? Double.valueOf(ae.scalingFactor()) : null);
        if (src.downFactor() != ae.downsampleFactor()) {
            throw new IOException("autoencoder.downsample_factor is " + ae.downsampleFactor() + " but " + ae.path()
                    + " has f = " + src.downFactor() + "; set --set autoencoder.downsample_factor=" + src.downFactor());
        }
        int channels = src.latentChannels();
        if (channels != ae.latentChannels()) {
            throw new IOException("autoencoder.latent_channels is " + ae.latentChannels() + " but " + ae.path() + " has "
                    + channels + "; set --set autoencoder.latent_channels=" + channels);
        }
        LatentAutoencoder vae = Autoencoders.load(src, manager);
        Path weightsFile = src.weightsFile();
        return new LatentSpace(vae, manager, weightsFile);
    }

    /** The autoencoder, KL or VQ ({@link LatentAutoencoder#kind}). */
    public LatentAutoencoder vae() {
        return vae;
    }

    public Path weightsFile() {
        return weightsFile;
    }

    /** The latents' channels: a VQ model's are its vq_embed_dim ({@link LatentAutoencoder#latentChannels}). */
    @Override
    public int latentChannels() {
        return vae.latentChannels();
    }

    @Override
    public int latentSize(int resolution) {
        return (int) (vae instanceof VQModel vq ? vq.config().latentShape(resolution, resolution)[1]
                : ((AutoencoderKL) vae).latentShape(resolution)[1]);
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

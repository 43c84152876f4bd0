package io.ldmstudio.nn;

import ai.djl.ndarray.NDArray;

/**
 * What latent diffusion needs of an autoencoder, whichever kind it is ({@link AutoencoderKL},
 * {@link VQModel}): images to the latents the denoiser sees (scaled by its scaling factor) and back.
 */
public interface LatentAutoencoder extends AutoCloseable {
    /** The diffusers class: {@code AutoencoderKL} or {@code VQModel}. */
    String kind();

    /** Spatial downsampling f: a 256 px image has (256/f)² latents. */
    int downFactor();

    /** Channels of a latent. */
    int latentChannels();

    /** Channels of an image it decodes. */
    int imageChannels();

    /** The factor latents are multiplied by for the denoiser (its config's {@code scaling_factor}). */
    double scalingFactor();

    /** Images (N, C, H, W) in [−1, 1] → latents for the denoiser, scaled. */
    NDArray encodeLatents(NDArray images);

    /** Scaled latents → images (N, C, H, W), roughly in [−1, 1] (not clipped). */
    NDArray decodeLatents(NDArray latents);

    @Override
    void close();
}

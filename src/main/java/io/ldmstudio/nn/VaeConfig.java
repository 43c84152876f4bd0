package io.ldmstudio.nn;

import io.ldmstudio.config.RunConfig;
import java.util.List;

/**
 * The shape of an {@link AutoencoderKL}, in the terms of diffusers' {@code AutoencoderKL} config
 * ({@code config.json}; reading and writing that file is {@code weights.VaeWeights}' job).
 *
 * <p>Every down block is a {@code DownEncoderBlock2D} and every up block an {@code
 * UpDecoderBlock2D}; the activation is SiLU. The downsampling factor is f = 2^(blocks − 1).
 *
 * @param inChannels          image channels in (3 for RGB)
 * @param outChannels         image channels out
 * @param blockOutChannels    channels of each encoder level (the decoder runs them in reverse)
 * @param layersPerBlock      resnets per encoder level; the decoder has one more per level
 * @param latentChannels      L, the channels of the latent
 * @param normNumGroups       GroupNorm groups everywhere
 * @param sampleSize          the image size the model was trained for (informational)
 * @param scalingFactor       latents are multiplied by this after encoding (0.18215 for SD 1.x/2.x)
 * @param shiftFactor         subtracted before scaling (diffusers' {@code shift_factor}); null when absent
 * @param forceUpcast         diffusers' hint to run in float32 (the studio always does)
 * @param useQuantConv        whether the 1×1 {@code quant_conv} follows the encoder
 * @param usePostQuantConv    whether the 1×1 {@code post_quant_conv} precedes the decoder
 * @param midBlockAddAttention whether the mid blocks have their self-attention layer
 */
public record VaeConfig(
        int inChannels,
        int outChannels,
        List<Integer> blockOutChannels,
        int layersPerBlock,
        int latentChannels,
        int normNumGroups,
        int sampleSize,
        double scalingFactor,
        Double shiftFactor,
        boolean forceUpcast,
        boolean useQuantConv,
        boolean usePostQuantConv,
        boolean midBlockAddAttention) {

    /** Stable Diffusion's latent scale (LDM's kl-f8 autoencoder): latents get unit variance. */
    public static final double SD_SCALING_FACTOR = 0.18215;

    public VaeConfig {
        blockOutChannels = List.copyOf(blockOutChannels);
        if (blockOutChannels.isEmpty()) {
            throw new IllegalArgumentException("block_out_channels must not be empty");
        }
        positive("in_channels", inChannels);
        positive("out_channels", outChannels);
        positive("layers_per_block", layersPerBlock);
        positive("latent_channels", latentChannels);
        positive("norm_num_groups", normNumGroups);
        for (int c : blockOutChannels) {
            positive("block_out_channels", c);
            if (c % normNumGroups != 0) {
                throw new IllegalArgumentException("block_out_channels: " + c + " channels cannot be split into "
                        + normNumGroups + " groups (norm_num_groups)");
            }
        }
        if (!(scalingFactor > 0) || Double.isInfinite(scalingFactor)) {
            throw new IllegalArgumentException("scaling_factor must be a positive number, got " + scalingFactor);
        }
        if (shiftFactor != null && !Double.isFinite(shiftFactor)) {
            throw new IllegalArgumentException("shift_factor must be finite or null, got " + shiftFactor);
        }
    }

    private static void positive(String field, int v) {
        if (v <= 0) {
            throw new IllegalArgumentException(field + " must be positive, got " + v);
        }
    }

    /** A config with diffusers' defaults for everything but the architecture. */
    public static VaeConfig of(int inChannels, int outChannels, List<Integer> blockOutChannels, int layersPerBlock,
            int latentChannels, int normNumGroups, int sampleSize) {
        return new VaeConfig(inChannels, outChannels, blockOutChannels, layersPerBlock, latentChannels, normNumGroups,
                sampleSize, SD_SCALING_FACTOR, null, true, true, true, true);
    }

    /**
     * The autoencoder a studio run trains, from its {@code vae} group: {@code channels}-channel images
     * in and out, {@code resolution} as the sample size, scaling factor {@code vae.scaling_factor} or 1
     * until one is measured.
     */
    public static VaeConfig of(RunConfig.Vae v, int channels, int resolution) {
        double scale = v.scalingFactor() > 0 ? v.scalingFactor() : 1.0;
        return new VaeConfig(channels, channels, v.blockOutChannels(), v.layersPerBlock(), v.latentChannels(),
                v.normGroups(), resolution, scale, null, true, true, true, v.midAttention());
    }

    /**
     * {@code stabilityai/sd-vae-ft-mse} (and the kl-f8 autoencoder of LDM / Stable Diffusion 1.x–2.x):
     * 83,653,863 parameters, f = 8, 4 latent channels.
     */
    public static VaeConfig sdVaeFtMse() {
        return of(3, 3, List.of(128, 256, 512, 512), 2, 4, 32, 256);
    }

    /** Number of down (and up) blocks. */
    public int levels() {
        return blockOutChannels.size();
    }

    /** The spatial downsampling factor f = 2^(levels − 1). */
    public int downFactor() {
        return 1 << (levels() - 1);
    }

    /** The latent shape (L, res/f, res/f) for square images of side {@code resolution}. */
    public long[] latentShape(int resolution) {
        return latentShape(resolution, resolution);
    }

    /** The latent shape (L, h/f, w/f); h and w must be positive multiples of f. */
    public long[] latentShape(int height, int width) {
        int f = downFactor();
        if (height <= 0 || width <= 0 || height % f != 0 || width % f != 0) {
            String size = height == width ? Integer.toString(height) : height + "×" + width;
            throw new IllegalArgumentException("image size " + size + " is not a positive multiple of the autoencoder's"
                    + " downsampling factor f = " + f + " (" + levels() + " levels); use e.g. "
                    + Math.max(f, Math.round((double) Math.max(height, 1) / f) * f));
        }
        return new long[] {latentChannels, height / f, width / f};
    }

    /** {@code shiftFactor}, or 0 when absent. */
    public double shift() {
        return shiftFactor == null ? 0.0 : shiftFactor;
    }

    public VaeConfig withScalingFactor(double s) {
        return new VaeConfig(inChannels, outChannels, blockOutChannels, layersPerBlock, latentChannels, normNumGroups,
                sampleSize, s, shiftFactor, forceUpcast, useQuantConv, usePostQuantConv, midBlockAddAttention);
    }

    public VaeConfig withNormNumGroups(int g) {
        return new VaeConfig(inChannels, outChannels, blockOutChannels, layersPerBlock, latentChannels, g,
                sampleSize, scalingFactor, shiftFactor, forceUpcast, useQuantConv, usePostQuantConv, midBlockAddAttention);
    }
}

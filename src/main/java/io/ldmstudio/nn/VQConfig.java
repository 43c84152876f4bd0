package io.ldmstudio.nn;

import java.util.List;

/**
 * The shape of a {@link VQModel}, in the terms of diffusers' {@code VQModel} config ({@code
 * config.json}; reading it is {@code weights.VaeWeights}' job).
 *
 * <p>Only what the studio implements can be expressed: every down block a {@code
 * DownEncoderBlock2D}, every up block an {@code UpDecoderBlock2D}, SiLU, {@code norm_type "group"}
 * (the loader refuses {@code "spatial"} with a message). The encoder and decoder are the {@link
 * AutoencoderKL}'s, built from {@link #backbone()}; the encoder ends in L channels (diffusers'
 * {@code double_z=False}).
 *
 * @param inChannels           image channels in
 * @param outChannels          image channels out
 * @param blockOutChannels     channels of each encoder level (the decoder runs them in reverse)
 * @param layersPerBlock       resnets per encoder level; the decoder has one more per level
 * @param latentChannels       L, the encoder's output and the decoder's input channels
 * @param normNumGroups        GroupNorm groups everywhere
 * @param sampleSize           the image size the model was trained for (informational)
 * @param numVqEmbeddings      K, the codebook entries
 * @param vqEmbedDim           D, the width of a codebook entry ({@code quant_conv}: L → D,
 *                             {@code post_quant_conv}: D → L); diffusers' null means L
 * @param scalingFactor        latents are multiplied by this for the diffusion model
 * @param midBlockAddAttention whether the mid blocks have their self-attention layer
 * @param lookupFromCodebook   diffusers' flag: {@code decode(h, force_not_quantize=True)} reads h as
 *                             codebook indices ({@link VQModel#decodeIndices})
 * @param forceUpcast          diffusers' hint to run in float32 (the studio always does)
 */
public record VQConfig(
        int inChannels,
        int outChannels,
        List<Integer> blockOutChannels,
        int layersPerBlock,
        int latentChannels,
        int normNumGroups,
        int sampleSize,
        int numVqEmbeddings,
        int vqEmbedDim,
        double scalingFactor,
        boolean midBlockAddAttention,
        boolean lookupFromCodebook,
        boolean forceUpcast) {

    public VQConfig {
        blockOutChannels = List.copyOf(blockOutChannels);
        if (numVqEmbeddings <= 0) {
            throw new IllegalArgumentException("num_vq_embeddings must be positive, got " + numVqEmbeddings);
        }
        if (vqEmbedDim <= 0) {
            throw new IllegalArgumentException("vq_embed_dim must be positive, got " + vqEmbedDim);
        }
        // the encoder/decoder fields are checked by VaeConfig, with the same field names
        new VaeConfig(inChannels, outChannels, blockOutChannels, layersPerBlock, latentChannels, normNumGroups,
                sampleSize, scalingFactor, null, forceUpcast, true, true, midBlockAddAttention);
    }

    /** diffusers' defaults for everything but the architecture and the codebook (vq_embed_dim = L). */
    public static VQConfig of(int inChannels, int outChannels, List<Integer> blockOutChannels, int layersPerBlock,
            int latentChannels, int normNumGroups, int sampleSize, int numVqEmbeddings) {
        return new VQConfig(inChannels, outChannels, blockOutChannels, layersPerBlock, latentChannels, normNumGroups,
                sampleSize, numVqEmbeddings, latentChannels, VaeConfig.SD_SCALING_FACTOR, true, false, false);
    }

    /**
     * The VQ-f4 autoencoder of {@code CompVis/ldm-celebahq-256} ({@code vqvae/config.json}): three
     * levels of 128/256/512 channels, 2 resnets each, 3 latent channels, 8,192 codebook entries.
     */
    public static VQConfig celebaHq256() {
        return of(3, 3, List.of(128, 256, 512), 2, 3, 32, 256, 8192);
    }

    /**
     * The encoder/decoder shape as a KL-autoencoder config: the studio builds the VQ model's
     * {@code encoder} and {@code decoder} from it (without double_z), so both networks share one code.
     */
    public VaeConfig backbone() {
        return new VaeConfig(inChannels, outChannels, blockOutChannels, layersPerBlock, latentChannels, normNumGroups,
                sampleSize, scalingFactor, null, forceUpcast, true, true, midBlockAddAttention);
    }

    /** The same model with another latent scale. */
    public VQConfig withScalingFactor(double s) {
        return new VQConfig(inChannels, outChannels, blockOutChannels, layersPerBlock, latentChannels, normNumGroups,
                sampleSize, numVqEmbeddings, vqEmbedDim, s, midBlockAddAttention, lookupFromCodebook, forceUpcast);
    }

    /** Number of down (and up) blocks. */
    public int levels() {
        return blockOutChannels.size();
    }

    /** The spatial downsampling factor f = 2^(levels − 1). */
    public int downFactor() {
        return 1 << (levels() - 1);
    }

    /** The shape of {@link VQModel#encode}'s output, (D, h/f, w/f); h and w must be multiples of f. */
    public long[] latentShape(int height, int width) {
        long[] s = backbone().latentShape(height, width);
        return new long[] {vqEmbedDim, s[1], s[2]};
    }

}

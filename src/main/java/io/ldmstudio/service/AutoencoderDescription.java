package io.ldmstudio.service;

import io.ldmstudio.nn.VQConfig;
import io.ldmstudio.nn.VaeConfig;
import io.ldmstudio.pipeline.Autoencoders;
import io.ldmstudio.weights.VaeWeights;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * What an autoencoder is, as plain values: where its weights are, its parameter count and the parts
 * of its config a person reads (f, levels, channels, blocks, scaling). Made from the headers and
 * config alone; no tensors are loaded.
 *
 * @param source               the weights file, config file and naming ({@link Autoencoders#resolve}; a VQ
 *                             model's encoder/decoder as a KL config)
 * @param parameterCount       the number of parameters
 * @param downFactor           the spatial downsampling factor f
 * @param levels               the number of down (and up) blocks
 * @param inChannels           image channels in
 * @param latentChannels       latent channels L
 * @param blockOutChannels     channels per level
 * @param layersPerBlock       resnet layers per block
 * @param normNumGroups        group-norm groups
 * @param midBlockAddAttention whether the mid blocks have self-attention
 * @param scalingFactor        the latent scale
 * @param shiftFactor          subtracted before scaling; null when absent
 * @param kind                 the diffusers class: AutoencoderKL or VQModel
 * @param numVqEmbeddings      a VQ model's codebook size K; 0 for a KL autoencoder
 * @param vqEmbedDim           a VQ model's codebook entry size D (its latents' channels); 0 for a KL
 *                             autoencoder
 */
public record AutoencoderDescription(VaeWeights.Source source, long parameterCount, int downFactor, int levels,
        int inChannels, int latentChannels, List<Integer> blockOutChannels, int layersPerBlock, int normNumGroups,
        boolean midBlockAddAttention, double scalingFactor, Double shiftFactor, String kind, int numVqEmbeddings,
        int vqEmbedDim) {

    public AutoencoderDescription {
        blockOutChannels = List.copyOf(blockOutChannels);
    }

    /**
     * Reads what {@code path} points at: whatever {@link Autoencoders#resolve} opens (a diffusers
     * AutoencoderKL or VQModel folder, a pipeline folder, a single .safetensors file, a studio
     * autoencoder run folder), with the default options. Headers and config only.
     */
    public static AutoencoderDescription read(Path path) throws IOException {
        return of(Autoencoders.resolve(path, VaeWeights.Options.DEFAULTS));
    }

    /** The description of a resolved autoencoder, KL or VQ (builds the modules to count parameters; no tensors). */
    public static AutoencoderDescription of(Autoencoders.Source a) {
        if (!a.isVq()) {
            return of(a.kl());
        }
        VQConfig c = a.vq().config();
        // the encoder/decoder as a KL config (the weights file, config file and naming are the VQ model's)
        VaeWeights.Source s = new VaeWeights.Source(a.weightsFile(), a.configFile(), a.layout(), c.backbone(), false);
        return new AutoencoderDescription(s, a.parameterCount(), c.downFactor(), c.levels(), c.inChannels(),
                c.latentChannels(), c.blockOutChannels(), c.layersPerBlock(), c.normNumGroups(),
                c.midBlockAddAttention(), c.scalingFactor(), null, VaeWeights.VQ_CLASS, c.numVqEmbeddings(),
                c.vqEmbedDim());
    }

    /** Whether this is a VQ model (it has a codebook). */
    public boolean isVq() {
        return numVqEmbeddings > 0;
    }

    /** The description of resolved weights (builds the modules to count parameters; no tensors). */
    public static AutoencoderDescription of(VaeWeights.Source s) {
        VaeConfig c = s.config();
        long n = VaeWeights.info(c, c.downFactor()).parameterCount();
        return new AutoencoderDescription(s, n, c.downFactor(), c.levels(), c.inChannels(), c.latentChannels(),
                c.blockOutChannels(), c.layersPerBlock(), c.normNumGroups(), c.midBlockAddAttention(),
                c.scalingFactor(), c.shiftFactor(), VaeWeights.KL_CLASS, 0, 0);
    }

    /**
     * The latent shape (L, res/f, res/f) for square images of side {@code resolution}.
     *
     * @throws IllegalArgumentException naming f and a size that works, when {@code resolution} is not a
     *                                  positive multiple of f
     */
    public long[] latentShape(int resolution) {
        long[] shape = source.config().latentShape(resolution);
        if (isVq()) {
            shape[0] = vqEmbedDim; // what VQModel.encode gives: quant_conv's output
        }
        return shape;
    }
}

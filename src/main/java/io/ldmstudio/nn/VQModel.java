package io.ldmstudio.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.nn.AutoencoderKL.Decoder;
import io.ldmstudio.nn.AutoencoderKL.Encoder;
import io.ldmstudio.nn.Layers.Conv2d;

/**
 * The vector-quantised autoencoder of LDM (the VQ-f4/f8 first stages), the same network as
 * diffusers' {@code VQModel} ({@code models/autoencoders/vq_model.py}) with its parameter names:
 *
 * <pre>
 * encoder (the AutoencoderKL's Encoder without double_z: conv_out gives L channels)
 * quant_conv (1×1, L→D)   quantize.embedding.weight (K×D codebook)   post_quant_conv (1×1, D→L)
 * decoder (the AutoencoderKL's Decoder)
 * </pre>
 *
 * As in diffusers, {@link #encode} returns the latents h <em>before</em> quantisation (after
 * quant_conv), and {@link #decode(NDArray, boolean)} quantises them unless told not to. The
 * quantiser is diffusers' {@code VectorQuantizer(beta=0.25, remap=None, legacy=True)}: each
 * D-vector of h is replaced by its nearest codebook entry in L2 distance (the first on a tie, as
 * {@code torch.argmin}); the output is h + (e − h) with the difference detached (the
 * straight-through estimator, and the same rounding as PyTorch's), the commitment loss is
 * mean((e − h)²) + β·mean((e − h)²) (the legacy order of the terms; in value both are the same).
 *
 * <p>Parameters live in the manager passed to {@link #initialize} or the loader; results, on the
 * input's manager.
 */
public final class VQModel extends Module implements LatentAutoencoder {
    /** diffusers' fixed commitment weight β of {@code VQModel}'s quantiser. */
    public static final double BETA = 0.25;

    private final VQConfig config;
    private final Encoder encoder;
    private final Conv2d quantConv;
    private final VectorQuantizer quantize;
    private final Conv2d postQuantConv;
    private final Decoder decoder;

    /**
     * What the quantiser gives for latents h (B, D, h, w).
     *
     * @param quantized  z_q (B, D, h, w): h + (e − h) with e the chosen entries, the difference detached
     * @param indices    the chosen entries, int64 (B, h, w) (diffusers returns them flattened, (B·h·w,))
     * @param commitLoss the scalar (1 + β)·mean((e − h)²) diffusers' {@code decode} returns as commit_loss
     */
    public record Quantized(NDArray quantized, NDArray indices, NDArray commitLoss) {}

    /**
     * How often each codebook entry was chosen.
     *
     * @param counts one count per entry, K of them
     */
    public record CodebookUsage(long[] counts) {
        public CodebookUsage {
            counts = counts.clone();
        }

        @Override
        public long[] counts() {
            return counts.clone();
        }

        /** K, the codebook size. */
        public int size() {
            return counts.length;
        }

        /** How many entries were chosen at least once. */
        public int used() {
            int n = 0;
            for (long c : counts) {
                if (c > 0) {
                    n++;
                }
            }
            return n;
        }

        /** How many latent vectors were counted. */
        public long total() {
            long n = 0;
            for (long c : counts) {
                n += c;
            }
            return n;
        }

        /** The counts of another batch added to these. */
        public CodebookUsage plus(CodebookUsage other) {
            if (other.counts.length != counts.length) {
                throw new IllegalArgumentException("codebooks of " + counts.length + " and " + other.counts.length
                        + " entries");
            }
            long[] sum = counts.clone();
            for (int i = 0; i < sum.length; i++) {
                sum[i] += other.counts[i];
            }
            return new CodebookUsage(sum);
        }
    }

    public VQModel(VQConfig config) {
        this.config = config;
        VaeConfig backbone = config.backbone();
        int l = config.latentChannels();
        int d = config.vqEmbedDim();
        // registration order as diffusers' __init__ (only listings see it)
        encoder = child("encoder", new Encoder(backbone, false));
        quantConv = child("quant_conv", new Conv2d(l, d, 1, 1, 0));
        quantize = child("quantize", new VectorQuantizer(config.numVqEmbeddings(), d));
        postQuantConv = child("post_quant_conv", new Conv2d(d, l, 1, 1, 0));
        decoder = child("decoder", new Decoder(backbone));
    }

    public VQConfig config() {
        return config;
    }

    public Encoder encoder() {
        return encoder;
    }

    public Decoder decoder() {
        return decoder;
    }

    public VectorQuantizer quantizer() {
        return quantize;
    }

    /** f = 2^(levels − 1). */
    public int downFactor() {
        return config.downFactor();
    }

    /** diffusers' {@code encode(x).latents}: images (B, in, H, W) to latents h (B, D, H/f, W/f), not quantised. */
    public NDArray encode(NDArray x) {
        Shape s = x.getShape();
        if (s.dimension() != 4 || s.get(1) != config.inChannels()) {
            throw new IllegalArgumentException("the VQ autoencoder encodes images shaped (B, " + config.inChannels()
                    + ", H, W), got " + s);
        }
        config.latentShape(Math.toIntExact(s.get(2)), Math.toIntExact(s.get(3))); // checks divisibility by f
        return quantConv.forward(encoder.forward(x));
    }

    /** diffusers' {@code quantize(h)}: nearest codebook entries of latents (B, D, h, w). */
    public Quantized quantize(NDArray h) {
        checkLatents(h);
        return quantize.forward(h);
    }

    /** diffusers' {@code decode(h).sample}: quantise latents (B, D, h, w), then decode them. */
    public NDArray decode(NDArray h) {
        return decode(h, false);
    }

    /**
     * diffusers' {@code decode(h, force_not_quantize).sample}. Without {@code forceNotQuantize} the
     * latents are quantised first; with it they are decoded as they are, unless the config has
     * {@code lookup_from_codebook}, where diffusers reads h as codebook indices: then h must be an
     * integer array (B, h, w) and this is {@link #decodeIndices}.
     */
    public NDArray decode(NDArray h, boolean forceNotQuantize) {
        if (forceNotQuantize && config.lookupFromCodebook()) {
            if (h.getDataType().isFloating()) {
                throw new IllegalArgumentException("this VQ model has lookup_from_codebook: decoding with"
                        + " force_not_quantize reads codebook indices (an integer array (B, h, w)), got "
                        + h.getDataType() + " " + h.getShape());
            }
            return decodeIndices(h);
        }
        NDArray quant = forceNotQuantize ? checkLatents(h) : quantize(h).quantized();
        return decoder.forward(postQuantConv.forward(quant));
    }

    /** Images from codebook indices (B, h, w): the entries, post_quant_conv, the decoder. */
    public NDArray decodeIndices(NDArray indices) {
        return decoder.forward(postQuantConv.forward(quantize.entries(indices)));
    }

    /** diffusers' {@code forward(x).sample}: decode(encode(x)), quantising in between. */
    public NDArray forward(NDArray x) {
        return decode(encode(x));
    }

    /** How often each entry was chosen in {@code indices} (any shape, values in [0, K)). */
    public CodebookUsage codebookUsage(NDArray indices) {
        return quantize.usage(indices);
    }

    @Override
    public String kind() {
        return "VQModel";
    }

    @Override
    public int latentChannels() {
        return config.vqEmbedDim(); // what encode gives after quant_conv (latent_channels → vq_embed_dim)
    }

    @Override
    public int imageChannels() {
        return config.outChannels();
    }

    @Override
    public double scalingFactor() {
        return config.scalingFactor();
    }

    /** Latents for the diffusion model: encode(x)·scaling_factor (not quantised, as diffusers' pipelines). */
    public NDArray encodeLatents(NDArray x) {
        return Ops.mulScalar(encode(x), config.scalingFactor());
    }

    /** Images from diffusion latents: decode(z / scaling_factor), quantising. */
    public NDArray decodeLatents(NDArray z) {
        return decode(Ops.mulScalar(z, 1.0 / config.scalingFactor()));
    }

    private NDArray checkLatents(NDArray h) {
        Shape s = h.getShape();
        if (s.dimension() != 4 || s.get(1) != config.vqEmbedDim()) {
            throw new IllegalArgumentException("the VQ autoencoder decodes latents shaped (B, " + config.vqEmbedDim()
                    + ", h, w), got " + s);
        }
        return h;
    }

    // ------------------------------------------------------------------------------------------
    // Parts

    /**
     * diffusers' {@code VectorQuantizer} (remap=None, sane_index_shape=False, legacy=True) with its
     * codebook {@code embedding.weight} (K, D), initialised U(−1/K, 1/K) as diffusers does.
     */
    public static final class VectorQuantizer extends Module {
        private final Embedding embedding;
        private final int entries;
        private final int dim;

        VectorQuantizer(int entries, int dim) {
            this.entries = entries;
            this.dim = dim;
            embedding = child("embedding", new Embedding(entries, dim));
        }

        public int size() {
            return entries;
        }

        public int dim() {
            return dim;
        }

        /**
         * Nearest entries of h (B, D, h, w) by L2 distance. Distances are ‖h‖² + ‖e‖² − 2h·e, as
         * {@code torch.cdist} computes them for more than 25 vectors (its matrix-product path); the
         * argmin takes the first entry on a tie, as {@code torch.argmin}.
         */
        Quantized forward(NDArray h) {
            Shape s = h.getShape();
            long b = s.get(0);
            long hh = s.get(2);
            long ww = s.get(3);
            NDArray z = h.transpose(0, 2, 3, 1).reshape(-1, dim); // (N, D)
            NDArray e = codebook(h.getManager()); // (K, D)
            NDArray zz = z.square().sum(new int[] {1}, true); // (N, 1)
            NDArray ee = e.square().sum(new int[] {1}).reshape(1, entries); // (1, K)
            NDArray dist = zz.add(ee).sub(Ops.mulScalar(z.matMul(e.transpose()), 2.0)); // (N, K)
            NDArray idx = dist.argMin(1); // (N,), int64
            NDArray zq = e.get(idx); // (N, D)
            NDArray diff = zq.sub(z);
            NDArray d2 = diff.square().mean();
            NDArray loss = d2.add(Ops.mulScalar(d2, BETA));
            NDArray st = z.add(diff.stopGradient()); // straight-through: h + (e − h).detach()
            NDArray quantized = st.reshape(b, hh, ww, dim).transpose(0, 3, 1, 2);
            return new Quantized(quantized, idx.reshape(b, hh, ww), loss);
        }

        /** The entries for integer indices of any shape (…), as (B, D, h, w) for (B, h, w). */
        NDArray entries(NDArray indices) {
            Shape s = indices.getShape();
            if (s.dimension() != 3) {
                throw new IllegalArgumentException("codebook indices are shaped (B, h, w), got " + s);
            }
            NDArray idx = indices.toType(DataType.INT64, false).reshape(-1);
            checkRange(idx);
            NDArray e = codebook(indices.getManager());
            return e.get(idx).reshape(s.get(0), s.get(1), s.get(2), dim).transpose(0, 3, 1, 2);
        }

        CodebookUsage usage(NDArray indices) {
            long[] counts = new long[entries];
            for (long i : indices.toType(DataType.INT64, false).toLongArray()) {
                if (i < 0 || i >= entries) {
                    throw new IllegalArgumentException("codebook index " + i + " is outside [0, " + entries + ")");
                }
                counts[(int) i]++;
            }
            return new CodebookUsage(counts);
        }

        private void checkRange(NDArray idx) {
            if (idx.size() == 0) {
                return;
            }
            long lo = idx.min().getLong();
            long hi = idx.max().getLong();
            if (lo < 0 || hi >= entries) {
                throw new IllegalArgumentException("codebook indices must lie in [0, " + entries + "), got "
                        + (lo < 0 ? lo : hi));
            }
        }

        /** A view of the codebook owned by {@code m}, so what is computed from it lands there, not in the model's manager. */
        private NDArray codebook(NDManager m) {
            NDArray e = embedding.weight.array().reshape(entries, dim);
            e.attach(m);
            return e;
        }
    }

    /** {@code nn.Embedding(num, dim)}: one parameter {@code weight} (num, dim). */
    static final class Embedding extends Module {
        final Param weight;

        Embedding(int num, int dim) {
            // fan-in num² gives Module's U(−1/√fan_in, 1/√fan_in) = U(−1/K, 1/K), diffusers' codebook init
            weight = param("weight", (long) num * num, num, dim);
        }
    }
}

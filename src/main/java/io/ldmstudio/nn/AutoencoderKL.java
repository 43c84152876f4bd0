package io.ldmstudio.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.nn.Blocks.Upsample2D;
import io.ldmstudio.nn.Layers.Conv2d;
import io.ldmstudio.nn.Blocks.AttentionBlock;
import io.ldmstudio.nn.Blocks.ResnetBlock2D;
import io.ldmstudio.nn.Layers.GroupNorm;
import io.ldmstudio.util.Rng;
import java.util.List;

/**
 * The KL-regularised autoencoder of LDM (Rombach et al. 2022, stage 1), the same network as
 * diffusers' {@code AutoencoderKL} with diffusers' parameter names:
 *
 * <pre>
 * encoder: conv_in → down_blocks.i (DownEncoderBlock2D: resnets.j, downsamplers.0.conv) → mid_block
 *          (resnets.0, attentions.0, resnets.1) → conv_norm_out → SiLU → conv_out (2L: mean, log σ²)
 * quant_conv (1×1, 2L→2L)                      post_quant_conv (1×1, L→L)
 * decoder: conv_in → mid_block → up_blocks.i (UpDecoderBlock2D over reversed channels: resnets.j,
 *          upsamplers.0.conv) → conv_norm_out → SiLU → conv_out
 * </pre>
 *
 * Every GroupNorm uses ε = 1e-6; resnets take no time embedding; the mid-block attention has one
 * head as wide as its channels; encoder downsampling pads right and bottom by one and convolves
 * 3×3 with stride 2 and no padding (diffusers' {@code Downsample2D(padding=0)}).
 *
 * <p>{@link #encodeLatents} and {@link #decodeLatents} apply the latent scaling the diffusion model
 * sees (z·scaling_factor, after subtracting shift_factor when the config has one); {@link #encode}
 * and {@link #decode} are diffusers' unscaled {@code encode}/{@code decode}.
 *
 * <p>Parameters live in the manager passed to {@link #initialize} or a weight loader; every result,
 * intermediate ones included, is created on the input's manager, so a pass run in a sub-manager
 * leaves nothing behind in the model's.
 */
public final class AutoencoderKL extends Module implements LatentAutoencoder {
    /** GroupNorm ε of every block (diffusers' resnet_eps for the VAE). */
    public static final float NORM_EPS = 1e-6f;

    private final VaeConfig config;
    private final Encoder encoder;
    private final Decoder decoder;
    private final Conv2d quantConv;
    private final Conv2d postQuantConv;

    /** What {@link #forward} gives for training: the reconstruction, the KL term, and the posterior. */
    public record Output(NDArray reconstruction, NDArray kl, DiagonalGaussian posterior) {}

    public AutoencoderKL(VaeConfig config) {
        this.config = config;
        int l = config.latentChannels();
        encoder = child("encoder", new Encoder(config));
        decoder = child("decoder", new Decoder(config));
        quantConv = config.useQuantConv() ? child("quant_conv", new Conv2d(2 * l, 2 * l, 1, 1, 0)) : null;
        postQuantConv = config.usePostQuantConv() ? child("post_quant_conv", new Conv2d(l, l, 1, 1, 0)) : null;
    }

    public VaeConfig config() {
        return config;
    }

    /** f = 2^(levels − 1). */
    @Override
    public String kind() {
        return "AutoencoderKL";
    }

    @Override
    public int latentChannels() {
        return config().latentChannels();
    }

    @Override
    public int imageChannels() {
        return config().outChannels();
    }

    @Override
    public double scalingFactor() {
        return config().scalingFactor();
    }

    @Override
    public int downFactor() {
        return config.downFactor();
    }

    /** (L, res/f, res/f); a resolution that f does not divide is an {@link IllegalArgumentException}. */
    public long[] latentShape(int resolution) {
        return config.latentShape(resolution);
    }

    public Encoder encoder() {
        return encoder;
    }

    public Decoder decoder() {
        return decoder;
    }

    /** The 1×1 conv after the encoder, or null when the config has none. */
    public Conv2d quantConv() {
        return quantConv;
    }

    /** The 1×1 conv before the decoder, or null when the config has none. */
    public Conv2d postQuantConv() {
        return postQuantConv;
    }

    /** diffusers' {@code encode(x).latent_dist}: images (B, in, H, W), H and W multiples of f. */
    public DiagonalGaussian encode(NDArray x) {
        Shape s = x.getShape();
        if (s.dimension() != 4 || s.get(1) != config.inChannels()) {
            throw new IllegalArgumentException("the autoencoder encodes images shaped (B, " + config.inChannels()
                    + ", H, W), got " + s);
        }
        config.latentShape(Math.toIntExact(s.get(2)), Math.toIntExact(s.get(3))); // checks divisibility by f
        NDArray moments = encoder.forward(x);
        if (quantConv != null) {
            moments = quantConv.forward(moments);
        }
        return DiagonalGaussian.fromMoments(moments);
    }

    /** diffusers' {@code decode(z).sample}: unscaled latents (B, L, h, w) to images (B, out, h·f, w·f). */
    public NDArray decode(NDArray z) {
        Shape s = z.getShape();
        if (s.dimension() != 4 || s.get(1) != config.latentChannels()) {
            throw new IllegalArgumentException("the autoencoder decodes latents shaped (B, " + config.latentChannels()
                    + ", h, w), got " + s);
        }
        NDArray h = postQuantConv != null ? postQuantConv.forward(z) : z;
        return decoder.forward(h);
    }

    /** The posterior mean, scaled for the diffusion model: (μ − shift)·scaling_factor. */
    public NDArray encodeLatents(NDArray x) {
        return encodeLatents(x, false, null);
    }

    /**
     * Latents for the diffusion model: the posterior mean, or a sample from it when {@code sample}
     * is true (drawn from {@code rng}), minus shift_factor when set, times scaling_factor.
     */
    public NDArray encodeLatents(NDArray x, boolean sample, Rng rng) {
        if (sample && rng == null) {
            throw new IllegalArgumentException("sampling latents needs a random generator");
        }
        DiagonalGaussian posterior = encode(x);
        NDArray z = sample ? posterior.sample(rng) : posterior.mode();
        if (config.shiftFactor() != null) {
            z = z.sub((float) config.shift());
        }
        return Ops.mulScalar(z, config.scalingFactor());
    }

    /** Images from diffusion latents: decode(z / scaling_factor + shift). */
    public NDArray decodeLatents(NDArray z) {
        NDArray u = Ops.mulScalar(z, 1.0 / config.scalingFactor());
        if (config.shiftFactor() != null) {
            u = u.add((float) config.shift());
        }
        return decode(u);
    }

    /**
     * The training pass: encode, take a posterior sample (or the mean when {@code samplePosterior}
     * is false), decode. The KL term is LDM's: ½·Σ_{C,H,W}(μ² + σ² − 1 − log σ²) per sample,
     * averaged over the batch (a scalar).
     */
    public Output forward(NDArray x, boolean samplePosterior, Rng rng) {
        if (samplePosterior && rng == null) {
            throw new IllegalArgumentException("sampling the posterior needs a random generator");
        }
        DiagonalGaussian posterior = encode(x);
        NDArray z = samplePosterior ? posterior.sample(rng) : posterior.mode();
        NDArray reconstruction = decode(z);
        NDArray kl = posterior.kl().mean();
        return new Output(reconstruction, kl, posterior);
    }

    // ------------------------------------------------------------------------------------------
    // Parts

    /**
     * diffusers' {@code Encoder}: with {@code double_z} (the KL autoencoder) conv_out gives 2L channels,
     * mean and log-variance; without (the {@link VQModel}) it gives L.
     */
    public static final class Encoder extends Module {
        private final Conv2d convIn;
        private final ModuleList<DownEncoderBlock2D> downBlocks;
        private final MidBlock midBlock;
        private final GroupNorm convNormOut;
        private final Conv2d convOut;

        Encoder(VaeConfig c) {
            this(c, true);
        }

        Encoder(VaeConfig c, boolean doubleZ) {
            List<Integer> outs = c.blockOutChannels();
            int g = c.normNumGroups();
            convIn = child("conv_in", new Conv2d(c.inChannels(), outs.get(0), 3, 1, 1));
            downBlocks = child("down_blocks", new ModuleList<>());
            int out = outs.get(0);
            for (int i = 0; i < c.levels(); i++) {
                int in = out;
                out = outs.get(i);
                downBlocks.add(new DownEncoderBlock2D(in, out, c.layersPerBlock(), g, i < c.levels() - 1));
            }
            int top = outs.get(outs.size() - 1);
            midBlock = child("mid_block", new MidBlock(top, g, c.midBlockAddAttention()));
            convNormOut = child("conv_norm_out", new GroupNorm(g, top, NORM_EPS));
            convOut = child("conv_out", new Conv2d(top, (doubleZ ? 2 : 1) * c.latentChannels(), 3, 1, 1));
        }

        /** Images (B, in, H, W) to moments (B, 2L, H/f, W/f) (or (B, L, …) without double_z), before quant_conv. */
        public NDArray forward(NDArray x) {
            NDArray h = convIn.forward(x);
            for (DownEncoderBlock2D block : downBlocks.items()) {
                h = block.forward(h);
            }
            h = midBlock.forward(h);
            return convOut.forward(Ops.silu(convNormOut.forward(h)));
        }
    }

    /** diffusers' {@code Decoder}. */
    public static final class Decoder extends Module {
        private final Conv2d convIn;
        private final ModuleList<UpDecoderBlock2D> upBlocks;
        private final MidBlock midBlock;
        private final GroupNorm convNormOut;
        private final Conv2d convOut;

        Decoder(VaeConfig c) {
            List<Integer> outs = c.blockOutChannels();
            int g = c.normNumGroups();
            int top = outs.get(outs.size() - 1);
            convIn = child("conv_in", new Conv2d(c.latentChannels(), top, 3, 1, 1));
            // diffusers registers up_blocks before mid_block; the order only affects listings
            upBlocks = child("up_blocks", new ModuleList<>());
            midBlock = child("mid_block", new MidBlock(top, g, c.midBlockAddAttention()));
            int out = top;
            for (int i = 0; i < c.levels(); i++) {
                int prev = out;
                out = outs.get(c.levels() - 1 - i);
                upBlocks.add(new UpDecoderBlock2D(prev, out, c.layersPerBlock() + 1, g, i < c.levels() - 1));
            }
            convNormOut = child("conv_norm_out", new GroupNorm(g, outs.get(0), NORM_EPS));
            convOut = child("conv_out", new Conv2d(outs.get(0), c.outChannels(), 3, 1, 1));
        }

        /** Latents (B, L, h, w), after post_quant_conv, to images (B, out, h·f, w·f). */
        public NDArray forward(NDArray z) {
            NDArray h = convIn.forward(z);
            h = midBlock.forward(h);
            for (UpDecoderBlock2D block : upBlocks.items()) {
                h = block.forward(h);
            }
            return convOut.forward(Ops.silu(convNormOut.forward(h)));
        }
    }

    /** diffusers' {@code DownEncoderBlock2D}: resnets, then an optional stride-2 downsampler. */
    static final class DownEncoderBlock2D extends Module {
        private final ModuleList<ResnetBlock2D> resnets;
        private final ModuleList<PaddedDownsample2D> downsamplers;

        DownEncoderBlock2D(int in, int out, int layers, int groups, boolean downsample) {
            resnets = child("resnets", new ModuleList<>());
            for (int j = 0; j < layers; j++) {
                resnets.add(new ResnetBlock2D(j == 0 ? in : out, out, 0, groups, NORM_EPS, 0f));
            }
            downsamplers = downsample ? child("downsamplers", new ModuleList<>()) : null;
            if (downsamplers != null) {
                downsamplers.add(new PaddedDownsample2D(out));
            }
        }

        NDArray forward(NDArray x) {
            NDArray h = x;
            for (ResnetBlock2D r : resnets.items()) {
                h = r.forward(h, null, false);
            }
            return downsamplers != null ? downsamplers.get(0).forward(h) : h;
        }
    }

    /** diffusers' {@code UpDecoderBlock2D}: resnets, then an optional nearest-×2 upsampler with a conv. */
    static final class UpDecoderBlock2D extends Module {
        private final ModuleList<ResnetBlock2D> resnets;
        private final ModuleList<Upsample2D> upsamplers;

        UpDecoderBlock2D(int in, int out, int layers, int groups, boolean upsample) {
            resnets = child("resnets", new ModuleList<>());
            for (int j = 0; j < layers; j++) {
                resnets.add(new ResnetBlock2D(j == 0 ? in : out, out, 0, groups, NORM_EPS, 0f));
            }
            upsamplers = upsample ? child("upsamplers", new ModuleList<>()) : null;
            if (upsamplers != null) {
                upsamplers.add(new Upsample2D(out));
            }
        }

        NDArray forward(NDArray x) {
            NDArray h = x;
            for (ResnetBlock2D r : resnets.items()) {
                h = r.forward(h, null, false);
            }
            return upsamplers != null ? upsamplers.get(0).forward(h) : h;
        }
    }

    /** diffusers' {@code UNetMidBlock2D} without time input: resnet, single-head attention, resnet. */
    static final class MidBlock extends Module {
        private final ModuleList<AttentionBlock> attentions;
        private final ModuleList<ResnetBlock2D> resnets;

        MidBlock(int channels, int groups, boolean attention) {
            attentions = attention ? child("attentions", new ModuleList<>()) : null;
            if (attentions != null) {
                attentions.add(new AttentionBlock(channels, 1, groups, NORM_EPS));
            }
            resnets = child("resnets", new ModuleList<>());
            resnets.add(new ResnetBlock2D(channels, channels, 0, groups, NORM_EPS, 0f));
            resnets.add(new ResnetBlock2D(channels, channels, 0, groups, NORM_EPS, 0f));
        }

        NDArray forward(NDArray x) {
            NDArray h = resnets.get(0).forward(x, null, false);
            if (attentions != null) {
                h = attentions.get(0).forward(h);
            }
            return resnets.get(1).forward(h, null, false);
        }
    }

    /**
     * diffusers' {@code Downsample2D(use_conv=True, padding=0)}: pad right and bottom by one with
     * zeros, then a 3×3 conv with stride 2 and no padding, named {@code conv}.
     */
    static final class PaddedDownsample2D extends Module {
        private static final Shape PAD_RIGHT_BOTTOM = new Shape(0, 1, 0, 1); // (left, right, top, bottom) as F.pad

        private final Conv2d conv;

        PaddedDownsample2D(int channels) {
            conv = child("conv", new Conv2d(channels, channels, 3, 2, 0));
        }

        NDArray forward(NDArray x) {
            return conv.forward(x.pad(PAD_RIGHT_BOTTOM, 0));
        }
    }
}

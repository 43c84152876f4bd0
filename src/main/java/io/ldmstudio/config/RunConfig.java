package io.ldmstudio.config;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * The full, resolved configuration of a run. JSON uses snake_case names (see {@link Configs#MAPPER}),
 * so {@code optim.batch_size} in a preset or in {@code --set} is {@link Optim#batchSize()} here.
 *
 * <p>Every part is a record with no nulls once resolved (except the {@code path} fields, which are
 * null when not needed): presets fill what they do not say from the preset they extend, and finally
 * from {@link #defaults()}. {@link ConfigValidator} says what values are allowed; {@link ConfigSchema}
 * lists every key with its type.
 *
 * <p>A run trains one of two things, chosen by {@code task}: a diffusion U-Net ({@code diffusion}, the
 * default: {@code model}, {@code diffusion} and {@code sampling} describe it, {@code autoencoder} the
 * optional latent stage) or a KL autoencoder ({@code autoencoder}: {@code vae} describes it; the
 * U-Net groups are kept but unused). {@code data}, {@code optim} and {@code logging} serve both.
 *
 * @param preset      name of the preset this config was resolved from
 * @param description one line saying what the run is for
 * @param task        {@code diffusion | autoencoder}: what the run trains (null reads as diffusion, so
 *                    configs written before autoencoder runs existed still load)
 * @param vae         the autoencoder a {@code task = autoencoder} run trains (null reads as {@link Vae#defaults()})
 * @param device      {@code auto | cpu | cuda | cuda:N | mps}; {@code auto} probes CUDA, then MPS, then CPU
 * @param eval        quality measured while a diffusion run trains (null reads as {@link Eval#defaults()}: off)
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record RunConfig(
        String preset,
        String description,
        String task,
        Data data,
        Autoencoder autoencoder,
        Vae vae,
        Model model,
        Diffusion diffusion,
        Optim optim,
        Sampling sampling,
        Logging logging,
        String device,
        Conditioning conditioning,
        Eval eval) {

    /** {@code task} of a run that trains a diffusion U-Net (in pixel or latent space). */
    public static final String DIFFUSION = "diffusion";
    /** {@code task} of a run that trains a KL autoencoder. */
    public static final String AUTOENCODER = "autoencoder";

    @JsonCreator
    public RunConfig {
        task = task == null ? DIFFUSION : task;
        vae = vae == null ? Vae.defaults() : vae;
        conditioning = conditioning == null ? Conditioning.defaults() : conditioning;
        eval = eval == null ? Eval.defaults() : eval;
    }

    /** A config without an {@code eval} section (the form before it existed): no evaluation while training. */
    public RunConfig(String preset, String description, String task, Data data, Autoencoder autoencoder, Vae vae,
            Model model, Diffusion diffusion, Optim optim, Sampling sampling, Logging logging, String device,
            Conditioning conditioning) {
        this(preset, description, task, data, autoencoder, vae, model, diffusion, optim, sampling, logging, device,
                conditioning, Eval.defaults());
    }

    /** A config without conditioning (the form before it existed): unconditional. */
    public RunConfig(String preset, String description, String task, Data data, Autoencoder autoencoder, Vae vae,
            Model model, Diffusion diffusion, Optim optim, Sampling sampling, Logging logging, String device) {
        this(preset, description, task, data, autoencoder, vae, model, diffusion, optim, sampling, logging, device,
                Conditioning.defaults());
    }

    /** A diffusion run's config (the form before autoencoder runs existed). */
    public RunConfig(String preset, String description, Data data, Autoencoder autoencoder, Model model,
            Diffusion diffusion, Optim optim, Sampling sampling, Logging logging, String device) {
        this(preset, description, DIFFUSION, data, autoencoder, Vae.defaults(), model, diffusion, optim, sampling,
                logging, device);
    }

    /**
     * Where images come from and how they are shaped for training.
     *
     * @param source     {@code procedural} (built in, no files) | {@code folder} (image files) |
     *                   {@code cifar10} (the binary batches) | {@code idx} (MNIST-style IDX files)
     * @param path       the folder or file(s); null for {@code procedural}
     * @param resolution square side in pixels after crop/resize (8..1024)
     * @param channels   1 (grayscale) or 3 (RGB)
     * @param centerCrop crop the central square before resizing (otherwise the whole image is resized)
     * @param flip       random horizontal flip
     * @param limit      use at most this many images; 0 = all
     * @param workers    decoding threads ahead of the trainer
     */
    public record Data(
            String source,
            String path,
            int resolution,
            int channels,
            boolean centerCrop,
            boolean flip,
            int limit,
            int workers) {}

    /**
     * The perceptual-compression stage. {@code kind = none} trains in pixel space and ignores the rest.
     *
     * @param kind             {@code none | pretrained | studio}
     * @param path             diffusers folder, safetensors file or studio VAE run folder (for a run: its
     *                         {@code exports/vae}, else its newest checkpoint)
     * @param scalingFactor    latents are multiplied by this after encoding (SD VAE: 0.18215); 0 = the
     *                         autoencoder's own {@code scaling_factor} (a studio VAE measures 1/std of its latents)
     * @param cacheDtype       {@code float16 | float32}: how the latent cache is stored
     * @param downsampleFactor f, the spatial downsampling of the encoder (SD VAE: 8), so the U-Net sees
     *                         {@code resolution / f}; must agree with the autoencoder that is loaded
     * @param latentChannels   channels of a latent (SD VAE: 4)
     */
    public record Autoencoder(
            String kind,
            String path,
            double scalingFactor,
            String cacheDtype,
            int downsampleFactor,
            int latentChannels) {

        @JsonCreator
        public Autoencoder {}

        /** The original four-part form: an f = 8, 4-channel autoencoder (Stable Diffusion's). */
        public Autoencoder(String kind, String path, double scalingFactor, String cacheDtype) {
            this(kind, path, scalingFactor, cacheDtype, 8, 4);
        }
    }

    /**
     * The KL autoencoder a {@code task = autoencoder} run trains: diffusers' {@code AutoencoderKL}
     * with {@code DownEncoderBlock2D}/{@code UpDecoderBlock2D} blocks, image channels from
     * {@code data.channels}. Its loss is LDM's without the perceptual and adversarial terms: the
     * reconstruction error summed over pixels plus {@code kl_weight} × KL(q(z|x) ‖ N(0, I)), both per
     * image; it is reported divided by the pixel count, so {@code loss} reads as a per-pixel error.
     *
     * @param blockOutChannels channels of each encoder level; f = 2^(levels − 1), so 1..4 levels give
     *                         f = 1, 2, 4, 8
     * @param layersPerBlock   resnets per encoder level (the decoder has one more)
     * @param latentChannels   L, channels of a latent
     * @param normGroups       GroupNorm groups; divides every level's channels
     * @param midAttention     self-attention in the mid blocks (diffusers' {@code mid_block_add_attention})
     * @param loss             {@code l1 | l2}: reconstruction error per pixel
     * @param klWeight         weight of the KL term (LDM's kl-f4/f8 autoencoders: 1e-6)
     * @param samplePosterior  decode a sample z ~ q(z|x) while training (LDM) instead of its mean
     * @param scalingFactor    written to the exported config.json as diffusers' {@code scaling_factor};
     *                         0 = measure it, 1/std of the latents of up to 256 training images
     */
    public record Vae(
            List<Integer> blockOutChannels,
            int layersPerBlock,
            int latentChannels,
            int normGroups,
            boolean midAttention,
            String loss,
            double klWeight,
            boolean samplePosterior,
            double scalingFactor) {

        /** A small f = 4 autoencoder: [32, 64, 64], one resnet a level, 4 latent channels, L1 + 1e-6 KL. */
        public static Vae defaults() {
            return new Vae(List.of(32, 64, 64), 1, 4, 16, true, "l1", 1e-6, true, 0.0);
        }

        /** f = 2^(levels − 1); 0 when the channel list is empty or missing. */
        public int downFactor() {
            return blockOutChannels == null || blockOutChannels.isEmpty() || blockOutChannels.size() > 30 ? 0
                    : 1 << (blockOutChannels.size() - 1);
        }
    }

    /**
     * The time-conditional U-Net (diffusers {@code UNet2DModel} shape). Level {@code i} of
     * {@code channelMult} runs at {@code 1/2^i} of the input resolution with
     * {@code modelChannels * channelMult[i]} channels.
     *
     * @param attentionResolutions downsample factors whose level has self-attention (1 = full res,
     *                             2 = the second level, ...); the middle block always has attention
     * <p>Heads come from one of two keys, the other 0: {@code num_heads}, the same count in every
     * attention layer (the studio's original form), or {@code head_dim}, diffusers'
     * {@code attention_head_dim}: an attention layer over C channels has C / head_dim heads. Only the
     * second can be said in a diffusers config when attention levels differ in width, so only it exports
     * a network diffusers computes as the studio does.
     *
     * @param numHeads             attention heads in every attention layer; divides the channels of every
     *                             attention level; 0 when {@code headDim} is set
     * @param headDim              channels per head (diffusers' {@code attention_head_dim}): a layer over C
     *                             channels has C / headDim heads; divides the channels of every attention
     *                             level; 0 = unset (a config without the key reads as 0, so it keeps
     *                             {@code num_heads})
     * @param normGroups           GroupNorm groups; divides the channels of every level
     * @param dropout              in ResBlocks, in [0, 1)
     */
    public record Model(
            int modelChannels,
            List<Integer> channelMult,
            int numResBlocks,
            List<Integer> attentionResolutions,
            int numHeads,
            int headDim,
            int normGroups,
            double dropout) {

        @JsonCreator
        public Model {}

        /** The form before {@code head_dim}: {@code numHeads} heads in every attention layer. */
        public Model(int modelChannels, List<Integer> channelMult, int numResBlocks, List<Integer> attentionResolutions,
                int numHeads, int normGroups, double dropout) {
            this(modelChannels, channelMult, numResBlocks, attentionResolutions, numHeads, 0, normGroups, dropout);
        }

        /**
         * Channels of each attention layer, level by level where {@code attention_resolutions} asks for it,
         * then the middle block's (the widest level's); empty when the lists are missing or malformed.
         */
        public List<Integer> attentionWidths() {
            List<Integer> out = new java.util.ArrayList<>();
            if (channelMult == null || attentionResolutions == null || channelMult.isEmpty() || channelMult.size() > 30) {
                return out;
            }
            for (int i = 0; i < channelMult.size(); i++) {
                if (attentionResolutions.contains(1 << i) && channelMult.get(i) != null) {
                    out.add(modelChannels * channelMult.get(i));
                }
            }
            Integer last = channelMult.get(channelMult.size() - 1);
            if (last != null) {
                out.add(modelChannels * last); // the middle block
            }
            return out;
        }
    }

    /**
     * The forward process.
     *
     * @param schedule   {@code linear | cosine | quadratic}; beta_start/beta_end are used by linear and
     *                   quadratic only (cosine is Nichol and Dhariwal's, s = 0.008)
     * @param prediction what the network predicts: {@code epsilon | v_prediction}
     */
    public record Diffusion(
            int timesteps,
            String schedule,
            double betaStart,
            double betaEnd,
            String prediction) {}

    /**
     * AdamW, the learning-rate schedule, clipping and EMA.
     *
     * @param lrSchedule  {@code constant | warmup_constant | cosine}; {@code warmupSteps} of linear
     *                    warm-up from 0 apply to {@code warmup_constant} and {@code cosine}
     * @param tMax        cosine annealing period in steps after warm-up (0 = the remaining steps)
     * @param minLr       the floor of the cosine schedule
     * @param gradClip    global-norm clip; 0 = off
     * @param emaDecay    decay of the weights' exponential moving average; 0 = no EMA
     * @param steps       optimiser steps to train
     * @param seed        seeds data order, noise and timesteps
     * @param mixedPrecision float16 autocast where the device supports it
     */
    public record Optim(
            double lr,
            double beta1,
            double beta2,
            double weightDecay,
            double eps,
            String lrSchedule,
            int warmupSteps,
            int tMax,
            double minLr,
            double gradClip,
            double emaDecay,
            int batchSize,
            int steps,
            long seed,
            boolean mixedPrecision) {}

    /**
     * What the model is conditioned on. {@code none}: unconditional; {@code class}: the image's class
     * through a class embedding added to the time embedding (diffusers' {@code UNet2DModel} with
     * {@code num_class_embeds} = classes + 1, the last row the null class); {@code cross_attention}: LDM's
     * route, the class as one learned token (a table of classes + 1 rows of {@code crossAttentionDim}, the
     * last the null class, as LDM's {@code ClassEmbedder}) that a diffusers {@code UNet2DConditionModel}
     * attends to: the levels {@code model.attention_resolutions} names become {@code CrossAttnDownBlock2D}/
     * {@code CrossAttnUpBlock2D} blocks (self- and cross-attention), the middle block is
     * {@code UNetMidBlock2DCrossAttn}. While training a label is dropped to the null class with probability
     * {@code dropProb}, so the one network also learns the unconditional model classifier-free guidance needs.
     *
     * @param type              {@code none | class | cross_attention}
     * @param dropProb          chance of the null class per image while training, in [0, 1] (0.1 is usual)
     * @param guidance          the guidance scale w of the training sample grids, ≥ 0 (1 = none)
     * @param classes           the number of classes; 0 = the dataset's, filled in when the run starts
     * @param crossAttentionDim {@code cross_attention}: width of a class token (diffusers'
     *                          {@code cross_attention_dim}; LDM's class-conditional ImageNet model: 512, the
     *                          default; 0 reads as the default)
     * @param transformerLayersPerBlock {@code cross_attention}: transformer blocks in each attention layer
     *                          (diffusers' {@code transformer_layers_per_block}, LDM's {@code transformer_depth});
     *                          default 1, 0 reads as 1
     */
    public record Conditioning(String type, double dropProb, double guidance, int classes, int crossAttentionDim,
            int transformerLayersPerBlock) {
        public static final String NONE = "none";
        public static final String CLASS = "class";
        public static final String CROSS_ATTENTION = "cross_attention";

        /** {@link #crossAttentionDim} when unset. */
        public static final int DEFAULT_CROSS_ATTENTION_DIM = 512;

        /** A config written before the cross-attention keys existed reads them as 0: their defaults. */
        @JsonCreator
        public Conditioning {
            crossAttentionDim = crossAttentionDim == 0 ? DEFAULT_CROSS_ATTENTION_DIM : crossAttentionDim;
            transformerLayersPerBlock = transformerLayersPerBlock == 0 ? 1 : transformerLayersPerBlock;
        }

        /** The form before the cross-attention route: its settings at their defaults. */
        public Conditioning(String type, double dropProb, double guidance, int classes) {
            this(type, dropProb, guidance, classes, DEFAULT_CROSS_ATTENTION_DIM, 1);
        }

        public static Conditioning defaults() {
            return new Conditioning(NONE, 0.1, 3.0, 0, DEFAULT_CROSS_ATTENTION_DIM, 1);
        }

        /** Whether the model takes a condition. */
        public boolean conditional() {
            return !NONE.equals(type);
        }

        /** Whether the condition reaches the U-Net by cross-attention to a class token. */
        public boolean crossAttention() {
            return CROSS_ATTENTION.equals(type);
        }

        /** The same with {@code n} classes. */
        public Conditioning withClasses(int n) {
            return new Conditioning(type, dropProb, guidance, n, crossAttentionDim, transformerLayersPerBlock);
        }
    }

    /**
     * The fixed-seed sample grid written during training, and the defaults of the sampler panes.
     *
     * @param sampler {@code ddpm | ddim | dpmpp}
     * @param steps   denoising steps, 1..timesteps
     * @param eta     DDIM stochasticity in [0, 1] (0 = deterministic)
     * @param n       images in the grid, 1..256
     * @param useEma  sample with the EMA weights when there are any
     * @param thresholding dynamic thresholding of x̂0 (Imagen; diffusers' {@code thresholding}) in place of
     *                clipping: keeps large guidance weights from saturating pixel-space samples
     * @param dynamicThresholdingRatio the quantile of |x̂0| that sets the threshold, in (0, 1]
     * @param sampleMaxValue the largest threshold, at least 1 (1 = plain clipping)
     */
    public record Sampling(
            String sampler,
            int steps,
            double eta,
            int n,
            long seed,
            boolean useEma,
            boolean thresholding,
            double dynamicThresholdingRatio,
            double sampleMaxValue) {}

    /**
     * Intervals of the run's records. The first three count optimiser steps.
     *
     * @param checkpointMinutes a checkpoint also after this many minutes of training since the last one,
     *                          whatever the step (0: by steps only), so a crash never loses more than that
     */
    public record Logging(
            int logEvery,
            int sampleEvery,
            int checkpointEvery,
            int keepCheckpoints,
            double checkpointMinutes) {}

    /**
     * Quality measured while a diffusion run trains: every {@code every} steps and at the last step, {@code n}
     * samples of the EMA weights (fixed seeds {@code sampling.seed}, {@code sampling.seed + 1}, … per chunk of 100,
     * so every evaluation sees the same noise; a class-conditional run cycles its classes at
     * {@code conditioning.guidance}) are scored, the value written to {@code metrics.jsonl} as an evaluation row and
     * the best step's checkpoint kept in {@code checkpoints/best/}. Lower is better.
     *
     * @param every   steps between evaluations; 0 = off (the default)
     * @param n       samples per evaluation, 2..50000 (the same number of held-out images is the reference)
     * @param metric  {@code auto}: {@code FD_<dataset>}, the Fréchet distance in the features of the dataset's small
     *                classifier (a labelled dataset; trained and cached on first use); {@code fid}: FID in the
     *                Inception features of pytorch-fid (the workspace's {@code models/pt_inception-2015-12-05.safetensors};
     *                the held-out statistics cached as {@code eval fid} caches them)
     * @param sampler {@code auto} (the run's {@code sampling.sampler}) or {@code ddpm | ddim | dpmpp}
     * @param steps   denoising steps; 0 = the run's {@code sampling.steps}
     */
    public record Eval(int every, int n, String metric, String sampler, int steps) {
        /** {@code metric}/{@code sampler}: chosen from the run. */
        public static final String AUTO = "auto";
        /** {@code metric}: Inception FID. */
        public static final String FID = "fid";

        public static Eval defaults() {
            return new Eval(0, 500, AUTO, AUTO, 0);
        }

        /** Whether the run evaluates while it trains. */
        public boolean enabled() {
            return every > 0;
        }

        /** The sampler key evaluations use: {@code sampler}, or the run's when {@code auto}. */
        public String samplerFor(Sampling s) {
            return AUTO.equals(sampler) ? s.sampler() : sampler;
        }

        /** The step count evaluations use: {@code steps}, or the run's when 0. */
        public int stepsFor(Sampling s) {
            return steps > 0 ? steps : s.steps();
        }
    }

    /** Latent (or pixel) channels the U-Net sees. */
    public int unetChannels() {
        return pixelSpace() ? data.channels() : autoencoder.latentChannels();
    }

    /** Side of the square the U-Net sees: the image resolution, or {@code resolution / f} for latents. */
    public int unetResolution() {
        return pixelSpace() ? data.resolution() : data.resolution() / autoencoder.downsampleFactor();
    }

    public boolean pixelSpace() {
        return "none".equals(autoencoder.kind());
    }

    /** Whether the run trains a KL autoencoder ({@code task = autoencoder}) rather than a diffusion model. */
    public boolean trainsAutoencoder() {
        return AUTOENCODER.equals(task);
    }

    /** A copy with another preset name. */
    public RunConfig withPreset(String name) {
        return new RunConfig(name, description, task, data, autoencoder, vae, model, diffusion, optim, sampling,
                logging, device, conditioning, eval);
    }

    /** A copy with another conditioning. */
    public RunConfig withConditioning(Conditioning c) {
        return new RunConfig(preset, description, task, data, autoencoder, vae, model, diffusion, optim, sampling,
                logging, device, c, eval);
    }

    /** A copy with another {@code eval} section. */
    public RunConfig withEval(Eval e) {
        return new RunConfig(preset, description, task, data, autoencoder, vae, model, diffusion, optim, sampling,
                logging, device, conditioning, e);
    }

    /** The base every preset finally extends: a small pixel-space run on the procedural dataset. */
    public static RunConfig defaults() {
        return new RunConfig(
                "defaults",
                "Built-in defaults",
                DIFFUSION,
                new Data("procedural", null, 32, 3, true, false, 0, 2),
                new Autoencoder("none", null, 0.18215, "float16", 8, 4),
                Vae.defaults(),
                new Model(64, List.of(1, 2, 2), 2, List.of(2, 4), 4, 0, 32, 0.0),
                new Diffusion(1000, "cosine", 1e-4, 0.02, "epsilon"),
                new Optim(2e-4, 0.9, 0.999, 0.0, 1e-8, "warmup_constant", 100, 0, 0.0, 1.0, 0.999,
                        32, 2000, 42L, true),
                new Sampling("ddim", 50, 0.0, 16, 1234L, true, false, 0.995, 1.0),
                new Logging(10, 500, 500, 3, 10),
                "auto",
                Conditioning.defaults(),
                Eval.defaults());
    }
}

package io.ldmstudio.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Checks a resolved {@link RunConfig}: every problem, each naming its snake_case field, the value and
 * what is allowed. Nothing here touches files: that {@code data.path} exists is checked where it is
 * opened.
 */
public final class ConfigValidator {

    /** The fixed vocabularies, by key: used here, by {@link ConfigOverrides}, and by the GUI's choice boxes. */
    public static final Map<String, List<String>> CHOICES = Map.ofEntries(
            Map.entry("task", List.of(RunConfig.DIFFUSION, RunConfig.AUTOENCODER)),
            Map.entry("vae.loss", List.of("l1", "l2")),
            Map.entry("data.source", List.of("procedural", "folder", "cifar10", "idx")),
            Map.entry("autoencoder.kind", List.of("none", "pretrained", "studio")),
            Map.entry("autoencoder.cache_dtype", List.of("float16", "float32")),
            Map.entry("diffusion.schedule", BetaSchedule.keys()),
            Map.entry("diffusion.prediction", List.of("epsilon", "v_prediction")),
            Map.entry("optim.lr_schedule", List.of("constant", "warmup_constant", "cosine")),
            Map.entry("sampling.sampler", SamplerKind.keys()),
            Map.entry("conditioning.type", List.of(RunConfig.Conditioning.NONE, RunConfig.Conditioning.CLASS,
                    RunConfig.Conditioning.CROSS_ATTENTION)),
            Map.entry("eval.metric", List.of(RunConfig.Eval.AUTO, RunConfig.Eval.FID)),
            Map.entry("eval.sampler", evalSamplers()));

    private static List<String> evalSamplers() {
        List<String> out = new ArrayList<>(List.of(RunConfig.Eval.AUTO));
        out.addAll(SamplerKind.keys());
        return List.copyOf(out);
    }

    /** The most samples an evaluation while training may draw. */
    public static final int MAX_EVAL_SAMPLES = 50_000;

    /** {@code auto | cpu | cuda | cuda:N | mps}. */
    public static final Pattern DEVICE = Pattern.compile("auto|cpu|cuda|cuda:\\d{1,3}|mps");

    public static final int MIN_RESOLUTION = 8;
    public static final int MAX_RESOLUTION = 1024;
    public static final int MAX_TIMESTEPS = 10_000;
    public static final int MAX_GRID = 256;
    /** f ∈ {1, 2, 4, 8}: a studio autoencoder has 1..4 levels. */
    public static final int MAX_VAE_LEVELS = 4;

    private final List<ConfigError> errors = new ArrayList<>();

    private ConfigValidator() {}

    /** Every problem with {@code c}; empty when it can be used. */
    public static List<ConfigError> validate(RunConfig c) {
        ConfigValidator v = new ConfigValidator();
        v.run(c);
        return List.copyOf(v.errors);
    }

    /** {@code c} itself when valid. @throws ConfigException listing every problem */
    public static RunConfig check(RunConfig c) {
        List<ConfigError> errors = validate(c);
        if (!errors.isEmpty()) {
            throw new ConfigException(errors);
        }
        return c;
    }

    private void run(RunConfig c) {
        if (c == null) {
            error("(config)", null, "is missing");
            return;
        }
        boolean parts = present("data", c.data()) & present("autoencoder", c.autoencoder())
                & present("vae", c.vae()) & present("model", c.model()) & present("diffusion", c.diffusion())
                & present("optim", c.optim()) & present("sampling", c.sampling())
                & present("logging", c.logging());
        if (c.device() == null || !DEVICE.matcher(c.device()).matches()) {
            error("device", c.device(), "must be auto, cpu, cuda, cuda:N or mps");
        }
        choice("task", c.task());
        if (!parts) {
            return;
        }
        data(c.data());
        autoencoder(c.autoencoder());
        vae(c.vae());
        model(c.model());
        if (c.trainsAutoencoder()) {
            autoencoderTask(c);
        } else {
            geometry(c);
        }
        diffusion(c.diffusion());
        optim(c.optim());
        sampling(c.sampling(), c.diffusion());
        logging(c.logging());
        conditioning(c);
        eval(c);
    }

    private void eval(RunConfig c) {
        RunConfig.Eval e = c.eval();
        if (e.every() < 0) {
            error("eval.every", e.every(), "must be ≥ 0 (steps between evaluations; 0 = off)");
        }
        if (e.n() < 2 || e.n() > MAX_EVAL_SAMPLES) {
            error("eval.n", e.n(), "must be in 2.." + MAX_EVAL_SAMPLES + " (samples per evaluation; a covariance needs"
                    + " at least 2)");
        }
        choice("eval.metric", e.metric());
        choice("eval.sampler", e.sampler());
        if (e.steps() < 0 || (c.diffusion() != null && e.steps() > c.diffusion().timesteps())) {
            error("eval.steps", e.steps(), "must be in 0..diffusion.timesteps (0 = sampling.steps)");
        }
        if (e.enabled() && c.trainsAutoencoder()) {
            error("eval.every", e.every(), "an autoencoder run is not evaluated while training: use 0");
        }
    }

    private void conditioning(RunConfig c) {
        RunConfig.Conditioning k = c.conditioning();
        choice("conditioning.type", k.type());
        if (!(k.dropProb() >= 0 && k.dropProb() <= 1)) {
            error("conditioning.drop_prob", k.dropProb(), "must be in [0, 1] (0.1 is usual; 0 learns no unconditional"
                    + " model, so guidance has nothing to push against)");
        }
        if (!(k.guidance() >= 0) || !Double.isFinite(k.guidance())) {
            error("conditioning.guidance", k.guidance(), "must be a number ≥ 0 (1 = no guidance)");
        }
        if (k.classes() < 0 || k.classes() > 100_000) {
            error("conditioning.classes", k.classes(), "must be in 0..100000 (0 = the dataset's classes)");
        }
        range("conditioning.cross_attention_dim", k.crossAttentionDim(), 1, 4096);
        range("conditioning.transformer_layers_per_block", k.transformerLayersPerBlock(), 1, 16);
        if (k.conditional() && c.trainsAutoencoder()) {
            error("conditioning.type", k.type(), "an autoencoder run is not conditioned: use none");
        }
    }

    private boolean present(String field, Object part) {
        if (part == null) {
            error(field, null, "is missing");
            return false;
        }
        return true;
    }

    private void data(RunConfig.Data d) {
        choice("data.source", d.source());
        if (!"procedural".equals(d.source()) && known("data.source", d.source()) && blank(d.path())) {
            error("data.path", d.path(), "is required for source " + d.source()
                    + " (a folder of images, the cifar-10-batches-bin folder, or the IDX files' folder)");
        }
        range("data.resolution", d.resolution(), MIN_RESOLUTION, MAX_RESOLUTION);
        if (d.channels() != 1 && d.channels() != 3) {
            error("data.channels", d.channels(), "must be 1 (grayscale) or 3 (RGB)");
        }
        if (d.limit() < 0) {
            error("data.limit", d.limit(), "must be ≥ 0 (0 = all images)");
        }
        range("data.workers", d.workers(), 0, 64);
    }

    private void autoencoder(RunConfig.Autoencoder a) {
        choice("autoencoder.kind", a.kind());
        if (!"none".equals(a.kind()) && known("autoencoder.kind", a.kind()) && blank(a.path())) {
            error("autoencoder.path", a.path(), "is required for kind " + a.kind()
                    + " (a diffusers AutoencoderKL folder, a .safetensors file, or a studio VAE run)");
        }
        choice("autoencoder.cache_dtype", a.cacheDtype());
        if ("none".equals(a.kind())) {
            return;
        }
        if (!(a.scalingFactor() >= 0) || !Double.isFinite(a.scalingFactor())) {
            error("autoencoder.scaling_factor", a.scalingFactor(), "must be > 0 (Stable Diffusion's VAE: 0.18215), or 0"
                    + " for the autoencoder's own scaling_factor");
        }
        int f = a.downsampleFactor();
        if (f < 1 || f > 64 || Integer.bitCount(f) != 1) {
            error("autoencoder.downsample_factor", f, "must be a power of two, 1..64 (f = 8 for Stable Diffusion's VAE)");
        }
        range("autoencoder.latent_channels", a.latentChannels(), 1, 64);
    }

    private void vae(RunConfig.Vae v) {
        List<Integer> outs = v.blockOutChannels();
        boolean outsOk = outs != null && !outs.isEmpty() && outs.stream().allMatch(x -> x != null && x > 0);
        if (!outsOk) {
            error("vae.block_out_channels", outs, "must be a non-empty list of positive integers, e.g. [32, 64, 64]"
                    + " (f = 2^(entries − 1))");
        } else if (outs.size() > MAX_VAE_LEVELS) {
            error("vae.block_out_channels", outs, "has " + outs.size() + " entries, which gives f = 2^"
                    + (outs.size() - 1) + " = " + (1 << (outs.size() - 1)) + "; f must be 1, 2, 4 or 8 (1 to "
                    + MAX_VAE_LEVELS + " entries)");
        }
        range("vae.layers_per_block", v.layersPerBlock(), 1, 8);
        range("vae.latent_channels", v.latentChannels(), 1, 64);
        if (v.normGroups() < 1) {
            error("vae.norm_groups", v.normGroups(), "must be ≥ 1");
        } else if (outsOk && outs.stream().anyMatch(ch -> ch % v.normGroups() != 0)) {
            error("vae.norm_groups", v.normGroups(), "must divide the channels of every level: block_out_channels = "
                    + outs);
        }
        choice("vae.loss", v.loss());
        if (!(v.klWeight() >= 0) || !Double.isFinite(v.klWeight())) {
            error("vae.kl_weight", v.klWeight(), "must be ≥ 0 (LDM's autoencoders: 1e-6; 0 = no KL term)");
        }
        if (!(v.scalingFactor() >= 0) || !Double.isFinite(v.scalingFactor())) {
            error("vae.scaling_factor", v.scalingFactor(), "must be ≥ 0 (0 = measure 1/std of the latents)");
        }
    }

    /** A run that trains an autoencoder: no latent stage of its own, and images f divides. */
    private void autoencoderTask(RunConfig c) {
        if (!"none".equals(c.autoencoder().kind()) && known("autoencoder.kind", c.autoencoder().kind())) {
            error("autoencoder.kind", c.autoencoder().kind(), "must be none when task = autoencoder (the run trains"
                    + " the autoencoder itself; its shape is under vae.*)");
        }
        int f = c.vae().downFactor();
        int res = c.data().resolution();
        List<Integer> outs = c.vae().blockOutChannels();
        if (f >= 1 && outs.size() <= MAX_VAE_LEVELS && res >= MIN_RESOLUTION && res <= MAX_RESOLUTION && res % f != 0) {
            error("data.resolution", res, "must be divisible by the autoencoder's f = " + f + " (vae.block_out_channels has "
                    + outs.size() + " entries)");
        }
    }

    private void model(RunConfig.Model m) {
        positive("model.model_channels", m.modelChannels());
        List<Integer> mult = m.channelMult();
        boolean multOk = mult != null && !mult.isEmpty() && mult.stream().allMatch(x -> x != null && x > 0);
        if (!multOk) {
            error("model.channel_mult", mult, "must be a non-empty list of positive integers, e.g. [1, 2, 2]");
        } else if (mult.size() > 8) {
            error("model.channel_mult", mult, "must have at most 8 levels");
        }
        if (m.numResBlocks() < 1) {
            error("model.num_res_blocks", m.numResBlocks(), "must be ≥ 1");
        }
        boolean headsOk = heads(m);
        if (m.normGroups() < 1) {
            error("model.norm_groups", m.normGroups(), "must be ≥ 1");
        }
        if (!(m.dropout() >= 0 && m.dropout() < 1)) {
            error("model.dropout", m.dropout(), "must be in [0, 1)");
        }
        List<Integer> attn = m.attentionResolutions();
        if (attn == null) {
            error("model.attention_resolutions", null, "must be a list (empty = no attention but the middle block's)");
        }
        if (!multOk || m.modelChannels() < 1 || mult.size() > 8) {
            return;
        }
        int levels = mult.size();
        List<Integer> factors = new ArrayList<>();
        for (int i = 0; i < levels; i++) {
            factors.add(1 << i);
        }
        List<Integer> channels = mult.stream().map(x -> x * m.modelChannels()).toList();
        if (m.normGroups() >= 1 && channels.stream().anyMatch(ch -> ch % m.normGroups() != 0)) {
            error("model.norm_groups", m.normGroups(), "must divide the channels of every level: model_channels × channel_mult = "
                    + channels);
        }
        if (attn == null) {
            return;
        }
        if (!factors.containsAll(attn)) {
            error("model.attention_resolutions", attn, "must be a subset of the downsample factors of "
                    + levels + " levels: " + factors);
        } else if (headsOk) {
            List<Integer> attnChannels = m.attentionWidths().stream().distinct().sorted().toList();
            if (m.numHeads() > 0 && attnChannels.stream().anyMatch(ch -> ch % m.numHeads() != 0)) {
                error("model.num_heads", m.numHeads(), "must divide the channels of every attention level and of the middle block: "
                        + attnChannels);
            } else if (m.headDim() > 0 && attnChannels.stream().anyMatch(ch -> ch % m.headDim() != 0)) {
                error("model.head_dim", m.headDim(), "must divide the channels of every attention level and of the middle block: "
                        + attnChannels);
            }
        }
    }

    /**
     * Exactly one of {@code num_heads} (the same heads in every attention layer) and {@code head_dim}
     * (channels / head_dim heads, diffusers' {@code attention_head_dim}) is set, the other 0.
     */
    private boolean heads(RunConfig.Model m) {
        if (m.numHeads() < 0) {
            error("model.num_heads", m.numHeads(), "must be ≥ 1 (or 0 when model.head_dim is set)");
            return false;
        }
        if (m.headDim() < 0) {
            error("model.head_dim", m.headDim(), "must be ≥ 1 (or 0, unset: model.num_heads says the heads)");
            return false;
        }
        if (m.numHeads() > 0 && m.headDim() > 0) {
            error("model.head_dim", m.headDim(), "model.num_heads and model.head_dim: set one of them, the other 0"
                    + " (num_heads " + m.numHeads() + ": that many heads in every attention layer; head_dim: channels /"
                    + " head_dim heads, as diffusers' attention_head_dim)");
            return false;
        }
        if (m.numHeads() == 0 && m.headDim() == 0) {
            error("model.num_heads", m.numHeads(), "must be ≥ 1, or 0 with model.head_dim ≥ 1 (channels / head_dim"
                    + " heads in each attention layer)");
            return false;
        }
        return true;
    }

    /** The resolution must survive the autoencoder's f and every downsampling of the U-Net exactly. */
    private void geometry(RunConfig c) {
        List<Integer> mult = c.model().channelMult();
        int res = c.data().resolution();
        if (mult == null || mult.isEmpty() || mult.size() > 8 || res < MIN_RESOLUTION || res > MAX_RESOLUTION) {
            return;
        }
        int down = 1 << (mult.size() - 1);
        if (c.pixelSpace()) {
            if (res % down != 0) {
                error("data.resolution", res, "must be divisible by " + down + " = 2^(levels − 1) for a U-Net of "
                        + mult.size() + " levels");
            }
            return;
        }
        int f = c.autoencoder().downsampleFactor();
        if (f < 1 || Integer.bitCount(f) != 1 || !known("autoencoder.kind", c.autoencoder().kind())) {
            return;
        }
        if (res % f != 0) {
            error("data.resolution", res, "must be divisible by the autoencoder's f = " + f);
        } else if ((res / f) % down != 0) {
            error("data.resolution", res, "must give latents (resolution / f = " + res / f + ") divisible by "
                    + down + " = 2^(levels − 1) for a U-Net of " + mult.size() + " levels, i.e. resolution divisible by "
                    + f * down);
        }
    }

    private void diffusion(RunConfig.Diffusion d) {
        range("diffusion.timesteps", d.timesteps(), 1, MAX_TIMESTEPS);
        choice("diffusion.schedule", d.schedule());
        if (BetaSchedule.keys().contains(d.schedule()) && BetaSchedule.parse(d.schedule(), "diffusion.schedule").usesBetaRange) {
            if (!(d.betaStart() > 0 && d.betaStart() < 1)) {
                error("diffusion.beta_start", d.betaStart(), "must be in (0, 1) and below beta_end (DDPM: 1e-4)");
            }
            if (!(d.betaEnd() > 0 && d.betaEnd() < 1)) {
                error("diffusion.beta_end", d.betaEnd(), "must be in (0, 1) and above beta_start (DDPM: 0.02)");
            } else if (d.betaStart() > 0 && d.betaStart() < 1 && !(d.betaStart() < d.betaEnd())) {
                error("diffusion.beta_end", d.betaEnd(), "must be above beta_start = " + d.betaStart());
            }
        }
        choice("diffusion.prediction", d.prediction());
    }

    private void optim(RunConfig.Optim o) {
        if (!(o.lr() > 0) || !Double.isFinite(o.lr())) {
            error("optim.lr", o.lr(), "must be > 0 (e.g. 2e-4)");
        }
        unitInterval("optim.beta1", o.beta1());
        unitInterval("optim.beta2", o.beta2());
        nonNegative("optim.weight_decay", o.weightDecay());
        if (!(o.eps() > 0) || !Double.isFinite(o.eps())) {
            error("optim.eps", o.eps(), "must be > 0 (e.g. 1e-8)");
        }
        choice("optim.lr_schedule", o.lrSchedule());
        if (o.warmupSteps() < 0) {
            error("optim.warmup_steps", o.warmupSteps(), "must be ≥ 0");
        }
        if (o.tMax() < 0) {
            error("optim.t_max", o.tMax(), "must be ≥ 0 (0 = the remaining steps)");
        }
        if (!(o.minLr() >= 0) || !Double.isFinite(o.minLr())) {
            error("optim.min_lr", o.minLr(), "must be ≥ 0 and ≤ lr");
        } else if (o.lr() > 0 && o.minLr() > o.lr()) {
            error("optim.min_lr", o.minLr(), "must be ≤ lr = " + o.lr());
        }
        nonNegative("optim.grad_clip", o.gradClip());
        unitInterval("optim.ema_decay", o.emaDecay());
        if (o.batchSize() < 1) {
            error("optim.batch_size", o.batchSize(), "must be ≥ 1");
        }
        if (o.steps() < 1) {
            error("optim.steps", o.steps(), "must be ≥ 1");
        }
    }

    private void sampling(RunConfig.Sampling s, RunConfig.Diffusion d) {
        choice("sampling.sampler", s.sampler());
        if (d.timesteps() >= 1 && d.timesteps() <= MAX_TIMESTEPS) {
            range("sampling.steps", s.steps(), 1, d.timesteps());
        } else if (s.steps() < 1) {
            error("sampling.steps", s.steps(), "must be in 1..diffusion.timesteps");
        }
        if (!(s.eta() >= 0 && s.eta() <= 1)) {
            error("sampling.eta", s.eta(), "must be in [0, 1] (0 = deterministic DDIM)");
        }
        range("sampling.n", s.n(), 1, MAX_GRID);
        if (!(s.dynamicThresholdingRatio() > 0 && s.dynamicThresholdingRatio() <= 1)) {
            error("sampling.dynamic_thresholding_ratio", s.dynamicThresholdingRatio(),
                    "must be in (0, 1] (the quantile of |x̂0| that sets the threshold)");
        }
        if (!(s.sampleMaxValue() >= 1) || Double.isInfinite(s.sampleMaxValue())) {
            error("sampling.sample_max_value", s.sampleMaxValue(), "must be a number of at least 1");
        }
    }

    private void logging(RunConfig.Logging l) {
        atLeastOne("logging.log_every", l.logEvery());
        atLeastOne("logging.sample_every", l.sampleEvery());
        atLeastOne("logging.checkpoint_every", l.checkpointEvery());
        atLeastOne("logging.keep_checkpoints", l.keepCheckpoints());
        nonNegative("logging.checkpoint_minutes", l.checkpointMinutes());
    }

    private void choice(String field, String value) {
        if (!known(field, value)) {
            error(field, value, "must be one of " + String.join(", ", CHOICES.get(field)));
        }
    }

    private static boolean known(String field, String value) {
        return value != null && CHOICES.get(field).contains(value);
    }

    private void range(String field, int value, int min, int max) {
        if (value < min || value > max) {
            error(field, value, "must be in " + min + ".." + max);
        }
    }

    private void positive(String field, int value) {
        if (value < 1) {
            error(field, value, "must be > 0");
        }
    }

    private void atLeastOne(String field, int value) {
        if (value < 1) {
            error(field, value, "must be ≥ 1 (steps)");
        }
    }

    private void nonNegative(String field, double value) {
        if (!(value >= 0) || !Double.isFinite(value)) {
            error(field, value, "must be ≥ 0");
        }
    }

    private void unitInterval(String field, double value) {
        if (!(value >= 0 && value < 1)) {
            error(field, value, "must be in [0, 1)");
        }
    }

    private static boolean blank(String s) {
        return s == null || s.isBlank();
    }

    private void error(String field, Object value, String message) {
        errors.add(new ConfigError(field, value, message));
    }
}

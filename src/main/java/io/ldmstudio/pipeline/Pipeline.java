package io.ldmstudio.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.config.SamplerKind;
import io.ldmstudio.diffusion.DdimSampler;
import io.ldmstudio.diffusion.DdpmSampler;
import io.ldmstudio.diffusion.DpmSolverPlusPlusSampler;
import io.ldmstudio.diffusion.Denoiser;
import io.ldmstudio.diffusion.Guidance;
import io.ldmstudio.diffusion.Sampler;
import io.ldmstudio.nn.DiffusionNetwork;
import io.ldmstudio.diffusion.SamplingLoop;
import io.ldmstudio.diffusion.SchedulerConfig;
import io.ldmstudio.diffusion.StepListener;
import io.ldmstudio.nn.GradMode;
import io.ldmstudio.nn.LatentAutoencoder;
import io.ldmstudio.nn.ClassConditionalUNet;
import io.ldmstudio.nn.UNet2DConditionConfig;
import io.ldmstudio.nn.UNet2DModel;
import io.ldmstudio.nn.UNetConfig;
import io.ldmstudio.weights.ClassEmbedderWeights;
import io.ldmstudio.weights.UNetConditionWeights;
import io.ldmstudio.pipeline.NetworkDenoiser;
import io.ldmstudio.util.Rng;
import io.ldmstudio.weights.UNetWeights;
import io.ldmstudio.weights.VaeWeights;
import io.ldmstudio.runs.AtomicFiles;
import io.ldmstudio.nn.AutoencoderKL;
import io.ldmstudio.nn.VQModel;
import io.ldmstudio.nn.VQConfig;
import io.ldmstudio.nn.VaeConfig;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * A diffusion pipeline — the counterpart of diffusers' {@code DiffusionPipeline}: the denoiser
 * ({@code UNet2DModel}, or LDM's class route: a {@code UNet2DConditionModel} with the class-token table it
 * attends to, component {@code class_embedder}; see {@link NetworkSpec}), the noise scheduler config, and, for a latent pipeline ({@code LDMPipeline}), the
 * autoencoder ({@code AutoencoderKL} or {@code VQModel}) that turns latents into images. It is the one
 * assembly of model → sampler → loop → decode: the CLI, the studio, training's sample grids and the
 * benchmark all call {@link #generate}.
 *
 * <p>Three kinds, the same behaviour: {@link #open} a folder (configs read now; weights loaded for each
 * call onto the manager it is given, then freed), {@link #assemble} components given as configs and
 * loaders (a run's checkpoint), or {@link #of} models already in memory (training's live network; they
 * are borrowed, never closed here). {@link #save} writes any of them as a diffusers pipeline folder.
 *
 * <p>The latent scale is the autoencoder's {@code scaling_factor} unless set with
 * {@link #withLatentScale}: some published models were trained with another scale than their config
 * says ({@code CompVis/ldm-celebahq-256}: 1.0, where its config has the default 0.18215).
 */
public final class Pipeline {
    /** Loads a component onto a manager for one call; the caller closes what it returns. */
    @FunctionalInterface
    public interface Loader<T> {
        T load(NDManager manager) throws IOException;
    }

    /** Turns the denoiser's latents (n, C, h, w) into images in [−1, 1], off the caller's manager. */
    @FunctionalInterface
    public interface LatentDecoding {
        float[] decode(float[] latents, int n) throws IOException;
    }

    /**
     * A latent pipeline's autoencoder: its diffusers class ({@code AutoencoderKL}, {@code VQModel}; null when
     * only loading tells), f, latent and image channels and config scale (null when not known before
     * loading), read from its config, and how to load it.
     */
    public record Autoencoder(String className, int downFactor, int latentChannels, int imageChannels,
            Double configScale, Loader<LatentAutoencoder> loader) {}

    private final String pipelineClass;
    private final String origin;
    private final PipelineFolder folder;
    private final NetworkSpec network;
    private final Loader<DiffusionNetwork> unetLoader;
    private final DiffusionNetwork sharedUnet;
    private final SchedulerConfig scheduler;
    private final Autoencoder autoencoder;
    private final LatentAutoencoder sharedAutoencoder;
    private final Double latentScale;
    private List<String> classNames = List.of();
    /** The string metadata of the folder's U-Net weights (empty for a pipeline not read from a folder). */
    private Map<String, String> metadata = Map.of();

    private Pipeline(String pipelineClass, String origin, PipelineFolder folder, NetworkSpec network,
            Loader<DiffusionNetwork> unetLoader, DiffusionNetwork sharedUnet, SchedulerConfig scheduler,
            Autoencoder autoencoder, LatentAutoencoder sharedAutoencoder, Double latentScale) {
        this.pipelineClass = pipelineClass;
        this.origin = origin;
        this.folder = folder;
        this.network = network;
        this.unetLoader = unetLoader;
        this.sharedUnet = sharedUnet;
        this.scheduler = scheduler;
        this.autoencoder = autoencoder;
        this.sharedAutoencoder = sharedAutoencoder;
        this.latentScale = latentScale;
    }

    /** Opens the pipeline folder at {@code dir} (either layout); every problem names its file. */
    public static Pipeline open(Path dir) throws IOException {
        PipelineFolder folder = PipelineFolder.open(dir);
        PipelineFolder.Component unet = folder.component("unet").orElseThrow();
        OpenedNetwork net = openNetwork(folder, unet);
        NetworkSpec uc = net.spec();
        PipelineFolder.Component sc = folder.component("scheduler").orElseThrow();
        SchedulerConfig scheduler;
        try {
            // the class the pipeline names, from whatever class wrote the file (diffusers' from_config)
            scheduler = SchedulerConfig.parse(Files.readString(sc.config()), sc.config().toString(), sc.className());
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
        Autoencoder ae = null;
        Optional<PipelineFolder.Component> aec = folder.component("vqvae");
        if (aec.isPresent()) {
            Path aeDir = aec.get().config().getParent();
            Autoencoders.Source src = Autoencoders.resolve(aeDir, (Double) null);
            if (!src.kind().equals(aec.get().className())) {
                throw new IOException(aeDir.resolve(PipelineFolder.MODEL_CONFIG) + ": holds a " + src.kind() + " where "
                        + folder.dir().resolve(PipelineFolder.INDEX) + " names a " + aec.get().className());
            }
            ae = new Autoencoder(src.kind(), src.downFactor(), src.latentChannels(), src.imageChannels(),
                    src.scalingFactor(), m -> Autoencoders.load(src, m));
            if (uc.inChannels() != ae.latentChannels()) {
                throw new IOException(unet.config() + ": in_channels " + uc.inChannels() + " but the " + ae.className()
                        + " in " + aeDir + " makes " + ae.latentChannels() + "-channel latents");
            }
        }
        Pipeline p = new Pipeline(folder.pipelineClass(), dir.toString(), folder, uc, net.loader(), null, scheduler, ae,
                null, null);
        p.classNames = net.classNames();
        Path weights = unet.weights();
        if (weights != null && Files.isRegularFile(weights)) {
            p.metadata = io.ldmstudio.weights.SafeTensors.readHeader(weights).metadata();
        }
        return p;
    }

    /** A folder's denoiser: its shape, how to load it, its class names (empty when unknown or unconditional). */
    private record OpenedNetwork(NetworkSpec spec, Loader<DiffusionNetwork> loader, List<String> classNames) {}

    /**
     * The {@code unet} component of {@code folder}: a {@code UNet2DModel}, or a {@code UNet2DConditionModel}
     * with the class-token table of its {@code class_embedder} (which must be there, as wide as its tokens).
     */
    private static OpenedNetwork openNetwork(PipelineFolder folder, PipelineFolder.Component unet) throws IOException {
        Optional<PipelineFolder.Component> tokens = folder.component(PipelineFolder.CLASS_EMBEDDER);
        Path weights = unet.weights();
        if (!unet.className().equals("UNet2DConditionModel")) {
            if (tokens.isPresent()) {
                throw new IOException(folder.dir().resolve(PipelineFolder.INDEX) + ": a " + PipelineFolder.CLASS_EMBEDDER
                        + " beside a UNet2DModel, which takes no class tokens (its classes are num_class_embeds)");
            }
            UNetConfig u = UNetWeights.readConfig(unet.config());
            NetworkSpec spec = NetworkSpec.of(u);
            return new OpenedNetwork(spec, m -> loadUnet(spec, weights, m), readClassNames(unet.config(), u.classes()));
        }
        if (tokens.isEmpty()) {
            throw new IOException(folder.dir().resolve(PipelineFolder.INDEX) + ": its unet is a UNet2DConditionModel,"
                    + " which the studio conditions on a class token: the component " + PipelineFolder.CLASS_EMBEDDER
                    + " (a ClassEmbedder) is missing");
        }
        UNet2DConditionConfig cc = UNetConditionWeights.readConfig(unet.config());
        Path tokenDir = tokens.get().config().getParent();
        ClassEmbedderWeights.Config tc = ClassEmbedderWeights.readConfig(tokenDir);
        if (tc.embedDim() != cc.crossAttentionDim()) {
            throw new IOException(tokens.get().config() + ": embed_dim " + tc.embedDim() + " but the U-Net's"
                    + " cross_attention_dim is " + cc.crossAttentionDim() + " (" + unet.config() + ")");
        }
        NetworkSpec spec;
        try {
            spec = NetworkSpec.crossAttention(cc, tc.classes());
        } catch (IllegalArgumentException e) {
            throw new IOException(unet.config() + ": " + e.getMessage(), e);
        }
        return new OpenedNetwork(spec, m -> loadCrossAttention(spec, weights, tokenDir, m), tc.classNames());
    }

    /**
     * A pipeline of components given as configs and loaders — a run's checkpoint: the U-Net of
     * {@code unetConfig} with the weights of {@code unetWeights}, {@code scheduler}, and the autoencoder
     * {@code ae} (null in pixel space). {@code origin} says where it comes from, in messages.
     */
    public static Pipeline assemble(UNetConfig unetConfig, Path unetWeights, SchedulerConfig scheduler,
            Autoencoder ae, String origin) {
        return assemble(NetworkSpec.of(unetConfig), unetWeights, scheduler, ae, origin);
    }

    /**
     * As above for a network of either kind: {@code unetWeights} holds all its parameters under the studio's
     * names (a checkpoint's {@code model.safetensors}: a cross-attention network's as {@code unet.…} and
     * {@code class_tokens.weight}).
     */
    public static Pipeline assemble(NetworkSpec unetConfig, Path unetWeights, SchedulerConfig scheduler,
            Autoencoder ae, String origin) {
        Loader<DiffusionNetwork> loader = m -> {
            if (unetWeights == null) {
                throw new IllegalStateException(origin + " has no U-Net weights");
            }
            return loadUnet(unetConfig, unetWeights, m);
        };
        return new Pipeline(ae == null ? "DDPMPipeline" : "LDMPipeline", origin, null, unetConfig, loader, null,
                scheduler, ae, null, null);
    }

    /**
     * A pipeline of models already in memory — training's network and autoencoder. They are borrowed:
     * {@link #generate} neither loads nor closes them, and runs on their manager's device.
     */
    public static Pipeline of(DiffusionNetwork unet, SchedulerConfig scheduler, LatentAutoencoder ae, String origin) {
        Autoencoder slot = ae == null ? null : new Autoencoder(ae.kind(), ae.downFactor(), ae.latentChannels(),
                ae.imageChannels(), ae.scalingFactor(), m -> ae);
        return new Pipeline(ae == null ? "DDPMPipeline" : "LDMPipeline", origin, null, NetworkSpec.of(unet), m -> unet,
                unet, scheduler, slot, ae, null);
    }

    /** The network of {@code spec} with all its parameters from {@code weights} (the studio's names). */
    private static DiffusionNetwork loadUnet(NetworkSpec spec, Path weights, NDManager m) throws IOException {
        DiffusionNetwork unet = spec.build();
        try {
            unet.initialize(m, new Rng(0), false);
            unet.loadStateDict(UNetWeights.readFor(unet, weights), m);
            return unet;
        } catch (IOException | RuntimeException e) {
            unet.close();
            throw e;
        }
    }

    /** An export's cross-attention network: the UNet2DConditionModel's weights, then the class-token table's. */
    private static DiffusionNetwork loadCrossAttention(NetworkSpec spec, Path unetWeights, Path tokenDir, NDManager m)
            throws IOException {
        ClassConditionalUNet net = (ClassConditionalUNet) spec.build();
        try {
            net.initialize(m, new Rng(0), false);
            net.unet().loadStateDict(UNetWeights.readFor(net.unet(), unetWeights), m);
            ClassEmbedderWeights.load(net.classTokens(), tokenDir, m);
            return net;
        } catch (IOException | RuntimeException e) {
            net.close();
            throw e;
        }
    }

    /** The same pipeline decoding with latent scale {@code scale} (> 0) instead of its config's. */
    public Pipeline withLatentScale(double scale) {
        if (!(scale > 0) || !Double.isFinite(scale)) {
            throw new IllegalArgumentException("latent scale: must be a positive number, got " + scale);
        }
        if (autoencoder == null) {
            throw new IllegalArgumentException("latent scale: " + origin + " is a " + pipelineClass
                    + " in pixel space, with no autoencoder to scale for");
        }
        Pipeline p = new Pipeline(pipelineClass, origin, folder, network, unetLoader, sharedUnet, scheduler, autoencoder,
                sharedAutoencoder, scale);
        p.classNames = classNames;
        p.metadata = metadata;
        return p;
    }

    /**
     * The same pipeline sampled with the scheduler config {@code s} instead of its own (a run's timestep spacing
     * differs by sampler: {@code RunPipelines.scheduler}); loaded components stay shared.
     */
    public Pipeline withScheduler(SchedulerConfig s) {
        Pipeline p = new Pipeline(pipelineClass, origin, folder, network, unetLoader, sharedUnet,
                java.util.Objects.requireNonNull(s, "scheduler"), autoencoder, sharedAutoencoder, latentScale);
        p.classNames = classNames;
        p.metadata = metadata;
        return p;
    }

    /**
     * The pipeline with its network (and autoencoder) loaded onto {@code manager} once, for many
     * {@link #generate} calls on that manager's device; closing it frees what it loaded (not what was borrowed).
     */
    public Loaded load(NDManager manager) throws IOException {
        DiffusionNetwork unet = sharedUnet != null ? sharedUnet : unetLoader.load(manager);
        LatentAutoencoder ae = null;
        try {
            if (autoencoder != null) {
                ae = sharedAutoencoder != null ? sharedAutoencoder : autoencoder.loader().load(manager);
            }
        } catch (IOException | RuntimeException e) {
            if (unet != sharedUnet) {
                unet.close();
            }
            throw e;
        }
        Pipeline p = new Pipeline(pipelineClass, origin, folder, network, unetLoader, unet, scheduler, autoencoder, ae,
                latentScale);
        p.classNames = classNames;
        p.metadata = metadata;
        return new Loaded(p, unet != sharedUnet ? unet : null, ae != sharedAutoencoder ? ae : null);
    }

    /** A pipeline whose components {@link #load} loaded; {@link #close} frees them. */
    public static final class Loaded implements AutoCloseable {
        private final Pipeline pipeline;
        private final DiffusionNetwork ownUnet;
        private final LatentAutoencoder ownAutoencoder;

        private Loaded(Pipeline pipeline, DiffusionNetwork ownUnet, LatentAutoencoder ownAutoencoder) {
            this.pipeline = pipeline;
            this.ownUnet = ownUnet;
            this.ownAutoencoder = ownAutoencoder;
        }

        /** The pipeline, its components borrowed from this holder (valid until {@link #close}). */
        public Pipeline pipeline() {
            return pipeline;
        }

        @Override
        public void close() {
            try {
                if (ownAutoencoder != null) {
                    ownAutoencoder.close();
                }
            } finally {
                if (ownUnet != null) {
                    ownUnet.close();
                }
            }
        }
    }

    /**
     * The same pipeline with names for its classes, by label ({@link #classes()} of them), written into the
     * U-Net's config as {@code id2label} when saved (as DiT's pipeline names ImageNet's classes).
     */
    public Pipeline withClassNames(List<String> names) {
        if (!names.isEmpty() && names.size() != classes()) {
            throw new IllegalArgumentException(names.size() + " class names for a denoiser of " + classes() + " classes");
        }
        Pipeline p = new Pipeline(pipelineClass, origin, folder, network, unetLoader, sharedUnet, scheduler, autoencoder,
                sharedAutoencoder, latentScale);
        p.classNames = List.copyOf(names);
        p.metadata = metadata;
        return p;
    }

    /** Its classes' names by label, when known ({@code id2label} in the U-Net's config); else empty. */
    /**
     * The string metadata of the folder's U-Net weights ({@code __metadata__}): the studio writes the step, the
     * preset, the training data and the guidance scale there ({@link io.ldmstudio.config.TrainedOn}).
     */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Where {@link #metadata} was read: the U-Net's weights file, or the pipeline's origin; for messages. */
    public String metadataFile() {
        return folder == null ? origin : folder.component("unet").map(c -> String.valueOf(c.weights())).orElse(origin);
    }

    /**
     * The guidance scale to sample a class-conditional denoiser with when none is given: the one its weights name
     * (a studio export: the run's {@code conditioning.guidance}), else 3 with a null class to guide against and 1
     * without; NaN when unconditional. A malformed entry is refused naming the file and the key.
     */
    public double defaultGuidance() {
        if (classes() == 0) {
            return Double.NaN;
        }
        return io.ldmstudio.config.TrainedOn.guidanceFrom(metadata, metadataFile()).orElse(hasNullClass() ? 3.0 : 1.0);
    }

    public List<String> classNames() {
        return classNames;
    }

    /** {@code id2label} of a class-conditional U-Net's config, when it has one for every class; else empty. */
    private static List<String> readClassNames(Path config, int classes) throws IOException {
        if (classes == 0) {
            return List.of();
        }
        com.fasterxml.jackson.databind.JsonNode id2label = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(config.toFile()).path("id2label");
        List<String> names = new ArrayList<>();
        for (int k = 0; k < classes; k++) {
            com.fasterxml.jackson.databind.JsonNode n = id2label.path(Integer.toString(k));
            if (!n.isTextual()) {
                return List.of();
            }
            names.add(n.asText());
        }
        return names;
    }

    /** The folder it was opened from; null for a pipeline assembled from a run or from models in memory. */
    public PipelineFolder folder() {
        return folder;
    }

    /** The diffusers pipeline class: {@code DDPMPipeline}, {@code DDIMPipeline} or {@code LDMPipeline}. */
    public String pipelineClass() {
        return pipelineClass;
    }

    /** Where it comes from: its folder, or what assembled it. */
    public String origin() {
        return origin;
    }

    /** The denoising network's shape. */
    public NetworkSpec network() {
        return network;
    }

    /** The scheduler config, read as the class the pipeline names. */
    public SchedulerConfig scheduler() {
        return scheduler;
    }

    public boolean hasAutoencoder() {
        return autoencoder != null;
    }

    /** The autoencoder, if the pipeline is latent. */
    public Optional<Autoencoder> autoencoder() {
        return Optional.ofNullable(autoencoder);
    }

    /**
     * The latent scale the decoder divides by: the one set, else the autoencoder config's; empty in pixel
     * space or when only the loaded autoencoder knows it.
     */
    public Optional<Double> latentScale() {
        return Optional.ofNullable(latentScale != null ? latentScale : autoencoder == null ? null : autoencoder.configScale());
    }

    /** Whether the latent scale was set with {@link #withLatentScale} rather than read from the config. */
    public boolean latentScaleSet() {
        return latentScale != null;
    }

    /** The sampler the pipeline's own scheduler class stands for. */
    public SamplerKind defaultSampler() {
        for (SamplerKind k : SamplerKind.values()) {
            if (k.diffusersClass.equals(scheduler.className())) {
                return k;
            }
        }
        return SamplerKind.DDPM;
    }

    /** The classes a class-conditional denoiser takes (labels 0 … classes − 1); 0 when it is unconditional. */
    public int classes() {
        return network.classes();
    }

    /** Whether a class-conditional denoiser has the null class classifier-free guidance needs. */
    public boolean hasNullClass() {
        return network.hasNullClass();
    }

    /** The denoiser's input shape for {@code n} images: (n, C, H, W). */
    public long[] noiseShape(int n) {
        return new long[] {n, network.inChannels(), network.sampleSize(), network.sampleSize()};
    }

    /** The images' size: the U-Net's, times f when an autoencoder decodes. */
    public int imageSize() {
        return network.sampleSize() * (autoencoder == null ? 1 : autoencoder.downFactor());
    }

    /** The images' channels. */
    public int imageChannels() {
        return autoencoder == null ? network.outChannels() : autoencoder.imageChannels();
    }

    /**
     * What to generate: a sampler (null: the pipeline's scheduler class), its steps and η (DDIM), the seed
     * of x_T and of stochastic steps, n images — or {@code noise}, a given x_T of {@link #noiseShape}.
     */
    public record Request(SamplerKind sampler, int steps, double eta, long seed, int n, float[] noise, Condition condition) {
        public Request {
            check(steps, eta, n, "");
            if (condition != null && condition.labels().length != n) {
                throw new IllegalArgumentException(condition.labels().length + " class labels for " + n + " images");
            }
        }

        /** An unconditional request (or a conditional network's null class: no guidance). */
        public Request(SamplerKind sampler, int steps, double eta, long seed, int n, float[] noise) {
            this(sampler, steps, eta, seed, n, noise, null);
        }

        /** Refuses steps, η or n out of range, naming each as {@code prefix} + its name ({@code --steps}). */
        public static void check(int steps, double eta, int n, String prefix) {
            if (n < 1 || n > 1024) {
                throw new IllegalArgumentException(prefix + "n " + n + ": expected 1..1024 images");
            }
            if (steps < 1) {
                throw new IllegalArgumentException(prefix + "steps " + steps + ": expected at least 1");
            }
            if (eta < 0 || eta > 1) {
                throw new IllegalArgumentException(prefix + "eta " + eta + ": expected a value in [0, 1]");
            }
        }
    }

    /**
     * What a class-conditional model is asked for: one class label per image (in [0, classes)), the
     * guidance scale w (1: the conditional model alone; diffusers' {@code guidance_scale}) and the
     * guidance rescale φ in [0, 1] (0: none).
     */
    public record Condition(int[] labels, double guidance, double rescale) {
        public Condition {
            labels = labels.clone();
            Guidance.check(guidance, rescale);
        }

        @Override
        public int[] labels() {
            return labels.clone();
        }
    }

    /** Images as CHW floats in [−1, 1], in the order of x_T, and what made them. */
    public record Result(List<float[]> images, int channels, int height, int width, SamplerKind sampler, double seconds) {}

    /** The sampler a request asks for, configured from the pipeline's scheduler config as diffusers would be. */
    public Sampler sampler(SamplerKind kind, double eta) {
        SamplerKind k = kind == null ? defaultSampler() : kind;
        return switch (k) {
            case DDPM -> new DdpmSampler(scheduler);
            case DDIM -> new DdimSampler(scheduler, eta);
            case DPMPP -> new DpmSolverPlusPlusSampler(scheduler);
        };
    }

    /** As {@link #generate(Request, NDManager, StepListener, BooleanSupplier, LatentDecoding)}, decoding here. */
    public Result generate(Request req, NDManager manager, StepListener listener, BooleanSupplier cancelled)
            throws IOException {
        return generate(req, manager, listener, cancelled, null);
    }

    /**
     * Generates on {@code manager}'s device: loads the weights (unless borrowed), samples from x_T (the
     * request's noise or the seed's) with {@code listener} told of every step, decodes latents — with
     * {@code decoding} when given (an autoencoder kept loaded elsewhere), else with the pipeline's
     * autoencoder loaded for the call — and frees everything it loaded.
     */
    public Result generate(Request req, NDManager manager, StepListener listener, BooleanSupplier cancelled,
            LatentDecoding decoding) throws IOException {
        SamplerKind kind = req.sampler() == null ? defaultSampler() : req.sampler();
        if (req.steps() > scheduler.numTrainTimesteps()) {
            throw new IllegalArgumentException("steps " + req.steps() + ": at most " + scheduler.numTrainTimesteps()
                    + " (the scheduler's num_train_timesteps) for " + origin);
        }
        Sampler sampler = sampler(kind, req.eta());
        sampler.setTimesteps(req.steps());
        long[] shape = noiseShape(req.n());
        if (req.noise() != null && req.noise().length != Arrays.stream(shape).reduce(1, Math::multiplyExact)) {
            throw new IllegalArgumentException("noise: " + req.noise().length + " values where x_T of " + req.n()
                    + " images is " + new Shape(shape) + " for " + origin);
        }
        long t0 = System.nanoTime();
        GradMode.disable();
        try (NDManager m = manager.newSubManager()) {
            DiffusionNetwork unet = sharedUnet != null ? sharedUnet : unetLoader.load(m);
            float[] all;
            try {
                NDArray x = SamplingLoop.sample(denoiser(unet, req.condition()), sampler, new Shape(shape), req.noise(),
                        req.seed(), m, listener, cancelled);
                if (autoencoder == null) {
                    all = x.clip(-1, 1).toFloatArray();
                } else if (decoding != null) {
                    all = decoding.decode(x.toFloatArray(), req.n());
                } else {
                    LatentAutoencoder ae = sharedAutoencoder != null ? sharedAutoencoder : autoencoder.loader().load(m);
                    try {
                        all = decode(ae, x).clip(-1, 1).toFloatArray();
                    } finally {
                        if (ae != sharedAutoencoder) {
                            ae.close();
                        }
                    }
                }
            } finally {
                if (unet != sharedUnet) {
                    unet.close();
                }
            }
            int res = imageSize();
            int c = imageChannels();
            return new Result(io.ldmstudio.data.Grids.split(all, req.n(), c * res * res), c, res, res, kind,
                    (System.nanoTime() - t0) / 1e9);
        }
    }

    /**
     * The network as a sampler's denoiser: unconditional, or — for a class-conditional one — conditioned on
     * the request's labels with classifier-free guidance against the null class. A conditional network
     * asked without labels samples its null class (the unconditional model it also learned).
     */
    public static Denoiser denoiser(DiffusionNetwork net, Condition condition) {
        if (condition == null) {
            if (net.classes() == 0) {
                return new NetworkDenoiser(net);
            }
            if (!net.hasNullClass()) {
                throw new IllegalArgumentException("the model has no null class (each of its " + net.classes()
                        + " class embeddings is a class): ask for classes to sample");
            }
            return (x, t) -> net.forward(x, t, x.getManager().create(nulls(x.getShape().get(0), net.nullClass())), false);
        }
        if (net.classes() == 0) {
            throw new IllegalArgumentException("class labels were given, but the model is unconditional");
        }
        for (int l : condition.labels()) {
            if (l < 0 || l >= net.classes()) {
                throw new IllegalArgumentException("class " + l + ": the model has classes 0.." + (net.classes() - 1));
            }
        }
        if (condition.guidance() != 1 && !net.hasNullClass()) {
            throw new IllegalArgumentException("guidance scale " + condition.guidance() + " needs a null class, and this "
                    + "model has none (each of its " + net.classes() + " class embeddings is a class): sample with guidance"
                    + " 1, or, if its last class embedding is the unconditional one, set \"studio_null_class\": true in its"
                    + " unet/config.json");
        }
        return Guidance.guided((x, t, labels) -> net.forward(x, t, labels, false), condition.labels(), net.nullClass(),
                condition.guidance(), condition.rescale());
    }

    private static long[] nulls(long n, int nullClass) {
        long[] out = new long[Math.toIntExact(n)];
        Arrays.fill(out, nullClass);
        return out;
    }

    /** Decodes the denoiser's latents with this pipeline's latent scale. */
    public NDArray decode(LatentAutoencoder ae, NDArray latents) {
        double use = latentScale != null ? latentScale : ae.scalingFactor();
        // decodeLatents divides by the autoencoder's factor: rescale so the division is by the one in use
        return ae.decodeLatents(use == ae.scalingFactor() ? latents : latents.mul((float) (ae.scalingFactor() / use)));
    }

    /** Loads the pipeline's autoencoder onto {@code manager}; the caller closes it (unless it is borrowed). */
    public LatentAutoencoder loadAutoencoder(NDManager manager) throws IOException {
        if (autoencoder == null) {
            throw new IllegalStateException(origin + " has no autoencoder");
        }
        return sharedAutoencoder != null ? sharedAutoencoder : autoencoder.loader().load(manager);
    }

    /** The pipeline class an export is written as. */
    private String pipelineClass(boolean latent) {
        return latent ? "LDMPipeline" : pipelineClass.equals("LDMPipeline") ? "DDPMPipeline" : pipelineClass;
    }

    /** A {@code UNet2DModel}'s folder: config (with the class names as {@code id2label}) and weights. */
    private void saveUnet2D(UNet2DModel unet, Path dir, Map<String, String> metadata) throws IOException {
        UNetWeights.writeConfig(unet.config(), dir);
        if (!classNames.isEmpty()) {
            Path cfg = dir.resolve(PipelineFolder.MODEL_CONFIG);
            com.fasterxml.jackson.databind.ObjectMapper json = new com.fasterxml.jackson.databind.ObjectMapper();
            com.fasterxml.jackson.databind.node.ObjectNode n =
                    (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(cfg.toFile());
            com.fasterxml.jackson.databind.node.ObjectNode labels = n.putObject("id2label");
            for (int k = 0; k < classNames.size(); k++) {
                labels.put(Integer.toString(k), classNames.get(k));
            }
            AtomicFiles.writeString(cfg, json.writerWithDefaultPrettyPrinter().writeValueAsString(n));
        }
        UNetWeights.writeWeights(unet, dir.resolve(UNetWeights.DIFFUSERS_WEIGHTS), metadata);
    }

    /**
     * Writes the pipeline as a diffusers pipeline folder in {@code dir} (subfolder layout):
     * {@code model_index.json}, {@code unet/} (config and weights, with {@code metadata}),
     * {@code scheduler/scheduler_config.json}, and for a latent pipeline {@code vqvae/} — so that
     * {@code DiffusionPipeline.from_pretrained(dir)} gives images. Loads what is not in memory onto
     * {@code manager}. Returns what diffusers will not do as the studio does (empty when nothing).
     */
    public List<String> save(Path dir, Map<String, String> metadata, NDManager manager) throws IOException {
        List<String> notes = new ArrayList<>();
        try (NDManager m = manager.newSubManager()) {
            Files.createDirectories(dir.resolve("unet"));
            Files.createDirectories(dir.resolve("scheduler"));
            DiffusionNetwork unet = sharedUnet != null ? sharedUnet : unetLoader.load(m);
            try {
                if (unet instanceof ClassConditionalUNet cc) {
                    UNetConditionWeights.save(cc.unet(), dir.resolve("unet"), metadata);
                    ClassEmbedderWeights.save(cc.classTokens(), classNames, dir.resolve(PipelineFolder.CLASS_EMBEDDER),
                            metadata);
                    notes.add("its U-Net is a UNet2DConditionModel conditioned on a class token from "
                            + PipelineFolder.CLASS_EMBEDDER + "/ (LDM's ClassEmbedder): diffusers' " + pipelineClass(autoencoder != null)
                            + " does not pass encoder_hidden_states, so load the two components and call"
                            + " unet(x, t, encoder_hidden_states=embedding.weight[labels][:, None])");
                } else {
                    saveUnet2D((UNet2DModel) unet, dir.resolve("unet"), metadata);
                }
            } finally {
                if (unet != sharedUnet) {
                    unet.close();
                }
            }
            AtomicFiles.writeString(dir.resolve("scheduler").resolve(PipelineFolder.SCHEDULER_CONFIG),
                    scheduler.toJsonString());
            Map<String, String> components = new LinkedHashMap<>();
            if (autoencoder != null) {
                // LDMPipeline decodes vqvae.decode(latents / vqvae.config.scaling_factor): the autoencoder goes
                // along with the scaling factor in use, so diffusers hands back images, not latents
                LatentAutoencoder ae = loadAutoencoder(m);
                components.put("vqvae", ae.kind());
                try {
                    if (ae instanceof VQModel vq) {
                        VQConfig c = vq.config();
                        VaeWeights.saveVq(vq, latentScale == null ? c : c.withScalingFactor(latentScale), dir.resolve("vqvae"));
                    } else {
                        AutoencoderKL kl = (AutoencoderKL) ae;
                        VaeConfig c = kl.config();
                        VaeWeights.save(kl, latentScale == null ? c : c.withScalingFactor(latentScale), dir.resolve("vqvae"),
                                null);
                        Double shift = c.shiftFactor();
                        if (shift != null && shift != 0) {
                            notes.add("its autoencoder has shift_factor " + shift
                                    + ", which diffusers' LDMPipeline does not add back");
                        }
                    }
                } finally {
                    if (ae != sharedAutoencoder) {
                        ae.close();
                    }
                }
            }
            components.put("scheduler", scheduler.className());
            components.put("unet", network.className());
            if (network.isCrossAttention()) {
                components.put(PipelineFolder.CLASS_EMBEDDER, ClassEmbedderWeights.CLASS_NAME);
            }
            String cls = pipelineClass(autoencoder != null);
            AtomicFiles.writeString(dir.resolve(PipelineFolder.INDEX), PipelineFolder.index(cls, components).toPrettyString());
        }
        UNetConfig unetConfig = network.unet();
        List<Integer> widths = unetConfig == null ? List.of() : unetConfig.widthsWithOtherHeadsInDiffusers();
        if (!widths.isEmpty()) {
            int mid = unetConfig.blockOutChannels().get(unetConfig.levels() - 1);
            notes.add("diffusers will not compute it as the studio does: this network has " + unetConfig.numHeads()
                    + " attention heads at every width, but diffusers' attention_head_dim (" + mid / unetConfig.numHeads()
                    + ") gives " + widths.stream().map(c -> c + " channels " + c * unetConfig.numHeads() / mid + " heads")
                            .toList() + " (the studio samples it exactly; a network trained with model.head_dim"
                    + " instead of model.num_heads has diffusers' head semantics)");
        }
        return notes;
    }
}

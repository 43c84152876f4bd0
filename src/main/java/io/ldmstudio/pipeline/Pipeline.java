package io.ldmstudio.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.config.SamplerKind;
import io.ldmstudio.diffusion.DdimSampler;
import io.ldmstudio.diffusion.DdpmSampler;
import io.ldmstudio.diffusion.DpmSolverPlusPlusSampler;
import io.ldmstudio.diffusion.Sampler;
import io.ldmstudio.diffusion.SamplingLoop;
import io.ldmstudio.diffusion.SchedulerConfig;
import io.ldmstudio.diffusion.StepListener;
import io.ldmstudio.nn.GradMode;
import io.ldmstudio.nn.LatentAutoencoder;
import io.ldmstudio.nn.UNet2DModel;
import io.ldmstudio.nn.UNetConfig;
import io.ldmstudio.pipeline.NetworkDenoiser;
import io.ldmstudio.util.Rng;
import io.ldmstudio.weights.UNetWeights;
import io.ldmstudio.weights.VaeWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * A diffusers pipeline opened from its folder — the counterpart of {@code DiffusionPipeline}: the
 * denoiser ({@code UNet2DModel}), the scheduler config read as the class the pipeline names, and, for an
 * {@code LDMPipeline}, the autoencoder ({@code AutoencoderKL} or {@code VQModel}) that turns latents into
 * images. Opening reads configs only; {@link #generate} loads the weights for the call, on the manager
 * it is given, and frees them.
 *
 * <p>The latent scale is the autoencoder config's {@code scaling_factor} unless set with
 * {@link #withLatentScale}: some published models were trained with another scale than their config
 * says ({@code CompVis/ldm-celebahq-256}: 1.0, where its config has the default 0.18215).
 */
public final class Pipeline {
    private final PipelineFolder folder;
    private final UNetConfig unetConfig;
    private final SchedulerConfig scheduler;
    private final Double latentScale;
    private final Double configScale;
    private final int[] autoencoderShape; // {f, latent channels, image channels}; null without one

    private Pipeline(PipelineFolder folder, UNetConfig unetConfig, SchedulerConfig scheduler, Double configScale,
            int[] autoencoderShape, Double latentScale) {
        this.folder = folder;
        this.unetConfig = unetConfig;
        this.scheduler = scheduler;
        this.configScale = configScale;
        this.autoencoderShape = autoencoderShape;
        this.latentScale = latentScale;
    }

    /** Opens the pipeline folder at {@code dir} (either layout); every problem names its file. */
    public static Pipeline open(Path dir) throws IOException {
        PipelineFolder folder = PipelineFolder.open(dir);
        PipelineFolder.Component unet = folder.component("unet").orElseThrow();
        UNetConfig uc = UNetWeights.readConfig(unet.config());
        PipelineFolder.Component sc = folder.component("scheduler").orElseThrow();
        SchedulerConfig scheduler;
        try {
            // the class the pipeline names, from whatever class wrote the file (diffusers' from_config)
            scheduler = SchedulerConfig.parse(Files.readString(sc.config()), sc.config().toString(), sc.className());
        } catch (IllegalArgumentException e) {
            throw new IOException(e.getMessage(), e);
        }
        Double configScale = null;
        int[] shape = null;
        Optional<PipelineFolder.Component> ae = folder.component("vqvae");
        if (ae.isPresent()) {
            Path aeDir = ae.get().config().getParent();
            if (ae.get().className().equals("VQModel")) {
                io.ldmstudio.nn.VQConfig vc = VaeWeights.readVqConfig(aeDir);
                configScale = vc.scalingFactor();
                shape = new int[] {1 << (vc.blockOutChannels().size() - 1), vc.vqEmbedDim(), vc.outChannels()};
            } else {
                io.ldmstudio.nn.VaeConfig vc = VaeWeights.readConfig(aeDir);
                configScale = vc.scalingFactor();
                shape = new int[] {1 << (vc.blockOutChannels().size() - 1), vc.latentChannels(), vc.outChannels()};
            }
            if (uc.inChannels() != shape[1]) {
                throw new IOException(unet.config() + ": in_channels " + uc.inChannels() + " but the " + ae.get().className()
                        + " in " + aeDir + " makes " + shape[1] + "-channel latents");
            }
        }
        return new Pipeline(folder, uc, scheduler, configScale, shape, null);
    }

    /** The same pipeline decoding with latent scale {@code scale} (> 0) instead of its config's. */
    public Pipeline withLatentScale(double scale) {
        if (!(scale > 0) || !Double.isFinite(scale)) {
            throw new IllegalArgumentException("latent scale: must be a positive number, got " + scale);
        }
        if (autoencoderShape == null) {
            throw new IllegalArgumentException("latent scale: " + folder.dir() + " is a " + folder.pipelineClass()
                    + " in pixel space, with no autoencoder to scale for");
        }
        return new Pipeline(folder, unetConfig, scheduler, configScale, autoencoderShape, scale);
    }

    public PipelineFolder folder() {
        return folder;
    }

    public UNetConfig unetConfig() {
        return unetConfig;
    }

    /** The scheduler config, read as the class the pipeline names. */
    public SchedulerConfig scheduler() {
        return scheduler;
    }

    public boolean hasAutoencoder() {
        return autoencoderShape != null;
    }

    /** The latent scale the decoder divides by: the one set, else the autoencoder config's; empty in pixel space. */
    public Optional<Double> latentScale() {
        return Optional.ofNullable(latentScale != null ? latentScale : configScale);
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

    /** The denoiser's input shape for {@code n} images: (n, C, H, W). */
    public long[] noiseShape(int n) {
        return new long[] {n, unetConfig.inChannels(), unetConfig.sampleSize(), unetConfig.sampleSize()};
    }

    /** The images' size: the U-Net's, times f when an autoencoder decodes. */
    public int imageSize() {
        return unetConfig.sampleSize() * (autoencoderShape == null ? 1 : autoencoderShape[0]);
    }

    /** The images' channels. */
    public int imageChannels() {
        return autoencoderShape == null ? unetConfig.outChannels() : autoencoderShape[2];
    }

    /**
     * What to generate: a sampler (null: the pipeline's scheduler class), its steps and η (DDIM), the seed
     * of x_T and of stochastic steps, n images — or {@code noise}, a given x_T of {@link #noiseShape}.
     */
    public record Request(SamplerKind sampler, int steps, double eta, long seed, int n, float[] noise) {
        public Request {
            if (n < 1 || n > 1024) {
                throw new IllegalArgumentException("n " + n + ": expected 1..1024 images");
            }
            if (steps < 1) {
                throw new IllegalArgumentException("steps " + steps + ": expected at least 1");
            }
            if (eta < 0 || eta > 1) {
                throw new IllegalArgumentException("eta " + eta + ": expected a value in [0, 1]");
            }
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

    /**
     * Generates on {@code manager}'s device: loads the weights, samples from x_T (the request's noise or the
     * seed's) with {@code listener} told of every step, decodes latents, frees everything it loaded.
     */
    public Result generate(Request req, NDManager manager, StepListener listener, BooleanSupplier cancelled)
            throws IOException {
        SamplerKind kind = req.sampler() == null ? defaultSampler() : req.sampler();
        Sampler sampler = sampler(kind, req.eta());
        sampler.setTimesteps(req.steps());
        long[] shape = noiseShape(req.n());
        if (req.noise() != null && req.noise().length != Arrays.stream(shape).reduce(1, Math::multiplyExact)) {
            throw new IllegalArgumentException("noise: " + req.noise().length + " values where x_T of " + req.n()
                    + " images is " + new Shape(shape) + " for " + folder.dir());
        }
        long t0 = System.nanoTime();
        GradMode.disable();
        try (NDManager m = manager.newSubManager()) {
            UNet2DModel unet = new UNet2DModel(unetConfig);
            unet.initialize(m, new Rng(0), false);
            unet.loadStateDict(UNetWeights.readFor(unet, folder.component("unet").orElseThrow().weights()), m);
            NDArray x = SamplingLoop.sample(new NetworkDenoiser(unet), sampler, new Shape(shape), req.noise(), req.seed(),
                    m, listener, cancelled);
            int res = unetConfig.sampleSize();
            int c = unetConfig.outChannels();
            if (autoencoderShape != null) {
                try (LatentAutoencoder ae = loadAutoencoder(m)) {
                    x = decode(ae, x);
                }
                res = imageSize();
                c = imageChannels();
            }
            float[] all = x.clip(-1, 1).toFloatArray();
            unet.close();
            return new Result(io.ldmstudio.data.Grids.split(all, req.n(), c * res * res), c, res, res, kind,
                    (System.nanoTime() - t0) / 1e9);
        }
    }

    /** Decodes the denoiser's latents with this pipeline's latent scale. */
    public NDArray decode(LatentAutoencoder ae, NDArray latents) {
        double use = latentScale().orElseThrow();
        // decodeLatents divides by the config's factor: rescale so the division is by the one in use
        return ae.decodeLatents(use == ae.scalingFactor() ? latents : latents.mul((float) (ae.scalingFactor() / use)));
    }

    /** Loads the pipeline's autoencoder onto {@code manager}; the caller closes it. */
    public LatentAutoencoder loadAutoencoder(NDManager manager) throws IOException {
        PipelineFolder.Component ae = folder.component("vqvae")
                .orElseThrow(() -> new IllegalStateException(folder.dir() + " has no autoencoder"));
        Path dir = ae.config().getParent();
        return ae.className().equals("VQModel") ? VaeWeights.loadVq(dir, manager) : VaeWeights.load(dir, manager);
    }
}

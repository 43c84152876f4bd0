package io.ldmstudio.training;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.pipeline.Pipeline;
import io.ldmstudio.config.SamplerKind;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.data.Batch;
import io.ldmstudio.data.ImageSource;
import io.ldmstudio.data.ImageWriter;
import io.ldmstudio.data.LatentCache;
import io.ldmstudio.data.Transform;
import io.ldmstudio.diffusion.NoiseSchedule;
import io.ldmstudio.nn.DiffusionNetwork;
import io.ldmstudio.pipeline.NetworkSpec;
import io.ldmstudio.runs.AtomicFiles;
import io.ldmstudio.weights.UNetConditionWeights;
import io.ldmstudio.runs.Run;
import io.ldmstudio.weights.UNetWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A diffusion run: a U-Net learns to predict the noise of images, or of their latents when the run
 * has an autoencoder (the dataset is then encoded once into the latent cache, and sample grids are
 * decoded). Its sample grids and its export go through the run's {@link Pipeline} ({@link RunPipelines}):
 * a {@code DDPMPipeline}, or an {@code LDMPipeline} with its autoencoder.
 */
final class DiffusionTask implements TrainingTask {

    private final RunConfig config;
    private final NDManager manager;
    private final NetworkSpec network;
    private final NoiseSchedule schedule;
    private final LatentSpace latent;
    private final LatentCache cache;
    private final ImageSource trainSource;
    private final Transform loaderTransform;
    private final TrainedModel<DiffusionNetwork> trained;
    private final DiffusionTrainStep trainStep;

    private DiffusionTask(RunConfig config, NDManager manager, LatentSpace latent, LatentCache cache,
            ImageSource trainSource, Transform loaderTransform) {
        this.config = config;
        this.manager = manager;
        this.latent = latent;
        this.cache = cache;
        this.trainSource = trainSource;
        this.loaderTransform = loaderTransform;
        this.network = RunPipelines.network(config);
        this.schedule = NoiseSchedule.fromConfig(config.diffusion());
        RunConfig.Optim o = config.optim();
        this.trained = TrainedModel.create(network::build, UNetWeights::readFor, manager, o);
        this.trainStep = new DiffusionTrainStep(trained.model(), manager, schedule, trained.optimizer(), trained.ema(),
                o.gradClip(), o.seed()).dropLabels(config.conditioning().dropProb());
        int classes = config.conditioning().conditional() ? config.conditioning().classes() : 0;
        if (trained.model().classes() != classes) {
            trained.close();
            throw new IllegalStateException("conditioning: the run asks for " + classes + " classes but its U-Net has "
                    + trained.model().classes() + " (a class embedding or class tokens are needed for conditioning.type "
                    + config.conditioning().type() + ")");
        }
    }

    /**
     * Prepares a diffusion run over {@code source}: in latent space, loads the autoencoder and opens (or
     * builds) the dataset's latent cache under {@code cacheDir}, logging its progress.
     */
    static DiffusionTask open(RunConfig config, ImageSource source, Path cacheDir, NDManager manager,
            Consumer<String> log) throws IOException {
        if (config.pixelSpace()) {
            return new DiffusionTask(config, manager, null, null, source, Transform.of(config.data()));
        }
        LatentSpace latent = LatentSpace.load(config, manager);
        try {
            Transform imgTf = Transform.of(config.data());
            LatentCache.Key key = new LatentCache.Key(source.describe() + " (" + source.size() + " images)",
                    imgTf.toString(), config.data().resolution(), LatentCache.sha256(latent.weightsFile()) + " x"
                    + latent.vae().scalingFactor(), config.data().flip(), config.autoencoder().cacheDtype());
            log.accept("autoencoder: " + latent.weightsFile() + " (" + latent.vae().kind() + ", f = " + latent.vae().downFactor() + ", latents "
                    + config.unetChannels() + "x" + config.unetResolution() + "x" + config.unetResolution()
                    + ", scaling factor " + latent.vae().scalingFactor() + ")");
            int total = source.size() * (config.data().flip() ? 2 : 1);
            int[] lastLogged = {0};
            long t0 = System.nanoTime();
            LatentCache cache = LatentCache.openOrBuild(cacheDir, key, source, imgTf, latent, LatentCache.ENCODE_BATCH, n -> {
                if (n - lastLogged[0] >= Math.max(1, total / 10) || n == total) {
                    lastLogged[0] = n;
                    log.accept("encoding the dataset into latents: " + n + "/" + total);
                }
            }, log);
            double seconds = (System.nanoTime() - t0) / 1e9;
            String origin = cache.origin().name().toLowerCase(Locale.ROOT).replace('_', ' ');
            log.accept("latent cache " + cache.file() + ": " + origin + (cache.origin() == LatentCache.Origin.REUSED ? ""
                    : String.format(Locale.ROOT, " (%d images encoded in %.1f s, %.0f images/s)", total, seconds,
                    total / Math.max(seconds, 1e-9))));
            return new DiffusionTask(config, manager, latent, cache, cache.asSource(source),
                    Transform.shapeOnly(cache.latentSize(), cache.channels()));
        } catch (IOException | RuntimeException e) {
            latent.close();
            throw e;
        }
    }

    @Override
    public ImageSource trainingSource() {
        return trainSource;
    }

    @Override
    public Transform loaderTransform() {
        return loaderTransform;
    }

    @Override
    public String describe() {
        int c = config.unetChannels();
        int res = config.unetResolution();
        return String.format(Locale.ROOT, network.className() + ": %,d parameters, %dx%dx%d input, %s schedule T=%d, %s prediction",
                trained.model().parameterCount(), c, res, res, config.diffusion().schedule(),
                config.diffusion().timesteps(), config.diffusion().prediction());
    }

    @Override
    public TrainedModel<?> trained() {
        return trained;
    }

    @Override
    public boolean useMixedPrecision(MixedPrecision mp) {
        trainStep.mixedPrecision(mp);
        return true;
    }

    @Override
    public StepResult step(long step, Batch batch, double lr) {
        Shape shape = new Shape(batch.size(), batch.channels(), batch.height(), batch.width());
        return trainStep.run(step, batch.data(), batch.labels(), shape, lr);
    }

    @Override
    public void writeSamples(long step, Path file, java.util.function.BooleanSupplier cancelled) throws IOException {
        writeSampleGrid(config, trained.forInference(config.sampling().useEma()), manager, file, latent, cancelled,
                trainSource.classNames());
    }

    @Override
    public EvalSamples evalSamples(RunConfig.Eval e, java.util.function.BooleanSupplier cancelled)
            throws IOException {
        RunConfig.Sampling s = config.sampling();
        String key = e.samplerFor(s);
        SamplerKind kind = SamplerKind.parse(key, "eval.sampler");
        DiffusionNetwork model = trained.forInference(true);
        Pipeline pipeline = RunPipelines.live(config, model, latent, key);
        int n = e.n();
        int classes = model.classes();
        int len = config.data().channels() * config.data().resolution() * config.data().resolution();
        float[] images = new float[n * len];
        int[] requested = classes > 0 ? new int[n] : null;
        for (int from = 0, chunk = 0; from < n; from += EVAL_CHUNK, chunk++) {
            int k = Math.min(EVAL_CHUNK, n - from);
            Pipeline.Condition condition = null;
            if (classes > 0) {
                int[] labels = new int[k];
                for (int i = 0; i < k; i++) {
                    labels[i] = (from + i) % classes;
                    requested[from + i] = labels[i];
                }
                condition = new Pipeline.Condition(labels, config.conditioning().guidance(), 0);
            }
            try (NDManager sub = manager.newSubManager()) {
                Pipeline.Result r = pipeline.generate(new Pipeline.Request(kind, e.stepsFor(s), 0, s.seed() + chunk, k,
                        null, condition), sub, null, cancelled);
                for (int i = 0; i < k; i++) {
                    float[] img = r.images().get(i);
                    if (img.length != len) {
                        throw new IllegalStateException("an evaluation sample has " + img.length + " values, not "
                                + len);
                    }
                    System.arraycopy(img, 0, images, (from + i) * len, len);
                }
            }
            if (cancelled.getAsBoolean()) {
                throw new java.util.concurrent.CancellationException("evaluation cancelled");
            }
        }
        return new EvalSamples(images, n, requested);
    }

    @Override
    public void writeCheckpointFiles(Path dir) throws IOException {
        if (network.isCrossAttention()) {
            AtomicFiles.writeString(dir.resolve(UNetWeights.CONFIG), UNetConditionWeights.diffusersConfig(
                    network.crossAttention()).toPrettyString());
        } else {
            UNetWeights.writeConfig(network.unet(), dir);
        }
        Files.writeString(dir.resolve("scheduler_config.json"), RunPipelines.scheduler(config, null).toJsonString());
    }

    /**
     * Writes {@code exports/diffusers/} as a diffusers pipeline folder: {@code model_index.json},
     * {@code unet/} (config + diffusion_pytorch_model.safetensors) and {@code scheduler/} — a
     * {@code DDPMPipeline} for a pixel run; a latent run's is an {@code LDMPipeline} with its autoencoder
     * in {@code vqvae/} (an {@code AutoencoderKL}), so {@code LDMPipeline.from_pretrained(folder)} gives
     * decoded images.
     */
    @Override
    public String export(Run run, long step) throws IOException {
        Path dir = run.exportsDir().resolve("diffusers");
        Pipeline pipeline = RunPipelines.live(config, trained.forInference(true), latent);
        if (pipeline.classes() > 0 && trainSource.classNames().size() == pipeline.classes()) {
            pipeline = pipeline.withClassNames(trainSource.classNames());
        }
        List<String> notes = pipeline.save(dir, io.ldmstudio.config.TrainedOn.of(config).addTo(Map.of("step",
                Long.toString(step))), manager);
        return "exported a diffusers " + pipeline.pipelineClass() + " (" + (trained.ema() != null ? "EMA" : "raw")
                + " weights" + (latent != null ? ", with its autoencoder as vqvae" : "") + ") to " + dir
                + notes.stream().map(n -> "; " + n).collect(java.util.stream.Collectors.joining());
    }

    @Override
    public void close() {
        if (cache != null) {
            cache.close();
        }
        if (latent != null) {
            latent.close();
        }
        trained.close();
    }

    /**
     * Samples the fixed-seed grid (the same noise every time) through the run's pipeline and writes it as a
     * PNG. A class-conditional network's grid is one row per class, labelled with its name, of
     * ⌈sampling.n / classes⌉ images at guidance {@code conditioning.guidance}.
     */
    static Path writeSampleGrid(RunConfig config, DiffusionNetwork model, NDManager manager, Path file, LatentSpace latent,
            java.util.function.BooleanSupplier cancelled, List<String> classNames) throws IOException {
        RunConfig.Sampling s = config.sampling();
        SamplerKind kind = SamplerKind.parse(s.sampler(), "sampling.sampler");
        Pipeline pipeline = RunPipelines.live(config, model, latent);
        int classes = model.classes();
        if (classes == 0) {
            Pipeline.Result r = pipeline.generate(new Pipeline.Request(kind, s.steps(), s.eta(), s.seed(), s.n(), null),
                    manager, null, cancelled);
            ImageWriter.writeGrid(r.images(), r.channels(), r.height(), r.width(), file);
            return file;
        }
        int cols = Math.max(1, (s.n() + classes - 1) / classes);
        int[] labels = new int[classes * cols];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = i / cols;
        }
        Pipeline.Result r = pipeline.generate(new Pipeline.Request(kind, s.steps(), s.eta(), s.seed(), labels.length, null,
                new Pipeline.Condition(labels, config.conditioning().guidance(), 0)), manager, null, cancelled);
        List<String> rows = new java.util.ArrayList<>();
        for (int k = 0; k < classes; k++) {
            rows.add(k < classNames.size() ? classNames.get(k) : "class " + k);
        }
        ImageWriter.writePng(io.ldmstudio.data.Grids.labelledRows(r.images(), r.channels(), r.height(), r.width(), cols,
                rows), file);
        return file;
    }
}

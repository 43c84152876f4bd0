package io.ldmstudio.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.data.Batch;
import io.ldmstudio.data.DataLoader;
import io.ldmstudio.data.Grids;
import io.ldmstudio.data.ImageSource;
import io.ldmstudio.data.ImageWriter;
import io.ldmstudio.data.LatentCache;
import io.ldmstudio.data.Transform;
import io.ldmstudio.data.Sources;
import io.ldmstudio.diffusion.NoiseSchedule;
import io.ldmstudio.diffusion.Sampler;
import io.ldmstudio.diffusion.Samplers;
import io.ldmstudio.diffusion.SamplingLoop;
import io.ldmstudio.nn.GradMode;
import io.ldmstudio.nn.UNet2DModel;
import io.ldmstudio.nn.UNetConfig;
import io.ldmstudio.runs.Checkpoint;
import io.ldmstudio.runs.MetricsRow;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.RunStatus;
import io.ldmstudio.service.Devices;
import io.ldmstudio.util.Rng;
import io.ldmstudio.weights.SafeTensors;
import io.ldmstudio.weights.UNetWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Trains a diffusion U-Net for one run folder: the loop, metrics, fixed-seed sample grids,
 * crash-safe checkpoints and resume. Runs on the calling thread, which owns the model and every
 * tensor; watchers get {@link TrainingListener} events.
 */
public final class Trainer {
    /** How a call to {@link #run} ended. */
    public enum Outcome { FINISHED, STOPPED, FAILED }

    public static final String MODEL_FILE = "model.safetensors";
    public static final String EMA_FILE = "ema.safetensors";
    public static final String OPTIMIZER_FILE = "optimizer.safetensors";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final Run run;
    private final Devices.DeviceInfo device;
    private final List<TrainingListener> listeners = new CopyOnWriteArrayList<>();
    private long totalStepsOverride;
    private String failure;
    private MixedPrecision mixed;

    public Trainer(Run run, Devices.DeviceInfo device) {
        this.run = run;
        this.device = device;
    }

    public Trainer addListener(TrainingListener l) {
        listeners.add(l);
        return this;
    }

    /** Trains to this many steps instead of the config's {@code optim.steps} (e.g. to extend a run). */
    public Trainer totalSteps(long steps) {
        this.totalStepsOverride = steps;
        return this;
    }

    /** Why the last run failed, when it did. */
    public String failure() {
        return failure;
    }

    private void log(String line) {
        run.log(line);
        for (TrainingListener l : listeners) {
            l.onLog(line);
        }
    }

    private void state(RunStatus s, String message) throws IOException {
        run.setState(s, message);
        for (TrainingListener l : listeners) {
            l.onState(s, message);
        }
    }

    /** Checks that a config can be trained: a latent run needs its autoencoder on disk. */
    public static void checkTrainable(RunConfig config) {
        if (!config.pixelSpace()) {
            RunConfig.Autoencoder ae = config.autoencoder();
            if (ae.path() == null || !Files.exists(Path.of(ae.path()))) {
                String where = ae.path() == null ? "(autoencoder.path is not set)" : "at " + ae.path() + " (not found)";
                throw new IllegalStateException("preset '" + config.preset() + "' trains in latent space and needs the KL "
                        + "autoencoder " + where + ": put a diffusers AutoencoderKL folder (config.json + "
                        + "diffusion_pytorch_model.safetensors) or a single .safetensors file there, or --set "
                        + "autoencoder.path=...; or train in pixel space with --set autoencoder.kind=none");
            }
        }
    }

    /**
     * Trains from the run's newest checkpoint (or from scratch when it has none) to the last step.
     * Stop requests save a checkpoint first. A non-finite loss stops the run, keeping the last good
     * checkpoint.
     */
    public Outcome run(TrainingControl control) throws IOException {
        RunConfig config = run.config();
        GradMode.disable(); // this thread owns the model; gradients only inside collectors
        try {
            checkTrainable(config);
        } catch (IllegalStateException e) {
            failure = e.getMessage();
            log("cannot start: " + failure);
            state(RunStatus.FAILED, failure);
            return Outcome.FAILED;
        }
        RunConfig.Optim o = config.optim();
        long totalSteps = totalStepsOverride > 0 ? totalStepsOverride : o.steps();
        run.recordEnvironment(device.engine() + " " + device.engineVersion(), device.device().toString());
        state(RunStatus.RUNNING, "starting");
        log("LDM Studio training '" + run.name() + "' (preset " + config.preset() + ") on " + device.describe());
        mixed = null;
        if (o.mixedPrecision()) {
            if (device.isGpu()) {
                mixed = new MixedPrecision(ai.djl.ndarray.types.DataType.FLOAT16);
                log("mixed precision: float16 forward and backward on " + device.name()
                        + ", float32 master weights, dynamic loss scale from " + (long) MixedPrecision.INITIAL_SCALE);
            } else {
                log("optim.mixed_precision is ignored on the CPU: training in float32");
            }
        }

        ImageSource source;
        try {
            source = Sources.open(config.data());
        } catch (RuntimeException e) {
            failure = e.getMessage();
            log("cannot open the dataset: " + failure);
            state(RunStatus.FAILED, failure);
            return Outcome.FAILED;
        }
        log("dataset: " + source.describe() + ", " + source.size() + " images");
        if (!source.skipped().isEmpty()) {
            log("skipped " + source.skipped().size() + " unreadable file(s):");
            for (ImageSource.Skipped s : source.skipped()) {
                log("  skipped " + s.path() + ": " + s.reason());
            }
        }

        int channels = config.unetChannels();
        int res = config.unetResolution();
        UNetConfig uc = UNetConfig.of(config.model(), channels, res);
        NoiseSchedule schedule = NoiseSchedule.fromConfig(config.diffusion());
        LrSchedule lrs = LrSchedule.of(o);
        LatentSpace latent = null;
        LatentCache cache = null;
        try (NDManager manager = NDManager.newBaseManager(device.device())) {
            ImageSource trainSource = source;
            Transform loaderTf = Transform.of(config.data());
            if (!config.pixelSpace()) {
                latent = LatentSpace.load(config, manager);
                Transform imgTf = Transform.of(config.data());
                LatentCache.Key key = new LatentCache.Key(source.describe() + " (" + source.size() + " images)",
                        imgTf.toString(), config.data().resolution(), LatentCache.sha256(latent.weightsFile()) + " x"
                        + config.autoencoder().scalingFactor(), config.data().flip(), config.autoencoder().cacheDtype());
                Path cacheDir = run.dir().toAbsolutePath().getParent().getParent().resolve("cache").resolve("latents");
                log("autoencoder: " + latent.weightsFile() + " (f = " + latent.vae().downFactor() + ", latents "
                        + channels + "x" + res + "x" + res + ")");
                int total = source.size() * (config.data().flip() ? 2 : 1);
                int[] lastLogged = {0};
                cache = LatentCache.openOrBuild(cacheDir, key, source, imgTf, latent, 16, n -> {
                    if (n - lastLogged[0] >= Math.max(1, total / 10) || n == total) {
                        lastLogged[0] = n;
                        log("encoding the dataset into latents: " + n + "/" + total);
                    }
                });
                log("latent cache " + cache.file() + ": " + cache.origin().name().toLowerCase(Locale.ROOT).replace('_', ' '));
                trainSource = cache.asSource(source);
                loaderTf = Transform.shapeOnly(cache.latentSize(), cache.channels());
            }
            UNet2DModel unet = new UNet2DModel(uc);
            unet.initialize(manager, new Rng(o.seed()), true);
            Ema<UNet2DModel> ema = null;
            if (o.emaDecay() > 0) {
                UNet2DModel shadow = new UNet2DModel(uc);
                shadow.initialize(manager, new Rng(o.seed()), false);
                ema = new Ema<>(unet, shadow, o.emaDecay());
            }
            AdamW opt = new AdamW(unet, manager, o.beta1(), o.beta2(), o.eps(), o.weightDecay());
            log(String.format(Locale.ROOT, "U-Net: %,d parameters, %dx%dx%d input, %s schedule T=%d, %s prediction",
                    unet.parameterCount(), channels, res, res, config.diffusion().schedule(),
                    config.diffusion().timesteps(), config.diffusion().prediction()));

            long step = 0;
            long position = 0;
            double elapsed = 0;
            Optional<Checkpoint> cp = run.latestCheckpoint();
            if (cp.isPresent()) {
                JsonNode st = JSON.readTree(cp.get().dir().resolve(Run.CHECKPOINT_STATE).toFile());
                unet.loadStateDict(UNetWeights.readFor(unet, cp.get().dir().resolve(MODEL_FILE)), manager);
                if (ema != null && Files.exists(cp.get().dir().resolve(EMA_FILE))) {
                    ema.model().loadStateDict(UNetWeights.readFor(ema.model(), cp.get().dir().resolve(EMA_FILE)), manager);
                    ema.setUpdates(st.path("ema_updates").asLong());
                }
                Map<String, float[]> optState = new LinkedHashMap<>();
                SafeTensors.read(cp.get().dir().resolve(OPTIMIZER_FILE)).tensors()
                        .forEach((k, v) -> optState.put(k, v.toFloatArray()));
                opt.load(optState, st.path("optimizer_step").asLong());
                step = st.path("step").asLong();
                if (mixed != null && st.has("loss_scale")) {
                    mixed.restore(st.path("loss_scale").asDouble(), st.path("loss_scale_clean_steps").asInt(),
                            st.path("overflow_skipped").asLong());
                }
                position = st.path("data_position").asLong();
                elapsed = st.path("elapsed_seconds").asDouble();
                log("resumed from " + cp.get().dir().getFileName() + " at step " + step);
            }
            DiffusionTrainStep trainStep = new DiffusionTrainStep(unet, manager, schedule, opt, ema, o.gradClip(), o.seed());
            trainStep.mixedPrecision(mixed);
            RunConfig.Logging lg = config.logging();
            long lastCheckpoint = step;
            double lossSum = 0;
            double lastGradNorm = Double.NaN;
            int lossCount = 0;
            long intervalStart = System.nanoTime();
            int intervalImages = 0;
            try (DataLoader loader = new DataLoader(trainSource, loaderTf, o.batchSize(), o.seed(), config.data().flip(),
                    config.data().workers(), config.data().limit(), position)) {
                while (step < totalSteps) {
                    if (control.isPaused()) {
                        state(RunStatus.PAUSED, "paused at step " + step);
                        try {
                            control.awaitUnpaused();
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            control.requestStop();
                        }
                        if (!control.stopRequested()) {
                            state(RunStatus.RUNNING, "resumed at step " + step);
                        }
                        intervalStart = System.nanoTime();
                    }
                    if (control.stopRequested() || Thread.currentThread().isInterrupted()) {
                        if (step > lastCheckpoint) {
                            checkpoint(unet, ema, opt, uc, schedule, config, step, loader.position(), elapsed, lossSum / Math.max(1, lossCount));
                        }
                        log("stopped at step " + step);
                        state(RunStatus.STOPPED, "stopped at step " + step);
                        return Outcome.STOPPED;
                    }
                    long t0 = System.nanoTime();
                    Batch batch = loader.next();
                    Shape shape = new Shape(batch.size(), batch.channels(), batch.height(), batch.width());
                    long next = step + 1;
                    double lr = lrs.lr(next);
                    DiffusionTrainStep.Result r = trainStep.run(next, batch.data(), shape, lr);
                    if (r.overflow()) {
                        // routine under float16: the step is skipped, the scale halved, training goes on
                        if (Long.bitCount(mixed.skipped()) == 1) {
                            log(String.format(Locale.ROOT, "step %d: float16 gradients overflowed, step skipped; "
                                    + "loss scale now %.0f (%d skipped so far)", next, mixed.scale(), mixed.skipped()));
                        }
                    } else if (!r.applied()) {
                        String last = lastCheckpoint > 0 ? "step-" + String.format(Locale.ROOT, "%08d", lastCheckpoint)
                                : "none yet";
                        failure = String.format(Locale.ROOT,
                                "%s at step %d (lr %.3g, loss %s, grad norm %s): the run stopped without applying it; "
                                        + "the last good checkpoint is %s — resume with a lower optim.lr or a grad_clip",
                                Double.isFinite(r.loss()) ? "non-finite gradient" : "non-finite loss", next, lr,
                                r.loss(), r.gradNorm(), last);
                        log(failure);
                        state(RunStatus.FAILED, failure);
                        return Outcome.FAILED;
                    }
                    step = next;
                    double dt = (System.nanoTime() - t0) / 1e9;
                    elapsed += dt;
                    lossSum += r.loss();
                    lossCount++;
                    if (Double.isFinite(r.gradNorm())) {
                        lastGradNorm = r.gradNorm();
                    }
                    intervalImages += batch.size();
                    double ips = batch.size() / Math.max(dt, 1e-9);
                    for (TrainingListener l : listeners) {
                        l.onStep(new TrainingListener.StepEvent(step, totalSteps, r.loss(), lr, r.gradNorm(), ips, elapsed));
                    }
                    if (step % lg.logEvery() == 0 || step == totalSteps) {
                        double secs = (System.nanoTime() - intervalStart) / 1e9;
                        Map<String, Double> extra = new LinkedHashMap<>();
                        extra.put("epoch", (double) (loader.position() / Math.max(1, loader.epochSize())));
                        extra.put("wall", System.currentTimeMillis() / 1000.0);
                        MetricsRow row = new MetricsRow(step, lossSum / lossCount, lr, lastGradNorm,
                                intervalImages / Math.max(secs, 1e-9), elapsed, extra);
                        run.appendMetrics(row);
                        for (TrainingListener l : listeners) {
                            l.onMetrics(row);
                        }
                        lossSum = 0;
                        lossCount = 0;
                        intervalImages = 0;
                        intervalStart = System.nanoTime();
                    }
                    if (step % lg.sampleEvery() == 0 || step == totalSteps) {
                        Path grid = writeSampleGrid(config, schedule, ema != null && config.sampling().useEma()
                                ? ema.model() : unet, manager, run.sampleGrid(step), latent);
                        for (TrainingListener l : listeners) {
                            l.onSample(step, grid);
                        }
                    }
                    if (step % lg.checkpointEvery() == 0 || step == totalSteps || control.takeCheckpointRequest()) {
                        checkpoint(unet, ema, opt, uc, schedule, config, step, loader.position(), elapsed, r.loss());
                        lastCheckpoint = step;
                    }
                }
                Path export = exportDiffusers(ema != null ? ema.model() : unet, uc, config, step);
                log("exported a diffusers DDPMPipeline (" + (ema != null ? "EMA" : "raw") + " weights) to " + export);
            } finally {
                if (cache != null) {
                    cache.close();
                }
                if (latent != null) {
                    latent.close();
                }
                opt.close();
                unet.close();
                if (ema != null) {
                    ema.model().close();
                }
            }
        } catch (IOException | RuntimeException e) {
            failure = e.getMessage() == null ? e.toString() : e.getMessage();
            log("failed: " + failure);
            state(RunStatus.FAILED, failure);
            throw e;
        }
        log("finished at step " + totalSteps);
        state(RunStatus.FINISHED, "finished at step " + totalSteps);
        return Outcome.FINISHED;
    }

    private void checkpoint(UNet2DModel unet, Ema<UNet2DModel> ema, AdamW opt, UNetConfig uc, NoiseSchedule schedule,
            RunConfig config, long step, long dataPosition, double elapsed, double loss) throws IOException {
        Map<String, String> meta = Map.of("step", Long.toString(step), "preset", String.valueOf(config.preset()));
        Checkpoint saved = run.saveCheckpoint(step, dir -> {
            UNetWeights.writeWeights(unet, dir.resolve(MODEL_FILE), meta);
            if (ema != null) {
                UNetWeights.writeWeights(ema.model(), dir.resolve(EMA_FILE), meta);
            }
            Map<String, SafeTensors.Source> os = new LinkedHashMap<>();
            Map<String, ai.djl.ndarray.types.Shape> shapes = new LinkedHashMap<>();
            unet.namedParameters().forEach((k, p) -> shapes.put(k, p.shape()));
            for (Map.Entry<String, float[]> e : opt.state().entrySet()) {
                String param = e.getKey().substring(e.getKey().indexOf('.') + 1);
                os.put(e.getKey(), SafeTensors.Source.of(e.getValue(), shapes.get(param).getShape()));
            }
            SafeTensors.write(dir.resolve(OPTIMIZER_FILE), os, meta, "F32");
            UNetWeights.writeConfig(uc, dir);
            Files.writeString(dir.resolve("scheduler_config.json"),
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsString(schedulerConfig(config)));
            ObjectNode st = JSON.createObjectNode();
            st.put("step", step);
            st.put("optimizer_step", opt.stepCount());
            st.put("ema_updates", ema == null ? 0 : ema.updates());
            if (mixed != null) {
                st.put("loss_scale", mixed.scale());
                st.put("loss_scale_clean_steps", mixed.cleanSteps());
                st.put("overflow_skipped", mixed.skipped());
            }
            st.put("data_position", dataPosition);
            st.put("seed", config.optim().seed());
            st.put("elapsed_seconds", elapsed);
            st.put("loss", loss);
            st.put("engine", device.engine() + " " + device.engineVersion());
            st.put("device", device.device().toString());
            Files.writeString(dir.resolve(Run.CHECKPOINT_STATE), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(st));
        });
        List<Path> pruned = run.pruneCheckpoints(config.logging().keepCheckpoints());
        log("checkpoint " + saved.dir().getFileName() + (pruned.isEmpty() ? "" : " (removed " + pruned.size() + " older)"));
        for (TrainingListener l : listeners) {
            l.onCheckpoint(step, saved.dir());
        }
    }

    /**
     * Writes {@code exports/diffusers/} as a diffusers {@code DDPMPipeline} folder: {@code model_index.json},
     * {@code unet/} (config + diffusion_pytorch_model.safetensors) and {@code scheduler/}, so
     * {@code DDPMPipeline.from_pretrained(folder)} opens the trained model.
     */
    private Path exportDiffusers(UNet2DModel model, UNetConfig uc, RunConfig config, long step) throws IOException {
        Path dir = run.exportsDir().resolve("diffusers");
        Files.createDirectories(dir.resolve("unet"));
        Files.createDirectories(dir.resolve("scheduler"));
        UNetWeights.writeConfig(uc, dir.resolve("unet"));
        UNetWeights.writeWeights(model, dir.resolve("unet").resolve(UNetWeights.DIFFUSERS_WEIGHTS),
                Map.of("step", Long.toString(step)));
        io.ldmstudio.runs.AtomicFiles.writeString(dir.resolve("scheduler").resolve("scheduler_config.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(schedulerConfig(config)));
        ObjectNode index = JSON.createObjectNode();
        index.put("_class_name", "DDPMPipeline");
        index.put("_diffusers_version", "0.27.0");
        index.putArray("scheduler").add("diffusers").add("DDPMScheduler");
        index.putArray("unet").add("diffusers").add("UNet2DModel");
        io.ldmstudio.runs.AtomicFiles.writeString(dir.resolve("model_index.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(index));
        return dir;
    }

    /** diffusers DDPMScheduler config matching the run's schedule, saved beside the weights. */
    static ObjectNode schedulerConfig(RunConfig config) {
        RunConfig.Diffusion d = config.diffusion();
        ObjectNode n = JSON.createObjectNode();
        n.put("_class_name", "DDPMScheduler");
        n.put("_diffusers_version", "0.27.0");
        n.put("num_train_timesteps", d.timesteps());
        n.put("beta_schedule", switch (d.schedule()) {
            case "cosine" -> "squaredcos_cap_v2";
            case "quadratic" -> "scaled_linear";
            default -> "linear";
        });
        n.put("beta_start", d.betaStart());
        n.put("beta_end", d.betaEnd());
        n.put("prediction_type", d.prediction());
        n.put("variance_type", "fixed_small");
        n.put("clip_sample", config.pixelSpace());
        return n;
    }

    /** Samples the fixed-seed grid (the same noise every time) and writes it as a PNG. */
    static Path writeSampleGrid(RunConfig config, NoiseSchedule schedule, UNet2DModel model, NDManager manager,
            Path file, LatentSpace latent) throws IOException {
        RunConfig.Sampling s = config.sampling();
        int c = config.unetChannels();
        int res = config.unetResolution();
        Sampler sampler = Samplers.fromConfig(config, schedule);
        float[] values;
        try (NDManager sm = manager.newSubManager()) {
            NDArray x = SamplingLoop.sample(new NetworkDenoiser(model), sampler, new Shape(s.n(), c, res, res), s.seed(), sm, null);
            values = x.toFloatArray();
        }
        if (latent != null) { // decode the latents into images
            values = latent.decode(values, s.n(), res);
            c = latent.vae().config().outChannels();
            res = config.data().resolution();
        }
        ImageWriter.writeGrid(Grids.split(values, s.n(), c * res * res), c, res, res, file);
        return file;
    }
}

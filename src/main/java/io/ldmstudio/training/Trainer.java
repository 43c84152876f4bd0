package io.ldmstudio.training;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ldmstudio.config.Presets;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.data.Batch;
import io.ldmstudio.data.DataLoader;
import io.ldmstudio.data.ImageSource;
import io.ldmstudio.data.Sources;
import io.ldmstudio.nn.GradMode;
import io.ldmstudio.runs.Checkpoint;
import io.ldmstudio.runs.EvalRow;
import io.ldmstudio.runs.MetricsRow;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.RunStatus;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.pipeline.Autoencoders;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Trains one run folder: the loop, metrics, fixed grids, crash-safe checkpoints and resume, for
 * whatever the run's {@code task} says it trains — a diffusion U-Net ({@link DiffusionTask}) or a KL
 * autoencoder ({@link AutoencoderTask}). Runs on the calling thread, which owns the model and every
 * tensor; watchers get {@link TrainingListener} events.
 */
public final class Trainer {
    /** How a call to {@link #run} ended. */
    public enum Outcome { FINISHED, STOPPED, FAILED }

    private static final ObjectMapper JSON = new ObjectMapper();
    /** How many parameters with non-finite gradients log.txt names (the message names three). */
    static final int NON_FINITE_LOGGED = 25;

    private final Run run;
    private final Devices.DeviceInfo device;
    private final List<TrainingListener> listeners = new CopyOnWriteArrayList<>();
    private long totalStepsOverride;
    private String failure;
    private MixedPrecision mixed;
    private SampleScorer.Factory scorers;
    private double evalSeconds;
    private int evaluations;

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

    /**
     * Installs what scores the samples of a run with {@code eval.every} &gt; 0 (the service installs the
     * {@code FD_<dataset>} scorer); without one such a run is refused at start.
     */
    public Trainer scorers(SampleScorer.Factory factory) {
        this.scorers = factory;
        return this;
    }

    /** Evaluations done by the last call of {@link #run}, and their total wall-clock seconds. */
    public int evaluations() {
        return evaluations;
    }

    /** The wall-clock seconds the evaluations of the last call of {@link #run} took. */
    public double evaluationSeconds() {
        return evalSeconds;
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

    /**
     * Logs the files {@code source} has skipped since the scan — images that turned out not to decode
     * when loaded, which the data loader left out — that are not in {@code logged} yet.
     */
    private void logNewSkips(ImageSource source, Set<String> logged) {
        for (ImageSource.Skipped s : source.skipped()) {
            if (logged.add(s.path())) {
                log("skipped " + s.path() + " (does not decode; left out of training): " + s.reason());
            }
        }
    }

    private void state(RunStatus s, String message) throws IOException {
        // listeners first: one that mirrors progress into the folder writes the last step before a follower
        // can see the new state (a pause shows the step it paused at, not one from 250 ms before)
        for (TrainingListener l : listeners) {
            l.onState(s, message);
        }
        run.setState(s, message);
    }

    /**
     * Checks that a config can be trained: a latent diffusion run needs its autoencoder on disk (a
     * studio autoencoder run must have weights already).
     */
    public static void checkTrainable(RunConfig config) {
        if (config.trainsAutoencoder() || config.pixelSpace()) {
            return;
        }
        RunConfig.Autoencoder ae = config.autoencoder();
        if (ae.path() == null || !Files.exists(Path.of(ae.path()))) {
            String where = ae.path() == null ? "(autoencoder.path is not set)" : "at " + ae.path() + " (not found)";
            String train = ae.path() == null ? "" : trainHint(Path.of(ae.path()));
            throw new IllegalStateException("preset '" + config.preset() + "' trains in latent space and needs the KL "
                    + "autoencoder " + where + ": " + train + "put a studio autoencoder run folder, a diffusers "
                    + "AutoencoderKL folder (config.json + diffusion_pytorch_model.safetensors) or a single .safetensors "
                    + "file there, or --set autoencoder.path=...; or train in pixel space with --set autoencoder.kind=none");
        }
        if (Run.isRunFolder(Path.of(ae.path()))) {
            try {
                Autoencoders.runWeights(Path.of(ae.path()));
            } catch (IOException e) {
                throw new IllegalStateException("preset '" + config.preset() + "': autoencoder.path " + e.getMessage(), e);
            }
        }
    }

    /**
     * Everything that can be known wrong before a run is created or started, so that a bad value is
     * refused where it was given instead of leaving a failed run: {@link #checkTrainable}, the data
     * source ({@code data.path} exists and holds images: {@link Sources#check}) and, for a latent
     * run, finite autoencoder weights.
     */
    public static void checkStartable(RunConfig config) throws IOException {
        checkTrainable(config);
        Sources.check(config.data());
        if (!config.trainsAutoencoder() && !config.pixelSpace()) {
            Path ae = Path.of(config.autoencoder().path());
            io.ldmstudio.weights.WeightFiles.checkFinite(Autoencoders.resolve(ae, (Double) null).weightsFile());
        }
    }

    /**
     * A class-conditional run's classes: the dataset's, which must have labels; recorded in the run (the
     * config's {@code conditioning.classes} and the names beside it) the first time, checked afterwards.
     */
    private RunConfig conditioning(RunConfig config, ImageSource source) throws IOException {
        RunConfig.Conditioning c = config.conditioning();
        List<String> names = source.classNames();
        if (names.isEmpty()) {
            throw new IllegalStateException("conditioning.type " + c.type() + " needs labelled images, but "
                    + source.describe() + " has no classes: use a folder of class sub-folders, CIFAR-10, IDX files or"
                    + " the procedural shapes, or --set conditioning.type=none");
        }
        if (c.classes() != 0 && c.classes() != names.size()) {
            throw new IllegalStateException("conditioning.classes is " + c.classes() + " but " + source.describe()
                    + " has " + names.size() + " classes (" + String.join(", ", names) + ")");
        }
        if (c.classes() == 0 || run.classNames().isEmpty()) {
            c = c.withClasses(names.size());
            run.recordClasses(c, names);
        }
        String route = c.crossAttention() ? String.format(Locale.ROOT, "cross-attention to a class token (%d wide, %d"
                + " transformer layer(s) per attention block)", c.crossAttentionDim(), c.transformerLayersPerBlock())
                : "class embedding";
        log(String.format(Locale.ROOT, "conditioning: %d classes (%s) by %s; labels dropped to the null"
                + " class with p = %s; sample grids one row per class at guidance w = %s", names.size(),
                String.join(", ", names), route, c.dropProb(), c.guidance()));
        return config.withConditioning(c);
    }

    /**
     * "train it first with `vae train --preset NAME --run NAME`, " when {@code path} is a run folder
     * {@code .../runs/NAME} of an autoencoder preset NAME (with {@code --workspace} when the runs are
     * not in ./workspace); "" otherwise.
     */
    private static String trainHint(Path path) {
        Path abs = path.toAbsolutePath().normalize();
        String name = abs.getFileName() == null ? "" : abs.getFileName().toString();
        Path runs = abs.getParent();
        if (runs == null || runs.getFileName() == null || !runs.getFileName().toString().equals("runs")
                || !Presets.standard().exists(name)) {
            return "";
        }
        Path workspace = runs.getParent();
        boolean standard = workspace != null && workspace.equals(Path.of("workspace").toAbsolutePath().normalize());
        return "train it first with `vae train --preset " + name + " --run " + name
                + (standard || workspace == null ? "" : " --workspace " + workspace) + "`, ";
    }

    /**
     * Trains from the run's newest checkpoint (or from scratch when it has none) to the last step.
     * Stop requests save a checkpoint first. A non-finite loss stops the run, keeping the last good
     * checkpoint.
     */
    public Outcome run(TrainingControl control) throws IOException {
        try {
            return train(control);
        } finally {
            closeScorer();
        }
    }

    private Outcome train(TrainingControl control) throws IOException {
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
        runStart = System.nanoTime();
        evalSeconds = 0;
        evaluations = 0;
        scorer = null;
        run.recordEnvironment(device.engine() + " " + device.engineVersion(), device.device().toString());
        state(RunStatus.RUNNING, "starting");
        log("LDM Studio training '" + run.name() + "' (preset " + config.preset() + ", task " + config.task() + ") on "
                + device.describe() + ", process " + ProcessHandle.current().pid());
        try {
            Map<Path, Long> temps = run.deleteTemporaryFiles();
            if (!temps.isEmpty()) {
                long bytes = temps.values().stream().mapToLong(Long::longValue).sum();
                log(String.format(Locale.ROOT, "deleted %d temporary file(s) left by an interrupted write (%.1f MB): %s",
                        temps.size(), bytes / 1e6, temps.keySet().stream().map(p -> run.dir().relativize(p).toString())
                                .collect(java.util.stream.Collectors.joining(", "))));
            }
        } catch (IOException e) {
            log("could not delete the temporary files of an interrupted write: " + e.getMessage());
        }
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
        String described = source.describe();
        log("dataset: " + described + (described.contains(source.size() + " images") ? "" : ", " + source.size() + " images"));
        if (config.conditioning().conditional()) {
            try {
                config = conditioning(config, source);
            } catch (IllegalStateException e) {
                failure = e.getMessage();
                log("cannot start: " + failure);
                state(RunStatus.FAILED, failure);
                return Outcome.FAILED;
            }
        }
        Set<String> loggedSkips = new HashSet<>();
        List<ImageSource.Skipped> scanSkipped = source.skipped();
        if (!scanSkipped.isEmpty()) {
            log("skipped " + scanSkipped.size() + " unreadable file(s):");
            for (ImageSource.Skipped s : scanSkipped) {
                loggedSkips.add(s.path());
                log("  skipped " + s.path() + ": " + s.reason());
            }
        }

        LrSchedule lrs = LrSchedule.of(o);
        try (NDManager manager = NDManager.newBaseManager(device.device());
                TrainingTask task = openTask(config, source, manager)) {
            log(task.describe());
            logNewSkips(task.trainingSource(), loggedSkips); // e.g. found while encoding latents
            long step = 0;
            long position = 0;
            double elapsed = 0;
            Optional<Checkpoint> cp = run.latestCheckpoint();
            if (cp.isPresent()) {
                JsonNode st = JSON.readTree(cp.get().dir().resolve(Run.CHECKPOINT_STATE).toFile());
                task.trained().restore(cp.get().dir(), st);
                step = st.path("step").asLong();
                if (mixed != null && st.has("loss_scale")) {
                    mixed.restore(st.path("loss_scale").asDouble(), st.path("loss_scale_clean_steps").asInt(),
                            st.path("overflow_skipped").asLong());
                }
                position = st.path("data_position").asLong();
                elapsed = st.path("elapsed_seconds").asDouble();
                log("resumed from " + cp.get().dir().getFileName() + " at step " + step);
            }
            state(RunStatus.RUNNING, step == 0 ? "training from the start" : "training from step " + step);
            int dropped = run.truncateMetricsAfter(step);
            if (dropped > 0) {
                log("dropped " + dropped + " metrics row(s) after step " + step + " from " + Run.METRICS
                        + ": training goes on from " + (step == 0 ? "the start (no checkpoint)" : "that checkpoint"));
            }
            RunConfig.Eval ev = config.eval();
            Run.Best best = null;
            if (ev.enabled()) {
                try {
                    if (scorers == null) {
                        throw new IllegalStateException("eval.every is " + ev.every() + " but nothing that scores"
                                + " samples was installed in this trainer");
                    }
                    scorer = scorers.open(config, run, this::log);
                } catch (IllegalStateException | IOException e) {
                    failure = "eval.metric " + ev.metric() + ": " + e.getMessage();
                    log("cannot start: " + failure);
                    state(RunStatus.FAILED, failure);
                    return Outcome.FAILED;
                }
                String metric = scorer.name();
                best = run.best().filter(b -> b.metric().equals(metric)).orElse(null);
                log(String.format(Locale.ROOT, "evaluation: %s every %d steps and at the last, %d samples (EMA"
                        + " weights, %s %d steps, seeds from %d)%s", metric, ev.every(), ev.n(),
                        ev.samplerFor(config.sampling()), ev.stepsFor(config.sampling()), config.sampling().seed(),
                        best == null ? "" : String.format(Locale.ROOT, "; best so far %s = %.4f at step %d (%s/%s)",
                                metric, best.value(), best.step(), Run.CHECKPOINTS, Run.BEST)));
            }
            if (mixed != null && !task.useMixedPrecision(mixed)) {
                log("optim.mixed_precision is not available for " + config.task() + " runs: training in float32");
                mixed = null;
            }
            RunConfig.Logging lg = config.logging();
            long lastCheckpoint = step;
            long checkpointNanos = lg.checkpointMinutes() > 0 ? (long) (lg.checkpointMinutes() * 60e9) : Long.MAX_VALUE;
            long lastCheckpointTime = System.nanoTime();
            double lossSum = 0;
            Map<String, Double> partSums = new LinkedHashMap<>();
            double lastGradNorm = Double.NaN;
            int lossCount = 0;
            long intervalStart = System.nanoTime();
            int intervalImages = 0;
            try (DataLoader loader = new DataLoader(task.trainingSource(), task.loaderTransform(), o.batchSize(), o.seed(),
                    config.data().flip(), config.data().workers(), config.data().limit(), position)) {
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
                            checkpoint(task, config, step, loader.position(), elapsed, lossSum / Math.max(1, lossCount));
                        }
                        log("stopped at step " + step);
                        state(RunStatus.STOPPED, "stopped at step " + step);
                        return Outcome.STOPPED;
                    }
                    long t0 = System.nanoTime();
                    Batch batch = loader.next();
                    logNewSkips(loader.source(), loggedSkips);
                    long next = step + 1;
                    double lr = lrs.lr(next);
                    StepResult r = task.step(next, batch, lr);
                    if (r.overflow()) {
                        // routine under float16: the step is skipped, the scale halved, training goes on
                        if (Long.bitCount(mixed.skipped()) == 1) {
                            log(String.format(Locale.ROOT, "step %d: float16 gradients overflowed, step skipped; "
                                    + "loss scale now %.0f (%d skipped so far)", next, mixed.scale(), mixed.skipped()));
                        }
                    } else if (!r.applied()) {
                        String last = lastCheckpoint > 0 ? "step-" + String.format(Locale.ROOT, "%08d", lastCheckpoint)
                                : "none yet";
                        StepResult.NonFinite where = r.nonFinite();
                        failure = String.format(Locale.ROOT,
                                "%s at step %d (lr %.3g, loss %s, grad norm %s)%s. The run stopped without applying it; "
                                        + "the last good checkpoint is %s — %s",
                                Double.isFinite(r.loss()) ? "non-finite gradient" : "non-finite loss", next, lr,
                                r.loss(), r.gradNorm(), where == null ? "" : ": " + where.describe(3), last,
                                advice(o, lastCheckpoint));
                        log(failure);
                        if (where != null && where.parameters().size() > 3) {
                            log("parameters with non-finite gradients, nearest the loss first: "
                                    + where.names(NON_FINITE_LOGGED));
                        }
                        state(RunStatus.FAILED, failure);
                        return Outcome.FAILED;
                    }
                    step = next;
                    double dt = (System.nanoTime() - t0) / 1e9;
                    elapsed += dt;
                    lossSum += r.loss();
                    r.parts().forEach((k, v) -> partSums.merge(k, v, Double::sum));
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
                        for (Map.Entry<String, Double> e : partSums.entrySet()) {
                            extra.put(e.getKey(), e.getValue() / lossCount);
                        }
                        MetricsRow row = new MetricsRow(step, lossSum / lossCount, lr, lastGradNorm,
                                intervalImages / Math.max(secs, 1e-9), elapsed, extra);
                        run.appendMetrics(row);
                        for (TrainingListener l : listeners) {
                            l.onMetrics(row);
                        }
                        lossSum = 0;
                        partSums.clear();
                        lossCount = 0;
                        intervalImages = 0;
                        intervalStart = System.nanoTime();
                    }
                    if (step % lg.sampleEvery() == 0 || step == totalSteps) {
                        Path grid = run.sampleGrid(step);
                        try {
                            task.writeSamples(step, grid, control::stopRequested);
                            for (TrainingListener l : listeners) {
                                l.onSample(step, grid);
                            }
                        } catch (java.util.concurrent.CancellationException e) {
                            log("sample grid of step " + step + " not written: a stop was requested");
                        }
                    }
                    EvalRow evaluated = null;
                    if (scorer != null && (step % ev.every() == 0 || step == totalSteps)) {
                        long e0 = System.nanoTime();
                        evaluated = evaluate(task, scorer, config, step, control);
                        intervalStart += System.nanoTime() - e0; // images/s stays the training throughput
                    }
                    boolean requested = control.takeCheckpointRequest();
                    boolean timed = System.nanoTime() - lastCheckpointTime >= checkpointNanos;
                    if (step % lg.checkpointEvery() == 0 || step == totalSteps || requested || timed) {
                        if (timed && step % lg.checkpointEvery() != 0 && step != totalSteps) {
                            double m = lg.checkpointMinutes();
                            log(String.format(Locale.ROOT, "%s minutes since the last checkpoint: one at step %d "
                                    + "(logging.checkpoint_minutes)", m == Math.rint(m) ? String.valueOf((long) m)
                                            : String.format(Locale.ROOT, "%.3g", m), step));
                        }
                        checkpoint(task, config, step, loader.position(), elapsed, r.loss());
                        lastCheckpoint = step;
                        lastCheckpointTime = System.nanoTime();
                    }
                    if (evaluated != null && Double.isFinite(evaluated.value())
                            && (best == null || evaluated.value() < best.value())) {
                        if (lastCheckpoint != step) {
                            checkpoint(task, config, step, loader.position(), elapsed, r.loss());
                            lastCheckpoint = step;
                            lastCheckpointTime = System.nanoTime();
                        }
                        Run.Best previous = best;
                        best = new Run.Best(evaluated.metric(), evaluated.value(), step);
                        run.saveBest(new Checkpoint(step, run.checkpointDir(step)), best);
                        log(String.format(Locale.ROOT, "best %s so far: %.4f at step %d, kept in %s/%s%s",
                                best.metric(), best.value(), step, Run.CHECKPOINTS, Run.BEST, previous == null ? ""
                                        : String.format(Locale.ROOT, " (was %.4f at step %d)", previous.value(),
                                                previous.step())));
                    }
                }
                log(task.export(run, step));
            }
        } catch (IOException | RuntimeException e) {
            failure = describe(e) + lastGood();
            log("failed: " + failure);
            try {
                state(RunStatus.FAILED, failure);
            } catch (IOException stateError) {
                // a full disk: the atomic write needs room for a second copy; overwrite in place instead
                run.setStateInPlace(RunStatus.FAILED, failure);
                for (TrainingListener l : listeners) {
                    l.onState(RunStatus.FAILED, failure);
                }
            }
            throw e;
        }
        closeScorer();
        if (evaluations > 0) {
            double wall = (System.nanoTime() - runStart) / 1e9;
            log(String.format(Locale.ROOT, "evaluations: %d in %.1f s, %.1f%% of this session's %.1f s", evaluations,
                    evalSeconds, 100 * evalSeconds / Math.max(wall, 1e-9), wall));
        }
        log("finished at step " + totalSteps);
        state(RunStatus.FINISHED, "finished at step " + totalSteps);
        return Outcome.FINISHED;
    }

    private SampleScorer scorer;
    private long runStart;

    private void closeScorer() {
        if (scorer != null) {
            scorer.close();
            scorer = null;
        }
    }

    /**
     * Draws and scores the evaluation samples of {@code step} on this thread, appends the row to
     * {@code metrics.jsonl} and tells the listeners; null when a stop request cancelled it.
     */
    private EvalRow evaluate(TrainingTask task, SampleScorer scorer, RunConfig config, long step,
            TrainingControl control) throws IOException {
        RunConfig.Eval ev = config.eval();
        long t0 = System.nanoTime();
        TrainingTask.EvalSamples samples;
        try {
            samples = task.evalSamples(ev, control::stopRequested);
        } catch (java.util.concurrent.CancellationException e) {
            double s = (System.nanoTime() - t0) / 1e9;
            evalSeconds += s;
            log(String.format(Locale.ROOT, "evaluation of step %d not finished: a stop was requested (after %.1f s)",
                    step, s));
            return null;
        }
        double sampling = (System.nanoTime() - t0) / 1e9;
        SampleScorer.Score score = scorer.score(samples.images(), samples.n(), samples.requested());
        double seconds = (System.nanoTime() - t0) / 1e9;
        evalSeconds += seconds;
        evaluations++;
        EvalRow row = new EvalRow(step, scorer.name(), score.value(), samples.n(), ev.samplerFor(config.sampling()),
                ev.stepsFor(config.sampling()), seconds, score.classShare());
        run.appendEval(row);
        log(String.format(Locale.ROOT, "evaluation at step %d: %s = %.4f%s (%d samples, %s %d steps) in %.1f s"
                        + " (%.1f s sampling, %.1f s scoring)%s", step, row.metric(), row.value(),
                Double.isNaN(row.classShare()) ? "" : String.format(Locale.ROOT, ", class share %.1f%%",
                        100 * row.classShare()), row.n(), row.sampler(), row.steps(), seconds, sampling,
                seconds - sampling, score.warning() == null ? "" : "; " + score.warning()));
        for (TrainingListener l : listeners) {
            l.onEval(row);
        }
        return row;
    }

    /** What to try after a non-finite step, for this run's settings. */
    static String advice(RunConfig.Optim o, long lastCheckpoint) {
        String resume = lastCheckpoint > 0 ? "resume from it" : "start it again";
        double lower = o.lr() / 10;
        String lr = String.format(Locale.ROOT, "optim.lr=%.3g", lower);
        if (o.gradClip() > 0) {
            // the clip is on already: only a smaller step (or a longer warm-up) helps
            return String.format(Locale.ROOT, "%s with a lower learning rate (%s; gradients are already clipped at "
                    + "norm %.3g)%s", resume, lr, o.gradClip(), o.warmupSteps() < 500 ? " or a longer optim.warmup_steps" : "");
        }
        return resume + " with gradient clipping (optim.grad_clip=1.0) or a lower learning rate (" + lr + ")";
    }

    /** The exception's message, with the file a file-system error names ("No space left on device" alone does not). */
    private static String describe(Exception e) {
        String m = e.getMessage() == null ? e.toString() : e.getMessage();
        if (e instanceof java.nio.file.FileSystemException fs && fs.getFile() != null && !m.contains(fs.getFile())) {
            m = fs.getFile() + ": " + m;
        }
        if (e instanceof IOException && m.toLowerCase(Locale.ROOT).contains("no space left")) {
            m += " (the disk is full: free space, then resume)";
        }
        return m;
    }

    /** "; the last good checkpoint is step-N" (or that there is none). */
    private String lastGood() {
        try {
            return run.latestCheckpoint().map(c -> "; the last good checkpoint is " + c.dir().getFileName()
                    + " (resume continues from it)").orElse("; there is no checkpoint yet");
        } catch (IOException e) {
            return "";
        }
    }

    /** What the run trains, by its {@code task}. */
    private TrainingTask openTask(RunConfig config, ImageSource source, NDManager manager) throws IOException {
        if (config.trainsAutoencoder()) {
            return AutoencoderTask.open(config, source, manager, this::log);
        }
        Path cacheDir = run.dir().toAbsolutePath().getParent().getParent().resolve("cache").resolve("latents");
        return DiffusionTask.open(config, source, cacheDir, manager, this::log);
    }

    private void checkpoint(TrainingTask task, RunConfig config, long step, long dataPosition, double elapsed,
            double loss) throws IOException {
        Map<String, String> meta = io.ldmstudio.config.TrainedOn.of(config).addTo(Map.of("step", Long.toString(step)));
        Checkpoint saved = run.saveCheckpoint(step, dir -> {
            ObjectNode st = JSON.createObjectNode();
            st.put("step", step);
            task.trained().save(dir, meta, st);
            task.writeCheckpointFiles(dir);
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
}

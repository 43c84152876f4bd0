package io.ldmstudio.service;

import io.ldmstudio.config.RunConfig;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.runs.Run;
import io.ldmstudio.training.FeatureClassifier;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The studio's Evaluate action as a job on a daemon thread of its own: the dataset's classifier (trained and cached
 * first when there is none), the held-out statistics, then the {@link SamplerSweep} of a run, written to its folder.
 * Progress and status go to a {@link Listener} on the job's thread; {@link #cancel} stops it between sampling steps.
 */
public final class EvaluationJob {
    /**
     * What to evaluate.
     *
     * @param source   a run or a diffusers pipeline folder
     * @param data     whose classifier scores the samples; null = what the source was trained on
     *                 ({@link SampleSource#trainedOn}), which a pipeline folder may not say
     * @param guidance for a class-conditional source; null = its default ({@link SampleSource#defaultGuidance})
     * @param out      the folder to write to; null = {@link SampleSource#defaultSweepFolder}
     */
    public record Request(Path workspaceRoot, SampleSource source, RunConfig.Data data, List<String> samplers,
            List<Integer> steps, int n, Double guidance, long seed, Devices.DeviceInfo device, Path out) {
        /** A run's evaluation. */
        public Request(Path workspaceRoot, Run run, RunConfig.Data data, List<String> samplers, List<Integer> steps,
                int n, Double guidance, long seed, Devices.DeviceInfo device, Path out) throws java.io.IOException {
            this(workspaceRoot, SampleSource.of(run), data, samplers, steps, n, guidance, seed, device, out);
        }
    }

    /** What the job found: the sweep, the files written, the classifier that scored it. */
    public record Outcome(SamplerSweep.Result sweep, SamplerSweep.Written files, FeatureClassifier.Info classifier) {}

    /** Told of the job's progress, on the job's thread. */
    public interface Listener {
        /** A line on what the job does now. */
        void status(String text);

        /** The share of the sampling done, 0..1. */
        void progress(double fraction);
    }

    private final AtomicBoolean cancelled = new AtomicBoolean();
    private final CompletableFuture<Outcome> result = new CompletableFuture<>();

    private EvaluationJob() {}

    /** The data a run's samples are scored against by default: its own dataset, as {@code eval fd} names one. */
    public static RunConfig.Data scoringData(RunConfig config) {
        return io.ldmstudio.config.TrainedOn.of(config).data();
    }

    /**
     * The data {@code source} is scored against when none is named: what it was trained on; a pipeline folder that
     * does not say is refused, asking for a dataset.
     */
    public static RunConfig.Data dataOf(SampleSource source) {
        return source.trainedOn().orElseThrow(() -> new IllegalArgumentException(source.describe() + " ("
                + source.dir() + ") does not say what it was trained on: choose the dataset whose classifier scores"
                + " its samples (" + source.channels() + " × " + source.size() + " px images)"));
    }

    /** Starts the job on a new daemon thread. */
    public static EvaluationJob start(Request req, Listener listener) {
        EvaluationJob job = new EvaluationJob();
        Thread t = new Thread(() -> job.work(req, listener), "ldm-evaluate-" + req.source().name());
        t.setDaemon(true);
        t.setPriority(Thread.NORM_PRIORITY - 1);
        t.start();
        return job;
    }

    /** Completes with the outcome, or exceptionally (a {@link CancellationException} when cancelled). */
    public CompletableFuture<Outcome> result() {
        return result;
    }

    /** Asks the job to stop; it ends with a {@link CancellationException} at its next sampling step. */
    public void cancel() {
        cancelled.set(true);
    }

    /** Whether {@link #cancel} was called. */
    public boolean isCancelled() {
        return cancelled.get();
    }

    private void work(Request req, Listener listener) {
        try {
            RunConfig.Data d = req.data() != null ? req.data() : dataOf(req.source());
            listener.status("the dataset classifier (" + d.source() + ", " + d.resolution() + " px): loading, or"
                    + " training it once");
            try (FeatureClassifier c = FeatureClassifier.obtain(req.workspaceRoot(), d,
                    FeatureClassifier.Settings.defaults(), false, listener::status)) {
                DatasetFd.check(c, req.source(), req.n());
                if (cancelled.get()) {
                    throw new CancellationException("evaluation cancelled");
                }
                listener.status("held-out statistics (" + req.n() + " images at most)");
                DatasetFd.Real real = DatasetFd.realStats(c, d, req.n());
                int chunks = (req.n() + DatasetFd.CHUNK - 1) / DatasetFd.CHUNK;
                int total = req.samplers().size() * req.steps().size() * chunks;
                AtomicInteger done = new AtomicInteger();
                SamplerSweep.Result r = SamplerSweep.run(req.source(), DatasetFd.scorer(c, real), req.samplers(),
                        req.steps(), req.n(), req.guidance(), req.seed(), req.device(), new SamplerSweep.Listener() {
                            @Override
                            public void cellStarted(int index, int cells, String sampler, int steps) {
                                listener.status(String.format(Locale.ROOT, "cell %d of %d: %s, %d steps", index + 1,
                                        cells, sampler, steps));
                            }

                            @Override
                            public void line(String text) {
                                listener.progress((double) done.incrementAndGet() / total);
                            }

                            @Override
                            public void cellDone(int index, int cells, SamplerSweep.Cell cell) {
                                listener.status(String.format(Locale.ROOT, "%s %d steps: %s = %.4f, %.2f s",
                                        cell.sampler(), cell.steps(), c.info().metricName(), cell.value(),
                                        cell.seconds()));
                            }
                        }, cancelled::get);
                Path dir = req.out() != null ? req.out()
                        : req.source().defaultSweepFolder(req.workspaceRoot(), Instant.now());
                SamplerSweep.Written w = SamplerSweep.write(r, dir);
                listener.status("written to " + dir);
                result.complete(new Outcome(r, w, c.info()));
            }
        } catch (Throwable e) {
            result.completeExceptionally(cancelled.get() && !(e instanceof CancellationException)
                    ? new CancellationException("evaluation cancelled") : e);
        }
    }
}

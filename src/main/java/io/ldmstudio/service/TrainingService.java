package io.ldmstudio.service;

import io.ldmstudio.engine.Devices;
import io.ldmstudio.runs.Run;
import io.ldmstudio.training.Trainer;
import io.ldmstudio.training.TrainingControl;
import io.ldmstudio.training.TrainingListener;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs training jobs in the background, one thread per run (that thread owns the run's model and
 * tensors). The CLI waits on the job (the studio starts the CLI's {@code resume} as a process of its
 * own: {@link TrainingProcess}). Pause, resume and stop go through the job's {@link TrainingControl},
 * and through the run folder's {@code control.json} ({@link ControlChannel}), so whoever follows the
 * run from its folder can steer it; the job keeps {@code progress.json} current ({@link ProgressFile}). Any run trains here: its config's {@code task} decides whether a
 * diffusion model or a KL autoencoder is trained ({@link Trainer} picks the task); both give the same
 * events, files and controls.
 */
public final class TrainingService {
    private static final AtomicInteger THREADS = new AtomicInteger();
    private volatile io.ldmstudio.training.SampleScorer.Factory scorers =
            DatasetFdScorer.factory(io.ldmstudio.training.FeatureClassifier.Settings.defaults());

    /**
     * What scores the samples of runs with {@code eval.every} &gt; 0 (default: {@link DatasetFdScorer} with the
     * classifier's default settings); tests give one that trains its classifier in fewer steps.
     */
    public TrainingService scorers(io.ldmstudio.training.SampleScorer.Factory factory) {
        this.scorers = factory;
        return this;
    }

    static {
        // no disk cache (and no shutdown hook of ImageIO's) for the grids written while training: see Main
        javax.imageio.ImageIO.setUseCache(false);
    }

    /** A started training run. */
    public static final class Job implements TrainingJob {
        private final Run run;
        private final TrainingControl control = new TrainingControl();
        private final CompletableFuture<Trainer.Outcome> done = new CompletableFuture<>();
        private volatile Trainer trainer;
        private volatile Thread thread;

        Job(Run run) {
            this.run = run;
        }

        public Run run() {
            return run;
        }

        public TrainingControl control() {
            return control;
        }

        /** Completes with the outcome, or exceptionally with what broke the run. */
        public CompletableFuture<Trainer.Outcome> done() {
            return done;
        }

        /** Why the run failed, if it did. */
        public String failure() {
            Trainer t = trainer;
            return t == null ? null : t.failure();
        }

        public boolean isAlive() {
            Thread t = thread;
            return t != null && t.isAlive();
        }
    }

    /**
     * Starts training {@code run} (from its newest checkpoint when it has one), whatever its task,
     * holding the run's training lock until it ends.
     *
     * @throws IllegalStateException when the run is being trained already, here or by another process
     *
     * @param totalSteps train to this step instead of the config's, when &gt; 0
     */
    public Job start(Run run, Devices.DeviceInfo device, long totalSteps, List<TrainingListener> listeners) {
        AutoCloseable lock;
        try {
            lock = run.lockForTraining();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot take the training lock of run '" + run.name() + "'", e);
        }
        Job job = new Job(run);
        Trainer trainer = new Trainer(run, device).scorers(scorers);
        if (totalSteps > 0) {
            trainer.totalSteps(totalSteps);
        }
        listeners.forEach(trainer::addListener);
        ProgressFile progress = new ProgressFile(run);
        trainer.addListener(progress);
        job.trainer = trainer;
        ControlChannel channel = new ControlChannel(run, job.control);
        Thread t = new Thread(() -> {
            channel.start();
            Trainer.Outcome outcome = null;
            Throwable error = null;
            try {
                outcome = trainer.run(job.control);
            } catch (Throwable e) {
                error = e;
            } finally {
                // everything the run writes is written, and the lock free, before anyone learns it ended
                channel.close();
                progress.close();
                try {
                    lock.close();
                } catch (Exception e) {
                    // the OS drops the lock with the process anyway
                }
            }
            if (error != null) {
                job.done.completeExceptionally(error);
            } else {
                job.done.complete(outcome);
            }
        }, "ldm-train-" + run.name() + "-" + THREADS.incrementAndGet());
        job.thread = t;
        t.start();
        return job;
    }
}

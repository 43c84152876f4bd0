package io.ldmstudio.service;

import io.ldmstudio.runs.Run;
import io.ldmstudio.training.Trainer;
import io.ldmstudio.training.TrainingControl;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

/** A run being trained: in this process ({@link TrainingService.Job}) or in another ({@link TrainingProcess.Job}). */
public interface TrainingJob {
    Run run();

    /** Pause, resume, stop (with a checkpoint) and checkpoint-now requests. */
    TrainingControl control();

    /** Completes with the outcome, or exceptionally with what broke the run. */
    CompletableFuture<Trainer.Outcome> done();

    /** Why the run failed, if it did. */
    String failure();

    /** Still training (or waiting to). */
    boolean isAlive();

    /** Blocks until the run has ended; returns its outcome (FAILED also when it threw). */
    default Trainer.Outcome await() throws InterruptedException {
        try {
            return done().get();
        } catch (ExecutionException e) {
            return Trainer.Outcome.FAILED;
        }
    }
}

package io.ldmstudio.training;

import io.ldmstudio.runs.EvalRow;
import io.ldmstudio.runs.MetricsRow;
import io.ldmstudio.runs.RunStatus;
import java.nio.file.Path;

/**
 * What a training run tells its watchers. Called on the training thread: implementations must be
 * quick and must not touch the model (the GUI hands events to the FX thread, coalesced).
 */
public interface TrainingListener {
    /** After every optimiser step. */
    default void onStep(StepEvent e) {}

    /** After a row is appended to metrics.jsonl. */
    default void onMetrics(MetricsRow row) {}

    /** After an evaluation row is appended to metrics.jsonl ({@code eval.every}). */
    default void onEval(EvalRow row) {}

    default void onSample(long step, Path grid) {}

    default void onCheckpoint(long step, Path dir) {}

    default void onState(RunStatus status, String message) {}

    /** A line also written to the run's log.txt. */
    default void onLog(String line) {}

    /** One optimiser step's figures. {@code elapsedSeconds} counts training time across resumes. */
    record StepEvent(long step, long totalSteps, double loss, double lr, double gradNorm, double imagesPerSecond,
            double elapsedSeconds) {}
}

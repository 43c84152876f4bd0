package io.ldmstudio.runs;

import java.nio.file.Path;
import java.time.Instant;

/**
 * A run as a listing shows it.
 *
 * @param name     folder name
 * @param preset   preset it was made from; null if unknown (broken)
 * @param status   from {@code state.json}, or {@link RunStatus#BROKEN}
 * @param message  the state's message, or why the run is broken
 * @param step     the last step logged or checkpointed; 0 if none
 * @param lastLoss the loss of the last metrics row; NaN if none
 * @param created  when the run was created; for a broken run the folder's modification time if known, else null
 * @param dir      the run folder
 * @param task     what the run trains: {@code diffusion} or {@code autoencoder} (RunConfig's task); null if broken
 * @param note     the user's note on the run ({@code note.txt}); empty if none
 * @param checkpointStep the step of the newest complete checkpoint — where a resume starts; 0 if none
 * @param quality  the last evaluation while training and the best one ({@code eval.every}); null if none
 */
public record RunInfo(String name, String preset, RunStatus status, String message, long step, double lastLoss,
                      Instant created, Path dir, String task, String note, long checkpointStep, Quality quality) {

    public RunInfo {
        note = note == null ? "" : note;
    }

    /** A listing entry without evaluations. */
    public RunInfo(String name, String preset, RunStatus status, String message, long step, double lastLoss,
            Instant created, Path dir, String task, String note, long checkpointStep) {
        this(name, preset, status, message, step, lastLoss, created, dir, task, note, checkpointStep, null);
    }

    /**
     * A run's quality as its listing shows it: the last evaluation row of {@code metrics.jsonl} and, when
     * {@code checkpoints/best/} holds one of the same metric, the best.
     *
     * @param best null when there is no best checkpoint of this metric
     */
    public record Quality(EvalRow last, Run.Best best) {
        /** "FD_fashion-mnist 0.8512 at step 1,100 (best 0.8120 at step 825)". */
        public String describe() {
            String s = String.format(java.util.Locale.ROOT, "%s %.4f at step %,d", last.metric(), last.value(),
                    last.step());
            if (!Double.isNaN(last.classShare())) {
                s += String.format(java.util.Locale.ROOT, ", class share %.1f%%", 100 * last.classShare());
            }
            return best == null ? s : s + String.format(java.util.Locale.ROOT, " (best %.4f at step %,d)",
                    best.value(), best.step());
        }
    }

    /** A listing entry without a note or a checkpoint. */
    public RunInfo(String name, String preset, RunStatus status, String message, long step, double lastLoss,
            Instant created, Path dir, String task) {
        this(name, preset, status, message, step, lastLoss, created, dir, task, "", 0);
    }

    /** A listing entry without a known task (a broken run). */
    public RunInfo(String name, String preset, RunStatus status, String message, long step, double lastLoss,
            Instant created, Path dir) {
        this(name, preset, status, message, step, lastLoss, created, dir, null);
    }

    public boolean broken() {
        return status == RunStatus.BROKEN;
    }
}

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
 */
public record RunInfo(String name, String preset, RunStatus status, String message, long step, double lastLoss,
                      Instant created, Path dir, String task) {

    /** A listing entry without a known task (a broken run). */
    public RunInfo(String name, String preset, RunStatus status, String message, long step, double lastLoss,
            Instant created, Path dir) {
        this(name, preset, status, message, step, lastLoss, created, dir, null);
    }

    public boolean broken() {
        return status == RunStatus.BROKEN;
    }
}

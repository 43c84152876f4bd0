package io.ldmstudio.service;

import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.RunProgress;
import io.ldmstudio.training.TrainingListener;
import java.io.IOException;

/**
 * Keeps the run folder's {@code progress.json} ({@link RunProgress}) current for whoever follows the
 * run from its folder: at most every {@value #EVERY_MILLIS} ms, and once more when training ends.
 */
final class ProgressFile implements TrainingListener, AutoCloseable {
    static final long EVERY_MILLIS = 250;

    private final Run run;
    private final long pid = ProcessHandle.current().pid();
    private long lastWrite;
    private StepEvent pending;

    ProgressFile(Run run) {
        this.run = run;
    }

    @Override
    public void onStep(StepEvent e) {
        pending = e;
        long now = System.nanoTime();
        if (now - lastWrite >= EVERY_MILLIS * 1_000_000L) {
            lastWrite = now;
            flush();
        }
    }

    private void flush() {
        StepEvent e = pending;
        if (e == null) {
            return;
        }
        pending = null;
        try {
            new RunProgress(pid, e.step(), e.totalSteps(), e.loss(), e.lr(), e.gradNorm(), e.imagesPerSecond(),
                    e.elapsedSeconds()).write(run);
        } catch (IOException ex) {
            // a follower misses a tick; the metrics and the state are written on their own
        }
    }

    @Override
    public void close() {
        flush();
    }
}

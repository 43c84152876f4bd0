package io.ldmstudio.service;

import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.RunProgress;
import io.ldmstudio.training.TrainingListener;
import java.io.IOException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Keeps the run folder's {@code progress.json} ({@link RunProgress}) current for whoever follows the
 * run from its folder: a daemon thread writes the newest step every {@value #EVERY_MILLIS} ms when
 * there is a new one (so the training thread never waits on the disk, and the last step before a
 * long sample grid shows while the grid is drawn), and once more when training ends.
 */
final class ProgressFile implements TrainingListener, AutoCloseable {
    static final long EVERY_MILLIS = 250;

    private final Run run;
    private final long pid = ProcessHandle.current().pid();
    private final AtomicReference<StepEvent> pending = new AtomicReference<>();
    private final Thread writer;
    private volatile boolean closed;

    ProgressFile(Run run) {
        this.run = run;
        this.writer = new Thread(this::loop, "ldm-progress-" + run.name());
        writer.setDaemon(true);
        writer.start();
    }

    @Override
    public void onStep(StepEvent e) {
        pending.set(e);
    }

    /** A change of state (paused, stopping) writes the newest step now, before the state itself is written. */
    @Override
    public void onState(io.ldmstudio.runs.RunStatus status, String message) {
        flush();
    }

    private final Object tick = new Object();

    private void loop() {
        while (!closed) {
            synchronized (tick) {
                try {
                    tick.wait(EVERY_MILLIS); // not an interrupt: that would break a write under way
                } catch (InterruptedException e) {
                    return;
                }
            }
            if (!closed) {
                flush();
            }
        }
    }

    private synchronized void flush() {
        StepEvent e = pending.getAndSet(null);
        if (e == null) {
            return;
        }
        try {
            new RunProgress(pid, e.step(), e.totalSteps(), e.loss(), e.lr(), e.gradNorm(), e.imagesPerSecond(),
                    e.elapsedSeconds()).write(run);
        } catch (IOException ex) {
            // a follower misses a tick; the metrics and the state are written on their own
        }
    }

    @Override
    public void close() {
        closed = true;
        synchronized (tick) {
            tick.notifyAll();
        }
        try {
            writer.join(5_000); // its write, if one is under way, ends before the run is said to have ended
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        flush();
    }
}

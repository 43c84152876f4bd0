package io.ldmstudio.service;

import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.RunControl;
import io.ldmstudio.training.TrainingControl;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Instant;

/**
 * The trainer's side of the run folder's {@code control.json} ({@link RunControl}): a daemon thread that
 * polls the file every {@value #POLL_MILLIS} ms and passes its requests to the job's
 * {@link TrainingControl}. Requests written before this process started were meant for an earlier
 * trainer and are ignored. The file is deleted when training ends, so the next trainer starts clean.
 */
final class ControlChannel implements AutoCloseable {
    static final long POLL_MILLIS = 200;

    private final Run run;
    private final TrainingControl control;
    private final Instant since;
    private final Thread thread;
    private volatile boolean closed;
    private long checkpointsSeen;

    ControlChannel(Run run, TrainingControl control) {
        this.run = run;
        this.control = control;
        this.since = ProcessHandle.current().info().startInstant().orElse(Instant.now()).minusMillis(1);
        this.thread = new Thread(this::loop, "ldm-control-" + run.name());
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    private void loop() {
        RunControl last = null;
        while (!closed) {
            RunControl c = RunControl.readSince(run, since).orElse(null);
            if (c != null && !c.equals(last)) {
                apply(c);
                last = c;
            }
            try {
                Thread.sleep(POLL_MILLIS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void apply(RunControl c) {
        if (c.stop()) {
            control.requestStop();
        }
        if (c.pause() && !control.isPaused()) {
            control.pause();
        } else if (!c.pause() && control.isPaused()) {
            control.resume();
        }
        if (c.checkpoint() > checkpointsSeen) {
            checkpointsSeen = c.checkpoint();
            control.requestCheckpoint();
        }
    }

    @Override
    public void close() {
        closed = true;
        thread.interrupt();
        try {
            Files.deleteIfExists(run.controlFile());
        } catch (IOException e) {
            // a stale file is ignored by the next trainer (it predates it)
        }
    }
}

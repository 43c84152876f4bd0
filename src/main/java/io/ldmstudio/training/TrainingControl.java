package io.ldmstudio.training;

/** Pause, resume and stop requests for a running trainer; safe to call from any thread. */
public final class TrainingControl {
    private volatile boolean stop;
    private volatile boolean paused;
    private volatile boolean checkpointNow;

    public void requestStop() {
        stop = true;
        synchronized (this) {
            notifyAll();
        }
    }

    public void pause() {
        paused = true;
    }

    public void resume() {
        paused = false;
        synchronized (this) {
            notifyAll();
        }
    }

    /** Asks for a checkpoint after the current step (e.g. before a planned shutdown). */
    public void requestCheckpoint() {
        checkpointNow = true;
    }

    public boolean stopRequested() {
        return stop;
    }

    public boolean isPaused() {
        return paused;
    }

    boolean takeCheckpointRequest() {
        boolean c = checkpointNow;
        checkpointNow = false;
        return c;
    }

    /** Blocks while paused (and not stopping). */
    void awaitUnpaused() throws InterruptedException {
        synchronized (this) {
            while (paused && !stop) {
                wait(200);
            }
        }
    }
}

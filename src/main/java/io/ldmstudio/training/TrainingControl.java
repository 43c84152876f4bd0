package io.ldmstudio.training;

/**
 * Pause, resume, stop and checkpoint requests for a running trainer; safe to call from any thread. A
 * control may pass its requests on (to a training process, through the run folder): see
 * {@link #onChange}.
 */
public final class TrainingControl {
    private volatile boolean stop;
    private volatile boolean paused;
    private volatile boolean checkpointNow;
    private volatile long checkpointRequests;
    private volatile Runnable onChange = () -> {};

    /** Called after every request (on the caller's thread). */
    public void onChange(Runnable r) {
        onChange = r == null ? () -> {} : r;
    }

    public void requestStop() {
        stop = true;
        synchronized (this) {
            notifyAll();
        }
        onChange.run();
    }

    public void pause() {
        paused = true;
        onChange.run();
    }

    public void resume() {
        paused = false;
        synchronized (this) {
            notifyAll();
        }
        onChange.run();
    }

    /** Asks for a checkpoint after the current step (e.g. before a planned shutdown). */
    public void requestCheckpoint() {
        checkpointNow = true;
        checkpointRequests++;
        onChange.run();
    }

    public boolean stopRequested() {
        return stop;
    }

    public boolean isPaused() {
        return paused;
    }

    /** How many checkpoints were asked for so far. */
    public long checkpointRequests() {
        return checkpointRequests;
    }

    /** Sets the flags from what the run folder says (a control attached to a run trained elsewhere); no callback. */
    public void assume(boolean paused, boolean stop, long checkpointRequests) {
        this.paused = paused;
        this.stop = this.stop || stop;
        this.checkpointRequests = Math.max(this.checkpointRequests, checkpointRequests);
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

package io.ldmstudio.service;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Consumer;

/**
 * One daemon thread that owns a model and the manager it was loaded into (DJL arrays are not shared
 * between threads). {@link #model}, {@link #manager}, {@link #load} and {@link #release} are for the
 * thread itself (jobs passed to {@link #submit}); {@link #close} may be called from anywhere, and again.
 *
 * @param <M> what is loaded, freed by the {@code free} given to the constructor before its manager
 */
final class ModelThread<M> implements AutoCloseable {
    /** Loads a model into {@code manager}. */
    interface Loader<M> {
        M load(NDManager manager) throws IOException;
    }

    private final ExecutorService thread;
    private final Consumer<M> free;

    // touched on the thread only
    private NDManager manager;
    private M model;

    ModelThread(String name, int priority, Consumer<M> free) {
        this.free = free;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            t.setPriority(priority);
            return t;
        });
    }

    /** Runs {@code job} on the thread. */
    <T> Future<T> submit(Callable<T> job) {
        return thread.submit(job);
    }

    /** The model held, or null. */
    M model() {
        return model;
    }

    /** The manager the model held lives in, or null. */
    NDManager manager() {
        return manager;
    }

    /** Frees the model held, if any, and loads one into a new manager on {@code device}. */
    M load(Device device, Loader<M> loader) throws IOException {
        release();
        NDManager m = NDManager.newBaseManager(device);
        try {
            model = loader.load(m);
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
        manager = m;
        return model;
    }

    /** Frees the model held, then its manager. */
    void release() {
        if (model != null) {
            free.accept(model);
            model = null;
        }
        if (manager != null) {
            manager.close();
            manager = null;
        }
    }

    /** Frees the model (on the thread) and ends the thread; does nothing once closed. */
    @Override
    public void close() {
        try {
            thread.submit(this::release);
        } catch (RejectedExecutionException e) {
            return; // already closed
        }
        thread.shutdown();
    }
}

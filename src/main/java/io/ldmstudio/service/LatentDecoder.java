package io.ldmstudio.service;

import ai.djl.ndarray.NDManager;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.nn.GradMode;
import io.ldmstudio.training.LatentSpace;
import java.io.IOException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Decodes latents of a latent-space run through its autoencoder on a thread of its own, which loads
 * the autoencoder on first use and owns its tensors (a {@link LatentSpace} lives on the thread that
 * made it). Callers on any other thread wait for the result; the FX thread must not call it.
 */
public final class LatentDecoder implements AutoCloseable {
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final RunConfig config;
    private final Devices.DeviceInfo device;
    private final ExecutorService thread;
    private NDManager manager;
    private LatentSpace space;

    public LatentDecoder(RunConfig config, Devices.DeviceInfo device) {
        this.config = config;
        this.device = device;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "ldm-denoise-decoder-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Decodes scaled latents (n, L, size, size) into images in [-1, 1]; blocks until done. */
    public float[] decode(float[] latents, int n, int size) throws IOException {
        Future<float[]> f = thread.submit(() -> {
            if (space == null) {
                GradMode.disable();
                manager = NDManager.newBaseManager(device.device());
                try {
                    space = LatentSpace.load(config, manager);
                } catch (IOException | RuntimeException e) {
                    manager.close();
                    manager = null;
                    throw e;
                }
            }
            return space.decode(latents, n, size);
        });
        try {
            return f.get();
        } catch (InterruptedException e) {
            f.cancel(false);
            Thread.currentThread().interrupt();
            throw new CancellationException("decoding interrupted");
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) {
                throw io;
            }
            if (c instanceof RuntimeException re) {
                throw re;
            }
            throw new IOException("decoding with the autoencoder failed: " + c, c);
        }
    }

    /** Frees the autoencoder (on its own thread) and ends the thread. */
    @Override
    public void close() {
        try {
            thread.submit(() -> {
                if (space != null) {
                    space.close();
                    space = null;
                }
                if (manager != null) {
                    manager.close();
                    manager = null;
                }
            });
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return; // already closed
        }
        thread.shutdown();
    }
}

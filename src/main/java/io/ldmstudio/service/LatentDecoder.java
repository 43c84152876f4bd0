package io.ldmstudio.service;

import io.ldmstudio.engine.Devices;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.nn.GradMode;
import io.ldmstudio.training.LatentSpace;
import java.io.IOException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
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
    private final ModelThread<LatentSpace> thread;

    public LatentDecoder(RunConfig config, Devices.DeviceInfo device) {
        this.config = config;
        this.device = device;
        this.thread = new ModelThread<>("ldm-denoise-decoder-" + THREADS.incrementAndGet(), Thread.NORM_PRIORITY,
                LatentSpace::close);
    }

    /** Decodes scaled latents (n, L, size, size) into images in [-1, 1]; blocks until done. */
    public float[] decode(float[] latents, int n, int size) throws IOException {
        Future<float[]> f = thread.submit(() -> {
            LatentSpace space = thread.model();
            if (space == null) {
                GradMode.disable();
                space = thread.load(device.device(), m -> LatentSpace.load(config, m));
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

    /** Frees the autoencoder (on its own thread) and ends the thread; does nothing once closed. */
    @Override
    public void close() {
        thread.close();
    }
}

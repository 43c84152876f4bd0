package io.ldmstudio.service;

import io.ldmstudio.engine.Devices;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.nn.GradMode;
import io.ldmstudio.nn.LatentAutoencoder;
import io.ldmstudio.pipeline.Pipeline;
import io.ldmstudio.training.RunPipelines;
import java.io.IOException;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Decodes latents of a latent pipeline (a run's or a published one) through its autoencoder, with its latent
 * scale, on a thread of its own, which loads the autoencoder on first use and owns its tensors. Callers on
 * any other thread wait for the result; the FX thread must not call it.
 */
public final class LatentDecoder implements AutoCloseable {
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final Pipeline pipeline;
    private final Devices.DeviceInfo device;
    private final ModelThread<LatentAutoencoder> thread;

    /** The decoder of a latent-space run. */
    public LatentDecoder(RunConfig config, Devices.DeviceInfo device) {
        this(RunPipelines.of(config, null, null, "run autoencoder " + config.autoencoder().path()), device);
    }

    /** The decoder of a latent pipeline, with its latent scale. */
    public LatentDecoder(Pipeline pipeline, Devices.DeviceInfo device) {
        if (!pipeline.hasAutoencoder()) {
            throw new IllegalArgumentException(pipeline.origin() + " is in pixel space: there is nothing to decode");
        }
        this.pipeline = pipeline;
        this.device = device;
        this.thread = new ModelThread<>("ldm-denoise-decoder-" + THREADS.incrementAndGet(), Thread.NORM_PRIORITY,
                LatentAutoencoder::close);
    }

    /** Decodes scaled latents (n, L, size, size) into images in [-1, 1]; blocks until done. */
    public float[] decode(float[] latents, int n, int size) throws IOException {
        Future<float[]> f = thread.submit(() -> {
            LatentAutoencoder ae = thread.model();
            if (ae == null) {
                GradMode.disable();
                ae = thread.load(device.device(), pipeline::loadAutoencoder);
            }
            try (ai.djl.ndarray.NDManager m = thread.manager().newSubManager()) {
                int c = pipeline.network().inChannels();
                return pipeline.decode(ae, m.create(latents, new ai.djl.ndarray.types.Shape(n, c, size, size)))
                        .clip(-1, 1).toFloatArray();
            }
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

    /** Channels of the images it decodes. */
    public int imageChannels() {
        return pipeline.imageChannels();
    }

    /** Frees the autoencoder (on its own thread) and ends the thread; does nothing once closed. */
    @Override
    public void close() {
        thread.close();
    }
}

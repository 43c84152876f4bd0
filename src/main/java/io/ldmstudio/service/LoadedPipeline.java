package io.ldmstudio.service;

import ai.djl.ndarray.NDManager;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.pipeline.Pipeline;
import java.io.IOException;

/**
 * A pipeline's weights loaded once onto a device, on a manager of their own that {@link #close} frees: what a
 * {@link SampleSource.Generator} holds between its calls.
 */
final class LoadedPipeline implements AutoCloseable {
    private final NDManager manager;
    private final Pipeline.Loaded loaded;

    private LoadedPipeline(NDManager manager, Pipeline.Loaded loaded) {
        this.manager = manager;
        this.loaded = loaded;
    }

    /** Loads {@code p}'s network (and autoencoder) onto {@code device}; nothing is left allocated when it fails. */
    static LoadedPipeline load(Pipeline p, Devices.DeviceInfo device) throws IOException {
        NDManager manager = NDManager.newBaseManager(device.device());
        try {
            return new LoadedPipeline(manager, p.load(manager));
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** The pipeline with its loaded components (valid until {@link #close}). */
    Pipeline pipeline() {
        return loaded.pipeline();
    }

    /** The manager the images are made on. */
    NDManager manager() {
        return manager;
    }

    @Override
    public void close() {
        try {
            loaded.close();
        } finally {
            manager.close();
        }
    }
}

package io.ldmstudio.pipeline;

import ai.djl.ndarray.NDArray;
import io.ldmstudio.diffusion.Denoiser;
import io.ldmstudio.nn.DiffusionNetwork;

/** A network as a sampler's denoiser (inference mode: no dropout). */
public final class NetworkDenoiser implements Denoiser {
    private final DiffusionNetwork model;

    public NetworkDenoiser(DiffusionNetwork model) {
        this.model = model;
    }

    @Override
    public NDArray predict(NDArray xt, NDArray t) {
        return model.forward(xt, t, false);
    }
}

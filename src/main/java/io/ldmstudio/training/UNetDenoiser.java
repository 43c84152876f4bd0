package io.ldmstudio.training;

import ai.djl.ndarray.NDArray;
import io.ldmstudio.diffusion.Denoiser;
import io.ldmstudio.nn.UNet2DModel;

/** A U-Net as a sampler's denoiser (inference mode: no dropout). */
public final class UNetDenoiser implements Denoiser {
    private final UNet2DModel model;

    public UNetDenoiser(UNet2DModel model) {
        this.model = model;
    }

    @Override
    public NDArray predict(NDArray xt, NDArray t) {
        return model.forward(xt, t, false);
    }
}

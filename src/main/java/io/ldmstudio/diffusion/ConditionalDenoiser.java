package io.ldmstudio.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * A class-conditional network's raw output for a noisy batch and one class label per sample ((B) int64;
 * the null class for no condition). {@link Guidance} turns it into the {@link Denoiser} a sampler takes.
 */
@FunctionalInterface
public interface ConditionalDenoiser {
    NDArray predict(NDArray xt, NDArray t, NDArray labels);
}

package io.ldmstudio.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * What a sampler is handed instead of a model: the network's raw output for a noisy batch.
 *
 * <p>{@code xt} has shape (B, C, H, W); {@code t} is a float32 (B) array of integer timesteps in
 * [0, T). The result has the shape of {@code xt} and means ε or v as the schedule's prediction type
 * says. Implementations must not keep references to their arguments.
 */
@FunctionalInterface
public interface Denoiser {
    NDArray predict(NDArray xt, NDArray t);
}

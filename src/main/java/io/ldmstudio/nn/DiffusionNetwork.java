package io.ldmstudio.nn;

import ai.djl.ndarray.NDArray;

/** A network that maps a noisy sample and its timesteps to a prediction of the same shape. */
public abstract class DiffusionNetwork extends Module {
    /**
     * @param x (B, …) noisy sample
     * @param t (B) timesteps
     */
    public abstract NDArray forward(NDArray x, NDArray t, boolean training);

    /** Whether training draws dropout masks (then the engine's RNG is seeded per step). */
    public boolean usesDropout() {
        return false;
    }
}

package io.ldmstudio.nn;

import ai.djl.ndarray.NDArray;

/** A network that maps a noisy sample and its timesteps to a prediction of the same shape. */
public abstract class DiffusionNetwork extends Module {
    /**
     * @param x (B, …) noisy sample
     * @param t (B) timesteps
     */
    public abstract NDArray forward(NDArray x, NDArray t, boolean training);

    /**
     * The prediction for class labels {@code classLabels} ((B) indices; {@link #nullClass()} is the
     * unconditional "null" class classifier-free guidance drops labels to); null: unconditional.
     * Networks without classes refuse labels.
     */
    public NDArray forward(NDArray x, NDArray t, NDArray classLabels, boolean training) {
        if (classLabels != null) {
            throw new IllegalArgumentException("this network is unconditional: it takes no class labels");
        }
        return forward(x, t, training);
    }

    /** The classes it is conditioned on (0: unconditional); their labels are 0 … classes − 1. */
    public int classes() {
        return 0;
    }

    /**
     * Whether it has a null class (the unconditional prediction classifier-free guidance needs): every
     * class-conditional network the studio trains does; a published checkpoint may not.
     */
    public boolean hasNullClass() {
        return classes() > 0;
    }

    /** The label of the null class (no condition): {@link #classes()}, the embedding's last row. */
    public int nullClass() {
        return classes();
    }

    /** Whether training draws dropout masks (then the engine's RNG is seeded per step). */
    public boolean usesDropout() {
        return false;
    }
}

package io.ldmstudio.diffusion;

import ai.djl.ndarray.NDArray;
import io.ldmstudio.util.Rng;

/**
 * One reverse-process algorithm, shaped like a diffusers scheduler. A sampler never holds a model:
 * the caller runs the denoiser and hands its output to {@link #step}.
 *
 * <p>Use: {@link #setTimesteps(int)}, then for each t of {@link #timesteps()} in order, call the
 * network on (x_t, t) and {@code step(output, t, x_t, rng)} to get x_{t_prev}. The network's output
 * is read as ε or v according to {@link NoiseSchedule#prediction()}. New arrays live in the manager of
 * {@code sample}. Not thread-safe; multistep samplers keep state between calls.
 */
public interface Sampler {

    /** The result of one step: x at the next (smaller) timestep, and the x̂0 the step used. */
    record StepOutput(NDArray prevSample, NDArray predX0) {}

    /** Chooses the timesteps for a run of {@code numInferenceSteps} network calls and resets state. */
    void setTimesteps(int numInferenceSteps);

    /** The timesteps of the run, descending; a copy. Empty before {@link #setTimesteps(int)}. */
    int[] timesteps();

    /**
     * One reverse step from {@code sample} = x_t. {@code rng} supplies the fresh noise of stochastic
     * samplers (it may be null for deterministic ones).
     */
    StepOutput step(NDArray modelOutput, int t, NDArray sample, Rng rng);

    /** ddpm | ddim | dpmpp. */
    String name();

    NoiseSchedule schedule();

    /** Forgets state carried between steps (multistep history) and frees its arrays. */
    default void reset() {}
}

package io.ldmstudio.diffusion;

import ai.djl.ndarray.NDArray;
import java.util.Objects;

/**
 * Told about every step of a {@link SamplingLoop}. The arrays are only valid during the call (they
 * are closed when the step's scope ends): copy what you want to keep, as {@link Trajectory} does.
 * Called on the sampling thread.
 */
@FunctionalInterface
public interface StepListener {
    /** Does nothing. */
    StepListener NONE = (stepIndex, t, xt, predX0, predEps) -> {};

    /**
     * Step {@code stepIndex} (0-based) at timestep {@code t}: the input x_t, and the x̂0 and ε̂ the
     * sampler derived from the network's output.
     */
    void onStep(int stepIndex, int t, NDArray xt, NDArray predX0, NDArray predEps);

    /** After each step: {@code completed} of {@code total} steps are done. */
    default void onProgress(int completed, int total) {}

    /** A progress callback for progress bars. */
    @FunctionalInterface
    interface Progress {
        void update(int completed, int total);
    }

    /** A listener that only reports progress. */
    static StepListener progress(Progress progress) {
        Objects.requireNonNull(progress, "progress");
        return new StepListener() {
            @Override
            public void onStep(int stepIndex, int t, NDArray xt, NDArray predX0, NDArray predEps) {}

            @Override
            public void onProgress(int completed, int total) {
                progress.update(completed, total);
            }
        };
    }

    /** This listener, then {@code other}. */
    default StepListener andThen(StepListener other) {
        Objects.requireNonNull(other, "other");
        StepListener first = this;
        return new StepListener() {
            @Override
            public void onStep(int stepIndex, int t, NDArray xt, NDArray predX0, NDArray predEps) {
                first.onStep(stepIndex, t, xt, predX0, predEps);
                other.onStep(stepIndex, t, xt, predX0, predEps);
            }

            @Override
            public void onProgress(int completed, int total) {
                first.onProgress(completed, total);
                other.onProgress(completed, total);
            }
        };
    }
}

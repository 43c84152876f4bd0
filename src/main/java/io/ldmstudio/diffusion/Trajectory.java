package io.ldmstudio.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * A {@link StepListener} that copies x_t, x̂0 and ε̂ of every step to Java float arrays, so the
 * scrubber can show any step after (or while) sampling. Steps are appended on the sampling thread and
 * may be read from any thread.
 *
 * <p>Memory: three copies of the batch per step, e.g. 50 steps of 16×3×32×32 are about 30 MB.
 */
public final class Trajectory implements StepListener {

    /** One step: index, timestep, shape, and flat float32 copies of x_t, x̂0 and ε̂. */
    public record Step(int index, int t, Shape shape, float[] xt, float[] predX0, float[] predEps) {}

    private final List<Step> steps = new ArrayList<>();

    @Override
    public void onStep(int stepIndex, int t, NDArray xt, NDArray predX0, NDArray predEps) {
        Step step = new Step(stepIndex, t, xt.getShape(), floats(xt), floats(predX0),
                floats(predEps));
        synchronized (steps) {
            steps.add(step);
        }
    }

    private static float[] floats(NDArray a) {
        if (a.getDataType() == DataType.FLOAT32) {
            return a.toFloatArray();
        }
        try (NDArray f = a.toType(DataType.FLOAT32, false)) {
            return f.toFloatArray();
        }
    }

    /** Steps recorded so far. */
    public int size() {
        synchronized (steps) {
            return steps.size();
        }
    }

    public Step get(int i) {
        synchronized (steps) {
            return steps.get(i);
        }
    }

    /** A snapshot of the steps recorded so far, in order. */
    public List<Step> steps() {
        synchronized (steps) {
            return List.copyOf(steps);
        }
    }

    /** The timestep of each recorded step. */
    public int[] timesteps() {
        synchronized (steps) {
            return steps.stream().mapToInt(Step::t).toArray();
        }
    }

    /** Shape of the batch, or null before the first step. */
    public Shape shape() {
        synchronized (steps) {
            return steps.isEmpty() ? null : steps.get(0).shape();
        }
    }

    public void clear() {
        synchronized (steps) {
            steps.clear();
        }
    }
}

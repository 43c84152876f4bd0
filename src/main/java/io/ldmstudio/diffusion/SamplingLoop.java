package io.ldmstudio.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.util.Rng;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;

/**
 * Runs a sampler from pure noise to data: x_T ~ N(0, I) from {@code new Rng(seed)}, then for each of
 * {@link Sampler#timesteps()} the denoiser and one {@link Sampler#step}. The same generator then
 * supplies the noise of stochastic steps, so a seed gives the same result on every machine.
 *
 * <p>Memory stays flat: each step runs in its own {@link NDScope}; only the new sample is kept
 * (released from the scope) and the previous one is closed. Everything the denoiser and sampler create
 * during a step is closed at its end, so the denoiser must not create arrays it means to keep while
 * predicting (initialise a model before sampling). The returned sample belongs to {@code manager};
 * nothing else is left in it.
 *
 * <p>Runs under no-grad: call it outside any {@code GradientCollector} (DJL's PyTorch engine has
 * gradients off otherwise). The caller must have called {@link Sampler#setTimesteps(int)}.
 */
public final class SamplingLoop {

    private SamplingLoop() {}

    public static NDArray sample(Denoiser denoiser, Sampler sampler, Shape shape, long seed,
            NDManager manager, StepListener listener) {
        return sample(denoiser, sampler, shape, seed, manager, listener, () -> false);
    }

    /**
     * As {@link #sample(Denoiser, Sampler, Shape, long, NDManager, StepListener)}, checking before
     * each step whether {@code cancelled} says so or the thread is interrupted; if so it frees its
     * arrays and throws {@link CancellationException} (leaving the interrupt flag set).
     */
    public static NDArray sample(Denoiser denoiser, Sampler sampler, Shape shape, long seed,
            NDManager manager, StepListener listener, BooleanSupplier cancelled) {
        return sample(denoiser, sampler, shape, null, seed, manager, listener, cancelled);
    }

    /**
     * As {@link #sample(Denoiser, Sampler, Shape, long, NDManager, StepListener, BooleanSupplier)}, from a
     * given x_T ({@code initial}, {@code shape}'s values in C order) instead of the seed's; the seed still
     * supplies the noise of stochastic steps. {@code initial} null means the seed's x_T.
     */
    public static NDArray sample(Denoiser denoiser, Sampler sampler, Shape shape, float[] initial, long seed,
            NDManager manager, StepListener listener, BooleanSupplier cancelled) {
        Objects.requireNonNull(denoiser, "denoiser");
        Objects.requireNonNull(sampler, "sampler");
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(manager, "manager");
        StepListener l = listener == null ? StepListener.NONE : listener;
        BooleanSupplier stop = cancelled == null ? () -> false : cancelled;
        int[] timesteps = sampler.timesteps();
        if (timesteps.length == 0) {
            throw new IllegalStateException(sampler.name() + ": call setTimesteps(n) before sampling");
        }
        if (shape.dimension() < 1 || shape.size() < 1) {
            throw new IllegalArgumentException("shape must be (B, …) with B ≥ 1: " + shape);
        }
        NoiseSchedule schedule = sampler.schedule();
        int batch = Math.toIntExact(shape.get(0));
        Rng rng = new Rng(seed);

        sampler.reset();
        float[] xT = rng.gaussians(Math.toIntExact(shape.size())); // drawn either way: the steps' noise follows it
        if (initial != null) {
            if (initial.length != shape.size()) {
                throw new IllegalArgumentException("x_T has " + initial.length + " values where " + shape + " needs "
                        + shape.size());
            }
            xT = initial;
        }
        NDArray x = manager.create(xT, shape);
        boolean done = false;
        try {
            for (int i = 0; i < timesteps.length; i++) {
                if (stop.getAsBoolean() || Thread.currentThread().isInterrupted()) {
                    throw new CancellationException(
                            "sampling cancelled at step " + i + " of " + timesteps.length);
                }
                int t = timesteps[i];
                try (NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray tArr = manager.full(new Shape(batch), (float) t, DataType.FLOAT32);
                    NDArray out = denoiser.predict(x, tArr);
                    Sampler.StepOutput so = sampler.step(out, t, x, rng);
                    NDArray eps = schedule.prediction() == Prediction.EPSILON
                            ? out
                            : schedule.predictEps(x, t, out);
                    l.onStep(i, t, x, so.predX0(), eps);

                    NDArray next = so.prevSample();
                    NDScope.unregister(next);
                    if (next.getManager() != manager) {
                        next.attach(manager);
                    }
                    if (next != x) {
                        x.close();
                    }
                    x = next;
                }
                l.onProgress(i + 1, timesteps.length);
            }
            done = true;
            return x;
        } finally {
            sampler.reset();
            if (!done) {
                x.close();
            }
        }
    }
}

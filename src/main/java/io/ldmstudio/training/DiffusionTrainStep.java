package io.ldmstudio.training;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.diffusion.NoiseSchedule;
import io.ldmstudio.nn.DiffusionNetwork;
import io.ldmstudio.util.Rng;
import java.util.function.Function;

/**
 * One optimisation step of the denoising objective (Ho et al. 2020, Algorithm 1): t ~ U{0..T−1},
 * ε ~ N(0, I), x_t = √ᾱ_t x0 + √(1−ᾱ_t) ε, loss = ‖target − f(x_t, t)‖² averaged, where the target is
 * ε (or v); then clip, AdamW and EMA.
 *
 * <p>t and ε come from {@code Rng.of(seed, step)}: a step's randomness depends only on the seed and
 * the step number, so a resumed run draws exactly what the uninterrupted run drew. Everything the step
 * allocates lives in a sub-manager and an {@link NDScope} closed before it returns.
 */
public final class DiffusionTrainStep {
    private final DiffusionNetwork model;
    private final NDManager modelManager;
    private final NoiseSchedule schedule;
    private final ParameterUpdate update;
    private final long seed;
    private final boolean dropout;

    public DiffusionTrainStep(DiffusionNetwork model, NDManager modelManager, NoiseSchedule schedule, AdamW optimizer,
            Ema<? extends DiffusionNetwork> ema, double gradClip, long seed) {
        this.model = model;
        this.modelManager = modelManager;
        this.schedule = schedule;
        this.update = new ParameterUpdate(model, optimizer, ema, gradClip);
        this.seed = seed;
        this.dropout = model.usesDropout();
    }

    /** Runs forward and backward in half precision from now on (null: float32). */
    public void mixedPrecision(MixedPrecision mp) {
        update.mixedPrecision(mp);
    }

    public MixedPrecision mixedPrecision() {
        return update.mixedPrecision();
    }

    /**
     * @param step 1-based step number (also the randomness stream)
     * @param x0   clean batch, (B, C, H, W) flattened, in the model's input scale
     */
    public StepResult run(long step, float[] x0, Shape shape, double lr) {
        return withObjective(step, x0, shape, objective -> update.apply(objective, lr));
    }

    /**
     * The loss of step {@code step} on {@code x0} and its gradients, left in the parameters; nothing is
     * updated. The step runs in the type of the weights, so float64 weights give a float64 reference.
     */
    ParameterUpdate.Gradients gradients(long step, float[] x0, Shape shape) {
        return withObjective(step, x0, shape, update::backward);
    }

    private <R> R withObjective(long step, float[] x0, Shape shape, Function<ParameterUpdate.Objective, R> action) {
        int b = Math.toIntExact(shape.get(0));
        int n = schedule.numTimesteps();
        Rng rng = Rng.of(seed, step);
        int[] t = new int[b];
        float[] tf = new float[b];
        for (int i = 0; i < b; i++) {
            t[i] = rng.nextInt(n);
            tf[i] = t[i];
        }
        float[] noise = rng.gaussians(x0.length);
        if (dropout) {
            Engine.getInstance().setRandomSeed((int) (seed * 31 + step));
        }
        try (NDManager m = modelManager.newSubManager(); NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray x = m.create(x0, shape);
            NDArray eps = m.create(noise, shape);
            NDArray tArr = m.create(tf);
            NDArray xt = schedule.qSample(x, t, eps);
            NDArray target = schedule.trainingTarget(x, eps, t, schedule.prediction());
            return action.apply(cast -> {
                NDArray out = model.forward(cast.apply(xt), tArr, true);
                return new ParameterUpdate.Loss(out.sub(cast.apply(target)).square().mean(), out);
            });
        }
    }
}

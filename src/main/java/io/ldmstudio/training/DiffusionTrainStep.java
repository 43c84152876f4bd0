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
 * ε (or v); then clip, AdamW and EMA. A class-conditional network ({@link DiffusionNetwork#classes()} &gt; 0)
 * is given each image's label, dropped to the null class with probability {@link #dropLabels} — what
 * classifier-free guidance needs (Ho and Salimans 2022): one network learns the conditional and the
 * unconditional model.
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
    private double dropProb = 0.1;

    public DiffusionTrainStep(DiffusionNetwork model, NDManager modelManager, NoiseSchedule schedule, AdamW optimizer,
            Ema<? extends DiffusionNetwork> ema, double gradClip, long seed) {
        this.model = model;
        this.modelManager = modelManager;
        this.schedule = schedule;
        this.update = new ParameterUpdate(model, optimizer, ema, gradClip);
        this.seed = seed;
        this.dropout = model.usesDropout();
    }

    /** Drops a conditional network's labels to the null class with probability {@code p} (default 0.1). */
    public DiffusionTrainStep dropLabels(double p) {
        if (!(p >= 0 && p <= 1)) {
            throw new IllegalArgumentException("conditioning.drop_prob " + p + ": expected a value in [0, 1]");
        }
        this.dropProb = p;
        return this;
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
        return run(step, x0, null, shape, lr);
    }

    /**
     * @param labels one class label per image, in [0, classes); needed by a conditional network, ignored
     *               (may be null) by an unconditional one
     */
    public StepResult run(long step, float[] x0, int[] labels, Shape shape, double lr) {
        return withObjective(step, x0, labels, shape, objective -> update.apply(objective, lr));
    }

    /**
     * The loss of step {@code step} on {@code x0} and its gradients, left in the parameters; nothing is
     * updated. The step runs in the type of the weights, so float64 weights give a float64 reference.
     */
    ParameterUpdate.Gradients gradients(long step, float[] x0, Shape shape) {
        return withObjective(step, x0, null, shape, update::backward);
    }

    private <R> R withObjective(long step, float[] x0, int[] labels, Shape shape,
            Function<ParameterUpdate.Objective, R> action) {
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
        // after t and ε, so an unconditional run draws exactly what it drew before conditioning existed
        long[] cond = conditioning(labels, b, rng);
        if (dropout) {
            Engine.getInstance().setRandomSeed((int) (seed * 31 + step));
        }
        try (NDManager m = modelManager.newSubManager(); NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray x = m.create(x0, shape);
            NDArray eps = m.create(noise, shape);
            NDArray tArr = m.create(tf);
            NDArray labelArr = cond == null ? null : m.create(cond);
            NDArray xt = schedule.qSample(x, t, eps);
            NDArray target = schedule.trainingTarget(x, eps, t, schedule.prediction());
            return action.apply(cast -> {
                NDArray out = model.forward(cast.apply(xt), tArr, labelArr, true);
                return new ParameterUpdate.Loss(out.sub(cast.apply(target)).square().mean(), out);
            });
        }
    }

    /** The labels the network is given this step: null for an unconditional one, else with drops to the null class. */
    private long[] conditioning(int[] labels, int b, Rng rng) {
        int classes = model.classes();
        if (classes == 0) {
            return null;
        }
        if (labels == null || labels.length != b) {
            throw new IllegalArgumentException("a class-conditional network needs one label per image: got "
                    + (labels == null ? "none" : labels.length) + " for " + b + " images");
        }
        long[] out = new long[b];
        for (int i = 0; i < b; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new IllegalArgumentException("label " + labels[i] + " of image " + i + ": expected 0.." + (classes - 1)
                        + " (the network has " + classes + " classes)");
            }
            out[i] = rng.nextDouble() < dropProb ? model.nullClass() : labels[i];
        }
        return out;
    }
}

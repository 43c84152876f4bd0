package io.ldmstudio.training;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.ldmstudio.diffusion.NoiseSchedule;
import io.ldmstudio.nn.Module;
import io.ldmstudio.nn.DiffusionNetwork;
import io.ldmstudio.util.Rng;
import java.util.List;

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
    /**
     * loss and the gradient norm before clipping; {@code applied} is false when it was not finite.
     * {@code overflow}: under mixed precision the scaled gradients overflowed, the step was skipped
     * (not applied) and the loss scale halved — routine, not a failure.
     */
    public record Result(double loss, double gradNorm, boolean applied, boolean overflow) {
        public Result(double loss, double gradNorm, boolean applied) {
            this(loss, gradNorm, applied, false);
        }
    }

    private final DiffusionNetwork model;
    private final NDManager modelManager;
    private final NoiseSchedule schedule;
    private final AdamW optimizer;
    private final Ema<? extends DiffusionNetwork> ema;
    private final double gradClip;
    private final List<Module.Param> params;
    private final long seed;
    private final boolean dropout;
    private MixedPrecision mixed;

    public DiffusionTrainStep(DiffusionNetwork model, NDManager modelManager, NoiseSchedule schedule, AdamW optimizer,
            Ema<? extends DiffusionNetwork> ema, double gradClip, long seed) {
        this.model = model;
        this.modelManager = modelManager;
        this.schedule = schedule;
        this.optimizer = optimizer;
        this.ema = ema;
        this.gradClip = gradClip;
        this.params = model.parameters();
        this.seed = seed;
        this.dropout = model.usesDropout();
    }

    /** Runs forward and backward in half precision from now on (null: float32). */
    public void mixedPrecision(MixedPrecision mp) {
        this.mixed = mp;
    }

    public MixedPrecision mixedPrecision() {
        return mixed;
    }

    /**
     * @param step 1-based step number (also the randomness stream)
     * @param x0   clean batch, (B, C, H, W) flattened, in the model's input scale
     */
    public Result run(long step, float[] x0, Shape shape, double lr) {
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
            GradClip.zero(params);
            double loss;
            if (mixed == null) {
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray out = model.forward(xt, tArr, true);
                    NDArray l = out.sub(target).square().mean();
                    gc.backward(l);
                    loss = l.getFloat();
                }
            } else {
                mixed.install(params, m);
                boolean clean;
                try {
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray out = model.forward(mixed.cast(xt), tArr, true);
                        NDArray l = out.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).sub(target).square().mean();
                        // the float32 loss is cut from the graph by the cast: backward from the half one
                        NDArray lh = out.sub(mixed.cast(target)).square().mean();
                        gc.backward(mixed.scaled(lh));
                        loss = l.getFloat();
                    }
                } catch (RuntimeException e) {
                    mixed.abort(params);
                    throw e;
                }
                clean = mixed.uninstall(params);
                if (!Double.isFinite(loss)) {
                    return new Result(loss, Double.NaN, false);
                }
                if (!clean) {
                    GradClip.zero(params);
                    return new Result(loss, Double.NaN, false, true);
                }
            }
            if (!Double.isFinite(loss)) {
                return new Result(loss, Double.NaN, false);
            }
            double norm = GradClip.clip(params, gradClip);
            if (!Double.isFinite(norm)) {
                return new Result(loss, norm, false);
            }
            optimizer.step(lr);
            if (ema != null) {
                ema.update();
            }
            return new Result(loss, norm, true);
        }
    }
}

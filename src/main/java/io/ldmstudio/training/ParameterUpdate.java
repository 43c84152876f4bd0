package io.ldmstudio.training;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.training.GradientCollector;
import io.ldmstudio.nn.Module;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The part of a training step every objective shares: gradients of a scalar loss, the finite checks,
 * global-norm clipping, AdamW and the EMA update. A step that is not finite leaves the weights alone
 * and reports {@code applied = false}.
 */
final class ParameterUpdate {
    /** A loss built inside the gradient collector: the scalar to minimise and named scalar terms to report. */
    record Loss(NDArray total, Map<String, NDArray> parts) {
        Loss(NDArray total) {
            this(total, Map.of());
        }
    }

    /**
     * Builds the loss from the step's inputs; runs while gradients are recorded. {@code cast} puts an
     * input in the compute type (the identity in float32; float16 under mixed precision).
     */
    @FunctionalInterface
    interface Objective {
        Loss compute(java.util.function.UnaryOperator<NDArray> cast);
    }

    private final List<Module.Param> params;
    private final AdamW optimizer;
    private final Ema<?> ema;
    private final double gradClip;
    private MixedPrecision mixed;

    ParameterUpdate(Module model, AdamW optimizer, Ema<?> ema, double gradClip) {
        this.params = model.parameters();
        this.optimizer = optimizer;
        this.ema = ema;
        this.gradClip = gradClip;
    }

    /** Runs forward and backward in half precision from now on (null: float32). */
    void mixedPrecision(MixedPrecision mp) {
        this.mixed = mp;
    }

    MixedPrecision mixedPrecision() {
        return mixed;
    }

    /**
     * Zeroes the gradients, back-propagates {@code objective}'s loss, clips, steps AdamW at {@code lr},
     * updates the EMA. Call inside an {@code NDScope}: under mixed precision the half copies of the
     * weights are made in it.
     */
    StepResult apply(Objective objective, double lr) {
        GradClip.zero(params);
        double loss;
        Map<String, Double> parts = new LinkedHashMap<>();
        if (mixed == null) {
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                Loss l = objective.compute(x -> x);
                gc.backward(l.total());
                loss = l.total().getFloat();
                l.parts().forEach((name, v) -> parts.put(name, (double) v.getFloat()));
            }
        } else {
            mixed.install(params);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                Loss l = objective.compute(mixed::cast);
                gc.backward(mixed.scaled(l.total()));
                loss = asFloat(l.total());
                l.parts().forEach((name, v) -> parts.put(name, (double) asFloat(v)));
            } catch (RuntimeException e) {
                mixed.abort(params);
                throw e;
            }
            boolean clean = mixed.uninstall(params);
            if (Double.isFinite(loss) && !clean) {
                GradClip.zero(params);
                return new StepResult(loss, Double.NaN, false, parts, true);
            }
        }
        if (!Double.isFinite(loss)) {
            return new StepResult(loss, Double.NaN, false, parts);
        }
        double norm = GradClip.clip(params, gradClip);
        if (!Double.isFinite(norm)) {
            return new StepResult(loss, norm, false, parts);
        }
        optimizer.step(lr);
        if (ema != null) {
            ema.update();
        }
        return new StepResult(loss, norm, true, parts);
    }

    /** A scalar of any float type as a Java float (the cast cuts the graph; only the value is read). */
    private static float asFloat(NDArray scalar) {
        if (scalar.getDataType() == ai.djl.ndarray.types.DataType.FLOAT32) {
            return scalar.getFloat();
        }
        try (NDArray f = scalar.toType(ai.djl.ndarray.types.DataType.FLOAT32, true)) {
            return f.getFloat();
        }
    }
}

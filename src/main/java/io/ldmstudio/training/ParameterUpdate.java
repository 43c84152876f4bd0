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

    /** Builds the loss from the step's inputs; runs while gradients are recorded. */
    @FunctionalInterface
    interface Objective {
        Loss compute();
    }

    private final List<Module.Param> params;
    private final AdamW optimizer;
    private final Ema<?> ema;
    private final double gradClip;

    ParameterUpdate(Module model, AdamW optimizer, Ema<?> ema, double gradClip) {
        this.params = model.parameters();
        this.optimizer = optimizer;
        this.ema = ema;
        this.gradClip = gradClip;
    }

    /** Zeroes the gradients, back-propagates {@code objective}'s loss, clips, steps AdamW at {@code lr}, updates the EMA. */
    StepResult apply(Objective objective, double lr) {
        GradClip.zero(params);
        double loss;
        Map<String, Double> parts = new LinkedHashMap<>();
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            Loss l = objective.compute();
            gc.backward(l.total());
            loss = l.total().getFloat();
            l.parts().forEach((name, v) -> parts.put(name, (double) v.getFloat()));
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
}

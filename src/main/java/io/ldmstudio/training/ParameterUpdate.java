package io.ldmstudio.training;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.training.GradientCollector;
import io.ldmstudio.nn.Module;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * The part of a training step every objective shares: gradients of a scalar loss, the finite checks,
 * global-norm clipping, AdamW and the EMA update. A step that is not finite leaves the weights alone,
 * reports {@code applied = false} and says where it went wrong ({@link StepResult.NonFinite}).
 */
final class ParameterUpdate {
    /**
     * A loss built inside the gradient collector: the scalar to minimise, named scalar terms to report,
     * and the network's output (checked for finiteness only when a step is not finite; may be null).
     */
    record Loss(NDArray total, Map<String, NDArray> parts, NDArray output) {
        Loss(NDArray total, NDArray output) {
            this(total, Map.of(), output);
        }
    }

    /**
     * Builds the loss from the step's inputs; runs while gradients are recorded. {@code cast} puts an
     * input in the compute type: the type of the weights (float32, or float64 for a reference), or
     * float16 under mixed precision.
     */
    @FunctionalInterface
    interface Objective {
        Loss compute(UnaryOperator<NDArray> cast);
    }

    /** The loss and its parts after a backward pass; the gradients are in the parameters. */
    record Gradients(double loss, Map<String, Double> parts, boolean overflow, Loss built) {}

    private final List<String> names;
    private final List<Module.Param> params;
    private final AdamW optimizer;
    private final Ema<?> ema;
    private final double gradClip;
    private MixedPrecision mixed;

    /** @param optimizer null for a step that only computes gradients ({@link #backward}) */
    ParameterUpdate(Module model, AdamW optimizer, Ema<?> ema, double gradClip) {
        Map<String, Module.Param> named = model.namedParameters();
        this.names = List.copyOf(named.keySet());
        this.params = List.copyOf(named.values());
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
        Gradients g = backward(objective);
        if (g.overflow()) {
            GradClip.zero(params);
            return new StepResult(g.loss(), Double.NaN, false, g.parts(), true);
        }
        if (!Double.isFinite(g.loss())) {
            return new StepResult(g.loss(), Double.NaN, false, g.parts(), false, diagnose(g.built()));
        }
        double norm = GradClip.clip(params, gradClip);
        if (!Double.isFinite(norm)) {
            return new StepResult(g.loss(), norm, false, g.parts(), false, diagnose(g.built()));
        }
        optimizer.step(lr);
        if (ema != null) {
            ema.update();
        }
        return new StepResult(g.loss(), norm, true, g.parts());
    }

    /**
     * Zeroes the gradients and back-propagates {@code objective}'s loss, leaving the gradients in the
     * parameters (float32 masters under mixed precision) and the weights untouched. Call inside an
     * {@code NDScope}.
     */
    Gradients backward(Objective objective) {
        GradClip.zero(params);
        if (mixed == null) {
            DataType type = params.get(0).array().getDataType();
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                Loss l = objective.compute(x -> x.getDataType() == type ? x : x.toType(type, false));
                gc.backward(l.total());
                return new Gradients(asDouble(l.total()), values(l.parts()), false, l);
            }
        }
        mixed.install(params);
        Loss l;
        double loss;
        Map<String, Double> parts;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            l = objective.compute(mixed::cast);
            gc.backward(mixed.scaled(l.total()));
            loss = asDouble(l.total());
            parts = values(l.parts());
        } catch (RuntimeException e) {
            mixed.abort(params);
            throw e;
        }
        boolean clean = mixed.uninstall(params);
        return new Gradients(loss, parts, Double.isFinite(loss) && !clean, l);
    }

    /** Where a non-finite step went wrong: the output's finiteness and the parameters with non-finite gradients. */
    private StepResult.NonFinite diagnose(Loss l) {
        boolean outputFinite = l.output() == null || allFinite(l.output());
        List<String> bad = new ArrayList<>();
        for (int i = params.size() - 1; i >= 0; i--) {
            NDArray a = params.get(i).master();
            if (a.hasGradient()) {
                try (NDArray g = a.getGradient()) {
                    if (!allFinite(g)) {
                        bad.add(names.get(i));
                    }
                }
            }
        }
        return new StepResult.NonFinite(outputFinite, bad, params.size());
    }

    private static boolean allFinite(NDArray a) {
        try (NDArray abs = a.abs(); NDArray max = abs.max()) { // NaN propagates through max, Inf stays Inf
            return Double.isFinite(asDouble(max));
        }
    }

    private static Map<String, Double> values(Map<String, NDArray> parts) {
        Map<String, Double> out = new LinkedHashMap<>();
        parts.forEach((name, v) -> out.put(name, asDouble(v)));
        return out;
    }

    /** A scalar of any float type as a Java double (the cast cuts the graph; only the value is read). */
    private static double asDouble(NDArray scalar) {
        DataType t = scalar.getDataType();
        if (t == DataType.FLOAT32) {
            return scalar.getFloat();
        }
        if (t == DataType.FLOAT64) {
            return scalar.getDouble();
        }
        try (NDArray f = scalar.toType(DataType.FLOAT32, true)) {
            return f.getFloat();
        }
    }
}

package io.ldmstudio.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.ldmstudio.nn.Module;
import io.ldmstudio.nn.Ops;
import java.util.ArrayList;
import java.util.List;

/**
 * Mixed-precision training as Micikevicius et al. (2018) describe it and PyTorch's {@code GradScaler}
 * does it: the weights stay in float32 (the masters AdamW and EMA update); each step the forward and
 * backward passes run on half-precision copies standing in for them, with the loss multiplied by a
 * scale so small gradients survive float16; the gradients are unscaled into the float32 masters
 * before clipping. A step whose gradients overflow is skipped and the scale halved; after
 * {@link #GROWTH_INTERVAL} clean steps the scale doubles.
 *
 * <p>DJL has no autocast and its dtype casts cut the autograd graph, hence the half copies are leaves
 * of their own graph and the gradients are carried over by hand.
 */
public final class MixedPrecision {
    /**
     * The scale multiplies the half-precision loss, so it must itself be a float16 number: 2^15 (PyTorch
     * starts at 2^16 with a float32 scale tensor, which DJL cannot mix into a half graph).
     */
    public static final double MAX_SCALE = 32768.0;
    public static final double INITIAL_SCALE = MAX_SCALE;
    public static final int GROWTH_INTERVAL = 2000;
    public static final double MIN_SCALE = 1.0 / 65536;

    private final DataType dtype;
    private double scale;
    private int cleanSteps;
    private long skipped;
    private final List<NDArray> halves = new ArrayList<>();
    private boolean gradientsReady;

    /**
     * The masters never see a backward pass of their own, and until one runs PyTorch has no gradient
     * tensor for them to receive into: one backward through 0·Σw makes zero gradients exist.
     */
    private static void defineGradients(List<Module.Param> params) {
        try (ai.djl.ndarray.NDScope scope = new ai.djl.ndarray.NDScope();
             ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
            scope.suppressNotUsedWarning();
            NDArray total = null;
            for (Module.Param p : params) {
                NDArray s = Ops.mulScalar(p.master().sum(), 0f);
                total = total == null ? s : total.add(s);
            }
            if (total != null) {
                gc.backward(total);
            }
        }
    }

    /**
     * @param dtype {@link DataType#FLOAT16} (bfloat16 would need no loss scaling, but DJL 0.36's cast to
     *              bfloat16 aborts the process, so it is refused)
     */
    public MixedPrecision(DataType dtype) {
        if (dtype != DataType.FLOAT16) {
            throw new IllegalArgumentException("mixed precision computes in float16, not " + dtype);
        }
        this.dtype = dtype;
        this.scale = INITIAL_SCALE;
    }

    public DataType dtype() {
        return dtype;
    }

    /** The current loss scale. */
    public double scale() {
        return scale;
    }

    /** Steps skipped because their gradients overflowed. */
    public long skipped() {
        return skipped;
    }

    /** Restores the scaler from a checkpoint. */
    public void restore(double scale, int cleanSteps, long skipped) {
        this.scale = scale > 0 && Double.isFinite(scale) ? Math.min(MAX_SCALE, scale) : INITIAL_SCALE;
        this.cleanSteps = Math.max(0, cleanSteps);
        this.skipped = Math.max(0, skipped);
    }

    public int cleanSteps() {
        return cleanSteps;
    }

    /**
     * Puts half-precision copies (gradient leaves) in place of the weights. Call inside an
     * {@code NDScope}: the copies are closed with it.
     */
    public void install(List<Module.Param> params) {
        if (!gradientsReady) {
            defineGradients(params);
            gradientsReady = true;
        }
        halves.clear();
        for (Module.Param p : params) {
            NDArray h = p.master().toType(dtype, true);
            h.setRequiresGradient(true);
            p.standIn(h);
            halves.add(h);
        }
    }

    /** {@code x} in the compute type (inputs carry no gradient, so the cast may cut the graph). */
    public NDArray cast(NDArray x) {
        return x.getDataType() == dtype ? x : x.toType(dtype, false);
    }

    /** The loss to call backward on: multiplied by the scale. */
    public NDArray scaled(NDArray loss) {
        return Ops.mulScalar(loss, (float) scale);
    }

    /**
     * Takes the weights back, moving the unscaled gradients into the float32 masters' gradients (which
     * must have been zeroed). Returns false, and halves the scale, when any gradient overflowed: the
     * caller then zeroes the gradients and skips the step.
     */
    public boolean uninstall(List<Module.Param> params) {
        float inv = (float) (1.0 / scale);
        NDArray total = null;
        for (int i = 0; i < params.size(); i++) {
            Module.Param p = params.get(i);
            p.clearStandIn();
            NDArray h = halves.get(i);
            try (NDArray g = h.getGradient(); NDArray g32 = g.toType(DataType.FLOAT32, true);
                 NDArray master = p.master().getGradient()) {
                g32.muli(inv);
                master.addi(g32);
                NDArray sum = g32.sum(); // an overflow anywhere makes the total inf or NaN
                total = total == null ? sum : total.addi(sum);
            }
        }
        // one read for the whole model (a device sync on a GPU), not one per tensor; an overflowed
        // step leaves non-finite gradients behind, which the caller zeroes before skipping it
        boolean finite = total == null || Float.isFinite(total.getFloat());
        if (total != null) {
            total.close();
        }
        halves.clear();
        if (finite) {
            if (++cleanSteps >= GROWTH_INTERVAL) {
                scale = Math.min(MAX_SCALE, scale * 2);
                cleanSteps = 0;
            }
        } else {
            skipped++;
            cleanSteps = 0;
            scale = Math.max(MIN_SCALE, scale / 2);
        }
        return finite;
    }

    /** Removes any stand-ins left by a step that threw. */
    public void abort(List<Module.Param> params) {
        params.forEach(Module.Param::clearStandIn);
        halves.clear();
    }
}

package io.ldmstudio.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import io.ldmstudio.nn.GradMode;
import io.ldmstudio.nn.Module;
import java.util.ArrayList;
import java.util.List;

/**
 * Exponential moving average of the weights, as the LDM code's {@code LitEma}: with n updates so
 * far the decay used is min(decay, (1 + n)/(10 + n)), so short runs are not dominated by the random
 * initial weights; shadow ← shadow − (1 − d)(shadow − p). The shadow is a second network of the same
 * shape (no gradients), so sampling simply runs it.
 */
public final class Ema<M extends Module> {
    private final List<Module.Param> live = new ArrayList<>();
    private final List<Module.Param> shadow = new ArrayList<>();
    private final M shadowModel;
    private final double decay;
    private long updates;

    /** @param shadowModel a network of the same shape, already initialised; its values are overwritten */
    public Ema(Module model, M shadowModel, double decay) {
        this.shadowModel = shadowModel;
        this.decay = decay;
        live.addAll(model.namedParameters().values());
        shadow.addAll(shadowModel.namedParameters().values());
        if (live.size() != shadow.size()) {
            throw new IllegalArgumentException("EMA network has a different shape");
        }
        copyFromLive();
    }

    private void copyFromLive() {
        for (int i = 0; i < live.size(); i++) {
            shadow.get(i).array().set(live.get(i).array().toFloatArray());
        }
    }

    public double currentDecay() {
        return Math.min(decay, (1.0 + updates) / (10.0 + updates));
    }

    public void update() {
        GradMode.disable();
        double d = currentDecay();
        updates++;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            for (int i = 0; i < live.size(); i++) {
                NDArray s = shadow.get(i).array();
                NDArray p = live.get(i).array();
                s.subi(s.sub(p).muli((float) (1 - d)));
            }
        }
    }

    public M model() {
        return shadowModel;
    }

    public long updates() {
        return updates;
    }

    public void setUpdates(long n) {
        this.updates = n;
    }
}

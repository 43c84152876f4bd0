package io.ldmstudio.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import io.ldmstudio.nn.GradMode;
import io.ldmstudio.nn.Module;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * AdamW (Loshchilov &amp; Hutter), exactly as {@code torch.optim.AdamW}:
 * <ol>
 *   <li>p ← p·(1 − lr·λ) (decoupled weight decay)
 *   <li>m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²
 *   <li>p ← p − lr·(m/(1 − β₁ᵗ)) / (√(v/(1 − β₂ᵗ)) + ε)
 * </ol>
 * The moments live in the model's manager beside the parameters; {@link #state()} and
 * {@link #load} move them in and out of checkpoints under PyTorch's names
 * ({@code exp_avg.NAME}, {@code exp_avg_sq.NAME}).
 */
public final class AdamW {
    private final Map<String, Module.Param> params;
    private final Map<String, NDArray> m = new LinkedHashMap<>();
    private final Map<String, NDArray> v = new LinkedHashMap<>();
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private long t;

    public AdamW(Module model, NDManager manager, double beta1, double beta2, double eps, double weightDecay) {
        this.params = model.namedParameters();
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
        for (Map.Entry<String, Module.Param> e : params.entrySet()) {
            NDArray mm = manager.zeros(e.getValue().shape());
            NDArray vv = manager.zeros(e.getValue().shape());
            NDScope.unregister(mm, vv);
            m.put(e.getKey(), mm);
            v.put(e.getKey(), vv);
        }
    }

    /** Updates in place from each parameter's gradient (already clipped), with learning rate lr. */
    public void step(double lr) {
        t++;
        GradMode.disable();
        double bc1 = 1 - Math.pow(beta1, t);
        double bc2 = 1 - Math.pow(beta2, t);
        double stepSize = lr / bc1;
        double sqrtBc2 = Math.sqrt(bc2);
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            for (Map.Entry<String, Module.Param> e : params.entrySet()) {
                NDArray p = e.getValue().array();
                NDArray g = p.getGradient();
                NDArray mm = m.get(e.getKey());
                NDArray vv = v.get(e.getKey());
                if (weightDecay > 0) {
                    p.muli((float) (1 - lr * weightDecay));
                }
                mm.muli((float) beta1).addi(g.mul((float) (1 - beta1)));
                vv.muli((float) beta2).addi(g.square().muli((float) (1 - beta2)));
                NDArray denom = vv.sqrt().divi((float) sqrtBc2).addi((float) eps);
                p.subi(mm.div(denom).muli((float) stepSize));
            }
        }
    }

    public long stepCount() {
        return t;
    }

    /** Moments by PyTorch's names, plus the step count, for a checkpoint. */
    public Map<String, float[]> state() {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (String name : params.keySet()) {
            out.put("exp_avg." + name, m.get(name).toFloatArray());
            out.put("exp_avg_sq." + name, v.get(name).toFloatArray());
        }
        return out;
    }

    /** Restores the moments and the step count written by {@link #state()}. */
    public void load(Map<String, float[]> state, long stepCount) {
        for (String name : params.keySet()) {
            copyInto(m.get(name), state.get("exp_avg." + name), "exp_avg." + name);
            copyInto(v.get(name), state.get("exp_avg_sq." + name), "exp_avg_sq." + name);
        }
        this.t = stepCount;
    }

    private static void copyInto(NDArray target, float[] values, String name) {
        if (values == null || values.length != target.size()) {
            throw new IllegalArgumentException("optimizer state: tensor " + name + " is missing or has "
                    + (values == null ? 0 : values.length) + " values where " + target.size() + " were expected");
        }
        target.set(values);
    }

    public void close() {
        m.values().forEach(NDArray::close);
        v.values().forEach(NDArray::close);
    }
}

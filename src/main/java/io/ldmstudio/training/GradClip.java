package io.ldmstudio.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.ldmstudio.nn.Module;
import java.util.Collection;

/** Global-norm gradient clipping, as {@code torch.nn.utils.clip_grad_norm_}. */
public final class GradClip {
    private GradClip() {}

    /**
     * Scales every gradient by min(1, maxNorm/(‖g‖ + 1e-6)) when maxNorm &gt; 0.
     *
     * @return the global L2 norm of the gradients before clipping
     */
    public static double clip(Collection<Module.Param> params, double maxNorm) {
        double total;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray sum = null;
            for (Module.Param p : params) {
                NDArray g = p.array().getGradient();
                NDArray sq = g.square().sum();
                sum = sum == null ? sq : sum.addi(sq);
            }
            total = sum == null ? 0 : Math.sqrt(sum.getDataType() == DataType.FLOAT32 ? sum.getFloat()
                    : sum.toType(DataType.FLOAT64, false).getDouble()); // float64 weights: a reference step
            if (maxNorm > 0 && total > maxNorm) {
                float coef = (float) (maxNorm / (total + 1e-6));
                for (Module.Param p : params) {
                    p.array().getGradient().muli(coef);
                }
            }
        }
        return total;
    }

    /** Sets every gradient to zero (gradients accumulate across collectors in DJL's PyTorch engine). */
    public static void zero(Collection<Module.Param> params) {
        for (Module.Param p : params) {
            NDArray a = p.array();
            if (a instanceof PtNDArray) {
                JniUtils.zeroGrad((PtNDArray) a);
            } else {
                try (NDArray g = a.getGradient()) {
                    g.muli(0);
                }
            }
        }
    }
}

package io.ldmstudio.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import java.util.Arrays;

/**
 * Imagen's dynamic thresholding of x̂0 (Saharia et al. 2022, §2.3), as diffusers' schedulers apply it when
 * {@code thresholding} is true ({@code _threshold_sample} in scheduling_ddpm.py, shared by DDIM and
 * DPM-Solver++): per image, s is the {@code ratio}-quantile of |x̂0| over all its values (torch.quantile's
 * linear interpolation), clamped to [1, {@code maxValue}]; x̂0 is clamped to [−s, s] and divided by s.
 * Pixels that large guidance pushes past ±1 are pulled back inside instead of being clipped flat, which is
 * what keeps guided pixel-space samples from saturating. With {@code maxValue} 1 it is plain clipping to ±1.
 *
 * <p>Computed in float32 as torch computes it (rank q·(n − 1) in float32, torch.lerp's two-sided formula),
 * so the result matches diffusers' to the bit on the same input (a golden test holds it).
 *
 * @param ratio    {@code dynamic_thresholding_ratio}, in (0, 1]
 * @param maxValue {@code sample_max_value}, at least 1
 */
public record Thresholding(double ratio, double maxValue) {
    /** diffusers' defaults for both keys. */
    public static final double DEFAULT_RATIO = 0.995;
    public static final double DEFAULT_MAX_VALUE = 1.0;

    public Thresholding {
        if (!(ratio > 0 && ratio <= 1)) {
            throw new IllegalArgumentException("dynamic_thresholding_ratio: must lie in (0, 1], got " + ratio);
        }
        if (!(maxValue >= 1) || Double.isInfinite(maxValue)) {
            throw new IllegalArgumentException("sample_max_value: must be a number of at least 1, got " + maxValue);
        }
    }

    /** The thresholded x̂0, a new float32 array on {@code x0}'s device and manager; {@code x0} is left as it is. */
    public NDArray apply(NDArray x0) {
        long batch = x0.getShape().get(0);
        float[] v = x0.toType(DataType.FLOAT32, false).toFloatArray();
        int per = Math.toIntExact(v.length / batch);
        float[] abs = new float[per];
        float[] out = new float[v.length];
        for (int b = 0; b < batch; b++) {
            int off = b * per;
            float s = 1f; // maxValue 1 clamps s to 1 whatever the quantile: no need to sort
            if (maxValue > 1) {
                for (int i = 0; i < per; i++) {
                    abs[i] = Math.abs(v[off + i]);
                }
                s = Math.min(Math.max(quantile(abs, (float) ratio), 1f), (float) maxValue);
            }
            for (int i = 0; i < per; i++) {
                out[off + i] = Math.min(Math.max(v[off + i], -s), s) / s;
            }
        }
        return x0.getManager().create(out, x0.getShape()).toDevice(x0.getDevice(), false);
    }

    /**
     * torch.quantile(values, q) with linear interpolation, in float32: the values at ranks ⌊q(n−1)⌋ and
     * ⌈q(n−1)⌉ of the sorted values, joined by torch.lerp. Sorts {@code values} in place.
     */
    static float quantile(float[] values, float q) {
        Arrays.sort(values);
        float rank = q * (values.length - 1);
        int below = (int) rank;
        int above = (int) Math.ceil(rank);
        float weight = rank - below;
        float lo = values[below];
        float hi = values[above];
        float diff = hi - lo;
        // torch.lerp: start + w·(end − start) for w < ½, else end − (end − start)·(1 − w)
        return weight < 0.5f ? lo + weight * diff : hi - diff * (1 - weight);
    }
}

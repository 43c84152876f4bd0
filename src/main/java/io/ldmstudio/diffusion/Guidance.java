package io.ldmstudio.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * Classifier-free guidance (Ho and Salimans 2022): the network's output for the condition and for the
 * null class combined as {@code out = out_u + w · (out_c − out_u)}, on the raw output whatever the
 * prediction type (ε or v), as diffusers' pipelines do. w = 1 is the conditional output alone (one
 * forward pass); w = 0 the unconditional one. With {@code rescale} φ > 0 the guided output is pulled
 * back towards the conditional output's spread (Lin et al. 2024, "Common diffusion noise schedules and
 * sample steps are flawed", §3.4; diffusers' {@code rescale_noise_cfg}): per sample,
 * {@code out ← φ · out · std(out_c)/std(out) + (1 − φ) · out}, std over C, H, W, unbiased (torch.std).
 */
public final class Guidance {
    private Guidance() {}

    /** The guided output from the conditional and unconditional ones (B, …). */
    public static NDArray combine(NDArray cond, NDArray uncond, double w, double rescale) {
        NDArray guided = uncond.add(cond.sub(uncond).mul((float) w));
        if (rescale <= 0) {
            return guided;
        }
        NDArray scale = std(cond).div(std(guided));
        NDArray rescaled = guided.mul(scale);
        return rescaled.mul((float) rescale).add(guided.mul((float) (1 - rescale)));
    }

    /** Per-sample unbiased standard deviation over every axis but the first, shaped (B, 1, …, 1). */
    static NDArray std(NDArray x) {
        long b = x.getShape().get(0);
        long n = x.getShape().size() / b;
        long[] keep = new long[x.getShape().dimension()];
        java.util.Arrays.fill(keep, 1);
        keep[0] = b;
        NDArray flat = x.reshape(b, n); // the engine reduces over one axis at a time
        NDArray d = flat.sub(flat.mean(new int[] {1}, true));
        return d.mul(d).sum(new int[] {1}, true).div((float) Math.max(1, n - 1)).sqrt().reshape(keep);
    }

    /** Refuses a guidance scale w that is not a finite number ≥ 0, or a rescale φ outside [0, 1]. */
    public static void check(double w, double rescale) {
        if (!(w >= 0) || !Double.isFinite(w)) {
            throw new IllegalArgumentException("guidance " + w + ": expected a number ≥ 0 (1 = no guidance)");
        }
        if (!(rescale >= 0 && rescale <= 1)) {
            throw new IllegalArgumentException("guidance rescale " + rescale + ": expected a value in [0, 1]");
        }
    }

    /**
     * The denoiser a sampler takes: {@code net} conditioned on {@code labels} (one per sample), guided with
     * scale {@code w} against the null class {@code nullClass}; for w ≠ 1 the conditional and null inputs go
     * through the network as one batch of 2B.
     */
    public static Denoiser guided(ConditionalDenoiser net, int[] labels, int nullClass, double w, double rescale) {
        check(w, rescale);
        int[] nulls = new int[labels.length];
        java.util.Arrays.fill(nulls, nullClass);
        if (w == 1) {
            return (x, t) -> net.predict(x, t, labelArray(x.getManager(), labels));
        }
        int[] both = new int[2 * labels.length];
        System.arraycopy(labels, 0, both, 0, labels.length);
        System.arraycopy(nulls, 0, both, labels.length, labels.length);
        return (x, t) -> {
            long b = x.getShape().get(0);
            if (b != labels.length) {
                throw new IllegalArgumentException("a batch of " + b + " samples for " + labels.length + " labels");
            }
            NDArray out = net.predict(NDArrays.concat(new NDList(x, x)), NDArrays.concat(new NDList(t, t)),
                    labelArray(x.getManager(), both));
            NDList halves = out.split(2);
            return combine(halves.get(0), halves.get(1), w, rescale);
        };
    }

    private static NDArray labelArray(NDManager manager, int[] labels) {
        return manager.create(labels).toType(DataType.INT64, false);
    }
}

package io.ldmstudio.nn;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;

/** Functional building blocks over DJL's native ops. Results live on the input's manager. */
public final class Ops {
    private Ops() {}

    /**
     * x·s with the scalar held by the engine. DJL's {@code mul(Number)} puts the number in JVM-owned
     * memory and frees it after the op, but autograd keeps it for the backward pass: a garbage
     * collection in between makes the gradient read freed memory. Use this in anything differentiable.
     */
    public static NDArray mulScalar(NDArray x, double s) {
        return x.mul(x.getManager().full(new Shape(), (float) s, x.getDataType()));
    }

    /** SiLU(x) = x·σ(x); DJL has no fused SiLU. */
    public static NDArray silu(NDArray x) {
        return x.mul(x.getNDArrayInternal().sigmoid());
    }

    /** Output channels the CPU convolution's gradient with respect to its input is computed for in whole blocks. */
    static final int CPU_CHANNEL_BLOCK = 16;

    /**
     * 2-D convolution, NCHW.
     *
     * <p>On the CPU, while gradients are recorded (inside a gradient collector: DJL's
     * {@code hasGradient()} is false for every result of an op, so it cannot tell whether {@code x}
     * will get a gradient) and the output channels are not a multiple
     * of {@value #CPU_CHANNEL_BLOCK}, the convolution runs with zero filters appended up to the next
     * multiple and the output is sliced back: the same function and the same gradients, but computed
     * right. libtorch 2.7.1's oneDNN 3.7.1 ({@code jit:avx512_core} and {@code jit:avx2}
     * {@code backward_data}) computes the input gradient of such a convolution from channel-blocked
     * layouts padded to 16 (8 on AVX2) channels whose padding is not zeroed: the first backward pass in
     * a process read NaN and later ones finite garbage (relative error 0.1–0.5 against float64), and the
     * error flowed into every gradient upstream. The U-Net's {@code conv_out} (1 or 3 channels) and the
     * autoencoder's latent convolutions hit it; {@code ConvolutionGradientTest} holds the fix.
     *
     * <p>On the CPU, when the input channels are more than {@value #CPU_CHANNEL_BLOCK} and not a multiple of
     * it, the input and the filters get zero channels appended up to the next multiple (the same sum).
     * The forward pass of libtorch 2.7.1 as DJL 0.36 runs it computed such convolutions wrong for batches of
     * 2 or more with gradients off: 20, 24 or 40 input channels, 4×4 or 8×8, gave errors of ~10 on unit
     * inputs, everywhere but the first output row; batch 1 and 3, 8, 16, 32, 48 channels were right
     * ({@code ConvolutionForwardTest}). The U-Net's up path concatenates skips into such widths when
     * block_out_channels are not multiples of 16 (8 + 16 = 24); multiples of 16 never take this path.
     */
    public static NDArray conv2d(NDArray x, NDArray weight, NDArray bias, int stride, int padding) {
        return conv2d(x, weight, bias, stride, padding, padding);
    }

    /**
     * {@link #conv2d(NDArray, NDArray, NDArray, int, int)} with its own padding for rows and columns, for
     * rectangular kernels (torchvision's Inception: 1×7 with padding (0, 3), 7×1 with (3, 0)); {@code bias} may be
     * null (a convolution without bias).
     */
    public static NDArray conv2d(NDArray x, NDArray weight, NDArray bias, int stride, int padH, int padW) {
        long inChannels = weight.getShape().get(1);
        long missingIn = (CPU_CHANNEL_BLOCK - inChannels % CPU_CHANNEL_BLOCK) % CPU_CHANNEL_BLOCK;
        if (missingIn > 0 && inChannels > CPU_CHANNEL_BLOCK && Device.Type.CPU.equals(x.getDevice().getDeviceType())) {
            NDManager m = x.getManager();
            Shape xs = x.getShape();
            Shape ws = weight.getShape();
            x = x.concat(m.zeros(new Shape(xs.get(0), missingIn, xs.get(2), xs.get(3)), x.getDataType()), 1);
            NDArray w = weight.concat(m.zeros(new Shape(ws.get(0), missingIn, ws.get(2), ws.get(3)), weight.getDataType()), 1);
            w.attach(m); // made from the parameter: freed with the caller's step, not kept in the model's manager
            weight = w;
        }
        long outChannels = weight.getShape().get(0);
        long missing = (CPU_CHANNEL_BLOCK - outChannels % CPU_CHANNEL_BLOCK) % CPU_CHANNEL_BLOCK;
        if (missing == 0 || !Device.Type.CPU.equals(x.getDevice().getDeviceType()) || !JniUtils.isGradMode()) {
            return convolution(x, weight, bias, stride, padH, padW);
        }
        NDManager m = x.getManager();
        Shape ws = weight.getShape();
        NDArray w = weight.concat(m.zeros(new Shape(missing, ws.get(1), ws.get(2), ws.get(3)), weight.getDataType()), 0);
        w.attach(m); // made from the parameter (first operand): freed with the caller's step, not kept in the model's manager
        NDArray b = null;
        if (bias != null) {
            b = bias.concat(m.zeros(new Shape(missing), bias.getDataType()), 0);
            b.attach(m);
        }
        return convolution(x, w, b, stride, padH, padW).get(new NDIndex(":, :{}", outChannels));
    }

    private static NDArray convolution(NDArray x, NDArray weight, NDArray bias, int stride, int padH, int padW) {
        NDList out = x.getNDArrayInternal().convolution(x, weight, bias, new Shape(stride, stride),
                new Shape(padH, padW), new Shape(1, 1), 1);
        return out.singletonOrThrow();
    }

    /** y = x Wᵀ + b over the last axis. */
    public static NDArray linear(NDArray x, NDArray weight, NDArray bias) {
        return x.getNDArrayInternal().linear(x, weight, bias).singletonOrThrow();
    }

    /**
     * GroupNorm via the engine's native layer norm over a (B, G, C/G·H·W) view, then the per-channel
     * affine (DJL has no fused group norm; this route measured as fast as PyTorch's own).
     * {@code unitGamma}/{@code zeroBeta} are constants of length C/G·H·W supplied by the caller.
     */
    public static NDArray groupNorm(NDArray x, int groups, NDArray weight, NDArray bias, float eps,
            NDArray unitGamma, NDArray zeroBeta) {
        Shape s = x.getShape();
        long b = s.get(0);
        long c = s.get(1);
        long rest = s.size() / (b * c);
        long n = c / groups * rest;
        NDArray v = x.reshape(b, groups, n);
        NDArray normed = v.getNDArrayInternal().layerNorm(v, new Shape(n), unitGamma, zeroBeta, eps).singletonOrThrow();
        Shape affine = s.dimension() == 4 ? new Shape(1, c, 1, 1) : new Shape(1, c);
        NDArray w = weight.reshape(affine);
        NDArray b2 = bias.reshape(affine);
        w.attach(x.getManager()); // views of the parameters: freed with the caller's step, not kept in the model's manager
        b2.attach(x.getManager());
        return normed.reshape(s).mul(w).add(b2);
    }

    /** Nearest-neighbour ×2 upsampling of NCHW. */
    public static NDArray upsampleNearest2x(NDArray x) {
        Shape s = x.getShape();
        return x.getNDArrayInternal().interpolation(new long[] {s.get(2) * 2, s.get(3) * 2}, 0, false);
    }

    /**
     * Sinusoidal timestep embedding as diffusers' {@code Timesteps(dim, flip_sin_to_cos=True,
     * downscale_freq_shift=0)}: freq_i = exp(−ln(10000)·i/(half − shift)); [cos | sin] when flipped.
     */
    public static NDArray timestepEmbedding(NDArray t, int dim, boolean flipSinToCos, double freqShift) {
        int half = dim / 2;
        float[] freqs = new float[half];
        for (int i = 0; i < half; i++) {
            freqs[i] = (float) Math.exp(-Math.log(10000.0) * i / (half - freqShift));
        }
        NDManager m = t.getManager();
        NDArray args = t.toType(DataType.FLOAT32, false).reshape(-1, 1).mul(m.create(freqs).reshape(1, half));
        NDArray sin = args.sin();
        NDArray cos = args.cos();
        NDArray emb = flipSinToCos ? cos.concat(sin, 1) : sin.concat(cos, 1);
        if (dim % 2 == 1) {
            emb = emb.concat(m.zeros(new Shape(emb.getShape().get(0), 1)), 1);
        }
        return emb;
    }
}

package io.ldmstudio.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.nn.Layers.Conv2d;
import io.ldmstudio.nn.Layers.Linear;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The autoencoder's blocks: the same networks and parameter names as {@link Blocks.ResnetBlock2D}
 * (without time input) and {@link Blocks.AttentionBlock} (one head), over a GroupNorm whose forward
 * pass creates nothing in the model's manager.
 *
 * <p>Why copies: {@link Ops#groupNorm} reshapes the weight and bias parameters for the affine step
 * ({@code weight.reshape(...)}), and a reshape of a parameter is created in the parameter's
 * manager. Under an {@code NDScope} that is freed with the step; under a plain sub-manager it stays
 * in the model's manager for good (two arrays per GroupNorm per pass: ~200 per sd-vae decode). The
 * GroupNorm here moves those views to the input's manager. When {@code Ops.groupNorm} does the same,
 * the autoencoder can use {@link Blocks} directly; names and numbers are identical.
 *
 * <p>Scalar factors go through {@link #mulScalar}/{@link #divScalar}, never DJL's {@code
 * x.mul(Number)}: see there.
 */
final class VaeBlocks {
    private VaeBlocks() {}

    /**
     * x·s, with s in a 0-d tensor whose memory PyTorch owns.
     *
     * <p>DJL 0.36's {@code x.mul(Number)} (likewise {@code div}) wraps the number in a tensor over a
     * direct {@code ByteBuffer} and closes it straight after the op. Autograd keeps that tensor for
     * the backward pass (∂(x·s)/∂x = s), but its memory is the buffer's: once the JVM collects the
     * buffer — any GC between forward and backward — the gradient is computed from freed memory
     * and comes out as garbage, NaN or Inf at random. {@code full} makes a tensor PyTorch owns, which
     * autograd keeps alive by itself.
     */
    static NDArray mulScalar(NDArray x, double s) {
        try (NDArray c = x.getManager().full(new Shape(), (float) s, x.getDataType())) {
            return x.mul(c);
        }
    }

    /** x / s, safe for gradients as {@link #mulScalar}. */
    static NDArray divScalar(NDArray x, double s) {
        try (NDArray c = x.getManager().full(new Shape(), (float) s, x.getDataType())) {
            return x.div(c);
        }
    }

    /** {@code nn.GroupNorm(groups, channels, eps, affine=True)}, results on the input's manager. */
    static final class GroupNorm extends Module {
        private final Param weight;
        private final Param bias;
        private final int groups;
        private final float eps;
        private final Map<Long, NDArray[]> constants = new ConcurrentHashMap<>();

        GroupNorm(int groups, int channels, float eps) {
            if (channels % groups != 0) {
                throw new IllegalArgumentException(channels + " channels cannot be split into " + groups + " groups");
            }
            this.weight = ones("weight", channels);
            this.bias = zeros("bias", channels);
            this.groups = groups;
            this.eps = eps;
        }

        NDArray forward(NDArray x) {
            Shape s = x.getShape();
            long b = s.get(0);
            long c = s.get(1);
            long n = s.size() / (b * groups);
            NDArray[] unit = constants.computeIfAbsent(n, k -> {
                NDManager m = weight.array().getManager();
                NDArray[] pair = {m.ones(new Shape(k)), m.zeros(new Shape(k))};
                NDScope.unregister(pair); // kept across calls, closed with the model
                return pair;
            });
            NDArray v = x.reshape(b, groups, n);
            NDArray normed = v.getNDArrayInternal().layerNorm(v, new Shape(n), unit[0], unit[1], eps).singletonOrThrow();
            Shape affine = s.dimension() == 4 ? new Shape(1, c, 1, 1) : new Shape(1, c);
            NDArray w = weight.array().reshape(affine);
            NDArray bb = bias.array().reshape(affine);
            NDManager step = x.getManager();
            w.attach(step); // views of the parameters, freed with the step
            bb.attach(step);
            return normed.reshape(s).mul(w).add(bb);
        }

        @Override
        public void close() {
            for (NDArray[] c : constants.values()) {
                c[0].close();
                c[1].close();
            }
            constants.clear();
            super.close();
        }
    }

    /**
     * diffusers {@code ResnetBlock2D} with {@code temb_channels=None}: GroupNorm–SiLU–Conv3×3,
     * GroupNorm–SiLU–Conv3×3, plus a 1×1 {@code conv_shortcut} when channels change.
     */
    static final class ResnetBlock extends Module {
        private final GroupNorm norm1;
        private final Conv2d conv1;
        private final GroupNorm norm2;
        private final Conv2d conv2;
        private final Conv2d convShortcut;

        ResnetBlock(int in, int out, int groups, float eps) {
            norm1 = child("norm1", new GroupNorm(groups, in, eps));
            conv1 = child("conv1", new Conv2d(in, out, 3, 1, 1));
            norm2 = child("norm2", new GroupNorm(groups, out, eps));
            conv2 = child("conv2", new Conv2d(out, out, 3, 1, 1));
            convShortcut = in != out ? child("conv_shortcut", new Conv2d(in, out, 1, 1, 0)) : null;
        }

        NDArray forward(NDArray x) {
            NDArray h = conv1.forward(Ops.silu(norm1.forward(x)));
            h = conv2.forward(Ops.silu(norm2.forward(h)));
            NDArray skip = convShortcut != null ? convShortcut.forward(x) : x;
            return skip.add(h);
        }
    }

    /**
     * diffusers {@code Attention} as the VAE mid block builds it: one head as wide as the channels,
     * GroupNorm, {@code to_q}/{@code to_k}/{@code to_v}, softmax(QKᵀ/√C)V, {@code to_out.0}, residual.
     */
    static final class Attention extends Module {
        private final GroupNorm groupNorm;
        private final Linear toQ;
        private final Linear toK;
        private final Linear toV;
        private final Linear toOut;

        Attention(int channels, int groups, float eps) {
            groupNorm = child("group_norm", new GroupNorm(groups, channels, eps));
            toQ = child("to_q", new Linear(channels, channels));
            toK = child("to_k", new Linear(channels, channels));
            toV = child("to_v", new Linear(channels, channels));
            ToOut out = child("to_out", new ToOut(channels));
            toOut = out.proj;
        }

        NDArray forward(NDArray x) {
            Shape s = x.getShape();
            long b = s.get(0);
            long c = s.get(1);
            long hw = s.get(2) * s.get(3);
            NDArray h = groupNorm.forward(x).reshape(b, c, hw).transpose(0, 2, 1); // (B, HW, C)
            NDArray q = mulScalar(toQ.forward(h), 1.0 / Math.sqrt(c));
            NDArray k = toK.forward(h);
            NDArray v = toV.forward(h);
            NDArray attn = q.batchMatMul(k.transpose(0, 2, 1)).softmax(-1); // (B, HW, HW)
            NDArray o = toOut.forward(attn.batchMatMul(v));                 // (B, HW, C)
            return o.transpose(0, 2, 1).reshape(s).add(x);
        }

        /** {@code to_out} is a ModuleList [Linear, Dropout] in diffusers, hence {@code to_out.0}. */
        private static final class ToOut extends Module {
            final Linear proj;

            ToOut(int channels) {
                proj = child("0", new Linear(channels, channels));
            }
        }
    }
}

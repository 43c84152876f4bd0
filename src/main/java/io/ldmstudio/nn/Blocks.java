package io.ldmstudio.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.nn.Layers.Conv2d;
import io.ldmstudio.nn.Layers.GroupNorm;
import io.ldmstudio.nn.Layers.Linear;

/** The U-Net's composite blocks, with diffusers' parameter names. */
public final class Blocks {
    private Blocks() {}

    /**
     * diffusers {@code ResnetBlock2D}: GroupNorm–SiLU–Conv3×3, plus Linear(SiLU(temb)) added per
     * channel, GroupNorm–SiLU–Dropout–Conv3×3, and a 1×1 {@code conv_shortcut} when channels change.
     */
    public static final class ResnetBlock2D extends Module {
        private final GroupNorm norm1;
        private final Conv2d conv1;
        private final Linear timeEmbProj;
        private final GroupNorm norm2;
        private final Conv2d conv2;
        private final Conv2d convShortcut;
        private final float dropout;

        public ResnetBlock2D(int in, int out, int tembChannels, int groups, float eps, float dropout) {
            norm1 = child("norm1", new GroupNorm(groups, in, eps));
            conv1 = child("conv1", new Conv2d(in, out, 3, 1, 1));
            timeEmbProj = tembChannels > 0 ? child("time_emb_proj", new Linear(tembChannels, out)) : null;
            norm2 = child("norm2", new GroupNorm(groups, out, eps));
            conv2 = child("conv2", new Conv2d(out, out, 3, 1, 1));
            convShortcut = in != out ? child("conv_shortcut", new Conv2d(in, out, 1, 1, 0)) : null;
            this.dropout = dropout;
        }

        /** @param tembAct SiLU(time embedding), shape (B, temb), or null for blocks without time input */
        public NDArray forward(NDArray x, NDArray tembAct, boolean training) {
            NDArray h = conv1.forward(Ops.silu(norm1.forward(x)));
            if (timeEmbProj != null && tembAct != null) {
                NDArray t = timeEmbProj.forward(tembAct);
                h = h.add(t.reshape(t.getShape().get(0), t.getShape().get(1), 1, 1));
            }
            h = Ops.silu(norm2.forward(h));
            if (training && dropout > 0) {
                h = h.getNDArrayInternal().dropout(h, dropout, true).singletonOrThrow();
            }
            h = conv2.forward(h);
            NDArray skip = convShortcut != null ? convShortcut.forward(x) : x;
            return skip.add(h);
        }
    }

    /**
     * diffusers {@code Attention} over a feature map: GroupNorm, {@code to_q}/{@code to_k}/{@code to_v},
     * multi-head softmax(QKᵀ/√d)V, {@code to_out.0}, residual.
     */
    public static final class AttentionBlock extends Module {
        private final GroupNorm groupNorm;
        private final Linear toQ;
        private final Linear toK;
        private final Linear toV;
        private final Linear toOut;
        private final int heads;

        public AttentionBlock(int channels, int heads, int groups, float eps) {
            if (channels % heads != 0) {
                throw new IllegalArgumentException(channels + " channels cannot be split into " + heads + " heads");
            }
            groupNorm = child("group_norm", new GroupNorm(groups, channels, eps));
            toQ = child("to_q", new Linear(channels, channels));
            toK = child("to_k", new Linear(channels, channels));
            toV = child("to_v", new Linear(channels, channels));
            ToOut out = child("to_out", new ToOut(channels));
            toOut = out.proj;
            this.heads = heads;
        }

        public NDArray forward(NDArray x) {
            Shape s = x.getShape();
            long b = s.get(0);
            long c = s.get(1);
            long hw = s.get(2) * s.get(3);
            long d = c / heads;
            NDArray h = groupNorm.forward(x).reshape(b, c, hw).transpose(0, 2, 1); // (B, HW, C)
            NDArray q = splitHeads(Ops.mulScalar(toQ.forward(h), 1.0 / Math.sqrt(d)), b, hw, d);
            NDArray k = splitHeads(toK.forward(h), b, hw, d);
            NDArray v = splitHeads(toV.forward(h), b, hw, d);
            NDArray attn = q.batchMatMul(k.transpose(0, 2, 1)).softmax(-1); // (B·heads, HW, HW)
            NDArray o = attn.batchMatMul(v)                                  // (B·heads, HW, d)
                    .reshape(b, heads, hw, d).transpose(0, 2, 1, 3).reshape(b, hw, c);
            o = toOut.forward(o).transpose(0, 2, 1).reshape(s); // a view with channels-last strides
            // x first: the sum takes the first operand's layout, so it is plain NCHW again. With o first the
            // channels-last layout spread to every later convolution, which oneDNN then ran through other
            // kernels (brgemm) than the rest of the network; one of them (1×1, 1024→512 at 4×4, batch 2, in
            // celeba-hq-256's up path) died of SIGFPE while choosing its blocking (libtorch 2.7.1, AVX-512).
            return x.add(o);
        }

        private NDArray splitHeads(NDArray t, long b, long hw, long d) {
            return t.reshape(b, hw, heads, d).transpose(0, 2, 1, 3).reshape(b * heads, hw, d);
        }

        /** {@code to_out} is a ModuleList [Linear, Dropout] in diffusers, hence {@code to_out.0}. */
        private static final class ToOut extends Module {
            final Linear proj;

            ToOut(int channels) {
                proj = child("0", new Linear(channels, channels));
            }
        }
    }

    /**
     * diffusers {@code Downsample2D} with a stride-2 3×3 conv named {@code conv}. With {@code padding} 0
     * (diffusers' {@code downsample_padding=0}, as in google/ddpm-*) the input is first padded by one zero
     * column on the right and one zero row at the bottom ({@code F.pad(x, (0, 1, 0, 1))} in
     * diffusers' downsampling.py), and the convolution itself does not pad.
     */
    public static final class Downsample2D extends Module {
        private static final Shape RIGHT_BOTTOM = new Shape(0, 1, 0, 1); // torch pad order: W (left, right), H (top, bottom)
        private final Conv2d conv;
        private final int padding;

        public Downsample2D(int channels) {
            this(channels, 1);
        }

        public Downsample2D(int channels, int padding) {
            if (padding != 0 && padding != 1) {
                throw new IllegalArgumentException("Downsample2D padding " + padding + ": 0 or 1");
            }
            conv = child("conv", new Conv2d(channels, channels, 3, 2, padding));
            this.padding = padding;
        }

        public NDArray forward(NDArray x) {
            return conv.forward(padding == 0 ? x.pad(RIGHT_BOTTOM, 0) : x);
        }
    }

    /** diffusers {@code Upsample2D}: nearest ×2 then a 3×3 conv named {@code conv}. */
    public static final class Upsample2D extends Module {
        private final Conv2d conv;

        public Upsample2D(int channels) {
            conv = child("conv", new Conv2d(channels, channels, 3, 1, 1));
        }

        public NDArray forward(NDArray x) {
            return conv.forward(Ops.upsampleNearest2x(x));
        }
    }

    /** diffusers {@code TimestepEmbedding}: linear_1 – SiLU – linear_2. */
    public static final class TimestepEmbedding extends Module {
        private final Linear linear1;
        private final Linear linear2;

        public TimestepEmbedding(int in, int dim) {
            linear1 = child("linear_1", new Linear(in, dim));
            linear2 = child("linear_2", new Linear(dim, dim));
        }

        public NDArray forward(NDArray x) {
            return linear2.forward(Ops.silu(linear1.forward(x)));
        }
    }
}

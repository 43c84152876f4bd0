package io.ldmstudio.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.nn.Layers.Conv2d;
import io.ldmstudio.nn.Layers.GroupNorm;
import io.ldmstudio.nn.Layers.Linear;

/**
 * diffusers' {@code Transformer2DModel} for continuous inputs, as {@code UNet2DConditionModel}'s
 * cross-attention blocks build it: GroupNorm {@code norm} (eps 1e-6), {@code proj_in},
 * {@code transformer_blocks.M} ({@link BasicTransformerBlock}), {@code proj_out}, residual. The projections
 * are 1×1 convs, or with {@code use_linear_projection} (SD 2.x) Linear layers applied to the token sequence,
 * which compute the same thing from weights stored without the two trailing 1s. A feature map (B, C, H, W)
 * attends to itself and to a token sequence {@code encoderHiddenStates} (B, L, cross_attention_dim).
 *
 * <p>{@code proj_out} is applied as the linear map it is in both cases (for the conv, a 1×1 convolution of
 * the token sequence's channels, the same weights and numbers) before the tokens are laid back out as a
 * map, so the sum with the residual comes out NCHW as the rest of the network expects (see
 * {@link Blocks.AttentionBlock}).
 */
public final class Transformer2DModel extends Module {
    private final GroupNorm norm;
    private final Conv2d projIn;
    private final Linear projInLinear;
    private final ModuleList<BasicTransformerBlock> transformerBlocks;
    private final Param projOutWeight;
    private final Param projOutBias;
    private final int inner;

    /**
     * @param heads             attention heads ({@code num_attention_heads})
     * @param headDim           channels per head ({@code attention_head_dim}); heads·headDim is the inner width
     * @param inChannels        channels of the feature map
     * @param layers            transformer blocks ({@code transformer_layers_per_block})
     * @param crossAttentionDim width of the encoder's tokens
     * @param groups            GroupNorm groups of {@code norm}
     */
    public Transformer2DModel(int heads, int headDim, int inChannels, int layers, int crossAttentionDim, int groups) {
        this(heads, headDim, inChannels, layers, crossAttentionDim, groups, false);
    }

    /** @param linearProjection diffusers' {@code use_linear_projection}: Linear rather than 1×1-conv projections */
    public Transformer2DModel(int heads, int headDim, int inChannels, int layers, int crossAttentionDim, int groups,
            boolean linearProjection) {
        inner = heads * headDim;
        norm = child("norm", new GroupNorm(groups, inChannels, 1e-6f));
        projIn = linearProjection ? null : child("proj_in", new Conv2d(inChannels, inner, 1, 1, 0));
        projInLinear = linearProjection ? child("proj_in", new Linear(inChannels, inner)) : null;
        transformerBlocks = child("transformer_blocks", new ModuleList<>());
        for (int i = 0; i < layers; i++) {
            transformerBlocks.add(new BasicTransformerBlock(inner, heads, headDim, crossAttentionDim));
        }
        ProjOut out = child("proj_out", new ProjOut(inner, inChannels, linearProjection));
        projOutWeight = out.weight;
        projOutBias = out.bias;
    }

    /**
     * @param x                   (B, C, H, W)
     * @param encoderHiddenStates (B, L, cross_attention_dim)
     */
    public NDArray forward(NDArray x, NDArray encoderHiddenStates) {
        Shape s = x.getShape();
        long b = s.get(0);
        long hw = s.get(2) * s.get(3);
        NDArray h;
        if (projIn != null) {
            h = projIn.forward(norm.forward(x));
            h = h.reshape(b, inner, hw).transpose(0, 2, 1); // (B, HW, inner): permute(0, 2, 3, 1) then reshape
        } else {
            h = projInLinear.forward(norm.forward(x).reshape(b, s.get(1), hw).transpose(0, 2, 1));
        }
        for (BasicTransformerBlock block : transformerBlocks.items()) {
            h = block.forward(h, encoderHiddenStates);
        }
        NDArray w = projOutWeight.array().reshape(s.get(1), inner);
        w.attach(x.getManager()); // a view of the parameter: freed with the caller's step
        NDArray o = Ops.linear(h, w, projOutBias.array()).transpose(0, 2, 1).reshape(s);
        return x.add(o); // x first: the sum takes x's NCHW layout
    }

    /** {@code proj_out}: weight (C, inner, 1, 1) as nn.Conv2d registers it, or (C, inner) as nn.Linear; and bias. */
    private static final class ProjOut extends Module {
        final Param weight;
        final Param bias;

        ProjOut(int in, int out, boolean linear) {
            weight = linear ? param("weight", in, out, in) : param("weight", in, out, in, 1, 1);
            bias = param("bias", in, out);
        }
    }

    /** {@code nn.LayerNorm(dim, eps)} with affine weight and bias over the last axis. */
    public static final class LayerNorm extends Module {
        private final Param weight;
        private final Param bias;
        private final int dim;
        private final float eps;

        public LayerNorm(int dim, float eps) {
            weight = ones("weight", dim);
            bias = zeros("bias", dim);
            this.dim = dim;
            this.eps = eps;
        }

        public NDArray forward(NDArray x) {
            return x.getNDArrayInternal().layerNorm(x, new Shape(dim), weight.array(), bias.array(), eps)
                    .singletonOrThrow();
        }
    }

    /** {@code nn.Linear(in, out, bias=False)}. */
    public static final class LinearNoBias extends Module {
        private final Param weight;

        public LinearNoBias(int in, int out) {
            weight = param("weight", in, out, in);
        }

        public NDArray forward(NDArray x) {
            return Ops.linear(x, weight.array(), null);
        }
    }

    /**
     * diffusers {@code Attention} as {@code BasicTransformerBlock} builds it: {@code to_q}, {@code to_k},
     * {@code to_v} without bias ({@code attention_bias} false), {@code to_out.0} with bias, no residual,
     * softmax(QKᵀ·d^−½)V per head. Self-attention when the context is the input itself.
     */
    public static final class Attention extends Module {
        private final LinearNoBias toQ;
        private final LinearNoBias toK;
        private final LinearNoBias toV;
        private final Linear toOut;
        private final int heads;
        private final int headDim;

        public Attention(int queryDim, int contextDim, int heads, int headDim) {
            int inner = heads * headDim;
            toQ = child("to_q", new LinearNoBias(queryDim, inner));
            toK = child("to_k", new LinearNoBias(contextDim, inner));
            toV = child("to_v", new LinearNoBias(contextDim, inner));
            ToOut out = child("to_out", new ToOut(inner, queryDim));
            toOut = out.proj;
            this.heads = heads;
            this.headDim = headDim;
        }

        /**
         * @param h       (B, N, query_dim)
         * @param context (B, L, context_dim)
         */
        public NDArray forward(NDArray h, NDArray context) {
            long b = h.getShape().get(0);
            long n = h.getShape().get(1);
            long l = context.getShape().get(1);
            NDArray q = splitHeads(Ops.mulScalar(toQ.forward(h), 1.0 / Math.sqrt(headDim)), b, n);
            NDArray k = splitHeads(toK.forward(context), b, l);
            NDArray v = splitHeads(toV.forward(context), b, l);
            NDArray attn = q.batchMatMul(k.transpose(0, 2, 1)).softmax(-1); // (B·heads, N, L)
            NDArray o = attn.batchMatMul(v)                                  // (B·heads, N, d)
                    .reshape(b, heads, n, headDim).transpose(0, 2, 1, 3).reshape(b, n, (long) heads * headDim);
            return toOut.forward(o);
        }

        private NDArray splitHeads(NDArray t, long b, long len) {
            return t.reshape(b, len, heads, headDim).transpose(0, 2, 1, 3).reshape(b * heads, len, headDim);
        }

        /** {@code to_out} is [Linear, Dropout] in diffusers, hence {@code to_out.0}. */
        private static final class ToOut extends Module {
            final Linear proj;

            ToOut(int in, int out) {
                proj = child("0", new Linear(in, out));
            }
        }
    }

    /**
     * diffusers {@code FeedForward} with {@code activation_fn} "geglu", mult 4: {@code net.0} is GEGLU
     * ({@code net.0.proj}: Linear(dim, 2·4·dim); hidden, gate = chunk(2, −1); hidden·gelu(gate), the exact
     * erf GELU), {@code net.1} dropout (no weights), {@code net.2} Linear(4·dim, dim).
     */
    public static final class FeedForward extends Module {
        private final Linear proj;
        private final Linear out;
        private final int inner;

        public FeedForward(int dim) {
            inner = 4 * dim;
            Net net = child("net", new Net(dim, inner));
            proj = net.geglu.proj;
            out = net.out;
        }

        public NDArray forward(NDArray x) {
            NDArray p = proj.forward(x);
            NDList parts = p.split(2, p.getShape().dimension() - 1);
            NDArray hidden = parts.get(0);
            NDArray gate = parts.get(1);
            return out.forward(hidden.mul(gate.getNDArrayInternal().gelu()));
        }

        private static final class Net extends Module {
            final Geglu geglu;
            final Linear out;

            Net(int dim, int inner) {
                geglu = child("0", new Geglu(dim, inner));
                out = child("2", new Linear(inner, dim));
            }
        }

        private static final class Geglu extends Module {
            final Linear proj;

            Geglu(int dim, int inner) {
                proj = child("proj", new Linear(dim, 2 * inner));
            }
        }
    }

    /**
     * diffusers {@code BasicTransformerBlock} with {@code norm_type} "layer_norm" (eps 1e-5): self-attention
     * {@code attn1} after {@code norm1}, cross-attention {@code attn2} to the encoder's tokens after
     * {@code norm2}, the GEGLU feed-forward {@code ff} after {@code norm3}, each added to its input.
     */
    public static final class BasicTransformerBlock extends Module {
        private final LayerNorm norm1;
        private final Attention attn1;
        private final LayerNorm norm2;
        private final Attention attn2;
        private final LayerNorm norm3;
        private final FeedForward ff;

        public BasicTransformerBlock(int dim, int heads, int headDim, int crossAttentionDim) {
            norm1 = child("norm1", new LayerNorm(dim, 1e-5f));
            attn1 = child("attn1", new Attention(dim, dim, heads, headDim));
            norm2 = child("norm2", new LayerNorm(dim, 1e-5f));
            attn2 = child("attn2", new Attention(dim, crossAttentionDim, heads, headDim));
            norm3 = child("norm3", new LayerNorm(dim, 1e-5f));
            ff = child("ff", new FeedForward(dim));
        }

        /** @param h (B, N, dim); @param encoderHiddenStates (B, L, cross_attention_dim) */
        public NDArray forward(NDArray h, NDArray encoderHiddenStates) {
            NDArray n1 = norm1.forward(h);
            h = attn1.forward(n1, n1).add(h);
            h = attn2.forward(norm2.forward(h), encoderHiddenStates).add(h);
            return ff.forward(norm3.forward(h)).add(h);
        }
    }
}

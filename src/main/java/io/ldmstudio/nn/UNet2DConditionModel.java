package io.ldmstudio.nn;

import ai.djl.ndarray.NDArray;
import io.ldmstudio.nn.Blocks.Downsample2D;
import io.ldmstudio.nn.Blocks.ResnetBlock2D;
import io.ldmstudio.nn.Blocks.TimestepEmbedding;
import io.ldmstudio.nn.Blocks.Upsample2D;
import io.ldmstudio.nn.Layers.Conv2d;
import io.ldmstudio.nn.Layers.GroupNorm;
import io.ldmstudio.nn.UNetWalk.Level;
import io.ldmstudio.nn.UNetWalk.MidBlock;
import java.util.List;

/**
 * LDM's cross-attention U-Net, the same network as diffusers' {@code UNet2DConditionModel} (positional time
 * embedding, {@code CrossAttnDownBlock2D}/{@code DownBlock2D}, {@code UNetMidBlock2DCrossAttn},
 * {@code CrossAttnUpBlock2D}/{@code UpBlock2D}), with diffusers' parameter names. The condition is a token
 * sequence {@code encoderHiddenStates} (B, L, cross_attention_dim) that every {@link Transformer2DModel}
 * attends to; see {@link #forwardWithTokens}.
 *
 * <p>Heads follow diffusers: level i has {@code numAttentionHeads[i]} heads of C_i / heads channels; the up
 * path takes the heads list reversed, the mid block the last entry.
 */
public final class UNet2DConditionModel extends DiffusionNetwork {
    private final UNet2DConditionConfig config;
    private final Conv2d convIn;
    private final TimestepEmbedding timeEmbedding;
    private final ModuleList<Level<Transformer2DModel>> downBlocks;
    private final MidBlock<Transformer2DModel> midBlock;
    private final ModuleList<Level<Transformer2DModel>> upBlocks;
    private final GroupNorm convNormOut;
    private final Conv2d convOut;

    public UNet2DConditionModel(UNet2DConditionConfig c) {
        this.config = c;
        List<Integer> outs = c.blockOutChannels();
        List<Integer> heads = c.numAttentionHeads();
        int n = c.levels();
        int c0 = outs.get(0);
        int temb = c.timeEmbedDim();
        int g = c.normNumGroups();
        float eps = c.normEps();
        int tl = c.transformerLayersPerBlock();
        int xd = c.crossAttentionDim();
        boolean lin = c.useLinearProjection();
        convIn = child("conv_in", new Conv2d(c.inChannels(), c0, 3, 1, 1));
        timeEmbedding = child("time_embedding", new TimestepEmbedding(c0, temb));

        downBlocks = child("down_blocks", new ModuleList<>());
        int out = c0;
        for (int i = 0; i < n; i++) {
            int in = out;
            out = outs.get(i);
            boolean cross = c.downBlockTypes().get(i).equals(UNet2DConditionConfig.CROSS_DOWN);
            Level<Transformer2DModel> level = new Level<>(false);
            for (int j = 0; j < c.layersPerBlock(); j++) {
                level.resnets.add(new ResnetBlock2D(j == 0 ? in : out, out, temb, g, eps, c.dropout()));
                if (cross) {
                    level.attentions.add(new Transformer2DModel(heads.get(i), out / heads.get(i), out, tl, xd, g, lin));
                }
            }
            if (i < n - 1) {
                level.resamplers.add(new Downsample2D(out, c.downsamplePadding()));
            }
            level.registerRest();
            downBlocks.add(level);
        }

        int mid = outs.get(n - 1);
        int midHeads = heads.get(n - 1);
        midBlock = child("mid_block", new MidBlock<>()); // UNetMidBlock2DCrossAttn: resnet, (transformer, resnet)
        midBlock.register(true);
        midBlock.resnets.add(new ResnetBlock2D(mid, mid, temb, g, eps, c.dropout()));
        midBlock.attentions.add(new Transformer2DModel(midHeads, mid / midHeads, mid, tl, xd, g, lin));
        midBlock.resnets.add(new ResnetBlock2D(mid, mid, temb, g, eps, c.dropout()));

        upBlocks = child("up_blocks", new ModuleList<>());
        out = outs.get(n - 1);
        for (int i = 0; i < n; i++) {
            int level = n - 1 - i; // reversed block_out_channels, heads
            int prevOut = out;
            out = outs.get(level);
            int skipIn = outs.get(Math.max(level - 1, 0));
            boolean cross = c.upBlockTypes().get(i).equals(UNet2DConditionConfig.CROSS_UP);
            Level<Transformer2DModel> up = new Level<>(true);
            int layers = c.layersPerBlock() + 1;
            for (int j = 0; j < layers; j++) {
                int resSkip = j == layers - 1 ? skipIn : out;
                int resIn = j == 0 ? prevOut : out;
                up.resnets.add(new ResnetBlock2D(resIn + resSkip, out, temb, g, eps, c.dropout()));
                if (cross) {
                    up.attentions.add(new Transformer2DModel(heads.get(level), out / heads.get(level), out, tl, xd, g,
                            lin));
                }
            }
            if (i < n - 1) {
                up.resamplers.add(new Upsample2D(out));
            }
            up.registerRest();
            upBlocks.add(up);
        }
        convNormOut = child("conv_norm_out", new GroupNorm(g, c0, eps));
        convOut = child("conv_out", new Conv2d(c0, c.outChannels(), 3, 1, 1));
    }

    public UNet2DConditionConfig config() {
        return config;
    }

    @Override
    public boolean usesDropout() {
        return config.dropout() > 0;
    }

    /** Refused: this network needs a condition; use {@link #forwardWithTokens}. */
    @Override
    public NDArray forward(NDArray x, NDArray t, boolean training) {
        throw new UnsupportedOperationException(
                "UNet2DConditionModel needs encoder_hidden_states: call forwardWithTokens(x, t, tokens, training)");
    }

    /**
     * @param x                   (B, C, H, W) noisy sample
     * @param t                   (B) timesteps (any numeric type)
     * @param encoderHiddenStates (B, L, cross_attention_dim) the condition's tokens
     * @return the prediction, shaped like x
     */
    public NDArray forwardWithTokens(NDArray x, NDArray t, NDArray encoderHiddenStates, boolean training) {
        long d = encoderHiddenStates.getShape().get(encoderHiddenStates.getShape().dimension() - 1);
        if (encoderHiddenStates.getShape().dimension() != 3 || d != config.crossAttentionDim()) {
            throw new IllegalArgumentException("encoder_hidden_states " + encoderHiddenStates.getShape()
                    + ": expected (B, L, " + config.crossAttentionDim() + ")");
        }
        NDArray emb = Ops.timestepEmbedding(t, config.blockOutChannels().get(0), config.flipSinToCos(),
                config.freqShift());
        if (emb.getDataType() != x.getDataType()) {
            emb = emb.toType(x.getDataType(), false);
        }
        NDArray tembAct = Ops.silu(timeEmbedding.forward(emb)); // every resnet applies SiLU first: once here
        NDArray ctx = encoderHiddenStates;

        return UNetWalk.forward(x, tembAct, training, convIn, downBlocks, midBlock, upBlocks, convNormOut, convOut,
                (a, h) -> a.forward(h, ctx));
    }
}

package io.ldmstudio.nn;

import ai.djl.ndarray.NDArray;
import io.ldmstudio.nn.Blocks.AttentionBlock;
import io.ldmstudio.nn.Blocks.Downsample2D;
import io.ldmstudio.nn.Blocks.ResnetBlock2D;
import io.ldmstudio.nn.Blocks.TimestepEmbedding;
import io.ldmstudio.nn.Blocks.Upsample2D;
import io.ldmstudio.nn.Layers.Conv2d;
import io.ldmstudio.nn.Layers.Embedding;
import io.ldmstudio.nn.Layers.GroupNorm;
import io.ldmstudio.nn.UNetWalk.Level;
import io.ldmstudio.nn.UNetWalk.MidBlock;
import java.util.List;

/**
 * The time-conditional U-Net, the same network as diffusers' {@code UNet2DModel} (positional time
 * embedding, {@code DownBlock2D}/{@code AttnDownBlock2D}, {@code UNetMidBlock2D} with attention,
 * {@code UpBlock2D}/{@code AttnUpBlock2D}), with diffusers' parameter names.
 *
 * <p>With {@code num_class_embeds} N > 0 ({@code class_embed_type} null) it is class-conditional as
 * diffusers' is: {@code class_embedding} is an {@code nn.Embedding(N, time_embed_dim)} whose row for each
 * sample's label is added to the time embedding before the resnets see it (each applies SiLU to the sum).
 * The studio reads the last row, N − 1, as the null class: {@link #classes()} is N − 1.
 */
public final class UNet2DModel extends DiffusionNetwork {
    private final UNetConfig config;
    private final Conv2d convIn;
    private final TimestepEmbedding timeEmbedding;
    private final Embedding classEmbedding; // null: unconditional
    private final ModuleList<Level<AttentionBlock>> downBlocks;
    private final MidBlock<AttentionBlock> midBlock;
    private final ModuleList<Level<AttentionBlock>> upBlocks;
    private final GroupNorm convNormOut;
    private final Conv2d convOut;

    public UNet2DModel(UNetConfig c) {
        this.config = c;
        List<Integer> outs = c.blockOutChannels();
        int c0 = outs.get(0);
        int temb = c.timeEmbedDim();
        int g = c.normGroups();
        float eps = c.normEps();
        convIn = child("conv_in", new Conv2d(c.inChannels(), c0, 3, 1, 1));
        timeEmbedding = child("time_embedding", new TimestepEmbedding(c0, temb));
        // diffusers registers class_embedding right after time_embedding (state dict order)
        classEmbedding = c.numClassEmbeds() > 0
                ? child("class_embedding", new Embedding(c.numClassEmbeds(), temb)) : null;

        downBlocks = child("down_blocks", new ModuleList<>());
        int out = c0;
        for (int i = 0; i < c.levels(); i++) {
            int in = out;
            out = outs.get(i);
            boolean last = i == c.levels() - 1;
            Level<AttentionBlock> level = new Level<>(false);
            for (int j = 0; j < c.layersPerBlock(); j++) {
                level.resnets.add(new ResnetBlock2D(j == 0 ? in : out, out, temb, g, eps, c.dropout()));
                if (c.attention().get(i)) {
                    level.attentions.add(new AttentionBlock(out, c.headsFor(out), g, eps));
                }
            }
            if (!last) {
                level.resamplers.add(new Downsample2D(out, c.downsamplePadding()));
            }
            level.registerRest();
            downBlocks.add(level);
        }

        int mid = outs.get(outs.size() - 1);
        midBlock = child("mid_block", new MidBlock<>());
        midBlock.register(c.midBlockAttention());
        if (c.midBlockAttention()) {
            midBlock.attentions.add(new AttentionBlock(mid, c.headsFor(mid), g, eps));
        }
        midBlock.resnets.add(new ResnetBlock2D(mid, mid, temb, g, eps, c.dropout()));
        midBlock.resnets.add(new ResnetBlock2D(mid, mid, temb, g, eps, c.dropout()));

        upBlocks = child("up_blocks", new ModuleList<>());
        int prevOut;
        out = outs.get(outs.size() - 1);
        for (int i = 0; i < c.levels(); i++) {
            int level = c.levels() - 1 - i;
            prevOut = out;
            out = outs.get(level);
            int skipIn = outs.get(Math.max(level - 1, 0));
            boolean last = i == c.levels() - 1;
            Level<AttentionBlock> up = new Level<>(true);
            int layers = c.layersPerBlock() + 1;
            for (int j = 0; j < layers; j++) {
                int resSkip = j == layers - 1 ? skipIn : out;
                int resIn = j == 0 ? prevOut : out;
                up.resnets.add(new ResnetBlock2D(resIn + resSkip, out, temb, g, eps, c.dropout()));
                if (c.attention().get(level)) {
                    up.attentions.add(new AttentionBlock(out, c.headsFor(out), g, eps));
                }
            }
            if (!last) {
                up.resamplers.add(new Upsample2D(out));
            }
            up.registerRest();
            upBlocks.add(up);
        }
        convNormOut = child("conv_norm_out", new GroupNorm(g, c0, eps));
        convOut = child("conv_out", new Conv2d(c0, c.outChannels(), 3, 1, 1));
    }

    public UNetConfig config() {
        return config;
    }

    /**
     * @param x (B, C, H, W) noisy sample
     * @param t (B) timesteps (any numeric type)
     * @return the network output, shaped like x
     */
    @Override
    public boolean usesDropout() {
        return config.dropout() > 0;
    }

    @Override
    public int classes() {
        return config.classes();
    }

    @Override
    public boolean hasNullClass() {
        return config.classes() > 0 && config.nullClass();
    }

    /** The unconditional forward pass; a class-conditional network refuses it (it needs labels). */
    @Override
    public NDArray forward(NDArray x, NDArray t, boolean training) {
        return forward(x, t, null, training);
    }

    /**
     * @param classLabels (B) integer labels in [0, num_class_embeds) when the network has a class embedding
     *                    (the null class is {@link #nullClass()}); null when it has none
     */
    @Override
    public NDArray forward(NDArray x, NDArray t, NDArray classLabels, boolean training) {
        NDArray emb = Ops.timestepEmbedding(t, config.blockOutChannels().get(0), config.flipSinToCos(),
                config.freqShift());
        if (emb.getDataType() != x.getDataType()) {
            emb = emb.toType(x.getDataType(), false); // mixed precision: t carries no gradient
        }
        NDArray temb = timeEmbedding.forward(emb);
        if (classEmbedding != null) {
            if (classLabels == null) {
                throw new IllegalArgumentException("class_labels should be provided when doing class conditioning: "
                        + "this network has num_class_embeds " + config.numClassEmbeds() + " (" + classes()
                        + " classes" + (hasNullClass() ? " and the null class " + nullClass() : ", no null class") + ")");
            }
            long batch = x.getShape().get(0);
            if (classLabels.getShape().dimension() != 1 || classLabels.getShape().get(0) != batch) {
                throw new IllegalArgumentException("class labels are shaped (" + batch + "), one per sample, got "
                        + classLabels.getShape());
            }
            // diffusers: class_emb = self.class_embedding(class_labels).to(dtype=sample.dtype); emb = emb + class_emb
            NDArray classEmb = classEmbedding.forward(classLabels);
            if (classEmb.getDataType() != temb.getDataType()) {
                classEmb = classEmb.toType(temb.getDataType(), false);
            }
            temb = temb.add(classEmb);
        } else if (classLabels != null) {
            throw new IllegalArgumentException("this network is unconditional (num_class_embeds null): it takes no "
                    + "class labels");
        }
        // every ResnetBlock2D applies SiLU to the embedding before its projection: do it once
        NDArray tembAct = Ops.silu(temb);

        return UNetWalk.forward(x, tembAct, training, convIn, downBlocks, midBlock, upBlocks, convNormOut, convOut,
                (a, h) -> a.forward(h));
    }
}

package io.ldmstudio.nn;

import java.util.List;

/**
 * The shape of a {@link UNet2DConditionModel}, in the terms of diffusers' {@code UNet2DConditionModel}
 * config (reading {@code config.json} is {@code weights.UNetConditionWeights}' job). Supported: positional
 * time embedding, SiLU, {@code CrossAttnDownBlock2D}/{@code DownBlock2D} down,
 * {@code UNetMidBlock2DCrossAttn} mid, {@code CrossAttnUpBlock2D}/{@code UpBlock2D} up, 1×1-conv
 * 1×1-conv or ({@code use_linear_projection}) Linear projections, no class or added embeddings.
 *
 * @param sampleSize                 the sample's side the model was trained for (informational; null if unset)
 * @param inChannels                 channels of the sample
 * @param outChannels                channels of the prediction
 * @param downBlockTypes             per level, {@code CrossAttnDownBlock2D} or {@code DownBlock2D}
 * @param upBlockTypes               per level, deepest first, {@code CrossAttnUpBlock2D} or {@code UpBlock2D}
 * @param blockOutChannels           channels of each level
 * @param layersPerBlock             resnets per down level (up levels have one more)
 * @param numAttentionHeads          heads per level, as diffusers resolves them from {@code attention_head_dim}
 *                                   (a historical naming quirk: in UNet2DConditionModel that number is the heads,
 *                                   and a head has C / heads channels; {@code num_attention_heads} must be null)
 * @param crossAttentionDim          width of the encoder's tokens
 * @param transformerLayersPerBlock  transformer blocks per Transformer2DModel
 * @param normNumGroups              GroupNorm groups everywhere
 * @param normEps                    eps of the resnets' and the output's GroupNorms
 * @param flipSinToCos               time embedding as [cos | sin]
 * @param freqShift                  the time embedding's downscale_freq_shift
 * @param downsamplePadding          1, or 0 for a right/bottom zero pad before a stride-2 conv
 * @param dropout                    dropout in the resnets
 * @param useLinearProjection        Linear {@code proj_in}/{@code proj_out} (SD 2.x) rather than 1×1 convs
 */
public record UNet2DConditionConfig(
        Integer sampleSize,
        int inChannels,
        int outChannels,
        List<String> downBlockTypes,
        List<String> upBlockTypes,
        List<Integer> blockOutChannels,
        int layersPerBlock,
        List<Integer> numAttentionHeads,
        int crossAttentionDim,
        int transformerLayersPerBlock,
        int normNumGroups,
        float normEps,
        boolean flipSinToCos,
        double freqShift,
        int downsamplePadding,
        float dropout,
        boolean useLinearProjection) {

    public static final String CROSS_DOWN = "CrossAttnDownBlock2D";
    public static final String DOWN = "DownBlock2D";
    public static final String CROSS_UP = "CrossAttnUpBlock2D";
    public static final String UP = "UpBlock2D";

    /** With 1×1-conv projections ({@code use_linear_projection} false, as SD 1.x and LDM). */
    public UNet2DConditionConfig(Integer sampleSize, int inChannels, int outChannels, List<String> downBlockTypes,
            List<String> upBlockTypes, List<Integer> blockOutChannels, int layersPerBlock,
            List<Integer> numAttentionHeads, int crossAttentionDim, int transformerLayersPerBlock, int normNumGroups,
            float normEps, boolean flipSinToCos, double freqShift, int downsamplePadding, float dropout) {
        this(sampleSize, inChannels, outChannels, downBlockTypes, upBlockTypes, blockOutChannels, layersPerBlock,
                numAttentionHeads, crossAttentionDim, transformerLayersPerBlock, normNumGroups, normEps, flipSinToCos,
                freqShift, downsamplePadding, dropout, false);
    }

    public UNet2DConditionConfig {
        downBlockTypes = List.copyOf(downBlockTypes);
        upBlockTypes = List.copyOf(upBlockTypes);
        blockOutChannels = List.copyOf(blockOutChannels);
        numAttentionHeads = List.copyOf(numAttentionHeads);
        int n = blockOutChannels.size();
        if (n == 0 || downBlockTypes.size() != n || upBlockTypes.size() != n || numAttentionHeads.size() != n) {
            throw new IllegalArgumentException("down_block_types, up_block_types, block_out_channels and the heads"
                    + " need one entry per level: " + downBlockTypes + ", " + upBlockTypes + ", " + blockOutChannels
                    + ", " + numAttentionHeads);
        }
        for (String t : downBlockTypes) {
            if (!t.equals(CROSS_DOWN) && !t.equals(DOWN)) {
                throw new IllegalArgumentException("down block type " + t + ": " + CROSS_DOWN + " or " + DOWN);
            }
        }
        for (String t : upBlockTypes) {
            if (!t.equals(CROSS_UP) && !t.equals(UP)) {
                throw new IllegalArgumentException("up block type " + t + ": " + CROSS_UP + " or " + UP);
            }
        }
        for (int i = 0; i < n; i++) {
            int c = blockOutChannels.get(i);
            if (c % normNumGroups != 0) {
                throw new IllegalArgumentException(c + " channels cannot be split into " + normNumGroups + " groups");
            }
            if (numAttentionHeads.get(i) <= 0 || c % numAttentionHeads.get(i) != 0) {
                throw new IllegalArgumentException(c + " channels cannot be split into " + numAttentionHeads.get(i)
                        + " heads");
            }
        }
        if (layersPerBlock < 1 || transformerLayersPerBlock < 1 || crossAttentionDim < 1) {
            throw new IllegalArgumentException("layers_per_block, transformer_layers_per_block and"
                    + " cross_attention_dim must be positive");
        }
        if (downsamplePadding != 0 && downsamplePadding != 1) {
            throw new IllegalArgumentException("downsample_padding " + downsamplePadding + ": 0 or 1");
        }
    }

    /**
     * The cross-attention U-Net of a run's model settings ({@code conditioning.type cross_attention}): the
     * levels {@code attention_resolutions} names are {@code CrossAttnDownBlock2D}/{@code CrossAttnUpBlock2D},
     * the others {@code DownBlock2D}/{@code UpBlock2D}; the rest as {@link UNetConfig#of} builds a
     * {@code UNet2DModel} (time embedding [cos | sin], shift 0, padded downsampling). Heads: {@code num_heads}
     * in every attention layer, or C / {@code head_dim} for a layer over C channels; a level without
     * attention gets the same where it divides its channels, else 1 (diffusers ignores it).
     */
    public static UNet2DConditionConfig of(io.ldmstudio.config.RunConfig.Model m, int channels, int sampleSize,
            int crossAttentionDim, int transformerLayersPerBlock) {
        List<String> down = new java.util.ArrayList<>();
        List<String> up = new java.util.ArrayList<>();
        List<Integer> outs = new java.util.ArrayList<>();
        List<Integer> heads = new java.util.ArrayList<>();
        int levels = m.channelMult().size();
        for (int i = 0; i < levels; i++) {
            int c = m.modelChannels() * m.channelMult().get(i);
            boolean attn = m.attentionResolutions().contains(1 << i);
            outs.add(c);
            down.add(attn ? CROSS_DOWN : DOWN);
            up.add(0, attn ? CROSS_UP : UP);
            int h = m.numHeads() > 0 ? m.numHeads() : m.headDim() > 0 ? c / Math.max(1, m.headDim()) : 1;
            heads.add(h > 0 && c % h == 0 ? h : 1);
        }
        return new UNet2DConditionConfig(sampleSize, channels, channels, down, up, outs, m.numResBlocks(), heads,
                crossAttentionDim, transformerLayersPerBlock, m.normGroups(), 1e-5f, true, 0.0, 1, (float) m.dropout());
    }

    public int levels() {
        return blockOutChannels.size();
    }

    /** diffusers' {@code time_embed_dim}: 4 × the first level's channels. */
    public int timeEmbedDim() {
        return 4 * blockOutChannels.get(0);
    }
}

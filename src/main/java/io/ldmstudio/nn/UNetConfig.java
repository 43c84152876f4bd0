package io.ldmstudio.nn;

import io.ldmstudio.config.RunConfig;
import java.util.ArrayList;
import java.util.List;

/**
 * The shape of a {@link UNet2DModel}, in diffusers' terms.
 *
 * @param blockOutChannels channels of each resolution level (model_channels × channel_mult)
 * @param attention        whether each level's blocks have self-attention ({@code AttnDownBlock2D})
 * @param numHeads         heads in every attention layer when > 0 (the studio's own networks); otherwise
 *                         per block as diffusers: channels / attentionHeadDim
 * @param attentionHeadDim diffusers' {@code attention_head_dim}, used when numHeads is 0; 0 stands for
 *                         diffusers' {@code null}: each block's own channels, i.e. one head per attention
 * @param downsamplePadding diffusers' {@code downsample_padding}: 1 pads the stride-2 convolution by one on
 *                         every side; 0 pads only right and bottom, before a convolution without padding
 * @param numClassEmbeds   diffusers' {@code num_class_embeds} (with {@code class_embed_type} null): rows of the
 *                         class embedding added to the time embedding; 0 for none (unconditional). The studio
 *                         counts the last row as the null class, so a network for K classes has K + 1
 * @param nullClass        whether the class embedding's last row is the null class classifier-free guidance
 *                         needs (the studio's own networks, {@code studio_null_class} in its exports); false for a
 *                         checkpoint trained with a label for every row, which samples its classes without guidance
 */
public record UNetConfig(
        int inChannels,
        int outChannels,
        int sampleSize,
        List<Integer> blockOutChannels,
        List<Boolean> attention,
        int layersPerBlock,
        int numHeads,
        int attentionHeadDim,
        int normGroups,
        float normEps,
        float dropout,
        boolean flipSinToCos,
        double freqShift,
        boolean midBlockAttention,
        int downsamplePadding,
        int numClassEmbeds,
        boolean nullClass) {

    public UNetConfig {
        blockOutChannels = List.copyOf(blockOutChannels);
        attention = List.copyOf(attention);
        if (blockOutChannels.isEmpty() || attention.size() != blockOutChannels.size()) {
            throw new IllegalArgumentException("attention flags must match block_out_channels");
        }
        if (downsamplePadding != 0 && downsamplePadding != 1) {
            throw new IllegalArgumentException("downsample_padding " + downsamplePadding + ": 0 or 1");
        }
        if (numClassEmbeds < 0 || (numClassEmbeds == 1 && nullClass)) {
            throw new IllegalArgumentException("num_class_embeds " + numClassEmbeds
                    + ": 0 (unconditional) or at least 2 (one class and the null class)");
        }
    }

    /** A network whose class embedding (if any) ends with the null class, as the studio trains them. */
    public UNetConfig(int inChannels, int outChannels, int sampleSize, List<Integer> blockOutChannels,
            List<Boolean> attention, int layersPerBlock, int numHeads, int attentionHeadDim, int normGroups,
            float normEps, float dropout, boolean flipSinToCos, double freqShift, boolean midBlockAttention,
            int downsamplePadding, int numClassEmbeds) {
        this(inChannels, outChannels, sampleSize, blockOutChannels, attention, layersPerBlock, numHeads,
                attentionHeadDim, normGroups, normEps, dropout, flipSinToCos, freqShift, midBlockAttention,
                downsamplePadding, numClassEmbeds, true);
    }

    /** An unconditional network ({@code num_class_embeds} 0). */
    public UNetConfig(int inChannels, int outChannels, int sampleSize, List<Integer> blockOutChannels,
            List<Boolean> attention, int layersPerBlock, int numHeads, int attentionHeadDim, int normGroups,
            float normEps, float dropout, boolean flipSinToCos, double freqShift, boolean midBlockAttention,
            int downsamplePadding) {
        this(inChannels, outChannels, sampleSize, blockOutChannels, attention, layersPerBlock, numHeads,
                attentionHeadDim, normGroups, normEps, dropout, flipSinToCos, freqShift, midBlockAttention,
                downsamplePadding, 0);
    }

    /**
     * The same network with a class embedding of {@code numClassEmbeds} rows (diffusers'
     * {@code num_class_embeds}; 0 removes it). For K classes pass K + 1: the last row is the null class.
     */
    public UNetConfig withNumClassEmbeds(int numClassEmbeds) {
        return new UNetConfig(inChannels, outChannels, sampleSize, blockOutChannels, attention, layersPerBlock,
                numHeads, attentionHeadDim, normGroups, normEps, dropout, flipSinToCos, freqShift, midBlockAttention,
                downsamplePadding, numClassEmbeds, true);
    }

    /** The same network whose class embedding's last row is ({@code true}) or is not the null class. */
    public UNetConfig withNullClass(boolean hasNull) {
        return new UNetConfig(inChannels, outChannels, sampleSize, blockOutChannels, attention, layersPerBlock,
                numHeads, attentionHeadDim, normGroups, normEps, dropout, flipSinToCos, freqShift, midBlockAttention,
                downsamplePadding, numClassEmbeds, hasNull);
    }

    /**
     * The classes the network is conditioned on: {@code numClassEmbeds − 1} (the null class aside), every row
     * without a null class, or 0.
     */
    public int classes() {
        return numClassEmbeds > 0 ? (nullClass ? numClassEmbeds - 1 : numClassEmbeds) : 0;
    }

    /**
     * From the studio's model config: attention where 2^level is one of the attention resolutions;
     * {@code num_heads} heads everywhere, or, when {@code head_dim} is set instead, diffusers'
     * {@code attention_head_dim} = head_dim (channels / head_dim heads per layer).
     */
    public static UNetConfig of(RunConfig.Model m, int channels, int sampleSize) {
        List<Integer> outs = new ArrayList<>();
        List<Boolean> attn = new ArrayList<>();
        for (int i = 0; i < m.channelMult().size(); i++) {
            outs.add(m.modelChannels() * m.channelMult().get(i));
            attn.add(m.attentionResolutions().contains(1 << i));
        }
        return new UNetConfig(channels, channels, sampleSize, outs, attn, m.numResBlocks(), m.numHeads(),
                m.numHeads() > 0 ? 0 : m.headDim(),
                m.normGroups(), 1e-5f, (float) m.dropout(), true, 0.0, true, 1);
    }

    /**
     * The attention widths at which diffusers would use another head count than this network: a studio
     * network has {@code numHeads} heads everywhere, but its config can only say
     * {@code attention_head_dim} = middle width / numHeads, and diffusers gives a block of C channels
     * C / attention_head_dim heads. Empty when every attention level is as wide as the middle block (or
     * the heads are diffusers' own).
     */
    public List<Integer> widthsWithOtherHeadsInDiffusers() {
        if (numHeads <= 0) {
            return List.of();
        }
        int mid = blockOutChannels.get(blockOutChannels.size() - 1);
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < blockOutChannels.size(); i++) {
            int c = blockOutChannels.get(i);
            if (attention.get(i) && c != mid && !out.contains(c)) {
                out.add(c);
            }
        }
        return out;
    }

    public int levels() {
        return blockOutChannels.size();
    }

    /**
     * Heads of an attention layer over {@code channels}: {@code numHeads} when set; otherwise as diffusers'
     * {@code AttnDownBlock2D}/{@code AttnUpBlock2D}/{@code UNetMidBlock2D}: {@code channels // attention_head_dim},
     * with {@code attention_head_dim} null (0 here) meaning the block's channels, so one head.
     */
    public int headsFor(int channels) {
        if (numHeads > 0) {
            return numHeads;
        }
        if (attentionHeadDim <= 0) {
            return 1;
        }
        if (channels % attentionHeadDim != 0) {
            throw new IllegalArgumentException("attention_head_dim " + attentionHeadDim + " does not divide "
                    + channels + " channels");
        }
        return channels / attentionHeadDim;
    }

    public int timeEmbedDim() {
        return blockOutChannels.get(0) * 4;
    }
}

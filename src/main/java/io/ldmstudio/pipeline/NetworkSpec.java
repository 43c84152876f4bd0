package io.ldmstudio.pipeline;

import io.ldmstudio.nn.ClassConditionalUNet;
import io.ldmstudio.nn.DiffusionNetwork;
import io.ldmstudio.nn.UNet2DConditionConfig;
import io.ldmstudio.nn.UNet2DModel;
import io.ldmstudio.nn.UNetConfig;

/**
 * The shape of a pipeline's denoising network, known before its weights are loaded: a diffusers
 * {@code UNet2DModel} ({@link #unet}, unconditional or with a class embedding), or LDM's cross-attention
 * route ({@link #crossAttention}): a {@code UNet2DConditionModel} attending to a class token from a table of
 * {@link #tokenClasses} classes plus the null row ({@link ClassConditionalUNet}). Exactly one of the two
 * configs is set.
 */
public record NetworkSpec(UNetConfig unet, UNet2DConditionConfig crossAttention, int tokenClasses) {
    public NetworkSpec {
        if ((unet == null) == (crossAttention == null)) {
            throw new IllegalArgumentException("a network is a UNet2DModel or a UNet2DConditionModel: give one config");
        }
        if (crossAttention != null && tokenClasses < 1) {
            throw new IllegalArgumentException("a cross-attention U-Net needs classes to attend to, got " + tokenClasses);
        }
        if (crossAttention != null && crossAttention.sampleSize() == null) {
            throw new IllegalArgumentException("the UNet2DConditionModel config has no sample_size: the studio needs"
                    + " it for the shape of x_T");
        }
    }

    public static NetworkSpec of(UNetConfig unet) {
        return new NetworkSpec(unet, null, 0);
    }

    public static NetworkSpec crossAttention(UNet2DConditionConfig config, int classes) {
        return new NetworkSpec(null, config, classes);
    }

    /** The spec of a network in memory: a {@link UNet2DModel} or a {@link ClassConditionalUNet}. */
    public static NetworkSpec of(DiffusionNetwork net) {
        if (net instanceof UNet2DModel u) {
            return of(u.config());
        }
        if (net instanceof ClassConditionalUNet c) {
            return crossAttention(c.unet().config(), c.classes());
        }
        throw new IllegalArgumentException("a pipeline's denoiser is a UNet2DModel or a class-conditional"
                + " UNet2DConditionModel, not a " + net.getClass().getSimpleName());
    }

    public boolean isCrossAttention() {
        return crossAttention != null;
    }

    /** The diffusers class of the {@code unet} component. */
    public String className() {
        return crossAttention != null ? "UNet2DConditionModel" : "UNet2DModel";
    }

    public int inChannels() {
        return crossAttention != null ? crossAttention.inChannels() : unet.inChannels();
    }

    public int outChannels() {
        return crossAttention != null ? crossAttention.outChannels() : unet.outChannels();
    }

    /** The side of the square the network denoises. */
    public int sampleSize() {
        return crossAttention != null ? crossAttention.sampleSize() : unet.sampleSize();
    }

    /** The classes it is conditioned on (labels 0 … classes − 1); 0 when unconditional. */
    public int classes() {
        return crossAttention != null ? tokenClasses : unet.classes();
    }

    /**
     * Whether a class-conditional network has the null class classifier-free guidance needs: the class tokens
     * always do (their last row); a {@code UNet2DModel}'s class embedding when its config says so.
     */
    public boolean hasNullClass() {
        return classes() > 0 && (crossAttention != null || unet.nullClass());
    }

    /** A new, uninitialised network of this shape. */
    public DiffusionNetwork build() {
        return crossAttention != null ? new ClassConditionalUNet(crossAttention, tokenClasses) : new UNet2DModel(unet);
    }
}

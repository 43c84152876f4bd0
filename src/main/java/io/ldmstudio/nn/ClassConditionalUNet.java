package io.ldmstudio.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;

/**
 * LDM's class-conditional route through cross-attention: a label becomes one token ({@link ClassTokens},
 * {@code class_tokens}) that a {@link UNet2DConditionModel} ({@code unet}) attends to, as LDM's
 * {@code ClassEmbedder} feeds its cross-attention U-Net. {@link #forward(NDArray, NDArray, NDArray, boolean)}
 * is {@link DiffusionNetwork}'s label forward, so {@code diffusion.Guidance} guides it like any
 * class-conditional network; no labels means the null class.
 *
 * <p>Parameter names are the two parts' own under {@code unet.} and {@code class_tokens.}: the U-Net's are
 * diffusers' {@code UNet2DConditionModel} names after the prefix.
 */
public final class ClassConditionalUNet extends DiffusionNetwork {
    private final UNet2DConditionModel unet;
    private final ClassTokens classTokens;

    public ClassConditionalUNet(UNet2DConditionConfig config, int classes) {
        unet = child("unet", new UNet2DConditionModel(config));
        classTokens = child("class_tokens", new ClassTokens(classes, config.crossAttentionDim()));
    }

    public UNet2DConditionModel unet() {
        return unet;
    }

    public ClassTokens classTokens() {
        return classTokens;
    }

    @Override
    public int classes() {
        return classTokens.classes();
    }

    @Override
    public boolean usesDropout() {
        return unet.usesDropout();
    }

    /** The unconditional prediction: every sample gets the null class. */
    @Override
    public NDArray forward(NDArray x, NDArray t, boolean training) {
        return forward(x, t, null, training);
    }

    @Override
    public NDArray forward(NDArray x, NDArray t, NDArray classLabels, boolean training) {
        NDArray labels = classLabels;
        if (labels == null) {
            labels = x.getManager().full(new ai.djl.ndarray.types.Shape(x.getShape().get(0)), nullClass(),
                    DataType.INT64);
        }
        return unet.forwardWithTokens(x, t, classTokens.forward(labels), training);
    }
}

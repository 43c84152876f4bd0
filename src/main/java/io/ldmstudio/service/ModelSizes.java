package io.ldmstudio.service;

import io.ldmstudio.config.RunConfig;
import io.ldmstudio.nn.AutoencoderKL;
import io.ldmstudio.nn.UNetConfig;
import io.ldmstudio.nn.VaeConfig;
import io.ldmstudio.pipeline.NetworkSpec;
import io.ldmstudio.training.RunPipelines;
import java.util.OptionalDouble;
import java.util.function.LongSupplier;

/**
 * How big the network a run config trains is: which network (the U-Net, or the autoencoder of an
 * autoencoder run), its parameter count, and rough memory figures for training it. Counting builds
 * the network's modules (no tensors), so an instance remembers the last shape it counted and builds
 * again only when the shape changed: most edits (learning rate, steps, ...) leave it as it was. Not
 * thread-safe; one instance per caller.
 */
public final class ModelSizes {
    /** The network a run trains. */
    public enum Network {
        UNET,
        AUTOENCODER
    }

    /**
     * The figures for one config.
     *
     * @param network         which network the run trains
     * @param parameters      its parameter count
     * @param stateBytes      weights + gradients + AdamW's two moments + EMA, float32 ({@link #stateBytes(long)})
     * @param activationBytes a rough figure for what backward keeps at the config's batch size (U-Net
     *                        only; empty for the autoencoder, which has no estimate)
     */
    public record Size(Network network, long parameters, double stateBytes, OptionalDouble activationBytes) {}

    private Object countedShape;
    private long countedParams;

    /** The figures for {@code c}, a valid config. */
    public Size of(RunConfig c) {
        if (c.trainsAutoencoder()) {
            VaeConfig vc = VaeConfig.of(c.vae(), c.data().channels(), c.data().resolution());
            long params = parameterCount(vc, () -> new AutoencoderKL(vc).parameterCount());
            return new Size(Network.AUTOENCODER, params, stateBytes(params), OptionalDouble.empty());
        }
        UNetConfig u = UNetConfig.of(c.model(), c.unetChannels(), c.unetResolution());
        RunConfig.Conditioning k = c.conditioning();
        // a conditional run's network as it will train: its class embedding or its cross-attention U-Net and
        // class tokens (one class while the dataset's count is not known yet)
        NetworkSpec spec = k.conditional()
                ? RunPipelines.network(c.withConditioning(k.withClasses(Math.max(1, k.classes()))))
                : NetworkSpec.of(u);
        long params = parameterCount(spec, () -> spec.build().parameterCount());
        return new Size(Network.UNET, params, stateBytes(params), OptionalDouble.of(activationBytes(c, u)));
    }

    /**
     * The parameter count of a network shape, built (modules only, no tensors) just when the shape
     * changed: most edits (learning rate, steps, ...) leave it as it was, and this runs on each keystroke.
     */
    private long parameterCount(Object shape, LongSupplier count) {
        if (!shape.equals(countedShape)) {
            countedParams = count.getAsLong();
            countedShape = shape;
        }
        return countedParams;
    }

    /** weights + gradients + AdamW's two moments + EMA, float32. */
    public static double stateBytes(long params) {
        return params * 4.0 * 5;
    }

    /**
     * A rough figure for what backward keeps: per ResNet block about 8 feature maps of its width and
     * resolution (two norms, two activations, two convolutions, the skip and the sum), per attention
     * block the (HW)² score matrix per head, for the down and up paths, float32 (a cross-attention network's
     * transformers are counted as self-attention blocks: its cross-attention scores are HW × 1 per head).
     */
    public static double activationBytes(RunConfig c, UNetConfig u) {
        double floats = 0;
        int res = u.sampleSize();
        for (int level = 0; level < u.levels(); level++) {
            int ch = u.blockOutChannels().get(level);
            double hw = (double) res * res;
            int blocks = u.layersPerBlock() * 2 + 1; // down path, up path (one more)
            floats += blocks * 8.0 * ch * hw;
            if (u.attention().get(level)) {
                floats += blocks * (4.0 * ch * hw + u.headsFor(ch) * hw * hw);
            }
            res = Math.max(1, res / 2);
        }
        return floats * 4.0 * c.optim().batchSize();
    }
}

package io.ldmstudio.training;

import io.ldmstudio.config.RunConfig;
import io.ldmstudio.diffusion.SchedulerConfig;
import io.ldmstudio.diffusion.Thresholding;
import io.ldmstudio.nn.DiffusionNetwork;
import io.ldmstudio.nn.UNet2DConditionConfig;
import io.ldmstudio.nn.UNet2DModel;
import io.ldmstudio.nn.UNetConfig;
import io.ldmstudio.pipeline.NetworkSpec;
import io.ldmstudio.pipeline.Pipeline;
import java.nio.file.Path;

/**
 * A run as a {@link Pipeline}: its U-Net (from a checkpoint, or the live network while it trains), the
 * scheduler config its export writes ({@link SchedulerConfig#forStudio}), and in latent space its
 * autoencoder ({@code autoencoder.path}, with the config's scaling factor when set). So a run samples,
 * writes its grids and exports through the same pipeline code as a published model.
 */
public final class RunPipelines {
    private RunPipelines() {}

    /**
     * The U-Net a run trains: with a class embedding of classes + 1 rows (the last the null class) when the
     * run is class-conditional.
     */
    public static UNetConfig unetConfig(RunConfig config) {
        UNetConfig uc = UNetConfig.of(config.model(), config.unetChannels(), config.unetResolution());
        RunConfig.Conditioning c = config.conditioning();
        if (c.conditional()) {
            if (c.classes() < 1) {
                throw new IllegalStateException("conditioning.type " + c.type() + " but the number of classes is not"
                        + " known yet: it is taken from the dataset when the run starts");
            }
            uc = uc.withNumClassEmbeds(c.classes() + 1);
        }
        return uc;
    }

    /**
     * The network a run trains: {@link #unetConfig}'s {@code UNet2DModel}, or for
     * {@code conditioning.type cross_attention} LDM's {@code UNet2DConditionModel} of the same levels (those
     * {@code model.attention_resolutions} names with self- and cross-attention) attending to a class token.
     */
    public static NetworkSpec network(RunConfig config) {
        RunConfig.Conditioning c = config.conditioning();
        if (!c.crossAttention()) {
            return NetworkSpec.of(unetConfig(config));
        }
        if (c.classes() < 1) {
            throw new IllegalStateException("conditioning.type " + c.type() + " but the number of classes is not"
                    + " known yet: it is taken from the dataset when the run starts");
        }
        return NetworkSpec.crossAttention(UNet2DConditionConfig.of(config.model(), config.unetChannels(),
                config.unetResolution(), c.crossAttentionDim(), c.transformerLayersPerBlock()), c.classes());
    }

    /**
     * The scheduler config of the run sampled with {@code sampler} (a key; null = the run's
     * {@code sampling.sampler}): its timestep spacing is the one the studio uses with that sampler.
     *
     * <p>A pixel-space run without {@code sampling.thresholding} gets thresholding at {@code sample_max_value} 1:
     * x̂0 clipped to [−1, 1] for every sampler. DDPM and DDIM clip already ({@code clip_sample}), bit for bit the
     * same; DPM-Solver++ (diffusers' too) reads only {@code thresholding}, and without it the unclipped x̂0 of the
     * first high-noise steps turned a trained Fashion-MNIST run's samples into saturated noise (FD_fashion-mnist
     * 31 against 3.2 clipped, DPM-Solver++ at 20 steps). The exported scheduler config says so, so diffusers
     * samples the same.
     */
    public static SchedulerConfig scheduler(RunConfig config, String sampler) {
        RunConfig.Sampling s = config.sampling();
        Thresholding thresholding = s.thresholding()
                ? new Thresholding(s.dynamicThresholdingRatio(), s.sampleMaxValue())
                : config.pixelSpace() ? new Thresholding(Thresholding.DEFAULT_RATIO, 1.0) : null;
        return SchedulerConfig.forStudio(config.diffusion(), sampler == null ? s.sampler() : sampler,
                config.pixelSpace(), thresholding);
    }

    /** The run's autoencoder as a pipeline component, loaded and checked by {@link LatentSpace#load}; null in pixel space. */
    public static Pipeline.Autoencoder autoencoder(RunConfig config) {
        if (config.pixelSpace()) {
            return null;
        }
        RunConfig.Autoencoder ae = config.autoencoder();
        return new Pipeline.Autoencoder(null, ae.downsampleFactor(), config.unetChannels(), config.data().channels(),
                ae.scalingFactor() > 0 ? ae.scalingFactor() : null, m -> LatentSpace.load(config, m).vae());
    }

    /** The run sampled with {@code sampler} (null: its own) from the U-Net weights in {@code unetWeights}. */
    public static Pipeline of(RunConfig config, String sampler, Path unetWeights, String origin) {
        return Pipeline.assemble(network(config), unetWeights, scheduler(config, sampler), autoencoder(config), origin);
    }

    /** The live network (and the run's loaded autoencoder, null in pixel space), borrowed, not closed. */
    static Pipeline live(RunConfig config, DiffusionNetwork model, LatentSpace latent) {
        return live(config, model, latent, null);
    }

    /** As {@link #live(RunConfig, DiffusionNetwork, LatentSpace)}, with the scheduler config of {@code sampler}. */
    static Pipeline live(RunConfig config, DiffusionNetwork model, LatentSpace latent, String sampler) {
        return Pipeline.of(model, scheduler(config, sampler), latent == null ? null : latent.vae(), "training");
    }
}

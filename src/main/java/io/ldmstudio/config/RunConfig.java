package io.ldmstudio.config;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * The full, resolved configuration of a run. JSON uses snake_case names (see {@link Configs#MAPPER}),
 * so {@code optim.batch_size} in a preset or in {@code --set} is {@link Optim#batchSize()} here.
 *
 * <p>Every part is a record with no nulls once resolved: presets fill what they do not say from the
 * preset they extend, and finally from {@link #defaults()}.
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public record RunConfig(
        String preset,
        String description,
        Data data,
        Autoencoder autoencoder,
        Model model,
        Diffusion diffusion,
        Optim optim,
        Sampling sampling,
        Logging logging,
        String device) {

    /** Where images come from and how they are shaped for training. */
    public record Data(
            String source,        // procedural | folder | cifar10 | idx
            String path,          // folder or file(s); null for procedural
            int resolution,       // square side in pixels after crop/resize
            int channels,         // 1 (grayscale) or 3 (RGB)
            boolean centerCrop,
            boolean flip,         // random horizontal flip
            int limit,            // use at most this many images; 0 = all
            int workers) {}       // decoding threads ahead of the trainer

    /** The perceptual-compression stage. {@code kind = none} trains in pixel space. */
    public record Autoencoder(
            String kind,          // none | pretrained | studio
            String path,          // diffusers folder, safetensors file or studio VAE run
            double scalingFactor, // latents are multiplied by this after encoding
            String cacheDtype) {} // float16 | float32

    /** The time-conditional U-Net (diffusers UNet2DModel shape). */
    public record Model(
            int modelChannels,
            List<Integer> channelMult,
            int numResBlocks,
            List<Integer> attentionResolutions, // downsample factors with attention (1 = full res)
            int numHeads,
            int normGroups,
            double dropout) {}

    public record Diffusion(
            int timesteps,
            String schedule,      // linear | cosine | quadratic
            double betaStart,
            double betaEnd,
            String prediction) {} // epsilon | v_prediction

    public record Optim(
            double lr,
            double beta1,
            double beta2,
            double weightDecay,
            double eps,
            String lrSchedule,    // constant | warmup_constant | cosine
            int warmupSteps,
            int tMax,             // cosine annealing period in steps (0 = total steps)
            double minLr,
            double gradClip,      // global-norm clip; 0 = off
            double emaDecay,      // 0 = no EMA
            int batchSize,
            int steps,
            long seed,
            boolean mixedPrecision) {}

    public record Sampling(
            String sampler,       // ddpm | ddim | dpmpp
            int steps,
            double eta,
            int n,                // images in the fixed-seed grid
            long seed,
            boolean useEma) {}

    public record Logging(
            int logEvery,
            int sampleEvery,
            int checkpointEvery,
            int keepCheckpoints) {}

    /** Latent (or pixel) channels the U-Net sees. */
    public int unetChannels() {
        return "none".equals(autoencoder.kind()) ? data.channels() : 4;
    }

    public boolean pixelSpace() {
        return "none".equals(autoencoder.kind());
    }

    /** The base every preset finally extends: a small pixel-space run on the procedural dataset. */
    public static RunConfig defaults() {
        return new RunConfig(
                "defaults",
                "Built-in defaults",
                new Data("procedural", null, 32, 3, true, false, 0, 2),
                new Autoencoder("none", null, 0.18215, "float16"),
                new Model(64, List.of(1, 2, 2), 2, List.of(2, 4), 4, 32, 0.0),
                new Diffusion(1000, "cosine", 1e-4, 0.02, "epsilon"),
                new Optim(2e-4, 0.9, 0.999, 0.0, 1e-8, "warmup_constant", 100, 0, 0.0, 1.0, 0.999,
                        32, 2000, 42L, true),
                new Sampling("ddim", 50, 0.0, 16, 1234L, true),
                new Logging(10, 500, 500, 3),
                "auto");
    }
}

package io.ldmstudio.diffusion;

import ai.djl.ndarray.NDArray;
import io.ldmstudio.util.Rng;

/**
 * Ancestral sampling of Ho et al. 2020 (DDPM), Algorithm 2, over all T steps or a strided subset.
 *
 * <p>With n &lt; T steps the chain is respaced as in improved-DDPM (Nichol &amp; Dhariwal 2021, §4) and
 * diffusers' DDPMScheduler with custom timesteps: between kept steps t and t' (the next kept one, or
 * ᾱ_{t'} = 1 after the last) the process is the Markov chain with
 * β'_t = 1 − ᾱ_t/ᾱ_{t'}. The variance is "fixed_small", β̃ = (1 − ᾱ_{t'})/(1 − ᾱ_t) · β'_t, and the
 * last step adds no noise.
 */
public final class DdpmSampler extends BaseSampler {
    /** diffusers' {@code variance_type = fixed_large}: σ² = β'_t instead of β̃_t. */
    private final boolean fixedLarge;
    /** Built from a diffusers config: noise is added whenever t &gt; 0, as diffusers does. */
    private final boolean diffusers;

    /** Pixel-space default: x̂0 clipped to [−1, 1]. */
    public DdpmSampler(NoiseSchedule schedule) {
        this(schedule, true);
    }

    public DdpmSampler(NoiseSchedule schedule, boolean clipSample) {
        this(schedule, TimestepSpacing.LEADING, clipSample);
    }

    public DdpmSampler(NoiseSchedule schedule, TimestepSpacing spacing, boolean clipSample) {
        super(schedule, spacing, clipSample);
        this.fixedLarge = false;
        this.diffusers = false;
    }

    /**
     * DDPM as diffusers' {@code DDPMScheduler.from_config(config)} steps (scheduling_ddpm.py): its
     * betas, {@code prediction_type}, timesteps ({@code timestep_spacing}, {@code steps_offset}), x̂0
     * clipped to ±{@code clip_sample_range} when {@code clip_sample}, and the variance of
     * {@code variance_type}: {@code fixed_small} (and {@code fixed_small_log}, the same σ) β̃_t =
     * (1 − ᾱ_{t'})/(1 − ᾱ_t) β'_t clamped at 1e-20, or {@code fixed_large} β'_t = 1 − ᾱ_t/ᾱ_{t'}.
     * Noise is added at every step with t &gt; 0 (diffusers' test), so a run that ends above t = 0
     * (trailing spacing, or {@code steps_offset}) gets noise at its last step too.
     */
    public DdpmSampler(SchedulerConfig config) {
        this(config.asClass(SchedulerConfig.DDPM), config.asClass(SchedulerConfig.DDPM)
                .noiseSchedule());
    }

    private DdpmSampler(SchedulerConfig c, NoiseSchedule schedule) {
        super(schedule, c.timestepSpacing(), c.clipSample(), c.clipSampleRange(), c.thresholding(),
                c::timesteps);
        this.fixedLarge = c.varianceType().equals("fixed_large");
        this.diffusers = true;
    }

    /** True for diffusers' {@code fixed_large} variance, false for {@code fixed_small}. */
    public boolean fixedLarge() {
        return fixedLarge;
    }

    @Override
    public String name() {
        return io.ldmstudio.config.SamplerKind.DDPM.key;
    }

    @Override
    public StepOutput step(NDArray modelOutput, int t, NDArray sample, Rng rng) {
        // 1. ᾱ at this and the next kept step, and the respaced β'_t, α'_t
        int prevT = prevTimestep(t);
        double alphaBar = schedule.alphaBar(t);
        double alphaBarPrev = schedule.alphaBarOrOne(prevT);
        double betaT = 1 - alphaBar / alphaBarPrev;
        double alphaT = 1 - betaT;

        // 2. x̂0 from the network's ε (eq. 15) or v, clipped to [−1, 1] if asked
        NDArray predX0 = predictX0(modelOutput, t, sample);

        // 3. posterior mean μ̃_t(x_t, x̂0) = √ᾱ_{t'} β'_t/(1−ᾱ_t) x̂0 + √α'_t (1−ᾱ_{t'})/(1−ᾱ_t) x_t
        //    (eq. 7)
        double coefX0 = Math.sqrt(alphaBarPrev) * betaT / (1 - alphaBar);
        double coefXt = Math.sqrt(alphaT) * (1 - alphaBarPrev) / (1 - alphaBar);
        NDArray prev = lin(coefX0, predX0, coefXt, sample);

        // 4. x_{t'} = μ̃ + σ z with σ² = β̃_t = (1−ᾱ_{t'})/(1−ᾱ_t) β'_t (eq. 7, "fixed_small"); z = 0
        //    at the last step
        if (diffusers ? t > 0 : prevT >= 0) {
            double variance = fixedLarge
                    ? betaT
                    : Math.max((1 - alphaBarPrev) / (1 - alphaBar) * betaT, 1e-20);
            try (NDArray z = gaussian(rng, sample)) {
                try (NDArray sz = z.mul((float) Math.sqrt(variance))) {
                    prev.addi(sz);
                }
            }
        }
        return new StepOutput(prev, predX0);
    }
}

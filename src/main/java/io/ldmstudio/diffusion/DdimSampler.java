package io.ldmstudio.diffusion;

import ai.djl.ndarray.NDArray;
import io.ldmstudio.util.Rng;

/**
 * Denoising Diffusion Implicit Models (Song, Meng &amp; Ermon 2021): the generalised reverse process of
 * eq. 12 on any number of steps, with stochasticity η ∈ [0, 1] (η = 0: deterministic DDIM; η = 1:
 * DDPM-like ancestral sampling on the respaced chain).
 *
 * <p>Timesteps default to {@link TimestepSpacing#LEADING} (as diffusers: k·(T div n), ending at 0 — starting
 * below T−1 keeps the first x̂0 from dividing by a near-zero √ᾱ under the cosine schedule); after the last step
 * ᾱ_prev = 1 (diffusers' {@code set_alpha_to_one}), so the final sample is x̂0 of the last step.
 */
public final class DdimSampler extends BaseSampler {
    private final double eta;
    /** ᾱ after the last step: 1, or ᾱ_0 from a config with {@code set_alpha_to_one = false}. */
    private final double finalAlphaCumprod;
    /** Built from a diffusers config: step exactly as diffusers' DDIMScheduler does. */
    private final boolean diffusers;
    /** ε̂ re-derived from the clipped x̂0 (diffusers' step argument {@code use_clipped_model_output}). */
    private final boolean useClippedModelOutput;

    public DdimSampler(NoiseSchedule schedule, double eta) {
        this(schedule, eta, false);
    }

    public DdimSampler(NoiseSchedule schedule, double eta, boolean clipSample) {
        this(schedule, eta, TimestepSpacing.LEADING, clipSample);
    }

    public DdimSampler(NoiseSchedule schedule, double eta, TimestepSpacing spacing,
            boolean clipSample) {
        super(schedule, spacing, clipSample);
        this.eta = checkEta(eta);
        this.finalAlphaCumprod = 1.0;
        this.diffusers = false;
        this.useClippedModelOutput = true;
    }

    /**
     * DDIM as diffusers' {@code DDIMScheduler.from_config(config)} steps (scheduling_ddim.py), whatever
     * the config's {@code _class_name}: its betas and {@code prediction_type}; the timesteps of its
     * {@code set_timesteps} ({@code timestep_spacing}, {@code steps_offset}); the previous timestep
     * t − T div n, which goes to ᾱ = 1 or, with {@code set_alpha_to_one = false}, to ᾱ_0 after the
     * last step; x̂0 clipped to ±{@code clip_sample_range} when {@code clip_sample}; and ε̂ taken from
     * the unclipped output (diffusers' {@code use_clipped_model_output = False}, the default of its
     * step and of DDIMPipeline).
     */
    public DdimSampler(SchedulerConfig config, double eta) {
        this(config, eta, false);
    }

    /**
     * As {@link #DdimSampler(SchedulerConfig, double)}, with diffusers' step argument
     * {@code use_clipped_model_output}: true re-derives ε̂ from the clipped x̂0, as the studio's own
     * DDIM always does.
     */
    public DdimSampler(SchedulerConfig config, double eta, boolean useClippedModelOutput) {
        this(config.asClass(SchedulerConfig.DDIM), config.asClass(SchedulerConfig.DDIM)
                .noiseSchedule(), eta, useClippedModelOutput);
    }

    private DdimSampler(SchedulerConfig c, NoiseSchedule schedule, double eta,
            boolean useClippedModelOutput) {
        super(schedule, c.timestepSpacing(), c.clipSample(), c.clipSampleRange(), c.thresholding(),
                c::timesteps);
        this.eta = checkEta(eta);
        this.finalAlphaCumprod = c.finalAlphaCumprod(schedule);
        this.diffusers = true;
        this.useClippedModelOutput = useClippedModelOutput;
    }

    private static double checkEta(double eta) {
        if (!(eta >= 0 && eta <= 1)) {
            throw new IllegalArgumentException("sampling.eta: must lie in [0, 1], got " + eta);
        }
        return eta;
    }

    /** ᾱ after the last step (1 unless a config said {@code set_alpha_to_one = false}). */
    public double finalAlphaCumprod() {
        return finalAlphaCumprod;
    }

    public double eta() {
        return eta;
    }

    @Override
    public String name() {
        return io.ldmstudio.config.SamplerKind.DDIM.key;
    }

    @Override
    public StepOutput step(NDArray modelOutput, int t, NDArray sample, Rng rng) {
        // 1. the previous timestep t' of the run, ᾱ_t and ᾱ_{t'} (1 after the last step); from a
        //    diffusers config t' = t − T div n and the final ᾱ may be ᾱ_0, as scheduling_ddim.py
        int prevT = prevTimestep(t);
        if (diffusers) {
            prevT = t - schedule.numTimesteps() / timesteps.length;
        }
        double alphaBar = schedule.alphaBar(t);
        double alphaBarPrev = prevT >= 0 ? schedule.alphaBar(prevT) : finalAlphaCumprod;

        // 2. "predicted x0" and ε̂ (eq. 9 and 12); if x̂0 was clipped, ε̂ is re-derived from it
        //    (diffusers' use_clipped_model_output: always here, off by default from a config)
        NDArray predX0 = predictX0(modelOutput, t, sample);
        NDArray eps = altersX0() && useClippedModelOutput
                ? schedule.predictEpsFromX0(sample, new int[] {t}, predX0)
                : schedule.predictEps(sample, t, modelOutput);

        // 3. σ_t(η) = η √((1−ᾱ_{t'})/(1−ᾱ_t)) √(1 − ᾱ_t/ᾱ_{t'}) (eq. 16)
        double sigma = eta * Math.sqrt((1 - alphaBarPrev) / (1 - alphaBar))
                * Math.sqrt(1 - alphaBar / alphaBarPrev);

        // 4. "direction pointing to x_t": √(1 − ᾱ_{t'} − σ_t²) ε̂ (eq. 12)
        double dirCoef = Math.sqrt(Math.max(1 - alphaBarPrev - sigma * sigma, 0));

        // 5. x_{t'} = √ᾱ_{t'} x̂0 + direction + σ_t z (eq. 12)
        NDArray prev = lin(Math.sqrt(alphaBarPrev), predX0, dirCoef, eps);
        eps.close();
        if (sigma > 0) {
            try (NDArray z = gaussian(rng, sample)) {
                try (NDArray sz = z.mul((float) sigma)) {
                    prev.addi(sz);
                }
            }
        }
        return new StepOutput(prev, predX0);
    }
}

package io.ldmstudio.diffusion;

import io.ldmstudio.config.RunConfig;
import io.ldmstudio.config.SamplerKind;
import java.util.List;
import java.util.Locale;

/** Makes samplers by their config name ({@code sampling.sampler}). */
public final class Samplers {
    /** The names {@link #create} accepts. */
    public static final List<String> NAMES = SamplerKind.keys();

    private Samplers() {}

    /**
     * A sampler by name: {@code ddpm} (ancestral), {@code ddim} (with {@code eta}), {@code dpmpp}
     * (DPM-Solver++(2M)); {@code eta} matters to DDIM only. {@code clipSample} clips x̂0 to [−1, 1]
     * (wanted in pixel space, not for latents). Each sampler uses its default
     * {@link TimestepSpacing}; call {@link Sampler#setTimesteps(int)} before use.
     */
    public static Sampler create(String name, NoiseSchedule schedule, double eta,
            boolean clipSample) {
        return switch (SamplerKind.parse(name, "sampling.sampler")) {
            case DDPM -> new DdpmSampler(schedule, clipSample);
            case DDIM -> new DdimSampler(schedule, eta, clipSample);
            case DPMPP -> new DpmSolverPlusPlusSampler(schedule, clipSample);
        };
    }

    /**
     * The sampler a run config asks for, with its timesteps set to {@code sampling.steps}; x̂0 is
     * clipped when the run is in pixel space.
     */
    public static Sampler fromConfig(RunConfig config, NoiseSchedule schedule) {
        RunConfig.Sampling s = config.sampling();
        Sampler sampler = create(s.sampler(), schedule, s.eta(), config.pixelSpace());
        sampler.setTimesteps(s.steps());
        return sampler;
    }
}

package io.ldmstudio.config;

import java.util.List;

/**
 * The samplers the studio has: the one list that config validation, the CLI's help, the Denoising pane
 * and the sampler factory read. {@link #key} is the config and CLI name ({@code sampling.sampler},
 * {@code --sampler}); {@link #diffusersClass} the diffusers scheduler class that samples the same way.
 */
public enum SamplerKind {
    DDPM("ddpm", "DDPM", "ancestral sampling (Ho et al. 2020): stochastic, needs many steps", "DDPMScheduler", false),
    DDIM("ddim", "DDIM", "DDIM (Song et al. 2021): deterministic at η = 0, good in few steps", "DDIMScheduler", true),
    DPMPP("dpmpp", "DPM-Solver++", "DPM-Solver++(2M) (Lu et al. 2022): second order, good in 10–25 steps",
            "DPMSolverMultistepScheduler", false);

    /** The config and CLI name. */
    public final String key;
    /** The name shown to people. */
    public final String title;
    /** One line on what it is and when it is good. */
    public final String description;
    /** The diffusers scheduler class of the same algorithm. */
    public final String diffusersClass;
    /** Whether it has a stochasticity knob η (DDIM's eta). */
    public final boolean usesEta;

    SamplerKind(String key, String title, String description, String diffusersClass, boolean usesEta) {
        this.key = key;
        this.title = title;
        this.description = description;
        this.diffusersClass = diffusersClass;
        this.usesEta = usesEta;
    }

    /** Every {@link #key}, in order. */
    public static List<String> keys() {
        return Configs.keys(values(), k -> k.key);
    }

    /** The sampler called {@code name} (any case); an unknown name is refused naming {@code field} and the choices. */
    public static SamplerKind parse(String name, String field) {
        return Configs.byKey(values(), k -> k.key, name, field, "sampler");
    }

    @Override
    public String toString() {
        return title;
    }
}

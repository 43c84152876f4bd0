package io.ldmstudio.config;

import java.util.List;

/**
 * The noise schedules a run can train with ({@code diffusion.schedule}): the one list config validation,
 * the schedule factory and the diffusers writer read, with the {@code beta_schedule} each is in diffusers.
 */
public enum BetaSchedule {
    /** β linear from beta_start to beta_end (Ho et al. 2020). */
    LINEAR("linear", "linear", true),
    /** ᾱ(t) = cos²((t/T + s)/(1 + s)·π/2), β capped at 0.999 (Nichol &amp; Dhariwal 2021). */
    COSINE("cosine", "squaredcos_cap_v2", false),
    /** β = linspace(√beta_start, √beta_end)² (the LDM/Stable Diffusion schedule). */
    QUADRATIC("quadratic", "scaled_linear", true);

    /** The config name. */
    public final String key;
    /** diffusers' {@code beta_schedule} of the same betas. */
    public final String diffusersName;
    /** Whether beta_start and beta_end shape it. */
    public final boolean usesBetaRange;

    BetaSchedule(String key, String diffusersName, boolean usesBetaRange) {
        this.key = key;
        this.diffusersName = diffusersName;
        this.usesBetaRange = usesBetaRange;
    }

    /** Every {@link #key}, in order. */
    public static List<String> keys() {
        return Configs.keys(values(), k -> k.key);
    }

    /** The schedule called {@code name} (any case); an unknown name is refused naming {@code field} and the choices. */
    public static BetaSchedule parse(String name, String field) {
        return Configs.byKey(values(), k -> k.key, name, field, "schedule");
    }
}

package io.ldmstudio.diffusion;

import java.util.Locale;

/**
 * What the network is trained to predict (config field {@code diffusion.prediction}).
 *
 * <ul>
 *   <li>{@link #EPSILON}: the noise ε that was added (Ho et al. 2020, eq. 14).
 *   <li>{@link #V_PREDICTION}: the velocity v = √ᾱ_t ε − √(1−ᾱ_t) x0 (Salimans &amp; Ho 2022, §4).
 *   <li>{@link #SAMPLE}: x0 itself (diffusers' {@code prediction_type = "sample"}). Only read from a
 *       diffusers {@code scheduler_config.json} ({@link #parseDiffusers}); a run config's
 *       {@code diffusion.prediction} accepts the first two ({@link #parse}).
 * </ul>
 */
public enum Prediction {
    EPSILON("epsilon"),
    V_PREDICTION("v_prediction"),
    SAMPLE("sample");

    private final String configName;

    Prediction(String configName) {
        this.configName = configName;
    }

    /** The name used in configs and in diffusers' {@code prediction_type}. */
    public String configName() {
        return configName;
    }

    /** Parses {@code epsilon | v_prediction}; anything else is rejected naming the config field. */
    public static Prediction parse(String name) {
        if (name != null) {
            String n = name.trim().toLowerCase(Locale.ROOT);
            for (Prediction p : values()) {
                if (p != SAMPLE && p.configName.equals(n)) {
                    return p;
                }
            }
        }
        throw new IllegalArgumentException("diffusion.prediction: unknown prediction type '" + name
                + "'; expected one of epsilon, v_prediction");
    }

    /**
     * Parses diffusers' {@code prediction_type}: {@code epsilon | v_prediction | sample}; null if the
     * name is none of them (the caller names the file and key in its message).
     */
    public static Prediction parseDiffusers(String name) {
        for (Prediction p : values()) {
            if (p.configName.equals(name)) {
                return p;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        return configName;
    }
}

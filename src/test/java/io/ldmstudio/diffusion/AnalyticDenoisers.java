package io.ldmstudio.diffusion;

import ai.djl.ndarray.NDArray;

/**
 * Exact denoisers for data whose distribution is known in closed form, so samplers can be checked
 * without a network. All maths in doubles on Java arrays.
 */
final class AnalyticDenoisers {
    private AnalyticDenoisers() {}

    /** Posterior means at one (x_t, ᾱ_t): E[ε | x_t]. */
    interface EpsPosterior {
        double eps(double x, double alphaBar);
    }

    /**
     * x0 ~ N(μ, s²) per dimension: x_t ~ N(√ᾱ μ, ᾱ s² + 1 − ᾱ) and
     * E[ε | x_t] = √(1−ᾱ) (x_t − √ᾱ μ) / (ᾱ s² + 1 − ᾱ).
     */
    static EpsPosterior gaussian(double mu, double s) {
        return (x, a) -> Math.sqrt(1 - a) * (x - Math.sqrt(a) * mu) / (a * s * s + 1 - a);
    }

    /**
     * x0 ~ ½ N(−m, s²) + ½ N(m, s²). Each component k gives E[ε | x_t, k] as in {@link #gaussian};
     * the components are weighted by their posterior responsibilities, which for equal variances
     * v = ᾱ s² + 1 − ᾱ are w₊ = 1/(1 + exp(−2 x √ᾱ m / v)), w₋ = 1 − w₊.
     */
    static EpsPosterior mixture(double m, double s) {
        EpsPosterior plus = gaussian(m, s);
        EpsPosterior minus = gaussian(-m, s);
        return (x, a) -> {
            double v = a * s * s + 1 - a;
            double wPlus = 1 / (1 + Math.exp(-2 * x * Math.sqrt(a) * m / v));
            return wPlus * plus.eps(x, a) + (1 - wPlus) * minus.eps(x, a);
        };
    }

    /** The network's exact output for {@code schedule}'s prediction type (ε, or v = √ᾱ ε − √(1−ᾱ) x̂0). */
    static Denoiser of(NoiseSchedule schedule, EpsPosterior posterior) {
        return (xt, t) -> {
            float[] x = xt.toFloatArray();
            float[] ts = t.toFloatArray();
            int per = x.length / ts.length;
            float[] out = new float[x.length];
            for (int i = 0; i < x.length; i++) {
                double a = schedule.alphaBar(Math.round(ts[i / per]));
                double eps = posterior.eps(x[i], a);
                if (schedule.prediction() == Prediction.EPSILON) {
                    out[i] = (float) eps;
                } else {
                    double x0 = (x[i] - Math.sqrt(1 - a) * eps) / Math.sqrt(a);
                    out[i] = (float) (Math.sqrt(a) * eps - Math.sqrt(1 - a) * x0);
                }
            }
            NDArray r = xt.getManager().create(out, xt.getShape());
            return r;
        };
    }
}

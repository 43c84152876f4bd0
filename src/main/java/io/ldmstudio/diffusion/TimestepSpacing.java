package io.ldmstudio.diffusion;

/**
 * How a sampler picks n of the T training timesteps, named as diffusers' {@code timestep_spacing}.
 * Every choice gives n distinct values in [0, T), descending; the step after the last one goes to
 * ᾱ = 1 (diffusers' {@code set_alpha_to_one}), i.e. to clean data.
 *
 * <p>For T = 1000 and n = 50:
 * <ul>
 *   <li>{@link #LINSPACE}: 999, 979, …, 20, 0 — round(linspace(0, T−1, n)) reversed. The default of
 *       DDPM and DDIM: the only one that both starts at T−1, where x_T ~ N(0, I) is the right start,
 *       and lands on t = 0. With n = 1 it is [T−1] (numpy would give [0]).
 *   <li>{@link #LEADING}: 980, 960, …, 20, 0 — k·(T div n) for k = n−1 … 0 (DDIM paper, diffusers'
 *       default). Lands on 0 but never visits the noisiest steps.
 *   <li>{@link #TRAILING}: 999, 979, …, 39, 19 — round(T − k·T/n) − 1 (Lin et al. 2024, "Common
 *       Diffusion Noise Schedules and Sample Steps are Flawed"). Starts at T−1; the last model call is
 *       at T/n − 1. The default of DPM-Solver++ (see there).
 * </ul>
 * Rounding is half-to-even, as numpy's.
 */
public enum TimestepSpacing {
    LINSPACE,
    LEADING,
    TRAILING;

    /** n descending timesteps out of T; rejects n outside [1, T] naming {@code sampling.steps}. */
    public int[] timesteps(int numTrainTimesteps, int n) {
        if (n < 1 || n > numTrainTimesteps) {
            throw new IllegalArgumentException("sampling.steps: must lie in [1, "
                    + numTrainTimesteps + "] (the schedule's timesteps), got " + n);
        }
        int tMax = numTrainTimesteps;
        int[] out = new int[n];
        switch (this) {
            case LINSPACE:
                if (n == 1) {
                    out[0] = tMax - 1;
                    break;
                }
                double step = (double) (tMax - 1) / (n - 1);
                for (int k = 0; k < n; k++) {
                    out[n - 1 - k] = (int) Math.rint(k * step);
                }
                out[0] = tMax - 1;
                break;
            case LEADING:
                if (n == 1) { // a single step must start from pure noise
                    out[0] = tMax - 1;
                    break;
                }
                int ratio = tMax / n;
                for (int k = 0; k < n; k++) {
                    out[n - 1 - k] = k * ratio;
                }
                break;
            case TRAILING:
                double r = (double) tMax / n;
                for (int k = 0; k < n; k++) {
                    out[k] = (int) Math.rint(tMax - k * r) - 1;
                }
                break;
            default:
                throw new AssertionError(this);
        }
        return out;
    }
}

package io.ldmstudio.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.config.RunConfig;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Samplers driven by exact denoisers ({@link AnalyticDenoisers}) must reproduce the data
 * distribution. Data: x0 ~ N(μ = 0.4, s = 0.5) per dimension, N = 8192 scalar "images".
 *
 * <p>Tolerances are 4 standard errors (s/√N for a mean, s/√(2N) for a standard deviation) plus an
 * allowance for the sampler's discretisation error, which is real and not small on a linear schedule:
 * DDIM with n steps is first order (std short by ≈ 0.14·20/n of s here), and DDPM with the
 * "fixed_small" variance β̃ under-disperses on a coarse chain (50 steps: ≈ −11%).
 */
class SamplersTest {
    private static final int N = 8192;
    private static final double MU = 0.4;
    private static final double S = 0.5;
    private static final double SE_MEAN = S / Math.sqrt(N);      // 0.0055
    private static final double SE_STD = S / Math.sqrt(2.0 * N); // 0.0039

    private static final NoiseSchedule LINEAR = NoiseSchedule.linear(1000);
    private static final AnalyticDenoisers.EpsPosterior GAUSS = AnalyticDenoisers.gaussian(MU, S);

    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static float[] run(Sampler sampler, int steps, AnalyticDenoisers.EpsPosterior post,
            int n, long seed, Trajectory trajectory) {
        sampler.setTimesteps(steps);
        Denoiser d = AnalyticDenoisers.of(sampler.schedule(), post);
        try (NDArray x = SamplingLoop.sample(d, sampler, new Shape(n, 1, 1, 1), seed, manager,
                trajectory == null ? StepListener.NONE : trajectory)) {
            return x.toFloatArray();
        }
    }

    private static float[] gaussianRun(Sampler sampler, int steps, long seed) {
        return run(sampler, steps, GAUSS, N, seed, null);
    }

    private static double mean(float[] x) {
        double m = 0;
        for (float v : x) {
            m += v;
        }
        return m / x.length;
    }

    private static double std(float[] x) {
        double m = mean(x);
        double q = 0;
        for (float v : x) {
            q += (v - m) * (v - m);
        }
        return Math.sqrt(q / (x.length - 1));
    }

    /** Mean within 4 SE + 0.01, std within 4 SE + {@code stdAllowance}·s. */
    private static void assertGaussian(String what, float[] x, double stdAllowance) {
        double m = mean(x);
        double s = std(x);
        assertEquals(MU, m, 4 * SE_MEAN + 0.01, what + " mean");
        assertEquals(S, s, 4 * SE_STD + stdAllowance * S, what + " std");
    }

    // ------------------------------------------------------------ distributions

    @Test
    void ddpmOnAllStepsReproducesAGaussian() {
        // 1000 steps: the β̃ under-dispersion is below 1%
        assertGaussian("ddpm 1000", gaussianRun(new DdpmSampler(LINEAR, false), 1000, 12), 0.015);
    }

    @Test
    void ddpmStridedReproducesAGaussian() {
        assertGaussian("ddpm 100", gaussianRun(new DdpmSampler(LINEAR, false), 100, 11), 0.08);
    }

    @Test
    void ddimReproducesAGaussianForEtaZeroAndOne() {
        assertGaussian("ddim 50 eta 0", gaussianRun(new DdimSampler(LINEAR, 0.0), 50, 13), 0.08);
        assertGaussian("ddim 50 eta 1", gaussianRun(new DdimSampler(LINEAR, 1.0), 50, 14), 0.13);
    }

    @Test
    void dpmSolverPlusPlusReproducesAGaussianInTwentySteps() {
        assertGaussian("dpmpp 20", gaussianRun(new DpmSolverPlusPlusSampler(LINEAR), 20, 15), 0.06);
    }

    @Test
    void samplersWorkOnTheCosineSchedule() {
        NoiseSchedule cos = NoiseSchedule.cosine(1000);
        assertGaussian("cosine ddim 50", gaussianRun(new DdimSampler(cos, 0.0), 50, 16), 0.08);
        assertGaussian("cosine dpmpp 20", gaussianRun(new DpmSolverPlusPlusSampler(cos), 20, 17),
                0.06);
    }

    @Test
    void clippedDdpmStaysInRange() {
        // data at ±2 is outside [−1, 1]: with clipping every x̂0, and so the final sample, is inside
        float[] x = run(new DdpmSampler(LINEAR, true), 50, AnalyticDenoisers.mixture(2, 0.1), 2048,
                41, null);
        int atEdge = 0;
        for (float v : x) {
            assertTrue(v >= -1 && v <= 1, "sample " + v);
            if (Math.abs(v) > 0.99) {
                atEdge++;
            }
        }
        assertTrue(atEdge > 0.9 * x.length, "mass piles up at ±1: " + atEdge);
    }

    // ------------------------------------------------------------ the exact ODE solution

    /**
     * For Gaussian data the probability-flow ODE keeps each point's standardised value
     * z = (x_t − √ᾱ_t μ)/√(ᾱ_t s² + 1 − ᾱ_t), so its exact solution from x_T is μ + s·z_T. The
     * deterministic samplers must converge to it at their order: halving the step size halves DDIM's
     * error (first order) and quarters DPM-Solver++(2M)'s (second order).
     */
    @Test
    void deterministicSamplersConvergeToTheExactOdeSolutionAtTheirOrder() {
        double ddim40 = odeError(new DdimSampler(LINEAR, 0.0), 40);
        double ddim80 = odeError(new DdimSampler(LINEAR, 0.0), 80);
        double ratioDdim = ddim40 / ddim80;
        assertTrue(ratioDdim > 1.7 && ratioDdim < 2.3, "DDIM first order: ratio " + ratioDdim);

        // spacing that lands on t = 0, so that the final x̂0 step adds no first-order error
        double dpm80 = odeError(
                new DpmSolverPlusPlusSampler(LINEAR, TimestepSpacing.LINSPACE, false), 80);
        double dpm160 = odeError(
                new DpmSolverPlusPlusSampler(LINEAR, TimestepSpacing.LINSPACE, false), 160);
        double ratioDpm = dpm80 / dpm160;
        assertTrue(ratioDpm > 3.2 && ratioDpm < 5.5, "DPM-Solver++(2M) second order: ratio "
                + ratioDpm + " (" + dpm80 + " → " + dpm160 + ")");

        // and the practical claim: 20 DPM-Solver++ steps beat 50 DDIM steps
        double dpm20 = odeError(new DpmSolverPlusPlusSampler(LINEAR), 20);
        double ddim50 = odeError(new DdimSampler(LINEAR, 0.0), 50);
        assertTrue(dpm20 < ddim50, "dpmpp 20 " + dpm20 + " vs ddim 50 " + ddim50);
        assertTrue(ddim80 < 0.05, "ddim 80 relative error " + ddim80);
    }

    /** RMS distance to the exact ODE solution, relative to s. */
    private double odeError(Sampler sampler, int steps) {
        int n = 1024;
        Trajectory tr = new Trajectory();
        float[] x = run(sampler, steps, GAUSS, n, 21, tr);
        float[] xT = tr.get(0).xt();
        double a = LINEAR.alphaBar(sampler.timesteps()[0]);
        double sq = 0;
        for (int i = 0; i < n; i++) {
            double z = (xT[i] - Math.sqrt(a) * MU) / Math.sqrt(a * S * S + 1 - a);
            double e = x[i] - (MU + S * z);
            sq += e * e;
        }
        return Math.sqrt(sq / n) / S;
    }

    // ------------------------------------------------------------ a two-mode mixture

    @Test
    void mixtureSamplesLandInBothModesInEqualShares() {
        AnalyticDenoisers.EpsPosterior mix = AnalyticDenoisers.mixture(2, 0.1);
        checkMixture("ddim 50", run(new DdimSampler(LINEAR, 0.0), 50, mix, 4096, 31, null));
        checkMixture("ddpm 100", run(new DdpmSampler(LINEAR, false), 100, mix, 4096, 32, null));
        checkMixture("dpmpp 20", run(new DpmSolverPlusPlusSampler(LINEAR), 20, mix, 4096, 33, null));
    }

    private static void checkMixture(String what, float[] x) {
        int plus = 0;
        int near = 0;
        double sumP = 0;
        double sumM = 0;
        double sqP = 0;
        double sqM = 0;
        for (float v : x) {
            if (v > 0) {
                plus++;
                sumP += v;
                sqP += v * v;
            } else {
                sumM += v;
                sqM += v * v;
            }
            if (Math.abs(Math.abs(v) - 2) < 0.5) {
                near++;
            }
        }
        int minus = x.length - plus;
        double share = (double) plus / x.length;
        double mP = sumP / plus;
        double mM = sumM / minus;
        double sP = Math.sqrt(Math.max(sqP / plus - mP * mP, 0));
        double sM = Math.sqrt(Math.max(sqM / minus - mM * mM, 0));
        // share: 4 SE of a proportion is 4·0.5/√4096 = 0.031
        assertEquals(0.5, share, 0.04, what + " share of the + mode");
        assertTrue(near > 0.99 * x.length, what + ": only " + near + " within 0.5 of a mode");
        assertEquals(2.0, mP, 0.05, what + " + mode mean");
        assertEquals(-2.0, mM, 0.05, what + " − mode mean");
        // The within-mode spread (0.1) is not checked: it is far below the noise level of the
        // coarse last steps (σ/α ≈ 0.17 at t = 49), so 20-50 uniform steps shrink it by 20-50%
        // (exactly as the Gaussian analysis predicts); the ±0.5 band above bounds it.
        assertTrue(sP < 0.2 && sM < 0.2, what + " mode spread " + sP + ", " + sM);
    }

    // ------------------------------------------------------------ determinism, v-prediction

    @Test
    void ddimEtaZeroIsDeterministicPerSeed() {
        float[] a = run(new DdimSampler(LINEAR, 0.0), 10, GAUSS, 1024, 5, null);
        float[] b = run(new DdimSampler(LINEAR, 0.0), 10, GAUSS, 1024, 5, null);
        float[] c = run(new DdimSampler(LINEAR, 0.0), 10, GAUSS, 1024, 6, null);
        assertArrayEquals(a, b);
        double diff = 0;
        for (int i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs(a[i] - c[i]));
        }
        assertTrue(diff > 0.5, "another seed gives other samples: " + diff);
    }

    @Test
    void stochasticSamplersAreReproducibleForASeed() {
        float[] a = run(new DdpmSampler(LINEAR, false), 20, GAUSS, 256, 9, null);
        float[] b = run(new DdpmSampler(LINEAR, false), 20, GAUSS, 256, 9, null);
        assertArrayEquals(a, b);
        // η = 1 really adds noise: the same x_T ends elsewhere than with η = 0
        float[] d0 = run(new DdimSampler(LINEAR, 0.0), 20, GAUSS, 256, 9, null);
        float[] d1 = run(new DdimSampler(LINEAR, 1.0), 20, GAUSS, 256, 9, null);
        double diff = 0;
        for (int i = 0; i < d0.length; i++) {
            diff = Math.max(diff, Math.abs(d0[i] - d1[i]));
        }
        assertTrue(diff > 0.2, "eta 1 vs 0: " + diff);
    }

    @Test
    void vPredictionGivesTheSameSamplesAsEpsilon() {
        NoiseSchedule v = LINEAR.withPrediction(Prediction.V_PREDICTION);
        float[] eps = gaussianRun(new DdimSampler(LINEAR, 0.0), 50, 7);
        float[] vel = gaussianRun(new DdimSampler(v, 0.0), 50, 7);
        assertGaussian("ddim 50 v", vel, 0.08);
        // the same x_T and an exact network: the two parametrisations give the same trajectory,
        // up to float32 rounding
        for (int i = 0; i < N; i++) {
            assertEquals(eps[i], vel[i], 1e-4, "sample " + i);
        }
        float[] dEps = run(new DpmSolverPlusPlusSampler(LINEAR), 20, GAUSS, 1024, 8, null);
        float[] dVel = run(new DpmSolverPlusPlusSampler(v), 20, GAUSS, 1024, 8, null);
        for (int i = 0; i < dEps.length; i++) {
            assertEquals(dEps[i], dVel[i], 1e-4, "dpmpp sample " + i);
        }
    }

    // ------------------------------------------------------------ timesteps and factories

    @Test
    void ddimTimestepsAreDistinctDescendingAndEndAtZero() {
        Sampler ddim = new DdimSampler(LINEAR, 0.0);
        for (int n : new int[] {1, 7, 50, 999, 1000}) {
            ddim.setTimesteps(n);
            int[] ts = ddim.timesteps();
            assertEquals(n, ts.length);
            // leading spacing (diffusers' DDIM default): k·(T div n), so it starts at (n−1)·(T div n)
            assertEquals(n == 1 ? 999 : (n - 1) * (1000 / n), ts[0], "starts at (n−1)·(T div n)");
            assertEquals(n == 1 ? 999 : 0, ts[n - 1], "ends at 0");
            Set<Integer> seen = new HashSet<>();
            for (int i = 0; i < n; i++) {
                assertTrue(ts[i] >= 0 && ts[i] < 1000);
                assertTrue(seen.add(ts[i]), "distinct");
                if (i > 0) {
                    int gap = ts[i - 1] - ts[i];
                    assertEquals(1000 / n, gap, "n=" + n + " evenly spread");
                }
            }
        }
    }

    @Test
    void otherSpacingsFollowDiffusers() {
        assertArrayEquals(new int[] {666, 333, 0}, TimestepSpacing.LEADING.timesteps(1000, 3));
        assertArrayEquals(new int[] {999, 666, 332}, TimestepSpacing.TRAILING.timesteps(1000, 3));
        int[] lead = TimestepSpacing.LEADING.timesteps(1000, 50);
        assertEquals(980, lead[0]);
        assertEquals(0, lead[49]);
        int[] trail = TimestepSpacing.TRAILING.timesteps(1000, 50);
        assertEquals(999, trail[0]);
        assertEquals(19, trail[49]);
        for (TimestepSpacing sp : TimestepSpacing.values()) {
            assertArrayEquals(new int[] {9, 8, 7, 6, 5, 4, 3, 2, 1, 0}, sp.timesteps(10, 10), "" + sp);
            assertArrayEquals(new int[] {0}, sp.timesteps(1, 1), "T = 1, " + sp);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> sp.timesteps(10, 11));
            assertTrue(e.getMessage().contains("sampling.steps"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> sp.timesteps(10, 0));
        }
    }

    @Test
    void samplersAreMadeByNameWithFieldNamedErrors() {
        assertInstanceOf(DdpmSampler.class, Samplers.create("ddpm", LINEAR, 0, true));
        assertInstanceOf(DdimSampler.class, Samplers.create("DDIM", LINEAR, 0.5, false));
        assertInstanceOf(DpmSolverPlusPlusSampler.class, Samplers.create("dpmpp", LINEAR, 0, false));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Samplers.create("euler", LINEAR, 0, false));
        assertTrue(e.getMessage().contains("sampling.sampler"), e.getMessage());
        assertTrue(e.getMessage().contains("ddpm, ddim, dpmpp"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Samplers.create("ddim", LINEAR, 1.5, false));
        assertTrue(e.getMessage().contains("sampling.eta"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new DdimSampler(LINEAR, -0.1));

        Sampler fromDefaults = Samplers.fromConfig(RunConfig.defaults(), LINEAR);
        assertEquals("ddim", fromDefaults.name());
        assertEquals(50, fromDefaults.timesteps().length);
        assertTrue(((DdimSampler) fromDefaults).clipSample(), "pixel-space defaults clip x̂0");
    }

    @Test
    void stepsOutsideTheRunAreRejected() {
        Sampler ddim = new DdimSampler(LINEAR, 0.0);
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.zeros(new Shape(1, 1, 1, 1));
            assertThrows(IllegalStateException.class, () -> ddim.step(x, 999, x, null));
            ddim.setTimesteps(10);
            assertThrows(IllegalArgumentException.class, () -> ddim.step(x, 998, x, null));

            Sampler dpm = new DpmSolverPlusPlusSampler(LINEAR);
            dpm.setTimesteps(10);
            int[] ts = dpm.timesteps();
            dpm.step(x, ts[0], x, null);
            assertThrows(IllegalStateException.class, () -> dpm.step(x, ts[2], x, null));
            dpm.reset();
        }
    }
}

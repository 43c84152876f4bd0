package io.ldmstudio.diffusion;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.util.Rng;
import java.util.List;
import org.junit.jupiter.api.Test;

class NoiseScheduleTest {

    @Test
    void linearBetasRunEvenlyFromStartToEnd() {
        NoiseSchedule s = NoiseSchedule.linear(1000);
        double[] b = s.betas();
        assertEquals(1000, b.length);
        assertEquals(1e-4, b[0], 1e-15);
        assertEquals(0.02, b[999], 1e-15);
        double step = (0.02 - 1e-4) / 999;
        for (int t = 1; t < 1000; t++) {
            assertEquals(step, b[t] - b[t - 1], 1e-12, "spacing at " + t);
        }
        // ᾱ_t = ∏(1 − β) computed here independently
        double prod = 1;
        for (int t = 0; t < 1000; t++) {
            prod *= 1 - (1e-4 + t * step);
            assertEquals(prod, s.alphaBar(t), 1e-12 * Math.max(1, prod) + 1e-15);
        }
        assertEquals(4.035e-5, s.alphaBar(999), 0.01e-5); // ≈ exp(−Σβ − ½Σβ²)
    }

    @Test
    void linearWithTenAndOneStep() {
        NoiseSchedule ten = NoiseSchedule.linear(10, 0.1, 0.55);
        assertEquals(0.1 + 0.05 * 3, ten.beta(3), 1e-15);
        assertEquals(0.55, ten.beta(9), 1e-15);

        NoiseSchedule one = NoiseSchedule.linear(1);
        assertEquals(1, one.numTimesteps());
        assertEquals(1e-4, one.beta(0), 0);
        assertEquals(1 - 1e-4, one.alphaBar(0), 1e-15);
        assertEquals(1.0, one.alphasCumprodPrev()[0], 0);
        assertEquals(0.0, one.posteriorVariance()[0], 0);
        assertTrue(Double.isFinite(one.posteriorLogVarianceClipped()[0]));
    }

    @Test
    void cosineAlphaBarFollowsTheClosedFormWhereTheClipDoesNotBite() {
        for (int tMax : new int[] {10, 1000}) {
            NoiseSchedule s = NoiseSchedule.cosine(tMax);
            double f0 = Math.pow(Math.cos(0.008 / 1.008 * Math.PI / 2), 2);
            int compared = 0;
            for (int t = 0; t < tMax; t++) {
                if (s.beta(t) >= 0.999) {
                    break; // from here on ᾱ carries the clipped β
                }
                double u = (t + 1.0) / tMax;
                double f = Math.pow(Math.cos((u + 0.008) / 1.008 * Math.PI / 2), 2);
                assertEquals(f / f0, s.alphaBar(t), 1e-9, "T=" + tMax + " t=" + t);
                compared++;
            }
            assertEquals(tMax - 1, compared, "only the last β is clipped, T=" + tMax);
            assertEquals(0.999, s.beta(tMax - 1), 0);
        }
        // T = 1: the single β is 1 − f(1)/f(0) ≈ 1, clipped
        NoiseSchedule one = NoiseSchedule.cosine(1);
        assertEquals(0.999, one.beta(0), 0);
        assertEquals(0.001, one.alphaBar(0), 1e-12);
    }

    @Test
    void quadraticBetasAreSquaresOfALinspaceOfRoots() {
        NoiseSchedule s = NoiseSchedule.quadratic(1000, 0.00085, 0.012);
        double a = Math.sqrt(0.00085);
        double b = Math.sqrt(0.012);
        for (int t : new int[] {0, 1, 250, 500, 999}) {
            double r = a + (b - a) * t / 999;
            assertEquals(r * r, s.beta(t), 1e-14, "t=" + t);
        }
        assertEquals(0.00085, s.beta(0), 1e-15);
        assertEquals(0.012, s.beta(999), 1e-15);
        // the betas grow with a constant second difference 2·((b−a)/999)²
        double d2 = 2 * Math.pow((b - a) / 999, 2);
        assertEquals(d2, s.beta(2) - 2 * s.beta(1) + s.beta(0), 1e-15);
    }

    @Test
    void alphaBarDecreasesStrictlyForEverySchedule() {
        for (int tMax : new int[] {1, 2, 10, 1000}) {
            for (NoiseSchedule s : List.of(NoiseSchedule.linear(tMax), NoiseSchedule.cosine(tMax),
                    NoiseSchedule.quadratic(tMax))) {
                double prev = 1;
                for (int t = 0; t < tMax; t++) {
                    double a = s.alphaBar(t);
                    assertTrue(a < prev && a > 0, s + " t=" + t + " ᾱ=" + a);
                    assertEquals(prev, s.alphasCumprodPrev()[t], 1e-15);
                    prev = a;
                }
            }
        }
    }

    @Test
    void posteriorVarianceAndMeanMatchTheGaussianPosterior() {
        // q(x_{t−1} | x_t, x0) ∝ N(x_{t−1}; √ᾱ_{t−1} x0, 1−ᾱ_{t−1}) · N(x_t; √α_t x_{t−1}, β_t):
        // precision 1/β̃ = 1/(1−ᾱ_{t−1}) + α_t/β_t, mean β̃ (√ᾱ_{t−1}/(1−ᾱ_{t−1}) x0 + √α_t/β_t x_t)
        for (NoiseSchedule s : List.of(NoiseSchedule.linear(1000), NoiseSchedule.cosine(1000),
                NoiseSchedule.quadratic(10))) {
            double[] var = s.posteriorVariance();
            double[] c1 = s.posteriorMeanCoef1();
            double[] c2 = s.posteriorMeanCoef2();
            double[] logVar = s.posteriorLogVarianceClipped();
            for (int t = 1; t < s.numTimesteps(); t++) {
                double abPrev = s.alphaBar(t - 1);
                double alpha = 1 - s.beta(t);
                double v = 1 / (1 / (1 - abPrev) + alpha / s.beta(t));
                assertEquals(v, var[t], 1e-12 * v, s + " t=" + t);
                assertEquals(v * Math.sqrt(abPrev) / (1 - abPrev), c1[t], 1e-9 * c1[t] + 1e-15);
                assertEquals(v * Math.sqrt(alpha) / s.beta(t), c2[t], 1e-9 * c2[t] + 1e-15);
                assertEquals(Math.log(v), logVar[t], 1e-9);
            }
            assertEquals(0.0, var[0], 0);
            assertEquals(1.0, c1[0], 1e-12); // x_{−1} is x0 itself
            assertEquals(0.0, c2[0], 0);
            assertEquals(Math.log(var[1]), logVar[0], 0);
        }
    }

    @Test
    void configChoosesScheduleAndPredictionAndNamesTheFieldWhenWrong() {
        NoiseSchedule d = NoiseSchedule.fromConfig(RunConfig.defaults().diffusion());
        assertEquals("cosine", d.name());
        assertEquals(1000, d.numTimesteps());
        assertSame(Prediction.EPSILON, d.prediction());

        NoiseSchedule q = NoiseSchedule.fromConfig(
                new RunConfig.Diffusion(50, "quadratic", 1e-3, 0.04, "v_prediction"));
        assertSame(Prediction.V_PREDICTION, q.prediction());
        assertEquals(0.04, q.beta(49), 1e-15);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NoiseSchedule.fromConfig(
                        new RunConfig.Diffusion(1000, "sigmoid", 1e-4, 0.02, "epsilon")));
        assertTrue(e.getMessage().contains("diffusion.schedule"), e.getMessage());
        assertTrue(e.getMessage().contains("linear, cosine, quadratic"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> NoiseSchedule.fromConfig(
                new RunConfig.Diffusion(1000, "linear", 1e-4, 0.02, "sample")));
        assertTrue(e.getMessage().contains("diffusion.prediction"), e.getMessage());
        assertTrue(e.getMessage().contains("epsilon, v_prediction"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> NoiseSchedule.fromConfig(
                new RunConfig.Diffusion(0, "linear", 1e-4, 0.02, "epsilon")));
        assertTrue(e.getMessage().contains("diffusion.timesteps"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> NoiseSchedule.fromConfig(
                new RunConfig.Diffusion(10, "linear", 1e-4, 1.5, "epsilon")));
        assertTrue(e.getMessage().contains("diffusion.beta_end"), e.getMessage());
    }

    // ------------------------------------------------------------------ tensor maths

    private static final int[] T = {0, 500, 999};

    @Test
    void qSampleUsesEachSamplesOwnCoefficients() {
        NoiseSchedule s = NoiseSchedule.linear(1000);
        try (NDManager root = NDManager.newBaseManager(); NDManager m = root.newSubManager()) {
            Shape shape = new Shape(3, 2, 2, 2);
            float[] x0 = new Rng(1).gaussians(24);
            float[] eps = new Rng(2).gaussians(24);
            NDArray x0a = m.create(x0, shape);
            NDArray epsa = m.create(eps, shape);
            int before = m.getManagedArrays().size();
            NDArray xt = s.qSample(x0a, T, epsa);
            assertEquals(before + 1, m.getManagedArrays().size(), "no intermediates left behind");
            assertSame(m, xt.getManager());
            assertEquals(shape, xt.getShape());
            float[] got = xt.toFloatArray();
            for (int i = 0; i < 24; i++) {
                double a = s.alphaBar(T[i / 8]);
                assertEquals(Math.sqrt(a) * x0[i] + Math.sqrt(1 - a) * eps[i], got[i], 1e-6);
            }
            // the same through a float32 (B) array of timesteps
            NDArray tArr = root.create(new float[] {0, 500, 999});
            float[] viaArray = s.qSample(x0a, tArr, epsa).toFloatArray();
            for (int i = 0; i < 24; i++) {
                assertEquals(got[i], viaArray[i], 0);
            }
        }
    }

    @Test
    void predictionsInvertTheForwardProcess() {
        for (NoiseSchedule s : List.of(NoiseSchedule.linear(1000), NoiseSchedule.cosine(1000))) {
            try (NDManager m = NDManager.newBaseManager()) {
                Shape shape = new Shape(3, 4, 2, 2);
                float[] x0 = new Rng(3).gaussians(48);
                float[] eps = new Rng(4).gaussians(48);
                NDArray x0a = m.create(x0, shape);
                NDArray epsa = m.create(eps, shape);
                NDArray t = m.create(new float[] {0, 500, 999});
                NDArray xt = s.qSample(x0a, t, epsa);
                NDArray v = s.velocity(x0a, epsa, t);
                // tolerance: float32 rounding of x_t, magnified by 1/√ᾱ (≈ 2·10⁴ at cosine t = 999)
                double tolX0 = 4e-7 / Math.sqrt(s.alphaBar(999)) * 4;
                assertClose(x0, s.predictX0FromEps(xt, t, epsa), new double[] {1e-5, 1e-5, tolX0});
                assertClose(eps, s.predictEpsFromX0(xt, t, x0a), new double[] {2e-4, 1e-5, 1e-5});
                assertClose(x0, s.predictX0FromV(xt, t, v), new double[] {1e-5, 1e-5, 1e-5});
                assertClose(eps, s.predictEpsFromV(xt, t, v), new double[] {1e-5, 1e-5, 1e-5});
                float[] vv = v.toFloatArray();
                for (int i = 0; i < 48; i++) {
                    double a = s.alphaBar(T[i / 16]);
                    assertEquals(Math.sqrt(a) * eps[i] - Math.sqrt(1 - a) * x0[i], vv[i], 1e-6);
                }
                assertSame(epsa, s.trainingTarget(x0a, epsa, t, Prediction.EPSILON));
                assertClose(vv, s.trainingTarget(x0a, epsa, t, Prediction.V_PREDICTION),
                        new double[] {0, 0, 0});
                float[] snr = s.snr(t).toFloatArray();
                for (int i = 0; i < 3; i++) {
                    double a = s.alphaBar(T[i]);
                    assertEquals(a / (1 - a), snr[i], 1e-6 * a / (1 - a));
                }
            }
        }
    }

    @Test
    void posteriorMeanIsTheCoefficientCombination() {
        NoiseSchedule s = NoiseSchedule.linear(1000);
        try (NDManager m = NDManager.newBaseManager()) {
            float[] x0 = {0.5f, -1f, 2f};
            float[] xt = {1f, 0.25f, -0.75f};
            NDArray r = s.posteriorMean(m.create(x0, new Shape(3, 1)), m.create(xt, new Shape(3, 1)),
                    new int[] {1, 10, 999});
            int[] ts = {1, 10, 999};
            float[] got = r.toFloatArray();
            for (int i = 0; i < 3; i++) {
                int t = ts[i];
                double abPrev = s.alphaBar(t - 1);
                double want = (Math.sqrt(abPrev) * s.beta(t) * x0[i]
                        + Math.sqrt(1 - s.beta(t)) * (1 - abPrev) * xt[i]) / (1 - s.alphaBar(t));
                assertEquals(want, got[i], 1e-6);
            }
        }
    }

    @Test
    void timestepsMustMatchTheBatchAndTheSchedule() {
        NoiseSchedule s = NoiseSchedule.linear(10);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.zeros(new Shape(3, 1, 2, 2));
            assertThrows(IllegalArgumentException.class, () -> s.qSample(x, new int[] {1, 2}, x));
            assertThrows(IllegalArgumentException.class, () -> s.qSample(x, new int[] {10}, x));
            assertThrows(IllegalArgumentException.class, () -> s.qSample(x, new int[] {-1}, x));
        }
    }

    private static void assertClose(float[] want, NDArray got, double[] tolPerSample) {
        float[] g = got.toFloatArray();
        int per = want.length / tolPerSample.length;
        for (int i = 0; i < want.length; i++) {
            assertEquals(want[i], g[i], tolPerSample[i / per], "element " + i);
        }
    }
}

package io.ldmstudio.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.util.Rng;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * diffusers' scheduler_config.json read with each class's semantics. Expected timesteps are the
 * formulas of diffusers' set_timesteps written out here, plus literal arrays printed by numpy running
 * those lines (numpy 2.4) where rounding makes a formula unconvincing.
 */
class SchedulerConfigTest {
    private static final String F = "scheduler_config.json";
    private static NDManager manager;

    @BeforeAll
    static void open() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void close() {
        manager.close();
    }

    private static SchedulerConfig cfg(String cls, String keys) {
        return SchedulerConfig.parse("{\"_class_name\": \"" + cls + "\"" + (keys.isEmpty() ? "" : ", ")
                + keys + "}", F);
    }

    private static String message(String cls, String keys) {
        return assertThrows(IllegalArgumentException.class, () -> cfg(cls, keys)).getMessage();
    }

    // ---------------------------------------------------------------- timesteps

    @Test
    void leadingWithStepsOffsetOneGives981DownTo1() {
        for (String cls : new String[] {SchedulerConfig.DDPM, SchedulerConfig.DDIM}) {
            int[] ts = cfg(cls, "\"steps_offset\": 1").timesteps(50);
            int[] want = new int[50];
            for (int k = 0; k < 50; k++) {
                want[k] = (49 - k) * (1000 / 50) + 1; // arange(0, n) * (T // n), reversed, + offset
            }
            assertArrayEquals(want, ts, cls);
            assertEquals(981, ts[0]);
            assertEquals(1, ts[49]);
        }
        // default spacing of DDPM and DDIM is leading, offset 0: 980 … 0
        int[] d = cfg(SchedulerConfig.DDPM, "").timesteps(50);
        assertEquals(980, d[0]);
        assertEquals(0, d[49]);
        // n = 1: [0 + offset], unlike the studio's own LEADING, which starts a single step at T−1
        assertArrayEquals(new int[] {0}, cfg(SchedulerConfig.DDIM, "").timesteps(1));
    }

    @Test
    void trailingIsRoundedArangeFromTMinusOne() {
        SchedulerConfig c = cfg(SchedulerConfig.DDIM, "\"timestep_spacing\": \"trailing\"");
        int[] ts = c.timesteps(7);
        // round(arange(1000, 0, -1000/7)) - 1, printed by numpy
        assertArrayEquals(new int[] {999, 856, 713, 570, 428, 285, 142}, ts);
        int[] ts50 = c.timesteps(50);
        for (int k = 0; k < 50; k++) {
            assertEquals(1000 - 20 * k - 1, ts50[k]);
        }
        // steps_offset does not move trailing timesteps
        assertArrayEquals(ts, cfg(SchedulerConfig.DDIM,
                "\"timestep_spacing\": \"trailing\", \"steps_offset\": 1").timesteps(7));
        // the same code in DPM-Solver++
        assertArrayEquals(ts, cfg(SchedulerConfig.DPM_SOLVER,
                "\"timestep_spacing\": \"trailing\"").timesteps(7));
    }

    @Test
    void overridesAreReadAsFromConfigWithKeywordsReadsThem() {
        SchedulerConfig ddpm = cfg(SchedulerConfig.DDPM, "\"clip_sample\": true, \"beta_schedule\": \"squaredcos_cap_v2\"");
        SchedulerConfig t = ddpm.withOverrides(java.util.Map.of("timestep_spacing", "trailing"), "--set scheduler");
        assertArrayEquals(new int[] {999, 856, 713, 570, 428, 285, 142}, t.timesteps(7));
        assertArrayEquals(new int[] {900, 800, 700, 600, 500, 400, 300, 200, 100, 0}, ddpm.timesteps(10));
        // everything else as it was; the other classes built from it see the key too (DPM-Solver++ from_config)
        assertEquals(ddpm.betaSchedule(), t.betaSchedule());
        assertTrue(t.clipSample());
        assertArrayEquals(t.timesteps(7), t.asClass(SchedulerConfig.DPM_SOLVER).timesteps(7));
        // typed values: a number, a boolean
        SchedulerConfig typed = ddpm.withOverrides(java.util.Map.of("steps_offset", "1", "clip_sample", "false"),
                "--set scheduler");
        assertEquals(981, typed.timesteps(50)[0]);
        assertFalse(typed.clipSample());
        assertEquals(1, typed.asClass(SchedulerConfig.DPM_SOLVER).withOverrides(java.util.Map.of("solver_order", "1"),
                "--set scheduler").solverOrder());
        // a key the file lists in _use_default_values is read once given (diffusers' keyword wins)
        SchedulerConfig listed = cfg(SchedulerConfig.DDIM, "\"timestep_spacing\": \"linspace\", "
                + "\"_use_default_values\": [\"timestep_spacing\", \"steps_offset\"], \"steps_offset\": 1");
        assertEquals(900, listed.timesteps(10)[0], "both keys listed: the defaults, leading and 0");
        SchedulerConfig given = listed.withOverrides(java.util.Map.of("timestep_spacing", "trailing"), "--set scheduler");
        assertEquals(999, given.timesteps(10)[0]);
        assertEquals(0, given.stepsOffset(), "steps_offset is still listed, so still its default");
        // a bad value through the config's own checks, named; a key that is the model's schedule, refused
        String bad = assertThrows(IllegalArgumentException.class, () -> ddpm.withOverrides(
                java.util.Map.of("timestep_spacing", "sideways"), "--set scheduler")).getMessage();
        assertTrue(bad.contains("--set scheduler") && bad.contains("timestep_spacing") && bad.contains("sideways"), bad);
        String schedule = assertThrows(IllegalArgumentException.class, () -> ddpm.withOverrides(
                java.util.Map.of("beta_end", "0.03"), "--set scheduler")).getMessage();
        assertTrue(schedule.startsWith("--set scheduler.beta_end: not a sampling key") && schedule.contains(
                "timestep_spacing"), schedule);
    }

    @Test
    void trailingKeepsNumpysArangeLengthQuirkAndTheSamplerRefusesIt() {
        SchedulerConfig c = cfg(SchedulerConfig.DDIM, "\"timestep_spacing\": \"trailing\"");
        int[] ts = c.timesteps(61); // (0 − 1000)/(−1000/61) = 61.00000000000001 → 62 values in numpy
        assertEquals(62, ts.length);
        assertArrayEquals(new int[] {32, 15, -1}, java.util.Arrays.copyOfRange(ts, 59, 62));
        DdimSampler s = new DdimSampler(c, 0);
        String m = assertThrows(IllegalArgumentException.class, () -> s.setTimesteps(61))
                .getMessage();
        assertTrue(m.contains("61 steps") && m.contains("timestep_spacing"), m);
    }

    @Test
    void linspaceDiffersBetweenDdimAndDpmSolver() {
        int[] ddim = cfg(SchedulerConfig.DDIM, "\"timestep_spacing\": \"linspace\"").timesteps(7);
        // round(linspace(0, 999, 7)) reversed, printed by numpy
        assertArrayEquals(new int[] {999, 832, 666, 500, 333, 166, 0}, ddim);
        for (int k = 0; k < 7; k++) {
            assertEquals(Math.rint((6 - k) * 999.0 / 6), ddim[k], 0);
        }
        // numpy's linspace with one point is [start]: [0]
        assertArrayEquals(new int[] {0},
                cfg(SchedulerConfig.DDPM, "\"timestep_spacing\": \"linspace\"").timesteps(1));
        // DPM-Solver++: round(linspace(0, 999, n + 1)) reversed without the 0; its default spacing
        int[] dpm = cfg(SchedulerConfig.DPM_SOLVER, "").timesteps(7);
        assertArrayEquals(new int[] {999, 856, 714, 571, 428, 285, 143}, dpm);
        for (int k = 0; k < 7; k++) {
            assertEquals(Math.rint((7 - k) * 999.0 / 7), dpm[k], 0);
        }
    }

    @Test
    void dpmSolverLeadingUsesNPlusOneIntervals() {
        int[] ts = cfg(SchedulerConfig.DPM_SOLVER,
                "\"timestep_spacing\": \"leading\", \"steps_offset\": 1").timesteps(7);
        int ratio = 1000 / (7 + 1); // 125
        for (int k = 0; k < 7; k++) {
            assertEquals((7 - k) * ratio + 1, ts[k]);
        }
        assertArrayEquals(new int[] {876, 751, 626, 501, 376, 251, 126}, ts); // numpy
    }

    @Test
    void tooManyStepsAreRefusedForDdpmAndDdim() {
        SchedulerConfig c = cfg(SchedulerConfig.DDIM, "\"num_train_timesteps\": 100");
        String m = assertThrows(IllegalArgumentException.class, () -> c.timesteps(101)).getMessage();
        assertTrue(m.contains("num_train_timesteps (100)"), m);
    }

    // ---------------------------------------------------------------- betas

    /** torch.linspace(start, end, steps, dtype=float32) as its CPU kernel computes it. */
    private static float[] torchLinspace32(double start, double end, int steps) {
        float s = (float) start;
        float e = (float) end;
        float step = (e - s) / (float) (steps - 1);
        float[] out = new float[steps];
        int half = steps / 2;
        for (int i = 0; i < steps; i++) {
            out[i] = i < half ? s + step * i : e - step * (steps - i - 1);
        }
        return out;
    }

    private static void assertFloat32Agreement(float[] want, double[] got) {
        assertEquals(want.length, got.length);
        for (int i = 0; i < got.length; i++) {
            assertEquals(want[i], got[i], Math.abs(want[i]) * 1e-6, "beta[" + i + "]");
        }
    }

    @Test
    void linearBetasAreLinspaceAndAgreeWithTorchFloat32() {
        double[] b = cfg(SchedulerConfig.DDPM, "\"beta_start\": 0.0002, \"beta_end\": 0.03")
                .noiseSchedule().betas();
        assertEquals(1000, b.length);
        for (int i = 0; i < 1000; i++) {
            assertEquals(0.0002 + i * (0.03 - 0.0002) / 999, b[i], 1e-16);
        }
        assertFloat32Agreement(torchLinspace32(0.0002, 0.03, 1000), b);
    }

    @Test
    void scaledLinearBetasAreSquaredLinspaceOfRootsAndAgreeWithTorchFloat32() {
        NoiseSchedule s = cfg(SchedulerConfig.DDIM, "\"beta_schedule\": \"scaled_linear\", "
                + "\"beta_start\": 0.00085, \"beta_end\": 0.012").noiseSchedule();
        double[] b = s.betas();
        double r0 = Math.sqrt(0.00085);
        double r1 = Math.sqrt(0.012);
        for (int i = 0; i < 1000; i++) {
            double r = r0 + i * (r1 - r0) / 999;
            assertEquals(r * r, b[i], 1e-17);
        }
        float[] lin = torchLinspace32(r0, r1, 1000);
        float[] sq = new float[1000];
        for (int i = 0; i < 1000; i++) {
            sq[i] = lin[i] * lin[i];
        }
        assertFloat32Agreement(sq, b);
        assertEquals(0.00085, b[0], 1e-18);
        assertEquals(0.012, b[999], 1e-17);
    }

    @Test
    void squaredcosCapV2IsBetasForAlphaBarWithMaxBeta0999() {
        double[] b = cfg(SchedulerConfig.DPM_SOLVER, "\"beta_schedule\": \"squaredcos_cap_v2\", "
                + "\"beta_start\": 0.5").noiseSchedule().betas(); // beta_start plays no part
        int tt = 1000;
        float[] torch = new float[tt];
        for (int i = 0; i < tt; i++) {
            // scheduling_ddpm.py betas_for_alpha_bar: cos((t + 0.008) / 1.008 * pi / 2) ** 2
            double a1 = Math.pow(Math.cos((i / (double) tt + 0.008) / 1.008 * Math.PI / 2), 2);
            double a2 = Math.pow(Math.cos(((i + 1) / (double) tt + 0.008) / 1.008 * Math.PI / 2), 2);
            double beta = Math.min(1 - a2 / a1, 0.999);
            assertEquals(beta, b[i], Math.abs(beta) * 1e-12, "beta[" + i + "]");
            torch[i] = (float) beta;
        }
        assertEquals(0.999, b[tt - 1], 0); // the cap bites at the end
        assertFloat32Agreement(torch, b);
    }

    @Test
    void trainedBetasAreTakenAsGivenAndOverrideBetaSchedule() {
        SchedulerConfig c = cfg(SchedulerConfig.DDPM, "\"num_train_timesteps\": 4, "
                + "\"beta_schedule\": \"no such schedule\", \"trained_betas\": [0.1, 0.2, 0.3, 0.4]");
        NoiseSchedule s = c.noiseSchedule();
        assertArrayEquals(new double[] {0.1, 0.2, 0.3, 0.4}, s.betas(), 0);
        assertEquals(0.9 * 0.8 * 0.7 * 0.6, s.alphaBar(3), 1e-15);
        String m = message(SchedulerConfig.DDPM,
                "\"num_train_timesteps\": 5, \"trained_betas\": [0.1, 0.2, 0.3, 0.4]");
        assertTrue(m.startsWith(F + ": trained_betas ") && m.contains("num_train_timesteps = 5"), m);
    }

    @Test
    void predictionTypesAreRead() {
        assertSame(Prediction.EPSILON, cfg(SchedulerConfig.DDIM, "").prediction());
        assertSame(Prediction.V_PREDICTION, cfg(SchedulerConfig.DDIM,
                "\"prediction_type\": \"v_prediction\"").noiseSchedule().prediction());
        assertSame(Prediction.SAMPLE, cfg(SchedulerConfig.DDPM,
                "\"prediction_type\": \"sample\"").noiseSchedule().prediction());
        // the run config still refuses "sample"
        assertThrows(IllegalArgumentException.class, () -> Prediction.parse("sample"));
    }

    // ---------------------------------------------------------------- messages

    @Test
    void badValuesNameTheFileTheKeyAndWhatWasExpected() {
        assertEquals("scheduler_config.json: beta_schedule 'foo' is not supported (expected linear, "
                + "scaled_linear or squaredcos_cap_v2)",
                message(SchedulerConfig.DDIM, "\"beta_schedule\": \"foo\""));
        assertEquals("scheduler_config.json: variance_type 'learned_range' is not supported "
                + "(expected fixed_small, fixed_small_log or fixed_large)",
                message(SchedulerConfig.DDPM, "\"variance_type\": \"learned_range\""));
        assertEquals("scheduler_config.json: algorithm_type 'sde-dpmsolver++' is not supported "
                + "(expected dpmsolver++)",
                message(SchedulerConfig.DPM_SOLVER, "\"algorithm_type\": \"sde-dpmsolver++\""));
        assertEquals("scheduler_config.json: solver_order 3 is not supported (expected 1 or 2)",
                message(SchedulerConfig.DPM_SOLVER, "\"solver_order\": 3"));
        assertEquals("scheduler_config.json: sample_max_value 0.5 is not supported (expected a number of at "
                + "least 1)", message(SchedulerConfig.DDPM, "\"thresholding\": true, \"sample_max_value\": 0.5"));
        assertEquals("scheduler_config.json: dynamic_thresholding_ratio 1.5 is not supported (expected a number "
                + "in (0, 1])", message(SchedulerConfig.DDIM,
                        "\"thresholding\": true, \"dynamic_thresholding_ratio\": 1.5"));
        assertEquals("scheduler_config.json: use_karras_sigmas true is not supported (expected false)",
                message(SchedulerConfig.DPM_SOLVER, "\"use_karras_sigmas\": true"));
        assertEquals("scheduler_config.json: timestep_spacing 'even' is not supported (expected "
                + "leading, trailing or linspace)",
                message(SchedulerConfig.DDIM, "\"timestep_spacing\": \"even\""));
        assertEquals("scheduler_config.json: prediction_type 'flow_prediction' is not supported "
                + "(expected epsilon, v_prediction or sample)",
                message(SchedulerConfig.DPM_SOLVER, "\"prediction_type\": \"flow_prediction\""));
        assertEquals("scheduler_config.json: num_train_timesteps 'many' is not supported (expected "
                + "an integer)", message(SchedulerConfig.DDIM, "\"num_train_timesteps\": \"many\""));
        assertTrue(message("EulerDiscreteScheduler", "").contains("_class_name 'EulerDiscreteScheduler'"));
    }

    @Test
    void unknownKeysAndKeysOfOtherClassesAreIgnored() {
        // a saved DPM-Solver config as diffusers writes it (Python's -Infinity included)
        SchedulerConfig c = cfg(SchedulerConfig.DPM_SOLVER, "\"lambda_min_clipped\": -Infinity, "
                + "\"variance_type\": null, \"flux_capacitor\": 3, \"clip_sample\": true, "
                + "\"set_alpha_to_one\": false, \"solver_type\": \"bh2\"");
        assertFalse(c.clipSample()); // DPM-Solver has no clip_sample
        assertTrue(c.setAlphaToOne());
        // a DDPM config's DPM-only keys do not matter to DDPM
        SchedulerConfig d = cfg(SchedulerConfig.DDPM, "\"solver_order\": 3, \"algorithm_type\": \"x\"");
        assertEquals(2, d.solverOrder());
        // DPM-Solver refuses only the learned variance types it would act on
        assertEquals("scheduler_config.json: variance_type 'learned_range' is not supported "
                + "(expected null, or a fixed variance type)",
                message(SchedulerConfig.DPM_SOLVER, "\"variance_type\": \"learned_range\""));
    }

    // ---------------------------------------------------------------- from_config

    @Test
    void ddimFromADdpmConfigDropsDdpmKeysAndTakesDdimDefaults() {
        SchedulerConfig ddpm = cfg(SchedulerConfig.DDPM, "\"num_train_timesteps\": 500, "
                + "\"beta_schedule\": \"scaled_linear\", \"variance_type\": \"fixed_large\", "
                + "\"prediction_type\": \"v_prediction\"");
        assertTrue(ddpm.clipSample()); // DDPM's default
        SchedulerConfig ddim = ddpm.asClass(SchedulerConfig.DDIM);
        assertEquals(SchedulerConfig.DDIM, ddim.className());
        assertEquals(500, ddim.numTrainTimesteps());
        assertEquals("scaled_linear", ddim.betaSchedule());
        assertSame(Prediction.V_PREDICTION, ddim.prediction());
        assertTrue(ddim.setAlphaToOne());
        assertEquals(0, ddim.stepsOffset());
        assertTrue(ddim.clipSample());
        assertSame(TimestepSpacing.LEADING, ddim.timestepSpacing());
        assertEquals("fixed_small", ddim.varianceType()); // fixed_large was DDPM's, dropped
        assertArrayEquals(ddpm.noiseSchedule().betas(), ddim.noiseSchedule().betas(), 0);
        assertEquals(1.0, new DdimSampler(ddpm, 0).finalAlphaCumprod(), 0);

        // keys the source class does not know but the target does pass through (diffusers keeps them)
        SchedulerConfig odd = cfg(SchedulerConfig.DDPM, "\"set_alpha_to_one\": false, "
                + "\"clip_sample\": false");
        assertFalse(odd.asClass(SchedulerConfig.DDIM).setAlphaToOne());
        assertFalse(odd.asClass(SchedulerConfig.DDIM).clipSample());
        // keys listed in _use_default_values give way to the target's defaults
        SchedulerConfig used = cfg(SchedulerConfig.DDIM, "\"timestep_spacing\": \"leading\", "
                + "\"_use_default_values\": [\"timestep_spacing\"]");
        assertSame(TimestepSpacing.LINSPACE, used.asClass(SchedulerConfig.DPM_SOLVER).timestepSpacing());
    }

    @Test
    void dpmSolverFromADdpmConfigTakesItsOwnDefaults() {
        SchedulerConfig ddpm = cfg(SchedulerConfig.DDPM, "\"clip_sample\": true");
        SchedulerConfig dpm = ddpm.asClass(SchedulerConfig.DPM_SOLVER);
        assertSame(TimestepSpacing.LINSPACE, dpm.timestepSpacing());
        assertFalse(dpm.clipSample());
        assertEquals(2, dpm.solverOrder());
        assertEquals("zero", dpm.finalSigmasType());
        assertEquals(999, dpm.timesteps(10)[0]);
        assertEquals(900, ddpm.timesteps(10)[0]);
    }

    // ---------------------------------------------------------------- round trip

    @Test
    void theStudiosSchedulesSurviveTheRoundTrip() {
        String[][] runs = {{"linear", "0.0001", "0.02"}, {"cosine", "0.0001", "0.02"},
                {"quadratic", "0.00085", "0.012"}};
        for (String[] r : runs) {
            for (String pred : new String[] {"epsilon", "v_prediction"}) {
                for (String sampler : Samplers.NAMES) {
                    RunConfig.Diffusion d = new RunConfig.Diffusion(1000, r[0],
                            Double.parseDouble(r[1]), Double.parseDouble(r[2]), pred);
                    String json = SchedulerConfig.forStudio(d, sampler, true).toJsonString();
                    SchedulerConfig back = SchedulerConfig.parse(json, F);
                    assertEquals(SchedulerConfig.DDPM, back.className());
                    NoiseSchedule studio = NoiseSchedule.fromConfig(d);
                    NoiseSchedule read = back.noiseSchedule();
                    String what = r[0] + "/" + pred + "/" + sampler;
                    assertArrayEquals(studio.betas(), read.betas(), 0, what);
                    assertArrayEquals(studio.alphasCumprod(), read.alphasCumprod(), 0, what);
                    assertSame(studio.prediction(), read.prediction(), what);
                    assertEquals(studio.name(), read.name(), what);
                    String cls = sampler.equals("dpmpp") ? SchedulerConfig.DPM_SOLVER
                            : sampler.equals("ddim") ? SchedulerConfig.DDIM : SchedulerConfig.DDPM;
                    Sampler own = Samplers.create(sampler, studio, 0, true);
                    for (int n : new int[] {2, 3, 7, 10, 20, 25, 50, 100, 1000}) {
                        own.setTimesteps(n);
                        assertArrayEquals(own.timesteps(), back.asClass(cls).timesteps(n),
                                what + " n=" + n);
                    }
                }
            }
        }
        String cosine = SchedulerConfig.forStudio(
                new RunConfig.Diffusion(1000, "cosine", 1e-4, 0.02, "epsilon"), "dpmpp", false)
                .toJsonString();
        assertTrue(cosine.contains("\"squaredcos_cap_v2\"") && cosine.contains("\"trailing\""), cosine);
    }

    @Test
    void samplersBuiltFromTheStudiosConfigGiveTheSameSamplesAsToday() {
        RunConfig.Diffusion d = new RunConfig.Diffusion(1000, "linear", 1e-4, 0.02, "epsilon");
        NoiseSchedule schedule = NoiseSchedule.fromConfig(d);
        AnalyticDenoisers.EpsPosterior post = AnalyticDenoisers.gaussian(0.4, 0.5);
        for (String name : Samplers.NAMES) {
            boolean pixel = !name.equals("dpmpp"); // DPM-Solver from a config never clips
            SchedulerConfig c = SchedulerConfig.parse(
                    SchedulerConfig.forStudio(d, name, pixel).toJsonString(), F);
            Sampler fromConfig = name.equals("ddpm") ? new DdpmSampler(c)
                    : name.equals("ddim") ? new DdimSampler(c, 0, true) // the studio's DDIM re-derives ε̂
                    : new DpmSolverPlusPlusSampler(c);
            Sampler today = Samplers.create(name, schedule, 0, pixel);
            assertArrayEquals(sample(today, 20, post), sample(fromConfig, 20, post), 0, name);
        }
        // diffusers' DDIM default takes ε̂ from the unclipped output: where clipping bites, it differs
        SchedulerConfig c = SchedulerConfig.parse(
                SchedulerConfig.forStudio(d, "ddim", true).toJsonString(), F);
        assertFalse(java.util.Arrays.equals(sample(new DdimSampler(c, 0, true), 20, post),
                sample(new DdimSampler(c, 0), 20, post)));
    }

    private static float[] sample(Sampler s, int steps, AnalyticDenoisers.EpsPosterior post) {
        s.setTimesteps(steps);
        Denoiser den = AnalyticDenoisers.of(s.schedule(), post);
        try (NDArray x = SamplingLoop.sample(den, s, new Shape(64, 1, 1, 1), 7, manager,
                StepListener.NONE)) {
            return x.toFloatArray();
        }
    }

    // ---------------------------------------------------------------- sampler semantics

    /** One step of {@code s} at {@code t} on x_t = 0.5 with the network output 0.2; the new x. */
    private static double[] step(Sampler s, int t, double out, Rng rng) {
        try (NDManager m = manager.newSubManager()) {
            NDArray x = m.create(new float[] {0.5f, -0.5f}, new Shape(2, 1, 1, 1));
            NDArray o = m.create(new float[] {(float) out, (float) out}, new Shape(2, 1, 1, 1));
            Sampler.StepOutput so = s.step(o, t, x, rng);
            float[] p = so.prevSample().toFloatArray();
            return new double[] {p[0], p[1], so.predX0().toFloatArray()[0]};
        }
    }

    @Test
    void ddimSetAlphaToOneDecidesTheLastStep() {
        SchedulerConfig one = cfg(SchedulerConfig.DDIM, "\"clip_sample\": false");
        SchedulerConfig zero = cfg(SchedulerConfig.DDIM, "\"clip_sample\": false, "
                + "\"set_alpha_to_one\": false");
        DdimSampler a = new DdimSampler(one, 0);
        DdimSampler b = new DdimSampler(zero, 0);
        a.setTimesteps(10);
        b.setTimesteps(10);
        assertEquals(0, a.timesteps()[9]);
        double ab0 = one.noiseSchedule().alphaBar(0); // 1 − 1e-4
        double x0 = (0.5 - Math.sqrt(1 - ab0) * 0.2) / Math.sqrt(ab0);
        double lastOne = step(a, 0, 0.2, null)[0];
        double lastZero = step(b, 0, 0.2, null)[0];
        assertEquals(x0, lastOne, 1e-6); // ᾱ_prev = 1: x̂0 itself
        assertEquals(Math.sqrt(ab0) * x0 + Math.sqrt(1 - ab0) * 0.2, lastZero, 1e-6); // ᾱ_prev = ᾱ_0
        assertEquals(0.5, lastZero, 1e-6); // back to x_t: the step to ᾱ_0 from ᾱ_0 is the identity
        assertNotEquals(lastOne, lastZero, 1e-3);
        // earlier steps are the same
        assertEquals(step(a, 100, 0.2, null)[0], step(b, 100, 0.2, null)[0], 0);
    }

    @Test
    void ddimFromAConfigStepsToTMinusTDivN() {
        // linspace, n = 7: 999, 832, 666, …; diffusers' DDIM steps from 832 to 832 − 1000 div 7 = 690
        SchedulerConfig c = cfg(SchedulerConfig.DDIM, "\"clip_sample\": false, "
                + "\"timestep_spacing\": \"linspace\"");
        DdimSampler s = new DdimSampler(c, 0);
        s.setTimesteps(7);
        NoiseSchedule sch = c.noiseSchedule();
        double at = sch.alphaBar(832);
        double ap = sch.alphaBar(690);
        double x0 = (0.5 - Math.sqrt(1 - at) * 0.2) / Math.sqrt(at);
        assertEquals(Math.sqrt(ap) * x0 + Math.sqrt(1 - ap) * 0.2, step(s, 832, 0.2, null)[0], 1e-5);
        double a666 = sch.alphaBar(666);
        assertNotEquals(Math.sqrt(a666) * x0 + Math.sqrt(1 - a666) * 0.2, step(s, 832, 0.2, null)[0],
                1e-3);
    }

    @Test
    void clipSampleRangeBoundsPredictedX0() {
        for (double range : new double[] {0.5, 1.5}) {
            SchedulerConfig c = cfg(SchedulerConfig.DDIM, "\"prediction_type\": \"sample\", "
                    + "\"clip_sample_range\": " + range);
            DdimSampler s = new DdimSampler(c, 0);
            s.setTimesteps(10);
            double[] r = step(s, 0, 2.0, null); // the network says x0 = 2
            assertEquals(range, r[2], 1e-7);
            assertEquals(range, r[0], 1e-7); // last step with ᾱ_prev = 1 returns x̂0
        }
        SchedulerConfig off = cfg(SchedulerConfig.DDIM, "\"prediction_type\": \"sample\", "
                + "\"clip_sample\": false, \"clip_sample_range\": 0.5");
        DdimSampler s = new DdimSampler(off, 0);
        s.setTimesteps(10);
        assertEquals(2.0, step(s, 0, 2.0, null)[2], 1e-7);
    }

    @Test
    void ddpmFixedLargeAddsNoiseOfVarianceBetaInsteadOfPosteriorVariance() {
        String keys = "\"clip_sample\": false, \"variance_type\": ";
        DdpmSampler small = new DdpmSampler(cfg(SchedulerConfig.DDPM, keys + "\"fixed_small\""));
        DdpmSampler large = new DdpmSampler(cfg(SchedulerConfig.DDPM, keys + "\"fixed_large\""));
        assertTrue(large.fixedLarge());
        small.setTimesteps(10); // 900, 800, …, 100, 0
        large.setTimesteps(10);
        NoiseSchedule sch = NoiseSchedule.linear(1000);
        int t = 100;
        double at = sch.alphaBar(t);
        double ap = sch.alphaBar(0);
        double beta = 1 - at / ap;
        double x0 = (0.5 - Math.sqrt(1 - at) * 0.2) / Math.sqrt(at);
        double mean = Math.sqrt(ap) * beta / (1 - at) * x0
                + Math.sqrt(1 - beta) * (1 - ap) / (1 - at) * 0.5;
        float z = new Rng(11).gaussians(2)[0];
        double smallVar = (1 - ap) / (1 - at) * beta;
        assertEquals(mean + Math.sqrt(smallVar) * z, step(small, t, 0.2, new Rng(11))[0], 1e-5);
        assertEquals(mean + Math.sqrt(beta) * z, step(large, t, 0.2, new Rng(11))[0], 1e-5);
        // the last step (t = 0) adds no noise in either
        assertEquals(step(small, 0, 0.2, new Rng(3))[0], step(large, 0, 0.2, new Rng(3))[0], 0);
    }

    @Test
    void ddpmFromAConfigAddsNoiseAtALastStepAboveZeroAsDiffusersDoes() {
        DdpmSampler s = new DdpmSampler(cfg(SchedulerConfig.DDPM, "\"clip_sample\": false, "
                + "\"variance_type\": \"fixed_large\", \"steps_offset\": 1"));
        s.setTimesteps(10); // 901 … 1
        assertEquals(1, s.timesteps()[9]);
        double at = NoiseSchedule.linear(1000).alphaBar(1);
        double x0 = (0.5 - Math.sqrt(1 - at) * 0.2) / Math.sqrt(at);
        float z = new Rng(5).gaussians(2)[0];
        // ᾱ_prev = 1: mean = x̂0, σ² = β' = 1 − ᾱ_1
        assertEquals(x0 + Math.sqrt(1 - at) * z, step(s, 1, 0.2, new Rng(5))[0], 1e-5);
    }

    @Test
    void dpmSolverOrderOneIsDdimAndSigmaMinStopsAtAlphaBarZero() {
        SchedulerConfig c1 = cfg(SchedulerConfig.DPM_SOLVER, "\"solver_order\": 1, "
                + "\"final_sigmas_type\": \"sigma_min\"");
        DpmSolverPlusPlusSampler dpm = new DpmSolverPlusPlusSampler(c1);
        DdimSampler ddim = new DdimSampler(cfg(SchedulerConfig.DDIM, "\"clip_sample\": false, "
                + "\"set_alpha_to_one\": false, \"timestep_spacing\": \"trailing\""), 0);
        AnalyticDenoisers.EpsPosterior post = AnalyticDenoisers.gaussian(0.4, 0.5);
        // first-order DPM-Solver++ is DDIM (η = 0) on the same timesteps and the same final ᾱ_0
        SchedulerConfig trailing = cfg(SchedulerConfig.DPM_SOLVER, "\"solver_order\": 1, "
                + "\"final_sigmas_type\": \"sigma_min\", \"timestep_spacing\": \"trailing\"");
        float[] a = sample(new DpmSolverPlusPlusSampler(trailing), 10, post);
        float[] b = sample(ddim, 10, post);
        for (int i = 0; i < a.length; i++) {
            assertEquals(b[i], a[i], 1e-5);
        }
        // and second order differs from it
        float[] second = sample(new DpmSolverPlusPlusSampler(cfg(SchedulerConfig.DPM_SOLVER,
                "\"final_sigmas_type\": \"sigma_min\", \"timestep_spacing\": \"trailing\"")), 10, post);
        assertNotEquals(a[0], second[0], 1e-4);
        assertEquals(1, dpm.solverOrder());
    }
}

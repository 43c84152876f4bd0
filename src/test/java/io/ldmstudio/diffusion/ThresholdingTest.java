package io.ldmstudio.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.weights.SafeTensors;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Dynamic thresholding of x̂0 (diffusers' {@code thresholding}): against PyTorch, in configs, and in every sampler. */
class ThresholdingTest {
    private static final Path GOLDEN = Path.of("src/test/resources/golden/threshold/threshold.safetensors");

    /** src/test/python/threshold_reference.py: diffusers' _threshold_sample in torch, bit for bit. */
    @Test
    void matchesTorchBitForBit() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> g = SafeTensors.readNDArrays(m, GOLDEN);
            for (String k : List.of("a", "b", "c", "d")) {
                float[] p = g.get("params_" + k).toFloatArray();
                Thresholding th = new Thresholding(p[0], p[1]);
                NDArray x = g.get("x_" + k);
                float[] before = x.toFloatArray();
                float[] got = th.apply(x).toFloatArray();
                assertArrayEquals(g.get("y_" + k).toFloatArray(), got, 0f, "case " + k);
                assertArrayEquals(before, x.toFloatArray(), 0f, "the input is left as it is");
            }
            // case a: image 0 (|x| mostly < 1) is unchanged; image 3 (scale 4) is bounded by ±1 after division
            float[] a = new Thresholding(0.995, 2.5).apply(g.get("x_a")).toFloatArray();
            float[] xa = g.get("x_a").toFloatArray();
            int per = 70;
            for (int i = 0; i < per; i++) {
                assertEquals(Math.max(-1f, Math.min(1f, xa[i])), a[i], 0f);
            }
            for (int i = 3 * per; i < 4 * per; i++) {
                assertTrue(Math.abs(a[i]) <= 1f);
                assertEquals(Math.max(-2.5f, Math.min(2.5f, xa[i])) / 2.5f, a[i], 0f);
            }
        }
    }

    @Test
    void quantileInterpolatesLikeTorch() {
        float[] v = {10, 0, 3, 7, 1, 2, 4, 6, 5, 8, 9};
        assertEquals(9f, Thresholding.quantile(v.clone(), 0.9f), 0f);
        assertEquals(7.1f, Thresholding.quantile(v.clone(), 0.71f), 1e-6f);
        assertEquals(10f, Thresholding.quantile(v.clone(), 1f), 0f);
        assertEquals(0.5f, Thresholding.quantile(new float[] {1, 0}, 0.5f), 0f);
    }

    @Test
    void badValuesAreRefused() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Thresholding(0, 2)).getMessage()
                .startsWith("dynamic_thresholding_ratio"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new Thresholding(0.9, 0.5)).getMessage()
                .startsWith("sample_max_value"));
    }

    /** A config with thresholding thresholds x̂0 in DDPM, DDIM and DPM-Solver++, in place of clipping. */
    @Test
    void everySamplerThresholdsPredictedX0FromAConfig() {
        String keys = "\"prediction_type\": \"sample\", \"thresholding\": true, "
                + "\"dynamic_thresholding_ratio\": 0.5, \"sample_max_value\": 3.0";
        try (NDManager m = NDManager.newBaseManager()) {
            // the network says x0 = (0.5, 1, 2, 4) for one image: the 0.5-quantile of |x0| is 1.5
            NDArray out = m.create(new float[] {0.5f, 1f, 2f, 4f}, new Shape(1, 1, 2, 2));
            NDArray x = m.create(new float[] {0.1f, -0.1f, 0.2f, -0.2f}, new Shape(1, 1, 2, 2));
            float[] want = {0.5f / 1.5f, 1f / 1.5f, 1f, 1f};
            for (String cls : List.of(SchedulerConfig.DDPM, SchedulerConfig.DDIM, SchedulerConfig.DPM_SOLVER)) {
                SchedulerConfig c = SchedulerConfig.parse("{\"_class_name\": \"" + cls + "\", " + keys + "}",
                        "scheduler_config.json");
                assertEquals(new Thresholding(0.5, 3.0), c.thresholding());
                Sampler s = switch (cls) {
                    case SchedulerConfig.DDPM -> new DdpmSampler(c);
                    case SchedulerConfig.DDIM -> new DdimSampler(c, 0);
                    default -> new DpmSolverPlusPlusSampler(c);
                };
                s.setTimesteps(10);
                int t = s.timesteps()[0];
                Sampler.StepOutput so = s.step(out, t, x, new io.ldmstudio.util.Rng(1));
                assertArrayEquals(want, so.predX0().toFloatArray(), 1e-7f, cls);
                // without thresholding DDPM/DDIM clip to ±1 and DPM-Solver++ leaves x̂0 alone
                SchedulerConfig plain = SchedulerConfig.parse("{\"_class_name\": \"" + cls
                        + "\", \"prediction_type\": \"sample\"}", "scheduler_config.json");
                assertNull(plain.thresholding());
                Sampler p = switch (cls) {
                    case SchedulerConfig.DDPM -> new DdpmSampler(plain);
                    case SchedulerConfig.DDIM -> new DdimSampler(plain, 0);
                    default -> new DpmSolverPlusPlusSampler(plain);
                };
                p.setTimesteps(10);
                float[] px0 = p.step(out, t, x, new io.ldmstudio.util.Rng(1)).predX0().toFloatArray();
                float[] plainWant = cls.equals(SchedulerConfig.DPM_SOLVER)
                        ? new float[] {0.5f, 1f, 2f, 4f} : new float[] {0.5f, 1f, 1f, 1f};
                assertArrayEquals(plainWant, px0, 1e-7f, cls + " plain");
            }
        }
    }

    @Test
    void theKeysSurviveTheRoundTripAndDefaultToDiffusers() {
        SchedulerConfig c = SchedulerConfig.parse("{\"_class_name\": \"DDIMScheduler\", \"thresholding\": true}",
                "scheduler_config.json");
        assertEquals(new Thresholding(0.995, 1.0), c.thresholding()); // diffusers' defaults
        SchedulerConfig studio = SchedulerConfig.forStudio(RunConfig.defaults().diffusion(), "ddim", true,
                new Thresholding(0.99, 2.0));
        assertTrue(studio.toJson().get("thresholding").asBoolean());
        SchedulerConfig back = SchedulerConfig.parse(studio.toJsonString(), "scheduler_config.json");
        assertEquals(new Thresholding(0.99, 2.0), back.thresholding());
        SchedulerConfig none = SchedulerConfig.forStudio(RunConfig.defaults().diffusion(), "ddim", true);
        assertNull(SchedulerConfig.parse(none.toJsonString(), "scheduler_config.json").thresholding());
        assertNotNull(SchedulerConfig.parse(studio.toJsonString(), "s", SchedulerConfig.DPM_SOLVER).thresholding());
    }

    /** A run's {@code sampling.thresholding} reaches the scheduler its grids, samples and export use. */
    @Test
    void aRunConfigTurnsItOn() {
        RunConfig on = io.ldmstudio.config.ConfigOverrides.apply(RunConfig.defaults(), List.of(
                "sampling.thresholding=true", "sampling.dynamic_thresholding_ratio=0.99", "sampling.sample_max_value=2"));
        assertEquals(new Thresholding(0.99, 2.0), io.ldmstudio.training.RunPipelines.scheduler(on, "dpmpp").thresholding());
        // a pixel-space run without it clips x̂0 to ±1 for every sampler: thresholding at sample_max_value 1, which
        // DPM-Solver++ reads (it has no clip_sample) and which is exactly DDPM's and DDIM's clip_sample
        assertTrue(RunConfig.defaults().pixelSpace());
        SchedulerConfig pixel = io.ldmstudio.training.RunPipelines.scheduler(RunConfig.defaults(), "dpmpp");
        assertEquals(new Thresholding(0.995, 1.0), pixel.thresholding());
        assertTrue(pixel.clipSample());
        assertTrue(pixel.toJson().get("thresholding").asBoolean());
        // latents are not in [−1, 1]: nothing is clipped
        RunConfig latent = io.ldmstudio.config.ConfigOverrides.apply(RunConfig.defaults(), List.of("autoencoder.kind=pretrained"));
        assertFalse(latent.pixelSpace());
        assertNull(io.ldmstudio.training.RunPipelines.scheduler(latent, "dpmpp").thresholding());
    }

    /** With sample_max_value 1 the threshold is plain clipping to ±1, whatever the ratio (no quantile taken). */
    @Test
    void maxValueOneIsClipping() {
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            float[] v = {-3f, -1f, -0.5f, 0f, 0.25f, 0.999f, 1.5f, 7f};
            NDArray x = m.create(v, new ai.djl.ndarray.types.Shape(2, 1, 2, 2));
            float[] got = new Thresholding(0.5, 1.0).apply(x).toFloatArray();
            float[] clipped = x.clip(-1, 1).toFloatArray();
            assertArrayEquals(clipped, got, 0f);
            // with a larger maximum the quantile matters: the first image's 0.5-quantile of |x| is 1
            float[] wide = new Thresholding(0.5, 4.0).apply(x).toFloatArray();
            assertEquals(-1f, wide[0], 0f);
        }
    }
}

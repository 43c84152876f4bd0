package io.ldmstudio.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.diffusion.NoiseSchedule;
import io.ldmstudio.nn.Module;
import io.ldmstudio.nn.UNet2DModel;
import io.ldmstudio.nn.UNetConfig;
import io.ldmstudio.util.Rng;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The mixed-precision step. CUDA uses float16; this machine has no GPU, so the same code path runs in
 * float16 on the CPU (slowly, but the arithmetic is the GPU's): half copies standing in for the weights, a scaled loss, gradients unscaled into
 * the float32 masters, overflow skipped.
 */
class MixedPrecisionTest {
    static final RunConfig.Model MODEL = new RunConfig.Model(16, List.of(1, 2), 1, List.of(2), 2, 8, 0.0);
    static final Shape SHAPE = new Shape(8, 1, 8, 8);

    static float[] stripes() {
        float[] x0 = new float[8 * 64];
        for (int i = 0; i < 8; i++) {
            for (int p = 0; p < 64; p++) {
                x0[i * 64 + p] = ((p % 8 + i) % 4 < 2) ? 0.8f : -0.8f;
            }
        }
        return x0;
    }

    record Setup(UNet2DModel unet, DiffusionTrainStep step) {}

    static Setup setup(NDManager manager, MixedPrecision mp) {
        return setup(manager, mp, NoiseSchedule.cosine(1000));
    }

    static Setup setup(NDManager manager, MixedPrecision mp, NoiseSchedule schedule) {
        UNet2DModel unet = new UNet2DModel(UNetConfig.of(MODEL, 1, 8));
        unet.initialize(manager, new Rng(0), true);
        AdamW opt = new AdamW(unet, manager, 0.9, 0.999, 1e-8, 0.0);
        DiffusionTrainStep step = new DiffusionTrainStep(unet, manager, schedule, opt, null, 1.0, 5);
        step.mixedPrecision(mp);
        return new Setup(unet, step);
    }

    @Test
    void aHalfPrecisionStepAgreesWithTheFloat32StepWithinFloat16Precision() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Setup full = setup(manager, null);
            MixedPrecision mp = new MixedPrecision(DataType.FLOAT16);
            Setup half = setup(manager, mp);
            StepResult a = full.step().run(1, stripes(), SHAPE, 1e-3);
            StepResult b = half.step().run(1, stripes(), SHAPE, 1e-3);
            assertTrue(b.applied() && !b.overflow());
            assertEquals(a.loss(), b.loss(), 0.03 * a.loss(), "loss");
            assertEquals(a.gradNorm(), b.gradNorm(), 0.05 * a.gradNorm(), "gradient norm");
            // after the step the weights are float32 masters again, and they moved as float32's did
            for (Module.Param p : half.unet().parameters()) {
                assertEquals(DataType.FLOAT32, p.array().getDataType());
                assertTrue(p.array() == p.master(), "no stand-in left behind");
            }
            float[] wa = full.unet().parameters().get(0).array().toFloatArray();
            float[] wb = half.unet().parameters().get(0).array().toFloatArray();
            double diff = 0;
            double move = 0;
            try (NDManager m = NDManager.newBaseManager()) {
                UNet2DModel fresh = new UNet2DModel(UNetConfig.of(MODEL, 1, 8));
                fresh.initialize(m, new Rng(0), false);
                float[] w0 = fresh.parameters().get(0).array().toFloatArray();
                for (int i = 0; i < wa.length; i++) {
                    diff = Math.max(diff, Math.abs(wa[i] - wb[i]));
                    move = Math.max(move, Math.abs(wa[i] - w0[i]));
                }
            }
            assertTrue(move > 5e-4, "the first AdamW step moves weights by about lr: " + move);
            assertTrue(diff < 0.5 * move, "mixed and full steps moved the weights alike: diff " + diff + ", move " + move);
        }
    }

    /**
     * The float32 step the half-precision step is held against is itself right: its loss and gradient
     * norm equal a float64 computation of the same step (the float32 convolutions' input gradients were
     * wrong on AVX-512/AVX2 CPUs, and this agreement test failed there for that reason).
     */
    @Test
    void theFloat32ReferenceStepAgreesWithFloat64() {
        try (NDManager manager = NDManager.newBaseManager()) {
            UNet2DModel unet = new UNet2DModel(UNetConfig.of(MODEL, 1, 8));
            unet.initialize(manager, new Rng(0), true);
            DiffusionTrainStep step = new DiffusionTrainStep(unet, manager, NoiseSchedule.cosine(1000), null, null, 0, 5);
            double loss32 = step.gradients(1, stripes(), SHAPE).loss();
            double norm32 = GradClip.clip(unet.parameters(), 0);
            for (Module.Param p : unet.parameters()) {
                p.set(p.master().toType(DataType.FLOAT64, true));
            }
            double loss64 = step.gradients(1, stripes(), SHAPE).loss();
            double norm64 = GradClip.clip(unet.parameters(), 0);
            assertEquals(loss64, loss32, 1e-5 * loss64, "loss");
            assertEquals(norm64, norm32, 1e-4 * norm64, "gradient norm");
        }
    }

    @Test
    void theUNetStillLearnsUnderMixedPrecision() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Setup half = setup(manager, new MixedPrecision(DataType.FLOAT16));
            double first = 0;
            double last = 0;
            int steps = 100;
            for (int s = 1; s <= steps; s++) {
                double loss = half.step().run(s, stripes(), SHAPE, 3e-3).loss();
                if (s <= 20) {
                    first += loss / 20;
                }
                if (s > steps - 20) {
                    last += loss / 20;
                }
            }
            assertTrue(last < 0.6 * first, "loss fell from " + first + " to " + last);
        }
    }

    @Test
    void anOverflowSkipsTheStepLeavesTheWeightsAndHalvesTheScale() {
        try (NDManager manager = NDManager.newBaseManager()) {
            MixedPrecision mp = new MixedPrecision(DataType.FLOAT16);
            mp.restore(MixedPrecision.MAX_SCALE, 5, 0);
            // v-prediction's target carries x0: with x0 far outside [-1, 1] the loss is in the hundreds,
            // which 2^15 times overflows float16
            Setup half = setup(manager, mp, NoiseSchedule.cosine(1000).withPrediction(
                    io.ldmstudio.diffusion.Prediction.V_PREDICTION));
            float[] before = half.unet().parameters().get(3).array().toFloatArray();
            float[] loud = stripes();
            for (int i = 0; i < loud.length; i++) {
                loud[i] *= 40;
            }
            StepResult r = half.step().run(1, loud, SHAPE, 1e-3);
            assertFalse(r.applied());
            assertTrue(r.overflow());
            assertTrue(Double.isFinite(r.loss()), "the loss itself is fine: " + r.loss());
            assertEquals(MixedPrecision.MAX_SCALE / 2, mp.scale());
            assertEquals(1, mp.skipped());
            assertEquals(0, mp.cleanSteps());
            assertArrayEquals(before, half.unet().parameters().get(3).array().toFloatArray());
            // the next steps recover as the scale comes down
            boolean applied = false;
            for (int s = 2; s < 40 && !applied; s++) {
                applied = half.step().run(s, loud, SHAPE, 1e-3).applied();
            }
            assertTrue(applied, "scale came down to " + mp.scale());
        }
    }

    @Test
    void onlyHalfTypesAreAccepted() {
        try {
            new MixedPrecision(DataType.FLOAT32);
        } catch (IllegalArgumentException e) {
            assertTrue(e.getMessage().contains("float16"));
            return;
        }
        assertNull("float32 should be refused");
    }
}

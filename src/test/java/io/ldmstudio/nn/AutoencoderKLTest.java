package io.ldmstudio.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.util.Rng;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AutoencoderKLTest {
    /** A small autoencoder: two levels (f = 2), one resnet per encoder level, 8 groups. */
    static VaeConfig small() {
        return VaeConfig.of(3, 3, List.of(32, 64), 1, 4, 8, 16);
    }

    static NDArray randomImages(NDManager m, long seed, long... shape) {
        Rng rng = new Rng(seed);
        float[] v = new float[Math.toIntExact(new Shape(shape).size())];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rng.nextDouble() * 2 - 1);
        }
        return m.create(v, new Shape(shape));
    }

    static void assertClose(NDArray expected, NDArray actual, double tol) {
        assertEquals(expected.getShape(), actual.getShape());
        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], a[i], tol * Math.max(1, Math.abs(e[i])), "element " + i);
        }
    }

    @Test
    void sdVaeFtMseHasTheReferenceParameterCountFactorAndLatentShape() {
        AutoencoderKL vae = new AutoencoderKL(VaeConfig.sdVaeFtMse()); // no weights allocated
        assertEquals(83_653_863L, vae.parameterCount());
        assertEquals(8, vae.downFactor());
        assertArrayEquals(new long[] {4, 32, 32}, vae.latentShape(256));
        assertArrayEquals(new long[] {4, 64, 64}, vae.latentShape(512));
        assertNull(vae.namedParameters().get("encoder.conv_out.weight").array());
    }

    @Test
    void latentShapeOfASizeThatFDoesNotDivideIsAClearError() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> VaeConfig.sdVaeFtMse().latentShape(100));
        assertTrue(e.getMessage().contains("100"), e.getMessage());
        assertTrue(e.getMessage().contains("f = 8"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> VaeConfig.sdVaeFtMse().latentShape(0));
        assertArrayEquals(new long[] {4, 8, 8}, small().latentShape(16));
        assertEquals(1, VaeConfig.of(3, 3, List.of(32), 1, 4, 8, 16).downFactor());
    }

    @Test
    void parametersCarryDiffusersNamesAndShapes() {
        Map<String, Module.Param> p = new AutoencoderKL(small()).namedParameters();
        Map<String, long[]> expected = Map.ofEntries(
                Map.entry("encoder.conv_in.weight", new long[] {32, 3, 3, 3}),
                Map.entry("encoder.down_blocks.0.resnets.0.norm1.weight", new long[] {32}),
                Map.entry("encoder.down_blocks.0.downsamplers.0.conv.weight", new long[] {32, 32, 3, 3}),
                Map.entry("encoder.down_blocks.1.resnets.0.conv_shortcut.weight", new long[] {64, 32, 1, 1}),
                Map.entry("encoder.mid_block.attentions.0.group_norm.weight", new long[] {64}),
                Map.entry("encoder.mid_block.attentions.0.to_q.weight", new long[] {64, 64}),
                Map.entry("encoder.mid_block.attentions.0.to_out.0.bias", new long[] {64}),
                Map.entry("encoder.mid_block.resnets.1.conv2.weight", new long[] {64, 64, 3, 3}),
                Map.entry("encoder.conv_norm_out.weight", new long[] {64}),
                Map.entry("encoder.conv_out.weight", new long[] {8, 64, 3, 3}),
                Map.entry("quant_conv.weight", new long[] {8, 8, 1, 1}),
                Map.entry("post_quant_conv.weight", new long[] {4, 4, 1, 1}),
                Map.entry("decoder.conv_in.weight", new long[] {64, 4, 3, 3}),
                Map.entry("decoder.mid_block.attentions.0.to_v.weight", new long[] {64, 64}),
                Map.entry("decoder.up_blocks.0.resnets.1.conv1.weight", new long[] {64, 64, 3, 3}),
                Map.entry("decoder.up_blocks.0.upsamplers.0.conv.weight", new long[] {64, 64, 3, 3}),
                Map.entry("decoder.up_blocks.1.resnets.0.conv_shortcut.weight", new long[] {32, 64, 1, 1}),
                Map.entry("decoder.up_blocks.1.resnets.1.norm2.bias", new long[] {32}),
                Map.entry("decoder.conv_norm_out.bias", new long[] {32}),
                Map.entry("decoder.conv_out.weight", new long[] {3, 32, 3, 3}));
        for (Map.Entry<String, long[]> e : expected.entrySet()) {
            assertTrue(p.containsKey(e.getKey()), "missing " + e.getKey());
            assertArrayEquals(e.getValue(), p.get(e.getKey()).shape().getShape(), e.getKey());
        }
        for (String absent : List.of("encoder.down_blocks.1.downsamplers.0.conv.weight",
                "decoder.up_blocks.1.upsamplers.0.conv.weight", "encoder.down_blocks.0.resnets.1.conv1.weight",
                "decoder.up_blocks.0.resnets.2.conv1.weight", "encoder.down_blocks.0.resnets.0.conv_shortcut.weight",
                "encoder.down_blocks.0.resnets.0.time_emb_proj.weight")) {
            assertFalse(p.containsKey(absent), "unexpected " + absent);
        }
        // a resnet has 8 tensors (10 with a shortcut), an attention 10, a mid block 26, a conv or norm 2:
        // encoder 2 + (8 + 2) + 10 + 26 + 2 + 2 = 52; quant convs 4; decoder 2 + 26 + (16 + 2) + (10 + 8) + 2 + 2 = 68
        assertEquals(124, p.size());
    }

    @Test
    void withoutQuantConvsOrMidAttentionThoseTensorsAreAbsent() {
        VaeConfig c = new VaeConfig(3, 3, List.of(32, 64), 1, 16, 8, 16, 1.5305, 0.0609, true, false, false, false);
        Map<String, Module.Param> p = new AutoencoderKL(c).namedParameters();
        assertFalse(p.containsKey("quant_conv.weight"));
        assertFalse(p.containsKey("post_quant_conv.weight"));
        assertTrue(p.keySet().stream().noneMatch(k -> k.contains("attentions")));
    }

    @Test
    void encoderDownsamplingPadsOnlyRightAndBottom() {
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKL.PaddedDownsample2D down = new AutoencoderKL.PaddedDownsample2D(1);
            down.initialize(m, new Rng(1), false);
            down.namedParameters().get("conv.weight").set(m.ones(new Shape(1, 1, 3, 3)));
            down.namedParameters().get("conv.bias").set(m.zeros(new Shape(1)));
            NDArray y = down.forward(m.ones(new Shape(1, 1, 4, 4)));
            // windows start at 0 and 2: the first sees 9 ones, the last row/column reaches the zero pad
            assertArrayEquals(new float[] {9, 6, 6, 4}, y.toFloatArray());
            assertEquals(new Shape(1, 1, 2, 2), y.getShape());
        }
    }

    @Test
    void encodesAndDecodesA256PixelImageWithTheSdVaeConfig() {
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKL vae = new AutoencoderKL(VaeConfig.sdVaeFtMse());
            vae.initialize(m, new Rng(0), false);
            try (NDManager step = m.newSubManager()) {
                NDArray x = randomImages(step, 1, 1, 3, 256, 256);
                NDArray z = vae.encodeLatents(x);
                assertEquals(new Shape(1, 4, 32, 32), z.getShape());
                NDArray y = vae.decodeLatents(z);
                assertEquals(new Shape(1, 3, 256, 256), y.getShape());
                assertTrue(Float.isFinite(y.abs().max().getFloat()));
                assertTrue(z.getManager() == step && y.getManager() == step, "results live on the input's manager");
            }
            vae.close();
        }
    }

    @Test
    void encodeLatentsIsThePosteriorMeanTimesTheScalingFactor() {
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKL vae = new AutoencoderKL(small());
            vae.initialize(m, new Rng(2), false);
            NDArray x = randomImages(m, 3, 2, 3, 16, 16);
            DiagonalGaussian q = vae.encode(x);
            assertEquals(new Shape(2, 4, 8, 8), q.mean().getShape());
            NDArray z = vae.encodeLatents(x);
            assertClose(q.mean().mul(0.18215f), z, 1e-6);
            // the encoder alone, then quant_conv, then the first half of the channels
            NDArray moments = vae.quantConv().forward(vae.encoder().forward(x));
            assertClose(moments.get(":, 0:4"), q.mean(), 1e-6);
            assertClose(moments.get(":, 4:8").clip(-30, 20), q.logvar(), 1e-6);
        }
    }

    @Test
    void sampledLatentsAreMeanPlusSigmaTimesTheGeneratorsNoise() {
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKL vae = new AutoencoderKL(small());
            vae.initialize(m, new Rng(2), false);
            NDArray x = randomImages(m, 4, 1, 3, 16, 16);
            DiagonalGaussian q = vae.encode(x);
            float[] mean = q.mean().toFloatArray();
            float[] logvar = q.logvar().toFloatArray();
            float[] eps = new Rng(9).gaussians(mean.length);
            float[] z = vae.encodeLatents(x, true, new Rng(9)).toFloatArray();
            for (int i = 0; i < z.length; i++) {
                double expected = (mean[i] + Math.exp(0.5 * logvar[i]) * eps[i]) * 0.18215;
                assertEquals(expected, z[i], 1e-5, "latent " + i);
            }
            assertThrows(IllegalArgumentException.class, () -> vae.encodeLatents(x, true, null));
        }
    }

    @Test
    void decodeLatentsDividesByTheScalingFactorThenDecodes() {
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKL vae = new AutoencoderKL(small());
            vae.initialize(m, new Rng(5), false);
            NDArray z = randomImages(m, 6, 1, 4, 8, 8);
            NDArray y = vae.decodeLatents(z);
            assertEquals(new Shape(1, 3, 16, 16), y.getShape());
            NDArray byHand = vae.decoder().forward(vae.postQuantConv().forward(z.div(0.18215f)));
            assertClose(byHand, y, 1e-6);
            NDArray unscaled = vae.decode(z);
            assertTrue(unscaled.sub(y).abs().max().getFloat() > 1e-3, "the scaling must matter");
        }
    }

    @Test
    void shiftFactorIsSubtractedBeforeScalingAndAddedBackAfter() {
        VaeConfig c = new VaeConfig(3, 3, List.of(32, 64), 1, 4, 8, 16, 2.0, 0.5, true, true, true, true);
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKL vae = new AutoencoderKL(c);
            vae.initialize(m, new Rng(5), false);
            NDArray x = randomImages(m, 7, 1, 3, 16, 16);
            assertClose(vae.encode(x).mean().sub(0.5f).mul(2f), vae.encodeLatents(x), 1e-6);
            NDArray z = randomImages(m, 8, 1, 4, 8, 8);
            assertClose(vae.decode(z.div(2f).add(0.5f)), vae.decodeLatents(z), 1e-6);
        }
    }

    @Test
    void klTermMatchesTheClosedFormAndClampsTheLogVariance() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] mu = {0.5f, -1f, 2f, 0f, 0.25f, -0.75f, 1.5f, 3f};
            float[] lv = {0f, -1f, 1f, 0.5f, -2f, 25f, -40f, 0.1f}; // 25 → 20, −40 → −30
            DiagonalGaussian q = new DiagonalGaussian(m.create(mu, new Shape(2, 1, 2, 2)), m.create(lv, new Shape(2, 1, 2, 2)));
            double[] perSample = new double[2];
            for (int i = 0; i < 8; i++) {
                double l = Math.max(-30, Math.min(20, lv[i]));
                perSample[i / 4] += 0.5 * (mu[i] * mu[i] + Math.exp(l) - 1 - l);
            }
            float[] kl = q.kl().toFloatArray();
            assertEquals(perSample[0], kl[0], 1e-4 * Math.abs(perSample[0]));
            assertEquals(perSample[1], kl[1], 1e-4 * Math.abs(perSample[1]));
            assertEquals(20f, q.logvar().toFloatArray()[5]);
            assertEquals(-30f, q.logvar().toFloatArray()[6]);
            assertEquals(Math.exp(0.5 * 0.5), q.std().toFloatArray()[3], 1e-6);
            // a standard normal has no KL
            DiagonalGaussian n = new DiagonalGaussian(m.zeros(new Shape(1, 4, 2, 2)), m.zeros(new Shape(1, 4, 2, 2)));
            assertEquals(0f, n.kl().getFloat(0), 0f);
        }
    }

    @Test
    void forwardReturnsTheReconstructionAndTheBatchMeanOfTheKl() {
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKL vae = new AutoencoderKL(small());
            vae.initialize(m, new Rng(11), false);
            NDArray x = randomImages(m, 12, 3, 3, 16, 16);
            AutoencoderKL.Output mode = vae.forward(x, false, null);
            assertEquals(x.getShape(), mode.reconstruction().getShape());
            assertClose(vae.decode(vae.encode(x).mean()), mode.reconstruction(), 1e-6);
            float[] perSample = mode.posterior().kl().toFloatArray();
            assertEquals((perSample[0] + perSample[1] + perSample[2]) / 3, mode.kl().getFloat(), 1e-4 * mode.kl().getFloat());
            assertEquals(new Shape(), mode.kl().getShape());
            AutoencoderKL.Output a = vae.forward(x, true, new Rng(1));
            AutoencoderKL.Output b = vae.forward(x, true, new Rng(1));
            assertClose(a.reconstruction(), b.reconstruction(), 0);
            assertTrue(a.reconstruction().sub(mode.reconstruction()).abs().max().getFloat() > 0, "sampling adds noise");
        }
    }

    /** Gradients of quant_conv and the encoder attention after one training pass, optionally with a GC before backward. */
    private static float[] trainingGradients(boolean collectGarbage) throws InterruptedException {
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKL vae = new AutoencoderKL(small());
            vae.initialize(m, new Rng(21), true);
            try (NDManager step = m.newSubManager();
                    ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                NDArray x = randomImages(step, 22, 2, 3, 16, 16);
                AutoencoderKL.Output out = vae.forward(x, true, new Rng(23));
                NDArray loss = out.reconstruction().sub(x).square().mean().add(Ops.mulScalar(out.kl(), 1e-3));
                if (collectGarbage) {
                    // free every unreachable direct buffer, then reuse native memory with NaNs
                    System.gc();
                    Thread.sleep(100);
                    java.util.List<java.nio.ByteBuffer> junk = new java.util.ArrayList<>();
                    for (int i = 0; i < 5000; i++) {
                        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect(4).order(java.nio.ByteOrder.nativeOrder());
                        b.putFloat(0, Float.NaN);
                        junk.add(b);
                    }
                }
                gc.backward(loss);
            }
            float[] a = vae.namedParameters().get("quant_conv.weight").array().getGradient().toFloatArray();
            float[] b = vae.namedParameters().get("encoder.mid_block.attentions.0.to_k.weight").array().getGradient().toFloatArray();
            float[] both = java.util.Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, both, a.length, b.length);
            return both;
        }
    }

    /**
     * Scalar factors on the gradient path (σ = exp(½·logvar), the KL's ½, the attention's 1/√C) must
     * not live in memory the JVM may free before backward (DJL's {@code mul(Number)} does).
     */
    @Test
    void gradientsSurviveAGarbageCollectionBetweenForwardAndBackward() throws InterruptedException {
        float[] plain = trainingGradients(false);
        float[] collected = trainingGradients(true);
        for (int i = 0; i < plain.length; i++) {
            assertTrue(Float.isFinite(collected[i]), "gradient " + i + " is " + collected[i]);
            assertEquals(plain[i], collected[i], 1e-5 * Math.max(1e-3, Math.abs(plain[i])), "gradient " + i);
        }
    }

    @Test
    void wrongInputsAreRefusedWithTheExpectedShape() {
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKL vae = new AutoencoderKL(small());
            vae.initialize(m, new Rng(1), false);
            IllegalArgumentException ch = assertThrows(IllegalArgumentException.class,
                    () -> vae.encode(m.zeros(new Shape(1, 1, 16, 16))));
            assertTrue(ch.getMessage().contains("(B, 3, H, W)"), ch.getMessage());
            IllegalArgumentException size = assertThrows(IllegalArgumentException.class,
                    () -> vae.encode(m.zeros(new Shape(1, 3, 15, 16))));
            assertTrue(size.getMessage().contains("f = 2"), size.getMessage());
            assertThrows(IllegalArgumentException.class, () -> vae.decode(m.zeros(new Shape(1, 3, 8, 8))));
        }
    }

    @Test
    void forwardPassesLeaveNothingInTheModelsManager() {
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKL vae = new AutoencoderKL(small());
            vae.initialize(m, new Rng(1), false);
            try (NDManager warm = m.newSubManager()) {
                vae.forward(randomImages(warm, 1, 1, 3, 16, 16), true, new Rng(1)); // GroupNorm constants made here
            }
            int before = m.getManagedArrays().size();
            for (int i = 0; i < 3; i++) {
                try (NDManager step = m.newSubManager()) {
                    vae.forward(randomImages(step, i, 1, 3, 16, 16), true, new Rng(i));
                    vae.decodeLatents(vae.encodeLatents(randomImages(step, i, 1, 3, 16, 16)));
                }
            }
            assertEquals(before, m.getManagedArrays().size());
        }
    }
}

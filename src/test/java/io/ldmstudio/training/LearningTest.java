package io.ldmstudio.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.pipeline.NetworkDenoiser;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.diffusion.NoiseSchedule;
import io.ldmstudio.diffusion.Sampler;
import io.ldmstudio.diffusion.Samplers;
import io.ldmstudio.diffusion.SamplingLoop;
import io.ldmstudio.nn.DiffusionNetwork;
import io.ldmstudio.nn.Layers.Linear;
import io.ldmstudio.nn.Ops;
import io.ldmstudio.nn.UNet2DModel;
import io.ldmstudio.nn.UNetConfig;
import io.ldmstudio.util.Rng;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The models learn: a two-mode toy distribution, and a U-Net overfitting a fixed batch. */
public class LearningTest {

    /** A small time-conditional MLP on scalars shaped (B, 1, 1, 1). */
    public static final class ToyMlp extends DiffusionNetwork {
        final Linear l1 = child("l1", new Linear(1 + 32, 128));
        final Linear l2 = child("l2", new Linear(128, 128));
        final Linear l3 = child("l3", new Linear(128, 1));

        @Override
        public NDArray forward(NDArray x, NDArray t, boolean training) {
            long b = x.getShape().get(0);
            NDArray emb = Ops.timestepEmbedding(t, 32, true, 0);
            NDArray h = x.reshape(b, 1).concat(emb, 1);
            h = Ops.silu(l1.forward(h));
            h = Ops.silu(l2.forward(h));
            return l3.forward(h).reshape(b, 1, 1, 1);
        }
    }

    @Test
    void ddimSamplesOfATwoModeToyFallInBothModesInEqualShares() {
        NoiseSchedule schedule = NoiseSchedule.cosine(1000);
        try (NDManager manager = NDManager.newBaseManager()) {
            ToyMlp net = new ToyMlp();
            net.initialize(manager, new Rng(1), true);
            AdamW opt = new AdamW(net, manager, 0.9, 0.999, 1e-8, 0.0);
            DiffusionTrainStep step = new DiffusionTrainStep(net, manager, schedule, opt, null, 1.0, 7);
            int batch = 256;
            Rng data = new Rng(3);
            LrSchedule lr = new LrSchedule("warmup_constant", 1e-3, 100, 0, 0);
            for (int s = 1; s <= 4000; s++) {
                float[] x0 = new float[batch];
                for (int i = 0; i < batch; i++) {
                    x0[i] = (float) ((data.nextDouble() < 0.5 ? -2 : 2) + 0.1 * data.nextGaussian());
                }
                step.run(s, x0, new Shape(batch, 1, 1, 1), lr.lr(s));
            }
            Sampler ddim = Samplers.create("ddim", schedule, 0.0, false);
            ddim.setTimesteps(50);
            int n = 2000;
            float[] out = SamplingLoop.sample(new NetworkDenoiser(net), ddim, new Shape(n, 1, 1, 1), 11,
                    manager, null).toFloatArray();
            int pos = 0;
            int neg = 0;
            for (float v : out) {
                if (Math.abs(v - 2) < 0.5) {
                    pos++;
                } else if (Math.abs(v + 2) < 0.5) {
                    neg++;
                }
            }
            float[] sorted = out.clone();
            java.util.Arrays.sort(sorted);
            String q = "quantiles " + sorted[n / 20] + " " + sorted[n / 4] + " " + sorted[n / 2] + " " + sorted[3 * n / 4]
                    + " " + sorted[19 * n / 20];
            assertTrue(pos + neg > 0.9 * n, "most samples near a mode: " + (pos + neg) + " of " + n + "; " + q);
            double share = pos / (double) (pos + neg);
            assertEquals(0.5, share, 0.1, "share of the +2 mode");
        }
    }

    @Test
    void theUNetOverfitsASmallFixedBatch() {
        RunConfig.Model m = new RunConfig.Model(16, List.of(1, 2), 1, List.of(2), 2, 8, 0.0);
        NoiseSchedule schedule = NoiseSchedule.cosine(1000);
        try (NDManager manager = NDManager.newBaseManager()) {
            UNet2DModel unet = new UNet2DModel(UNetConfig.of(m, 1, 8));
            unet.initialize(manager, new Rng(0), true);
            AdamW opt = new AdamW(unet, manager, 0.9, 0.999, 1e-8, 0.0);
            DiffusionTrainStep step = new DiffusionTrainStep(unet, manager, schedule, opt, null, 1.0, 5);
            Shape shape = new Shape(8, 1, 8, 8);
            float[] x0 = new float[8 * 64];
            for (int i = 0; i < 8; i++) {          // eight fixed images: stripes at different phases
                for (int p = 0; p < 64; p++) {
                    x0[i * 64 + p] = ((p % 8 + i) % 4 < 2) ? 0.8f : -0.8f;
                }
            }
            double first = 0;
            double last = 0;
            int steps = 400;
            for (int s = 1; s <= steps; s++) {
                double loss = step.run(s, x0, shape, 2e-3).loss();
                if (s <= 20) {
                    first += loss / 20;
                }
                if (s > steps - 50) {
                    last += loss / 50;
                }
            }
            assertTrue(last < 0.35 * first, "loss fell from " + first + " to " + last);
        }
    }
}

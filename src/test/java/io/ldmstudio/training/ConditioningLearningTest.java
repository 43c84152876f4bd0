package io.ldmstudio.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.diffusion.NoiseSchedule;
import io.ldmstudio.diffusion.Sampler;
import io.ldmstudio.diffusion.Samplers;
import io.ldmstudio.diffusion.SamplingLoop;
import io.ldmstudio.nn.DiffusionNetwork;
import io.ldmstudio.nn.Layers.Linear;
import io.ldmstudio.nn.Ops;
import io.ldmstudio.pipeline.Pipeline;
import io.ldmstudio.util.Rng;
import org.junit.jupiter.api.Test;

/**
 * Classifier-free guidance learns: a labelled two-mode toy (label 0 → mode −2, label 1 → +2, each of
 * width 0.1), one network trained with labels dropped to the null class 10 % of the time, sampled through
 * the pipeline's conditional denoiser. Without guidance (w = 1) 95 % of a label's samples fall within 0.5
 * of its mode; at w = 3 95 % are nearer their label's mode than the other, pushed outwards past it as
 * guidance does to a narrow mode (its 1 % quantile about 1 beyond); the null class covers both modes.
 */
class ConditioningLearningTest {
    /** A time- and class-conditional MLP on scalars (B, 1, 1, 1); the class table's last row is the null class. */
    static final class ClassToy extends DiffusionNetwork {
        static final int CLASSES = 2;
        final Linear classTable = child("class_embedding", new Linear(CLASSES + 1, 16));
        final Linear l1 = child("l1", new Linear(1 + 32 + 16, 128));
        final Linear l2 = child("l2", new Linear(128, 128));
        final Linear l3 = child("l3", new Linear(128, 1));
        long seen;
        long nulls;

        @Override
        public NDArray forward(NDArray x, NDArray t, boolean training) {
            throw new IllegalStateException("a class-conditional network is always given labels here");
        }

        @Override
        public NDArray forward(NDArray x, NDArray t, NDArray labels, boolean training) {
            if (training) {
                for (long l : labels.toLongArray()) {
                    seen++;
                    nulls += l == nullClass() ? 1 : 0;
                }
            }
            long b = x.getShape().get(0);
            NDArray emb = Ops.timestepEmbedding(t, 32, true, 0);
            NDArray cls = classTable.forward(labels.toType(DataType.INT32, false).oneHot(CLASSES + 1).toType(x.getDataType(), false));
            NDArray h = x.reshape(b, 1).concat(emb, 1).concat(cls, 1);
            h = Ops.silu(l1.forward(h));
            h = Ops.silu(l2.forward(h));
            return l3.forward(h).reshape(b, 1, 1, 1);
        }

        @Override
        public int classes() {
            return CLASSES;
        }
    }

    static float[] sample(ClassToy net, Pipeline.Condition c, int n, NDManager m) {
        NoiseSchedule schedule = NoiseSchedule.cosine(1000);
        Sampler ddim = Samplers.create("ddim", schedule, 0.0, false);
        ddim.setTimesteps(50);
        return SamplingLoop.sample(Pipeline.denoiser(net, c), ddim, new Shape(n, 1, 1, 1), 11, m, null).toFloatArray();
    }

    static double share(float[] v, double mode) {
        int k = 0;
        for (float x : v) {
            k += Math.abs(x - mode) < 0.5 ? 1 : 0;
        }
        return k / (double) v.length;
    }

    @Test
    void guidedSamplesLandInTheirLabelsModeAndTheNullClassCoversBoth() {
        NoiseSchedule schedule = NoiseSchedule.cosine(1000);
        try (NDManager manager = NDManager.newBaseManager()) {
            ClassToy net = new ClassToy();
            net.initialize(manager, new Rng(1), true);
            AdamW opt = new AdamW(net, manager, 0.9, 0.999, 1e-8, 0.0);
            DiffusionTrainStep step = new DiffusionTrainStep(net, manager, schedule, opt, null, 1.0, 7).dropLabels(0.1);
            int batch = 256;
            Rng data = new Rng(3);
            LrSchedule lr = new LrSchedule("warmup_constant", 1e-3, 100, 0, 0);
            for (int s = 1; s <= 4000; s++) {
                float[] x0 = new float[batch];
                int[] labels = new int[batch];
                for (int i = 0; i < batch; i++) {
                    labels[i] = data.nextDouble() < 0.5 ? 0 : 1;
                    x0[i] = (float) ((labels[i] == 0 ? -2 : 2) + 0.1 * data.nextGaussian());
                }
                step.run(s, x0, labels, new Shape(batch, 1, 1, 1), lr.lr(s));
            }
            // the null class was used at conditioning.drop_prob's rate: 1,024,000 labels, binomial sd 0.0003
            double rate = net.nulls / (double) net.seen;
            assertEquals(4000L * batch, net.seen);
            assertEquals(0.1, rate, 0.003, "share of labels dropped to the null class");

            int n = 1000;
            for (int label : new int[] {0, 1}) {
                int[] labels = new int[n];
                java.util.Arrays.fill(labels, label);
                double mode = label == 0 ? -2 : 2;
                // w = 1, the conditional model alone: its samples sit in their label's mode
                float[] plain = sample(net, new Pipeline.Condition(labels, 1.0, 0), n, manager);
                assertTrue(share(plain, mode) >= 0.95, "label " + label + " at w = 1: " + share(plain, mode) + " within 0.5");
                // w = 3: every sample on its label's side, pushed outwards (guidance overshoots a narrow mode)
                float[] out = sample(net, new Pipeline.Condition(labels, 3.0, 0), n, manager);
                float[] q = out.clone();
                java.util.Arrays.sort(q);
                String quantiles = "quantiles 1/5/50/95/99 % " + q[n / 100] + " " + q[n / 20] + " " + q[n / 2] + " "
                        + q[19 * n / 20] + " " + q[99 * n / 100];
                double nearer = 0;
                for (float v : out) {
                    nearer += Math.abs(v - mode) < Math.abs(v + mode) ? 1.0 / n : 0;
                }
                assertTrue(nearer >= 0.95, "label " + label + " at w = 3: " + nearer + " nearer its mode; " + quantiles);
                assertTrue(Math.abs(q[n / 2] - mode) < 0.5, "the median sample is in the mode: " + quantiles);
            }
            float[] free = sample(net, null, n, manager); // no labels: the null class, unguided
            double neg = share(free, -2);
            double pos = share(free, 2);
            assertTrue(neg > 0.3 && pos > 0.3 && neg + pos > 0.9, "the null class covers both modes: " + neg + " / " + pos);
        }
    }

    @Test
    void aConditionalNetworkRefusesMissingOrOutOfRangeLabels() {
        NoiseSchedule schedule = NoiseSchedule.cosine(1000);
        try (NDManager manager = NDManager.newBaseManager()) {
            ClassToy net = new ClassToy();
            net.initialize(manager, new Rng(1), true);
            AdamW opt = new AdamW(net, manager, 0.9, 0.999, 1e-8, 0.0);
            DiffusionTrainStep step = new DiffusionTrainStep(net, manager, schedule, opt, null, 1.0, 7);
            Shape shape = new Shape(2, 1, 1, 1);
            IllegalArgumentException none = assertThrows(IllegalArgumentException.class,
                    () -> step.run(1, new float[2], shape, 1e-3));
            assertTrue(none.getMessage().contains("one label per image"), none.getMessage());
            IllegalArgumentException range = assertThrows(IllegalArgumentException.class,
                    () -> step.run(1, new float[2], new int[] {0, 2}, shape, 1e-3));
            assertTrue(range.getMessage().contains("label 2"), range.getMessage());
            assertThrows(IllegalArgumentException.class, () -> Pipeline.denoiser(net, new Pipeline.Condition(new int[] {5}, 2, 0)));
            assertThrows(IllegalArgumentException.class, () -> new DiffusionTrainStep(net, manager, schedule, opt, null, 1.0, 7)
                    .dropLabels(1.5));
        }
    }
}

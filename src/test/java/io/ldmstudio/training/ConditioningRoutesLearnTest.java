package io.ldmstudio.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.diffusion.NoiseSchedule;
import io.ldmstudio.diffusion.Sampler;
import io.ldmstudio.diffusion.Samplers;
import io.ldmstudio.diffusion.SamplingLoop;
import io.ldmstudio.nn.ClassConditionalUNet;
import io.ldmstudio.nn.DiffusionNetwork;
import io.ldmstudio.nn.UNet2DConditionConfig;
import io.ldmstudio.nn.UNet2DModel;
import io.ldmstudio.nn.UNetConfig;
import io.ldmstudio.pipeline.Pipeline;
import io.ldmstudio.util.Rng;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Both conditioning routes learn a labelled two-mode toy of images: label 0 is an 8×8 grey image at −0.8,
 * label 1 one at +0.8 (each pixel ± 0.05). Route A is diffusers' UNet2DModel with a class embedding, route B
 * LDM's cross-attention (UNet2DConditionModel attending to a learned class token). Trained with labels
 * dropped to the null class 10 % of the time, then sampled with DDIM through the pipeline's conditional
 * denoiser: at w = 3 ≥ 95 % of a label's samples are on its side (mean pixel of the right sign), and the
 * null class gives both.
 */
class ConditioningRoutesLearnTest {
    static final int STEPS = 900;

    static UNetConfig routeA() {
        return new UNetConfig(1, 1, 8, List.of(16, 32), List.of(false, true), 1, 0, 8, 8, 1e-5f, 0f, true, 0.0, true, 1)
                .withNumClassEmbeds(3);
    }

    static UNet2DConditionConfig routeB() {
        return new UNet2DConditionConfig(8, 1, 1, List.of("CrossAttnDownBlock2D", "DownBlock2D"),
                List.of("UpBlock2D", "CrossAttnUpBlock2D"), List.of(16, 32), 1, List.of(2, 4), 16, 1, 8, 1e-5f, true, 0, 1, 0f);
    }

    /** Trains {@code net} on the toy and returns the mean pixel of each sample for label 0, label 1 and no label. */
    static double[][] trainAndSample(DiffusionNetwork net, NDManager manager) {
        NoiseSchedule schedule = NoiseSchedule.cosine(1000);
        net.initialize(manager, new Rng(1), true);
        AdamW opt = new AdamW(net, manager, 0.9, 0.999, 1e-8, 0.0);
        DiffusionTrainStep step = new DiffusionTrainStep(net, manager, schedule, opt, null, 1.0, 7).dropLabels(0.1);
        int batch = 32;
        Rng data = new Rng(3);
        LrSchedule lr = new LrSchedule("warmup_constant", 2e-3, 30, 0, 0);
        for (int s = 1; s <= STEPS; s++) {
            float[] x0 = new float[batch * 64];
            int[] labels = new int[batch];
            for (int i = 0; i < batch; i++) {
                labels[i] = data.nextDouble() < 0.5 ? 0 : 1;
                for (int j = 0; j < 64; j++) {
                    x0[i * 64 + j] = (float) ((labels[i] == 0 ? -0.8 : 0.8) + 0.05 * data.nextGaussian());
                }
            }
            step.run(s, x0, labels, new Shape(batch, 1, 8, 8), lr.lr(s));
        }
        Sampler ddim = Samplers.create("ddim", schedule, 0.0, true);
        ddim.setTimesteps(20);
        int n = 40;
        double[][] means = new double[3][];
        for (int which = 0; which < 3; which++) {
            Pipeline.Condition c = condition(which, n);
            float[] out = SamplingLoop.sample(Pipeline.denoiser(net, c), ddim, new Shape(n, 1, 8, 8), 11, manager, null)
                    .toFloatArray();
            means[which] = new double[n];
            for (int i = 0; i < n; i++) {
                double sum = 0;
                for (int j = 0; j < 64; j++) {
                    sum += out[i * 64 + j];
                }
                means[which][i] = sum / 64;
            }
        }
        return means;
    }

    /** {@code n} samples of label {@code which} at w = 3, or (which = 2) of the null class: no condition. */
    static Pipeline.Condition condition(int which, int n) {
        if (which == 2) {
            return null;
        }
        int[] labels = new int[n];
        Arrays.fill(labels, which);
        return new Pipeline.Condition(labels, 3.0, 0);
    }

    /** Asserts the toy is learnt; returns what was seen. */
    static String check(String route, double[][] means) {
        int n = means[0].length;
        long neg0 = Arrays.stream(means[0]).filter(v -> v < 0).count();
        long pos1 = Arrays.stream(means[1]).filter(v -> v > 0).count();
        long negNull = Arrays.stream(means[2]).filter(v -> v < 0).count();
        String seen = route + ": label 0 " + neg0 + "/" + n + " negative, label 1 " + pos1 + "/" + n + " positive, null "
                + negNull + "/" + n + " negative; means " + Arrays.toString(Arrays.copyOf(means[2], 8));
        assertTrue(neg0 >= 0.95 * n && pos1 >= 0.95 * n, seen);
        assertTrue(negNull >= 0.15 * n && negNull <= 0.85 * n, "the null class gives both modes: " + seen);
        return seen;
    }

    @Test
    void routeAClassEmbeddingLearnsTheToy() {
        try (NDManager manager = NDManager.newBaseManager()) {
            UNet2DModel net = new UNet2DModel(routeA());
            assertEquals(2, net.classes());
            check("class embedding", trainAndSample(net, manager));
        }
    }

    @Test
    void routeBCrossAttentionLearnsTheToy() {
        try (NDManager manager = NDManager.newBaseManager()) {
            ClassConditionalUNet net = new ClassConditionalUNet(routeB(), 2);
            assertEquals(2, net.classes());
            check("cross-attention", trainAndSample(net, manager));
        }
    }
}

package io.ldmstudio.training;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.ldmstudio.nn.Module;
import io.ldmstudio.util.Rng;
import java.util.List;
import org.junit.jupiter.api.Test;

/** AdamW, clipping, EMA and LR schedules against the formulas, computed here in double precision. */
class OptimTest {
    /** One parameter vector w; loss = Σ c_i·w_i², so ∂loss/∂w_i = 2·c_i·w_i. */
    static final class Quadratic extends Module {
        final Param w;

        Quadratic(int n) {
            w = param("w", n, n);
        }
    }

    private static NDArray lossOf(Quadratic q, NDArray c) {
        return q.w.array().square().mul(c).sum();
    }

    @Test
    void adamWMatchesTheTorchUpdateRuleStepByStep() {
        int n = 5;
        double lr = 0.05;
        double b1 = 0.9;
        double b2 = 0.99;
        double eps = 1e-8;
        double wd = 0.1;
        double[] c = {1, 2, 0.5, 3, 0.1};
        try (NDManager manager = NDManager.newBaseManager()) {
            Quadratic q = new Quadratic(n);
            q.initialize(manager, new Rng(3), true);
            double[] w = new double[n];
            float[] w0 = q.w.array().toFloatArray();
            for (int i = 0; i < n; i++) {
                w[i] = w0[i];
            }
            double[] m = new double[n];
            double[] v = new double[n];
            AdamW opt = new AdamW(q, manager, b1, b2, eps, wd);
            NDArray cArr = manager.create(new float[] {1, 2, 0.5f, 3, 0.1f});
            for (int t = 1; t <= 20; t++) {
                GradClip.zero(q.parameters());
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(lossOf(q, cArr));
                }
                opt.step(lr);
                for (int i = 0; i < n; i++) {
                    double g = 2 * c[i] * w[i];
                    w[i] *= 1 - lr * wd;
                    m[i] = b1 * m[i] + (1 - b1) * g;
                    v[i] = b2 * v[i] + (1 - b2) * g * g;
                    double mh = m[i] / (1 - Math.pow(b1, t));
                    double vh = v[i] / (1 - Math.pow(b2, t));
                    w[i] -= lr * mh / (Math.sqrt(vh) + eps);
                }
            }
            float[] got = q.w.array().toFloatArray();
            for (int i = 0; i < n; i++) {
                assertEquals(w[i], got[i], 1e-5, "w[" + i + "]");
            }
            assertEquals(20, opt.stepCount());
        }
    }

    @Test
    void clippingScalesToTheGlobalNormAndReportsTheNormBefore() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Quadratic a = new Quadratic(3);
            a.initialize(manager, new Rng(1), true);
            a.w.array().set(new float[] {3, 0, 4}); // grad = 2w = (6, 0, 8), norm 10
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(lossOf(a, manager.ones(new Shape(3))));
            }
            double norm = GradClip.clip(a.parameters(), 1.0);
            assertEquals(10.0, norm, 1e-4);
            float[] g = a.w.array().getGradient().toFloatArray();
            assertEquals(0.6, g[0], 1e-4);
            assertEquals(0.8, g[2], 1e-4);
            GradClip.zero(a.parameters());
            assertEquals(0f, a.w.array().getGradient().abs().sum().getFloat());
        }
    }

    @Test
    void emaFollowsTheWarmedUpDecay() {
        try (NDManager manager = NDManager.newBaseManager()) {
            Quadratic live = new Quadratic(2);
            live.initialize(manager, new Rng(1), true);
            live.w.array().set(new float[] {0, 0});
            Quadratic shadowNet = new Quadratic(2);
            shadowNet.initialize(manager, new Rng(2), false);
            Ema<Quadratic> ema = new Ema<>(live, shadowNet, 0.9);
            double s = 0;
            for (int k = 0; k < 30; k++) {
                live.w.array().set(new float[] {1, 2});
                double d = Math.min(0.9, (1.0 + k) / (10.0 + k));
                assertEquals(d, ema.currentDecay(), 1e-12);
                ema.update();
                s = s - (1 - d) * (s - 1);
            }
            assertEquals(s, ema.model().w.array().toFloatArray()[0], 1e-5);
            assertEquals(2 * s, ema.model().w.array().toFloatArray()[1], 1e-5);
        }
    }

    @Test
    void learningRateSchedulesFollowTheirFormulas() {
        LrSchedule warm = new LrSchedule("warmup_constant", 2e-4, 5000, 0, 0);
        assertEquals(2e-4 / 5000, warm.lr(1), 1e-15);
        assertEquals(1e-4, warm.lr(2500), 1e-15);
        assertEquals(2e-4, warm.lr(5000), 1e-15);
        assertEquals(2e-4, warm.lr(90_000), 1e-15);

        LrSchedule cos = new LrSchedule("cosine", 1e-3, 100, 1000, 1e-5);
        assertEquals(1e-3 * 50 / 100, cos.lr(50), 1e-15);
        assertEquals(1e-3, cos.lr(100), 1e-15);
        assertEquals(1e-5 + (1e-3 - 1e-5) * (1 + Math.cos(Math.PI * 0.25)) / 2, cos.lr(350), 1e-15);
        assertEquals(1e-5, cos.lr(1100), 1e-15);
        assertEquals(1e-5, cos.lr(5000), 1e-15);

        for (String kind : List.of("constant")) {
            assertEquals(3e-4, new LrSchedule(kind, 3e-4, 10, 10, 0).lr(1), 0);
        }
    }
}

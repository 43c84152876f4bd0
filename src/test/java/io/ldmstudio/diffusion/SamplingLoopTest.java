package io.ldmstudio.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.util.Rng;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SamplingLoopTest {
    private static final NoiseSchedule LINEAR = NoiseSchedule.linear(1000);
    private static final Shape SHAPE = new Shape(2, 3, 4, 4);

    private static Denoiser gaussian(NoiseSchedule s) {
        return AnalyticDenoisers.of(s, AnalyticDenoisers.gaussian(0.1, 0.4));
    }

    @Test
    void trajectoryKeepsEveryStep() {
        for (Sampler sampler : List.of(new DdimSampler(LINEAR, 0.0), new DdpmSampler(LINEAR, true),
                new DpmSolverPlusPlusSampler(LINEAR))) {
            sampler.setTimesteps(12);
            Trajectory tr = new Trajectory();
            try (NDManager m = NDManager.newBaseManager()) {
                NDArray x = SamplingLoop.sample(gaussian(LINEAR), sampler, SHAPE, 77, m, tr);
                String what = sampler.name();
                assertSame(m, x.getManager(), what);
                assertEquals(SHAPE, x.getShape(), what);
                assertEquals(12, tr.size(), what);
                assertArrayEquals(sampler.timesteps(), tr.timesteps(), what);
                assertEquals(SHAPE, tr.shape(), what);
                for (int i = 0; i < 12; i++) {
                    Trajectory.Step st = tr.get(i);
                    assertEquals(i, st.index());
                    assertEquals(96, st.xt().length);
                    assertEquals(96, st.predX0().length);
                    assertEquals(96, st.predEps().length);
                }
                // x_T is the Rng's stream for the seed, so the same everywhere
                assertArrayEquals(new Rng(77).gaussians(96), tr.get(0).xt(), what);
                // x_t of each step is the previous step's output
                assertFalse(java.util.Arrays.equals(tr.get(0).xt(), tr.get(1).xt()));
                // the last step goes to ᾱ = 1: the sample is the last x̂0
                float[] last = tr.get(11).predX0();
                float[] out = x.toFloatArray();
                for (int i = 0; i < out.length; i++) {
                    assertEquals(last[i], out[i], 1e-6, what + " element " + i);
                }
                // ε̂ at x_T is the exact E[ε | x_T] = √(1−ᾱ)(x − √ᾱ μ)/(ᾱ s² + 1 − ᾱ)
                double a = LINEAR.alphaBar(tr.get(0).t());
                float[] xT = tr.get(0).xt();
                for (int i = 0; i < 96; i++) {
                    double want = Math.sqrt(1 - a) * (xT[i] - Math.sqrt(a) * 0.1)
                            / (a * 0.16 + 1 - a);
                    assertEquals(want, tr.get(0).predEps()[i], 1e-5);
                }
            }
        }
    }

    @Test
    void trajectoryGivesEpsilonAlsoForVPrediction() {
        NoiseSchedule v = LINEAR.withPrediction(Prediction.V_PREDICTION);
        Sampler sampler = new DdimSampler(v, 0.0);
        sampler.setTimesteps(5);
        Trajectory trV = new Trajectory();
        Trajectory trE = new Trajectory();
        try (NDManager m = NDManager.newBaseManager()) {
            SamplingLoop.sample(gaussian(v), sampler, SHAPE, 3, m, trV);
            Sampler eps = new DdimSampler(LINEAR, 0.0);
            eps.setTimesteps(5);
            SamplingLoop.sample(gaussian(LINEAR), eps, SHAPE, 3, m, trE);
        }
        for (int i = 0; i < 5; i++) {
            float[] a = trE.get(i).predEps();
            float[] b = trV.get(i).predEps();
            for (int k = 0; k < a.length; k++) {
                assertEquals(a[k], b[k], 1e-4, "step " + i);
            }
        }
    }

    @Test
    void progressIsReportedAfterEachStep() {
        Sampler sampler = new DdimSampler(LINEAR, 0.0);
        sampler.setTimesteps(7);
        List<String> seen = new ArrayList<>();
        try (NDManager m = NDManager.newBaseManager()) {
            SamplingLoop.sample(gaussian(LINEAR), sampler, SHAPE, 1, m,
                    StepListener.progress((done, total) -> seen.add(done + "/" + total))
                            .andThen((i, t, x, x0, e) -> seen.add("step" + i)));
        }
        assertEquals(List.of("step0", "1/7", "step1", "2/7", "step2", "3/7", "step3", "4/7",
                "step4", "5/7", "step5", "6/7", "step6", "7/7"), seen);
    }

    /** Hundreds of steps leave the manager's array count flat, and only the result behind. */
    @Test
    void memoryStaysFlatOverManySteps() {
        for (Sampler sampler : List.of(new DdpmSampler(LINEAR, true), new DdimSampler(LINEAR, 1.0),
                new DpmSolverPlusPlusSampler(LINEAR))) {
            sampler.setTimesteps(300);
            try (NDManager m = NDManager.newBaseManager()) {
                m.zeros(new Shape(1)); // something already there
                int before = m.getManagedArrays().size();
                int[] during = new int[300];
                NDArray x = SamplingLoop.sample(gaussian(LINEAR), sampler, SHAPE, 5, m,
                        (i, t, xt, x0, e) -> during[i] = m.getManagedArrays().size());
                assertEquals(before + 1, m.getManagedArrays().size(), sampler.name());
                assertTrue(x.toFloatArray().length == 96);
                // from the second step on (the first has no multistep history) the count is constant;
                // at the last step DPM-Solver++ has already let its history go
                for (int i = 2; i < 299; i++) {
                    assertEquals(during[1], during[i], sampler.name() + " step " + i);
                }
                assertTrue(during[299] <= during[1], sampler.name() + " last step");
                assertTrue(during[1] - before < 20, sampler.name() + ": " + (during[1] - before)
                        + " arrays alive inside a step");
            }
        }
    }

    @Test
    void cancellingStopsAndFreesEverything() {
        Sampler sampler = new DpmSolverPlusPlusSampler(LINEAR);
        sampler.setTimesteps(20);
        AtomicInteger steps = new AtomicInteger();
        try (NDManager m = NDManager.newBaseManager()) {
            int before = m.getManagedArrays().size();
            CancellationException e = assertThrows(CancellationException.class,
                    () -> SamplingLoop.sample(gaussian(LINEAR), sampler, SHAPE, 5, m,
                            (i, t, xt, x0, eps) -> steps.incrementAndGet(),
                            () -> steps.get() >= 4));
            assertTrue(e.getMessage().contains("step 4 of 20"), e.getMessage());
            assertEquals(4, steps.get());
            assertEquals(before, m.getManagedArrays().size(), "nothing left after cancelling");

            // an interrupted thread stops before the first step, and stays interrupted
            Thread.currentThread().interrupt();
            try {
                assertThrows(CancellationException.class,
                        () -> SamplingLoop.sample(gaussian(LINEAR), sampler, SHAPE, 5, m, null));
                assertTrue(Thread.currentThread().isInterrupted());
            } finally {
                Thread.interrupted();
            }
            assertEquals(before, m.getManagedArrays().size());

            // a failing denoiser frees the loop's arrays too
            assertThrows(IllegalStateException.class, () -> SamplingLoop.sample(
                    (xt, t) -> {
                        throw new IllegalStateException("boom");
                    }, sampler, SHAPE, 5, m, null));
            assertEquals(before, m.getManagedArrays().size());

            // and the sampler is usable again afterwards
            NDArray x = SamplingLoop.sample(gaussian(LINEAR), sampler, SHAPE, 5, m, null);
            assertEquals(before + 1, m.getManagedArrays().size());
            assertEquals(SHAPE, x.getShape());
        }
    }

    @Test
    void samplingNeedsTimesteps() {
        try (NDManager m = NDManager.newBaseManager()) {
            assertThrows(IllegalStateException.class, () -> SamplingLoop.sample(
                    gaussian(LINEAR), new DdimSampler(LINEAR, 0), SHAPE, 1, m, null));
        }
    }
}

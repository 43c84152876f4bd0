package io.ldmstudio.ui.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.runs.MetricsRow;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DecimatorTest {

    /** A noisy decaying loss curve with one spike and one dip placed off any bucket edge. */
    private static double[][] curve(int n) {
        double[] x = new double[n];
        double[] y = new double[n];
        Random r = new Random(7);
        for (int i = 0; i < n; i++) {
            x[i] = i + 1;
            y[i] = 0.05 + Math.exp(-i / 20_000.0) + 0.05 * r.nextGaussian();
        }
        y[123_457] = 9.5; // the global maximum
        y[171_111] = -3.25; // the global minimum
        return new double[][] {x, y};
    }

    @Test
    void twoHundredThousandPointsComeOutWithinTheBoundKeepingEndsAndExtremes() {
        double[][] c = curve(200_000);
        int buckets = 1000;
        Decimator.Points p = Decimator.minMax(c[0], c[1], 200_000, buckets);
        assertTrue(p.size() <= Decimator.bound(buckets), p.size() + " points > bound " + Decimator.bound(buckets));
        assertTrue(p.size() >= buckets, "every column keeps at least one point: " + p.size());
        assertEquals(1.0, p.x(0));
        assertEquals(c[1][0], p.y(0));
        assertEquals(200_000.0, p.x(p.size() - 1));
        assertEquals(c[1][199_999], p.y(p.size() - 1));
        double min = Double.MAX_VALUE;
        double max = -Double.MAX_VALUE;
        boolean sawMaxAtItsStep = false;
        boolean sawMinAtItsStep = false;
        for (int i = 0; i < p.size(); i++) {
            min = Math.min(min, p.y(i));
            max = Math.max(max, p.y(i));
            sawMaxAtItsStep |= p.x(i) == 123_458 && p.y(i) == 9.5;
            sawMinAtItsStep |= p.x(i) == 171_112 && p.y(i) == -3.25;
            if (i > 0) {
                assertTrue(p.x(i) > p.x(i - 1), "x ascending at " + i);
            }
        }
        assertEquals(9.5, max);
        assertEquals(-3.25, min);
        assertTrue(sawMaxAtItsStep && sawMinAtItsStep, "the extremes keep their steps");
    }

    @Test
    void everyColumnKeepsItsOwnMinimumAndMaximum() {
        double[][] c = curve(200_000);
        int buckets = 500;
        Decimator.Points p = Decimator.minMax(c[0], c[1], 200_000, buckets);
        // the columns are (200000-1)/500 steps wide; check a few of them against a brute-force scan
        double width = (200_000.0 - 1) / buckets;
        for (int k : new int[] {3, 100, 250, 499}) {
            double lo = Double.MAX_VALUE;
            double hi = -Double.MAX_VALUE;
            for (int i = 1; i < 199_999; i++) {
                if ((int) Math.min(buckets - 1, (c[0][i] - 1) / width) == k) {
                    lo = Math.min(lo, c[1][i]);
                    hi = Math.max(hi, c[1][i]);
                }
            }
            double plo = Double.MAX_VALUE;
            double phi = -Double.MAX_VALUE;
            for (int i = 1; i < p.size() - 1; i++) {
                if ((int) Math.min(buckets - 1, (p.x(i) - 1) / width) == k) {
                    plo = Math.min(plo, p.y(i));
                    phi = Math.max(phi, p.y(i));
                }
            }
            assertEquals(lo, plo, "column " + k + " minimum");
            assertEquals(hi, phi, "column " + k + " maximum");
        }
    }

    @Test
    void shortCurvesPassThroughUnchanged() {
        double[] x = {1, 2, 3, 4, 5};
        double[] y = {5, 4, 3, 2, 1};
        Decimator.Points p = Decimator.minMax(x, y, 5, 10);
        assertEquals(5, p.size());
        assertArrayEquals(x, java.util.Arrays.copyOf(p.x(), p.size()));
        assertArrayEquals(y, java.util.Arrays.copyOf(p.y(), p.size()));
        assertEquals(0, Decimator.minMax(x, y, 0, 10).size());
    }

    @Test
    void aWindowThinsOnlyItsOwnRangeAndSkipsNonFiniteValues() {
        double[][] c = curve(200_000);
        c[1][50_000] = Double.NaN;
        c[1][50_001] = Double.POSITIVE_INFINITY;
        int from = Decimator.lowerBound(c[0], 200_000, 40_000);
        int to = Decimator.lowerBound(c[0], 200_000, 60_000);
        assertEquals(39_999, from);
        Decimator.Points p = Decimator.minMax(c[0], c[1], from, to, 200);
        assertTrue(p.size() <= Decimator.bound(200));
        assertEquals(40_000.0, p.x(0));
        assertEquals(59_999.0, p.x(p.size() - 1));
        for (int i = 0; i < p.size(); i++) {
            assertTrue(Double.isFinite(p.y(i)), "non-finite kept at step " + p.x(i));
        }
    }

    @Test
    void seriesSmoothsTheLossWithABiasCorrectedEmaAndDropsReplacedSteps() {
        MetricsSeries s = new MetricsSeries();
        s.add(new MetricsRow(1, 1.0, 1e-3, 2, 10, 1));
        s.add(new MetricsRow(2, 0.0, 1e-3, 2, 10, 2));
        s.add(new MetricsRow(3, 0.5, 1e-3, 2, 10, 3));
        double[] e = s.smoothedLoss(0.5);
        assertEquals(1.0, e[0], 1e-12); // bias-corrected: the first value is itself
        assertEquals((0.25 * 1.0 + 0.5 * 0.0) / 0.75, e[1], 1e-12);
        assertEquals((0.125 * 1.0 + 0.25 * 0.0 + 0.5 * 0.5) / 0.875, e[2], 1e-12);
        // a run resumed from step 2's checkpoint logs step 3 again: the new row replaces the old one
        s.add(new MetricsRow(3, 0.25, 1e-3, 2, 10, 3));
        assertEquals(3, s.size());
        assertEquals(0.25, s.column(MetricsSeries.Column.LOSS)[2]);
        assertEquals((0.125 * 1.0 + 0.25 * 0.0 + 0.5 * 0.25) / 0.875, s.smoothedLoss(0.5)[2], 1e-12);
        s.add(new MetricsRow(2, 0.75, 1e-3, 2, 10, 3));
        assertEquals(2, s.size());
        assertEquals(2, s.lastStep());
    }

    @Test
    void etaFollowsTheRecentPace() {
        EtaEstimator eta = new EtaEstimator(30);
        assertTrue(Double.isNaN(eta.secondsLeft(100)));
        eta.mark(10, 0);
        eta.mark(20, 5_000_000_000L); // 2 steps/s
        assertEquals(2.0, eta.stepsPerSecond(), 1e-9);
        assertEquals(40.0, eta.secondsLeft(100), 1e-9);
        assertEquals("40s", EtaEstimator.format(40));
        assertEquals("3m 12s", EtaEstimator.format(192));
        assertEquals("2h 05m", EtaEstimator.format(7500));
        eta.mark(60, 40_000_000_000L); // the first mark falls out of the 30 s window: (60-20)/35 s
        assertEquals(40 / 35.0, eta.stepsPerSecond(), 1e-9);
    }
}

package io.ldmstudio.ui.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The text under the pointer on a training chart: the nearest point of each curve that spans the step. */
class ChartReadoutTest {
    static CurveDataset.Curve curve(String key, TrainingViewModel.Role role, double[] x, double[] y) {
        return new CurveDataset.Curve(key, role, new Decimator.Points(x, y, x.length));
    }

    @Test
    void namesTheNearestPointOfEveryCurveThatReachesTheStep() {
        CurveDataset d = new CurveDataset();
        d.setCurves(List.of(
                curve("run (smoothed)", TrainingViewModel.Role.SMOOTHED, new double[] {10, 20, 30}, new double[] {0.5, 0.25, 0.125}),
                curve("run (raw)", TrainingViewModel.Role.RAW, new double[] {10, 20, 30}, new double[] {0.51, 0.0412345, 0.1}),
                curve("short", TrainingViewModel.Role.OVERLAY, new double[] {10, 12}, new double[] {2000, 3e-5})));
        assertEquals("step 20\nrun (smoothed)  0.25\nrun (raw)  0.04123", TrainingPane.readout(d, 24.9));
        assertEquals("step 30\nrun (smoothed)  0.125\nrun (raw)  0.1", TrainingPane.readout(d, 25.1));
        assertEquals("step 10\nrun (smoothed)  0.5\nrun (raw)  0.51\nshort  2000", TrainingPane.readout(d, 10.2));
        assertEquals("step 10\nrun (smoothed)  0.5\nrun (raw)  0.51\nshort  3.000e-05 (step 12)", TrainingPane.readout(d, 12.4));
        assertEquals(TrainingViewModel.Role.RAW, d.role(1));
        assertEquals(TrainingViewModel.Role.OVERLAY, d.role(7));
    }

    @Test
    void nothingOutsideEveryCurveOrWithoutData() {
        CurveDataset d = new CurveDataset();
        assertNull(TrainingPane.readout(d, 5));
        d.setCurves(List.of(curve("run", TrainingViewModel.Role.SMOOTHED, new double[] {1000, 2000}, new double[] {1, 2})));
        assertNull(TrainingPane.readout(d, 10));
        assertNull(TrainingPane.readout(d, Double.NaN));
        assertEquals("step 2,000\nrun  2", TrainingPane.readout(d, 1999));
    }
}

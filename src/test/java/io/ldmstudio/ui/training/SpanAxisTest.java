package io.ldmstudio.ui.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.jfree.chart.plot.XYPlot;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.junit.jupiter.api.Test;

/** A chart of one metrics row: a readable range around the point, and the point drawn. */
class SpanAxisTest {
    @Test
    void aSinglePointGetsARangeOfFivePercentEachSideAndTheStepAxisOneStep() {
        XYSeries s = new XYSeries("loss");
        s.add(10, 0.25);
        XYSeriesCollection data = new XYSeriesCollection(s);
        TrainingCharts.SpanAxis x = new TrainingCharts.SpanAxis("step");
        TrainingCharts.SpanAxis y = new TrainingCharts.SpanAxis("loss");
        x.setAutoRangeIncludesZero(false);
        y.setAutoRangeIncludesZero(false);
        new XYPlot(data, x, y, null);
        assertEquals(0.25 * 0.95, y.getRange().getLowerBound(), 1e-12);
        assertEquals(0.25 * 1.05, y.getRange().getUpperBound(), 1e-12);
        assertTrue(x.getRange().getLength() >= 2, x.getRange().toString());
        assertTrue(x.getRange().contains(10));
    }

    @Test
    void aRealSpanIsLeftAlone() {
        XYSeries s = new XYSeries("loss");
        s.add(1, 0.2);
        s.add(2, 0.6);
        TrainingCharts.SpanAxis y = new TrainingCharts.SpanAxis("loss");
        y.setAutoRangeIncludesZero(false);
        new XYPlot(new XYSeriesCollection(s), new TrainingCharts.SpanAxis("step"), y, null);
        assertTrue(y.getRange().getLowerBound() <= 0.2 && y.getRange().getLowerBound() > 0.15);
        assertTrue(y.getRange().getUpperBound() >= 0.6 && y.getRange().getUpperBound() < 0.65);
    }
}

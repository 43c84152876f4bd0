package io.ldmstudio.ui.training;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Paint;
import java.awt.Stroke;
import java.math.BigDecimal;
import java.math.MathContext;
import java.text.DecimalFormat;
import java.text.FieldPosition;
import java.text.NumberFormat;
import java.text.ParsePosition;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.block.BlockBorder;
import org.jfree.chart.plot.SeriesRenderingOrder;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.LegendTitle;
import org.jfree.chart.ui.RectangleEdge;
import org.jfree.chart.ui.RectangleInsets;

/** The Training pane's JFreeChart styling: plain white plots, readable axes, one colour per curve role. */
final class TrainingCharts {
    static final Color BACKGROUND = new Color(0xF4, 0xF6, 0xF8);
    static final Color RAW = new Color(0x9C, 0xB9, 0xE6);
    static final Color MAIN = new Color(0x1F, 0x5B, 0xC4);
    /** The best evaluation's marker. */
    static final Color BEST = new Color(0xE0, 0x9F, 0x00);
    static final Color[] OVERLAYS = {new Color(0xD9, 0x48, 0x0F), new Color(0x2B, 0x8A, 0x3E), new Color(0x86, 0x2E, 0x9C),
        new Color(0xE6, 0x77, 0x00), new Color(0x0B, 0x72, 0x85), new Color(0xC2, 0x25, 0x5C)};
    private static final Font TICKS = new Font("SansSerif", Font.PLAIN, 11);
    private static final Font LABELS = new Font("SansSerif", Font.PLAIN, 12);

    private TrainingCharts() {}

    /** A line chart of {@code data} against the step. */
    static JFreeChart chart(CurveDataset data, String yLabel, boolean legend) {
        return chart(data, yLabel, legend, false);
    }

    /**
     * The chart of the quality measured while training: a point marked at every evaluation (they are few), the best
     * one a larger diamond; no legend (the pane states the figures above it, overlays keep the loss chart's colours).
     */
    static JFreeChart metricChart(CurveDataset data, String yLabel) {
        JFreeChart c = chart(data, yLabel, false, true);
        c.getXYPlot().setNoDataMessage("no evaluations (eval.every = 0)");
        return c;
    }

    private static JFreeChart chart(CurveDataset data, String yLabel, boolean legend, boolean markers) {
        NumberAxis x = new SpanAxis("step");
        x.setAutoRangeIncludesZero(false);
        x.setStandardTickUnits(NumberAxis.createIntegerTickUnits());
        x.setLowerMargin(0.01);
        x.setUpperMargin(0.01);
        style(x);
        XYPlot plot = new XYPlot(data, x, linearAxis(yLabel), new RoleRenderer(data, markers));
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xE1, 0xE5, 0xEA));
        plot.setRangeGridlinePaint(new Color(0xE1, 0xE5, 0xEA));
        plot.setOutlinePaint(new Color(0xC6, 0xCC, 0xD4));
        plot.setAxisOffset(RectangleInsets.ZERO_INSETS);
        // the first series is drawn last, on top: the run's own (smoothed) curve over the others
        plot.setSeriesRenderingOrder(SeriesRenderingOrder.REVERSE);
        plot.setNoDataMessage("no metrics logged yet");
        plot.setNoDataMessageFont(LABELS);
        plot.setNoDataMessagePaint(new Color(0x5F, 0x66, 0x70));
        JFreeChart chart = new JFreeChart(null, JFreeChart.DEFAULT_TITLE_FONT, plot, legend);
        chart.setBackgroundPaint(BACKGROUND);
        chart.setPadding(new RectangleInsets(4, 2, 2, 8));
        if (legend) {
            LegendTitle l = chart.getLegend();
            l.setPosition(RectangleEdge.TOP);
            l.setItemFont(LABELS);
            l.setBackgroundPaint(BACKGROUND);
            l.setFrame(BlockBorder.NONE);
            l.setItemLabelPadding(new RectangleInsets(2, 4, 2, 16));
        }
        return chart;
    }

    static NumberAxis linearAxis(String label) {
        NumberAxis y = new SpanAxis(label);
        y.setAutoRangeIncludesZero(false);
        y.setAutoRangeMinimumSize(1e-9);
        style(y);
        return y;
    }

    static LogAxis logAxis(String label) {
        LogAxis y = new LogAxis(label);
        y.setSmallestValue(1e-9);
        y.setNumberFormatOverride(new SignificantFormat());
        y.setMinorTickMarksVisible(true);
        style(y);
        return y;
    }

    private static void style(ValueAxis a) {
        a.setTickLabelFont(TICKS);
        a.setLabelFont(LABELS);
        a.setTickLabelPaint(new Color(0x30, 0x35, 0x3C));
        a.setLabelPaint(new Color(0x30, 0x35, 0x3C));
    }

    /**
     * Three significant digits in plain notation ({@code 1.23}, {@code 0.977}, {@code 0.0415}); powers
     * of ten notation only outside 0.001–10,000. Log-axis ticks fall on irregular values, which read
     * badly as {@code 9.772E-1}.
     */
    static final class SignificantFormat extends NumberFormat {
        /** {@code v} to four significant digits, plain between 0.001 and 10,000 ("0.04123", "1.235"). */
        static String format4(double v) {
            if (v == 0 || !Double.isFinite(v)) {
                return v == 0 ? "0" : Double.toString(v);
            }
            double a = Math.abs(v);
            if (a < 1e-3 || a >= 1e4) {
                return String.format(java.util.Locale.ROOT, "%.3e", v);
            }
            return new BigDecimal(v).round(new MathContext(4)).stripTrailingZeros().toPlainString();
        }

        @Override
        public StringBuffer format(double v, StringBuffer to, FieldPosition pos) {
            if (v == 0 || !Double.isFinite(v)) {
                return to.append(v == 0 ? "0" : Double.toString(v));
            }
            double a = Math.abs(v);
            if (a < 1e-3 || a >= 1e4) {
                return to.append(String.format(java.util.Locale.ROOT, "%.2e", v));
            }
            return to.append(new BigDecimal(v).round(new MathContext(3)).stripTrailingZeros().toPlainString());
        }

        @Override
        public StringBuffer format(long v, StringBuffer to, FieldPosition pos) {
            return format((double) v, to, pos);
        }

        @Override
        public Number parse(String source, ParsePosition pos) {
            return new DecimalFormat().parse(source, pos);
        }
    }

    /**
     * A number axis that never shrinks to a point: when the data span (nearly) nothing — one row, or a
     * constant learning rate — the range is widened to ±5 % of the value (±1 step on the step axis),
     * so the ticks read as numbers rather than "1.00000000".
     */
    static final class SpanAxis extends NumberAxis {
        SpanAxis(String label) {
            super(label);
        }

        @Override
        protected void autoAdjustRange() {
            super.autoAdjustRange();
            org.jfree.data.Range r = getRange();
            double c = r.getCentralValue();
            boolean steps = "step".equals(getLabel());
            double half = steps ? 1 : Math.max(Math.abs(c) * 0.05, 1e-12);
            if (r.getLength() < (steps ? 2 : half * 0.2)) {
                setRange(new org.jfree.data.Range(c - half, c + half), false, false);
            }
        }
    }

    /** Lines only, drawn as one path each (a curve of one point as a dot); colour and width by the curve's role. */
    static final class RoleRenderer extends XYLineAndShapeRenderer {
        private static final Stroke THIN = new BasicStroke(1.0f);
        private static final Stroke THICK = new BasicStroke(2.0f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
        private static final Stroke OVERLAY = new BasicStroke(1.6f, BasicStroke.CAP_ROUND, BasicStroke.JOIN_ROUND);
        private static final java.awt.Shape DOT = new java.awt.geom.Ellipse2D.Double(-3, -3, 6, 6);
        private static final java.awt.Shape DIAMOND = new java.awt.Polygon(new int[] {0, 7, 0, -7},
                new int[] {-7, 0, 7, 0}, 4);
        private final transient CurveDataset data;
        private final boolean markers;

        RoleRenderer(CurveDataset data) {
            this(data, false);
        }

        RoleRenderer(CurveDataset data, boolean markers) {
            super(true, false);
            this.data = data;
            this.markers = markers;
            setDrawSeriesLineAsPath(true);
        }

        @Override
        public boolean getItemShapeVisible(int series, int item) {
            // a line needs two points: show a lone one; evaluations are few, each is marked
            return markers || role(series) == TrainingViewModel.Role.BEST || data.getItemCount(series) == 1;
        }

        @Override
        public boolean getItemLineVisible(int series, int item) {
            return role(series) != TrainingViewModel.Role.BEST;
        }

        @Override
        public java.awt.Shape lookupSeriesShape(int series) {
            return role(series) == TrainingViewModel.Role.BEST ? DIAMOND : DOT;
        }

        @Override
        public java.awt.Shape getItemShape(int row, int column) {
            return lookupSeriesShape(row);
        }

        private TrainingViewModel.Role role(int series) {
            return data.role(series);
        }

        @Override
        public Paint lookupSeriesPaint(int series) {
            return switch (role(series)) {
                case RAW -> RAW;
                case SMOOTHED -> MAIN;
                case OVERLAY -> OVERLAYS[overlayIndex(series) % OVERLAYS.length];
                case BEST -> BEST;
            };
        }

        @Override
        public Paint getItemPaint(int row, int column) {
            return lookupSeriesPaint(row);
        }

        @Override
        public Stroke lookupSeriesStroke(int series) {
            return switch (role(series)) {
                case RAW -> THIN;
                case SMOOTHED -> THICK;
                case OVERLAY, BEST -> OVERLAY;
            };
        }

        @Override
        public Stroke getItemStroke(int row, int column) {
            return lookupSeriesStroke(row);
        }

        private int overlayIndex(int series) {
            int k = 0;
            for (int i = 0; i < series; i++) {
                if (role(i) == TrainingViewModel.Role.OVERLAY) {
                    k++;
                }
            }
            return k;
        }
    }
}

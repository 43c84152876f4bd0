package io.ldmstudio.ui.training;

import io.ldmstudio.runs.MetricsRow;
import java.util.Arrays;
import java.util.List;

/**
 * A run's logged metrics as growable columns (step, loss, learning rate, gradient norm), ready for
 * charting however long the run. Steps stay ascending: a row whose step is not past the last one (a
 * run resumed from an earlier checkpoint logs those steps again) first drops the rows it replaces.
 * Not thread-safe; the Training pane touches it on the FX thread only.
 */
public final class MetricsSeries {
    /** Which column. */
    public enum Column { LOSS, LR, GRAD_NORM }

    private double[] step = new double[256];
    private double[] loss = new double[256];
    private double[] lr = new double[256];
    private double[] grad = new double[256];
    private int size;

    // the EMA of the loss, kept up to date for one factor
    private double[] smooth = new double[0];
    private double smoothFactor = Double.NaN;
    private int smoothSize;
    private double smoothAcc;
    private double smoothWeight;

    public int size() {
        return size;
    }

    public boolean isEmpty() {
        return size == 0;
    }

    public void clear() {
        size = 0;
        smoothSize = 0;
        smoothAcc = 0;
        smoothWeight = 0;
    }

    public void addAll(List<MetricsRow> rows) {
        rows.forEach(this::add);
    }

    public void add(MetricsRow row) {
        double s = row.step();
        if (size > 0 && s <= step[size - 1]) {
            truncateFrom(Decimator.lowerBound(step, size, s));
        }
        if (size == step.length) {
            int cap = step.length * 2;
            step = Arrays.copyOf(step, cap);
            loss = Arrays.copyOf(loss, cap);
            lr = Arrays.copyOf(lr, cap);
            grad = Arrays.copyOf(grad, cap);
        }
        step[size] = s;
        loss[size] = row.loss();
        lr[size] = row.lr();
        grad[size] = row.gradNorm();
        size++;
    }

    private void truncateFrom(int index) {
        size = index;
        if (smoothSize > index) {
            smoothSize = 0; // recomputed from the start on the next read
            smoothAcc = 0;
            smoothWeight = 0;
        }
    }

    /** The steps (the first {@link #size()} entries are valid). */
    public double[] steps() {
        return step;
    }

    public double[] column(Column c) {
        return switch (c) {
            case LOSS -> loss;
            case LR -> lr;
            case GRAD_NORM -> grad;
        };
    }

    /** The last logged step, or 0. */
    public long lastStep() {
        return size == 0 ? 0 : (long) step[size - 1];
    }

    /**
     * The loss smoothed by an exponential moving average with weight {@code factor} on the past
     * (0 = no smoothing, 0.99 = very smooth), bias-corrected so the start is not pulled to 0 (as
     * TensorBoard does). Non-finite losses are skipped. Updated incrementally as rows arrive.
     */
    public double[] smoothedLoss(double factor) {
        if (factor != smoothFactor) {
            smoothFactor = factor;
            smoothSize = 0;
            smoothAcc = 0;
            smoothWeight = 0;
        }
        if (smooth.length < step.length) {
            smooth = Arrays.copyOf(smooth, step.length);
        }
        for (int i = smoothSize; i < size; i++) {
            double v = loss[i];
            if (Double.isFinite(v)) {
                smoothAcc = factor * smoothAcc + (1 - factor) * v;
                smoothWeight = factor * smoothWeight + (1 - factor);
            }
            smooth[i] = smoothWeight > 0 ? smoothAcc / smoothWeight : Double.NaN;
        }
        smoothSize = size;
        return smooth;
    }
}

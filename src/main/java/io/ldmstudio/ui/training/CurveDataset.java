package io.ldmstudio.ui.training;

import java.util.List;
import org.jfree.data.DomainOrder;
import org.jfree.data.xy.AbstractXYDataset;

/**
 * A JFreeChart dataset over already-thinned curves: replacing the curves is one array swap and one
 * change event (one redraw), never a per-item event as {@code XYSeries.add} would fire.
 */
public final class CurveDataset extends AbstractXYDataset {
    /** One legend entry: a name, what it is (for its colour and line) and its (thinned) points. */
    public record Curve(String key, TrainingViewModel.Role role, Decimator.Points points) {}

    private List<Curve> curves = List.of();

    /** Replaces every curve and notifies the chart once (on the thread that owns the chart). */
    public void setCurves(List<Curve> next) {
        curves = List.copyOf(next);
        fireDatasetChanged();
    }

    public List<Curve> curves() {
        return curves;
    }

    /** What series {@code series} is; an overlay if there is no such series. */
    public TrainingViewModel.Role role(int series) {
        List<Curve> c = curves;
        return series >= 0 && series < c.size() ? c.get(series).role() : TrainingViewModel.Role.OVERLAY;
    }

    /** The series index of {@code key}, or -1. */
    public int indexOf(String key) {
        for (int i = 0; i < curves.size(); i++) {
            if (curves.get(i).key().equals(key)) {
                return i;
            }
        }
        return -1;
    }

    @Override
    public int getSeriesCount() {
        return curves.size();
    }

    @Override
    public Comparable<?> getSeriesKey(int series) {
        return curves.get(series).key();
    }

    @Override
    public int getItemCount(int series) {
        return curves.get(series).points().size();
    }

    @Override
    public Number getX(int series, int item) {
        return curves.get(series).points().x(item);
    }

    @Override
    public Number getY(int series, int item) {
        return curves.get(series).points().y(item);
    }

    @Override
    public double getXValue(int series, int item) {
        return curves.get(series).points().x(item);
    }

    @Override
    public double getYValue(int series, int item) {
        return curves.get(series).points().y(item);
    }

    @Override
    public DomainOrder getDomainOrder() {
        return DomainOrder.ASCENDING;
    }
}

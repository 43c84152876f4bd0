package io.ldmstudio.ui.common;

import javafx.beans.property.BooleanProperty;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleDoubleProperty;

/**
 * Zoom and pan shared by several {@link PixelView}s, so they always show the same part of their
 * (equally sized) images: {@code scale} screen pixels per image pixel, and the image point at the
 * views' centre. While {@code fit} is on, each view fits the whole image (at a whole factor when it
 * can) and scrolling or dragging turns it off.
 */
public final class Viewport {
    public static final double MAX_SCALE = 64;
    public static final double STEP = 1.25;

    private final DoubleProperty scale = new SimpleDoubleProperty(this, "scale", 1);
    private final DoubleProperty centerX = new SimpleDoubleProperty(this, "centerX", 0);
    private final DoubleProperty centerY = new SimpleDoubleProperty(this, "centerY", 0);
    private final BooleanProperty fit = new SimpleBooleanProperty(this, "fit", true);
    private final javafx.beans.property.IntegerProperty revision = new javafx.beans.property.SimpleIntegerProperty(this,
            "revision");

    /** Incremented once after each fit, zoom or pan (views redraw on it, not on each of the three numbers). */
    public javafx.beans.property.ReadOnlyIntegerProperty revisionProperty() {
        return revision;
    }

    public DoubleProperty scaleProperty() {
        return scale;
    }

    public DoubleProperty centerXProperty() {
        return centerX;
    }

    public DoubleProperty centerYProperty() {
        return centerY;
    }

    public BooleanProperty fitProperty() {
        return fit;
    }

    public double scale() {
        return scale.get();
    }

    /** The scale that shows a whole {@code iw × ih} image in a {@code w × h} view: a whole factor when ≥ 1. */
    public static double fitScale(double w, double h, double iw, double ih) {
        if (iw <= 0 || ih <= 0 || w <= 0 || h <= 0) {
            return 1;
        }
        double s = Math.min(w / iw, h / ih);
        return s >= 1 ? Math.floor(s) : s;
    }

    /** Shows the whole image centred ({@code iw × ih} in a {@code w × h} view). */
    public void fit(double w, double h, double iw, double ih) {
        fit.set(true);
        scale.set(fitScale(w, h, iw, ih));
        centerX.set(iw / 2);
        centerY.set(ih / 2);
        revision.set(revision.get() + 1);
    }

    /**
     * Zooms by {@code factor} keeping the image point under ({@code vx}, {@code vy}) — view coordinates
     * of a {@code w × h} view — where it is.
     */
    public void zoomAt(double factor, double vx, double vy, double w, double h, double minScale) {
        double s = scale.get();
        double ns = Math.max(minScale, Math.min(MAX_SCALE, s * factor));
        double ix = centerX.get() + (vx - w / 2) / s;
        double iy = centerY.get() + (vy - h / 2) / s;
        fit.set(false);
        scale.set(ns);
        centerX.set(ix - (vx - w / 2) / ns);
        centerY.set(iy - (vy - h / 2) / ns);
        revision.set(revision.get() + 1);
    }

    /** Moves the picture by ({@code dx}, {@code dy}) screen pixels. */
    public void panBy(double dx, double dy) {
        fit.set(false);
        double s = scale.get();
        centerX.set(centerX.get() - dx / s);
        centerY.set(centerY.get() - dy / s);
        revision.set(revision.get() + 1);
    }
}

package io.ldmstudio.ui.denoising;

import io.ldmstudio.ui.common.NearestScale;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.scene.image.Image;
import javafx.scene.image.ImageView;
import javafx.scene.layout.Region;
import javafx.scene.paint.Color;
import javafx.scene.shape.Rectangle;

/**
 * Shows an image as large as fits, at a whole-number magnification with nearest-neighbour sampling
 * (pixels stay crisp squares) unless that leaves much of the room empty (see {@link #magnification}), centred on a dark backdrop just larger than the picture. The enlarged
 * copy is made here rather than left to {@code ImageView.setSmooth(false)}, which some rendering
 * pipelines (the software one among them) ignore; its size is bounded by the view, so it is cheap. An
 * image larger than the space is shrunk to fit.
 */
public final class PixelView extends Region {
    /** Dark margin around the picture. */
    static final double MARGIN = 4;

    private final ObjectProperty<Image> image = new SimpleObjectProperty<>(this, "image");
    private final ImageView view = new ImageView();
    private final Rectangle backdrop = new Rectangle();
    private Image scaledFrom;
    private int scaledW;
    private int scaledH;
    private Image scaled;

    public PixelView() {
        view.setSmooth(false);
        view.setPreserveRatio(false);
        backdrop.setFill(Color.web("#20242a"));
        backdrop.setManaged(false);
        getChildren().addAll(backdrop, view);
        getStyleClass().add("pixel-view");
        image.addListener((o, a, b) -> requestLayout());
        setMinSize(40, 40);
    }

    /** The picture at its own size (what the view shows, before enlarging). */
    public ObjectProperty<Image> imageProperty() {
        return image;
    }

    public Image getImage() {
        return image.get();
    }

    /** The magnification on screen (0 without an image). */
    public double scale() {
        Image img = image.get();
        return img == null || view.getImage() == null ? 0 : view.getFitWidth() / img.getWidth();
    }

    @Override
    public javafx.geometry.Orientation getContentBias() {
        return javafx.geometry.Orientation.HORIZONTAL;
    }

    @Override
    protected double computePrefWidth(double height) {
        return 160;
    }

    /** As tall as the picture is at the given width (square before there is one). */
    @Override
    protected double computePrefHeight(double width) {
        Image img = image.get();
        double w = width > 0 ? width : 160;
        double ratio = img == null || img.getWidth() <= 0 ? 1 : img.getHeight() / img.getWidth();
        return Math.min(w * ratio, 1200);
    }

    @Override
    protected void layoutChildren() {
        Image img = image.get();
        double w = getWidth() - snappedLeftInset() - snappedRightInset() - 2 * MARGIN;
        double h = getHeight() - snappedTopInset() - snappedBottomInset() - 2 * MARGIN;
        if (img == null || img.getWidth() <= 0 || w <= 0 || h <= 0) {
            view.setImage(null);
            backdrop.setVisible(false);
            return;
        }
        double fit = Math.min(w / img.getWidth(), h / img.getHeight());
        double m = fit >= 1 ? magnification(fit) : fit;
        double iw = Math.floor(img.getWidth() * m);
        double ih = Math.floor(img.getHeight() * m);
        view.setImage(m > 1 ? enlarged(img, (int) iw, (int) ih) : img);
        view.setFitWidth(iw);
        view.setFitHeight(ih);
        double x = Math.round(snappedLeftInset() + MARGIN + (w - iw) / 2);
        double y = Math.round(snappedTopInset() + MARGIN + (h - ih) / 2);
        view.relocate(x, y);
        backdrop.setVisible(true);
        backdrop.setX(x - MARGIN);
        backdrop.setY(y - MARGIN);
        backdrop.setWidth(iw + 2 * MARGIN);
        backdrop.setHeight(ih + 2 * MARGIN);
    }

    /**
     * How much to enlarge a picture that could be enlarged {@code fit} times (≥ 1): the whole factor
     * below it, so every pixel is the same square, unless that wastes more than 30 % of the room (a
     * 16-image grid of 28 px pictures in a 190 px column would stay at 1×); then {@code fit} itself,
     * still nearest-neighbour, with pixels one screen pixel apart in size.
     */
    static double magnification(double fit) {
        double k = Math.floor(fit + 1e-9);
        return k / fit >= 0.7 ? k : fit;
    }

    /** {@code img} enlarged to {@code w × h} by repeating pixels (the last one kept while the source and size stay). */
    private Image enlarged(Image img, int w, int h) {
        if (img != scaledFrom || w != scaledW || h != scaledH) {
            scaled = NearestScale.resample(img, w, h);
            scaledFrom = img;
            scaledW = w;
            scaledH = h;
        }
        return scaled;
    }
}

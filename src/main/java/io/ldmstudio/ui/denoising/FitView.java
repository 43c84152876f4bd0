package io.ldmstudio.ui.denoising;

import javafx.beans.property.ObjectProperty;
import javafx.geometry.Orientation;
import javafx.scene.image.Image;
import javafx.scene.image.ImageView;
import javafx.scene.layout.Region;

/** Shows an image whole: at its own size when it fits, else smoothly shrunk to fit; never enlarged. */
final class FitView extends Region {
    private final ImageView view = new ImageView();
    private final javafx.scene.shape.Rectangle paper = new javafx.scene.shape.Rectangle();

    FitView() {
        view.setPreserveRatio(true);
        view.setSmooth(true);
        paper.setFill(javafx.scene.paint.Color.WHITE);
        paper.setStroke(javafx.scene.paint.Color.web("#c9ced5"));
        paper.setManaged(false);
        getChildren().addAll(paper, view);
        view.imageProperty().addListener((o, a, b) -> requestLayout());
        setMinSize(0, 0);
    }

    ObjectProperty<Image> imageProperty() {
        return view.imageProperty();
    }

    /** The shrink factor on screen (1 = actual size, 0 without an image). */
    double scale() {
        Image img = view.getImage();
        return img == null ? 0 : view.getFitWidth() / img.getWidth();
    }

    @Override
    public Orientation getContentBias() {
        return null;
    }

    @Override
    protected double computePrefWidth(double height) {
        return 100;
    }

    @Override
    protected double computePrefHeight(double width) {
        return 100;
    }

    @Override
    protected void layoutChildren() {
        Image img = view.getImage();
        double w = getWidth() - snappedLeftInset() - snappedRightInset();
        double h = getHeight() - snappedTopInset() - snappedBottomInset() - 2;
        if (img == null || img.getWidth() <= 0 || w <= 0 || h <= 0) {
            paper.setVisible(false);
            return;
        }
        double s = Math.min(1, Math.min(w / img.getWidth(), h / img.getHeight()));
        double iw = Math.floor(img.getWidth() * s);
        double ih = Math.floor(img.getHeight() * s);
        view.setFitWidth(iw);
        view.setFitHeight(ih);
        double x = Math.round(snappedLeftInset() + (w - iw) / 2);
        double y = snappedTopInset() + 1;
        view.relocate(x, y);
        paper.setVisible(true);
        paper.setX(x - 0.5);
        paper.setY(y - 0.5);
        paper.setWidth(iw + 1);
        paper.setHeight(ih + 1);
    }
}

package io.ldmstudio.ui.gallery;

import io.ldmstudio.ui.common.NearestScale;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.scene.image.Image;
import javafx.scene.image.ImageView;
import javafx.scene.layout.Region;

/**
 * An image as large as fits, every image pixel a sharp square: magnified by a whole factor when it
 * is smaller than the space (a nearest-neighbour copy, see {@link NearestScale}), shrunk smoothly only
 * when it is larger.
 */
final class PixelView extends Region {
    private final ObjectProperty<Image> image = new SimpleObjectProperty<>(this, "image");
    private final ImageView view = new ImageView();
    private Image magnifiedFrom;
    private int magnifiedBy;

    PixelView() {
        view.setPreserveRatio(true);
        getChildren().add(view);
        image.addListener((o, a, b) -> requestLayout());
        setMinSize(0, 0);
    }

    /** The image as decoded. */
    ObjectProperty<Image> imageProperty() {
        return image;
    }

    /** What is on screen (a magnified copy, or the image itself). */
    ImageView imageView() {
        return view;
    }

    /** Screen pixels per image pixel now. */
    double scale() {
        Image img = image.get();
        return img == null ? 0 : view.getFitWidth() / img.getWidth();
    }

    @Override
    protected double computePrefWidth(double height) {
        return 240;
    }

    @Override
    protected double computePrefHeight(double width) {
        return 240;
    }

    @Override
    protected void layoutChildren() {
        Image img = image.get();
        if (img == null || img.getWidth() <= 0) {
            view.setImage(null);
            magnifiedFrom = null;
            return;
        }
        double w = getWidth() - snappedLeftInset() - snappedRightInset();
        double h = getHeight() - snappedTopInset() - snappedBottomInset();
        double scale = Math.min(w / img.getWidth(), h / img.getHeight());
        int k = scale >= 1 ? (int) Math.floor(scale) : 1;
        if (scale >= 1) {
            scale = k;
        }
        if (img != magnifiedFrom || k != magnifiedBy) {
            magnifiedFrom = img;
            magnifiedBy = k;
            view.setImage(k > 1 && NearestScale.fits(img, k) ? NearestScale.enlarge(img, k) : img);
        }
        view.setSmooth(scale < 1);
        double fw = img.getWidth() * scale;
        double fh = img.getHeight() * scale;
        view.setFitWidth(fw);
        view.setFitHeight(fh);
        view.relocate(Math.round(snappedLeftInset() + (w - fw) / 2), Math.round(snappedTopInset() + (h - fh) / 2));
    }
}

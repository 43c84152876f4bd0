package io.ldmstudio.ui.common;

import java.util.Arrays;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.geometry.Orientation;
import javafx.scene.Cursor;
import javafx.scene.image.Image;
import javafx.scene.image.ImageView;
import javafx.scene.image.PixelFormat;
import javafx.scene.image.WritableImage;
import javafx.scene.input.KeyCode;
import javafx.scene.input.MouseButton;
import javafx.scene.layout.Region;
import javafx.scene.paint.Color;
import javafx.scene.shape.Rectangle;

/**
 * An image whose pixels stay crisp squares. The enlarged picture is a nearest-neighbour copy made here (see
 * {@link NearestScale}) rather than left to {@code ImageView.setSmooth(false)}, which some rendering pipelines
 * (the software one among them) ignore; its size is bounded by the view, so it is cheap. The view either fits
 * the whole picture in its room, as a {@link Fit} says, or shows the part a {@link Viewport} shared with other
 * views chooses: scroll to zoom (about the mouse), drag to pan, double-click (or 0) to fit, + and − to zoom
 * about the centre.
 */
public final class PixelView extends Region {
    /** How a view without a {@link Viewport} fits its picture in its room. */
    public enum Fit {
        /**
         * At a whole factor unless that leaves much of the room empty (see {@link #magnification}), shrunk
         * nearest-neighbour, centred on a dark backdrop just larger than the picture; as tall as the picture is at
         * the view's width (the Denoising pane's grid of steps).
         */
        FRAMED(0.7, false, 4, 40),
        /** At the largest whole factor that fits; shrunk smoothly only when the picture is larger than the room. */
        WHOLE(0, true, 0, 0);

        /** The least share of the room a whole factor must fill, else the picture fills the room exactly. */
        private final double minFill;
        private final boolean smoothShrink;
        /** Dark margin around the picture (none at 0). */
        private final double margin;
        private final double minSize;

        Fit(double minFill, boolean smoothShrink, double margin, double minSize) {
            this.minFill = minFill;
            this.smoothShrink = smoothShrink;
            this.margin = margin;
            this.minSize = minSize;
        }
    }

    private static final Color BACKGROUND = Color.web("#20242a");
    private static final int BACKGROUND_ARGB = 0xFF20242A;

    /** Null when a viewport places the picture. */
    private final Fit fit;
    /** Null when the picture is fitted. */
    private final Viewport viewport;
    private final ObjectProperty<Image> image = new SimpleObjectProperty<>(this, "image");
    private final ImageView screen = new ImageView();
    private final Rectangle backdrop = new Rectangle();
    // fitted: the enlarged copy, kept while the source and size stay
    private Image copiedFrom;
    private int copyW;
    private int copyH;
    private Image copy;
    // through a viewport: the picture's pixels
    private int[] pixels;
    private int iw;
    private int ih;
    private double dragX;
    private double dragY;

    /** A view fitting its whole picture in its room as {@code fit} says. */
    public PixelView(Fit fit) {
        this.fit = fit;
        this.viewport = null;
        screen.setSmooth(false);
        screen.setPreserveRatio(false);
        backdrop.setFill(BACKGROUND);
        backdrop.setManaged(false);
        backdrop.setVisible(false);
        getChildren().addAll(backdrop, screen);
        getStyleClass().add("pixel-view");
        image.addListener((o, a, b) -> requestLayout());
        setMinSize(fit.minSize, fit.minSize);
    }

    /** A view showing the part of its picture {@code viewport} chooses, zooming and panning it. */
    public PixelView(Viewport viewport) {
        this.fit = null;
        this.viewport = viewport;
        getStyleClass().add("pixel-view");
        setFocusTraversable(true);
        getChildren().add(screen);
        setMinSize(64, 64);
        image.addListener((o, a, b) -> {
            read(b);
            if (viewport.fitProperty().get()) {
                refit();
            }
            render();
        });
        viewport.revisionProperty().addListener(o -> render());
        widthProperty().addListener(o -> resized());
        heightProperty().addListener(o -> resized());
        zoomAndPanOnInput();
    }

    /** The picture at its own size (what the view shows, before enlarging). */
    public ObjectProperty<Image> imageProperty() {
        return image;
    }

    public Image getImage() {
        return image.get();
    }

    /** What is on screen (a nearest-neighbour copy, or the picture itself). */
    public ImageView imageView() {
        return screen;
    }

    /** The picture on screen (for tests and screenshots). */
    public Image rendered() {
        return screen.getImage();
    }

    /** The viewport this view shows through; null for a fitted view. */
    public Viewport viewport() {
        return viewport;
    }

    /** Screen pixels per image pixel now (0 without an image). */
    public double scale() {
        Image img = image.get();
        if (img == null || screen.getImage() == null) {
            return 0;
        }
        return viewport != null ? viewport.scale() : screen.getFitWidth() / img.getWidth();
    }

    /**
     * How much to enlarge a picture that could be enlarged {@code fit} times (≥ 1) in a {@link Fit#FRAMED} view:
     * the whole factor below it, so every pixel is the same square, unless that wastes more than 30 % of the room
     * (a 16-image grid of 28 px pictures in a 190 px column would stay at 1×); then {@code fit} itself, still
     * nearest-neighbour, with pixels one screen pixel apart in size.
     */
    static double magnification(double fit) {
        return magnification(fit, Fit.FRAMED.minFill);
    }

    private static double magnification(double fit, double minFill) {
        double k = Math.floor(fit + 1e-9);
        return k / fit >= minFill ? k : fit;
    }

    @Override
    public Orientation getContentBias() {
        return fit == Fit.FRAMED ? Orientation.HORIZONTAL : super.getContentBias();
    }

    @Override
    protected double computePrefWidth(double height) {
        return fit == Fit.FRAMED ? 160 : 240;
    }

    /** 240, or for a {@link Fit#FRAMED} view as tall as the picture at the given width (square before there is one). */
    @Override
    protected double computePrefHeight(double width) {
        if (fit != Fit.FRAMED) {
            return 240;
        }
        Image img = image.get();
        double w = width > 0 ? width : 160;
        double ratio = img == null || img.getWidth() <= 0 ? 1 : img.getHeight() / img.getWidth();
        return Math.min(w * ratio, 1200);
    }

    @Override
    protected void layoutChildren() {
        if (viewport != null) {
            screen.relocate(0, 0);
        } else {
            layoutFitted();
        }
    }

    private void layoutFitted() {
        Image img = image.get();
        double margin = fit.margin;
        double w = getWidth() - snappedLeftInset() - snappedRightInset() - 2 * margin;
        double h = getHeight() - snappedTopInset() - snappedBottomInset() - 2 * margin;
        if (img == null || img.getWidth() <= 0 || w <= 0 || h <= 0) {
            screen.setImage(null);
            copiedFrom = null;
            copy = null;
            backdrop.setVisible(false);
            return;
        }
        double room = Math.min(w / img.getWidth(), h / img.getHeight());
        double m = room >= 1 ? magnification(room, fit.minFill) : room;
        double fw = Math.floor(img.getWidth() * m);
        double fh = Math.floor(img.getHeight() * m);
        screen.setImage(m > 1 ? enlarged(img, (int) fw, (int) fh) : img);
        screen.setSmooth(fit.smoothShrink && m < 1);
        screen.setFitWidth(fw);
        screen.setFitHeight(fh);
        double x = Math.round(snappedLeftInset() + margin + (w - fw) / 2);
        double y = Math.round(snappedTopInset() + margin + (h - fh) / 2);
        screen.relocate(x, y);
        backdrop.setVisible(margin > 0);
        backdrop.setX(x - margin);
        backdrop.setY(y - margin);
        backdrop.setWidth(fw + 2 * margin);
        backdrop.setHeight(fh + 2 * margin);
    }

    /**
     * {@code img} enlarged to {@code w × h} by repeating pixels (the last copy kept while the source and size
     * stay); the picture itself, left to the renderer, when the copy would exceed {@link NearestScale#MAX_PIXELS}.
     */
    private Image enlarged(Image img, int w, int h) {
        if (img != copiedFrom || w != copyW || h != copyH) {
            copy = (long) w * h <= NearestScale.MAX_PIXELS ? NearestScale.resample(img, w, h) : img;
            copiedFrom = img;
            copyW = w;
            copyH = h;
        }
        return copy;
    }

    // ================= through a viewport =================

    private void zoomAndPanOnInput() {
        setOnScroll(e -> {
            if (pixels == null || e.getDeltaY() == 0) {
                return;
            }
            double f = e.getDeltaY() > 0 ? Viewport.STEP : 1 / Viewport.STEP;
            viewport.zoomAt(f, e.getX(), e.getY(), getWidth(), getHeight(), minScale());
            e.consume();
        });
        setOnMousePressed(e -> {
            requestFocus();
            dragX = e.getX();
            dragY = e.getY();
            setCursor(Cursor.CLOSED_HAND);
        });
        setOnMouseReleased(e -> setCursor(Cursor.DEFAULT));
        setOnMouseDragged(e -> {
            if (pixels == null) {
                return;
            }
            viewport.panBy(e.getX() - dragX, e.getY() - dragY);
            dragX = e.getX();
            dragY = e.getY();
        });
        setOnMouseClicked(e -> {
            if (e.getButton() == MouseButton.PRIMARY && e.getClickCount() == 2) {
                refit();
            }
        });
        setOnKeyPressed(e -> {
            KeyCode k = e.getCode();
            if (k == KeyCode.PLUS || k == KeyCode.ADD || k == KeyCode.EQUALS) {
                viewport.zoomAt(Viewport.STEP, getWidth() / 2, getHeight() / 2, getWidth(), getHeight(), minScale());
            } else if (k == KeyCode.MINUS || k == KeyCode.SUBTRACT) {
                viewport.zoomAt(1 / Viewport.STEP, getWidth() / 2, getHeight() / 2, getWidth(), getHeight(),
                        minScale());
            } else if (k == KeyCode.DIGIT0 || k == KeyCode.NUMPAD0) {
                refit();
            } else {
                return;
            }
            e.consume();
        });
    }

    /**
     * The image pixel drawn at view point ({@code vx}, {@code vy}) as (column, row); may lie outside the image.
     * For a view showing through a viewport.
     */
    public int[] imagePixelAt(double vx, double vy) {
        int w = (int) Math.floor(getWidth());
        int h = (int) Math.floor(getHeight());
        double s = viewport.scale();
        double x0 = viewport.centerXProperty().get() - w / 2.0 / s;
        double y0 = viewport.centerYProperty().get() - h / 2.0 / s;
        return new int[] {(int) Math.floor(x0 + (Math.floor(vx) + 0.5) / s), (int) Math.floor(y0 + (Math.floor(vy) + 0.5) / s)};
    }

    /** Fits the whole image in this view (every view sharing the viewport follows); nothing for a fitted view. */
    public void refit() {
        if (viewport != null && pixels != null) {
            viewport.fit(getWidth(), getHeight(), iw, ih);
        }
    }

    private double minScale() {
        return Math.min(1, Viewport.fitScale(getWidth(), getHeight(), iw, ih)) / 2;
    }

    private void resized() {
        if (viewport.fitProperty().get() && pixels != null) {
            refit();
        }
        render();
    }

    private void read(Image img) {
        if (img == null) {
            pixels = null;
            return;
        }
        iw = (int) img.getWidth();
        ih = (int) img.getHeight();
        pixels = new int[iw * ih];
        img.getPixelReader().getPixels(0, 0, iw, ih, PixelFormat.getIntArgbInstance(), pixels, 0, iw);
    }

    /** Samples the part of the picture the viewport shows nearest-neighbour into a view-sized image. */
    private void render() {
        int w = (int) Math.floor(getWidth());
        int h = (int) Math.floor(getHeight());
        if (w <= 0 || h <= 0) {
            return;
        }
        int[] out = new int[w * h];
        if (pixels == null) {
            Arrays.fill(out, BACKGROUND_ARGB);
        } else {
            double s = viewport.scale();
            double x0 = viewport.centerXProperty().get() - w / 2.0 / s;
            double y0 = viewport.centerYProperty().get() - h / 2.0 / s;
            int[] col = new int[w];
            for (int x = 0; x < w; x++) {
                col[x] = (int) Math.floor(x0 + (x + 0.5) / s);
            }
            for (int y = 0; y < h; y++) {
                int iy = (int) Math.floor(y0 + (y + 0.5) / s);
                int row = y * w;
                if (iy < 0 || iy >= ih) {
                    Arrays.fill(out, row, row + w, BACKGROUND_ARGB);
                    continue;
                }
                int src = iy * iw;
                for (int x = 0; x < w; x++) {
                    int ix = col[x];
                    out[row + x] = ix < 0 || ix >= iw ? BACKGROUND_ARGB : pixels[src + ix];
                }
            }
        }
        WritableImage img = new WritableImage(w, h);
        img.getPixelWriter().setPixels(0, 0, w, h, PixelFormat.getIntArgbInstance(), out, 0, w);
        screen.setImage(img);
    }
}

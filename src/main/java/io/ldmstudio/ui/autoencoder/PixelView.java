package io.ldmstudio.ui.autoencoder;

import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.scene.Cursor;
import javafx.scene.image.Image;
import javafx.scene.image.ImageView;
import javafx.scene.image.PixelFormat;
import javafx.scene.image.WritableImage;
import javafx.scene.input.KeyCode;
import javafx.scene.input.MouseButton;
import javafx.scene.layout.Region;

/**
 * An image shown through a shared {@link Viewport}: scroll to zoom (about the mouse), drag to pan,
 * double-click (or 0) to fit, + and − to zoom about the centre. The picture is sampled nearest-
 * neighbour into a screen-sized image, so pixels stay square on every rendering pipeline.
 */
public final class PixelView extends Region {
    private static final int BACKGROUND = 0xFF20242A;

    private final Viewport viewport;
    private final ObjectProperty<Image> image = new SimpleObjectProperty<>(this, "image");
    private final ImageView screen = new ImageView();
    private int[] pixels;
    private int iw;
    private int ih;
    private double dragX;
    private double dragY;

    public PixelView(Viewport viewport) {
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

    public ObjectProperty<Image> imageProperty() {
        return image;
    }

    public Viewport viewport() {
        return viewport;
    }

    /** The picture on screen (for tests and screenshots). */
    public Image rendered() {
        return screen.getImage();
    }

    /**
     * The image pixel drawn at view point ({@code vx}, {@code vy}) as (column, row); may lie outside
     * the image.
     */
    public int[] imagePixelAt(double vx, double vy) {
        int w = (int) Math.floor(getWidth());
        int h = (int) Math.floor(getHeight());
        double s = viewport.scale();
        double x0 = viewport.centerXProperty().get() - w / 2.0 / s;
        double y0 = viewport.centerYProperty().get() - h / 2.0 / s;
        return new int[] {(int) Math.floor(x0 + (Math.floor(vx) + 0.5) / s), (int) Math.floor(y0 + (Math.floor(vy) + 0.5) / s)};
    }

    /** Fits the whole image in this view (every view sharing the viewport follows). */
    public void refit() {
        if (pixels != null) {
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

    private void render() {
        int w = (int) Math.floor(getWidth());
        int h = (int) Math.floor(getHeight());
        if (w <= 0 || h <= 0) {
            return;
        }
        int[] out = new int[w * h];
        if (pixels == null) {
            java.util.Arrays.fill(out, BACKGROUND);
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
                    java.util.Arrays.fill(out, row, row + w, BACKGROUND);
                    continue;
                }
                int src = iy * iw;
                for (int x = 0; x < w; x++) {
                    int ix = col[x];
                    out[row + x] = ix < 0 || ix >= iw ? BACKGROUND : pixels[src + ix];
                }
            }
        }
        WritableImage img = new WritableImage(w, h);
        img.getPixelWriter().setPixels(0, 0, w, h, PixelFormat.getIntArgbInstance(), out, 0, w);
        screen.setImage(img);
    }

    @Override
    protected void layoutChildren() {
        screen.relocate(0, 0);
    }

    @Override
    protected double computePrefWidth(double height) {
        return 240;
    }

    @Override
    protected double computePrefHeight(double width) {
        return 240;
    }
}

package io.ldmstudio.ui.common;

import javafx.scene.image.Image;
import javafx.scene.image.PixelFormat;
import javafx.scene.image.PixelReader;
import javafx.scene.image.WritableImage;

/**
 * Whole-factor nearest-neighbour magnification: every source pixel becomes a {@code k × k} square.
 * {@code ImageView.setSmooth(false)} asks the same of the renderer, but the software pipeline
 * (headless, some VMs) smooths regardless; a magnified copy is sharp everywhere.
 */
public final class PixelZoom {
    /** Copies larger than this many pixels are not made (the caller scales with the renderer instead). */
    public static final long MAX_PIXELS = 4_000_000L;

    private PixelZoom() {}

    /** Whether {@link #magnify} would make a copy of {@code image} at factor {@code k}. */
    public static boolean fits(Image image, int k) {
        return image != null && k >= 1 && (long) image.getWidth() * k * (long) image.getHeight() * k <= MAX_PIXELS;
    }

    /**
     * {@code image} magnified {@code k} times (the image itself when {@code k == 1}). Cost: one pass over
     * the output; a 500×500 result takes about a millisecond.
     */
    public static Image magnify(Image image, int k) {
        if (k <= 1) {
            return image;
        }
        if (!fits(image, k)) {
            throw new IllegalArgumentException("a " + k + "x copy of a " + (int) image.getWidth() + "x"
                    + (int) image.getHeight() + " image would exceed " + MAX_PIXELS + " pixels");
        }
        int w = (int) image.getWidth();
        int h = (int) image.getHeight();
        PixelReader reader = image.getPixelReader();
        int[] src = new int[w * h];
        reader.getPixels(0, 0, w, h, PixelFormat.getIntArgbInstance(), src, 0, w);
        int ow = w * k;
        int[] row = new int[ow];
        WritableImage out = new WritableImage(ow, h * k);
        var writer = out.getPixelWriter();
        for (int y = 0; y < h; y++) {
            for (int x = 0, o = 0; x < w; x++) {
                int argb = src[y * w + x];
                for (int i = 0; i < k; i++) {
                    row[o++] = argb;
                }
            }
            for (int i = 0; i < k; i++) {
                writer.setPixels(0, y * k + i, ow, 1, PixelFormat.getIntArgbInstance(), row, 0, ow);
            }
        }
        return out;
    }
}

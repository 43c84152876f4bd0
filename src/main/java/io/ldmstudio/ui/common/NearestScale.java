package io.ldmstudio.ui.common;

import javafx.scene.image.Image;
import javafx.scene.image.PixelReader;
import javafx.scene.image.PixelWriter;
import javafx.scene.image.WritableImage;

/**
 * Enlarges small images by whole factors with nearest-neighbour sampling, so each pixel shows as a
 * crisp square whatever the rendering pipeline does with {@code ImageView.setSmooth(false)}. Safe off
 * the FX thread.
 */
public final class NearestScale {
    private NearestScale() {}

    /** The largest whole factor (at least 1) at which {@code img} still fits in {@code box × box}. */
    public static int factorToFit(Image img, double box) {
        double s = Math.min(box / img.getWidth(), box / img.getHeight());
        return Math.max(1, (int) Math.floor(s + 1e-9));
    }

    /** {@code img} with every pixel repeated {@code factor × factor} times ({@code img} itself when 1). */
    public static Image enlarge(Image img, int factor) {
        if (factor <= 1) {
            return img;
        }
        int w = (int) img.getWidth();
        int h = (int) img.getHeight();
        PixelReader r = img.getPixelReader();
        WritableImage out = new WritableImage(w * factor, h * factor);
        PixelWriter pw = out.getPixelWriter();
        int[] row = new int[w];
        int[] big = new int[w * factor];
        for (int y = 0; y < h; y++) {
            r.getPixels(0, y, w, 1, javafx.scene.image.PixelFormat.getIntArgbInstance(), row, 0, w);
            for (int x = 0; x < w; x++) {
                java.util.Arrays.fill(big, x * factor, (x + 1) * factor, row[x]);
            }
            for (int k = 0; k < factor; k++) {
                pw.setPixels(0, y * factor + k, w * factor, 1, javafx.scene.image.PixelFormat.getIntArgbInstance(), big,
                        0, w * factor);
            }
        }
        return out;
    }

    /** {@code img} enlarged by the largest whole factor that fits {@code box × box}. */
    public static Image toFit(Image img, double box) {
        return enlarge(img, factorToFit(img, box));
    }
}

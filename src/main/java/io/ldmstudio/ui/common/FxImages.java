package io.ldmstudio.ui.common;

import io.ldmstudio.data.Grids;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import javafx.embed.swing.SwingFXUtils;
import javafx.scene.image.Image;
import javafx.scene.image.PixelWriter;
import javafx.scene.image.WritableImage;

/** Pictures for the FX scene graph: from the engine's float arrays, from PNG files, and back to files. */
public final class FxImages {
    private FxImages() {}

    /**
     * An image from a channel-first array with values in [-1, 1] (1 or 3 channels; other counts show
     * the first channel as grey). Values outside are clipped.
     */
    public static WritableImage fromChw(float[] chw, int channels, int height, int width) {
        WritableImage img = new WritableImage(width, height);
        PixelWriter pw = img.getPixelWriter();
        int plane = height * width;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int i = y * width + x;
                int r = Grids.toByte(chw[i]);
                int g = channels >= 3 ? Grids.toByte(chw[plane + i]) : r;
                int b = channels >= 3 ? Grids.toByte(chw[2 * plane + i]) : r;
                pw.setArgb(x, y, 0xFF000000 | (r << 16) | (g << 8) | b);
            }
        }
        return img;
    }

    /** One channel mapped from [lo, hi] to black..white (latent channels, noise). */
    public static WritableImage fromPlane(float[] data, int offset, int height, int width, float lo, float hi) {
        WritableImage img = new WritableImage(width, height);
        PixelWriter pw = img.getPixelWriter();
        float span = hi > lo ? hi - lo : 1f;
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                float v = (data[offset + y * width + x] - lo) / span;
                int g = Math.round(Math.max(0f, Math.min(1f, v)) * 255f);
                pw.setArgb(x, y, 0xFF000000 | (g << 16) | (g << 8) | g);
            }
        }
        return img;
    }

    public static WritableImage fromBuffered(BufferedImage image) {
        return SwingFXUtils.toFXImage(image, null);
    }

    /** Reads a PNG/JPEG; call off the FX thread. */
    public static Image read(Path file) throws IOException {
        BufferedImage bi = javax.imageio.ImageIO.read(file.toFile());
        if (bi == null) {
            throw new IOException(file + " is not an image this studio can read (PNG, JPEG, BMP or GIF expected)");
        }
        return fromBuffered(bi);
    }

    public static BufferedImage toBuffered(Image image) {
        return SwingFXUtils.fromFXImage(image, null);
    }
}

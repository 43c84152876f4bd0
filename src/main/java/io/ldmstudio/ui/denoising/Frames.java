package io.ldmstudio.ui.denoising;

import io.ldmstudio.data.Grids;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;

/**
 * Turns a flat (N, C, H, W) batch of floats in [-1, 1] into one picture: the N images tiled
 * row by row in ⌈√N⌉ columns with a transparent gap between them, no outer border. One channel is
 * grey, three or more show the first three as RGB (latents with four channels), two show the first.
 * Non-FX, so the composer, the exporters and the view share it.
 */
public final class Frames {
    /** Gap between tiled images, in source pixels. */
    public static final int GAP = 1;

    private Frames() {}

    /** Width of a tiled frame of {@code n} images {@code w} wide, each pixel repeated {@code upscale} times. */
    public static int tiledWidth(int n, int w, int upscale) {
        return tiledWidth(n, 0, w, upscale);
    }

    public static int tiledHeight(int n, int h, int upscale) {
        return tiledHeight(n, 0, h, upscale);
    }

    /** Width of {@code n} images tiled in {@code columns} columns (0: ⌈√n⌉). */
    public static int tiledWidth(int n, int columns, int w, int upscale) {
        int cols = columns(n, columns);
        return cols * w * upscale + (cols - 1) * GAP;
    }

    public static int tiledHeight(int n, int columns, int h, int upscale) {
        int cols = columns(n, columns);
        int rows = (n + cols - 1) / cols;
        return rows * h * upscale + (rows - 1) * GAP;
    }

    /** The columns {@code n} images are tiled in: {@code columns}, at most n, or ⌈√n⌉ for 0. */
    static int columns(int n, int columns) {
        return columns > 0 ? Math.min(columns, Math.max(1, n)) : Grids.columnsFor(n);
    }

    /**
     * The tiled frame (TYPE_INT_ARGB; gaps are transparent).
     *
     * @param gain    multiplies every value before it is mapped to 0..255 ({@link FrameKind#gain()})
     * @param upscale repeats each pixel (nearest neighbour) — used to bring a latent up to image size
     */
    public static BufferedImage tile(float[] batch, int n, int c, int h, int w, float gain, int upscale) {
        return tile(batch, n, c, h, w, gain, upscale, 0);
    }

    /** As above in {@code columns} columns (0: ⌈√n⌉) — one row per class has its images per class in a row. */
    public static BufferedImage tile(float[] batch, int n, int c, int h, int w, float gain, int upscale, int columns) {
        if (n < 1 || c < 1 || h < 1 || w < 1 || upscale < 1) {
            throw new IllegalArgumentException("bad frame shape " + n + "x" + c + "x" + h + "x" + w + " ×" + upscale);
        }
        int per = c * h * w;
        if (batch.length < n * per) {
            throw new IllegalArgumentException("batch has " + batch.length + " values, fewer than " + n + " images of " + per);
        }
        int cols = columns(n, columns);
        int sw = w * upscale;
        int sh = h * upscale;
        int width = tiledWidth(n, cols, w, upscale);
        BufferedImage img = new BufferedImage(width, tiledHeight(n, cols, h, upscale), BufferedImage.TYPE_INT_ARGB);
        int[] px = ((DataBufferInt) img.getRaster().getDataBuffer()).getData();
        int plane = h * w;
        boolean rgb = c >= 3;
        for (int k = 0; k < n; k++) {
            int x0 = (k % cols) * (sw + GAP);
            int y0 = (k / cols) * (sh + GAP);
            int off = k * per;
            for (int y = 0; y < sh; y++) {
                int row = (y0 + y) * width + x0;
                int sy = y / upscale;
                for (int x = 0; x < sw; x++) {
                    int i = off + sy * w + x / upscale;
                    int r = Grids.toByte(batch[i] * gain);
                    int g = rgb ? Grids.toByte(batch[i + plane] * gain) : r;
                    int b = rgb ? Grids.toByte(batch[i + 2 * plane] * gain) : r;
                    px[row + x] = 0xFF000000 | (r << 16) | (g << 8) | b;
                }
            }
        }
        return img;
    }
}

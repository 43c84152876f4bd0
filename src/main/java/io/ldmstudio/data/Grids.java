package io.ldmstudio.data;

import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.DataBufferInt;
import java.util.ArrayList;
import java.util.List;

/**
 * Pictures from CHW float arrays in [-1, 1]: single images and grids.
 *
 * <p>A grid lays {@code n} images out in {@code cols} columns (by default ⌈√n⌉, so near-square)
 * and as many rows as needed, row by row, with {@value #PADDING} px of black between images and
 * around the edge (torchvision's {@code make_grid} layout): width {@code cols·(w+2)+2}, height
 * {@code rows·(h+2)+2}, image {@code k} at {@code (2 + (k mod cols)·(w+2), 2 + (k div cols)·(h+2))}.
 * Unfilled cells of the last row stay black.
 */
public final class Grids {
    public static final int PADDING = 2;

    private Grids() {}

    /** Maps [-1, 1] to 0..255 (rounded, clamped; NaN → 0). */
    public static int toByte(float v) {
        if (!(v > -1f)) {
            return 0;
        }
        if (v >= 1f) {
            return 255;
        }
        return Math.round((v + 1f) * 127.5f);
    }

    /** One image: 8-bit gray ({@code channels = 1}) or RGB ({@code channels = 3}). */
    public static BufferedImage toImage(float[] chw, int channels, int height, int width) {
        return toImage(chw, 0, channels, height, width);
    }

    public static BufferedImage toImage(float[] chw, int offset, int channels, int height, int width) {
        checkChannels(channels);
        BufferedImage img = newImage(width, height, channels);
        paste(img, chw, offset, channels, height, width, 0, 0);
        return img;
    }

    /** A near-square grid (⌈√n⌉ columns). */
    public static BufferedImage grid(List<float[]> images, int channels, int height, int width) {
        return grid(images, channels, height, width, columnsFor(images.size()));
    }

    public static BufferedImage grid(List<float[]> images, int channels, int height, int width, int cols) {
        checkChannels(channels);
        int n = images.size();
        if (n == 0) {
            throw new IllegalArgumentException("a grid needs at least one image");
        }
        if (cols <= 0) {
            throw new IllegalArgumentException("columns must be positive: " + cols);
        }
        int len = channels * height * width;
        int rows = (n + cols - 1) / cols;
        BufferedImage img = newImage(cols * (width + PADDING) + PADDING,
                rows * (height + PADDING) + PADDING, channels);
        for (int k = 0; k < n; k++) {
            float[] a = images.get(k);
            if (a.length != len) {
                throw new IllegalArgumentException("image " + k + " has " + a.length + " values, expected "
                        + channels + "x" + height + "x" + width + " = " + len);
            }
            int x = PADDING + (k % cols) * (width + PADDING);
            int y = PADDING + (k / cols) * (height + PADDING);
            paste(img, a, 0, channels, height, width, x, y);
        }
        return img;
    }

    /** A grid of the first {@code n} images of a batch laid out NCHW in one array. */
    public static BufferedImage grid(float[] batch, int n, int channels, int height, int width) {
        return grid(split(batch, n, channels * height * width), channels, height, width);
    }

    /**
     * A grid of {@code cols} columns with a label left of each row ({@code rowLabels}, one per row, e.g.
     * the class a row was sampled for), white text on black, as RGB.
     */
    public static BufferedImage labelledRows(List<float[]> images, int channels, int height, int width, int cols,
            List<String> rowLabels) {
        BufferedImage grid = grid(images, channels, height, width, cols);
        java.awt.Font font = new java.awt.Font(java.awt.Font.SANS_SERIF, java.awt.Font.PLAIN, Math.max(10, Math.min(14, height / 2)));
        BufferedImage probe = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB);
        java.awt.FontMetrics fm = probe.createGraphics().getFontMetrics(font);
        int labelWidth = 0;
        for (String l : rowLabels) {
            labelWidth = Math.max(labelWidth, fm.stringWidth(l));
        }
        labelWidth += 2 * PADDING + 4;
        BufferedImage out = new BufferedImage(grid.getWidth() + labelWidth, grid.getHeight(), BufferedImage.TYPE_INT_RGB);
        java.awt.Graphics2D g = out.createGraphics();
        g.setColor(java.awt.Color.BLACK);
        g.fillRect(0, 0, out.getWidth(), out.getHeight());
        g.drawImage(grid, labelWidth, 0, null);
        g.setRenderingHint(java.awt.RenderingHints.KEY_TEXT_ANTIALIASING, java.awt.RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setFont(font);
        g.setColor(java.awt.Color.WHITE);
        for (int r = 0; r < rowLabels.size(); r++) {
            int y = PADDING + r * (height + PADDING) + (height + fm.getAscent() - fm.getDescent()) / 2;
            g.drawString(rowLabels.get(r), PADDING + 2, y);
        }
        g.dispose();
        return out;
    }

    /** ⌈√n⌉: the column count of a near-square grid. */
    public static int columnsFor(int n) {
        int c = (int) Math.ceil(Math.sqrt(n));
        while (c * c < n) {
            c++;
        }
        while (c > 1 && (c - 1) * (c - 1) >= n) {
            c--;
        }
        return Math.max(1, c);
    }

    private static void checkChannels(int channels) {
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3: " + channels);
        }
    }

    private static BufferedImage newImage(int w, int h, int channels) {
        return new BufferedImage(w, h, channels == 1 ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
    }

    private static void paste(BufferedImage img, float[] a, int off, int channels, int h, int w, int x0, int y0) {
        int stride = img.getWidth();
        int plane = h * w;
        if (channels == 1) {
            byte[] px = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    px[(y0 + y) * stride + x0 + x] = (byte) toByte(a[off + y * w + x]);
                }
            }
        } else {
            int[] px = ((DataBufferInt) img.getRaster().getDataBuffer()).getData();
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int i = off + y * w + x;
                    px[(y0 + y) * stride + x0 + x] = (toByte(a[i]) << 16) | (toByte(a[plane + i]) << 8)
                            | toByte(a[2 * plane + i]);
                }
            }
        }
    }

    /** The images of a flat (N, C, H, W) batch as separate CHW arrays (copies), {@code per} = C·H·W values each. */
    public static List<float[]> split(float[] batch, int n, int per) {
        if ((long) n * per > batch.length) {
            throw new IllegalArgumentException(n + " images of " + per + " values do not fit in " + batch.length);
        }
        List<float[]> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(java.util.Arrays.copyOfRange(batch, i * per, (i + 1) * per));
        }
        return out;
    }
}

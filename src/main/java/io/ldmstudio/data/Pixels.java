package io.ldmstudio.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentColorModel;
import java.awt.image.DataBuffer;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;

/**
 * A decoded image at its own size: {@code channels} planes (1 = gray, 3 = RGB) of
 * {@code height × width} floats in [0, 1], channel-major (CHW). This is what sources hand to a
 * {@link Transform}.
 */
public record Pixels(int width, int height, int channels, float[] data) {

    public Pixels {
        if (width <= 0 || height <= 0) {
            throw new IllegalArgumentException("image size must be positive: " + width + "x" + height);
        }
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("channels must be 1 or 3: " + channels);
        }
        if (data.length != channels * width * height) {
            throw new IllegalArgumentException("data has " + data.length + " values, expected "
                    + channels + "x" + height + "x" + width);
        }
    }

    /** Luma weights (ITU-R BT.601) used whenever RGB becomes one channel. */
    static final float LUMA_R = 0.299f;
    static final float LUMA_G = 0.587f;
    static final float LUMA_B = 0.114f;

    /** 8-bit samples (0..255) in CHW order, e.g. a CIFAR-10 record or an IDX image. */
    public static Pixels fromBytes(byte[] src, int offset, int width, int height, int channels) {
        int n = channels * width * height;
        float[] d = new float[n];
        for (int i = 0; i < n; i++) {
            d[i] = (src[offset + i] & 0xFF) / 255f;
        }
        return new Pixels(width, height, channels, d);
    }

    /**
     * Converts a decoded image to gray or RGB floats in [0, 1].
     *
     * <ul>
     *   <li>Gray images (8- or 16-bit, with or without alpha) stay one channel; their stored sample
     *       values are used as they are (divided by 2^bits − 1), with no colour-space conversion,
     *       so a 16-bit PNG sample of 32768 becomes 0.50001.
     *   <li>RGB images of 8 or 16 bits per sample are read from their samples the same way.
     *   <li>Palette (indexed) images become RGB through their palette — or gray when every palette
     *       entry is gray. Other colour models (CMYK JPEG, float TIFF) go through Java's sRGB
     *       conversion.
     *   <li>Alpha is <b>composited on white</b>: {@code c·a + (1 − a)}. Transparent areas of
     *       icons and cut-outs thus read as white paper rather than as whatever colour the
     *       invisible pixels happen to hold.
     * </ul>
     */
    public static Pixels fromImage(BufferedImage img) {
        int w = img.getWidth();
        int h = img.getHeight();
        ColorModel cm = img.getColorModel();
        Raster r = img.getRaster();
        int tt = r.getTransferType();
        boolean intSamples = tt == DataBuffer.TYPE_BYTE || tt == DataBuffer.TYPE_USHORT
                || tt == DataBuffer.TYPE_INT;
        if (cm instanceof ComponentColorModel && intSamples) {
            int csType = cm.getColorSpace().getType();
            boolean gray = csType == ColorSpace.TYPE_GRAY && cm.getNumColorComponents() == 1;
            boolean rgb = cm.getColorSpace().isCS_sRGB() && cm.getNumColorComponents() == 3;
            if (gray || rgb) {
                return fromSamples(r, cm, w, h, gray ? 1 : 3);
            }
        }
        if (cm instanceof IndexColorModel icm && allGray(icm)) {
            return fromArgb(img, w, h, 1);
        }
        return fromArgb(img, w, h, 3);
    }

    private static boolean allGray(IndexColorModel icm) {
        int n = icm.getMapSize();
        for (int i = 0; i < n; i++) {
            int rr = icm.getRed(i);
            if (rr != icm.getGreen(i) || rr != icm.getBlue(i)) {
                return false;
            }
        }
        return true;
    }

    private static Pixels fromSamples(Raster r, ColorModel cm, int w, int h, int colours) {
        int plane = w * h;
        float[] d = new float[colours * plane];
        boolean alpha = cm.hasAlpha();
        boolean premul = cm.isAlphaPremultiplied();
        float alphaMax = alpha ? (float) ((1L << cm.getComponentSize(colours)) - 1) : 1f;
        int[] row = new int[w];
        int[] arow = alpha ? new int[w] : null;
        int x0 = r.getMinX();
        int y0 = r.getMinY();
        for (int y = 0; y < h; y++) {
            if (alpha) {
                r.getSamples(x0, y0 + y, w, 1, colours, arow);
            }
            for (int c = 0; c < colours; c++) {
                float max = (float) ((1L << cm.getComponentSize(c)) - 1);
                r.getSamples(x0, y0 + y, w, 1, c, row);
                int base = c * plane + y * w;
                for (int x = 0; x < w; x++) {
                    float v = row[x] / max;
                    if (alpha) {
                        float a = arow[x] / alphaMax;
                        v = (premul ? v : v * a) + (1f - a);
                    }
                    d[base + x] = clamp01(v);
                }
            }
        }
        return new Pixels(w, h, colours, d);
    }

    private static Pixels fromArgb(BufferedImage img, int w, int h, int channels) {
        int plane = w * h;
        float[] d = new float[channels * plane];
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int p = row[x];
                float a = (p >>> 24) / 255f;
                float rr = ((p >> 16) & 0xFF) / 255f * a + (1f - a);
                float gg = ((p >> 8) & 0xFF) / 255f * a + (1f - a);
                float bb = (p & 0xFF) / 255f * a + (1f - a);
                int i = y * w + x;
                if (channels == 1) {
                    d[i] = clamp01(rr); // a gray palette: r == g == b
                } else {
                    d[i] = clamp01(rr);
                    d[plane + i] = clamp01(gg);
                    d[2 * plane + i] = clamp01(bb);
                }
            }
        }
        return new Pixels(w, h, channels, d);
    }

    static float clamp01(float v) {
        return v < 0f ? 0f : (v > 1f ? 1f : v);
    }
}

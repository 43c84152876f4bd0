package io.ldmstudio.eval;

import io.ldmstudio.data.Grids;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;

/**
 * The magnified absolute difference of two images, for "input | reconstruction | difference"
 * figures. Per channel and pixel, on the [0, 1] scale:
 *
 * <pre>  d = min(1, gain · |a − b|)</pre>
 *
 * so black is no difference and full intensity is a difference of {@code 1/gain} or more (0.2 with
 * the default gain 5). RGB differences stay per channel (coloured); gray stays gray. A NaN in either
 * image shows as full intensity, so broken pixels stand out. The result is returned in [-1, 1]
 * ({@code 2d − 1}), ready for {@link Grids}, or as a picture.
 */
public final class DifferenceImage {
    /** Default magnification: a difference of 0.2 (on the [0, 1] scale) saturates. */
    public static final double DEFAULT_GAIN = 5.0;

    private DifferenceImage() {}

    /** The difference of two [-1, 1] images with the default gain, as CHW in [-1, 1]. */
    public static float[] of(float[] a, float[] b) {
        return of(a, b, PixelRange.MINUS_ONE_TO_ONE, DEFAULT_GAIN);
    }

    /**
     * The magnified difference as an array of the same length in [-1, 1] (whatever {@code range} the
     * inputs are in).
     */
    public static float[] of(float[] a, float[] b, PixelRange range, double gain) {
        checkGain(gain);
        Shapes.checkRange(range);
        if (a == null || b == null) {
            throw new IllegalArgumentException("images must not be null");
        }
        if (a.length != b.length) {
            throw new IllegalArgumentException("images have " + a.length + " and " + b.length + " values");
        }
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            double d = gain * Math.abs(range.toUnit(a[i]) - range.toUnit(b[i]));
            double u = d < 1.0 ? d : 1.0; // NaN fails d < 1 → full intensity
            out[i] = (float) (2.0 * u - 1.0);
        }
        return out;
    }

    /** The magnified difference as an 8-bit gray (1 channel) or RGB (3 channels) picture. */
    public static BufferedImage toImage(float[] a, float[] b, int channels, int height, int width, PixelRange range,
            double gain) {
        Shapes.checkPair(a, b, channels, height, width);
        return Grids.toImage(of(a, b, range, gain), channels, height, width);
    }

    /**
     * A grid with one row per image pair: reference, reconstruction, magnified difference (three
     * columns, {@link Grids}' padding and layout).
     */
    public static BufferedImage comparisonGrid(List<float[]> references, List<float[]> reconstructions,
            int channels, int height, int width, PixelRange range, double gain) {
        checkGain(gain);
        Shapes.checkRange(range);
        if (references.size() != reconstructions.size()) {
            throw new IllegalArgumentException(references.size() + " references but " + reconstructions.size()
                    + " reconstructions");
        }
        if (references.isEmpty()) {
            throw new IllegalArgumentException("a comparison grid needs at least one image pair");
        }
        List<float[]> cells = new ArrayList<>(3 * references.size());
        for (int i = 0; i < references.size(); i++) {
            float[] a = references.get(i);
            float[] b = reconstructions.get(i);
            Shapes.checkPair(a, b, channels, height, width);
            cells.add(toSigned(a, range));
            cells.add(toSigned(b, range));
            cells.add(of(a, b, range, gain));
        }
        return Grids.grid(cells, channels, height, width, 3);
    }

    /** One image pair of its own size, for {@link #comparisonRows}. */
    public record Pair(float[] reference, float[] reconstruction, int height, int width) {}

    /**
     * {@link #comparisonGrid} for pairs of different sizes: one row per pair, each at its own size,
     * left-aligned on black.
     */
    public static BufferedImage comparisonRows(List<Pair> pairs, int channels, PixelRange range, double gain) {
        if (pairs.isEmpty()) {
            throw new IllegalArgumentException("a comparison grid needs at least one image pair");
        }
        List<BufferedImage> rows = new ArrayList<>(pairs.size());
        int width = 0;
        int height = 0;
        for (Pair p : pairs) {
            BufferedImage row = comparisonGrid(List.of(p.reference()), List.of(p.reconstruction()), channels, p.height(),
                    p.width(), range, gain);
            rows.add(row);
            width = Math.max(width, row.getWidth());
            height += row.getHeight() - Grids.PADDING; // rows share their padding
        }
        height += Grids.PADDING;
        BufferedImage out = new BufferedImage(width, height, rows.get(0).getType());
        Graphics2D g = out.createGraphics();
        try {
            g.setColor(Color.BLACK);
            g.fillRect(0, 0, width, height);
            int y = 0;
            for (BufferedImage row : rows) {
                g.drawImage(row, 0, y, null);
                y += row.getHeight() - Grids.PADDING;
            }
        } finally {
            g.dispose();
        }
        return out;
    }

    private static float[] toSigned(float[] a, PixelRange range) {
        if (range == PixelRange.MINUS_ONE_TO_ONE) {
            return a;
        }
        float[] out = new float[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = a[i] * 2f - 1f;
        }
        return out;
    }

    private static void checkGain(double gain) {
        if (!(gain > 0) || Double.isInfinite(gain)) {
            throw new IllegalArgumentException("gain must be positive and finite: " + gain);
        }
    }
}

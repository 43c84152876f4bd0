package io.ldmstudio.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.awt.image.BufferedImage;
import org.junit.jupiter.api.Test;

class TransformTest {
    private static final float EPS = 1e-6f;

    /** A gray image from row-major values in [0, 1]. */
    private static Pixels gray(int w, int h, float... v) {
        return new Pixels(w, h, 1, v);
    }

    private static float toUnit(float v) {
        return v * 2f - 1f;
    }

    @Test
    void downscaleByTwoAveragesEachTwoByTwoBlock() {
        Pixels p = gray(4, 4,
                0.00f, 0.25f, 1.0f, 1.0f,
                0.50f, 1.00f, 1.0f, 0.0f,
                0.10f, 0.10f, 0.2f, 0.4f,
                0.10f, 0.10f, 0.6f, 0.8f);
        float[] out = new Transform(2, 1, false).apply(p, false);
        assertArrayEquals(new float[] {toUnit(0.4375f), toUnit(0.75f), toUnit(0.1f), toUnit(0.5f)}, out, EPS);
    }

    @Test
    void downscaleByNonIntegerFactorWeighsPartialPixels() {
        // 3 -> 2: output 0 covers input [0, 1.5): weights 2/3, 1/3; output 1 covers [1.5, 3): 1/3, 2/3
        Pixels p = gray(3, 3,
                0.0f, 0.3f, 0.9f,
                0.0f, 0.3f, 0.9f,
                0.0f, 0.3f, 0.9f);
        float[] out = new Transform(2, 1, false).apply(p, false);
        float left = (2f / 3f) * 0.0f + (1f / 3f) * 0.3f;
        float right = (1f / 3f) * 0.3f + (2f / 3f) * 0.9f;
        assertArrayEquals(new float[] {toUnit(left), toUnit(right), toUnit(left), toUnit(right)}, out, 1e-5f);
    }

    @Test
    void upscaleIsBilinearWithHalfPixelCentres() {
        Pixels p = gray(2, 1, 0.0f, 1.0f);
        // stretched (no crop) to 4x4: x = (j + 0.5)/2 - 0.5 -> -0.25 (clamped 0), 0.25, 0.75, 1.25 (clamped 1)
        float[] out = new Transform(4, 1, false).apply(p, false);
        float[] row = {toUnit(0f), toUnit(0.25f), toUnit(0.75f), toUnit(1f)};
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                assertEquals(row[x], out[y * 4 + x], EPS, "pixel " + x + "," + y);
            }
        }
    }

    @Test
    void centreCropKeepsTheMiddleSquare() {
        // 6 wide, 4 high: columns 0 and 5 are white, the middle four black -> crop is all black
        float[] v = new float[24];
        for (int y = 0; y < 4; y++) {
            v[y * 6] = 1f;
            v[y * 6 + 5] = 1f;
        }
        float[] cropped = new Transform(4, 1, true).apply(gray(6, 4, v), false);
        assertEquals(16, cropped.length);
        for (float f : cropped) {
            assertEquals(-1f, f, EPS);
        }
        // without crop the white edges are squeezed in: the first column is partly white
        float[] stretched = new Transform(4, 1, false).apply(gray(6, 4, v), false);
        assertEquals(toUnit(1f / 1.5f), stretched[0], 1e-5f);
    }

    @Test
    void matchingSizeIsCopiedAndScaledToMinusOneOne() {
        float[] v = {0f, 0.5f, 1f, 0.25f};
        float[] out = new Transform(2, 1, true).apply(gray(2, 2, v), false);
        assertArrayEquals(new float[] {-1f, 0f, 1f, -0.5f}, out, 0f);
    }

    @Test
    void flipMirrorsEachRow() {
        float[] v = {0f, 0.25f, 0.5f, 0.75f, 1f, 0.1f, 0.2f, 0.3f, 0.4f};
        Transform tf = new Transform(3, 1, false);
        float[] a = tf.apply(gray(3, 3, v), false);
        float[] b = tf.apply(gray(3, 3, v), true);
        for (int y = 0; y < 3; y++) {
            for (int x = 0; x < 3; x++) {
                assertEquals(a[y * 3 + x], b[y * 3 + 2 - x], 0f);
            }
        }
    }

    @Test
    void rgbBecomesLumaAndGrayIsRepeated() {
        float[] red = {1f, 1f, 1f, 1f, 0f, 0f, 0f, 0f, 0f, 0f, 0f, 0f}; // 2x2, CHW
        float[] g = new Transform(2, 1, false).apply(new Pixels(2, 2, 3, red), false);
        assertEquals(4, g.length);
        assertEquals(0.299f * 2f - 1f, g[0], EPS);

        float[] rgb = new Transform(2, 3, false).apply(gray(2, 2, 0.5f, 0.5f, 0.5f, 0.5f), false);
        assertArrayEquals(new float[] {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, rgb, EPS);
    }

    @Test
    void channelsStayInTheirPlanesThroughResize() {
        // 4x4 RGB: red plane 1, green 0, blue 0.5 -> 2x2 keeps the planes apart
        float[] v = new float[48];
        for (int i = 0; i < 16; i++) {
            v[i] = 1f;
            v[32 + i] = 0.5f;
        }
        float[] out = new Transform(2, 3, false).apply(new Pixels(4, 4, 3, v), false);
        assertArrayEquals(new float[] {1, 1, 1, 1, -1, -1, -1, -1, 0, 0, 0, 0}, out, EPS);
    }

    @Test
    void previewImageHasTheTargetSizeAndType() {
        BufferedImage img = new Transform(5, 3, true).applyToImage(gray(10, 7, new float[70]), false);
        assertEquals(5, img.getWidth());
        assertEquals(5, img.getHeight());
        assertEquals(BufferedImage.TYPE_INT_RGB, img.getType());
    }

    @Test
    void rejectsBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> new Transform(0, 3, true));
        assertThrows(IllegalArgumentException.class, () -> new Transform(8, 0, true));
        Pixels rgb = new Pixels(2, 2, 3, new float[12]);
        assertThrows(IllegalArgumentException.class, () -> Transform.shapeOnly(8, 4).apply(rgb, false));
    }
}

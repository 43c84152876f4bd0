package io.ldmstudio.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.ldmstudio.data.Grids;
import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;

class DifferenceImageTest {

    @Test
    void magnifiesTheUnitScaleDifferenceAndMapsItToSignedRange() {
        // [-1, 1] inputs: 0.1 apart → 0.05 on [0, 1] → ×5 = 0.25 → 2·0.25 − 1 = −0.5
        float[] a = {0.0f, 0.5f, -1f, 0.3f};
        float[] b = {0.1f, 0.5f, 1f, 0.2f};
        float[] d = DifferenceImage.of(a, b);
        assertEquals(-0.5f, d[0], 1e-6f);
        assertEquals(-1f, d[1], 0f); // no difference is black
        assertEquals(1f, d[2], 0f); // saturated
        assertEquals(-0.5f, d[3], 1e-6f); // absolute value: order does not matter
    }

    @Test
    void gainIsConfigurableAndClipsAtFullIntensity() {
        float[] a = {0.0f, 0.0f, 0.0f};
        float[] b = {0.1f, 0.2f, 0.4f}; // [0, 1] inputs
        float[] d1 = DifferenceImage.of(a, b, PixelRange.ZERO_TO_ONE, 1.0);
        assertEquals(2 * 0.1 - 1, d1[0], 1e-6);
        assertEquals(2 * 0.4 - 1, d1[2], 1e-6);
        float[] d4 = DifferenceImage.of(a, b, PixelRange.ZERO_TO_ONE, 4.0);
        assertEquals(2 * 0.4 - 1, d4[0], 1e-6);
        assertEquals(2 * 0.8 - 1, d4[1], 1e-6);
        assertEquals(1f, d4[2], 0f); // 1.6 clipped to 1
        float[] d5 = DifferenceImage.of(a, b, PixelRange.ZERO_TO_ONE, DifferenceImage.DEFAULT_GAIN);
        assertEquals(1f, d5[1], 1e-6f); // 0.2 × 5 = 1: exactly saturating
        assertThrows(IllegalArgumentException.class, () -> DifferenceImage.of(a, b, PixelRange.ZERO_TO_ONE, 0));
        assertThrows(IllegalArgumentException.class, () -> DifferenceImage.of(a, new float[2]));
    }

    @Test
    void nanShowsAsFullIntensity() {
        float[] d = DifferenceImage.of(new float[] {0f, Float.NaN}, new float[] {Float.NaN, 0f});
        assertEquals(1f, d[0], 0f);
        assertEquals(1f, d[1], 0f);
    }

    @Test
    void pictureKeepsChannelsAndMapsToBytes() {
        int h = 2;
        int w = 3;
        float[] a = TestImages.constant(3, h, w, 0f);
        float[] b = a.clone();
        b[0] = 0.2f; // red channel of (0,0): 0.1 on [0,1] ×5 = 0.5 → 0.0 signed → byte 128
        BufferedImage img = DifferenceImage.toImage(a, b, 3, h, w, PixelRange.MINUS_ONE_TO_ONE, 5.0);
        assertEquals(w, img.getWidth());
        assertEquals(h, img.getHeight());
        assertEquals(Grids.toByte(0f) << 16, img.getRGB(0, 0) & 0xFFFFFF);
        assertEquals(0, img.getRGB(1, 0) & 0xFFFFFF);
        assertEquals(BufferedImage.TYPE_BYTE_GRAY,
                DifferenceImage.toImage(new float[4], new float[4], 1, 2, 2, PixelRange.ZERO_TO_ONE, 5).getType());
    }

    @Test
    void comparisonGridPutsReferenceReconstructionAndDifferenceInARow() {
        int h = 2;
        int w = 2;
        float[] ref = TestImages.constant(1, h, w, 0.5f); // [0, 1]
        float[] rec = TestImages.constant(1, h, w, 0.6f);
        BufferedImage g = DifferenceImage.comparisonGrid(List.of(ref, ref), List.of(rec, ref), 1, h, w,
                PixelRange.ZERO_TO_ONE, 5.0);
        int pad = Grids.PADDING;
        assertEquals(3 * (w + pad) + pad, g.getWidth());
        assertEquals(2 * (h + pad) + pad, g.getHeight());
        int[] px = new int[1];
        g.getRaster().getPixel(pad, pad, px);
        assertEquals(Grids.toByte(0f), px[0]); // 0.5 in [0,1] is 0 in [-1,1]
        g.getRaster().getPixel(pad + (w + pad), pad, px);
        assertEquals(Grids.toByte(0.2f), px[0], 1);
        g.getRaster().getPixel(pad + 2 * (w + pad), pad, px);
        assertEquals(Grids.toByte(0f), px[0], 1); // 0.1 × 5 = 0.5 → mid gray
        g.getRaster().getPixel(pad + 2 * (w + pad), pad + (h + pad), px);
        assertEquals(0, px[0]); // second row: identical → black
        assertThrows(IllegalArgumentException.class, () -> DifferenceImage.comparisonGrid(List.of(ref), List.of(),
                1, h, w, PixelRange.ZERO_TO_ONE, 5.0));
    }
}

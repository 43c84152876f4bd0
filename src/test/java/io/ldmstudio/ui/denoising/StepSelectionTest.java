package io.ldmstudio.ui.denoising;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Parsing the figure's step list, and tiling frames. */
class StepSelectionTest {
    @Test
    void everyKTakesEachKthStepAndTheLast() {
        assertEquals(List.of(0, 10, 20, 30, 40, 49), StepSelection.parse("every 10", 50).steps());
        assertEquals(List.of(0, 3, 6, 7), StepSelection.parse("Every 3rd", 8).steps());
        assertEquals(List.of(0, 1, 2), StepSelection.parse("every 1", 3).steps());
        assertEquals(List.of(0), StepSelection.parse("every 5", 1).steps());
    }

    @Test
    void aListIsSortedAndDeduplicated() {
        StepSelection.Result r = StepSelection.parse(" 25, 0,10 ,49, 10", 50);
        assertTrue(r.ok());
        assertEquals(List.of(0, 10, 25, 49), r.steps());
    }

    @Test
    void badEntriesAreNamedInTheMessage() {
        StepSelection.Result r = StepSelection.parse("0,x,99999", 8);
        assertFalse(r.ok());
        assertTrue(r.error().contains("\"x\"") && r.error().contains("not a step number"), r.error());
        StepSelection.Result out = StepSelection.parse("0,99999", 8);
        assertTrue(out.error().contains("99999") && out.error().contains("0–7"), out.error());
        assertFalse(StepSelection.parse("every x", 8).ok());
        assertFalse(StepSelection.parse("every 0", 8).ok());
        assertFalse(StepSelection.parse("", 8).ok());
        assertTrue(StepSelection.parse("0,1", 0).error().contains("generate"));
        assertTrue(StepSelection.parse("every 1", 200).error().contains("at most " + StepSelection.MAX_FRAMES));
    }

    @Test
    void framesTileNearSquareWithOnePixelGapsAndNoBorder() {
        int n = 5;
        int c = 3;
        int h = 4;
        int w = 6;
        float[] batch = new float[n * c * h * w];
        for (int k = 0; k < n; k++) {
            for (int i = 0; i < c * h * w; i++) {
                batch[k * c * h * w + i] = k == 0 ? 1f : -1f; // image 0 white, the rest black
            }
        }
        BufferedImage img = Frames.tile(batch, n, c, h, w, 1f, 1);
        assertEquals(3 * 6 + 2, img.getWidth()); // 3 columns
        assertEquals(2 * 4 + 1, img.getHeight()); // 2 rows
        assertEquals(0xFFFFFFFF, img.getRGB(0, 0));
        assertEquals(0, img.getRGB(6, 0) >>> 24, "gap is transparent");
        assertEquals(0xFF000000, img.getRGB(7, 0));
        assertEquals(0, img.getRGB(3 * 6 + 1, 5) >>> 24, "unfilled last cell stays transparent");
        // upscaled, and ε̂ gain halves the values
        BufferedImage up = Frames.tile(new float[] {0.6f, -0.6f, 0.6f, -0.6f}, 1, 1, 2, 2, 0.5f, 3);
        assertEquals(6, up.getWidth());
        assertEquals(up.getRGB(0, 0), up.getRGB(2, 2));
        assertEquals(0xFF000000 | 0x010101 * 166, up.getRGB(0, 0)); // (0.3 + 1)·127.5 = 165.75
    }
}

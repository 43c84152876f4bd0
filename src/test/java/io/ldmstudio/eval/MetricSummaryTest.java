package io.ldmstudio.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class MetricSummaryTest {

    @Test
    void statsAverageFiniteValuesAndCountTheRest() {
        Stats s = Stats.of(1.0, 3.0, Double.POSITIVE_INFINITY, Double.NaN, 5.0);
        assertEquals(5, s.count());
        assertEquals(3, s.finite());
        assertEquals(1, s.positiveInfinite());
        assertEquals(1, s.nan());
        assertEquals(2, s.excluded());
        assertEquals(3.0, s.mean(), 0.0);
        assertEquals(Math.sqrt(8.0 / 3), s.std(), 1e-15);
        assertEquals(1.0, s.min(), 0.0);
        assertEquals(5.0, s.max(), 0.0);
        Stats none = Stats.of(Double.POSITIVE_INFINITY);
        assertTrue(Double.isNaN(none.mean()));
        assertEquals(1, none.positiveInfinite());
        assertTrue(Double.isNaN(Stats.of().mean()));
    }

    @Test
    void psnrMeanLeavesIdenticalImagesOutAndPooledPsnrUsesMeanMse() {
        MetricSummary s = MetricSummary.of(List.of(
                new ImageResult("a", 0.01, 20.0, 0.9),
                new ImageResult("b", 0.0, Double.POSITIVE_INFINITY, 1.0),
                new ImageResult("c", 0.001, 30.0, 0.95)));
        assertEquals(25.0, s.psnr().mean(), 1e-12);
        assertEquals(1, s.psnr().positiveInfinite());
        assertEquals(0.011 / 3, s.mse().mean(), 1e-15);
        assertEquals(-10 * Math.log10(0.011 / 3), s.pooledPsnr(), 1e-12);
        assertEquals(0.95, s.ssim().mean(), 1e-15);
    }

    @Test
    void tableHasFixedWidthColumnsAndNotesExcludedPsnr() {
        MetricSummary s = MetricSummary.of(List.of(
                new ImageResult("cat.png", 0.01, 20.0, 0.95),
                new ImageResult("dog.png", 0.0, Double.POSITIVE_INFINITY, 1.0),
                new ImageResult("a-rather-long-file-name-that-goes-on-and-on-forever.png", 0.0025, 26.0206, -0.125)));
        String t = s.table();
        String[] lines = t.split("\n");
        assertEquals(9, lines.length, t);
        int width = lines[0].length();
        for (int i = 0; i < 8; i++) {
            assertEquals(width, lines[i].length(), "line " + i + " of\n" + t);
        }
        assertEquals(MetricTable.MAX_NAME + 2 + 10 + 2 + 9 + 2 + 7, width, t);
        assertTrue(lines[0].startsWith("image ") && lines[0].endsWith("   ssim"), lines[0]);
        assertTrue(lines[2].startsWith("cat.png ") && lines[2].endsWith(" 1.000e-02     20.000   0.9500"), lines[2]);
        assertTrue(lines[3].endsWith(" 0.000e+00        inf   1.0000"), lines[3]);
        assertTrue(lines[4].startsWith("..") && lines[4].contains("on-forever.png ") && lines[4].endsWith("-0.1250"),
                lines[4]);
        assertTrue(lines[6].startsWith("mean ") && lines[6].contains(" 23.010 "), lines[6]);
        assertTrue(lines[7].startsWith("std "), lines[7]);
        assertEquals("psnr: mean over 2 of 3 images; 1 identical (inf dB) excluded; pooled (of mean mse) "
                + String.format(java.util.Locale.ROOT, "%.3f", s.pooledPsnr()) + " dB", lines[8]);
        assertTrue(t.endsWith("\n"));
    }

    @Test
    void tableWithoutSpecialValuesHasNoNotes() {
        MetricSummary s = MetricSummary.of(List.of(new ImageResult("x", 0.01, 20.0, 0.9)));
        String t = s.table();
        assertEquals(6, t.split("\n").length, t);
        assertFalse(t.contains("excluded"), t);
        assertTrue(t.split("\n")[0].startsWith("image  "), t); // name column at least 5 wide
    }
}

package io.ldmstudio.ui.denoising;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The report figure's geometry and content, without JavaFX. */
class FigureComposerTest {
    static final int WHITE = 0xFFFFFF;

    /** A w×h frame filled with one colour. */
    static BufferedImage solid(int w, int h, int rgb) {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, 0xFF000000 | rgb);
            }
        }
        return img;
    }

    static FigureComposer.Figure strip(int rows, int cols, int w, int h, boolean captions, String... rowLabels) {
        List<FigureComposer.Row> rs = new ArrayList<>();
        for (int r = 0; r < rows; r++) {
            List<FigureComposer.Cell> cells = new ArrayList<>();
            for (int c = 0; c < cols; c++) {
                cells.add(new FigureComposer.Cell(solid(w, h, 0x204080 + c), captions ? "step " + c + "\nt = " + (999 - c) : null));
            }
            rs.add(new FigureComposer.Row(rowLabels.length > r ? rowLabels[r] : null, cells));
        }
        return new FigureComposer.Figure(null, rs, null);
    }

    static int rgb(BufferedImage img, int x, int y) {
        return img.getRGB(x, y) & 0xFFFFFF;
    }

    /** Pixels in the rectangle that are not white. */
    static int inked(BufferedImage img, int x0, int y0, int x1, int y1) {
        int n = 0;
        for (int y = Math.max(0, y0); y < Math.min(img.getHeight(), y1); y++) {
            for (int x = Math.max(0, x0); x < Math.min(img.getWidth(), x1); x++) {
                if (rgb(img, x, y) != WHITE) {
                    n++;
                }
            }
        }
        return n;
    }

    @Test
    void aStripWithoutLabelsHasExactlyTheFramesPaddingAndGaps() {
        // 4 frames of 18×10 at scale 4 = 72×40, padding 12, gap 6
        FigureComposer.Style st = new FigureComposer.Style(4, 12, 6, 14, false);
        BufferedImage img = FigureComposer.render(strip(1, 4, 18, 10, false), st);
        assertEquals(2 * 12 + 4 * 72 + 3 * 6, img.getWidth());
        assertEquals(2 * 12 + 40, img.getHeight());
        // first frame starts right after the padding, and the gap between frames is white
        assertEquals(0x204080, rgb(img, 12, 12));
        assertEquals(WHITE, rgb(img, 11, 12));
        assertEquals(0x204080, rgb(img, 12 + 71, 12 + 39));
        assertEquals(WHITE, rgb(img, 12 + 72, 20));
        assertEquals(0x204081, rgb(img, 12 + 72 + 6, 20));
        assertEquals(WHITE, rgb(img, img.getWidth() - 1, img.getHeight() - 1));
    }

    @Test
    void captionsAddOneBandPerRowOfTheDeclaredLineHeight() {
        FigureComposer.Style st = new FigureComposer.Style(4, 16, 10, 14, false);
        assertEquals(20, st.lineHeight()); // ⌈14 × 1.4⌉
        BufferedImage img = FigureComposer.render(strip(2, 3, 20, 20, true), st);
        int band = FigureComposer.Style.CAPTION_GAP + 2 * 20; // two caption lines
        assertEquals(2 * 16 + 3 * 80 + 2 * 10, img.getWidth());
        assertEquals(2 * 16 + 2 * (80 + band) + 10, img.getHeight());
        FigureComposer.Layout l = FigureComposer.layout(strip(2, 3, 20, 20, true), st);
        assertEquals(img.getWidth(), l.width());
        assertEquals(img.getHeight(), l.height());
        assertEquals(band, l.captionBand());
        // a caption is drawn under every frame, and nothing else is in its band but text
        for (int r = 0; r < 2; r++) {
            for (int c = 0; c < 3; c++) {
                int x = l.cellX(st, c);
                int y = l.frameY(st, r) + 80;
                assertTrue(inked(img, x, y + FigureComposer.Style.CAPTION_GAP, x + 80, y + band) > 20,
                        "caption under frame r" + r + " c" + c);
            }
        }
    }

    @Test
    void rowLabelsWidenTheFigureByTheirColumnAndAreDrawnLeftOfTheirRow() {
        FigureComposer.Style st = new FigureComposer.Style(3, 16, 10, 14, true);
        FigureComposer.Figure f = strip(2, 2, 20, 20, false, "x_t", "x\u0302_0");
        BufferedImage img = FigureComposer.render(f, st);
        int labelWidth = Math.max(FigureComposer.textWidth("x_t", st), FigureComposer.textWidth("x\u0302_0", st));
        assertTrue(labelWidth > 8 && labelWidth < 40, "label width " + labelWidth);
        assertEquals(2 * 16 + labelWidth + 10 + 2 * 60 + 10, img.getWidth());
        assertEquals(2 * 16 + 2 * 60 + 10, img.getHeight());
        FigureComposer.Layout l = FigureComposer.layout(f, st);
        for (int r = 0; r < 2; r++) {
            int y = l.frameY(st, r);
            assertTrue(inked(img, 16, y, 16 + labelWidth, y + 60) > 15, "row label " + r);
        }
        // the hat of x̂0 is drawn: the second label has ink above the first label's top
        int top0 = firstInkedRow(img, 16, 16 + labelWidth, l.frameY(st, 0), l.frameY(st, 0) + 60);
        int top1 = firstInkedRow(img, 16, 16 + labelWidth, l.frameY(st, 1), l.frameY(st, 1) + 60);
        assertTrue(top1 - l.frameY(st, 1) < top0 - l.frameY(st, 0) - 2, "hat over x̂0: " + top0 + " " + top1);
        // turning row labels off removes the column
        assertEquals(2 * 16 + 2 * 60 + 10, FigureComposer.render(f, st.withRowLabels(false)).getWidth());
    }

    static int firstInkedRow(BufferedImage img, int x0, int x1, int y0, int y1) {
        for (int y = y0; y < y1; y++) {
            if (inked(img, x0, y, x1, y + 1) > 0) {
                return y;
            }
        }
        return y1;
    }

    @Test
    void framesAreScaledWithNearestNeighbourSampling() {
        BufferedImage checker = new BufferedImage(2, 2, BufferedImage.TYPE_INT_ARGB);
        checker.setRGB(0, 0, 0xFF000000);
        checker.setRGB(1, 0, 0xFFFFFFFF);
        checker.setRGB(0, 1, 0xFFFFFFFF);
        checker.setRGB(1, 1, 0xFF000000);
        FigureComposer.Figure f = new FigureComposer.Figure(null,
                List.of(new FigureComposer.Row(null, List.of(new FigureComposer.Cell(checker, null)))), null);
        BufferedImage img = FigureComposer.render(f, new FigureComposer.Style(5, 0, 0, 12, false));
        assertEquals(10, img.getWidth());
        for (int y = 0; y < 10; y++) {
            for (int x = 0; x < 10; x++) {
                int expected = ((x / 5) + (y / 5)) % 2 == 0 ? 0x000000 : WHITE;
                assertEquals(expected, rgb(img, x, y), "pixel " + x + "," + y + " must be a pure block colour");
            }
        }
    }

    @Test
    void narrowFramesGetCellsWideEnoughForTheirCaptions() {
        FigureComposer.Style st = new FigureComposer.Style(1, 8, 6, 14, false);
        FigureComposer.Figure f = strip(1, 3, 6, 6, true);
        FigureComposer.Layout l = FigureComposer.layout(f, st);
        int caption = FigureComposer.textWidth("t = 999", st);
        assertTrue(l.cellWidth() >= caption && caption > 6, "cell " + l.cellWidth() + " caption " + caption);
        assertEquals(2 * 8 + 3 * l.cellWidth() + 2 * 6, l.width());
        // frames are centred in their cells
        BufferedImage img = FigureComposer.render(f, st);
        int fx = l.cellX(st, 0) + (l.cellWidth() - 6) / 2;
        assertEquals(0x204080, rgb(img, fx, l.frameY(st, 0)));
        assertEquals(WHITE, rgb(img, fx - 1, l.frameY(st, 0)));
    }

    @Test
    void headersAndFooterAddTheirBands() {
        FigureComposer.Style st = new FigureComposer.Style(2, 10, 8, 14, false);
        List<FigureComposer.Cell> cells = List.of(new FigureComposer.Cell(solid(30, 30, 0x808080), null),
                new FigureComposer.Cell(solid(30, 30, 0x808080), null));
        FigureComposer.Figure f = new FigureComposer.Figure(List.of("x_t", "\u03b5\u0302"),
                List.of(new FigureComposer.Row(null, cells)), "step 3/8 · t = 624");
        BufferedImage img = FigureComposer.render(f, st);
        int lh = st.lineHeight();
        assertEquals(2 * 10 + (lh + 4) + 60 + (4 + lh), img.getHeight());
        assertEquals(Math.max(2 * 10 + 2 * 60 + 8, 2 * 10 + FigureComposer.textWidth("step 3/8 · t = 624", st)),
                img.getWidth());
        assertTrue(inked(img, 10, 10, img.getWidth() - 10, 10 + lh) > 20, "headers");
        assertTrue(inked(img, 10, img.getHeight() - 10 - lh, img.getWidth() - 10, img.getHeight() - 10) > 40, "footer");
    }

    @Test
    void framesOfDifferentSizesOrRaggedRowsAreRefused() {
        List<FigureComposer.Cell> a = List.of(new FigureComposer.Cell(solid(4, 4, 0), null),
                new FigureComposer.Cell(solid(5, 4, 0), null));
        assertThrows(IllegalArgumentException.class,
                () -> new FigureComposer.Figure(null, List.of(new FigureComposer.Row(null, a)), null));
        List<FigureComposer.Cell> one = List.of(new FigureComposer.Cell(solid(4, 4, 0), null));
        List<FigureComposer.Cell> two = List.of(new FigureComposer.Cell(solid(4, 4, 0), null),
                new FigureComposer.Cell(solid(4, 4, 0), null));
        assertThrows(IllegalArgumentException.class, () -> new FigureComposer.Figure(null,
                List.of(new FigureComposer.Row(null, one), new FigureComposer.Row(null, two)), null));
        assertThrows(IllegalArgumentException.class, () -> new FigureComposer.Style(0, 0, 0, 12, false));
    }
}

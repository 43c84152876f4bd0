package io.ldmstudio.ui.denoising;

import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Lays frames out as one report figure with Java2D: a grid of frames (rows × columns) on white,
 * each frame scaled by an integer factor with nearest-neighbour sampling, an optional caption under
 * every frame (the step), optional column headers above, optional row labels on the left
 * (x_t / x̂0) and an optional footer line. No JavaFX: the exporters use it off the FX thread and the
 * tests measure it directly.
 *
 * <h2>Geometry</h2>
 * With frame size {@code fw×fh} (all frames the same), scale {@code s}, padding {@code p}, gap
 * {@code g} and line height {@code L = }{@link Style#lineHeight()}:
 * <pre>
 *   cell width   = max(fw·s, widest caption or header)
 *   label column = widest row label + g        (0 without row labels)
 *   caption band = {@link Style#CAPTION_GAP} + L·(most caption lines)   (0 without captions)
 *   header band  = L·(most header lines) + {@link Style#CAPTION_GAP}  (0 without headers)
 *   width  = max(2p + label column + cols·cell + (cols−1)·g,  2p + footer width)
 *   height = 2p + header band + rows·(fh·s + caption band) + (rows−1)·g + footer band
 * </pre>
 *
 * <h2>Label markup</h2>
 * Labels are plain text with two additions, enough for the symbols of a diffusion figure: {@code _}
 * sets the rest of the word as a subscript ({@code x_t}), and U+0302 (combining circumflex) after a
 * letter draws a hat over it ({@code x\u0302_0} is x̂0). A newline starts another line.
 */
public final class FigureComposer {
    private static final Color TEXT = new Color(0x1f, 0x23, 0x28);
    private static final Color CAPTION = new Color(0x3a, 0x40, 0x48);
    private static final char HAT = '\u0302';

    private FigureComposer() {}

    /** One frame and the caption under it ({@code null} for none). */
    public record Cell(BufferedImage frame, String caption) {
        public Cell {
            Objects.requireNonNull(frame, "frame");
        }
    }

    /** A row of frames and its label ({@code null} for none). */
    public record Row(String label, List<Cell> cells) {
        public Row {
            cells = List.copyOf(cells);
        }
    }

    /**
     * The figure: rows of equally many, equally sized frames; column headers and footer may be
     * {@code null}.
     */
    public record Figure(List<String> columnHeaders, List<Row> rows, String footer) {
        public Figure {
            rows = List.copyOf(rows);
            if (rows.isEmpty() || rows.get(0).cells().isEmpty()) {
                throw new IllegalArgumentException("a figure needs at least one frame");
            }
            int cols = rows.get(0).cells().size();
            BufferedImage first = rows.get(0).cells().get(0).frame();
            for (Row r : rows) {
                if (r.cells().size() != cols) {
                    throw new IllegalArgumentException("every row needs " + cols + " frames; one has " + r.cells().size());
                }
                for (Cell c : r.cells()) {
                    if (c.frame().getWidth() != first.getWidth() || c.frame().getHeight() != first.getHeight()) {
                        throw new IllegalArgumentException("frames differ in size: " + first.getWidth() + "x"
                                + first.getHeight() + " and " + c.frame().getWidth() + "x" + c.frame().getHeight());
                    }
                }
            }
            if (columnHeaders != null) {
                columnHeaders = List.copyOf(columnHeaders);
                if (columnHeaders.size() != cols) {
                    throw new IllegalArgumentException(cols + " columns but " + columnHeaders.size() + " headers");
                }
            }
        }

        public int columns() {
            return rows.get(0).cells().size();
        }
    }

    /**
     * How to draw: integer {@code scale} (nearest neighbour), {@code padding} around everything,
     * {@code gap} between frames, the label font size in px, and whether row labels are drawn.
     */
    public record Style(int scale, int padding, int gap, int fontSize, boolean rowLabels) {
        /** Space between a frame and its caption (and a header and its frame). */
        public static final int CAPTION_GAP = 4;

        public Style {
            if (scale < 1 || scale > 64) {
                throw new IllegalArgumentException("scale must be 1..64: " + scale);
            }
            if (padding < 0 || gap < 0 || fontSize < 6) {
                throw new IllegalArgumentException("padding and gap must be ≥ 0 and the font ≥ 6 px");
            }
        }

        /**
         * Scale {@code s}, 16 px padding, 10 px gaps, row labels on; labels of 6·s px (14 to 40), so a
         * figure enlarged for a report keeps its captions readable beside its frames.
         */
        public static Style defaults(int scale) {
            return new Style(scale, 16, 10, Math.max(14, Math.min(40, 6 * scale)), true);
        }

        public Style withRowLabels(boolean on) {
            return new Style(scale, padding, gap, fontSize, on);
        }

        /** Height of one line of text: ⌈1.4 × font size⌉. */
        public int lineHeight() {
            return (int) Math.ceil(fontSize * 1.4);
        }
    }

    /** Where everything goes; all values in output pixels. */
    public record Layout(int width, int height, int frameWidth, int frameHeight, int cellWidth, int labelColumn,
            int headerBand, int captionBand, int footerBand, int columns, int rows) {

        /** Left edge of column {@code c}'s cell. */
        public int cellX(Style s, int c) {
            return s.padding() + labelColumn + c * (cellWidth + s.gap());
        }

        /** Top of row {@code r}'s frame. */
        public int frameY(Style s, int r) {
            return s.padding() + headerBand + r * (frameHeight + captionBand + s.gap());
        }

        /** Top of the footer band. */
        public int footerY(Style s) {
            return height - s.padding() - footerBand;
        }
    }

    /** Measures {@code figure} drawn with {@code style}. */
    public static Layout layout(Figure figure, Style style) {
        Graphics2D g = scratch();
        try {
            return layout(figure, style, g);
        } finally {
            g.dispose();
        }
    }

    /** The figure as an RGB image on white. */
    public static BufferedImage render(Figure figure, Style style) {
        Graphics2D probe = scratch();
        Layout l;
        try {
            l = layout(figure, style, probe);
        } finally {
            probe.dispose();
        }
        BufferedImage out = new BufferedImage(l.width(), l.height(), BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            hints(g);
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, l.width(), l.height());
            Font font = font(style);
            g.setFont(font);
            int s = style.scale();
            int lh = style.lineHeight();
            // column headers, centred over their frames
            if (figure.columnHeaders() != null) {
                g.setColor(TEXT);
                for (int c = 0; c < l.columns(); c++) {
                    String h = figure.columnHeaders().get(c);
                    if (h == null) {
                        continue;
                    }
                    int x = l.cellX(style, c);
                    int y = style.padding() + l.headerBand() - Style.CAPTION_GAP - lines(h).size() * lh;
                    drawLines(g, h, x, y, l.cellWidth(), lh, true);
                }
            }
            for (int r = 0; r < l.rows(); r++) {
                Row row = figure.rows().get(r);
                int fy = l.frameY(style, r);
                if (l.labelColumn() > 0 && row.label() != null) {
                    g.setColor(TEXT);
                    List<String> ls = lines(row.label());
                    int y = fy + (l.frameHeight() - ls.size() * lh) / 2;
                    drawLines(g, row.label(), style.padding(), y, l.labelColumn() - style.gap(), lh, false);
                }
                for (int c = 0; c < l.columns(); c++) {
                    Cell cell = row.cells().get(c);
                    int cx = l.cellX(style, c);
                    int fx = cx + (l.cellWidth() - l.frameWidth()) / 2;
                    g.drawImage(cell.frame(), fx, fy, cell.frame().getWidth() * s, cell.frame().getHeight() * s, null);
                    if (cell.caption() != null) {
                        g.setColor(CAPTION);
                        drawLines(g, cell.caption(), cx, fy + l.frameHeight() + Style.CAPTION_GAP, l.cellWidth(), lh, true);
                    }
                }
            }
            if (figure.footer() != null) {
                g.setColor(TEXT);
                drawLines(g, figure.footer(), style.padding(), l.footerY(style) + Style.CAPTION_GAP,
                        l.width() - 2 * style.padding(), lh, false);
            }
        } finally {
            g.dispose();
        }
        return out;
    }

    /** The width of {@code label} (its widest line) in {@code style}'s font. */
    public static int textWidth(String label, Style style) {
        Graphics2D g = scratch();
        try {
            g.setFont(font(style));
            return width(g, label);
        } finally {
            g.dispose();
        }
    }

    private static Layout layout(Figure f, Style st, Graphics2D g) {
        g.setFont(font(st));
        int s = st.scale();
        BufferedImage first = f.rows().get(0).cells().get(0).frame();
        int fw = first.getWidth() * s;
        int fh = first.getHeight() * s;
        int cols = f.columns();
        int rows = f.rows().size();
        int lh = st.lineHeight();
        int cell = fw;
        int captionLines = 0;
        for (Row r : f.rows()) {
            for (Cell c : r.cells()) {
                if (c.caption() != null) {
                    cell = Math.max(cell, width(g, c.caption()));
                    captionLines = Math.max(captionLines, lines(c.caption()).size());
                }
            }
        }
        int headerLines = 0;
        if (f.columnHeaders() != null) {
            for (String h : f.columnHeaders()) {
                if (h != null) {
                    cell = Math.max(cell, width(g, h));
                    headerLines = Math.max(headerLines, lines(h).size());
                }
            }
        }
        int labelColumn = 0;
        if (st.rowLabels()) {
            int widest = 0;
            for (Row r : f.rows()) {
                if (r.label() != null) {
                    widest = Math.max(widest, width(g, r.label()));
                }
            }
            labelColumn = widest > 0 ? widest + st.gap() : 0;
        }
        int captionBand = captionLines > 0 ? Style.CAPTION_GAP + captionLines * lh : 0;
        int headerBand = headerLines > 0 ? headerLines * lh + Style.CAPTION_GAP : 0;
        int footerBand = f.footer() != null ? Style.CAPTION_GAP + lines(f.footer()).size() * lh : 0;
        int width = 2 * st.padding() + labelColumn + cols * cell + (cols - 1) * st.gap();
        if (f.footer() != null) {
            width = Math.max(width, 2 * st.padding() + width(g, f.footer()));
        }
        int height = 2 * st.padding() + headerBand + rows * (fh + captionBand) + (rows - 1) * st.gap() + footerBand;
        return new Layout(width, height, fw, fh, cell, labelColumn, headerBand, captionBand, footerBand, cols, rows);
    }

    // ---- text with the small markup ----

    private static Font font(Style st) {
        return new Font(Font.SANS_SERIF, Font.PLAIN, st.fontSize());
    }

    private static Graphics2D scratch() {
        Graphics2D g = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics();
        hints(g);
        return g;
    }

    private static void hints(Graphics2D g) {
        g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_NEAREST_NEIGHBOR);
        g.setRenderingHint(RenderingHints.KEY_RENDERING, RenderingHints.VALUE_RENDER_QUALITY);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_FRACTIONALMETRICS, RenderingHints.VALUE_FRACTIONALMETRICS_ON);
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
    }

    private static List<String> lines(String text) {
        return List.of(text.split("\n", -1));
    }

    /** A run of text: normal or subscript, with or without a hat over its (single) letter. */
    private record Piece(String text, boolean sub, boolean hat) {}

    private static List<Piece> pieces(String line) {
        List<Piece> out = new ArrayList<>();
        StringBuilder plain = new StringBuilder();
        boolean sub = false;
        for (int i = 0; i < line.length(); i++) {
            char ch = line.charAt(i);
            if (ch == '_' && !sub) {
                flush(out, plain, false);
                sub = true;
                continue;
            }
            if (sub && Character.isWhitespace(ch)) {
                flush(out, plain, true);
                sub = false;
            }
            if (i + 1 < line.length() && line.charAt(i + 1) == HAT) {
                flush(out, plain, sub);
                out.add(new Piece(String.valueOf(ch), sub, true));
                i++;
                continue;
            }
            plain.append(ch);
        }
        flush(out, plain, sub);
        return out;
    }

    private static void flush(List<Piece> out, StringBuilder text, boolean sub) {
        if (text.length() > 0) {
            out.add(new Piece(text.toString(), sub, false));
            text.setLength(0);
        }
    }

    private static Font subFont(Font f) {
        return f.deriveFont(f.getSize2D() * 0.72f);
    }

    private static int lineWidth(Graphics2D g, String line) {
        Font base = g.getFont();
        double w = 0;
        for (Piece p : pieces(line)) {
            Font f = p.sub() ? subFont(base) : base;
            w += f.getStringBounds(p.text(), g.getFontRenderContext()).getWidth();
        }
        return (int) Math.ceil(w);
    }

    private static int width(Graphics2D g, String text) {
        int w = 0;
        for (String line : lines(text)) {
            w = Math.max(w, lineWidth(g, line));
        }
        return w;
    }

    /** Draws the lines of {@code text} from top {@code y}, centred in (or left-aligned from) {@code x..x+w}. */
    private static void drawLines(Graphics2D g, String text, int x, int y, int w, int lineHeight, boolean centre) {
        Font base = g.getFont();
        FontMetrics fm = g.getFontMetrics(base);
        int ascent = fm.getAscent();
        int descent = fm.getDescent();
        int baselineOffset = (lineHeight - (ascent + descent)) / 2 + ascent;
        List<String> ls = lines(text);
        for (int i = 0; i < ls.size(); i++) {
            String line = ls.get(i);
            float lx = centre ? x + (w - lineWidth(g, line)) / 2f : x;
            float baseline = y + i * lineHeight + baselineOffset;
            for (Piece p : pieces(line)) {
                Font f = p.sub() ? subFont(base) : base;
                float by = p.sub() ? baseline + base.getSize2D() * 0.22f : baseline;
                g.setFont(f);
                g.drawString(p.text(), lx, by);
                double pw = f.getStringBounds(p.text(), g.getFontRenderContext()).getWidth();
                if (p.hat()) {
                    drawHat(g, f, lx, by, (float) pw);
                }
                lx += (float) pw;
            }
            g.setFont(base);
        }
    }

    /** A circumflex over a lower-case letter whose box starts at {@code x} with width {@code w}. */
    private static void drawHat(Graphics2D g, Font f, float x, float baseline, float w) {
        float size = f.getSize2D();
        float xHeight = size * 0.55f;
        float top = baseline - xHeight - size * 0.30f;
        float bottom = baseline - xHeight - size * 0.08f;
        float cx = x + w / 2f;
        float half = Math.max(2f, w * 0.30f);
        Path2D.Float hat = new Path2D.Float();
        hat.moveTo(cx - half, bottom);
        hat.lineTo(cx, top);
        hat.lineTo(cx + half, bottom);
        java.awt.Stroke old = g.getStroke();
        g.setStroke(new java.awt.BasicStroke(Math.max(1f, size / 13f), java.awt.BasicStroke.CAP_ROUND,
                java.awt.BasicStroke.JOIN_ROUND));
        g.draw(hat);
        g.setStroke(old);
    }
}

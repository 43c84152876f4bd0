package io.ldmstudio.ui.denoising;

import io.ldmstudio.runs.AtomicFiles;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * The report exports of a trajectory — a figure strip, an animated GIF and the raw frames — written
 * atomically (temporary file or folder, then a rename) so a reader never sees half a file. Plain
 * Java2D and ImageIO; call off the FX thread (latent frames are decoded on the way).
 *
 * <p>With a second trajectory (compare mode) its rows follow the first's: column {@code i} shows the
 * second trajectory at the same fraction of its steps ({@link Generation#mapStep}).
 */
public final class Exports {
    /** How long the GIF holds its last frame, so a loop shows the finished sample. */
    public static final int GIF_HOLD_LAST_MS = 1500;

    private Exports() {}

    /** The strip of {@code steps} (indices into {@code a}), one row per kind (and per trajectory). */
    public static FigureComposer.Figure strip(Generation a, Generation b, List<Integer> steps, List<FrameKind> kinds)
            throws IOException {
        if (kinds.isEmpty()) {
            throw new IllegalArgumentException("choose at least one row: x_t, x̂0 or ε̂");
        }
        List<FigureComposer.Row> rows = new ArrayList<>();
        Generation.Conditioning cond = a.settings().conditioning();
        boolean classRows = cond != null && cond.choice().rows();
        for (Generation g : b == null ? List.of(a) : List.of(a, b)) {
            for (FrameKind k : kinds) {
                if (classRows) { // one row per class: the step's images of each class in a row, named
                    int per = cond.choice().perClass();
                    List<String> names = cond.choice().rowLabels();
                    for (int c = 0; c < names.size(); c++) {
                        List<FigureComposer.Cell> cells = new ArrayList<>();
                        for (int i : steps) {
                            int j = g == a ? i : Generation.mapStep(i, a.size(), g.size());
                            cells.add(new FigureComposer.Cell(g.frameRow(j, k, c * per, per),
                                    b == null ? null : "step " + j + "\nt = " + g.t(j)));
                        }
                        String label = kinds.size() > 1 || b != null ? k.figureLabel() + " · " + names.get(c) : names.get(c);
                        rows.add(new FigureComposer.Row(b == null ? label : g.settings().title() + "\n" + label, cells));
                    }
                    continue;
                }
                List<FigureComposer.Cell> cells = new ArrayList<>();
                for (int i : steps) {
                    int j = g == a ? i : Generation.mapStep(i, a.size(), g.size());
                    cells.add(new FigureComposer.Cell(g.frame(j, k), "step " + j + "\nt = " + g.t(j)));
                }
                String label = b == null ? k.figureLabel() : g.settings().title() + "\n" + k.figureLabel();
                rows.add(new FigureComposer.Row(label, cells));
            }
        }
        List<String> headers = classRows && b == null
                ? steps.stream().map(i -> "step " + i + "\nt = " + a.t(i)).toList() : null;
        return new FigureComposer.Figure(headers, rows, cond == null ? null : conditionFooter(a, b));
    }

    /** {@code class ring · w = 2} (and the comparison's w when it differs): what a strip was conditioned on. */
    static String conditionFooter(Generation a, Generation b) {
        Generation.Conditioning c = a.settings().conditioning();
        String s = c.classLabel() + " · " + c.guidanceLabel();
        Generation.Conditioning c2 = b == null ? null : b.settings().conditioning();
        return c2 == null || c2.guidanceLabel().equals(c.guidanceLabel()) ? s : s + " (2nd: " + c2.guidanceLabel() + ")";
    }

    /**
     * A guidance sweep at step {@code i} as one figure: a column per scale headed {@code w = 2}, for each kind one
     * row per class named by it (one row per class), else one row naming the classes; the sampler, seed and step
     * underneath. Every trajectory must have step {@code i}.
     */
    public static FigureComposer.Figure sweep(List<Generation> sweep, int i, List<FrameKind> kinds) throws IOException {
        if (kinds.isEmpty()) {
            throw new IllegalArgumentException("choose at least one row: x_t, x̂0 or ε̂");
        }
        if (sweep.isEmpty() || sweep.get(0).settings().conditioning() == null) {
            throw new IllegalArgumentException("no guidance sweep to export: tick Sweep w and generate");
        }
        for (Generation g : sweep) {
            if (i < 0 || i >= g.size()) {
                throw new IllegalStateException(g.settings().conditioning().guidanceLabel() + " has no step " + i
                        + " (" + g.size() + " sampled)");
            }
        }
        Generation a = sweep.get(0);
        Generation.Conditioning cond = a.settings().conditioning();
        List<FigureComposer.Row> rows = new ArrayList<>();
        for (FrameKind k : kinds) {
            if (cond.choice().rows()) {
                int per = cond.choice().perClass();
                List<String> names = cond.choice().rowLabels();
                for (int c = 0; c < names.size(); c++) {
                    List<FigureComposer.Cell> cells = new ArrayList<>();
                    for (Generation g : sweep) {
                        cells.add(new FigureComposer.Cell(g.frameRow(i, k, c * per, per), null));
                    }
                    rows.add(new FigureComposer.Row(kinds.size() > 1 ? k.figureLabel() + " · " + names.get(c)
                            : names.get(c), cells));
                }
            } else {
                List<FigureComposer.Cell> cells = new ArrayList<>();
                for (Generation g : sweep) {
                    cells.add(new FigureComposer.Cell(g.frame(i, k), null));
                }
                rows.add(new FigureComposer.Row(kinds.size() > 1 ? k.figureLabel() + "\n" + cond.classLabel()
                        : cond.classLabel(), cells));
            }
        }
        List<String> headers = sweep.stream().map(g -> "w = " + io.ldmstudio.service.ClassChoice.formatScale(
                g.settings().conditioning().guidance())).toList();
        return new FigureComposer.Figure(headers, rows, sweepFooter(sweep, i));
    }

    /** {@code DDIM · 8 steps · η 0 · seed 3 · step 7/8 · t = 0}: under a sweep figure. */
    static String sweepFooter(List<Generation> sweep, int i) {
        Generation a = sweep.get(0);
        Generation.Conditioning cond = a.settings().conditioning();
        return a.settings().samplerLine() + (cond.rescale() > 0 ? " · φ = "
                + io.ldmstudio.service.ClassChoice.formatScale(cond.rescale()) : "") + " · "
                + (a.noiseFile() == null ? "seed " + a.settings().seed() : "x_T from " + a.noiseFile().getFileName())
                + " · " + a.stepLabel(i);
    }

    /**
     * Writes every step of a guidance sweep as one frame of a looping GIF — each the sweep figure of that step
     * ({@link #sweep}) — as {@link #writeGif} does; only the steps every scale has. Returns the number of frames.
     */
    public static int writeSweepGif(Path file, List<Generation> sweep, List<FrameKind> kinds, FigureComposer.Style style,
            int delayMs) throws IOException {
        int n = sweep.stream().mapToInt(Generation::size).min().orElse(0);
        return writeGif(file, n, i -> sweep(sweep, i, kinds), i -> sweepFooter(sweep, i), style, delayMs);
    }

    /** A figure of step {@code i}. */
    private interface FrameFigure {
        FigureComposer.Figure at(int i) throws IOException;
    }

    /** Renders the sweep figure at step {@code i} and writes it as one PNG at {@code file}, atomically. */
    public static BufferedImage writeSweep(Path file, List<Generation> sweep, int i, List<FrameKind> kinds,
            FigureComposer.Style style) throws IOException {
        BufferedImage img = FigureComposer.render(sweep(sweep, i, kinds), style);
        io.ldmstudio.data.ImageWriter.writePng(img, file);
        return img;
    }

    /** Renders the strip and writes it as one PNG at {@code file}, atomically. */
    public static BufferedImage writeStrip(Path file, Generation a, Generation b, List<Integer> steps,
            List<FrameKind> kinds, FigureComposer.Style style) throws IOException {
        BufferedImage img = FigureComposer.render(strip(a, b, steps, kinds), style);
        io.ldmstudio.data.ImageWriter.writePng(img, file);
        return img;
    }

    /** One GIF frame: the chosen kinds side by side, one row per trajectory, the step underneath. */
    public static FigureComposer.Figure gifFrame(Generation a, Generation b, int i, List<FrameKind> kinds)
            throws IOException {
        List<FigureComposer.Row> rows = new ArrayList<>();
        for (Generation g : b == null ? List.of(a) : List.of(a, b)) {
            int j = g == a ? i : Generation.mapStep(i, a.size(), g.size());
            List<FigureComposer.Cell> cells = new ArrayList<>();
            for (FrameKind k : kinds) {
                cells.add(new FigureComposer.Cell(g.frame(j, k), null));
            }
            rows.add(new FigureComposer.Row(b == null ? null : g.settings().title(), cells));
        }
        return new FigureComposer.Figure(kinds.stream().map(FrameKind::figureLabel).toList(), rows,
                gifFooter(a, b, i));
    }

    /** {@code step 3/8 · t = 624}, one line per trajectory. */
    static String gifFooter(Generation a, Generation b, int i) {
        if (b == null) {
            return a.stepLabel(i);
        }
        return a.settings().title() + ":  " + a.stepLabel(i) + "\n" + b.settings().title() + ":  "
                + b.stepLabel(Generation.mapStep(i, a.size(), b.size()));
    }

    /**
     * Writes every step of {@code a} as one frame of a looping GIF ({@code delayMs} per frame, the last
     * held for {@link #GIF_HOLD_LAST_MS}), atomically; frames are rendered one at a time as they are
     * written, all on one canvas size. Returns the number of frames.
     */
    public static int writeGif(Path file, Generation a, Generation b, List<FrameKind> kinds,
            FigureComposer.Style style, int delayMs) throws IOException {
        if (kinds.isEmpty()) {
            throw new IllegalArgumentException("choose at least one row: x_t, x̂0 or ε̂");
        }
        return writeGif(file, a.size(), i -> gifFrame(a, b, i, kinds), i -> gifFooter(a, b, i), style, delayMs);
    }

    private static int writeGif(Path file, int n, FrameFigure frames, java.util.function.IntFunction<String> footers,
            FigureComposer.Style style, int delayMs) throws IOException {
        if (n == 0) {
            throw new IllegalStateException("the trajectory has no steps yet");
        }
        // only the footer's width changes from frame to frame: size the canvas for the widest
        FigureComposer.Figure first = frames.at(0);
        FigureComposer.Layout content = FigureComposer.layout(
                new FigureComposer.Figure(first.columnHeaders(), first.rows(), null), style);
        int footerWidth = 0;
        for (int i = 0; i < n; i++) {
            footerWidth = Math.max(footerWidth, FigureComposer.textWidth(footers.apply(i), style));
        }
        final int width = Math.max(content.width(), 2 * style.padding() + footerWidth);
        final int height = FigureComposer.layout(first, style).height();
        AtomicFiles.write(file, out -> {
            ImageWriter writer = gifWriter();
            try (ImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
                writer.setOutput(ios);
                writer.prepareWriteSequence(null);
                for (int i = 0; i < n; i++) {
                    if (Thread.currentThread().isInterrupted()) {
                        throw new java.util.concurrent.CancellationException("GIF export cancelled");
                    }
                    BufferedImage frame = onCanvas(FigureComposer.render(i == 0 ? first : frames.at(i), style),
                            width, height);
                    int delay = i == n - 1 ? Math.max(delayMs, GIF_HOLD_LAST_MS) : delayMs;
                    ImageWriteParam param = writer.getDefaultWriteParam();
                    IIOMetadata meta = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(frame),
                            param);
                    gifMetadata(meta, delay, i == 0);
                    writer.writeToSequence(new IIOImage(frame, null, meta), param);
                }
                writer.endWriteSequence();
                ios.flush();
            } finally {
                writer.dispose();
            }
        });
        return n;
    }

    /**
     * Writes every step's x_t, x̂0 and ε̂ as PNGs ({@code xt-0007-t0859.png}, scale 1, n images tiled)
     * into a new folder {@code name} (made unique with -2, -3, … if taken) inside {@code parent}, published
     * atomically; with a second trajectory each gets a sub-folder named after its sampler and steps.
     * Returns the folder.
     */
    public static Path writeFrames(Path parent, String name, Generation a, Generation b) throws IOException {
        Files.createDirectories(parent);
        Path target = unique(parent, name);
        return AtomicFiles.publishDirectory(target, dir -> {
            if (b == null) {
                writeFramesInto(dir, a);
            } else {
                writeFramesInto(dir.resolve("a-" + a.settings().slug()), a);
                writeFramesInto(dir.resolve("b-" + b.settings().slug()), b);
            }
        });
    }

    /**
     * Writes a guidance sweep's frames as {@link #writeFrames} does, a sub-folder per scale ({@code w1}, {@code w4},
     * …). Returns the folder.
     */
    public static Path writeSweepFrames(Path parent, String name, List<Generation> sweep) throws IOException {
        Files.createDirectories(parent);
        Path target = unique(parent, name);
        return AtomicFiles.publishDirectory(target, dir -> {
            for (Generation g : sweep) {
                writeFramesInto(dir.resolve("w" + io.ldmstudio.service.ClassChoice.formatScale(
                        g.settings().conditioning().guidance())), g);
            }
        });
    }

    /** Counts the PNGs {@link #writeFrames} writes for one trajectory. */
    public static int frameFiles(Generation g) {
        return g.size() * FrameKind.values().length;
    }

    private static void writeFramesInto(Path dir, Generation g) throws IOException {
        Files.createDirectories(dir);
        for (int i = 0; i < g.size(); i++) {
            if (Thread.currentThread().isInterrupted()) {
                throw new java.util.concurrent.CancellationException("frame export cancelled");
            }
            for (FrameKind k : FrameKind.values()) {
                String file = String.format(Locale.ROOT, "%s-%04d-t%04d.png", k.filePrefix(), i, g.t(i));
                ImageIO.write(g.frame(i, k), "png", dir.resolve(file).toFile());
            }
        }
    }

    /** {@code name}, or {@code name-2}, {@code name-3}, … whichever does not exist in {@code parent}. */
    static Path unique(Path parent, String name) {
        Path p = parent.resolve(name);
        for (int i = 2; Files.exists(p); i++) {
            p = parent.resolve(name + "-" + i);
        }
        return p;
    }

    private static ImageWriter gifWriter() throws IOException {
        Iterator<ImageWriter> it = ImageIO.getImageWritersByFormatName("gif");
        if (!it.hasNext()) {
            throw new IOException("this Java has no GIF writer");
        }
        return it.next();
    }

    /** Frame delay, no disposal, and (on the first frame) the NETSCAPE2.0 loop-forever extension. */
    private static void gifMetadata(IIOMetadata meta, int delayMs, boolean first) throws IOException {
        String format = meta.getNativeMetadataFormatName();
        IIOMetadataNode root = (IIOMetadataNode) meta.getAsTree(format);
        IIOMetadataNode gce = child(root, "GraphicControlExtension");
        gce.setAttribute("disposalMethod", "none");
        gce.setAttribute("userInputFlag", "FALSE");
        gce.setAttribute("transparentColorFlag", "FALSE");
        gce.setAttribute("delayTime", Integer.toString(Math.max(1, Math.round(delayMs / 10f))));
        gce.setAttribute("transparentColorIndex", "0");
        if (first) {
            IIOMetadataNode apps = child(root, "ApplicationExtensions");
            IIOMetadataNode app = new IIOMetadataNode("ApplicationExtension");
            app.setAttribute("applicationID", "NETSCAPE");
            app.setAttribute("authenticationCode", "2.0");
            app.setUserObject(new byte[] {1, 0, 0}); // sub-block 1: loop count 0 = forever
            apps.appendChild(app);
        }
        meta.setFromTree(format, root);
    }

    private static IIOMetadataNode child(IIOMetadataNode root, String name) {
        for (int i = 0; i < root.getLength(); i++) {
            if (root.item(i).getNodeName().equalsIgnoreCase(name)) {
                return (IIOMetadataNode) root.item(i);
            }
        }
        IIOMetadataNode node = new IIOMetadataNode(name);
        root.appendChild(node);
        return node;
    }

    /** {@code img} top-left on a white {@code w×h} RGB canvas (every GIF frame the same size). */
    private static BufferedImage onCanvas(BufferedImage img, int w, int h) {
        if (img.getWidth() == w && img.getHeight() == h && img.getType() == BufferedImage.TYPE_INT_RGB) {
            return img;
        }
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, w, h);
        g.drawImage(img, 0, 0, null);
        g.dispose();
        return out;
    }
}

package io.ldmstudio.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ldmstudio.config.SamplerKind;
import io.ldmstudio.data.Grids;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.eval.ClassShare;
import io.ldmstudio.runs.AtomicFiles;
import io.ldmstudio.runs.Run;
import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.function.BooleanSupplier;
import javax.imageio.ImageIO;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogarithmicAxis;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.labels.ItemLabelAnchor;
import org.jfree.chart.labels.ItemLabelPosition;
import org.jfree.chart.labels.XYItemLabelGenerator;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.chart.title.TextTitle;
import org.jfree.chart.ui.TextAnchor;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * The quality/speed sweep of a run: for each sampler × each step count, {@code n} samples drawn with the same seeds
 * (as {@link DatasetFd#sample}: seeds {@code seed}, {@code seed + 1}, … per chunk, classes cycled), timed, and scored
 * by a {@link SamplesMetric} ({@code FD_<dataset>}, lower is better; the class share for a conditional run). The run's
 * weights are loaded once for the whole sweep. {@link #write} puts the table (Markdown, CSV, JSON), the plot of the
 * metric against sampling time and each cell's first {@value #GRID_IMAGES} samples as a grid into a folder.
 */
public final class SamplerSweep {
    /** Samples of each cell written as its grid. */
    public static final int GRID_IMAGES = 64;
    /** Plot size in pixels. */
    public static final int PLOT_WIDTH = 900;
    /** Plot size in pixels. */
    public static final int PLOT_HEIGHT = 600;

    /**
     * One sampler at one step count.
     *
     * @param seconds wall-clock seconds spent sampling the {@code n} images (not scoring them)
     * @param share   the class share of a conditional run; null otherwise
     * @param grid    the first {@value #GRID_IMAGES} samples (fewer when {@code n} is smaller), CHW in [-1, 1]
     */
    public record Cell(String sampler, int steps, double value, Optional<String> warning, ClassShare share,
            double seconds, int n, List<float[]> grid) {
        /** Sampling seconds per image. */
        public double secondsPerImage() {
            return seconds / n;
        }
    }

    /**
     * The whole sweep: what was sampled and scored, and its cells in order (samplers outer, steps inner).
     *
     * @param run            the run's or the pipeline folder's name
     * @param runDir         its folder
     * @param model          whether it is a pipeline folder rather than a run
     * @param settings       what was set on a pipeline folder for sampling ({@code scheduler.KEY=VALUE}; empty)
     * @param checkpointStep the run's checkpoint (0 for a pipeline folder)
     */
    public record Result(String run, Path runDir, boolean model, List<String> settings, long checkpointStep,
            String metric, int referenceImages, int n, long seed, double guidance, String device, int channels,
            int size, List<Cell> cells) {
        /** "run NAME (step N)" or "model NAME" with its settings. */
        public String subject() {
            return model ? "model " + run + (settings.isEmpty() ? "" : " (" + String.join(", ", settings) + ")")
                    : "run " + run + " (step " + checkpointStep + ")";
        }
    }

    /** Told of the sweep's progress, on the sweeping thread. */
    public interface Listener {
        /** Cell {@code index} (0-based) of {@code total} begins. */
        default void cellStarted(int index, int total, String sampler, int steps) {}

        /** A chunk of the current cell was sampled ("sampled 200/1000"). */
        default void line(String text) {}

        /** Cell {@code index} is done. */
        default void cellDone(int index, int total, Cell cell) {}
    }

    /** The files {@link #write} wrote. */
    public record Written(Path dir, Path markdown, Path csv, Path json, Path plot, List<Path> grids) {}

    private SamplerSweep() {}

    /** A comma-separated list of sampler keys; an unknown or repeated one is refused naming {@code option}. */
    public static List<String> parseSamplers(String text, String option) {
        List<String> out = new ArrayList<>();
        for (String part : split(text, option, SamplerKind.keys())) {
            String key = SamplerKind.parse(part, option + " " + text).key;
            if (out.contains(key)) {
                throw new IllegalArgumentException(option + " " + text + ": " + key + " is named twice");
            }
            out.add(key);
        }
        return out;
    }

    /**
     * A comma-separated list of step counts, each 1..{@code maxSteps}; anything else is refused naming
     * {@code option} and the allowed range.
     */
    public static List<Integer> parseSteps(String text, String option, int maxSteps) {
        LinkedHashSet<Integer> out = new LinkedHashSet<>();
        for (String part : split(text, option, List.of("positive whole numbers"))) {
            int k;
            try {
                k = Integer.parseInt(part);
            } catch (NumberFormatException e) {
                k = -1;
            }
            if (k < 1 || k > maxSteps) {
                throw new IllegalArgumentException(option + " " + text + ": '" + part + "' is not a step count; expected"
                        + " whole numbers from 1 to " + maxSteps + ", e.g. 10,20,50");
            }
            if (!out.add(k)) {
                throw new IllegalArgumentException(option + " " + text + ": " + k + " is named twice");
            }
        }
        return List.copyOf(out);
    }

    private static List<String> split(String text, String option, List<String> expected) {
        List<String> parts = new ArrayList<>();
        for (String p : (text == null ? "" : text).split(",", -1)) {
            parts.add(p.strip());
        }
        if (parts.isEmpty() || parts.stream().anyMatch(String::isEmpty)) {
            throw new IllegalArgumentException(option + " '" + text + "': an empty item; expected a comma-separated"
                    + " list of " + String.join(", ", expected));
        }
        return parts;
    }

    /**
     * Runs the sweep on the caller's thread. {@code cancelled} is polled between sampling steps; when it turns true
     * the sweep stops with a {@link CancellationException}.
     *
     * @param guidance the guidance scale of a class-conditional run (null: its {@code conditioning.guidance})
     */
    public static Result run(Run run, SamplesMetric scorer, List<String> samplers, List<Integer> steps, int n,
            Double guidance, long seed, Devices.DeviceInfo device, Listener listener, BooleanSupplier cancelled)
            throws IOException {
        return run(SampleSource.of(run), scorer, samplers, steps, n, guidance, seed, device, listener, cancelled);
    }

    /** As {@link #run(Run, SamplesMetric, List, List, int, Double, long, Devices.DeviceInfo, Listener,
     * BooleanSupplier)}, for a run or a diffusers pipeline folder. */
    public static Result run(SampleSource source, SamplesMetric scorer, List<String> samplers, List<Integer> steps,
            int n, Double guidance, long seed, Devices.DeviceInfo device, Listener listener, BooleanSupplier cancelled)
            throws IOException {
        if (samplers.isEmpty() || steps.isEmpty()) {
            throw new IllegalArgumentException("a sweep needs at least one sampler and one step count");
        }
        if (n < 2) {
            throw new IllegalArgumentException("--n " + n + ": a covariance needs at least 2 samples");
        }
        Listener l = listener != null ? listener : new Listener() {};
        BooleanSupplier stop = cancelled != null ? cancelled : () -> false;
        int total = samplers.size() * steps.size();
        List<Cell> cells = new ArrayList<>();
        double w = Double.NaN;
        long checkpoint;
        int channels;
        int size;
        try (SampleSource.Generator g = source.open(device)) {
            checkpoint = g.checkpointStep();
            channels = source.channels();
            size = source.size();
            // untimed warm-up at the chunk's batch size: the first call of each shape pays for the engine's
            // kernels (oneDNN primitives are made per shape) and the JIT
            for (String sampler : samplers) {
                DatasetFd.sample(g, sampler, 1, guidance, seed, Math.min(n, DatasetFd.CHUNK), null, stop);
            }
            for (String sampler : samplers) {
                for (int k : steps) {
                    if (stop.getAsBoolean()) {
                        throw new CancellationException("sweep cancelled");
                    }
                    int index = cells.size();
                    l.cellStarted(index, total, sampler, k);
                    DatasetFd.Samples s = DatasetFd.sample(g, sampler, k, guidance, seed, n, l::line, stop);
                    w = s.guidance();
                    SamplesMetric.Score score = scorer.score(s);
                    int len = s.channels() * s.size() * s.size();
                    List<float[]> grid = Grids.split(s.images(), Math.min(GRID_IMAGES, n), len);
                    Cell c = new Cell(sampler, k, score.value(), score.warning(), score.share(), s.seconds(), n, grid);
                    cells.add(c);
                    l.cellDone(index, total, c);
                }
            }
        }
        return new Result(source.name(), source.dir(), source instanceof SampleSource.OfPipeline,
                source instanceof SampleSource.OfPipeline op ? op.settings() : List.of(), checkpoint, scorer.metric(),
                scorer.referenceImages(), n, seed, w,
                String.format(Locale.ROOT, "%s, %d threads", device.name(), device.threads()), channels, size,
                List.copyOf(cells));
    }

    /** {@code RUN/eval/sweep-<UTC time>}: the folder a run's sweep is written to by default. */
    public static Path defaultFolder(Path runDir, Instant now) {
        return runDir.resolve("eval").resolve(folderName(now));
    }

    /** {@code dir}, or when it exists already {@code dir-2}, {@code dir-3}, …: a sweep never writes into another's. */
    static Path unused(Path dir) {
        Path p = dir;
        for (int k = 2; Files.exists(p); k++) {
            p = dir.resolveSibling(dir.getFileName() + "-" + k);
        }
        return p;
    }

    /** {@code sweep-<UTC time>}. */
    static String folderName(Instant now) {
        return "sweep-" + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT).withZone(ZoneOffset.UTC)
                .format(now);
    }

    /** The table as Markdown: one row per cell. */
    public static String markdown(Result r) {
        boolean share = r.cells().stream().anyMatch(c -> c.share() != null);
        StringBuilder b = new StringBuilder();
        b.append(String.format(Locale.ROOT, "%s of %s, %d samples a cell (seed %d) against %d held-out"
                + " images%s; lower is better%n%n", r.metric(), r.subject(), r.n(), r.seed(),
                r.referenceImages(), Double.isNaN(r.guidance()) ? "" : String.format(Locale.ROOT, ", guidance %s",
                        r.guidance())));
        b.append("| sampler | steps | ").append(r.metric()).append(share ? " | class share" : "")
                .append(" | sampling s | s/image | s/1000 images |\n");
        b.append("|---|---:|---:|").append(share ? "---:|" : "").append("---:|---:|---:|\n");
        for (Cell c : r.cells()) {
            b.append(String.format(Locale.ROOT, "| %s | %d | %.4f%s | %.2f | %.4f | %.1f |%n", c.sampler(), c.steps(),
                    c.value(), share ? String.format(Locale.ROOT, " | %.2f%%", 100 * c.share().share()) : "",
                    c.seconds(), c.secondsPerImage(), 1000 * c.secondsPerImage()));
        }
        return b.toString();
    }

    /** The table as CSV with a header row; one row per cell. */
    public static String csv(Result r) {
        StringBuilder b = new StringBuilder("sampler,steps,metric,value,class_share,n,sample_seconds,seconds_per_image,"
                + "warning\n");
        for (Cell c : r.cells()) {
            b.append(String.format(Locale.ROOT, "%s,%d,%s,%s,%s,%d,%s,%s,%s%n", c.sampler(), c.steps(), r.metric(),
                    c.value(), c.share() == null ? "" : Double.toString(c.share().share()), c.n(), c.seconds(),
                    c.secondsPerImage(), c.warning().map(w -> "\"" + w.replace("\"", "\"\"") + "\"").orElse("")));
        }
        return b.toString();
    }

    /** The sweep as one JSON object: what was sampled, and {@code cells}, one object per cell. */
    public static ObjectNode json(Result r) {
        ObjectNode o = new ObjectMapper().createObjectNode();
        if (r.model()) {
            o.put("model", r.run());
            o.put("model_dir", r.runDir().toString());
            if (!r.settings().isEmpty()) {
                ArrayNode set = o.putArray("settings");
                r.settings().forEach(set::add);
            }
        } else {
            o.put("run", r.run());
            o.put("checkpoint_step", r.checkpointStep());
        }
        o.put("metric", r.metric());
        o.put("reference_images", r.referenceImages());
        o.put("n", r.n());
        o.put("seed", r.seed());
        if (!Double.isNaN(r.guidance())) {
            o.put("guidance", r.guidance());
        }
        o.put("device", r.device());
        ArrayNode cells = o.putArray("cells");
        for (Cell c : r.cells()) {
            ObjectNode e = cells.addObject();
            e.put("sampler", c.sampler());
            e.put("steps", c.steps());
            e.put("value", c.value());
            if (c.share() != null) {
                e.put("class_share", c.share().share());
            }
            e.put("sample_seconds", c.seconds());
            e.put("seconds_per_image", c.secondsPerImage());
            c.warning().ifPresent(w -> e.put("warning", w));
        }
        return o;
    }

    /**
     * The plot: the metric (y, lower is better) against sampling seconds per 1000 images (x, log scale when the
     * times span more than a factor of 4), one line per sampler, each point labelled with its step count.
     */
    public static JFreeChart chart(Result r) {
        XYSeriesCollection data = new XYSeriesCollection();
        double lo = Double.MAX_VALUE;
        double hi = 0;
        for (Cell c : r.cells()) {
            XYSeries s;
            int at = data.getSeriesIndex(title(c.sampler()));
            if (at < 0) {
                s = new XYSeries(title(c.sampler()), false, true);
                data.addSeries(s);
            } else {
                s = data.getSeries(at);
            }
            double x = 1000 * c.secondsPerImage();
            s.add(x, c.value());
            lo = Math.min(lo, x);
            hi = Math.max(hi, x);
        }
        String xLabel = "sampling time: seconds per 1000 images (" + r.device() + ")";
        if (hi > 4 * lo) {
            LogarithmicAxis log = new LogarithmicAxis(xLabel + ", log scale");
            log.setStrictValuesFlag(false);
            log.setExpTickLabelsFlag(false);
            log.setLog10TickLabelsFlag(false);
            log.setNumberFormatOverride(new java.text.DecimalFormat("0.###",
                    java.text.DecimalFormatSymbols.getInstance(Locale.ROOT)));
            log.setRange(lo / 1.3, hi * 1.3);
            return chart(r, plot(r, data, log));
        }
        NumberAxis x = new NumberAxis(xLabel);
        x.setAutoRangeIncludesZero(false);
        double pad = Math.max((hi - lo) * 0.12, hi * 0.05);
        x.setRange(Math.max(0, lo - pad), hi + pad);
        return chart(r, plot(r, data, x));
    }

    private static String title(String key) {
        return SamplerKind.parse(key, "sampler").title;
    }

    /** A sampler's line colour, the same in every plot: DDPM green, DDIM blue, DPM-Solver++ red. */
    static Color color(String samplerTitle) {
        for (SamplerKind k : SamplerKind.values()) {
            if (k.title.equals(samplerTitle)) {
                return switch (k) {
                    case DDPM -> new Color(0x2ca02c);
                    case DDIM -> new Color(0x1f77b4);
                    case DPMPP -> new Color(0xd62728);
                };
            }
        }
        return new Color(0x9467bd);
    }

    private static XYPlot plot(Result r, XYSeriesCollection data, org.jfree.chart.axis.ValueAxis x) {
        NumberAxis y = new NumberAxis(r.metric() + " (lower is better)");
        y.setAutoRangeIncludesZero(false);
        // at least a tenth of the values' size tall: one cell, or equal values, would otherwise get a range of
        // nothing and tick labels that all read the same
        double maxAbs = r.cells().stream().mapToDouble(c -> Math.abs(c.value())).filter(Double::isFinite).max()
                .orElse(1);
        y.setAutoRangeMinimumSize(Math.max(1e-6, 0.1 * maxAbs));
        // labels alternately above and below the points, so that two close points keep both readable
        ItemLabelPosition above = new ItemLabelPosition(ItemLabelAnchor.OUTSIDE12, TextAnchor.BOTTOM_CENTER);
        ItemLabelPosition below = new ItemLabelPosition(ItemLabelAnchor.OUTSIDE6, TextAnchor.TOP_CENTER);
        XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, true) {
            @Override
            public ItemLabelPosition getPositiveItemLabelPosition(int series, int item) {
                return (item + series) % 2 == 0 ? above : below;
            }
        };
        for (int i = 0; i < data.getSeriesCount(); i++) {
            renderer.setSeriesPaint(i, color((String) data.getSeriesKey(i)));
            renderer.setSeriesStroke(i, new BasicStroke(2f));
        }
        XYItemLabelGenerator steps = (dataset, series, item) -> {
            String sampler = (String) dataset.getSeriesKey(series);
            int k = 0;
            for (Cell c : r.cells()) {
                if (title(c.sampler()).equals(sampler)) {
                    if (k++ == item) {
                        return Integer.toString(c.steps());
                    }
                }
            }
            return "";
        };
        renderer.setDefaultItemLabelGenerator(steps);
        renderer.setDefaultItemLabelsVisible(true);
        renderer.setDefaultItemLabelFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        XYPlot plot = new XYPlot(data, x, y, renderer);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinePaint(new Color(0xdddddd));
        plot.setRangeGridlinePaint(new Color(0xdddddd));
        // room above the highest point for its label
        plot.getRangeAxis().setUpperMargin(0.12);
        plot.getRangeAxis().setLowerMargin(0.08);
        return plot;
    }

    private static JFreeChart chart(Result r, XYPlot plot) {
        JFreeChart chart = new JFreeChart(String.format(Locale.ROOT, "%s against sampling time — %s", r.metric(),
                r.model() ? r.subject() : "run " + r.run() + ", step " + r.checkpointStep()), new Font(Font.SANS_SERIF, Font.BOLD, 16), plot, true);
        chart.addSubtitle(new TextTitle(String.format(Locale.ROOT, "%d samples a cell, the same seeds in every cell%s;"
                + " point labels: step counts", r.n(), Double.isNaN(r.guidance()) ? ""
                        : String.format(Locale.ROOT, ", guidance %s", r.guidance())),
                new Font(Font.SANS_SERIF, Font.PLAIN, 12)));
        chart.setBackgroundPaint(Color.WHITE);
        return chart;
    }

    /**
     * Writes {@code sweep.md}, {@code sweep.csv}, {@code sweep.json}, {@code sweep.png} (the plot) and
     * {@code samples-<sampler>-<steps>.png} (each cell's first {@value #GRID_IMAGES} samples) into {@code dir}, each
     * file atomically.
     */
    public static Written write(Result r, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path md = dir.resolve("sweep.md");
        Path csv = dir.resolve("sweep.csv");
        Path json = dir.resolve("sweep.json");
        Path png = dir.resolve("sweep.png");
        AtomicFiles.writeString(md, markdown(r));
        AtomicFiles.writeString(csv, csv(r));
        AtomicFiles.writeString(json, json(r).toPrettyString() + "\n");
        JFreeChart chart = chart(r);
        AtomicFiles.write(png, out -> ChartUtils.writeChartAsPNG(out, chart, PLOT_WIDTH, PLOT_HEIGHT));
        List<Path> grids = new ArrayList<>();
        for (Cell c : r.cells()) {
            Path g = dir.resolve("samples-" + c.sampler() + "-" + c.steps() + ".png");
            BufferedImage img = Grids.grid(c.grid(), r.channels(), r.size(), r.size());
            AtomicFiles.write(g, out -> {
                if (!ImageIO.write(img, "png", out)) {
                    throw new IOException("no PNG writer for " + g);
                }
            });
            grids.add(g);
        }
        return new Written(dir, md, csv, json, png, List.copyOf(grids));
    }
}

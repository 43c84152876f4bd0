package io.ldmstudio.runs;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ldmstudio.config.Configs;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads and appends {@code metrics.jsonl}: one JSON object per line, a {@link MetricsRow} of the loss, or an
 * {@link EvalRow} (a line with an {@code eval} object) when the run measured its quality. {@link #read} and
 * {@link #parse} see the loss rows only, {@link #readEvals} and {@link #parseEval} the evaluation rows only.
 *
 * <p>Reading is forgiving: a line that does not parse (the last line cut short by a crash, or such a
 * line left in the middle by an earlier crash) is skipped, never thrown.
 */
public final class MetricsLog {
    private static final Set<String> KNOWN = Set.of("step", "loss", "lr", "grad_norm", "images_per_s", "time");
    private static final ObjectWriter COMPACT = Configs.MAPPER.writer().without(SerializationFeature.INDENT_OUTPUT);
    private static final int TAIL_BYTES = 64 * 1024;
    /** The key of an evaluation row's object. */
    public static final String EVAL = "eval";

    private MetricsLog() {}

    /** Every readable row in file order; a missing file is empty. */
    public static List<MetricsRow> read(Path file) throws IOException {
        List<MetricsRow> rows = new ArrayList<>();
        if (!Files.exists(file)) {
            return rows;
        }
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                parse(line).ifPresent(rows::add);
            }
        }
        return rows;
    }

    /** The last readable row, reading only the end of the file when it can. */
    public static Optional<MetricsRow> lastRow(Path file) throws IOException {
        return last(file, MetricsLog::parse);
    }

    /** The last evaluation row, reading only the end of the file when it can. */
    public static Optional<EvalRow> lastEval(Path file) throws IOException {
        return last(file, MetricsLog::parseEval);
    }

    private static <T> Optional<T> last(Path file, java.util.function.Function<String, Optional<T>> parser)
            throws IOException {
        if (!Files.exists(file)) {
            return Optional.empty();
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            long size = raf.length();
            int n = (int) Math.min(size, TAIL_BYTES);
            byte[] tail = new byte[n];
            raf.seek(size - n);
            raf.readFully(tail);
            String[] lines = new String(tail, StandardCharsets.UTF_8).split("\n");
            // lines[0] may be cut by the window; it is only trusted when the window is the whole file
            for (int i = lines.length - 1; i >= (n == size ? 0 : 1); i--) {
                Optional<T> row = parser.apply(lines[i]);
                if (row.isPresent()) {
                    return row;
                }
            }
            if (n == size) {
                return Optional.empty();
            }
        }
        Optional<T> found = Optional.empty();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                Optional<T> row = parser.apply(line);
                if (row.isPresent()) {
                    found = row;
                }
            }
        }
        return found;
    }

    /** Every readable evaluation row in file order; a missing file is empty. */
    public static List<EvalRow> readEvals(Path file) throws IOException {
        List<EvalRow> rows = new ArrayList<>();
        if (!Files.exists(file)) {
            return rows;
        }
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            while ((line = in.readLine()) != null) {
                parseEval(line).ifPresent(rows::add);
            }
        }
        return rows;
    }

    /** Appends one evaluation row (see {@link AtomicFiles#appendLine}). */
    public static void appendEval(Path file, EvalRow row) throws IOException {
        AtomicFiles.appendLine(file, formatEval(row));
    }

    /** One evaluation row as a compact JSON line ({@code class_share} only when it is a number). */
    public static String formatEval(EvalRow row) {
        ObjectNode node = Configs.MAPPER.createObjectNode();
        node.put("step", row.step());
        ObjectNode e = node.putObject(EVAL);
        e.put("metric", row.metric());
        e.put("value", row.value());
        e.put("n", row.n());
        e.put("sampler", row.sampler());
        e.put("steps", row.steps());
        e.put("seconds", row.seconds());
        if (!Double.isNaN(row.classShare())) {
            e.put("class_share", row.classShare());
        }
        try {
            return COMPACT.writeValueAsString(node);
        } catch (IOException ex) {
            throw new IllegalStateException(ex);
        }
    }

    /**
     * An evaluation row from one line, or empty if the line is not one (a loss row, blank, cut short, no integer
     * {@code step}, or an {@code eval} object without a textual {@code metric}).
     */
    public static Optional<EvalRow> parseEval(String line) {
        JsonNode node = tree(line);
        if (node == null || !node.path(EVAL).isObject() || !node.path(EVAL).path("metric").isTextual()) {
            return Optional.empty();
        }
        JsonNode e = node.get(EVAL);
        return Optional.of(new EvalRow(node.get("step").longValue(), e.get("metric").textValue(),
                number(e.get("value")), e.path("n").asInt(), e.path("sampler").asText(""), e.path("steps").asInt(),
                number(e.get("seconds")), number(e.get("class_share"))));
    }

    /** A line's JSON object when it has an integer {@code step}; null otherwise. */
    private static JsonNode tree(String line) {
        if (line == null || line.isBlank()) {
            return null;
        }
        JsonNode node;
        try {
            node = Configs.MAPPER.readTree(line);
        } catch (IOException e) {
            return null;
        }
        if (node == null || !node.isObject() || node.get("step") == null || !node.get("step").canConvertToLong()
                || !node.get("step").isIntegralNumber()) {
            return null;
        }
        return node;
    }

    /** Appends one row (see {@link AtomicFiles#appendLine}). */
    public static void append(Path file, MetricsRow row) throws IOException {
        AtomicFiles.appendLine(file, format(row));
    }

    /**
     * Drops every row after {@code step} (and any line that does not parse), rewriting the file
     * atomically; the kept lines stay as they were, byte for byte. Used before a run goes on from a
     * checkpoint, so the log holds one history.
     *
     * @return the number of rows dropped (0 leaves the file untouched)
     */
    public static int truncateAfter(Path file, long step) throws IOException {
        if (!Files.exists(file)) {
            return 0;
        }
        StringBuilder kept = new StringBuilder();
        int dropped = 0;
        boolean broken = false;
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            JsonNode node = tree(line);
            Optional<Long> row = node == null ? Optional.empty() : Optional.of(node.get("step").longValue());
            if (row.isPresent() && row.get() <= step) {
                kept.append(line).append('\n');
            } else if (row.isPresent()) {
                dropped++;
            } else if (!line.isBlank()) {
                broken = true;
            }
        }
        if (dropped > 0 || broken) {
            AtomicFiles.writeString(file, kept.toString());
        }
        return dropped;
    }

    /** One row as a compact JSON line. */
    public static String format(MetricsRow row) {
        ObjectNode node = Configs.MAPPER.createObjectNode();
        node.put("step", row.step());
        node.put("loss", row.loss());
        node.put("lr", row.lr());
        node.put("grad_norm", row.gradNorm());
        node.put("images_per_s", row.imagesPerS());
        node.put("time", row.time());
        row.extra().forEach(node::put);
        try {
            return COMPACT.writeValueAsString(node);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * A row from one line, or empty if the line is blank, cut short, has no integer {@code step}, or is an
     * evaluation row (it has an {@code eval} object: {@link #parseEval}).
     */
    public static Optional<MetricsRow> parse(String line) {
        JsonNode node = tree(line);
        if (node == null || node.has(EVAL)) {
            return Optional.empty();
        }
        Map<String, Double> extra = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> fields = node.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> e = fields.next();
            if (!KNOWN.contains(e.getKey())) {
                JsonNode v = e.getValue();
                double d = number(v);
                if (v.isNumber() || !Double.isNaN(d) || (v.isTextual() && "NaN".equals(v.textValue()))) {
                    extra.put(e.getKey(), d);
                }
            }
        }
        return Optional.of(new MetricsRow(node.get("step").longValue(), number(node.get("loss")),
                number(node.get("lr")), number(node.get("grad_norm")), number(node.get("images_per_s")),
                time(node.get("time")), extra));
    }

    private static double number(JsonNode v) {
        if (v == null || v.isNull()) {
            return Double.NaN;
        }
        if (v.isNumber()) {
            return v.doubleValue();
        }
        if (v.isTextual()) {
            try {
                return Double.parseDouble(v.textValue());
            } catch (NumberFormatException e) {
                return Double.NaN;
            }
        }
        return Double.NaN;
    }

    /** Seconds; an ISO-8601 instant is read as epoch seconds, so a writer using either still reads. */
    private static double time(JsonNode v) {
        if (v != null && v.isTextual()) {
            try {
                return Instant.parse(v.textValue()).toEpochMilli() / 1000.0;
            } catch (DateTimeParseException e) {
                return number(v);
            }
        }
        return number(v);
    }
}

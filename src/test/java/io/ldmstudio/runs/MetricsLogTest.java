package io.ldmstudio.runs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MetricsLogTest {
    @TempDir
    Path dir;

    @Test
    void writesAndReadsRowsWithExtrasAndNaN() throws IOException {
        Path f = dir.resolve("metrics.jsonl");
        MetricsRow a = new MetricsRow(10, 0.5, 2e-4, 1.25, 96.5, 3.0);
        MetricsRow b = new MetricsRow(20, Double.NaN, 2e-4, Double.POSITIVE_INFINITY, 97, 6.5, Map.of("val_loss", 0.4));
        MetricsLog.append(f, a);
        MetricsLog.append(f, b);
        assertEquals(List.of(a, b), MetricsLog.read(f));
        assertEquals(b, MetricsLog.lastRow(f).orElseThrow());
        assertTrue(Files.readAllLines(f).get(0).startsWith("{\"step\":10,\"loss\":0.5,\"lr\":2.0E-4,\"grad_norm\":1.25"));
    }

    @Test
    void truncatingAfterAStepKeepsTheEarlierLinesByteForByteAndDropsTheRest() throws IOException {
        Path f = dir.resolve("metrics.jsonl");
        for (long s = 10; s <= 50; s += 10) {
            MetricsLog.append(f, new MetricsRow(s, 1.0 / s, 1e-4, 0.5, 100, s, Map.of("epoch", 0.0)));
        }
        Files.writeString(f, "{\"step\": 6", StandardOpenOption.APPEND); // a line cut short by a kill
        List<String> before = Files.readAllLines(f);

        assertEquals(3, MetricsLog.truncateAfter(f, 25));
        List<String> after = Files.readAllLines(f);
        assertEquals(before.subList(0, 2), after, "rows 10 and 20 as they were; 30-50 and the broken line gone");
        assertEquals(List.of(10L, 20L), MetricsLog.read(f).stream().map(MetricsRow::step).toList());

        assertEquals(0, MetricsLog.truncateAfter(f, 25), "nothing more to drop");
        assertEquals(before.subList(0, 2), Files.readAllLines(f));
        assertEquals(2, MetricsLog.truncateAfter(f, 0), "a run going on from scratch keeps no rows");
        assertTrue(MetricsLog.read(f).isEmpty());
        assertEquals(0, MetricsLog.truncateAfter(dir.resolve("none.jsonl"), 5), "a missing file is no error");
    }

    @Test
    void aTruncatedLastLineIsSkipped() throws IOException {
        Path f = dir.resolve("metrics.jsonl");
        MetricsLog.append(f, new MetricsRow(10, 0.5, 1e-4, 1, 1, 1));
        MetricsLog.append(f, new MetricsRow(20, 0.4, 1e-4, 1, 1, 2));
        Files.writeString(f, "{\"step\":30,\"loss\":0.3,\"l", StandardOpenOption.APPEND);
        List<MetricsRow> rows = MetricsLog.read(f);
        assertEquals(List.of(10L, 20L), rows.stream().map(MetricsRow::step).toList());
        assertEquals(20, MetricsLog.lastRow(f).orElseThrow().step());

        // the next append after the crash is read again, and the broken line stays skipped
        MetricsLog.append(f, new MetricsRow(40, 0.2, 1e-4, 1, 1, 4));
        assertEquals(List.of(10L, 20L, 40L), MetricsLog.read(f).stream().map(MetricsRow::step).toList());
        assertEquals(40, MetricsLog.lastRow(f).orElseThrow().step());
    }

    @Test
    void toleratesMissingFieldsOtherWritersAndMissingFiles() throws IOException {
        Path f = dir.resolve("m.jsonl");
        assertEquals(List.of(), MetricsLog.read(f));
        assertTrue(MetricsLog.lastRow(f).isEmpty());
        Files.writeString(f, "{\"step\": 5, \"loss\": 1.5, \"time\": \"2026-01-01T00:00:00Z\", \"phase\": \"warmup\"}\n"
                + "not json\n[1,2]\n{\"loss\": 2}\n\n");
        List<MetricsRow> rows = MetricsLog.read(f);
        assertEquals(1, rows.size());
        MetricsRow r = rows.get(0);
        assertEquals(1.5, r.loss());
        assertTrue(Double.isNaN(r.lr()));
        assertEquals(1767225600.0, r.time());
        assertEquals(Map.of(), r.extra(), "non-numeric extras are dropped");
        assertEquals(r, MetricsLog.lastRow(f).orElseThrow());
    }

    @Test
    void lastRowReadsOnlyTheTailOfALongLog() throws IOException {
        Path f = dir.resolve("metrics.jsonl");
        StringBuilder sb = new StringBuilder();
        for (int step = 1; step <= 5000; step++) {
            sb.append(MetricsLog.format(new MetricsRow(step, 1.0 / step, 2e-4, 1, 100, step))).append('\n');
        }
        Files.writeString(f, sb + "{\"step\":5001,");
        assertTrue(Files.size(f) > 128 * 1024);
        assertEquals(5000, MetricsLog.lastRow(f).orElseThrow().step());
    }
}

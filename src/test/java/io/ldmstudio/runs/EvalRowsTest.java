package io.ldmstudio.runs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.config.RunConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Evaluation rows in metrics.jsonl: their JSON form, the loss readers skipping them, a resume truncating them with
 * the loss rows, the best checkpoint beside the step checkpoints, and the listing's quality figures.
 */
class EvalRowsTest {
    @TempDir
    Path dir;

    private static final EvalRow E20 = new EvalRow(20, "FD_procedural", 3.25, 40, "ddim", 3, 1.5, Double.NaN);
    private static final EvalRow E40 = new EvalRow(40, "FD_procedural", 2.5, 40, "ddim", 3, 1.25, 0.75);

    private Path mixed() throws IOException {
        Path f = dir.resolve("metrics.jsonl");
        for (long s = 10; s <= 40; s += 10) {
            MetricsLog.append(f, new MetricsRow(s, 1.0 / s, 1e-4, 0.5, 100, s));
            if (s == 20) {
                MetricsLog.appendEval(f, E20);
            } else if (s == 40) {
                MetricsLog.appendEval(f, E40);
            }
        }
        return f;
    }

    @Test
    void anEvaluationRowIsALineWithAnEvalObjectAndReadsBack() throws IOException {
        assertEquals("{\"step\":20,\"eval\":{\"metric\":\"FD_procedural\",\"value\":3.25,\"n\":40,\"sampler\":\"ddim\","
                + "\"steps\":3,\"seconds\":1.5}}", MetricsLog.formatEval(E20), "no class_share when it is NaN");
        assertTrue(MetricsLog.formatEval(E40).endsWith("\"seconds\":1.25,\"class_share\":0.75}}"));
        Path f = mixed();
        assertEquals(List.of(E20, E40), MetricsLog.readEvals(f));
        assertEquals(E40, MetricsLog.lastEval(f).orElseThrow());
        assertTrue(MetricsLog.parseEval("{\"step\":5,\"loss\":0.1}").isEmpty());
        assertTrue(MetricsLog.parseEval("{\"step\":5,\"eval\":{\"value\":1}}").isEmpty(), "no metric: not a row");
        assertTrue(MetricsLog.lastEval(dir.resolve("none.jsonl")).isEmpty());
    }

    @Test
    void lossReadersSkipEvaluationRows() throws IOException {
        Path f = mixed();
        List<MetricsRow> rows = MetricsLog.read(f);
        assertEquals(List.of(10L, 20L, 30L, 40L), rows.stream().map(MetricsRow::step).toList());
        assertTrue(rows.stream().allMatch(r -> Double.isFinite(r.loss()) && r.extra().isEmpty()));
        MetricsRow last = MetricsLog.lastRow(f).orElseThrow();
        assertEquals(40, last.step(), "the last line is an evaluation row; the last loss row is found");
        assertEquals(1.0 / 40, last.loss(), 0.0);
        assertTrue(MetricsLog.parse(MetricsLog.formatEval(E20)).isEmpty());
    }

    @Test
    void aResumeTruncatesEvaluationRowsWithTheLossRows() throws IOException {
        Path f = mixed();
        List<String> before = Files.readAllLines(f);
        assertEquals(3, MetricsLog.truncateAfter(f, 25), "loss rows 30 and 40 and the evaluation of 40");
        assertEquals(before.subList(0, 3), Files.readAllLines(f), "rows 10, 20 and the evaluation of 20 unchanged");
        assertEquals(List.of(E20), MetricsLog.readEvals(f));
        assertEquals(0, MetricsLog.truncateAfter(f, 20), "an evaluation row is not a broken line");
    }

    @Test
    void theBestCheckpointIsACopyWithBestJsonAndNeverAStepCheckpoint() throws IOException {
        Run run = new Workspace(dir.resolve("ws")).create("r", RunConfig.defaults());
        assertTrue(run.best().isEmpty());
        for (long step : new long[] {10, 20, 30}) {
            run.saveCheckpoint(step, d -> {
                Files.writeString(d.resolve(Checkpoint.MODEL_FILE), "weights of " + step);
                Files.writeString(d.resolve(Run.CHECKPOINT_STATE), "{\"step\":" + step + "}");
            });
        }
        run.saveBest(new Checkpoint(20, run.checkpointDir(20)), new Run.Best("FD_x", 1.5, 20));
        assertEquals(new Run.Best("FD_x", 1.5, 20), run.best().orElseThrow());
        assertEquals("weights of 20", Files.readString(run.bestDir().resolve(Checkpoint.MODEL_FILE)));
        assertEquals(List.of(10L, 20L, 30L), run.checkpoints().stream().map(Checkpoint::step).toList());
        assertEquals(List.of(run.checkpointDir(10), run.checkpointDir(20)), run.pruneCheckpoints(1));
        assertTrue(Files.isDirectory(run.bestDir()), "pruning leaves best alone");
        assertEquals(30, run.latestCheckpoint().orElseThrow().step());

        run.saveBest(new Checkpoint(30, run.checkpointDir(30)), new Run.Best("FD_x", 1.25, 30));
        assertEquals("weights of 30", Files.readString(run.bestDir().resolve(Checkpoint.MODEL_FILE)));
        assertEquals(30, run.best().orElseThrow().step());
        try (var children = Files.list(run.checkpointsDir())) {
            assertFalse(children.anyMatch(p -> p.getFileName().toString().contains(AtomicFiles.TMP_MARK)));
        }
        Files.writeString(run.bestDir().resolve(Run.BEST_INFO), "{\"metric\":\"FD_x\"");
        assertTrue(run.best().isEmpty(), "an unreadable best.json is no best");
    }

    @Test
    void theListingCarriesTheLastAndBestEvaluation() throws IOException {
        Workspace ws = new Workspace(dir.resolve("ws"));
        Run run = ws.create("r", RunConfig.defaults());
        assertNull(ws.info(run.dir()).quality());
        run.appendMetrics(new MetricsRow(20, 0.5, 1e-4, 1, 1, 1));
        run.appendEval(E20);
        run.appendEval(E40);
        RunInfo.Quality q = ws.info(run.dir()).quality();
        assertEquals(E40, q.last());
        assertNull(q.best());
        assertEquals("FD_procedural 2.5000 at step 40, class share 75.0%", q.describe());
        run.saveCheckpoint(20, d -> Files.writeString(d.resolve(Run.CHECKPOINT_STATE), "{}"));
        run.saveBest(new Checkpoint(20, run.checkpointDir(20)), new Run.Best("FD_procedural", 2.25, 20));
        assertEquals("FD_procedural 2.5000 at step 40, class share 75.0% (best 2.2500 at step 20)",
                ws.info(run.dir()).quality().describe());
        run.saveBest(new Checkpoint(20, run.checkpointDir(20)), new Run.Best("FD_other", 0.1, 20));
        assertNull(ws.info(run.dir()).quality().best(), "a best of another metric is not this one's");
        assertEquals(0.5, ws.info(run.dir()).lastLoss(), 0.0);
    }
}

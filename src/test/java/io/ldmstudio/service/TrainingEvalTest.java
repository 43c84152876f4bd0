package io.ldmstudio.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.runs.Checkpoint;
import io.ldmstudio.runs.EvalRow;
import io.ldmstudio.runs.MetricsRow;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.training.FeatureClassifier;
import io.ldmstudio.training.SampleScorer;
import io.ldmstudio.training.Trainer;
import io.ldmstudio.training.TrainingControl;
import io.ldmstudio.training.TrainingListener;
import io.ldmstudio.ui.StudioFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Quality measured while training ({@code eval.every}): FD_procedural rows in metrics.jsonl at the right steps, the
 * value the same as {@code eval fd} gives for the final checkpoint with the same seeds, the same in a second
 * identical run, {@code checkpoints/best/} holding the lowest, a resumed run keeping a better best, a stop during an
 * evaluation honoured, and the loss readers untouched by the evaluation rows.
 */
class TrainingEvalTest {
    static final Devices.DeviceInfo CPU = Devices.resolve("cpu");
    static final FeatureClassifier.Settings FEW = new FeatureClassifier.Settings(120, 32, 2e-3, 1e-4, 0, 200);
    static final SampleScorer.Factory SCORER = DatasetFdScorer.factory(FEW);
    static final String[] EVAL = {"optim.steps=6", "eval.every=2", "eval.n=40", "eval.steps=3",
        "eval.sampler=ddim", "logging.checkpoint_every=100", "logging.sample_every=100", "logging.keep_checkpoints=1"};

    @TempDir
    static Path tmp;
    static Workspace ws;
    static Run first;
    static List<String> log = new ArrayList<>();

    @BeforeAll
    static void setUp() throws Exception {
        ws = new Workspace(tmp.resolve("ws"));
        first = train("first");
    }

    private static Run train(String name, String... more) throws Exception {
        List<String> o = new ArrayList<>(List.of(EVAL));
        o.addAll(List.of(more));
        Run run = ws.create(name, StudioFixture.tinyConfig(o.toArray(String[]::new)));
        Trainer t = new Trainer(run, CPU).scorers(SCORER);
        assertEquals(Trainer.Outcome.FINISHED, t.run(new TrainingControl()), t.failure());
        assertEquals(3, t.evaluations());
        assertTrue(t.evaluationSeconds() > 0);
        return run;
    }

    @Test
    void evaluationRowsAtEveryStepsAndTheLastWithTheValueEvalFdGivesForTheFinalCheckpoint() throws Exception {
        List<EvalRow> evals = first.evals();
        assertEquals(List.of(2L, 4L, 6L), evals.stream().map(EvalRow::step).toList());
        for (EvalRow e : evals) {
            assertEquals("FD_procedural", e.metric());
            assertTrue(Double.isFinite(e.value()) && e.value() > 0, "value " + e.value());
            assertEquals(40, e.n());
            assertEquals("ddim", e.sampler());
            assertEquals(3, e.steps());
            assertTrue(e.seconds() > 0 && e.seconds() < 600, "seconds " + e.seconds());
            assertTrue(Double.isNaN(e.classShare()));
        }
        // the last evaluation scored the EMA weights of step 6, which its checkpoint holds: eval fd with the same
        // sampler, steps, seeds (sampling.seed, + 1, ...) and n must give the same number
        RunConfig cfg = first.config();
        try (FeatureClassifier c = FeatureClassifier.obtain(tmp.resolve("ws"), cfg.data(), FEW, false, null)) {
            DatasetFd.Real real = DatasetFd.realStats(c, cfg.data(), 40);
            DatasetFd.Result r = DatasetFd.ofRun(c, real, first, "ddim", 3, null, cfg.sampling().seed(), 40, CPU, null);
            assertEquals(6, r.checkpointStep());
            assertEquals(r.value(), evals.get(2).value(), 1e-6 * r.value());
        }
        String text = Files.readString(first.logFile());
        assertTrue(text.contains("evaluation at step 4: FD_procedural = "), text);
        assertTrue(text.contains("evaluations: 3 in "), text);
    }

    @Test
    void aClassConditionalRunCyclesItsClassesAndGetsTheClassShareEvalFdGives() throws Exception {
        Run run = ws.create("cond", StudioFixture.tinyConfig("conditioning.type=class", "optim.steps=2",
                "eval.every=2", "eval.n=25", "eval.steps=3", "eval.sampler=ddim", "logging.sample_every=100"));
        Trainer t = new Trainer(run, CPU).scorers(SCORER);
        assertEquals(Trainer.Outcome.FINISHED, t.run(new TrainingControl()), t.failure());
        EvalRow e = run.evals().get(0);
        assertEquals(2, e.step());
        assertTrue(e.classShare() >= 0 && e.classShare() <= 1, "share " + e.classShare());
        RunConfig cfg = run.config();
        try (FeatureClassifier c = FeatureClassifier.obtain(tmp.resolve("ws"), cfg.data(), FEW, false, null)) {
            DatasetFd.Real real = DatasetFd.realStats(c, cfg.data(), 25);
            DatasetFd.Result r = DatasetFd.ofRun(c, real, run, "ddim", 3, null, cfg.sampling().seed(), 25, CPU, null);
            assertEquals(r.value(), e.value(), 1e-6 * r.value());
            assertEquals(r.share().share(), e.classShare(), 0.0);
        }
    }

    @Test
    void theBestCheckpointHoldsTheLowestStepAndIsNotAStepCheckpoint() throws Exception {
        List<EvalRow> evals = first.evals();
        EvalRow lowest = evals.stream().min(Comparator.comparingDouble(EvalRow::value)).orElseThrow();
        Run.Best best = first.best().orElseThrow();
        assertEquals(lowest.step(), best.step());
        assertEquals(lowest.value(), best.value(), 0.0);
        assertEquals("FD_procedural", best.metric());
        Path dir = first.bestDir();
        assertEquals(lowest.step(), new ObjectMapper().readTree(dir.resolve(Run.CHECKPOINT_STATE).toFile())
                .path("step").asLong());
        assertTrue(Files.isRegularFile(dir.resolve(Checkpoint.EMA_FILE)));
        assertTrue(Files.isRegularFile(dir.resolve(Checkpoint.MODEL_FILE)));
        // keep_checkpoints = 1 prunes step folders only; best is neither listed nor pruned
        List<Long> steps = first.checkpoints().stream().map(Checkpoint::step).toList();
        assertEquals(List.of(6L), steps);
        assertEquals(6, first.latestCheckpoint().orElseThrow().step());
        if (lowest.step() == 6) {
            assertArrayEquals(Files.readAllBytes(first.checkpointDir(6).resolve(Checkpoint.EMA_FILE)),
                    Files.readAllBytes(dir.resolve(Checkpoint.EMA_FILE)));
        }
    }

    @Test
    void lossReadersSeeOnlyTheLossRows() throws Exception {
        List<MetricsRow> rows = first.metrics();
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L, 6L), rows.stream().map(MetricsRow::step).toList());
        assertTrue(rows.stream().allMatch(r -> Double.isFinite(r.loss())));
        MetricsRow last = first.lastMetrics().orElseThrow();
        assertTrue(Double.isFinite(last.loss()));
        assertEquals(6, last.step());
        assertTrue(Files.readAllLines(first.metricsFile()).stream().filter(l -> l.contains("\"eval\"")).count() == 3);
    }

    @Test
    void theSameRunEvaluatedTwiceGivesTheSameValues() throws Exception {
        Run second = train("second");
        assertEquals(first.evals().stream().map(EvalRow::value).toList(),
                second.evals().stream().map(EvalRow::value).toList());
    }

    @Test
    void aResumedRunKeepsABetterBestAndExtendsTheRows() throws Exception {
        Run run = train("resumed");
        // a better best than any evaluation can reach, as if an earlier part of the run had found it
        Path info = run.bestDir().resolve(Run.BEST_INFO);
        Files.writeString(info, "{\"metric\":\"FD_procedural\",\"value\":1.0E-9,\"step\":4}");
        Trainer t = new Trainer(run, CPU).scorers(SCORER).totalSteps(8);
        assertEquals(Trainer.Outcome.FINISHED, t.run(new TrainingControl()), t.failure());
        assertEquals(List.of(2L, 4L, 6L, 8L), run.evals().stream().map(EvalRow::step).toList());
        assertEquals(new Run.Best("FD_procedural", 1.0e-9, 4), run.best().orElseThrow());
        assertTrue(Files.readString(run.logFile()).contains("best so far FD_procedural = 0.0000 at step 4"));

        // without a best.json the resumed run's next evaluation becomes the best
        Files.delete(info);
        t = new Trainer(run, CPU).scorers(SCORER).totalSteps(10);
        assertEquals(Trainer.Outcome.FINISHED, t.run(new TrainingControl()), t.failure());
        assertEquals(10, run.best().orElseThrow().step());
    }

    @Test
    void aStopRequestedBeforeAnEvaluationCancelsItAndStops() throws Exception {
        Run run = ws.create("stopped", StudioFixture.tinyConfig(EVAL));
        TrainingControl control = new TrainingControl();
        Trainer t = new Trainer(run, CPU).scorers(SCORER).addListener(new TrainingListener() {
            @Override
            public void onStep(StepEvent e) {
                if (e.step() == 2) {
                    control.requestStop();
                }
            }
        });
        assertEquals(Trainer.Outcome.STOPPED, t.run(control));
        assertTrue(run.evals().isEmpty());
        assertFalse(run.best().isPresent());
        String text = Files.readString(run.logFile());
        assertTrue(text.contains("evaluation of step 2 not finished: a stop was requested"), text);
        assertEquals(2, run.latestCheckpoint().orElseThrow().step());
    }

    /**
     * {@code eval.metric fid} with the (seeded) Inception weights in the workspace: FID rows whose last value is the
     * one {@code eval fid --real DATASET --fake RUN} gives for the final checkpoint with the same sampler, steps, seeds
     * and n; the held-out statistics land in the cache {@code eval fid} reads.
     */
    @Test
    void fidWhileTrainingIsTheValueEvalFidGives() throws Exception {
        Workspace fws = new Workspace(tmp.resolve("ws-fid"));
        io.ldmstudio.nn.SeededInception.write(io.ldmstudio.weights.InceptionWeights.defaultFile(fws.root()));
        Run run = fws.create("fid", StudioFixture.tinyConfig("optim.steps=2", "eval.every=2", "eval.n=4",
                "eval.steps=3", "eval.sampler=ddim", "eval.metric=fid", "logging.sample_every=100"));
        Trainer t = new Trainer(run, CPU).scorers(SCORER);
        assertEquals(Trainer.Outcome.FINISHED, t.run(new TrainingControl()), t.failure());
        EvalRow e = run.evals().get(0);
        assertEquals("FID", e.metric());
        assertEquals(2, e.step());
        assertEquals(4, e.n());
        assertTrue(Double.isFinite(e.value()) && e.value() > 0, "value " + e.value());
        assertEquals(2, run.best().orElseThrow().step());

        RunConfig cfg = run.config();
        try (InceptionFeatures ex = InceptionFeatures.open(fws.root(), null)) {
            FidEvaluation.Result r = FidEvaluation.evaluate(fws.root(), ex,
                    new FidEvaluation.RealDataset(cfg.data(), "procedural"), new FidEvaluation.FakeRun(run),
                    new FidEvaluation.Settings(4, "ddim", 3, null, cfg.sampling().seed(), CPU), null);
            assertTrue(r.real().cacheReused(), "training cached the held-out statistics: " + r.real().cacheFile());
            assertEquals(2, r.checkpointStep());
            assertEquals(r.fid(), e.value(), 1e-6 * r.fid());
        }
    }

    @Test
    void anUnavailableMetricOrAnUnlabelledDatasetIsRefusedAtStartNamingEvalMetric() throws Exception {
        Run fid = ws.create("fid", StudioFixture.tinyConfig("optim.steps=2", "eval.every=1", "eval.metric=fid"));
        Trainer t = new Trainer(fid, CPU).scorers(SCORER);
        assertEquals(Trainer.Outcome.FAILED, t.run(new TrainingControl()));
        // no Inception weights in the workspace: the failure names the metric and the file looked for
        assertTrue(t.failure().startsWith("eval.metric fid: FID needs pytorch-fid's Inception weights: "), t.failure());
        assertTrue(t.failure().contains(io.ldmstudio.weights.InceptionWeights.DEFAULT_FILE), t.failure());

        // a folder of images without class sub-folders has no labels for a classifier
        Path flat = tmp.resolve("flat");
        Files.createDirectories(flat);
        for (int i = 0; i < 12; i++) {
            java.awt.image.BufferedImage img = new java.awt.image.BufferedImage(16, 16,
                    java.awt.image.BufferedImage.TYPE_INT_RGB);
            img.setRGB(i, i, 0xFFFFFF);
            javax.imageio.ImageIO.write(img, "png", flat.resolve("img-" + i + ".png").toFile());
        }
        Run unlabelled = ws.create("unlabelled", StudioFixture.tinyConfig("optim.steps=2", "eval.every=1",
                "data.source=folder", "data.path=" + flat));
        Trainer v = new Trainer(unlabelled, CPU).scorers(SCORER);
        assertEquals(Trainer.Outcome.FAILED, v.run(new TrainingControl()));
        assertTrue(v.failure().startsWith("eval.metric auto: FD_<dataset> needs the dataset's classifier"), v.failure());
        assertTrue(unlabelled.metrics().isEmpty(), "refused before the first step");

        Run none = ws.create("no-scorer", StudioFixture.tinyConfig("optim.steps=2", "eval.every=1"));
        Trainer u = new Trainer(none, CPU);
        assertEquals(Trainer.Outcome.FAILED, u.run(new TrainingControl()));
        assertTrue(u.failure().contains("eval.every"), u.failure());
    }
}

package io.ldmstudio.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.eval.FeatureStats;
import io.ldmstudio.eval.FrechetDistance;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.training.FeatureClassifier;
import io.ldmstudio.training.Trainer;
import io.ldmstudio.training.TrainingControl;
import io.ldmstudio.ui.StudioFixture;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sampler sweep: cells in order, each the FD_&lt;dataset&gt; that sampling the same seeds another way gives, timed;
 * the table, JSON, CSV, plot and grids written and readable; bad lists refused naming the option and the choices.
 */
class SamplerSweepTest {
    static final Devices.DeviceInfo CPU = Devices.resolve("cpu");
    static final RunConfig.Data SHAPES = new RunConfig.Data("procedural", null, 16, 3, false, false, 0, 0);

    @TempDir
    static Path tmp;
    static FeatureClassifier classifier;
    static DatasetFd.Real real;
    static Run plain;
    static SamplerSweep.Result sweep;
    static List<String> started = new ArrayList<>();
    static List<String> lines = new ArrayList<>();

    @BeforeAll
    static void setUp() throws Exception {
        classifier = FeatureClassifier.train(SHAPES, new FeatureClassifier.Settings(100, 32, 2e-3, 1e-4, 0, 100),
                tmp.resolve("classifier"), null);
        plain = new Workspace(tmp.resolve("ws")).create("plain", StudioFixture.tinyConfig("optim.steps=2",
                "logging.sample_every=2", "logging.checkpoint_every=2"));
        Trainer t = new Trainer(plain, CPU);
        assertEquals(Trainer.Outcome.FINISHED, t.run(new TrainingControl()), t.failure());
        real = DatasetFd.realStats(classifier, SHAPES, 100);
        sweep = SamplerSweep.run(plain, DatasetFd.scorer(classifier, real), List.of("ddim", "dpmpp"), List.of(2, 4), 110,
                null, 7, CPU, new SamplerSweep.Listener() {
                    @Override
                    public void cellStarted(int index, int total, String sampler, int steps) {
                        started.add(index + "/" + total + " " + sampler + " " + steps);
                    }

                    @Override
                    public void line(String text) {
                        lines.add(text);
                    }
                }, () -> false);
    }

    @Test
    void cellsComeInOrderTimedAndScoredAsSamplingTheSameSeedsAnotherWayScoresThem() throws Exception {
        assertEquals(List.of("0/4 ddim 2", "1/4 ddim 4", "2/4 dpmpp 2", "3/4 dpmpp 4"), started);
        assertEquals(List.of("sampled 100/110", "sampled 110/110"), lines.subList(0, 2));
        assertEquals(8, lines.size());
        assertEquals("FD_procedural", sweep.metric());
        assertEquals(2, sweep.checkpointStep());
        assertEquals(100, sweep.referenceImages());
        String[][] want = {{"ddim", "2"}, {"ddim", "4"}, {"dpmpp", "2"}, {"dpmpp", "4"}};
        for (int i = 0; i < 4; i++) {
            SamplerSweep.Cell c = sweep.cells().get(i);
            assertEquals(want[i][0], c.sampler());
            assertEquals(Integer.parseInt(want[i][1]), c.steps());
            assertTrue(c.seconds() > 0, "cell " + i + " took " + c.seconds() + " s");
            assertEquals(c.seconds() / 110, c.secondsPerImage(), 1e-12);
            assertEquals(64, c.grid().size());
            assertTrue(Double.isFinite(c.value()) && c.value() > 0, "cell " + i + ": " + c.value());
            // eval fd's path on the same sampler, steps and seeds gives the same number
            DatasetFd.Result fd = DatasetFd.ofRun(classifier, real, plain, c.sampler(), c.steps(), null, 7, 110, CPU,
                    null);
            assertEquals(fd.value(), c.value(), 0.0, c.sampler() + " " + c.steps());
        }
        // and so does sampling each chunk with SamplingService (the run reopened per call), by hand
        int len = 3 * 16 * 16;
        float[] fake = new float[110 * len];
        int at = 0;
        for (int[] chunk : new int[][] {{100, 7}, {10, 8}}) {
            SamplingService.Result s = SamplingService.sample(plain, new SamplingService.Request("dpmpp", 4, 0, chunk[1],
                    chunk[0], true, 0), CPU, null, () -> false);
            for (float[] img : s.images()) {
                System.arraycopy(img, 0, fake, at, len);
                at += len;
            }
        }
        double byHand = FrechetDistance.between(real.stats(), FeatureStats.of(classifier.features(fake, 110))).value();
        // by the general route; the sweep takes the low-rank one (110 samples of 128 features): equal to rounding
        assertEquals(byHand, sweep.cells().get(3).value(), 1e-9 * byHand);
        // the grid is the cell's first samples
        assertTrue(java.util.Arrays.equals(java.util.Arrays.copyOfRange(fake, 0, len), sweep.cells().get(3).grid().get(0)));
        // different samplers at 2 steps give different images, hence different distances
        assertTrue(sweep.cells().get(0).value() != sweep.cells().get(2).value());
    }

    @Test
    void theFilesAreWrittenAndReadBack() throws Exception {
        Path dir = tmp.resolve("out");
        SamplerSweep.Written w = SamplerSweep.write(sweep, dir);
        List<String> csv = Files.readAllLines(w.csv());
        assertEquals(5, csv.size(), String.join("\n", csv));
        assertTrue(csv.get(0).startsWith("sampler,steps,metric,value"), csv.get(0));
        for (int i = 0; i < 4; i++) {
            String[] f = csv.get(i + 1).split(",", -1);
            SamplerSweep.Cell c = sweep.cells().get(i);
            assertEquals(c.sampler(), f[0]);
            assertEquals(c.steps(), Integer.parseInt(f[1]));
            assertEquals(c.value(), Double.parseDouble(f[3]), 0.0);
            assertEquals("", f[4]);
            assertEquals(110, Integer.parseInt(f[5]));
            assertEquals(c.seconds(), Double.parseDouble(f[6]), 0.0);
        }
        JsonNode j = new ObjectMapper().readTree(w.json().toFile());
        assertEquals("plain", j.get("run").asText());
        assertEquals(4, j.get("cells").size());
        for (int i = 0; i < 4; i++) {
            assertEquals(sweep.cells().get(i).value(), j.get("cells").get(i).get("value").asDouble(), 0.0);
            assertEquals(sweep.cells().get(i).sampler(), j.get("cells").get(i).get("sampler").asText());
        }
        String md = Files.readString(w.markdown());
        assertEquals(4, md.lines().filter(l -> l.startsWith("| ddim |") || l.startsWith("| dpmpp |")).count(), md);
        assertTrue(md.contains("| sampler | steps | FD_procedural |"), md);
        BufferedImage plot = ImageIO.read(w.plot().toFile());
        assertNotNull(plot, "sweep.png is not an image");
        assertEquals(SamplerSweep.PLOT_WIDTH, plot.getWidth());
        assertEquals(SamplerSweep.PLOT_HEIGHT, plot.getHeight());
        assertEquals(4, w.grids().size());
        BufferedImage grid = ImageIO.read(dir.resolve("samples-dpmpp-4.png").toFile());
        assertNotNull(grid);
        assertTrue(grid.getWidth() >= 8 * 16 && grid.getHeight() >= 8 * 16, grid.getWidth() + "×" + grid.getHeight());
        try (var files = Files.list(dir)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().contains(".tmp-")), "a temporary file was left");
        }
        Path def = SamplerSweep.defaultFolder(plain.dir(), java.time.Instant.parse("2026-12-04T13:05:09Z"));
        assertEquals(plain.dir().resolve("eval/sweep-20261204-130509"), def);
    }

    @Test
    void anotherScorerPlugsIn() throws Exception {
        SamplesMetric mean = new SamplesMetric() {
            @Override
            public String metric() {
                return "mean";
            }

            @Override
            public int referenceImages() {
                return 0;
            }

            @Override
            public Score score(DatasetFd.Samples s) {
                double sum = 0;
                for (float v : s.images()) {
                    sum += v;
                }
                return new Score(sum / s.images().length, Optional.empty(), null);
            }
        };
        SamplerSweep.Result r = SamplerSweep.run(plain, mean, List.of("ddim"), List.of(3), 5, null, 1, CPU, null, null);
        SamplingService.Result s = SamplingService.sample(plain, new SamplingService.Request("ddim", 3, 0, 1, 5, true, 0),
                CPU, null, () -> false);
        double sum = 0;
        for (float[] img : s.images()) {
            for (float v : img) {
                sum += v;
            }
        }
        assertEquals("mean", r.metric());
        assertEquals(sum / (5 * 768), r.cells().get(0).value(), 1e-9);
        assertEquals(5, r.cells().get(0).grid().size());
    }

    @Test
    void aConditionalRunGetsTheClassShareOfEachCellAsEvalFdGivesIt() throws Exception {
        Run cond = new Workspace(tmp.resolve("ws")).create("cond", StudioFixture.tinyConfig("conditioning.type=class",
                "optim.steps=2", "logging.sample_every=2", "logging.checkpoint_every=2"));
        Trainer t = new Trainer(cond, CPU);
        assertEquals(Trainer.Outcome.FINISHED, t.run(new TrainingControl()), t.failure());
        SamplerSweep.Result r = SamplerSweep.run(cond, DatasetFd.scorer(classifier, real), List.of("ddim", "ddpm"),
                List.of(3), 25, 2.0, 1, CPU, null, null);
        assertEquals(2.0, r.guidance());
        for (SamplerSweep.Cell c : r.cells()) {
            DatasetFd.Result fd = DatasetFd.ofRun(classifier, real, cond, c.sampler(), 3, 2.0, 1, 25, CPU, null);
            assertEquals(25, c.share().total());
            assertEquals(fd.share().share(), c.share().share(), 0.0, c.sampler());
            assertEquals(fd.value(), c.value(), 0.0, c.sampler());
        }
        String md = SamplerSweep.markdown(r);
        assertTrue(md.contains("| class share |") && md.contains("guidance 2.0"), md);
        String csvRow = SamplerSweep.csv(r).lines().skip(1).findFirst().orElseThrow();
        assertEquals(r.cells().get(0).share().share(), Double.parseDouble(csvRow.split(",", -1)[4]), 0.0);
    }

    @Test
    void aCancelledSweepStopsAndBadListsAreRefusedNamingTheOption() {
        assertThrows(CancellationException.class, () -> SamplerSweep.run(plain, DatasetFd.scorer(classifier, real),
                List.of("ddim"), List.of(2, 3), 4, null, 0, CPU, null, () -> true));
        String s = assertThrows(IllegalArgumentException.class,
                () -> SamplerSweep.parseSamplers("ddim,foo", "--samplers")).getMessage();
        assertTrue(s.contains("--samplers") && s.contains("'foo'") && s.contains("ddpm, ddim, dpmpp"), s);
        String z = assertThrows(IllegalArgumentException.class,
                () -> SamplerSweep.parseSteps("0", "--steps", 1000)).getMessage();
        assertTrue(z.contains("--steps") && z.contains("'0'") && z.contains("1 to 1000"), z);
        String e = assertThrows(IllegalArgumentException.class,
                () -> SamplerSweep.parseSteps("10,,20", "--steps", 1000)).getMessage();
        assertTrue(e.contains("--steps") && e.contains("empty"), e);
        String twice = assertThrows(IllegalArgumentException.class,
                () -> SamplerSweep.parseSamplers("ddim,DDIM", "--samplers")).getMessage();
        assertTrue(twice.contains("named twice"), twice);
        assertEquals(List.of("dpmpp", "ddim"), SamplerSweep.parseSamplers(" dpmpp, DDIM ", "--samplers"));
        assertEquals(List.of(50, 10), SamplerSweep.parseSteps("50, 10", "--steps", 1000));
    }
}

package io.ldmstudio.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.config.RunConfig;
import io.ldmstudio.data.ImageSource;
import io.ldmstudio.data.Sources;
import io.ldmstudio.data.Transform;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.eval.FeatureStats;
import io.ldmstudio.eval.FrechetDistance;
import io.ldmstudio.pipeline.Pipeline;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.training.FeatureClassifier;
import io.ldmstudio.training.Trainer;
import io.ldmstudio.training.TrainingControl;
import io.ldmstudio.ui.StudioFixture;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * FD_&lt;dataset&gt; of a run: the held-out images against the run's samples in the features of the dataset's
 * classifier. The number is the one recomputed by hand from the same samples; an untrained run is far from the data
 * while two halves of the data are close; a conditional run gets its class share.
 */
class DatasetFdTest {
    static final Devices.DeviceInfo CPU = Devices.resolve("cpu");
    static final RunConfig.Data SHAPES = new RunConfig.Data("procedural", null, 16, 3, false, false, 0, 0);

    @TempDir
    static Path tmp;
    static FeatureClassifier classifier;
    static Run plain;
    static Run cond;

    @BeforeAll
    static void setUp() throws Exception {
        classifier = FeatureClassifier.train(SHAPES, new FeatureClassifier.Settings(200, 32, 2e-3, 1e-4, 0, 200),
                tmp.resolve("classifier"), null);
        Workspace ws = new Workspace(tmp.resolve("ws"));
        plain = ws.create("plain", StudioFixture.tinyConfig("optim.steps=2", "logging.sample_every=2",
                "logging.checkpoint_every=2"));
        cond = ws.create("cond", StudioFixture.tinyConfig("conditioning.type=class", "optim.steps=2",
                "logging.sample_every=2", "logging.checkpoint_every=2"));
        for (Run r : new Run[] {plain, cond}) {
            Trainer t = new Trainer(r, CPU);
            assertEquals(Trainer.Outcome.FINISHED, t.run(new TrainingControl()), t.failure());
        }
    }

    private static float[] images(ImageSource s, int from, int n) {
        Transform tf = Transform.of(SHAPES);
        float[] out = new float[n * tf.length()];
        for (int i = 0; i < n; i++) {
            System.arraycopy(s.load(from + i, tf), 0, out, i * tf.length(), tf.length());
        }
        return out;
    }

    @Test
    void theDistanceIsTheOneRecomputedFromTheSamplesAndAnUntrainedRunIsFarFromTheData() throws Exception {
        DatasetFd.Real real = DatasetFd.realStats(classifier, SHAPES, 150);
        assertEquals(150, real.images());
        DatasetFd.Result r = DatasetFd.ofRun(classifier, real, plain, "ddim", 3, null, 5, 120, CPU, null);
        assertEquals("FD_procedural", r.metric());
        assertEquals(120, r.fakeImages());
        assertNull(r.share());
        assertTrue(Double.isNaN(r.guidance()));
        assertEquals(2, r.checkpointStep());

        // by hand: chunks of 100 and 20 with seeds 5 and 6, the same features, pytorch-fid's formula
        int len = 3 * 16 * 16;
        float[] fake = new float[120 * len];
        int at = 0;
        for (int[] chunk : new int[][] {{100, 5}, {20, 6}}) {
            SamplingService.Result s = SamplingService.sample(plain, new SamplingService.Request("ddim", 3, 0,
                    chunk[1], chunk[0], true, 0), CPU, null, () -> false);
            for (float[] img : s.images()) {
                System.arraycopy(img, 0, fake, at, len);
                at += len;
            }
        }
        double want = FrechetDistance.between(real.stats(), FeatureStats.of(classifier.features(fake, 120))).value();
        // the service takes the low-rank route (120 samples of 128 features): the same distance to rounding
        assertEquals(want, r.value(), 1e-9 * Math.abs(want));

        // two different sets of real shapes (training split vs held-out) are much closer than noise-like samples
        FeatureStats train = FeatureStats.of(classifier.features(images(Sources.open(SHAPES), 0, 150), 150));
        double realToReal = FrechetDistance.between(real.stats(), train).value();
        assertTrue(r.value() > 5 * realToReal, "untrained run " + r.value() + " vs real halves " + realToReal);
    }

    @Test
    void aConditionalRunGetsItsClassShareWithClassesCycled() throws Exception {
        DatasetFd.Real real = DatasetFd.realStats(classifier, SHAPES, 100);
        DatasetFd.Result r = DatasetFd.ofRun(classifier, real, cond, "ddim", 3, 2.0, 1, 25, CPU, null);
        assertEquals(2.0, r.guidance());
        assertEquals(25, r.share().total());
        int[] counts = r.share().counts();
        for (int k = 0; k < 5; k++) {
            assertEquals(5, counts[k], "class " + k + " asked for 5 times");
        }
        // the share is the classifier's verdict on the very samples SamplingService gives for those classes
        int[] labels = new int[25];
        for (int i = 0; i < 25; i++) {
            labels[i] = i % 5;
        }
        SamplingService.Result s = SamplingService.sample(cond, new SamplingService.Request("ddim", 3, 0, 1, 25, true,
                0, new Pipeline.Condition(labels, 2.0, 0)), CPU, null, () -> false);
        float[] fake = new float[25 * 3 * 16 * 16];
        for (int i = 0; i < 25; i++) {
            System.arraycopy(s.images().get(i), 0, fake, i * 768, 768);
        }
        assertEquals(classifier.classShare(fake, 25, labels).share(), r.share().share(), 0.0);
    }

    @Test
    void badRequestsAreRefusedSayingWhy() throws Exception {
        DatasetFd.Real real = DatasetFd.realStats(classifier, SHAPES, 10);
        String few = assertThrows(IllegalArgumentException.class,
                () -> DatasetFd.ofRun(classifier, real, plain, "ddim", 3, null, 0, 1, CPU, null)).getMessage();
        assertTrue(few.contains("at least 2"), few);
        RunConfig.Data other = new RunConfig.Data("procedural", null, 24, 3, false, false, 0, 0);
        try (FeatureClassifier c24 = FeatureClassifier.train(other, new FeatureClassifier.Settings(2, 8, 2e-3, 1e-4, 0,
                10), tmp.resolve("c24"), null)) {
            DatasetFd.Real r24 = DatasetFd.realStats(c24, other, 10);
            String e = assertThrows(IllegalArgumentException.class,
                    () -> DatasetFd.ofRun(c24, r24, plain, "ddim", 3, null, 0, 4, CPU, null)).getMessage();
            assertTrue(e.contains("16 px") && e.contains("24 px"), e);
        }
    }
}

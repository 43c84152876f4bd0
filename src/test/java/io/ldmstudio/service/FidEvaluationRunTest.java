package io.ldmstudio.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.config.RunConfig;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.training.FeatureClassifier;
import io.ldmstudio.training.Trainer;
import io.ldmstudio.training.TrainingControl;
import io.ldmstudio.ui.StudioFixture;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FidEvaluation} with a run on the fake side (a 2-step tiny run, 16-px procedural shapes) and the shapes'
 * held-out split on the real side, with {@link FidEvaluationTest.Stub}'s 4 features: the samples reach the
 * extractor in [0, 1], and with the dataset's classifier cached {@code FD_procedural} is the value
 * {@link DatasetFd#ofRun} gives for the same seeds; without it, a note says how to get one.
 */
class FidEvaluationRunTest {
    static final Devices.DeviceInfo CPU = Devices.resolve("cpu");
    static final RunConfig.Data SHAPES = new RunConfig.Data("procedural", null, 16, 3, false, false, 0, 0);

    @TempDir
    Path tmp;

    @Test
    void aRunsSamplesGiveFidKidAndFdDataset() throws Exception {
        Workspace ws = new Workspace(tmp.resolve("ws"));
        Run run = ws.create("plain", StudioFixture.tinyConfig("optim.steps=2", "logging.sample_every=2",
                "logging.checkpoint_every=2"));
        Trainer t = new Trainer(run, CPU);
        assertEquals(Trainer.Outcome.FINISHED, t.run(new TrainingControl()), t.failure());
        FidEvaluationTest.Stub ex = new FidEvaluationTest.Stub();
        FidEvaluation.Settings s = new FidEvaluation.Settings(6, "ddim", 3, null, 7, CPU);
        FidEvaluation.RealDataset real = new FidEvaluation.RealDataset(SHAPES, "procedural");

        FidEvaluation.Result without = FidEvaluation.evaluate(ws.root(), ex, real, new FidEvaluation.FakeRun(run), s,
                null);
        assertEquals(6, without.fake().images());
        assertEquals(6, without.real().images());
        assertEquals(2, without.checkpointStep());
        assertNull(without.fdMetric());
        assertTrue(without.fdNote().contains("eval classifier --dataset procedural"), without.fdNote());
        for (double[] row : without.fake().features()) {
            for (int c = 0; c < 3; c++) {
                assertTrue(row[c] >= 0 && row[c] <= 1, "channel means of samples mapped to [0, 1]: " + row[c]);
            }
        }
        assertTrue(without.kid() != null && Double.isFinite(without.fid()));

        FeatureClassifier c = FeatureClassifier.train(SHAPES, new FeatureClassifier.Settings(30, 16, 2e-3, 1e-4, 0,
                50), FeatureClassifier.cacheDir(ws.root(), SHAPES), null);
        c.close();
        FidEvaluation.Result with = FidEvaluation.evaluate(ws.root(), ex, real, new FidEvaluation.FakeRun(run), s,
                null);
        assertEquals("FD_procedural", with.fdMetric());
        assertEquals(without.fid(), with.fid(), 0, "the same seeds give the same samples");
        try (FeatureClassifier again = FeatureClassifier.open(FeatureClassifier.cacheDir(ws.root(), SHAPES), SHAPES)) {
            DatasetFd.Result byHand = DatasetFd.ofRun(again, DatasetFd.realStats(again, SHAPES, 6), run, "ddim", 3,
                    null, 7, 6, CPU, null);
            assertEquals(byHand.value(), with.fd(), 1e-9 * Math.abs(byHand.value()));
        }
        // the run's export as a pipeline folder, sampled with the run's sampler (ddim): the same FID and FD
        FidEvaluation.Result model = FidEvaluation.evaluate(ws.root(), ex, real, new FidEvaluation.FakeRun(
                SampleSource.pipeline(run.exportsDir().resolve("diffusers"))), s, null);
        assertEquals(with.fid(), model.fid(), 0.0);
        assertEquals(with.fd(), model.fd(), 0.0);
        assertEquals(0, model.checkpointStep());
        assertTrue(model.fake().description().startsWith("fake set (model plain-export, 6 samples)"),
                model.fake().description());
    }
}

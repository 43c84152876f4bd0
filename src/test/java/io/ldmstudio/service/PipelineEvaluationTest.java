package io.ldmstudio.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.config.SamplerKind;
import io.ldmstudio.config.TrainedOn;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.pipeline.Pipeline;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.training.FeatureClassifier;
import io.ldmstudio.training.Trainer;
import io.ldmstudio.training.TrainingControl;
import io.ldmstudio.ui.StudioFixture;
import io.ldmstudio.weights.SafeTensors;
import io.ldmstudio.weights.TensorData;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Evaluating a diffusers pipeline folder as a run is evaluated: its generator gives the images the sampling service
 * gives for the folder, an exported run's folder samples the run's own images with the run's sampler (so its FD is
 * the run's, to the bit), it names the data it was trained on (or, from another library, is told), and its sweep is
 * written under the workspace, not into the folder.
 */
class PipelineEvaluationTest {
    static final Devices.DeviceInfo CPU = Devices.resolve("cpu");
    static final RunConfig.Data SHAPES = new RunConfig.Data("procedural", null, 16, 3, false, false, 0, 0);

    @TempDir
    static Path tmp;
    static FeatureClassifier classifier;
    static DatasetFd.Real real;
    static Workspace ws;
    static Run run;
    static Path export;

    @BeforeAll
    static void setUp() throws Exception {
        classifier = FeatureClassifier.train(SHAPES, new FeatureClassifier.Settings(60, 32, 2e-3, 1e-4, 0, 64),
                tmp.resolve("classifier"), null);
        real = DatasetFd.realStats(classifier, SHAPES, 64);
        ws = new Workspace(tmp.resolve("ws"));
        run = ws.create("plain", StudioFixture.tinyConfig("optim.steps=2", "logging.sample_every=2",
                "logging.checkpoint_every=2"));
        Trainer t = new Trainer(run, CPU);
        assertEquals(Trainer.Outcome.FINISHED, t.run(new TrainingControl()), t.failure());
        export = run.exportsDir().resolve("diffusers");
    }

    @Test
    void anExportedPipelineSaysWhatItWasTrainedOnAndWhatItMakes() throws Exception {
        SampleSource s = SampleSource.pipeline(export);
        assertTrue(s instanceof SampleSource.OfPipeline);
        assertEquals("model plain-export", s.describe(), "a run's export is named after the run");
        assertEquals(3, s.channels());
        assertEquals(16, s.size());
        assertEquals(0, s.classes());
        assertTrue(Double.isNaN(s.defaultGuidance()));
        assertEquals(run.config().diffusion().timesteps(), s.maxSteps());
        assertEquals(TrainedOn.of(run.config()).data(), s.trainedOn().orElseThrow());
        assertEquals(EvaluationJob.scoringData(run.config()), EvaluationJob.dataOf(s));
        assertEquals(ws.root().resolve("eval/plain-export/sweep-20261204-130509"),
                s.defaultSweepFolder(ws.root(), Instant.parse("2026-12-04T13:05:09Z")));
        // a sweep started in the same second does not write into the first one's folder
        Files.createDirectories(ws.root().resolve("eval/plain-export/sweep-20261204-130509"));
        assertEquals(ws.root().resolve("eval/plain-export/sweep-20261204-130509-2"),
                s.defaultSweepFolder(ws.root(), Instant.parse("2026-12-04T13:05:09Z")));
        // the parse of a command line: a pipeline folder, a run folder, a run's name
        assertTrue(SampleSource.parse(export.toString(), ws::open) instanceof SampleSource.OfPipeline);
        assertEquals(run.dir(), SampleSource.parse(run.dir().toString(), ws::open).dir());
        assertEquals("run plain", SampleSource.parse("plain", ws::open).describe());
        // a path that is neither is said to be so, not looked up as a run's name
        String e = assertThrows(IllegalArgumentException.class, () -> SampleSource.parse(tmp.toString(), ws::open))
                .getMessage();
        assertTrue(e.contains("neither a run folder") && e.contains("model_index.json"), e);
        String gone = assertThrows(IllegalArgumentException.class, () -> SampleSource.parse(
                tmp.resolve("gone").toString(), ws::open)).getMessage();
        assertTrue(gone.endsWith("gone: no such folder; a run is named by its name or its folder"), gone);
    }

    @Test
    void itsGeneratorGivesWhatTheSamplingServiceGivesForTheFolder() throws Exception {
        SampleSource s = SampleSource.pipeline(export);
        Pipeline p = Pipeline.open(export);
        try (SampleSource.Generator g = s.open(CPU)) {
            for (String sampler : List.of("ddim", "dpmpp", "ddim")) {
                SamplingService.Result want = SamplingService.sample(p, SamplerKind.parse(sampler, "s"), 3, 0, 5, 3,
                        null, CPU, null, () -> false);
                SamplingService.Result got = g.generate(sampler, 3, 0, 5, 3, null, null, () -> false);
                for (int i = 0; i < 3; i++) {
                    assertArrayEquals(want.images().get(i), got.images().get(i), 0f, sampler + " image " + i);
                }
                assertEquals(0, got.checkpointStep());
            }
            String e = assertThrows(IllegalArgumentException.class,
                    () -> g.generate("ddim", 5000, 0, 0, 1, null, null, null)).getMessage();
            assertTrue(e.contains("--steps 5000") && e.contains(export.toString()), e);
        }
    }

    @Test
    void theExportScoresAsTheRunDoesWithTheRunsSampler() throws Exception {
        String sampler = run.config().sampling().sampler();
        DatasetFd.Result ofRun = DatasetFd.ofRun(classifier, real, run, sampler, 4, null, 3, 24, CPU, null);
        DatasetFd.Result ofModel = DatasetFd.of(classifier, real, SampleSource.pipeline(export), sampler, 4, null, 3,
                24, CPU, null);
        // the export holds the checkpoint's EMA weights and the scheduler config of the run's sampler
        assertEquals(ofRun.value(), ofModel.value(), 0.0);
        assertEquals(2, ofRun.checkpointStep());
        assertEquals(0, ofModel.checkpointStep());
    }

    @Test
    void aSweepOfAPipelineNamesTheModelAndIsWrittenUnderTheWorkspace() throws Exception {
        SampleSource s = SampleSource.pipeline(export);
        List<String> started = new ArrayList<>();
        SamplerSweep.Result r = SamplerSweep.run(s, DatasetFd.scorer(classifier, real), List.of("ddim", "dpmpp"),
                List.of(2), 12, null, 4, CPU, new SamplerSweep.Listener() {
                    @Override
                    public void cellStarted(int index, int total, String sampler, int steps) {
                        started.add(sampler + " " + steps);
                    }
                }, () -> false);
        assertEquals(List.of("ddim 2", "dpmpp 2"), started);
        assertTrue(r.model());
        assertEquals("plain-export", r.run());
        assertEquals(export, r.runDir());
        assertEquals(0, r.checkpointStep());
        for (SamplerSweep.Cell c : r.cells()) {
            DatasetFd.Result one = DatasetFd.of(classifier, real, s, c.sampler(), 2, null, 4, 12, CPU, null);
            assertEquals(one.value(), c.value(), 0.0, c.sampler());
        }
        assertTrue(SamplerSweep.markdown(r).startsWith("FD_procedural of model plain-export, 12 samples a cell"),
                SamplerSweep.markdown(r));
        ObjectNode j = SamplerSweep.json(r);
        assertEquals("plain-export", j.get("model").asText());
        assertEquals(export.toString(), j.get("model_dir").asText());
        assertFalse(j.has("run") || j.has("checkpoint_step"), j.toString());
        Path dir = s.defaultSweepFolder(ws.root(), Instant.now());
        SamplerSweep.write(r, dir);
        assertTrue(Files.isRegularFile(dir.resolve("sweep.png")));
        try (Stream<Path> files = Files.list(export)) {
            assertTrue(files.noneMatch(p -> p.getFileName().toString().equals("eval")), "the model folder is untouched");
        }
    }

    @Test
    void aClassConditionalExportSamplesItsClassesAtTheRunsGuidanceAsTheRunDoes() throws Exception {
        Run cond = ws.create("cond", StudioFixture.tinyConfig("conditioning.type=class", "conditioning.guidance=2",
                "optim.steps=2", "logging.sample_every=2", "logging.checkpoint_every=2"));
        Trainer t = new Trainer(cond, CPU);
        assertEquals(Trainer.Outcome.FINISHED, t.run(new TrainingControl()), t.failure());
        SampleSource model = SampleSource.pipeline(cond.exportsDir().resolve("diffusers"));
        assertEquals(cond.config().conditioning().classes(), model.classes());
        assertEquals(2.0, model.defaultGuidance(), 0.0, "the run's conditioning.guidance, from the weights' metadata");
        assertEquals(2.0, ((SampleSource.OfPipeline) model).pipeline().defaultGuidance(), 0.0);
        String sampler = cond.config().sampling().sampler();
        DatasetFd.Result ofRun = DatasetFd.ofRun(classifier, real, cond, sampler, 3, null, 2, 20, CPU, null);
        DatasetFd.Result ofModel = DatasetFd.of(classifier, real, model, sampler, 3, null, 2, 20, CPU, null);
        assertEquals(2.0, ofModel.guidance(), 0.0);
        assertEquals(ofRun.value(), ofModel.value(), 0.0);
        assertEquals(ofRun.share().correct(), ofModel.share().correct());
        // a foreign folder's default: 3 with a null class
        SampleSource plainMeta = SampleSource.pipeline(copyWithMetadata("cond-foreign", cond.exportsDir()
                .resolve("diffusers"), Map.of()));
        assertEquals(3.0, plainMeta.defaultGuidance(), 0.0);
    }

    /** A copy of the export whose U-Net weights carry {@code metadata} instead of the studio's. */
    private static Path copyWithMetadata(String name, Map<String, String> metadata) throws Exception {
        return copyWithMetadata(name, export, metadata);
    }

    /** A copy of the pipeline folder {@code from} whose U-Net weights carry {@code metadata}. */
    static Path copyWithMetadata(String name, Path from, Map<String, String> metadata) throws Exception {
        Path dir = tmp.resolve(name);
        io.ldmstudio.ui.training.TrainingTestSupport.copyTree(from, dir);
        Path weights = dir.resolve("unet/diffusion_pytorch_model.safetensors");
        SafeTensors.Contents c = SafeTensors.read(from.resolve("unet/diffusion_pytorch_model.safetensors"));
        List<TensorData> tensors = new ArrayList<>(c.tensors().values());
        Files.delete(weights);
        SafeTensors.writeTensors(weights, tensors, metadata);
        return dir;
    }

    @Test
    void aFolderThatDoesNotSayItsDataMustBeToldAndABrokenEntryIsNamed() throws Exception {
        SampleSource foreign = SampleSource.pipeline(copyWithMetadata("foreign", Map.of()));
        assertTrue(foreign.trainedOn().isEmpty());
        String e = assertThrows(IllegalArgumentException.class, () -> EvaluationJob.dataOf(foreign)).getMessage();
        assertTrue(e.contains("model foreign") && e.contains("does not say what it was trained on")
                && e.contains("3 × 16 px"), e);

        SampleSource presetOnly = SampleSource.pipeline(copyWithMetadata("preset-only",
                Map.of(TrainedOn.PRESET_KEY, "fashion-mnist-pixel-cpu")));
        assertEquals(EvalDatasets.named("fashion-mnist-pixel-cpu", "x"), presetOnly.trainedOn().orElseThrow());

        SampleSource broken = SampleSource.pipeline(copyWithMetadata("broken",
                Map.of(TrainedOn.DATA_KEY, "{\"source\": \"idx\", \"channels\": 2}")));
        String b = assertThrows(IllegalArgumentException.class, broken::trainedOn).getMessage();
        assertTrue(b.contains("broken/unet/diffusion_pytorch_model.safetensors") && b.contains(TrainedOn.DATA_KEY)
                && b.contains("channels"), b);
    }

    @Test
    void theDatasetsThatFitAnImageSizeAreListedPresetsFirst() {
        List<String> gray28 = EvalDatasets.fitting(1, 28).stream().map(EvalDatasets.Named::name).toList();
        assertTrue(gray28.contains("fashion-mnist-pixel-cpu") && gray28.contains("idx"), gray28.toString());
        assertEquals("idx", gray28.get(gray28.size() - 1));
        assertTrue(EvalDatasets.fitting(1, 28).stream().allMatch(n -> n.data().channels() == 1
                && n.data().resolution() == 28));
        List<String> rgb32 = EvalDatasets.fitting(3, 32).stream().map(EvalDatasets.Named::name).toList();
        assertTrue(rgb32.contains("procedural") && rgb32.contains("cifar10") && !rgb32.contains("idx")
                && !rgb32.contains("folder"), rgb32.toString());
        String e = assertThrows(IllegalArgumentException.class, () -> EvalDatasets.named("nope", "--dataset"))
                .getMessage();
        assertTrue(e.startsWith("--dataset nope: neither a preset nor a source"), e);
    }
}

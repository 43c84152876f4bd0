package io.ldmstudio.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ldmstudio.cli.CliTest.Outcome;
import io.ldmstudio.data.Sources;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code eval classifier}: trains once and reuses, names the cache, refuses a cache made for other data. */
class EvalCommandTest {
    @TempDir
    Path tmp;

    private Outcome classifier(String... extra) {
        String[] base = {"eval", "classifier", "--steps", "3", "--batch", "8", "--test-images", "16", "--workspace",
            tmp.toString()};
        String[] all = new String[base.length + extra.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(extra, 0, all, base.length, extra.length);
        return CliTest.run(all);
    }

    @Test
    void trainsOnceThenReusesTheCacheAndRefusesOneMadeForOtherData() throws Exception {
        Outcome first = classifier("--dataset", "procedural", "--resolution", "16");
        assertEquals(0, first.code(), first.err());
        Path dir = tmp.resolve("cache/classifiers/procedural-16px");
        assertTrue(first.out().contains("trained and cached: " + dir), first.out());
        assertTrue(first.out().contains("test accuracy"), first.out());
        assertTrue(first.out().contains("FD_procedural classifier"), first.out());
        assertTrue(first.out().contains("not with published FID"), first.out());

        Outcome again = classifier("--dataset", "procedural", "--resolution", "16");
        assertEquals(0, again.code(), again.err());
        assertTrue(again.out().contains("cached (reused"), again.out());

        Path json = dir.resolve("classifier.json");
        Files.writeString(json, Files.readString(json).replace("\"resolution\" : 16", "\"resolution\" : 24"));
        Outcome refused = classifier("--dataset", "procedural", "--resolution", "16");
        assertEquals(Cli.BAD_VALUE, refused.code(), refused.out());
        assertTrue(refused.err().contains(json.toString()), refused.err());
        assertTrue(refused.err().contains("resolution 24 px where 16 px was asked for"), refused.err());

        Outcome retrained = classifier("--dataset", "procedural", "--resolution", "16", "--retrain");
        assertEquals(0, retrained.code(), retrained.err());
        assertTrue(retrained.out().contains("trained and cached"), retrained.out());
    }

    @Test
    void aPresetNamesTheData() {
        assumeTrue(Files.isDirectory(Sources.DEFAULT_FASHION_MNIST), "Fashion-MNIST is not installed");
        Outcome o = classifier("--dataset", "fashion-mnist-pixel-cpu");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains(tmp.resolve("cache/classifiers/fashion-mnist-28px").toString()), o.out());
        assertTrue(o.out().contains("FD_fashion-mnist classifier"), o.out());
        assertTrue(o.out().contains("10 classes: T-shirt/top, Trouser"), o.out());
        assertTrue(o.out().contains("at 28 px, 1 channel(s)"), o.out());
    }

    @Test
    void anUnknownDatasetListsTheChoices() {
        Outcome o = classifier("--dataset", "nope");
        assertEquals(Cli.BAD_VALUE, o.code());
        assertTrue(o.err().contains("neither a preset nor a source"), o.err());
        assertTrue(o.err().contains("procedural"), o.err());
    }

    /** {@code eval fd}: a run scored against the held-out shapes, as JSON, with the classifier cached before. */
    @Test
    void fdScoresARunAsJson() throws Exception {
        assertEquals(0, classifier("--dataset", "procedural", "--resolution", "16").code());
        io.ldmstudio.runs.Run run = new io.ldmstudio.runs.Workspace(tmp).create("tiny",
                io.ldmstudio.ui.StudioFixture.tinyConfig("optim.steps=2", "logging.sample_every=2",
                        "logging.checkpoint_every=2"));
        io.ldmstudio.training.Trainer t = new io.ldmstudio.training.Trainer(run, io.ldmstudio.engine.Devices.resolve("cpu"));
        assertEquals(io.ldmstudio.training.Trainer.Outcome.FINISHED, t.run(new io.ldmstudio.training.TrainingControl()));
        Outcome o = CliTest.run("eval", "fd", "--dataset", "procedural", "--resolution", "16", "--fake", "tiny", "--n",
                "12", "--steps", "2", "--json", "--workspace", tmp.toString());
        assertEquals(0, o.code(), o.err());
        com.fasterxml.jackson.databind.JsonNode j = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(o.out().strip());
        assertEquals("FD_procedural", j.get("metric").asText());
        assertTrue(j.get("value").asDouble() > 0 && Double.isFinite(j.get("value").asDouble()), o.out());
        assertEquals(12, j.get("fake_images").asInt());
        assertEquals(12, j.get("real_images").asInt());
        assertEquals(2, j.get("checkpoint_step").asInt());
        Outcome bad = CliTest.run("eval", "fd", "--dataset", "procedural", "--resolution", "16", "--fake", "tiny", "--n",
                "1", "--workspace", tmp.toString());
        assertEquals(Cli.BAD_VALUE, bad.code(), bad.out());
        assertTrue(bad.err().contains("at least 2"), bad.err());
    }
}

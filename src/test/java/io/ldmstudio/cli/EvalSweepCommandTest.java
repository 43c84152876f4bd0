package io.ldmstudio.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ldmstudio.cli.CliTest.Outcome;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.training.Trainer;
import io.ldmstudio.training.TrainingControl;
import io.ldmstudio.ui.StudioFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code eval sweep}: the table printed and written, by run name or folder; bad lists named with their choices. */
class EvalSweepCommandTest {
    @TempDir
    static Path tmp;
    static Run run;

    @BeforeAll
    static void setUp() throws Exception {
        Outcome c = CliTest.run("eval", "classifier", "--dataset", "procedural", "--resolution", "16", "--steps", "3",
                "--batch", "8", "--test-images", "16", "--workspace", tmp.toString());
        assertEquals(0, c.code(), c.err());
        run = new Workspace(tmp).create("tiny", StudioFixture.tinyConfig("optim.steps=2", "logging.sample_every=2",
                "logging.checkpoint_every=2"));
        Trainer t = new Trainer(run, Devices.resolve("cpu"));
        assertEquals(Trainer.Outcome.FINISHED, t.run(new TrainingControl()), t.failure());
    }

    @Test
    void jsonWithOutListsEveryCellAndTheFiles() throws Exception {
        Path out = tmp.resolve("sweep-out");
        Outcome o = CliTest.run("eval", "sweep", "tiny", "--samplers", "ddim,dpmpp", "--steps", "2,3", "--n", "12",
                "--out", out.toString(), "--json", "--workspace", tmp.toString());
        assertEquals(0, o.code(), o.err());
        JsonNode j = new ObjectMapper().readTree(o.out().strip());
        assertEquals("FD_procedural", j.get("metric").asText());
        assertEquals(12, j.get("n").asInt());
        assertEquals(4, j.get("cells").size());
        String[] order = {"ddim/2", "ddim/3", "dpmpp/2", "dpmpp/3"};
        for (int i = 0; i < 4; i++) {
            JsonNode c = j.get("cells").get(i);
            assertEquals(order[i], c.get("sampler").asText() + "/" + c.get("steps").asInt());
            assertTrue(c.get("sample_seconds").asDouble() > 0, c.toString());
            assertTrue(Double.isFinite(c.get("value").asDouble()), c.toString());
        }
        assertEquals(out.toString(), j.get("files").get("dir").asText());
        assertEquals(5, Files.readAllLines(out.resolve("sweep.csv")).size());
        assertNotNull(ImageIO.read(out.resolve("sweep.png").toFile()));
        assertNotNull(ImageIO.read(out.resolve("samples-ddim-2.png").toFile()));
        // the same cell from eval fd, same seeds: the same number
        Outcome fd = CliTest.run("eval", "fd", "--dataset", "procedural", "--resolution", "16", "--fake",
                run.dir().toString(), "--n", "12", "--sampler", "dpmpp", "--steps", "3", "--json", "--workspace",
                tmp.toString());
        assertEquals(0, fd.code(), fd.err());
        assertEquals(new ObjectMapper().readTree(fd.out().strip()).get("value").asDouble(),
                j.get("cells").get(3).get("value").asDouble(), 0.0);
    }

    @Test
    void aRunFolderPrintsTheTableAndWritesIntoTheRun() throws Exception {
        Outcome o = CliTest.run("eval", "sweep", run.dir().toString(), "--samplers", "ddim", "--steps", "2", "--n", "4",
                "--workspace", tmp.toString());
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("| sampler | steps | FD_procedural |"), o.out());
        assertTrue(o.out().contains("| ddim | 2 |"), o.out());
        try (Stream<Path> s = Files.list(run.dir().resolve("eval"))) {
            List<Path> dirs = s.filter(p -> p.getFileName().toString().startsWith("sweep-")).toList();
            assertEquals(1, dirs.size(), dirs.toString());
            assertTrue(Files.isRegularFile(dirs.get(0).resolve("sweep.md")));
            assertTrue(o.out().contains(dirs.get(0).resolve("sweep.png").toString()), o.out());
        }
    }

    @Test
    void aPipelineFolderIsSweptAndScoredAsTheRunItWasExportedFrom() throws Exception {
        Path model = run.exportsDir().resolve("diffusers");
        Outcome o = CliTest.run("eval", "sweep", model.toString(), "--samplers", "ddim", "--steps", "3", "--n", "12",
                "--json", "--workspace", tmp.toString());
        assertEquals(0, o.code(), o.err());
        JsonNode j = new ObjectMapper().readTree(o.out().strip());
        assertEquals("tiny-export", j.get("model").asText());
        assertEquals("FD_procedural", j.get("metric").asText(), "scored against the data its weights name");
        Path dir = Path.of(j.get("files").get("dir").asText());
        assertTrue(dir.startsWith(tmp.resolve("eval").resolve("tiny-export")), dir.toString());
        assertTrue(Files.isRegularFile(dir.resolve("sweep.png")));
        // eval fd of the folder, and of the run with the run's own sampler (ddim, the export's scheduler): the same
        for (String fake : List.of(model.toString(), "tiny")) {
            Outcome fd = CliTest.run("eval", "fd", "--dataset", "procedural", "--resolution", "16", "--fake", fake,
                    "--n", "12", "--sampler", "ddim", "--steps", "3", "--json", "--workspace", tmp.toString());
            assertEquals(0, fd.code(), fd.err());
            assertEquals(new ObjectMapper().readTree(fd.out().strip()).get("value").asDouble(),
                    j.get("cells").get(0).get("value").asDouble(), 0.0, fake);
        }
        Outcome text = CliTest.run("eval", "fd", "--dataset", "procedural", "--resolution", "16", "--fake",
                model.toString(), "--n", "4", "--steps", "2", "--workspace", tmp.toString());
        assertEquals(0, text.code(), text.err());
        assertTrue(text.out().contains("(model tiny-export, ddim-2;"), text.out());
    }

    @Test
    void setSchedulerKeysSampleAPipelineAsTheEditedConfigWouldAndAreRefusedForARun() throws Exception {
        Path model = run.exportsDir().resolve("diffusers");
        // the same folder with its scheduler config edited by hand
        Path edited = tmp.resolve("edited");
        io.ldmstudio.ui.training.TrainingTestSupport.copyTree(model, edited);
        Path sc = edited.resolve("scheduler/scheduler_config.json");
        String text = Files.readString(sc);
        assertTrue(text.contains("\"timestep_spacing\" : \"leading\""), text);
        Files.writeString(sc, text.replace("\"timestep_spacing\" : \"leading\"", "\"timestep_spacing\" : \"trailing\""));
        double[] values = new double[3];
        String[][] args = {{model.toString(), "--set", "scheduler.timestep_spacing=trailing"}, {edited.toString()},
            {model.toString()}};
        for (int i = 0; i < 3; i++) {
            List<String> a = new java.util.ArrayList<>(List.of("eval", "fd", "--dataset", "procedural", "--resolution",
                    "16", "--n", "8", "--sampler", "dpmpp", "--steps", "3", "--json", "--workspace", tmp.toString(),
                    "--fake"));
            a.addAll(List.of(args[i]));
            Outcome o = CliTest.run(a.toArray(new String[0]));
            assertEquals(0, o.code(), o.err());
            JsonNode fd = new ObjectMapper().readTree(o.out().strip());
            values[i] = fd.get("value").asDouble();
            assertEquals(i == 0 ? "[\"scheduler.timestep_spacing=trailing\"]" : null,
                    fd.has("settings") ? fd.get("settings").toString() : null);
        }
        assertEquals(values[1], values[0], 0.0, "--set scheduler.timestep_spacing=trailing is the edited config");
        assertTrue(values[0] != values[2], "trailing and leading spacing sample other images");
        Outcome sweep = CliTest.run("eval", "sweep", model.toString(), "--samplers", "dpmpp", "--steps", "3", "--n", "8",
                "--set", "scheduler.timestep_spacing=trailing", "--json", "--workspace", tmp.toString());
        assertEquals(0, sweep.code(), sweep.err());
        JsonNode sj = new ObjectMapper().readTree(sweep.out().strip());
        assertEquals(values[0], sj.get("cells").get(0).get("value").asDouble(), 0.0);
        assertEquals("scheduler.timestep_spacing=trailing", sj.get("settings").get(0).asText());
        String md = Files.readString(Path.of(sj.get("files").get("markdown").asText()));
        assertTrue(md.startsWith("FD_procedural of model tiny-export (scheduler.timestep_spacing=trailing), 8 samples"),
                md);

        Outcome forRun = CliTest.run("eval", "sweep", "tiny", "--set", "scheduler.timestep_spacing=trailing",
                "--workspace", tmp.toString());
        assertEquals(Cli.BAD_VALUE, forRun.code(), forRun.out());
        assertTrue(forRun.err().contains("--set is for a pipeline folder"), forRun.err());
        Outcome badKey = CliTest.run("eval", "fd", "--dataset", "procedural", "--resolution", "16", "--fake",
                model.toString(), "--set", "scheduler.beta_end=0.1", "--workspace", tmp.toString());
        assertEquals(Cli.BAD_VALUE, badKey.code(), badKey.out());
        assertTrue(badKey.err().contains("--set scheduler.beta_end: not a sampling key"), badKey.err());
    }

    @Test
    void badListsAreRefusedNamingTheOptionAndTheChoices() {
        Outcome s = CliTest.run("eval", "sweep", "tiny", "--samplers", "ddim,foo", "--workspace", tmp.toString());
        assertEquals(Cli.BAD_VALUE, s.code(), s.out());
        assertTrue(s.err().contains("--samplers") && s.err().contains("ddpm, ddim, dpmpp"), s.err());
        Outcome k = CliTest.run("eval", "sweep", "tiny", "--steps", "0", "--workspace", tmp.toString());
        assertEquals(Cli.BAD_VALUE, k.code(), k.out());
        assertTrue(k.err().contains("--steps") && k.err().contains("from 1 to"), k.err());
        Outcome r = CliTest.run("eval", "sweep", "nope", "--workspace", tmp.toString());
        assertEquals(Cli.BAD_VALUE, r.code(), r.out());
        assertTrue(r.err().contains("no run named 'nope'"), r.err());
    }
}

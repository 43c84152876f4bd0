package io.ldmstudio.runs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.config.ConfigException;
import io.ldmstudio.config.ConfigOverrides;
import io.ldmstudio.config.ConfigResolver;
import io.ldmstudio.config.Presets;
import io.ldmstudio.config.RunConfig;
import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WorkspaceTest {
    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-23T19:55:00Z"), ZoneOffset.UTC);

    @TempDir
    Path root;

    private static RunConfig quickstart() {
        return ConfigResolver.resolve(Presets.classpath(), "quickstart", List.of());
    }

    @Test
    void rejectsBadNamesNamingTheNameAndTheRule() {
        for (String bad : new String[] {"../x", "a/b", "a\\b", "..", ".", ".hidden", "", "a..b", "sp ace", "x".repeat(65), "é"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Workspace.validateName(bad), bad);
            assertTrue(e.getMessage().contains("'" + bad + "'"), e.getMessage());
            assertTrue(e.getMessage().contains("1..64 characters of A-Z a-z 0-9 . _ -"), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> Workspace.validateName(null));
        for (String good : new String[] {"run-1.a", "a", "x".repeat(64), "quickstart-20261123-195500", "_x", "-x"}) {
            Workspace.validateName(good);
        }
        Workspace ws = new Workspace(root);
        assertThrows(IllegalArgumentException.class, () -> ws.create("../escape", quickstart()));
        assertThrows(IllegalArgumentException.class, () -> ws.open("../escape"));
        assertFalse(Files.exists(root.resolve("escape")));
    }

    @Test
    void uniqueNameStampsTheTimeAndCountsUp() throws IOException {
        Workspace ws = new Workspace(root, CLOCK);
        assertEquals("quickstart-20261123-195500", ws.uniqueName("quickstart"));
        ws.create("quickstart-20261123-195500", quickstart());
        assertEquals("quickstart-20261123-195500-2", ws.uniqueName("quickstart"));
        ws.create("quickstart-20261123-195500-2", quickstart());
        assertEquals("quickstart-20261123-195500-3", ws.uniqueName("quickstart"));
        assertEquals("my-run-20261123-195500", ws.uniqueName("my run"));
        assertEquals("run-20261123-195500", ws.uniqueName("../"));
        assertTrue(Workspace.isValidName(ws.uniqueName("p".repeat(100))));
    }

    @Test
    void createOpenAndRefuseDuplicatesOrInvalidConfigs() throws IOException {
        Workspace ws = new Workspace(root, CLOCK);
        Run run = ws.create("a", quickstart());
        assertEquals(run.dir(), ws.open("a").dir());
        assertThrows(FileAlreadyExistsException.class, () -> ws.create("a", quickstart()));
        assertThrows(NoSuchFileException.class, () -> ws.open("b"));
        RunConfig bad = ConfigOverrides.apply(quickstart(), List.of("optim.lr=0"));
        assertThrows(ConfigException.class, () -> ws.create("b", bad));
        assertFalse(Files.exists(ws.runsDir().resolve("b")));
    }

    @Test
    void listShowsRunsAndBrokenFoldersWithoutThrowing() throws Exception {
        Workspace ws = new Workspace(root, CLOCK);
        assertEquals(List.of(), ws.list(), "no runs/ yet");

        Run good = ws.create("good", quickstart());
        good.setState(RunStatus.RUNNING, "");
        AutoCloseable training = good.lockForTraining(); // someone is training it
        good.appendMetrics(new MetricsRow(40, 0.25, 2e-4, 1, 10, 4));
        Files.writeString(good.metricsFile(), "{\"step\":50,\"lo", java.nio.file.StandardOpenOption.APPEND);

        Run stateless = ws.create("stateless", quickstart());
        Files.delete(stateless.stateFile());
        Run garbled = ws.create("garbled", quickstart());
        Files.writeString(garbled.configFile(), "{\"config\": {\"optim\": ");
        Run badState = ws.create("bad-state", quickstart());
        Files.writeString(badState.stateFile(), "{\"status\": \"dancing\"}");
        Files.createDirectories(ws.runsDir().resolve("empty"));
        Files.createDirectories(ws.runsDir().resolve("half" + AtomicFiles.TMP_MARK + "1234")); // being created
        Files.createDirectories(ws.runsDir().resolve(".trash"));
        Files.writeString(ws.runsDir().resolve("stray.txt"), "not a run");

        Map<String, RunInfo> runs = ws.list().stream().collect(Collectors.toMap(RunInfo::name, Function.identity()));
        assertEquals(Map.of("good", RunStatus.RUNNING, "stateless", RunStatus.BROKEN, "garbled", RunStatus.BROKEN,
                        "bad-state", RunStatus.BROKEN, "empty", RunStatus.BROKEN),
                runs.values().stream().collect(Collectors.toMap(RunInfo::name, RunInfo::status)));

        training.close();
        RunInfo g = runs.get("good");
        assertEquals("quickstart", g.preset());
        assertEquals(40, g.step());
        assertEquals(0.25, g.lastLoss());
        assertEquals(Instant.parse("2026-11-23T19:55:00Z"), g.created());

        assertEquals("no state.json", runs.get("stateless").message());
        assertEquals("quickstart", runs.get("stateless").preset());
        assertTrue(runs.get("garbled").message().startsWith("config.json cannot be read"), runs.get("garbled").message());
        assertTrue(runs.get("bad-state").message().startsWith("state.json cannot be read"), runs.get("bad-state").message());
        assertEquals("no config.json", runs.get("empty").message());
        assertTrue(Double.isNaN(runs.get("empty").lastLoss()));
    }

    @Test
    void aRunCreatedBySomeoneElseDuringCreateIsAFileAlreadyExistsNamingTheRun() throws IOException {
        // the first clock read comes before the folder is published; the second while it is being filled
        for (int moment = 1; moment <= 2; moment++) {
            String name = "race" + moment;
            RunConfig theirs = ConfigOverrides.apply(quickstart(), List.of("optim.lr=0.5"));
            RacingClock clock = new RacingClock(moment, () -> new Workspace(root, CLOCK).create(name, theirs));
            FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class,
                    () -> new Workspace(root, clock).create(name, quickstart()), "at clock read " + moment);
            assertTrue(clock.reads() >= moment, "the race happened: " + clock.reads());
            assertTrue(e.getMessage().contains(root.resolve("runs").resolve(name).toString())
                    && e.getMessage().contains("a run named '" + name + "' was created meanwhile"), e.getMessage());
            assertEquals(0.5, new Workspace(root).open(name).config().optim().lr(), "the other run is untouched");
        }
        try (var left = Files.list(root.resolve("runs"))) {
            assertEquals(List.of("race1", "race2"), left.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary folder is left behind");
        }
    }
}

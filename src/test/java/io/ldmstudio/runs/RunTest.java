package io.ldmstudio.runs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.ldmstudio.config.ConfigResolver;
import io.ldmstudio.config.Configs;
import io.ldmstudio.config.Presets;
import io.ldmstudio.config.RunConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RunTest {
    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-23T19:55:00Z"), ZoneOffset.UTC);

    @TempDir
    Path root;
    Run run;
    RunConfig config;

    @BeforeEach
    void create() throws IOException {
        config = ConfigResolver.resolve(Presets.classpath(), "quickstart", List.of("optim.steps=100"));
        run = new Workspace(root, CLOCK).create("run-1", config, "PyTorch 2.7.1", "cpu");
    }

    /** A checkpoint folder as the trainer writes it; {@code complete} = with its state.json. */
    private Path checkpoint(long step, boolean complete) throws IOException {
        Path d = run.checkpointDir(step);
        Files.createDirectories(d);
        Files.writeString(d.resolve("model.safetensors"), "w" + step);
        if (complete) {
            Files.writeString(d.resolve("state.json"), "{\"step\": " + step + "}");
        }
        return d;
    }

    @Test
    void hasTheDesignLayout() {
        Path d = root.resolve("runs/run-1").toAbsolutePath();
        assertEquals(d, run.dir());
        assertEquals("run-1", run.name());
        for (String name : List.of("config.json", "state.json", "log.txt", "samples", "checkpoints", "exports")) {
            assertTrue(Files.exists(d.resolve(name)), name);
        }
        assertEquals(d.resolve("samples/step-00001000.png"), run.sampleGrid(1000));
        assertEquals(d.resolve("checkpoints/step-00001000"), run.checkpointDir(1000));
        assertEquals(d.resolve("checkpoints/LATEST"), run.latestFile());
        assertEquals(d.resolve("metrics.jsonl"), run.metricsFile());
    }

    @Test
    void configJsonRoundTripsTheConfigAndRecordsTheRun() throws IOException {
        assertEquals(config, run.config());
        RunManifest m = run.manifest();
        assertEquals("quickstart", m.preset());
        assertEquals("PyTorch 2.7.1", m.engine());
        assertEquals("cpu", m.device());
        assertEquals(Instant.parse("2026-11-23T19:55:00Z"), m.createdAt());
        JsonNode json = Configs.MAPPER.readTree(run.configFile().toFile());
        assertEquals(100, json.at("/config/optim/steps").intValue(), "the config is nested under \"config\", snake_case");
        assertEquals("2026-11-23T19:55:00Z", json.get("created").textValue());

        run.recordEnvironment("PyTorch 2.7.1", "cuda:0");
        assertEquals("cuda:0", run.manifest().device());
        assertEquals(config, run.config());
    }

    @Test
    void stateIsWrittenAtomicallyWithStatusMessageAndTime() throws IOException {
        assertEquals(RunStatus.CREATED, run.state().status());
        run.setState(RunStatus.FAILED, "out of memory");
        RunState s = run.state();
        assertEquals(RunStatus.FAILED, s.status());
        assertEquals("out of memory", s.message());
        assertEquals(Instant.parse("2026-11-23T19:55:00Z"), s.updatedAt());
        assertTrue(Files.readString(run.stateFile()).contains("\"status\" : \"failed\""));
    }

    @Test
    void logIsTimestampedAndKeepsLinesWholeAcrossThreads() throws Exception {
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int id = t;
            threads.add(new Thread(() -> {
                for (int i = 0; i < 50; i++) {
                    run.log("thread " + id + " line " + i + " " + "x".repeat(200));
                }
            }));
        }
        threads.forEach(Thread::start);
        for (Thread t : threads) {
            t.join();
        }
        run.log("two\nlines");
        List<String> lines = Files.readAllLines(run.logFile());
        assertEquals(1 + 200 + 2, lines.size());
        for (String line : lines) {
            assertTrue(line.startsWith("2026-11-23T19:55:00.000Z "), line);
        }
        assertTrue(lines.stream().filter(l -> l.contains("thread")).allMatch(l -> l.endsWith("x".repeat(200))));
        assertTrue(lines.get(lines.size() - 1).endsWith(" lines"));
    }

    @Test
    void saveCheckpointPublishesTheFolderThenLatest() throws IOException {
        assertTrue(run.latestCheckpoint().isEmpty());
        Checkpoint c = run.saveCheckpoint(250, dir -> {
            Files.writeString(dir.resolve("model.safetensors"), "w");
            Files.writeString(dir.resolve("state.json"), "{}");
        });
        assertEquals(250, c.step());
        assertEquals("step-00000250", Files.readString(run.latestFile()).trim());
        assertEquals(c, run.latestCheckpoint().orElseThrow());

        assertThrows(IOException.class, () -> run.saveCheckpoint(500, dir -> Files.writeString(dir.resolve("x"), "")),
                "a checkpoint without state.json is refused");
        assertEquals(250, run.latestCheckpoint().orElseThrow().step(), "LATEST still names the last good one");
    }

    @Test
    void latestFallsBackWhenTheNamedCheckpointIsIncomplete() throws IOException {
        checkpoint(100, true);
        checkpoint(200, true);
        checkpoint(300, false);
        Files.writeString(run.latestFile(), "step-00000300\n");
        assertEquals(200, run.latestCheckpoint().orElseThrow().step(), "incomplete: the newest complete one");

        Files.writeString(run.latestFile(), "step-00000900\n");
        assertEquals(200, run.latestCheckpoint().orElseThrow().step(), "missing folder");

        Files.writeString(run.latestFile(), "garbage");
        assertEquals(200, run.latestCheckpoint().orElseThrow().step(), "unreadable LATEST");

        Files.writeString(run.latestFile(), "step-00000100");
        assertEquals(100, run.latestCheckpoint().orElseThrow().step(), "a complete named one is trusted");
        assertEquals(run.checkpointDir(100), run.latestCheckpoint().orElseThrow().dir());
    }

    @Test
    void pruneKeepsTheNewestAndTheOneLatestNames() throws IOException {
        for (long s = 100; s <= 600; s += 100) {
            checkpoint(s, true);
        }
        checkpoint(50, false);   // left by an old crash
        checkpoint(700, false);  // newer than anything kept: maybe still useful to inspect, kept
        Files.writeString(run.latestFile(), "step-00000200\n"); // e.g. after resuming from 200

        List<Path> deleted = run.pruneCheckpoints(2);
        List<Long> left = new ArrayList<>();
        try (var s = Files.list(run.checkpointsDir())) {
            s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("step-")).sorted()
                    .forEach(n -> left.add(Checkpoint.parseStep(n).orElseThrow()));
        }
        assertEquals(List.of(200L, 500L, 600L, 700L), left);
        assertEquals(4, deleted.size());
        assertTrue(Files.exists(run.latestFile()));
        assertThrows(IllegalArgumentException.class, () -> run.pruneCheckpoints(0));
    }

    @Test
    void metricsAppendAndReadBack() throws IOException {
        assertTrue(run.lastMetrics().isEmpty());
        run.appendMetrics(new MetricsRow(10, 0.9, 2e-4, 1.0, 50, 1.0));
        run.appendMetrics(new MetricsRow(20, 0.8, 2e-4, 1.0, 50, 2.0));
        assertEquals(2, run.metrics().size());
        assertEquals(0.8, run.lastMetrics().orElseThrow().loss());
    }

    @Test
    void openingAFolderThatIsNotThereFails() {
        assertThrows(IOException.class, () -> Run.at(root.resolve("nope")));
        assertFalse(Files.exists(root.resolve("nope")));
    }
}

package io.ldmstudio.runs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.config.ConfigResolver;
import io.ldmstudio.config.Presets;
import io.ldmstudio.config.RunConfig;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Renaming, duplicating, annotating and deleting runs: nothing a run holds is lost by them. */
class RunManagementTest {
    @TempDir
    Path root;
    Workspace ws;
    RunConfig config;

    @BeforeEach
    void setUp() {
        System.setProperty("ldm.trash.dir", root.resolve("trash").toString());
        ws = new Workspace(root.resolve("ws"));
        config = ConfigResolver.resolve(Presets.classpath(), "quickstart", List.of("optim.steps=7")).withPreset("quickstart");
    }

    @AfterEach
    void tearDown() {
        System.clearProperty("ldm.trash.dir");
    }

    @Test
    void aRenamedRunKeepsItsHistoryUnderItsNewName() throws Exception {
        Run run = ws.create("old", config);
        run.appendMetrics(new MetricsRow(1, 0.5, 1e-4, 1, 10, 1));
        Run renamed = ws.rename("old", "new");
        assertFalse(Files.exists(root.resolve("ws/runs/old")));
        assertEquals(1, renamed.metrics().size());
        assertEquals(7, renamed.config().optim().steps());
        assertTrue(Files.readString(renamed.logFile()).contains("renamed from old to new"));
        ws.create("taken", config);
        assertThrows(FileAlreadyExistsException.class, () -> ws.rename("new", "taken"));
        assertThrows(IllegalArgumentException.class, () -> ws.rename("new", "bad/name"));
    }

    @Test
    void anAutoencoderRunThatOtherRunsUseIsNotRenamedFromUnderThem() throws Exception {
        ws.create("vae", ConfigResolver.resolve(Presets.classpath(), "vae-procedural", List.of()).withPreset("vae-procedural"));
        Path inside = root.resolve("ws/runs/vae/exports/../exports/diffusers");
        ws.create("latent", ConfigResolver.resolve(Presets.classpath(), "fashion-mnist-latent-cpu",
                List.of("autoencoder.path=" + inside)).withPreset("fashion-mnist-latent-cpu"));
        ws.create("vae-2", ConfigResolver.resolve(Presets.classpath(), "vae-procedural", List.of()).withPreset("vae-procedural"));
        ws.create("pixel", config);
        assertEquals(List.of("latent"), ws.dependents("vae"));
        assertEquals(List.of(), ws.dependents("vae-2"), "a folder whose name begins the same is another folder");
        java.io.IOException e = assertThrows(java.io.IOException.class, () -> ws.rename("vae", "vae-renamed"));
        assertTrue(e.getMessage().contains("autoencoder of run latent"), e.getMessage());
        assertTrue(Files.isDirectory(root.resolve("ws/runs/vae")));
        assertEquals("vae-3", ws.rename("vae-2", "vae-3").name());
        ws.delete("latent");
        assertEquals("vae-renamed", ws.rename("vae", "vae-renamed").name(), "free once nothing uses it");
    }

    @Test
    void aRunThatTrainsCannotBeRenamedOrDeleted() throws Exception {
        Run run = ws.create("busy", config);
        try (AutoCloseable lock = run.lockForTraining()) {
            Run.RunBusyException e = assertThrows(Run.RunBusyException.class, () -> ws.rename("busy", "other"));
            assertTrue(e.getMessage().contains("being trained already"), e.getMessage());
            assertThrows(Run.RunBusyException.class, () -> ws.delete("busy"));
        }
        assertTrue(Files.isDirectory(run.dir()));
    }

    @Test
    void aDuplicateHasTheConfigAndNoteButNoneOfTheHistory() throws Exception {
        Run run = ws.create("orig", config);
        run.appendMetrics(new MetricsRow(1, 0.5, 1e-4, 1, 10, 1));
        run.setNote("lr sweep, the low end");
        Run copy = ws.duplicate("orig", "orig-2");
        assertEquals(run.config(), copy.config());
        assertEquals(RunStatus.CREATED, copy.state().status());
        assertTrue(copy.metrics().isEmpty());
        assertEquals("lr sweep, the low end", copy.note());
        assertTrue(Files.readString(copy.logFile()).contains("config copied from run orig"));
    }

    @Test
    void notesAreShownInTheListingAndAnEmptyNoteRemovesIt() throws Exception {
        Run run = ws.create("noted", config);
        run.setNote("  first try  \n");
        RunInfo info = ws.list().get(0);
        assertEquals("first try", info.note());
        run.setNote("");
        assertFalse(Files.exists(run.dir().resolve(Run.NOTE)));
        assertEquals("", ws.list().get(0).note());
    }

    @Test
    void aDeletedRunGoesToTheTrashWithTheInformationToRestoreIt() throws Exception {
        Run run = ws.create("gone", config);
        run.appendMetrics(new MetricsRow(1, 0.5, 1e-4, 1, 10, 1));
        Path where = ws.delete("gone");
        assertFalse(Files.exists(run.dir()));
        assertTrue(where.startsWith(root.resolve("trash/files")), where.toString());
        assertTrue(Files.isRegularFile(where.resolve(Run.METRICS)), "the whole folder, history included");
        Path info = root.resolve("trash/info/" + where.getFileName() + ".trashinfo");
        String text = Files.readString(info);
        assertTrue(text.startsWith("[Trash Info]\nPath=") && text.contains(Trash.encode(run.dir().toString()))
                && text.contains("DeletionDate="), text);
        assertTrue(ws.list().isEmpty());
    }

    @Test
    void theListingSaysWhichCheckpointAResumeStartsFrom() throws Exception {
        Run run = ws.create("ck", config);
        run.saveCheckpoint(4, dir -> Files.writeString(dir.resolve(Run.CHECKPOINT_STATE), "{\"step\": 4}"));
        run.appendMetrics(new MetricsRow(6, 0.5, 1e-4, 1, 10, 1));
        RunInfo info = ws.list().get(0);
        assertEquals(6, info.step(), "the last step logged");
        assertEquals(4, info.checkpointStep(), "where resume starts");
    }

    @Test
    void pathsAreEscapedAsTheTrashSpecAsks() {
        assertEquals("/tmp/a%20b/%C3%A9", Trash.encode("/tmp/a b/é"));
    }
}

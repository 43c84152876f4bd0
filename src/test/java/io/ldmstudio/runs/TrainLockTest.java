package io.ldmstudio.runs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.config.ConfigResolver;
import io.ldmstudio.config.Presets;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One trainer per run, and a run whose trainer was killed shows as interrupted, not running forever. */
class TrainLockTest {
    @TempDir
    Path root;

    /** Holds a run's training lock in a separate process until killed. */
    public static final class Holder {
        public static void main(String[] args) throws Exception {
            Run run = Run.at(Path.of(args[0]));
            AutoCloseable lock = run.lockForTraining();
            run.setState(RunStatus.RUNNING, "training in another process");
            System.out.println("locked");
            System.out.flush();
            Thread.sleep(120_000);
            lock.close();
        }
    }

    Run newRun() throws Exception {
        Workspace ws = new Workspace(root);
        return ws.create("r", ConfigResolver.resolve(Presets.classpath(), "quickstart", List.of()));
    }

    @Test
    void aSecondTrainerInThisProcessIsRefused() throws Exception {
        Run run = newRun();
        assertFalse(run.isBeingTrained());
        try (AutoCloseable lock = run.lockForTraining()) {
            assertTrue(run.isBeingTrained());
            IllegalStateException e = assertThrows(IllegalStateException.class, run::lockForTraining);
            assertTrue(e.getMessage().contains("being trained already"), e.getMessage());
            assertTrue(Run.at(run.dir()).isBeingTrained(), "another Run object for the same folder sees it too");
        }
        assertFalse(run.isBeingTrained());
        run.lockForTraining().close(); // free again
    }

    @Test
    void aKilledTrainerLeavesTheRunInterruptedAndResumable() throws Exception {
        Run run = newRun();
        String java = ProcessHandle.current().info().command().orElse("java");
        Process child = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"), Holder.class.getName(),
                run.dir().toString()).redirectErrorStream(true).start();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("locked", out.readLine());
            Workspace ws = new Workspace(root);
            assertEquals(RunStatus.RUNNING, ws.info(run.dir()).status());
            assertTrue(run.isBeingTrained());
            assertThrows(IllegalStateException.class, run::lockForTraining, "the other process trains it");
        } finally {
            child.destroyForcibly();
            assertTrue(child.waitFor(30, TimeUnit.SECONDS));
        }
        RunInfo info = new Workspace(root).info(run.dir());
        assertEquals(RunStatus.STOPPED, info.status());
        assertEquals(Workspace.INTERRUPTED, info.message());
        assertEquals(RunStatus.RUNNING, run.state().status(), "state.json itself is left as the dead process wrote it");
        run.lockForTraining().close(); // a resume can take it
    }
}

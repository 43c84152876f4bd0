package io.ldmstudio.service;

import io.ldmstudio.engine.Devices;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.config.ConfigResolver;
import io.ldmstudio.config.Presets;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.runs.Checkpoint;
import io.ldmstudio.runs.MetricsRow;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.RunStatus;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.training.Trainer;
import io.ldmstudio.training.TrainingListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training in a process of its own, steered and followed through the run folder only: what the studio
 * does with every run, and with runs a CLI or an earlier studio started.
 */
class TrainingProcessTest {
    /** A tiny 16 px U-Net on the procedural shapes: a step takes a few milliseconds. */
    static final List<String> TINY = List.of(
            "data.resolution=16", "data.workers=1",
            "model.model_channels=16", "model.channel_mult=1,2", "model.num_res_blocks=1",
            "model.attention_resolutions=2", "model.num_heads=2", "model.norm_groups=8",
            "optim.batch_size=8", "optim.warmup_steps=3", "logging.log_every=1", "logging.keep_checkpoints=2",
            "sampling.n=4", "sampling.steps=8", "device=cpu");

    @TempDir
    Path root;

    private final List<Process> started = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        started.forEach(p -> p.toHandle().destroyForcibly());
    }

    static RunConfig config(String... more) {
        List<String> o = new ArrayList<>(TINY);
        o.addAll(List.of(more));
        return ConfigResolver.resolve(Presets.classpath(), "quickstart", o).withPreset("quickstart");
    }

    /** Records the events a follower reports. */
    static final class Recorder implements TrainingListener {
        final List<StepEvent> steps = new CopyOnWriteArrayList<>();
        final List<MetricsRow> rows = new CopyOnWriteArrayList<>();
        final List<RunStatus> states = new CopyOnWriteArrayList<>();
        final List<Long> checkpoints = new CopyOnWriteArrayList<>();
        final List<String> log = new CopyOnWriteArrayList<>();

        @Override
        public void onStep(StepEvent e) {
            steps.add(e);
        }

        @Override
        public void onMetrics(MetricsRow row) {
            rows.add(row);
        }

        @Override
        public void onState(RunStatus status, String message) {
            states.add(status);
        }

        @Override
        public void onCheckpoint(long step, Path dir) {
            checkpoints.add(step);
        }

        @Override
        public void onLog(String line) {
            log.add(line);
        }

        long lastStep() {
            return steps.isEmpty() ? 0 : steps.get(steps.size() - 1).step();
        }
    }

    private static void until(RunFollower f, double seconds, String what, BooleanSupplier ok) throws InterruptedException {
        long end = System.nanoTime() + (long) (seconds * 1e9);
        while (System.nanoTime() < end) {
            f.poll();
            if (ok.getAsBoolean()) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError("timed out after " + seconds + " s waiting for " + what);
    }

    private TrainingProcess.Job launch(Run run) throws IOException {
        TrainingProcess.Job job = TrainingProcess.prepare(run, root, "cpu", 0);
        job.launch();
        return job;
    }

    @Test
    void aTrainingProcessIsFollowedPausedCheckpointedAndStoppedThroughItsFolderByWhoeverAttaches() throws Exception {
        Workspace ws = new Workspace(root);
        Run run = ws.create("far", config("optim.steps=1000000", "logging.checkpoint_every=1000000",
                "logging.sample_every=1000000"));
        Recorder seen = new Recorder();
        RunFollower follower = new RunFollower(run, seen);
        TrainingProcess.Job job = launch(run);
        assertTrue(job.pid().isPresent());
        until(follower, 120, "steps from the process", () -> seen.lastStep() >= 5 && seen.rows.size() >= 3);
        assertTrue(run.isBeingTrained(), "the process holds the run's training lock");
        assertEquals(job.pid().getAsLong(), run.trainerPid().getAsLong(), "train.lock names the process");
        assertTrue(seen.log.stream().anyMatch(l -> l.startsWith("LDM Studio training 'far'")), seen.log.toString());
        assertTrue(seen.rows.get(0).step() >= 1 && seen.rows.get(1).step() == seen.rows.get(0).step() + 1);

        // a second studio (or this one, reopened) attaches to the run through its folder
        TrainingProcess.Job attached = TrainingProcess.attach(run);
        assertTrue(attached.isAttached() && attached.isAlive());
        assertEquals(job.pid(), attached.pid());

        attached.control().pause();
        until(follower, 30, "paused", () -> seen.states.contains(RunStatus.PAUSED));
        // metrics.jsonl has every step (log_every=1) before the trainer pauses; progress.json follows within 250 ms
        long pausedAt = run.lastMetrics().orElseThrow().step();
        Thread.sleep(1500);
        follower.poll();
        assertEquals(pausedAt, run.lastMetrics().orElseThrow().step(), "no step while paused");
        assertEquals(pausedAt, seen.lastStep(), "the follower saw the step the run paused at");
        assertEquals(RunStatus.PAUSED, run.state().status());

        attached.control().resume();
        until(follower, 30, "training again", () -> seen.lastStep() > pausedAt + 3);
        attached.control().requestCheckpoint();
        until(follower, 30, "the checkpoint asked for", () -> !seen.checkpoints.isEmpty());
        assertTrue(run.latestCheckpoint().isPresent());

        attached.control().requestStop();
        until(follower, 60, "the process's end", () -> !job.processAlive());
        follower.poll();
        job.finish();
        attached.finish();
        assertEquals(Trainer.Outcome.STOPPED, job.done().get());
        assertEquals(Trainer.Outcome.STOPPED, attached.done().get());
        assertEquals(RunStatus.STOPPED, run.state().status());
        long last = run.lastMetrics().orElseThrow().step();
        assertEquals(last, run.latestCheckpoint().orElseThrow().step(), "the stop wrote a checkpoint at the last step");
        assertFalse(Files.exists(run.controlFile()), "the trainer removes its control file when it ends");
        assertFalse(run.isBeingTrained());
    }

    @Test
    void aTrainingProcessKilledWithSigkillLeavesItsRunFailedWithTheReasonAndItsLastCheckpoint() throws Exception {
        Workspace ws = new Workspace(root);
        Run run = ws.create("killed", config("optim.steps=1000000", "logging.checkpoint_every=4",
                "logging.sample_every=1000000"));
        Recorder seen = new Recorder();
        RunFollower follower = new RunFollower(run, seen);
        TrainingProcess.Job job = launch(run);
        until(follower, 120, "a checkpoint", () -> !seen.checkpoints.isEmpty() && seen.lastStep() >= 6);
        job.kill();
        until(follower, 30, "the process's end", () -> !job.processAlive());
        job.finish();
        assertEquals(Trainer.Outcome.FAILED, job.done().get());
        String why = job.failure();
        assertTrue(why.contains("exit code 137") && why.contains("SIGKILL"), why);
        Checkpoint cp = run.latestCheckpoint().orElseThrow();
        assertTrue(why.contains("the last checkpoint is " + cp.dir().getFileName()), why);
        assertEquals(RunStatus.FAILED, run.state().status(), "state.json says what the studio saw");
        assertEquals(why, run.state().message());
        assertFalse(run.isBeingTrained(), "the OS released the lock with the process");
    }

    /**
     * Linux gives a new session a scheduling group of its own, and nice ranks threads only inside a group:
     * the trainer's group must be niced too, or it takes half of the CPU from the window.
     */
    @Test
    void theTrainerRunsInASessionOfItsOwnWhoseSchedulingGroupIsNiced() throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.exists(Path.of("/proc/self/autogroup"))
                && Files.isExecutable(Path.of("/usr/bin/setsid")) && Files.isExecutable(Path.of("/usr/bin/nice")),
                "Linux with autogroup, setsid and nice");
        Run run = new Workspace(root).create("nice", config());
        List<String> cmd = new ArrayList<>(TrainingProcess.command(run, root, "cpu", 0));
        int java = cmd.indexOf(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        assertTrue(java > 0, cmd.toString());
        // the same launcher, with a probe in java's place: its session, scheduling group and nice
        List<String> probe = new ArrayList<>(cmd.subList(0, java));
        probe.addAll(List.of("/bin/sh", "-c", "cat /proc/$$/autogroup /proc/$$/stat"));
        Process p = new ProcessBuilder(probe).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes()).trim();
        assertEquals(0, p.waitFor(), out);
        String[] lines = out.split("\\R");
        assertTrue(lines[0].matches("/autogroup-\\d+ nice 19"), out);
        assertFalse(lines[0].equals(Files.readString(Path.of("/proc/self/autogroup")).trim()), "a group of its own: " + out);
        // /proc/PID/stat: pid (comm) state ppid pgrp session ... nice is the 19th field
        String[] stat = lines[1].substring(lines[1].lastIndexOf(')') + 2).split(" ");
        String pid = lines[1].substring(0, lines[1].indexOf(' '));
        assertEquals(pid, stat[3], "the leader of its own session: " + out);
        assertEquals("19", stat[16], "nice: " + out);
    }

    @Test
    void aTermSignalWhileASampleGridIsDrawnEndsInACheckpointAndStopped() throws Exception {
        Workspace ws = new Workspace(root);
        // a grid of 64 images with 1000 DDPM steps: long enough to be caught in the middle of it
        Run run = ws.create("term", config("optim.steps=1000000", "logging.checkpoint_every=1000000",
                "logging.sample_every=3", "sampling.n=64", "sampling.sampler=ddpm", "sampling.steps=1000"));
        Path tmp = Files.createDirectories(root.resolve("tmp"));
        List<String> cmd = new ArrayList<>(TrainingProcess.command(run, root, "cpu", 0));
        cmd.add(cmd.indexOf("-cp"), "-Djava.io.tmpdir=" + tmp);
        Recorder seen = new Recorder();
        RunFollower follower = new RunFollower(run, seen);
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(run.trainOutFile().toFile())).start();
        started.add(p);
        until(follower, 120, "the grid of step 3 under way", () -> seen.lastStep() >= 3);
        Thread.sleep(700);
        follower.poll();
        assertEquals(3, seen.lastStep(), "still drawing the grid of step 3");
        long t0 = System.nanoTime();
        p.destroy(); // SIGTERM, as kill or a closing terminal sends
        int code = p.waitFor();
        double seconds = (System.nanoTime() - t0) / 1e9;
        follower.poll();
        // 128 + 15: a JVM ended by TERM exits so once its shutdown hooks (the CLI's stop) have run
        assertEquals(143, code, "output: " + Files.readString(run.trainOutFile()));
        assertTrue(seconds < 30, "the grid is abandoned, not finished: " + seconds + " s");
        assertEquals(RunStatus.STOPPED, run.state().status(), run.state().message());
        assertEquals(3, run.latestCheckpoint().orElseThrow().step());
        assertTrue(Files.readString(run.logFile()).contains("sample grid of step 3 not written: a stop was requested"));
        assertFalse(Files.exists(run.sampleGrid(3)));
        try (Stream<Path> left = Files.list(tmp)) {
            assertEquals(List.of(), left.toList(), "nothing left in the temporary folder (ImageIO's cache)");
        }
    }

    @Test
    void temporaryFilesOfInterruptedWritesAreDeletedWhenTrainingStartsAndLogged() throws Exception {
        Workspace ws = new Workspace(root);
        Run run = ws.create("temps", config("optim.steps=2", "logging.checkpoint_every=2", "logging.sample_every=2"));
        Path stale = Files.createDirectories(run.checkpointsDir().resolve("step-00000004.tmp-123456"));
        Files.write(stale.resolve("model.safetensors"), new byte[3000]);
        Path staleState = Files.writeString(run.dir().resolve(".state.json.tmp-99"), "{");
        Path control = Files.writeString(run.dir().resolve(".control.json.tmp-77"), "{"); // a studio writing now
        TrainingService.Job job = new TrainingService().start(run, Devices.resolve("cpu"), 0, List.of());
        assertEquals(Trainer.Outcome.FINISHED, job.await(), job.failure());
        assertFalse(Files.exists(stale));
        assertFalse(Files.exists(staleState));
        assertTrue(Files.exists(control), "another writer's temporary control file is left alone");
        String log = Files.readString(run.logFile());
        assertTrue(log.contains("deleted 2 temporary file(s) left by an interrupted write")
                && log.contains("checkpoints/step-00000004.tmp-123456"), log);
        Optional<Checkpoint> cp = run.latestCheckpoint();
        assertEquals(2, cp.orElseThrow().step());
    }

    @Test
    void aCheckpointIsWrittenAfterTheMinutesOfTrainingTheConfigAllowsWhateverTheStep() throws Exception {
        Workspace ws = new Workspace(root);
        // 0.3 s between checkpoints by time, none by steps before the end
        Run run = ws.create("timed", config("optim.steps=40", "logging.checkpoint_every=1000",
                "logging.sample_every=1000", "logging.checkpoint_minutes=0.005", "logging.keep_checkpoints=100"));
        TrainingService.Job job = new TrainingService().start(run, Devices.resolve("cpu"), 0, List.of());
        assertEquals(Trainer.Outcome.FINISHED, job.await(), job.failure());
        List<Checkpoint> cps = run.checkpoints();
        assertTrue(cps.size() >= 3, "checkpoints by time before the last step: " + cps);
        assertEquals(40, cps.get(cps.size() - 1).step());
        assertTrue(Files.readString(run.logFile()).contains("minutes since the last checkpoint: one at step "
                + cps.get(0).step() + " (logging.checkpoint_minutes)"), Files.readString(run.logFile()));
    }
}

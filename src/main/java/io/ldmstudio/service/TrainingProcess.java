package io.ldmstudio.service;

import io.ldmstudio.runs.Checkpoint;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.RunControl;
import io.ldmstudio.runs.RunState;
import io.ldmstudio.runs.RunStatus;
import io.ldmstudio.training.Trainer;
import io.ldmstudio.training.TrainingControl;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;

/**
 * Training in a process of its own: the same program's headless {@code resume RUN} command, started as a
 * child of the studio with its output in the run's {@code train.out}, in a session of its own where the
 * system allows (so closing the terminal or the window leaves it training). A {@link Job} is that
 * process as the studio sees it — or a run someone else trains, {@linkplain #attach attached} through
 * its folder. Requests go through the run's {@code control.json}; events come from its files
 * ({@link RunFollower}). A process that dies without writing its final state (killed, out of memory, a
 * native crash) leaves its run {@code failed} with the reason and the checkpoint resume starts from.
 */
public final class TrainingProcess {
    private TrainingProcess() {}

    /** How much lower the training process's CPU priority is than the studio's (Unix nice; {@code -Dldm.training.nice}). */
    static final int NICE = 19;

    /** The program's entry point (its CLI). */
    static final String MAIN = "io.ldmstudio.Main";

    /**
     * The command line that trains {@code run} to its end (or to {@code totalSteps} when &gt; 0) in a new
     * JVM: this JVM's {@code java}, class path and engine settings.
     */
    public static List<String> command(Run run, Path workspace, String device, long totalSteps) {
        List<String> cmd = new ArrayList<>();
        int nice = Integer.getInteger("ldm.training.nice", NICE);
        if (Files.isExecutable(Path.of("/usr/bin/setsid"))) {
            cmd.add("/usr/bin/setsid"); // a session of its own: the studio's terminal closing or Ctrl+C does not reach it
            if (nice > 0 && Files.exists(Path.of("/proc/self/autogroup")) && Files.isExecutable(Path.of("/bin/sh"))) {
                // Linux puts a new session in a scheduling group of its own (autogroup), and nice only ranks
                // threads inside a group: without the group's own nice the trainer would still take half of
                // the CPU from the window. Best effort; the trainer starts either way.
                cmd.addAll(List.of("/bin/sh", "-c", "echo " + nice + " > /proc/self/autogroup 2>/dev/null; exec \"$@\"",
                        "ldm-training"));
            }
        }
        if (nice > 0 && Files.isExecutable(Path.of("/usr/bin/nice"))) {
            // the window is served first when both want the CPU: training loses nothing while the studio idles
            cmd.addAll(List.of("/usr/bin/nice", "-n", Integer.toString(nice)));
        }
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        for (String key : System.getProperties().stringPropertyNames().stream().sorted().toList()) {
            if (key.startsWith("ai.djl.") || key.equals("java.awt.headless") || key.equals("java.io.tmpdir")) {
                cmd.add("-D" + key + "=" + System.getProperty(key));
            }
        }
        cmd.add("-XX:ErrorFile=" + run.dir().resolve("hs_err_pid%p.log"));
        // its hot loop is libtorch's: the quick JIT tier and one GC thread leave the cores to PyTorch and the window
        cmd.add("-XX:TieredStopAtLevel=1");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add(MAIN);
        cmd.add("resume");
        cmd.add(run.name());
        cmd.add("--workspace");
        cmd.add(workspace.toAbsolutePath().normalize().toString());
        if (device != null) {
            cmd.add("--device");
            cmd.add(device);
        }
        if (totalSteps > 0) {
            cmd.add("--steps");
            cmd.add(Long.toString(totalSteps));
        }
        return cmd;
    }

    /** This JVM's class path with every entry made absolute (the child may start elsewhere). */
    static String classPath() {
        List<String> out = new ArrayList<>();
        for (String e : System.getProperty("java.class.path").split(File.pathSeparator)) {
            if (!e.isEmpty()) {
                out.add(Path.of(e).toAbsolutePath().normalize().toString());
            }
        }
        return String.join(File.pathSeparator, out);
    }

    /** A job waiting to be started (see {@link Job#launch}). */
    public static Job prepare(Run run, Path workspace, String device, long totalSteps) {
        return new Job(run, command(run, workspace, device, totalSteps));
    }

    /**
     * The run trained by another process (a CLI, an earlier studio), as a job: its control writes the
     * run's {@code control.json}, it ends when that process does.
     */
    public static Job attach(Run run) {
        Job j = new Job(run, null);
        OptionalLong pid = run.trainerPid();
        // a run this very process trains (in a thread: tests, an embedding) is watched through its lock
        boolean here = pid.isPresent() && pid.getAsLong() == ProcessHandle.current().pid();
        j.handle = pid.isPresent() && !here ? ProcessHandle.of(pid.getAsLong()).orElse(null) : null;
        j.attached = true;
        RunControl c = RunControl.read(run);
        boolean paused = c.pause();
        try {
            paused = paused || run.state().status() == RunStatus.PAUSED;
        } catch (IOException | RuntimeException e) {
            // as the control file says
        }
        j.control.assume(paused, c.stop(), c.checkpoint());
        return j;
    }

    /** A training process as the studio sees it. */
    public static final class Job implements TrainingJob {
        private final Run run;
        private final List<String> command;
        private final TrainingControl control = new TrainingControl();
        private final CompletableFuture<Trainer.Outcome> done = new CompletableFuture<>();
        private volatile Process process;
        private volatile ProcessHandle handle;
        private volatile boolean attached;
        private volatile String failure;
        private volatile boolean launched;

        Job(Run run, List<String> command) {
            this.run = run;
            this.command = command;
            control.onChange(this::sendControl);
        }

        @Override
        public Run run() {
            return run;
        }

        @Override
        public TrainingControl control() {
            return control;
        }

        @Override
        public CompletableFuture<Trainer.Outcome> done() {
            return done;
        }

        @Override
        public String failure() {
            return failure;
        }

        @Override
        public boolean isAlive() {
            return !done.isDone();
        }

        /** Waiting for its turn: not started yet. */
        public boolean isQueued() {
            return !attached && !launched && !done.isDone();
        }

        /** Trained by a process this studio did not start. */
        public boolean isAttached() {
            return attached;
        }

        /** The training process's id, when it runs. */
        public OptionalLong pid() {
            ProcessHandle h = handle;
            return h == null ? OptionalLong.empty() : OptionalLong.of(h.pid());
        }

        /** Starts the process (once); its output goes to the run's {@code train.out}. */
        public synchronized void launch() throws IOException {
            if (launched || attached || done.isDone()) {
                return;
            }
            if (control.stopRequested()) { // stopped while it waited: nothing was trained, nothing to save
                done.complete(Trainer.Outcome.STOPPED);
                return;
            }
            Files.writeString(run.trainOutFile(), "---- " + java.time.Instant.now() + " " + String.join(" ", command)
                    + "\n", StandardCharsets.UTF_8, java.nio.file.StandardOpenOption.CREATE,
                    java.nio.file.StandardOpenOption.APPEND);
            ProcessBuilder pb = new ProcessBuilder(command).directory(new File(System.getProperty("user.dir")))
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(run.trainOutFile().toFile()));
            Process p = pb.start();
            p.getOutputStream().close();
            process = p;
            handle = p.toHandle();
            launched = true;
        }

        /** Whether the training process still runs (a queued job counts as alive). */
        public boolean processAlive() {
            if (done.isDone()) {
                return false;
            }
            if (!attached && !launched) {
                return true;
            }
            ProcessHandle h = handle;
            if (h != null) {
                return h.isAlive();
            }
            return run.isBeingTrained(); // an attached run whose trainer did not say who it is
        }

        /** Called once the process has ended: settles the outcome from the run's final state. */
        public void finish() {
            if (done.isDone()) {
                return;
            }
            RunState state = null;
            try {
                state = run.state();
            } catch (IOException | RuntimeException e) {
                // judged as a death below
            }
            RunStatus s = state == null ? null : state.status();
            if (s == RunStatus.FINISHED) {
                done.complete(Trainer.Outcome.FINISHED);
            } else if (s == RunStatus.STOPPED) {
                done.complete(Trainer.Outcome.STOPPED);
            } else if (s == RunStatus.FAILED) {
                failure = state.message();
                done.complete(Trainer.Outcome.FAILED);
            } else {
                failure = deathReason();
                if (!run.isBeingTrained()) { // nobody took it over meanwhile
                    try {
                        run.setState(RunStatus.FAILED, failure);
                    } catch (IOException e) {
                        run.setStateInPlace(RunStatus.FAILED, failure);
                    }
                    run.log("failed: " + failure);
                }
                done.complete(Trainer.Outcome.FAILED);
            }
        }

        private String deathReason() {
            StringBuilder b = new StringBuilder("the training process");
            pid().ifPresent(pid -> b.append(" (pid ").append(pid).append(')'));
            Process p = process;
            if (p != null && !p.isAlive()) {
                int code = p.exitValue();
                b.append(" ended without finishing its run: exit code ").append(code);
                String signal = signal(code);
                if (signal != null) {
                    b.append(" (").append(signal).append(')');
                }
            } else {
                b.append(" ended without finishing its run");
            }
            Optional<String> crash = nativeCrash();
            crash.ifPresent(c -> b.append("; ").append(c));
            if (crash.isEmpty()) {
                lastError().ifPresent(l -> b.append("; it printed: ").append(l));
            }
            try {
                Optional<Checkpoint> cp = run.latestCheckpoint();
                b.append(cp.map(c -> "; the last checkpoint is " + c.dir().getFileName() + " — Resume continues from it")
                        .orElse("; it had no checkpoint yet — Resume starts it again"));
            } catch (IOException e) {
                // the reason stands without it
            }
            return b.toString();
        }

        static String signal(int code) {
            return switch (code) {
                case 137 -> "killed: SIGKILL — kill -9, or the system ran out of memory";
                case 143 -> "terminated: SIGTERM";
                case 134 -> "aborted: SIGABRT — a native crash";
                case 136 -> "SIGFPE — a native crash";
                case 139 -> "SIGSEGV — a native crash";
                case 135 -> "SIGBUS — a native crash";
                default -> null;
            };
        }

        /** "a native crash: see hs_err_pidN.log in the run folder" when the JVM left its report there. */
        private Optional<String> nativeCrash() {
            OptionalLong pid = pid();
            if (pid.isPresent()) {
                Path report = run.dir().resolve("hs_err_pid" + pid.getAsLong() + ".log");
                if (Files.exists(report)) {
                    return Optional.of("a native crash: see " + report.getFileName() + " in the run folder");
                }
            }
            return Optional.empty();
        }

        /** The last line of {@code train.out} that reads like an error (not a progress line). */
    private Optional<String> lastError() {
            Path out = run.trainOutFile();
            if (!Files.exists(out)) {
                return Optional.empty();
            }
            try (RandomAccessFile raf = new RandomAccessFile(out.toFile(), "r")) {
                long size = raf.length();
                int n = (int) Math.min(size, 4096);
                byte[] bytes = new byte[n];
                raf.seek(size - n);
                raf.readFully(bytes);
                List<String> lines = new String(bytes, StandardCharsets.UTF_8).lines()
                        .map(l -> l.replace('\r', ' ').strip())
                        .filter(l -> l.contains("rror") || l.contains("xception") || l.contains("atal"))
                        .toList();
                return lines.isEmpty() ? Optional.empty() : Optional.of(lines.get(lines.size() - 1));
            } catch (IOException e) {
                return Optional.empty();
            }
        }

        private void sendControl() {
            if (isQueued() && !control.stopRequested()) {
                return; // written when it starts
            }
            if (isQueued()) {
                done.complete(Trainer.Outcome.STOPPED); // taken out of the queue
                return;
            }
            try {
                RunControl.write(run, control.isPaused(), control.stopRequested(), control.checkpointRequests());
            } catch (IOException e) {
                failure = "cannot write " + run.controlFile() + ": " + e.getMessage();
            }
        }

        /** Kills the process (a stop that does not come: the last resort). */
        public void kill() {
            ProcessHandle h = handle;
            if (h != null) {
                h.destroyForcibly();
            }
        }

        @Override
        public String toString() {
            return "TrainingProcess.Job[" + run.name() + (attached ? ", attached" : "") + "]";
        }
    }
}

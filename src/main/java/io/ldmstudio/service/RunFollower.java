package io.ldmstudio.service;

import io.ldmstudio.runs.Checkpoint;
import io.ldmstudio.runs.MetricsLog;
import io.ldmstudio.runs.MetricsRow;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.RunProgress;
import io.ldmstudio.runs.RunState;
import io.ldmstudio.runs.RunStatus;
import io.ldmstudio.training.TrainingListener;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * Follows a run that another process trains, through its folder, and turns what changes into
 * {@link TrainingListener} events: {@code state.json} → onState, {@code progress.json} → onStep, new
 * {@code metrics.jsonl} rows → onMetrics, its evaluation rows → onEval (all of them again when the file shrank: a resume dropped rows),
 * new {@code log.txt} lines → onLog (without their time stamp), new {@code samples/*.png} → onSample,
 * {@code checkpoints/LATEST} → onCheckpoint. Not thread-safe: call {@link #poll} from one thread.
 * What was there when following began is history (the caller reads it); the state and progress are
 * reported once at the first poll.
 */
public final class RunFollower {
    private final Run run;
    private final TrainingListener out;
    private long metricsOffset;
    private long logOffset;
    private Stamp stateTime;
    private RunState lastState;
    private Stamp progressTime;
    private long lastProgressStep = -1;
    private Stamp latestTime;
    private final Set<String> samplesSeen = new HashSet<>();

    public RunFollower(Run run, TrainingListener out) {
        this.run = run;
        this.out = out;
        metricsOffset = size(run.metricsFile());
        logOffset = size(run.logFile());
        latestTime = time(run.latestFile());
        samplesSeen.addAll(sampleNames());
    }

    public Run run() {
        return run;
    }

    /** Reads what changed since the last call and reports it. */
    public void poll() {
        pollState();
        pollLog();
        pollMetrics();
        pollProgress();
        pollSamples();
        pollCheckpoint();
    }

    private void pollState() {
        Stamp t = time(run.stateFile());
        if (t == null || t.equals(stateTime)) {
            return;
        }
        stateTime = t;
        try {
            RunState s = run.state();
            if (lastState == null || s.status() != lastState.status() || !s.message().equals(lastState.message())) {
                lastState = s;
                out.onState(s.status(), s.message());
            }
        } catch (IOException | RuntimeException e) {
            stateTime = null; // caught mid-rename on some systems: read it again next time
        }
    }

    /** The last state read (null before the first poll that could read it). */
    public RunState lastState() {
        return lastState;
    }

    private void pollProgress() {
        Stamp t = time(run.progressFile());
        if (t == null || t.equals(progressTime)) {
            return;
        }
        progressTime = t;
        Optional<RunProgress> p = RunProgress.read(run);
        if (p.isPresent() && p.get().step() != lastProgressStep) {
            RunProgress r = p.get();
            lastProgressStep = r.step();
            out.onStep(new TrainingListener.StepEvent(r.step(), r.totalSteps(), r.loss(), r.lr(), r.gradNorm(),
                    r.imagesPerSecond(), r.elapsedSeconds()));
        }
    }

    private void pollMetrics() {
        long size = size(run.metricsFile());
        if (size < metricsOffset) {
            metricsOffset = 0; // rewritten shorter: a resume dropped the rows after its checkpoint
        }
        if (size == metricsOffset) {
            return;
        }
        for (String line : newLines(run.metricsFile(), true)) {
            Optional<MetricsRow> row = MetricsLog.parse(line);
            if (row.isPresent()) {
                out.onMetrics(row.get());
            } else {
                MetricsLog.parseEval(line).ifPresent(out::onEval);
            }
        }
    }

    private void pollLog() {
        long size = size(run.logFile());
        if (size < logOffset) {
            logOffset = 0;
        }
        if (size == logOffset) {
            return;
        }
        for (String line : newLines(run.logFile(), false)) {
            out.onLog(withoutStamp(line));
        }
    }

    /** {@code 2026-11-23T19:55:00.123+01:00 message} → {@code message}. */
    static String withoutStamp(String line) {
        int space = line.indexOf(' ');
        if (space >= 19 && line.length() > 19 && line.charAt(10) == 'T' && line.charAt(13) == ':') {
            return line.substring(space + 1);
        }
        return line;
    }

    private void pollSamples() {
        List<String> names = sampleNames();
        for (String n : names) {
            if (samplesSeen.add(n)) {
                Checkpoint.parseStep(n.substring(0, n.length() - ".png".length()))
                        .ifPresent(step -> out.onSample(step, run.samplesDir().resolve(n)));
            }
        }
    }

    private void pollCheckpoint() {
        Stamp t = time(run.latestFile());
        if (t == null || t.equals(latestTime)) {
            return;
        }
        latestTime = t;
        try {
            String name = Files.readString(run.latestFile()).trim();
            Checkpoint.parseStep(name).ifPresent(step -> out.onCheckpoint(step, run.checkpointsDir().resolve(name)));
        } catch (IOException e) {
            latestTime = null;
        }
    }

    private List<String> sampleNames() {
        if (!Files.isDirectory(run.samplesDir())) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(run.samplesDir())) {
            return files.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("step-") && n.endsWith(".png"))
                    .sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    /** The whole lines added since the last read (a line still being written waits for its newline). */
    private List<String> newLines(Path file, boolean metrics) {
        long offset = metrics ? metricsOffset : logOffset;
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            long size = raf.length();
            int n = (int) Math.min(size - offset, 4 << 20);
            if (n <= 0) {
                return List.of();
            }
            byte[] bytes = new byte[n];
            raf.seek(offset);
            raf.readFully(bytes);
            int end = n;
            while (end > 0 && bytes[end - 1] != '\n') {
                end--;
            }
            if (metrics) {
                metricsOffset += end;
            } else {
                logOffset += end;
            }
            return end == 0 ? List.of() : new String(bytes, 0, end, StandardCharsets.UTF_8).lines().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    private static long size(Path p) {
        try {
            return Files.exists(p) ? Files.size(p) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /**
     * What tells one version of a file from the next: its time, its inode (an atomic write makes a new
     * file, so two writes within one clock tick still differ) and its size.
     */
    private record Stamp(FileTime time, Object key, long size) {}

    private static Stamp time(Path p) {
        try {
            BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
            return new Stamp(a.lastModifiedTime(), a.fileKey(), a.size());
        } catch (IOException e) {
            return null;
        }
    }

    /** Whether {@code status} means someone should be training the run. */
    static boolean live(RunStatus status) {
        return status == RunStatus.RUNNING || status == RunStatus.PAUSED;
    }
}

package io.ldmstudio.runs;

import io.ldmstudio.config.Configs;
import io.ldmstudio.config.RunConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * One run folder, as DESIGN.md lays it out:
 * <pre>
 * runs/NAME/
 *   config.json            {@link RunManifest}: {"config": {...}, "preset", "engine", "device", "created"}
 *   state.json             {@link RunState}: {"status", "message", "updated"}; written atomically
 *   metrics.jsonl          {@link MetricsRow} per logged step, {@link EvalRow} per evaluation ({@link MetricsLog})
 *   log.txt                timestamped human-readable lines ({@link #log})
 *   samples/step-00001000.png
 *   checkpoints/step-00001000/   model.safetensors, ema.safetensors, optimizer.safetensors, state.json
 *   checkpoints/LATEST     the folder name of the newest complete checkpoint ("step-00001000")
 *   checkpoints/best/      a copy of the checkpoint with the best evaluation so far, with best.json
 *                          {"metric", "value", "step"} ({@link #saveBest}); never listed as a step checkpoint
 *   exports/               diffusers/ (a diffusion run's pipeline), vae/ (an autoencoder run's weights)
 * </pre>
 * A {@code Run} is a handle on the folder: cheap, holding no open files. Several handles on one
 * folder in one JVM share the locks that keep log lines whole.
 */
public final class Run {
    public static final String CONFIG = "config.json";
    public static final String STATE = "state.json";
    public static final String METRICS = "metrics.jsonl";
    public static final String LOG = "log.txt";
    public static final String SAMPLES = "samples";
    public static final String CHECKPOINTS = "checkpoints";
    public static final String EXPORTS = "exports";
    public static final String LATEST = "LATEST";
    /** Under {@code exports/}: the diffusers {@code AutoencoderKL} folder an autoencoder run writes when it ends. */
    public static final String AUTOENCODER_EXPORT = "vae";
    /** Under {@code checkpoints/}: the copy of the best-evaluated checkpoint. */
    public static final String BEST = "best";
    /** Inside {@code checkpoints/best/}: {@link Best} as JSON. */
    public static final String BEST_INFO = "best.json";
    /** Inside a checkpoint folder; its presence marks the checkpoint complete. */
    public static final String CHECKPOINT_STATE = "state.json";
    /** Held (an OS file lock) by whoever trains the run; the OS drops it when that process dies. It holds that process's id. */
    public static final String TRAIN_LOCK = "train.lock";
    /** Requests to whoever trains the run (pause, resume, stop, checkpoint now): {@link RunControl}. */
    public static final String CONTROL = "control.json";
    /** The trainer's latest step figures, rewritten a few times a second: {@link RunProgress}. */
    public static final String PROGRESS = "progress.json";
    /** What a training process started by the studio printed (stdout and stderr; a native crash's report). */
    public static final String TRAIN_OUT = "train.out";
    /** The user's note on the run (plain text). */
    public static final String NOTE = "note.txt";
    /** Runs this JVM holds the training lock of (POSIX locks are per process: never close another fd). */
    private static final Map<Path, Boolean> LOCKED_HERE = new ConcurrentHashMap<>();

    private static final Map<Path, Object> LOCKS = new ConcurrentHashMap<>();
    /** Fixed width, so log lines align: {@code 2026-11-23T19:55:00.123+01:00}. */
    private static final DateTimeFormatter LOG_TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSXXX");

    private final Path dir;
    private final Clock clock;

    Run(Path dir, Clock clock) {
        this.dir = dir.toAbsolutePath().normalize();
        this.clock = clock;
    }

    /** A handle on any run folder (for folders outside a workspace; see {@link Workspace#open}). */
    public static Run at(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "not a run folder");
        }
        return new Run(dir, Clock.systemDefaultZone());
    }

    /**
     * Whether {@code dir} looks like a run folder (a {@code state.json} and a {@code checkpoints/}
     * folder beside {@code config.json}) rather than, say, a diffusers model folder.
     */
    public static boolean isRunFolder(Path dir) {
        return Files.isRegularFile(dir.resolve(CONFIG)) && Files.isRegularFile(dir.resolve(STATE))
                && Files.isDirectory(dir.resolve(CHECKPOINTS));
    }

    public String name() {
        return dir.getFileName().toString();
    }

    public Path dir() {
        return dir;
    }

    // ---- paths ----

    public Path configFile() {
        return dir.resolve(CONFIG);
    }

    public Path stateFile() {
        return dir.resolve(STATE);
    }

    public Path metricsFile() {
        return dir.resolve(METRICS);
    }

    public Path logFile() {
        return dir.resolve(LOG);
    }

    public Path samplesDir() {
        return dir.resolve(SAMPLES);
    }

    public Path checkpointsDir() {
        return dir.resolve(CHECKPOINTS);
    }

    public Path exportsDir() {
        return dir.resolve(EXPORTS);
    }

    /** {@code exports/vae/}: where an autoencoder run leaves its weights in diffusers layout. */
    public Path autoencoderExportDir() {
        return exportsDir().resolve(AUTOENCODER_EXPORT);
    }

    /** {@code samples/step-00001000.png}. */
    public Path sampleGrid(long step) {
        return samplesDir().resolve(Checkpoint.dirName(step) + ".png");
    }

    /** {@code checkpoints/step-00001000/} (whether or not it exists). */
    public Path checkpointDir(long step) {
        return checkpointsDir().resolve(Checkpoint.dirName(step));
    }

    public Path controlFile() {
        return dir.resolve(CONTROL);
    }

    public Path progressFile() {
        return dir.resolve(PROGRESS);
    }

    public Path trainOutFile() {
        return dir.resolve(TRAIN_OUT);
    }

    public Path latestFile() {
        return checkpointsDir().resolve(LATEST);
    }

    // ---- config and state ----

    /** The whole {@code config.json}. */
    public RunManifest manifest() throws IOException {
        RunManifest m = Configs.MAPPER.readValue(configFile().toFile(), RunManifest.class);
        if (m.config() == null) {
            throw new IOException(configFile() + ": has no \"config\" object");
        }
        return m;
    }

    /** The resolved config the run was created with. */
    public RunConfig config() throws IOException {
        return manifest().config();
    }

    /** Records the engine and the device actually used (when training starts); rewrites config.json atomically. */
    public synchronized void recordEnvironment(String engine, String device) throws IOException {
        AtomicFiles.writeJson(configFile(), manifest().withEnvironment(engine, device));
    }

    /**
     * Records a class-conditional run's classes when it starts: the number in the config's conditioning, and
     * their names by label beside the config ({@code class_names}); rewrites config.json atomically.
     */
    public synchronized void recordClasses(RunConfig.Conditioning conditioning, List<String> names) throws IOException {
        AtomicFiles.writeJson(configFile(), manifest().withClasses(conditioning, names));
    }

    /** A class-conditional run's class names by label; empty before it started, or for any other run. */
    public List<String> classNames() throws IOException {
        return manifest().classNames();
    }

    public RunState state() throws IOException {
        return Configs.MAPPER.readValue(stateFile().toFile(), RunState.class);
    }

    /** Writes {@code state.json} atomically, stamped now. */
    public RunState setState(RunStatus status, String message) throws IOException {
        RunState state = new RunState(status, message, clock.instant().truncatedTo(ChronoUnit.MILLIS).toString());
        synchronized (lock(stateFile())) {
            AtomicFiles.writeJson(stateFile(), state);
        }
        return state;
    }

    /**
     * Writes {@code state.json} by overwriting it in place: for when the atomic write cannot (a full
     * disk has no room for the second copy, but the old file's blocks are reused). Never throws.
     */
    public boolean setStateInPlace(RunStatus status, String message) {
        RunState state = new RunState(status, message, clock.instant().truncatedTo(ChronoUnit.MILLIS).toString());
        synchronized (lock(stateFile())) {
            try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(stateFile(),
                    java.nio.file.StandardOpenOption.WRITE, java.nio.file.StandardOpenOption.CREATE)) {
                byte[] bytes = Configs.MAPPER.writeValueAsBytes(state);
                ch.truncate(0);
                ch.write(java.nio.ByteBuffer.wrap(bytes), 0);
                ch.force(true);
                return true;
            } catch (IOException | RuntimeException e) {
                return false;
            }
        }
    }

    /** The user's note; empty if none. */
    public String note() {
        try {
            Path f = dir.resolve(NOTE);
            return Files.exists(f) ? Files.readString(f).strip() : "";
        } catch (IOException e) {
            return "";
        }
    }

    /** Sets the note (atomically; an empty note deletes the file). */
    public void setNote(String note) throws IOException {
        String text = note == null ? "" : note.strip();
        if (text.isEmpty()) {
            Files.deleteIfExists(dir.resolve(NOTE));
        } else {
            AtomicFiles.writeString(dir.resolve(NOTE), text + "\n");
        }
    }

    // ---- who trains it ----

    /**
     * Takes the run's training lock, so a second window or process cannot train it at the same time.
     * Close the result when training ends; if the process is killed the OS releases it.
     *
     * @throws IllegalStateException when someone is training the run already
     */
    public AutoCloseable lockForTraining() throws IOException {
        // someone merely looking (a studio asking whether the run trains) holds the lock for a moment
        for (int attempt = 0;; attempt++) {
            try {
                return lock(true);
            } catch (IllegalStateException e) {
                if (attempt >= 10) {
                    throw e;
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
            }
        }
    }

    private AutoCloseable lock(boolean claim) throws IOException {
        Path key = dir.toAbsolutePath().normalize();
        if (LOCKED_HERE.putIfAbsent(key, Boolean.TRUE) != null) {
            throw new RunBusyException(busyMessage());
        }
        java.nio.channels.FileChannel channel = null;
        try {
            channel = java.nio.channels.FileChannel.open(dir.resolve(TRAIN_LOCK),
                    java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.WRITE);
            java.nio.channels.FileLock lock = channel.tryLock();
            if (lock == null) {
                throw new RunBusyException(busyMessage());
            }
            // who holds it: a studio attaching to the run, or telling why it ended, reads this
            if (claim) {
                channel.truncate(0);
                channel.write(java.nio.ByteBuffer.wrap((ProcessHandle.current().pid() + "\n")
                    .getBytes(java.nio.charset.StandardCharsets.US_ASCII)), 0);
            }
            java.nio.channels.FileChannel ch = channel;
            return () -> {
                try {
                    lock.release();
                    ch.close();
                } finally {
                    LOCKED_HERE.remove(key);
                }
            };
        } catch (IOException | RuntimeException e) {
            LOCKED_HERE.remove(key);
            if (channel != null) {
                channel.close();
            }
            throw e;
        }
    }

    /** Someone (this process or another) holds the training lock. */
    public boolean isBeingTrained() {
        if (LOCKED_HERE.containsKey(dir.toAbsolutePath().normalize())) {
            return true;
        }
        if (!Files.exists(dir.resolve(TRAIN_LOCK))) {
            return false;
        }
        try (AutoCloseable lock = lock(false)) {
            return false;
        } catch (IllegalStateException e) {
            return true;
        } catch (Exception e) {
            return false;
        }
    }

    /** @throws RunBusyException naming who trains the run, when someone does */
    public void checkNotBeingTrained() {
        if (isBeingTrained()) {
            throw new RunBusyException(busyMessage());
        }
    }

    /** The run is being trained by someone already (a bad request, not a broken run). */
    public static final class RunBusyException extends IllegalStateException {
        public RunBusyException(String message) {
            super(message);
        }
    }

    private String busyMessage() {
        java.util.OptionalLong pid = trainerPid();
        String who = pid.isPresent() && pid.getAsLong() != ProcessHandle.current().pid()
                ? "by process " + pid.getAsLong() + " (a studio follows it live; from a terminal, `kill -TERM "
                        + pid.getAsLong() + "` stops it with a checkpoint)"
                : "in this process";
        return "run '" + name() + "' is being trained already " + who + ": stop it before starting it again";
    }

    /** The id of the process that holds (or last held) the training lock; empty if unknown. */
    public java.util.OptionalLong trainerPid() {
        try {
            String text = Files.readString(dir.resolve(TRAIN_LOCK)).trim();
            return text.isEmpty() ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(Long.parseLong(text));
        } catch (IOException | NumberFormatException e) {
            return java.util.OptionalLong.empty();
        }
    }

    /**
     * Deletes what interrupted writes left behind: {@code checkpoints/step-N.tmp-*} folders and
     * {@code .NAME.tmp-*} files in the run folder and its {@code samples/} and {@code exports/}. Call
     * it holding the training lock only (then nobody is writing them).
     *
     * @return what was deleted, with its size in bytes
     */
    public Map<Path, Long> deleteTemporaryFiles() throws IOException {
        Map<Path, Long> deleted = new java.util.LinkedHashMap<>();
        for (Path folder : List.of(dir, checkpointsDir(), samplesDir(), exportsDir())) {
            if (!Files.isDirectory(folder)) {
                continue;
            }
            List<Path> temps;
            try (Stream<Path> children = Files.list(folder)) {
                // a studio may be writing control.json right now: its temporary file is not ours
                temps = children.map(Path::getFileName).map(Path::toString)
                        .filter(n -> n.contains(AtomicFiles.TMP_MARK) && !n.startsWith("." + CONTROL))
                        .sorted().map(folder::resolve).toList();
            }
            for (Path t : temps) {
                long size = sizeOf(t);
                AtomicFiles.deleteTree(t);
                deleted.put(t, size);
            }
        }
        return deleted;
    }

    private static long sizeOf(Path p) throws IOException {
        if (!Files.isDirectory(p)) {
            return Files.size(p);
        }
        try (Stream<Path> all = Files.walk(p)) {
            return all.filter(Files::isRegularFile).mapToLong(f -> f.toFile().length()).sum();
        }
    }

    // ---- logs ----

    /**
     * Appends a timestamped line to {@code log.txt}: {@code 2026-11-23T19:55:00.123+01:00 message}.
     * Each line of a multi-line message gets the stamp. Safe from any thread; never throws (a log
     * that cannot be written must not stop training) — returns false then.
     */
    public boolean log(String message) {
        String stamp = OffsetDateTime.now(clock).format(LOG_TIME);
        String text = message == null ? "null" : message;
        synchronized (lock(logFile())) {
            try {
                for (String line : text.split("\r?\n|\r", -1)) {
                    AtomicFiles.appendLine(logFile(), stamp + " " + line);
                }
                return true;
            } catch (IOException e) {
                return false;
            }
        }
    }

    /** Appends one metrics row to {@code metrics.jsonl}. */
    public void appendMetrics(MetricsRow row) throws IOException {
        synchronized (lock(metricsFile())) {
            MetricsLog.append(metricsFile(), row);
        }
    }

    public List<MetricsRow> metrics() throws IOException {
        return MetricsLog.read(metricsFile());
    }

    /** Drops the metrics rows after {@code step} (see {@link MetricsLog#truncateAfter}); returns how many. */
    public int truncateMetricsAfter(long step) throws IOException {
        synchronized (lock(metricsFile())) {
            return MetricsLog.truncateAfter(metricsFile(), step);
        }
    }

    public Optional<MetricsRow> lastMetrics() throws IOException {
        return MetricsLog.lastRow(metricsFile());
    }

    /** Appends one evaluation row to {@code metrics.jsonl}. */
    public void appendEval(EvalRow row) throws IOException {
        synchronized (lock(metricsFile())) {
            MetricsLog.appendEval(metricsFile(), row);
        }
    }

    /** The evaluation rows of {@code metrics.jsonl}, in file order. */
    public List<EvalRow> evals() throws IOException {
        return MetricsLog.readEvals(metricsFile());
    }

    // ---- the best checkpoint ----

    /**
     * What {@code checkpoints/best/} holds: the checkpoint of {@code step}, whose evaluation gave {@code value} of
     * {@code metric} (lower is better).
     */
    public record Best(String metric, double value, long step) {}

    /** {@code checkpoints/best/}. */
    public Path bestDir() {
        return checkpointsDir().resolve(BEST);
    }

    /**
     * Replaces {@code checkpoints/best/} atomically with a copy of {@code checkpoint}'s files and a
     * {@code best.json} saying {@code best}.
     */
    public void saveBest(Checkpoint checkpoint, Best best) throws IOException {
        if (!isComplete(checkpoint.dir())) {
            throw new IOException(checkpoint.dir() + ": not a complete checkpoint (no " + CHECKPOINT_STATE + ")");
        }
        AtomicFiles.publishDirectory(bestDir(), true, dir -> {
            try (Stream<Path> files = Files.list(checkpoint.dir())) {
                for (Path f : files.filter(Files::isRegularFile).sorted().toList()) {
                    Files.copy(f, dir.resolve(f.getFileName()));
                }
            }
            com.fasterxml.jackson.databind.node.ObjectNode o = Configs.MAPPER.createObjectNode();
            o.put("metric", best.metric());
            o.put("value", best.value());
            o.put("step", best.step());
            Files.writeString(dir.resolve(BEST_INFO), Configs.MAPPER.writeValueAsString(o));
        });
    }

    /**
     * The best checkpoint's {@code best.json}; empty when there is none (or it does not read: a folder without it
     * is not a best checkpoint).
     */
    public Optional<Best> best() {
        Path f = bestDir().resolve(BEST_INFO);
        if (!Files.isRegularFile(f)) {
            return Optional.empty();
        }
        try {
            com.fasterxml.jackson.databind.JsonNode o = Configs.MAPPER.readTree(f.toFile());
            if (o == null || !o.path("metric").isTextual() || !o.path("value").isNumber() || !o.path("step").canConvertToLong()) {
                return Optional.empty();
            }
            return Optional.of(new Best(o.get("metric").textValue(), o.get("value").doubleValue(), o.get("step").longValue()));
        } catch (IOException e) {
            return Optional.empty();
        }
    }

    // ---- checkpoints ----

    /**
     * Saves a checkpoint crash-safely: {@code writer} fills a temporary folder (it must write the
     * checkpoint's {@code state.json}), which is renamed to {@code checkpoints/step-N/} (replacing one
     * of the same step), and only then is {@code LATEST} rewritten atomically to name it.
     */
    public Checkpoint saveCheckpoint(long step, AtomicFiles.DirectoryWriter writer) throws IOException {
        Path target = checkpointDir(step);
        AtomicFiles.publishDirectory(target, true, writer);
        if (!isComplete(target)) {
            throw new IOException(target + ": the checkpoint writer did not write " + CHECKPOINT_STATE);
        }
        AtomicFiles.writeString(latestFile(), target.getFileName() + "\n");
        return new Checkpoint(step, target);
    }

    /** Whether a checkpoint folder is complete: it has its {@code state.json}. */
    public static boolean isComplete(Path checkpointDir) {
        return Files.isRegularFile(checkpointDir.resolve(CHECKPOINT_STATE));
    }

    /** Complete checkpoints, oldest first. */
    public List<Checkpoint> checkpoints() throws IOException {
        List<Checkpoint> out = new ArrayList<>();
        for (Checkpoint c : stepFolders()) {
            if (isComplete(c.dir())) {
                out.add(c);
            }
        }
        return out;
    }

    /**
     * The newest complete checkpoint: the one {@code LATEST} names if that folder is complete, else
     * the complete {@code step-*} folder with the highest step; empty if there is none.
     */
    public Optional<Checkpoint> latestCheckpoint() throws IOException {
        Optional<Checkpoint> named = namedByLatest();
        if (named.isPresent() && isComplete(named.get().dir())) {
            return named;
        }
        List<Checkpoint> complete = checkpoints();
        return complete.isEmpty() ? Optional.empty() : Optional.of(complete.get(complete.size() - 1));
    }

    /**
     * Keeps the {@code keepLast} newest complete checkpoints and the one {@code LATEST} names; deletes
     * the other complete ones and any incomplete {@code step-*} folder older than the newest kept one
     * (left by a crash). Temporary folders being written are not touched.
     *
     * @return the folders deleted
     */
    public List<Path> pruneCheckpoints(int keepLast) throws IOException {
        if (keepLast < 1) {
            throw new IllegalArgumentException("keepLast must be ≥ 1: " + keepLast);
        }
        List<Checkpoint> complete = checkpoints();
        List<Checkpoint> keep = new ArrayList<>(complete.subList(Math.max(0, complete.size() - keepLast), complete.size()));
        Optional<Checkpoint> latest = namedByLatest();
        latest.ifPresent(keep::add);
        long newestKept = keep.stream().mapToLong(Checkpoint::step).max().orElse(Long.MIN_VALUE);
        List<Path> deleted = new ArrayList<>();
        for (Checkpoint c : stepFolders()) {
            boolean kept = keep.stream().anyMatch(k -> k.dir().equals(c.dir()));
            boolean stale = isComplete(c.dir()) || c.step() < newestKept;
            if (!kept && stale) {
                AtomicFiles.deleteTree(c.dir());
                deleted.add(c.dir());
            }
        }
        return deleted;
    }

    private Optional<Checkpoint> namedByLatest() throws IOException {
        Path latest = latestFile();
        if (!Files.isRegularFile(latest)) {
            return Optional.empty();
        }
        String name = Files.readString(latest).trim();
        return Checkpoint.parseStep(name).map(step -> new Checkpoint(step, checkpointsDir().resolve(name)))
                .filter(c -> Files.isDirectory(c.dir()));
    }

    /** Every {@code step-N} folder (complete or not), oldest first. */
    private List<Checkpoint> stepFolders() throws IOException {
        if (!Files.isDirectory(checkpointsDir())) {
            return List.of();
        }
        try (Stream<Path> children = Files.list(checkpointsDir())) {
            return children.filter(Files::isDirectory)
                    .flatMap(p -> Checkpoint.parseStep(p.getFileName().toString()).map(s -> new Checkpoint(s, p)).stream())
                    .sorted(Comparator.comparingLong(Checkpoint::step))
                    .toList();
        }
    }

    private static Object lock(Path file) {
        return LOCKS.computeIfAbsent(file.toAbsolutePath().normalize(), k -> new Object());
    }

    @Override
    public String toString() {
        return "Run[" + dir + "]";
    }
}

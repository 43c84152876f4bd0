package io.ldmstudio.runs;

import io.ldmstudio.config.ConfigValidator;
import io.ldmstudio.config.RunConfig;
import java.io.IOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A workspace folder (default {@code ./workspace}) holding runs under {@code runs/} and diffusers
 * pipelines under {@code models/}.
 *
 * <p>Run names: 1..64 characters of {@code A-Z a-z 0-9 . _ -}, not starting with {@code .}, not
 * containing {@code ..} (so never a path, never hidden, never a temporary folder name).
 */
public final class Workspace {
    public static final String RUNS = "runs";
    /** The folder of diffusers pipelines beside the runs. */
    public static final String MODELS = "models";
    public static final int MAX_NAME = 64;

    private static final Pattern NAME_CHARS = Pattern.compile("[A-Za-z0-9._-]+");
    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    private final Path root;
    private final Clock clock;

    public Workspace(Path root) {
        this(root, Clock.systemDefaultZone());
    }

    /** With a clock, for tests: it stamps names, {@code created}, states and log lines. */
    public Workspace(Path root, Clock clock) {
        this.root = root.toAbsolutePath().normalize();
        this.clock = clock;
    }

    /** {@code ./workspace}. */
    public static Workspace defaultWorkspace() {
        return new Workspace(Path.of("workspace"));
    }

    public Path root() {
        return root;
    }

    public Path runsDir() {
        return root.resolve(RUNS);
    }

    /** {@code <workspace>/models/}: diffusers pipeline folders the studio lists beside the runs (may not exist yet). */
    public Path modelsDir() {
        return root.resolve(MODELS);
    }

    // ---- names ----

    /** @throws IllegalArgumentException naming the name and the rule it breaks */
    public static void validateName(String name) {
        String rule = "a run name is 1.." + MAX_NAME + " characters of A-Z a-z 0-9 . _ -, "
                + "not starting with '.', without '..'";
        String shown = name == null ? "null" : "'" + name + "'";
        String problem = null;
        if (name == null || name.isEmpty()) {
            problem = "is empty";
        } else if (name.length() > MAX_NAME) {
            problem = "is " + name.length() + " characters long";
        } else if (name.contains("/") || name.contains("\\")) {
            problem = "contains a path separator";
        } else if (!NAME_CHARS.matcher(name).matches()) {
            problem = "contains a character other than A-Z a-z 0-9 . _ -";
        } else if (name.startsWith(".")) {
            problem = "starts with '.'";
        } else if (name.contains("..")) {
            problem = "contains '..'";
        }
        if (problem != null) {
            throw new IllegalArgumentException("invalid run name " + shown + ": it " + problem + "; " + rule);
        }
    }

    public static boolean isValidName(String name) {
        try {
            validateName(name);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    /**
     * A free name {@code PREFIX-yyyyMMdd-HHmmss} (local time), with {@code -2}, {@code -3}, ... if
     * taken. Characters not allowed in names become {@code -}; the prefix is cut to fit.
     */
    public String uniqueName(String prefix) {
        String p = prefix == null ? "" : prefix.replaceAll("[^A-Za-z0-9._-]", "-").replaceAll("\\.{2,}", ".");
        p = p.replaceAll("^[.-]+", "");
        if (p.isEmpty()) {
            p = "run";
        }
        String stamp = LocalDateTime.now(clock).format(STAMP);
        int room = MAX_NAME - stamp.length() - 1 - 4; // leave room for "-999"
        if (p.length() > room) {
            p = p.substring(0, room);
        }
        String base = p + "-" + stamp;
        String name = base;
        for (int i = 2; Files.exists(runsDir().resolve(name)); i++) {
            name = base + "-" + i;
        }
        validateName(name);
        return name;
    }

    // ---- runs ----

    public boolean exists(String name) {
        validateName(name);
        return Files.isDirectory(runsDir().resolve(name));
    }

    /**
     * Creates a run folder atomically (it appears complete or not at all): config.json, state.json
     * ({@code created}), log.txt, and the empty samples/, checkpoints/, exports/ folders.
     *
     * @throws IllegalArgumentException bad name
     * @throws io.ldmstudio.config.ConfigException invalid config
     * @throws FileAlreadyExistsException a run of this name exists
     */
    public Run create(String name, RunConfig config) throws IOException {
        return create(name, config, null, config.device());
    }

    /** {@link #create(String, RunConfig)}, recording the engine and device that will run it. */
    public Run create(String name, RunConfig config, String engine, String device) throws IOException {
        validateName(name);
        ConfigValidator.check(config);
        Path target = runsDir().resolve(name);
        if (Files.exists(target)) {
            throw new FileAlreadyExistsException(target.toString(), null, "a run named '" + name + "' exists");
        }
        Instant created = clock.instant().truncatedTo(ChronoUnit.SECONDS);
        RunManifest manifest = new RunManifest(config, config.preset(), engine, device, created.toString());
        try {
            AtomicFiles.publishDirectory(target, tmp -> {
                Run draft = new Run(tmp, clock);
                AtomicFiles.writeJson(draft.configFile(), manifest);
                draft.setState(RunStatus.CREATED, "");
                Files.createDirectories(draft.samplesDir());
                Files.createDirectories(draft.checkpointsDir());
                Files.createDirectories(draft.exportsDir());
                if (!draft.log("created run " + name + " from preset " + config.preset())) {
                    throw new IOException("cannot write " + draft.logFile());
                }
            });
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException e) {
            // another process (a second `train --run NAME`) created it since the check above; ours is discarded
            throw new FileAlreadyExistsException(target.toString(), null, "a run named '" + name
                    + "' was created meanwhile by someone else");
        }
        return new Run(target, clock);
    }

    /**
     * Renames a run folder (atomically). Refused while the run trains, when the new name is taken, or
     * when other runs use it as their autoencoder ({@link #dependents}): their configs are their record
     * and are not rewritten, and a renamed folder would leave them unable to resume or sample.
     */
    public Run rename(String from, String to) throws IOException {
        Run run = open(from);
        validateName(to);
        run.checkNotBeingTrained();
        List<String> users = dependents(from);
        if (!users.isEmpty()) {
            throw new IOException("run '" + from + "' is the autoencoder of " + (users.size() == 1 ? "run " : "runs ")
                    + String.join(", ", users) + " (their autoencoder.path names its folder): renamed, they could "
                    + "no longer resume or sample. Duplicate it instead, or delete those runs first");
        }
        Path target = runsDir().resolve(to);
        if (Files.exists(target)) {
            throw new FileAlreadyExistsException(target.toString(), null, "a run named '" + to + "' exists");
        }
        Files.move(run.dir(), target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        Run renamed = new Run(target, clock);
        renamed.log("renamed from " + from + " to " + to);
        return renamed;
    }

    /**
     * The runs whose {@code autoencoder.path} lies in run {@code name}'s folder (relative paths as the
     * trainer reads them, against the working directory), by name; runs whose config cannot be read are
     * skipped.
     */
    public List<String> dependents(String name) throws IOException {
        Path dir = open(name).dir().toAbsolutePath().normalize();
        List<String> out = new ArrayList<>();
        for (RunInfo info : list()) {
            if (info.name().equals(name) || info.status() == RunStatus.BROKEN) {
                continue;
            }
            try {
                RunConfig.Autoencoder ae = new Run(info.dir(), clock).manifest().config().autoencoder();
                if (ae != null && ae.path() != null && !ae.path().isBlank()
                        && Path.of(ae.path()).toAbsolutePath().normalize().startsWith(dir)) {
                    out.add(info.name());
                }
            } catch (IOException | RuntimeException e) {
                // an unreadable config names nothing
            }
        }
        Collections.sort(out);
        return out;
    }

    /** A new run with {@code name}'s config (and note) and none of its history. */
    public Run duplicate(String name, String copy) throws IOException {
        Run source = open(name);
        RunManifest m = source.manifest();
        Run run = create(copy, m.config());
        run.log("config copied from run " + name);
        String note = source.note();
        if (!note.isEmpty()) {
            run.setNote(note);
        }
        return run;
    }

    /**
     * Deletes a run: to the system trash where there is one (the freedesktop.org trash of the user,
     * {@code ~/.Trash} on macOS), else to the workspace's hidden {@code .trash/} folder, so nothing is
     * lost by one click. Refused while the run trains.
     *
     * @return where the run folder went
     */
    public Path delete(String name) throws IOException {
        Run run = open(name);
        run.checkNotBeingTrained();
        String stamp = LocalDateTime.now(clock).format(STAMP);
        for (Path trash : Trash.folders()) {
            try {
                return Trash.move(run.dir(), trash, name + "-" + stamp, clock);
            } catch (IOException | UnsupportedOperationException e) {
                // another file system (a move would copy) or no such trash: the next one
            }
        }
        Path own = root.resolve(".trash");
        Files.createDirectories(own);
        Path target = own.resolve(name + "-" + stamp);
        Files.move(run.dir(), target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
        return target;
    }

    /** A handle on an existing run (which may be broken: reading it may then fail). */
    public Run open(String name) throws IOException {
        validateName(name);
        Path dir = runsDir().resolve(name);
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "no run named '" + name + "' in " + runsDir());
        }
        return new Run(dir, clock);
    }

    /**
     * Every run folder, newest first. Never throws for a bad run: a folder whose config.json or
     * state.json is missing or unreadable is listed with status {@link RunStatus#BROKEN} and the reason.
     * Hidden folders and temporary ones (being created) are skipped.
     */
    public List<RunInfo> list() throws IOException {
        if (!Files.isDirectory(runsDir())) {
            return List.of();
        }
        List<Path> dirs;
        try (Stream<Path> children = Files.list(runsDir())) {
            dirs = children.filter(Files::isDirectory)
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .filter(p -> !p.getFileName().toString().contains(AtomicFiles.TMP_MARK))
                    .toList();
        }
        List<RunInfo> out = new ArrayList<>();
        for (Path dir : dirs) {
            out.add(info(dir));
        }
        out.sort(Comparator.comparing((RunInfo r) -> r.created() == null ? Instant.EPOCH : r.created())
                .reversed().thenComparing(RunInfo::name));
        return out;
    }

    /** What {@link #list()} shows for one folder. */
    public RunInfo info(Path dir) {
        String name = dir.getFileName().toString();
        Instant created = null;
        String preset = null;
        try {
            created = Files.getLastModifiedTime(dir).toInstant();
        } catch (IOException e) {
            // keep null
        }
        if (!isValidName(name)) {
            return broken(name, null, "the folder name is not a valid run name", created, dir);
        }
        Run run = new Run(dir, clock);
        RunManifest manifest;
        try {
            if (!Files.exists(run.configFile())) {
                return broken(name, null, "no " + Run.CONFIG, created, dir);
            }
            manifest = run.manifest();
            preset = manifest.preset() != null ? manifest.preset() : manifest.config().preset();
            created = manifest.createdAt();
        } catch (Exception e) {
            return broken(name, preset, Run.CONFIG + " cannot be read: " + firstLine(e), created, dir);
        }
        RunState state;
        try {
            if (!Files.exists(run.stateFile())) {
                return broken(name, preset, "no " + Run.STATE, created, dir);
            }
            state = run.state();
            if (state.status() == null) {
                return broken(name, preset, Run.STATE + " has no status", created, dir);
            }
        } catch (Exception e) {
            return broken(name, preset, Run.STATE + " cannot be read: " + firstLine(e), created, dir);
        }
        long step = 0;
        double loss = Double.NaN;
        try {
            Optional<MetricsRow> last = run.lastMetrics();
            if (last.isPresent()) {
                step = last.get().step();
                loss = last.get().loss();
            }
        } catch (Exception e) {
            // metrics are an extra in a listing; the run itself is readable
        }
        long checkpointStep = 0;
        try {
            checkpointStep = run.latestCheckpoint().map(Checkpoint::step).orElse(0L);
            step = Math.max(step, checkpointStep);
        } catch (Exception e) {
            // checkpoints too
        }
        RunInfo.Quality quality = null;
        try {
            Optional<EvalRow> lastEval = MetricsLog.lastEval(run.metricsFile());
            if (lastEval.isPresent()) {
                String metric = lastEval.get().metric();
                quality = new RunInfo.Quality(lastEval.get(), run.best().filter(b -> b.metric().equals(metric))
                        .orElse(null));
            }
        } catch (Exception e) {
            // evaluations too
        }
        if ((state.status() == RunStatus.RUNNING || state.status() == RunStatus.PAUSED) && !run.isBeingTrained()) {
            // state.json says running but nobody holds the training lock: the process died (killed,
            // power cut) before it could write its final state
            return new RunInfo(name, preset, RunStatus.STOPPED, INTERRUPTED, step, loss, created, dir,
                    manifest.config().task(), run.note(), checkpointStep, quality);
        }
        return new RunInfo(name, preset, state.status(), state.message(), step, loss, created, dir,
                manifest.config().task(), run.note(), checkpointStep, quality);
    }

    /** The message of a run whose trainer died without saying so. */
    public static final String INTERRUPTED = "interrupted: the process training it ended without stopping it; "
            + "resume continues from the last checkpoint";

    private static RunInfo broken(String name, String preset, String why, Instant created, Path dir) {
        return new RunInfo(name, preset, RunStatus.BROKEN, why, 0, Double.NaN, created, dir);
    }

    private static String firstLine(Exception e) {
        String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
        return m.lines().findFirst().orElse(m);
    }

    @Override
    public String toString() {
        return "Workspace[" + root + "]";
    }
}

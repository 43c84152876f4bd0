package io.ldmstudio.ui;

import io.ldmstudio.runs.MetricsRow;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.RunState;
import io.ldmstudio.runs.RunStatus;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.service.RunFollower;
import io.ldmstudio.service.TrainingJob;
import io.ldmstudio.service.TrainingProcess;
import io.ldmstudio.training.TrainingListener;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * The studio's training: every run trains in a process of its own ({@link TrainingProcess}), this hub
 * starts them — one at a time by default, the rest waiting in a queue — and follows every run of the
 * workspace that is training, whoever started it (this studio, an earlier one, the CLI): it polls
 * their folders every {@value #POLL_MILLIS} ms ({@link RunFollower}) and fans the events out to
 * whoever listens (the Training pane, the runs sidebar, the Gallery). Closing the studio leaves the
 * processes training; the next studio re-attaches. Listeners are called on the hub's thread — they must
 * hand work to the FX thread themselves (see {@code FxBatcher}).
 */
public final class TrainingHub implements AutoCloseable {
    static final long POLL_MILLIS = 200;
    /** Every this many polls the workspace is searched for runs trained by others. */
    private static final int SCAN_EVERY = 5;

    private final Workspace workspace;
    private final Supplier<Devices.DeviceInfo> device;
    /** Live jobs by run name, in the order they were started (the queue's order). */
    private final Map<String, Entry> entries = new LinkedHashMap<>();
    private final Map<String, List<TrainingListener>> listeners = new ConcurrentHashMap<>();
    private final List<Runnable> stateWatchers = new CopyOnWriteArrayList<>();
    private final ScheduledExecutorService timer;
    private volatile int parallel = 1;
    private int ticks;

    private record Entry(TrainingProcess.Job job, RunFollower follower) {}

    public TrainingHub(Workspace workspace, Supplier<Devices.DeviceInfo> device) {
        this.workspace = workspace;
        this.device = device;
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "ldm-training-hub");
            t.setDaemon(true);
            return t;
        });
        timer.scheduleWithFixedDelay(this::tick, 0, POLL_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** How many runs train at once (the others wait); 1 by default — on a CPU they would only slow each other. */
    public void setParallel(int n) {
        parallel = Math.max(1, n);
        timer.execute(this::pump);
    }

    public int parallel() {
        return parallel;
    }

    /**
     * Queues {@code run} to train (from its newest checkpoint) in a process of its own; it starts at
     * once when fewer than {@link #parallel()} runs train.
     *
     * @throws IllegalStateException when the run trains or waits already, here or in another process
     */
    public TrainingJob start(Run run, long totalSteps) {
        TrainingProcess.Job job;
        synchronized (entries) {
            Entry e = entries.get(run.name());
            if (e != null && e.job().isAlive()) {
                throw new IllegalStateException("run '" + run.name() + "' is " + (e.job().isQueued()
                        ? "waiting in the queue already" : "training already"));
            }
            run.checkNotBeingTrained();
            job = TrainingProcess.prepare(run, workspace.root(), device.get().name(), totalSteps);
            entries.put(run.name(), new Entry(job, new RunFollower(run, new FanOut(run.name()))));
        }
        timer.execute(this::pump);
        timer.execute(this::notifyWatchers);
        return job;
    }

    /** Starts a queued run now, beside those training. */
    public void startNow(String run) {
        timer.execute(() -> {
            Entry e;
            synchronized (entries) {
                e = entries.get(run);
            }
            if (e != null && e.job().isQueued()) {
                launch(e);
            }
        });
    }

    /** The job training (or waiting to train) {@code run}, if there is one. */
    public Optional<TrainingJob> job(String run) {
        synchronized (entries) {
            Entry e = entries.get(run);
            return e != null && e.job().isAlive() ? Optional.of(e.job()) : Optional.empty();
        }
    }

    /** Whether {@code run} waits in the queue. */
    public boolean isQueued(String run) {
        synchronized (entries) {
            Entry e = entries.get(run);
            return e != null && e.job().isQueued();
        }
    }

    /** Names of the runs training now (not those waiting), sorted. */
    public List<String> active() {
        synchronized (entries) {
            return entries.values().stream().filter(e -> e.job().isAlive() && !e.job().isQueued())
                    .map(e -> e.job().run().name()).sorted().toList();
        }
    }

    /** Names of the runs waiting for their turn, in queue order. */
    public List<String> queued() {
        synchronized (entries) {
            return entries.values().stream().filter(e -> e.job().isQueued()).map(e -> e.job().run().name()).toList();
        }
    }

    /** Listens to {@code run}'s events (now and in later jobs); returns the call that stops listening. */
    public Runnable listen(String run, TrainingListener listener) {
        listeners.computeIfAbsent(run, k -> new CopyOnWriteArrayList<>()).add(listener);
        return () -> listeners.getOrDefault(run, List.of()).remove(listener);
    }

    /** Called (on a background thread) whenever a job starts, changes state or ends. */
    public Runnable watchStates(Runnable watcher) {
        stateWatchers.add(watcher);
        return () -> stateWatchers.remove(watcher);
    }

    /**
     * Asks every run training or waiting to stop (with a checkpoint; a waiting one just leaves the
     * queue) and waits for them, at most {@code millis} in all.
     */
    public void stopAll(long millis) {
        List<TrainingProcess.Job> jobs;
        synchronized (entries) {
            jobs = entries.values().stream().map(Entry::job).filter(TrainingProcess.Job::isAlive).toList();
        }
        jobs.stream().filter(TrainingProcess.Job::isQueued).forEach(j -> j.control().requestStop());
        jobs.forEach(j -> j.control().requestStop());
        long end = System.nanoTime() + millis * 1_000_000L;
        for (TrainingProcess.Job j : jobs) {
            try {
                j.done().get(Math.max(1, (end - System.nanoTime()) / 1_000_000L), TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                // it ends on its own; the checkpoint is written atomically either way
            }
        }
    }

    /** Stops following (the processes go on training; waiting runs are not started). */
    @Override
    public void close() {
        timer.shutdownNow();
    }

    // ---- the hub's thread ----

    private void tick() {
        try {
            List<Entry> live;
            synchronized (entries) {
                live = new ArrayList<>(entries.values());
            }
            boolean changed = false;
            for (Entry e : live) {
                if (e.job().isQueued()) {
                    continue;
                }
                e.follower().poll();
                if (!e.job().processAlive()) {
                    e.follower().poll(); // the last lines and the final state
                    e.job().finish();
                    synchronized (entries) {
                        entries.remove(e.job().run().name(), e);
                    }
                    changed = true;
                }
            }
            if (changed) {
                pump();
                notifyWatchers();
            }
            if (ticks++ % SCAN_EVERY == 0) {
                scanForOthers();
            }
        } catch (RuntimeException e) {
            // a hiccup reading one folder must not stop the following of all
        }
    }

    /** Starts queued runs while fewer than {@link #parallel} train. */
    private void pump() {
        List<Entry> toStart = new ArrayList<>();
        synchronized (entries) {
            long running = entries.values().stream().filter(e -> e.job().isAlive() && !e.job().isQueued()).count();
            for (Entry e : entries.values()) {
                if (running >= parallel) {
                    break;
                }
                if (e.job().isQueued()) {
                    toStart.add(e);
                    running++;
                }
            }
        }
        toStart.forEach(this::launch);
    }

    private void launch(Entry e) {
        try {
            e.job().launch();
        } catch (IOException | RuntimeException ex) {
            String why = "cannot start the training process: " + ex.getMessage();
            e.job().run().log(why);
            try {
                e.job().run().setState(RunStatus.FAILED, why);
            } catch (IOException ignored) {
                // the message still reaches the studio
            }
            e.follower().poll();
            e.job().finish();
        }
        notifyWatchers();
    }

    /** Attaches to runs of the workspace that another process trains. */
    private void scanForOthers() {
        Path runs = workspace.runsDir();
        if (!Files.isDirectory(runs)) {
            return;
        }
        List<Path> dirs;
        try (Stream<Path> children = Files.list(runs)) {
            dirs = children.filter(d -> Files.exists(d.resolve(Run.TRAIN_LOCK))).toList();
        } catch (IOException e) {
            return;
        }
        boolean attached = false;
        for (Path d : dirs) {
            String name = d.getFileName().toString();
            synchronized (entries) {
                if (entries.containsKey(name)) {
                    continue;
                }
            }
            try {
                Run run = workspace.open(name);
                RunState s = run.state();
                if ((s.status() != RunStatus.RUNNING && s.status() != RunStatus.PAUSED) || !run.isBeingTrained()) {
                    continue;
                }
                TrainingProcess.Job job = TrainingProcess.attach(run);
                RunFollower follower = new RunFollower(run, new FanOut(name));
                synchronized (entries) {
                    entries.putIfAbsent(name, new Entry(job, follower));
                }
                run.log("followed by a studio (process " + ProcessHandle.current().pid() + ")");
                attached = true;
            } catch (IOException | RuntimeException e) {
                // a folder being created or deleted: next time
            }
        }
        if (attached) {
            notifyWatchers();
        }
    }

    private void notifyWatchers() {
        stateWatchers.forEach(Runnable::run);
    }

    private final class FanOut implements TrainingListener {
        private final String run;

        FanOut(String run) {
            this.run = run;
        }

        private List<TrainingListener> targets() {
            return listeners.getOrDefault(run, List.of());
        }

        @Override
        public void onStep(StepEvent e) {
            targets().forEach(l -> l.onStep(e));
        }

        @Override
        public void onMetrics(MetricsRow row) {
            targets().forEach(l -> l.onMetrics(row));
        }

        @Override
        public void onEval(io.ldmstudio.runs.EvalRow row) {
            targets().forEach(l -> l.onEval(row));
        }

        @Override
        public void onSample(long step, Path grid) {
            targets().forEach(l -> l.onSample(step, grid));
        }

        @Override
        public void onCheckpoint(long step, Path dir) {
            targets().forEach(l -> l.onCheckpoint(step, dir));
        }

        @Override
        public void onState(RunStatus status, String message) {
            targets().forEach(l -> l.onState(status, message));
            notifyWatchers();
        }

        @Override
        public void onLog(String line) {
            targets().forEach(l -> l.onLog(line));
        }
    }
}

package io.ldmstudio.ui;

import io.ldmstudio.runs.MetricsRow;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.RunStatus;
import io.ldmstudio.service.Devices;
import io.ldmstudio.service.TrainingService;
import io.ldmstudio.training.TrainingListener;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;

/**
 * The studio's training jobs: starts runs on the {@link TrainingService} and fans each run's events
 * out to whoever listens (the Training pane, the runs sidebar). Listeners are called on the training
 * thread — they must hand work to the FX thread themselves (see {@code FxBatcher}).
 */
public final class TrainingHub {
    private final TrainingService service = new TrainingService();
    private final Supplier<Devices.DeviceInfo> device;
    private final Map<String, TrainingService.Job> jobs = new ConcurrentHashMap<>();
    private final Map<String, List<TrainingListener>> listeners = new ConcurrentHashMap<>();
    private final List<Runnable> stateWatchers = new CopyOnWriteArrayList<>();

    public TrainingHub(Supplier<Devices.DeviceInfo> device) {
        this.device = device;
    }

    /** Starts (or continues from its newest checkpoint) {@code run}; fails if it is already training here. */
    public TrainingService.Job start(Run run, long totalSteps) {
        TrainingService.Job existing = jobs.get(run.name());
        if (existing != null && existing.isAlive()) {
            throw new IllegalStateException("run '" + run.name() + "' is already training");
        }
        TrainingListener fanOut = new FanOut(run.name());
        TrainingService.Job job = service.start(run, device.get(), totalSteps, List.of(fanOut));
        jobs.put(run.name(), job);
        job.done().whenComplete((o, e) -> stateWatchers.forEach(Runnable::run));
        stateWatchers.forEach(Runnable::run);
        return job;
    }

    /** The job training {@code run} in this studio, if one is alive. */
    public Optional<TrainingService.Job> job(String run) {
        TrainingService.Job j = jobs.get(run);
        return j != null && j.isAlive() ? Optional.of(j) : Optional.empty();
    }

    /** Names of the runs training now. */
    public List<String> active() {
        return jobs.entrySet().stream().filter(e -> e.getValue().isAlive()).map(Map.Entry::getKey).sorted().toList();
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

    /** Asks every job to stop with a checkpoint and waits for them, at most {@code millis} each. */
    public void stopAll(long millis) {
        for (TrainingService.Job j : jobs.values()) {
            j.control().requestStop();
        }
        for (TrainingService.Job j : jobs.values()) {
            try {
                j.done().get(millis, java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (Exception e) {
                // it ends on its own; the checkpoint is written atomically either way
            }
        }
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
            stateWatchers.forEach(Runnable::run);
        }

        @Override
        public void onLog(String line) {
            targets().forEach(l -> l.onLog(line));
        }
    }
}

package io.ldmstudio.ui.denoising;

import io.ldmstudio.config.SamplerKind;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.runs.Checkpoint;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.RunInfo;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.service.LatentDecoder;
import io.ldmstudio.service.SamplingService;
import io.ldmstudio.training.Trainer;
import io.ldmstudio.diffusion.StepListener;
import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.common.FxBatcher;
import io.ldmstudio.ui.common.UiErrors;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javafx.animation.KeyFrame;
import javafx.animation.PauseTransition;
import javafx.animation.Timeline;
import javafx.application.Platform;
import javafx.beans.binding.Bindings;
import javafx.beans.binding.BooleanBinding;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyDoubleProperty;
import javafx.beans.property.ReadOnlyDoubleWrapper;
import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.ReadOnlyIntegerWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ListChangeListener;
import javafx.collections.ObservableList;
import io.ldmstudio.ui.common.FxImages;
import javafx.scene.image.Image;
import javafx.util.Duration;

/**
 * The Denoising pane's state and logic: which run, checkpoint and sampler(s); generating a whole
 * trajectory on a sampling thread of its own (cancellable, progress coalesced to ≤ 20 updates/s); the
 * scrubber position and playback; the three pictures of the current step (rendered — and for latent
 * runs decoded — off the FX thread, cached); and the report exports. Touches no controls; everything
 * here is called on the FX thread.
 */
public final class DenoisingViewModel {
    /** A checkpoint of the chosen run. */
    public record CheckpointChoice(long step, boolean hasEma, boolean newest) {
        @Override
        public String toString() {
            return "step " + step + (newest ? " (newest)" : "") + (hasEma ? "" : " — no EMA");
        }
    }

    /** Images kept rendered for the scrubber, in pixels (≈ 96 MB). */
    static final long IMAGE_CACHE_PIXELS = 24L << 20;
    /** Share of the free heap a trajectory may take. */
    static final double MEMORY_SHARE = 0.6;

    private final Studio studio;
    private final ExecutorService samplingThread = daemon("ldm-denoise-sampler");
    private final ExecutorService renderThread = daemon("ldm-denoise-frames");

    // ---- what to sample ----
    private final ObservableList<String> runNames = FXCollections.observableArrayList();
    private final StringProperty runName = new SimpleStringProperty(this, "runName");
    private final ObservableList<CheckpointChoice> checkpoints = FXCollections.observableArrayList();
    private final ObjectProperty<CheckpointChoice> checkpoint = new SimpleObjectProperty<>(this, "checkpoint");
    private final ReadOnlyStringWrapper runSummary = new ReadOnlyStringWrapper(this, "runSummary", "");
    private final ObjectProperty<RunConfig> config = new SimpleObjectProperty<>(this, "config");
    private final BooleanProperty useEma = new SimpleBooleanProperty(this, "useEma", true);
    private final ObjectProperty<SamplerKind> sampler = new SimpleObjectProperty<>(this, "sampler", SamplerKind.DDIM);
    private final IntegerProperty steps = new SimpleIntegerProperty(this, "steps", 50);
    private final DoubleProperty eta = new SimpleDoubleProperty(this, "eta", 0);
    private final IntegerProperty seed = new SimpleIntegerProperty(this, "seed", 0);
    private final IntegerProperty images = new SimpleIntegerProperty(this, "images", 4);
    private final BooleanProperty compare = new SimpleBooleanProperty(this, "compare", false);
    private final ObjectProperty<SamplerKind> sampler2 = new SimpleObjectProperty<>(this, "sampler2", SamplerKind.DDPM);
    private final IntegerProperty steps2 = new SimpleIntegerProperty(this, "steps2", 100);
    private final DoubleProperty eta2 = new SimpleDoubleProperty(this, "eta2", 0);
    private final IntegerProperty maxSteps = new SimpleIntegerProperty(this, "maxSteps", 1000);
    private final ReadOnlyStringWrapper settingsError = new ReadOnlyStringWrapper(this, "settingsError", "");

    // ---- generating ----
    private final ReadOnlyBooleanWrapper running = new ReadOnlyBooleanWrapper(this, "running");
    private final ReadOnlyDoubleWrapper progress = new ReadOnlyDoubleWrapper(this, "progress", 0);
    private final ReadOnlyStringWrapper progressText = new ReadOnlyStringWrapper(this, "progressText", "");
    private final ReadOnlyStringWrapper resultSummary = new ReadOnlyStringWrapper(this, "resultSummary", "");
    private final ReadOnlyObjectWrapper<Generation> primary = new ReadOnlyObjectWrapper<>(this, "primary");
    private final ReadOnlyObjectWrapper<Generation> secondary = new ReadOnlyObjectWrapper<>(this, "secondary");
    private volatile AtomicBoolean cancelFlag = new AtomicBoolean();
    private LatentDecoder decoder;
    private long generationSeq;

    // ---- scrubbing ----
    private final ReadOnlyIntegerWrapper frameCount = new ReadOnlyIntegerWrapper(this, "frameCount", 0);
    private final IntegerProperty index = new SimpleIntegerProperty(this, "index", 0);
    private final ReadOnlyIntegerWrapper shownIndex = new ReadOnlyIntegerWrapper(this, "shownIndex", -1);
    private final ReadOnlyStringWrapper stepLabel = new ReadOnlyStringWrapper(this, "stepLabel", "");
    private final ReadOnlyStringWrapper stepLabel2 = new ReadOnlyStringWrapper(this, "stepLabel2", "");
    private final ReadOnlyIntegerWrapper secondaryFrameCount = new ReadOnlyIntegerWrapper(this, "secondaryFrameCount", 0);
    private final ReadOnlyIntegerWrapper secondaryIndex = new ReadOnlyIntegerWrapper(this, "secondaryIndex", -1);
    private final List<ReadOnlyObjectWrapper<Image>> frames = new ArrayList<>();
    private final BooleanProperty playing = new SimpleBooleanProperty(this, "playing");
    private final IntegerProperty fps = new SimpleIntegerProperty(this, "fps", 8);
    private final Map<FrameKey, Image> imageCache = new LinkedHashMap<>(64, 0.75f, true);
    private long cachedPixels;
    private final AtomicLong renderSeq = new AtomicLong();
    private boolean following;
    private boolean settingIndex;
    private Timeline player;

    // ---- exports ----
    private final StringProperty exportSteps = new SimpleStringProperty(this, "exportSteps", "every 10");
    private final ReadOnlyStringWrapper exportStepsError = new ReadOnlyStringWrapper(this, "exportStepsError", "");
    private final BooleanProperty rowXt = new SimpleBooleanProperty(this, "rowXt", true);
    private final BooleanProperty rowX0 = new SimpleBooleanProperty(this, "rowX0", true);
    private final BooleanProperty rowEps = new SimpleBooleanProperty(this, "rowEps", false);
    private final BooleanProperty rowLabels = new SimpleBooleanProperty(this, "rowLabels", true);
    private final IntegerProperty scale = new SimpleIntegerProperty(this, "scale", 4);
    private final ReadOnlyBooleanWrapper exporting = new ReadOnlyBooleanWrapper(this, "exporting");
    private final ReadOnlyObjectWrapper<Path> lastExport = new ReadOnlyObjectWrapper<>(this, "lastExport");
    private boolean exportStepsEdited;
    private final ReadOnlyObjectWrapper<Image> stripPreview = new ReadOnlyObjectWrapper<>(this, "stripPreview");
    private final ReadOnlyStringWrapper stripPreviewText = new ReadOnlyStringWrapper(this, "stripPreviewText", "");
    private final PauseTransition previewDelay = new PauseTransition(Duration.millis(200));
    private long previewSeq;

    private record FrameKey(Generation generation, int step, FrameKind kind) {}

    public DenoisingViewModel(Studio studio) {
        this.studio = studio;
        for (int i = 0; i < 2 * FrameKind.values().length; i++) {
            frames.add(new ReadOnlyObjectWrapper<>(this, "frame" + i));
        }
        studio.runs().addListener((ListChangeListener<RunInfo>) c -> syncRunNames());
        syncRunNames();
        // another run chosen in the sidebar, not a refresh of the list (every few seconds while training, F5):
        // a refresh brings a new RunInfo of the same selected run and must not move the Run box off the run
        // chosen here
        studio.selectedRunNameProperty().addListener((o, a, b) -> {
            if (b != null && !isAutoencoderRun(b)) {
                runName.set(b);
            }
        });
        if (studio.selectedRunNameProperty().get() != null && !isAutoencoderRun(studio.selectedRunNameProperty().get())) {
            runName.set(studio.selectedRunNameProperty().get());
        }
        runName.addListener((o, a, b) -> loadRun(b, false));
        if (runName.get() != null) {
            loadRun(runName.get(), false);
        }
        for (var p : List.of(steps, images, steps2, maxSteps)) {
            p.addListener((o, a, b) -> validateSettings());
        }
        compare.addListener((o, a, b) -> validateSettings());
        checkpoint.addListener((o, a, b) -> validateSettings());
        config.addListener((o, a, b) -> validateSettings());
        index.addListener((o, a, b) -> {
            if (!settingIndex) {
                following = false;
            }
            refreshFrames();
        });
        exportSteps.addListener((o, a, b) -> {
            exportStepsEdited = true;
            validateExportSteps();
        });
        frameCount.addListener((o, a, b) -> validateExportSteps());
        previewDelay.setOnFinished(e -> renderPreview());
        for (var p : List.of(exportSteps, rowXt, rowX0, rowEps, rowLabels, scale)) {
            p.addListener((o, a, b) -> schedulePreview());
        }
        playing.addListener((o, a, b) -> updatePlayer());
        fps.addListener((o, a, b) -> updatePlayer());
        validateSettings();
    }

    private static ExecutorService daemon(String name) {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, name);
            t.setDaemon(true);
            return t;
        });
    }

    // ================= runs and checkpoints =================

    /** Autoencoder runs have nothing to denoise: the Autoencoder pane is theirs. */
    private boolean isAutoencoderRun(String name) {
        return studio.runs().stream().anyMatch(r -> r.name().equals(name) && RunConfig.AUTOENCODER.equals(r.task()));
    }

    private void syncRunNames() {
        List<String> names = studio.runs().stream().filter(r -> !RunConfig.AUTOENCODER.equals(r.task()))
                .map(RunInfo::name).toList();
        if (!names.equals(runNames)) {
            runNames.setAll(names);
        }
        if (runName.get() == null && !names.isEmpty()) {
            runName.set(names.get(0));
        }
    }

    private record RunDetails(String name, RunConfig config, List<CheckpointChoice> checkpoints) {}

    /** Re-reads the run's config and checkpoints (for example when the pane is shown again after training). */
    public void reloadRun() {
        if (runName.get() != null) {
            loadRun(runName.get(), true);
        }
    }

    private void loadRun(String name, boolean keepCheckpoint) {
        if (name == null) {
            return;
        }
        studio.background().submit("reading run " + name, () -> {
            Run run = studio.workspace().open(name);
            RunConfig cfg = run.config();
            List<Checkpoint> cps = run.checkpoints();
            long newest = run.latestCheckpoint().map(Checkpoint::step).orElse(-1L);
            List<CheckpointChoice> out = new ArrayList<>();
            for (int i = cps.size() - 1; i >= 0; i--) {
                Checkpoint c = cps.get(i);
                out.add(new CheckpointChoice(c.step(), Files.exists(c.file(Checkpoint.EMA_FILE)), c.step() == newest));
            }
            return new RunDetails(name, cfg, out);
        }, d -> {
            if (!d.name().equals(runName.get())) {
                return; // the user moved on
            }
            CheckpointChoice keep = keepCheckpoint ? checkpoint.get() : null;
            config.set(d.config());
            checkpoints.setAll(d.checkpoints());
            checkpoint.set(d.checkpoints().stream().filter(c -> keep != null && c.step() == keep.step()).findFirst()
                    .orElse(d.checkpoints().isEmpty() ? null : d.checkpoints().get(0)));
            RunConfig c = d.config();
            maxSteps.set(c.diffusion().timesteps());
            runSummary.set(String.format(Locale.ROOT, "%d px %s · %s · %d timesteps, %s schedule",
                    c.data().resolution(), c.data().channels() == 1 ? "grey" : "RGB",
                    c.pixelSpace() ? "pixel space" : "latent space " + c.unetChannels() + "×" + c.unetResolution()
                            + "×" + c.unetResolution(),
                    c.diffusion().timesteps(), c.diffusion().schedule()));
            if (!keepCheckpoint && primary.get() == null) {
                steps.set(Math.min(steps.get(), c.diffusion().timesteps()));
            }
        }, e -> {
            if (name.equals(runName.get())) {
                config.set(null);
                checkpoints.clear();
                checkpoint.set(null);
                runSummary.set("");
                studio.error(e);
            }
        });
    }

    // ================= validation =================

    private void validateSettings() {
        settingsError.set(settingsProblem());
    }

    private String settingsProblem() {
        if (runName.get() == null) {
            return studio.runs().isEmpty() ? "the workspace has no runs yet: create and train one first"
                    : "choose a run";
        }
        RunConfig c = config.get();
        if (c == null) {
            return "";
        }
        if (checkpoint.get() == null) {
            return "run " + runName.get() + " has no checkpoint yet: train it first (Training pane)";
        }
        if (steps.get() < 1 || steps.get() > maxSteps.get()) {
            return "steps: 1 to " + maxSteps.get() + " (the run's diffusion.timesteps)";
        }
        if (compare.get() && (steps2.get() < 1 || steps2.get() > maxSteps.get())) {
            return "second sampler's steps: 1 to " + maxSteps.get();
        }
        long perStep = 3L * images.get() * c.unetChannels() * c.unetResolution() * c.unetResolution() * Float.BYTES;
        long total = perStep * (steps.get() + (compare.get() ? steps2.get() : 0));
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        Generation g = primary.get();
        Generation g2 = secondary.get();
        long held = held(g) + held(g2); // replaced by the new trajectory
        if (total > MEMORY_SHARE * (free + held)) {
            return String.format(Locale.ROOT, "the trajectory needs %s in memory (x_t, x̂0, ε̂ of %d steps × %d images); "
                    + "about %s is free: use fewer steps or images", mb(total),
                    steps.get() + (compare.get() ? steps2.get() : 0), images.get(), mb(free + held));
        }
        return "";
    }

    private static long held(Generation g) {
        if (g == null || g.size() == 0) {
            return 0;
        }
        var s = g.trajectory().get(0);
        return (long) g.size() * (s.xt().length + s.predX0().length + s.predEps().length) * Float.BYTES;
    }

    private static String mb(long bytes) {
        return bytes >= 1L << 30 ? String.format(Locale.ROOT, "%.1f GB", bytes / (double) (1L << 30))
                : String.format(Locale.ROOT, "%d MB", Math.max(1, bytes >> 20));
    }

    // ================= generating =================

    /** Whether Generate can act now. */
    public BooleanBinding canGenerate() {
        return Bindings.createBooleanBinding(() -> !running.get() && !exporting.get() && settingsError.get().isEmpty()
                && checkpoint.get() != null && config.get() != null, running, exporting, settingsError, checkpoint,
                config);
    }

    /** Samples the trajectory (and the comparison one) in the background; returns false if it cannot start. */
    public boolean generate() {
        validateSettings();
        if (running.get()) {
            return false;
        }
        if (exporting.get()) {
            studio.error("an export is still being written from this trajectory: generate when it is done");
            return false;
        }
        if (!settingsError.get().isEmpty() || checkpoint.get() == null || config.get() == null) {
            studio.error(settingsError.get().isEmpty() ? "choose a run with a checkpoint first" : settingsError.get());
            return false;
        }
        String name = runName.get();
        Generation.Settings a = new Generation.Settings(sampler.get().key, steps.get(), eta.get(), seed.get(),
                images.get(), useEma.get(), checkpoint.get().step());
        Generation.Settings b = compare.get() ? new Generation.Settings(sampler2.get().key, steps2.get(), eta2.get(),
                seed.get(), images.get(), useEma.get(), checkpoint.get().step()) : null;
        AtomicBoolean cancel = new AtomicBoolean();
        cancelFlag = cancel;
        long seq = ++generationSeq;
        running.set(true);
        progress.set(0);
        progressText.set("loading the checkpoint…");
        samplingThread.submit(() -> sampleInBackground(seq, name, a, b, cancel));
        return true;
    }

    /** Asks a running generation to stop before its next step. */
    public void cancel() {
        if (running.get()) {
            cancelFlag.set(true);
            progressText.set("cancelling…");
        }
    }

    private void sampleInBackground(long seq, String name, Generation.Settings a, Generation.Settings b,
            AtomicBoolean cancel) {
        LatentDecoder dec = null;
        Generation[] made = new Generation[2];
        try {
            Run run = studio.workspace().open(name);
            RunConfig cfg = run.config();
            Devices.DeviceInfo device = studio.device();
            Generation.Geometry geo = Generation.geometry(cfg, a.n());
            if (geo.latent()) {
                dec = new LatentDecoder(cfg, device);
            }
            made[0] = new Generation(name, a, geo, dec);
            made[1] = b == null ? null : new Generation(name, b, geo, dec);
            LatentDecoder shown = dec;
            Platform.runLater(() -> adopt(made[0], made[1], shown));
            int total = a.steps() + (b == null ? 0 : b.steps());
            FxBatcher<int[]> batcher = new FxBatcher<>(20, list -> progressed(seq, list.get(list.size() - 1), total));
            sampleOne(run, made[0], device, cancel, batcher, 0, 0);
            if (made[1] != null) {
                sampleOne(run, made[1], device, cancel, batcher, a.steps(), 1);
            }
            Platform.runLater(() -> finished(seq, made[0], made[1], null));
        } catch (CancellationException e) {
            Platform.runLater(() -> finished(seq, made[0], made[1], e));
        } catch (Throwable e) {
            if (made[0] == null && dec != null) {
                dec.close();
            }
            Platform.runLater(() -> finished(seq, made[0], made[1], e));
        }
    }

    private static void sampleOne(Run run, Generation g, Devices.DeviceInfo device, AtomicBoolean cancel,
            FxBatcher<int[]> batcher, int offset, int which) throws java.io.IOException {
        StepListener progressListener = StepListener.progress((done, total) -> batcher.add(new int[] {offset + done, which}));
        SamplingService.Result r = SamplingService.sample(run, g.settings().request(), device,
                g.trajectory().andThen(progressListener), cancel::get, g.decoder());
        g.finish(r);
    }

    /** Shows freshly started generations (FX thread). */
    private void adopt(Generation a, Generation b, LatentDecoder dec) {
        LatentDecoder old = decoder;
        decoder = dec;
        if (old != null && old != dec) {
            old.close();
        }
        renderSeq.incrementAndGet(); // pictures of the old trajectory still being rendered are dropped
        imageCache.clear();
        cachedPixels = 0;
        for (var f : frames) {
            f.set(null);
        }
        shownIndex.set(-1);
        primary.set(a);
        secondary.set(b);
        following = true;
        setIndexQuietly(0);
        frameCount.set(0);
        stepLabel.set("");
        stepLabel2.set("");
        secondaryIndex.set(-1);
        secondaryFrameCount.set(0);
        resultSummary.set("");
        previewSeq++;
        stripPreview.set(null);
        stripPreviewText.set("");
    }

    private void progressed(long seq, int[] last, int total) {
        if (seq != generationSeq || !running.get()) {
            return;
        }
        progress.set(last[0] / (double) total);
        Generation g = last[1] == 0 ? primary.get() : secondary.get();
        if (g != null) {
            progressText.set((compare.get() && secondary.get() != null ? (last[1] == 0 ? "1st: " : "2nd: ") : "")
                    + g.settings().title() + " — step " + g.size() + "/" + g.settings().steps());
        }
        updateFrameCount();
    }

    private void updateFrameCount() {
        Generation a = primary.get();
        int n = a == null ? 0 : a.size();
        frameCount.set(n);
        Generation b = secondary.get();
        secondaryFrameCount.set(b == null ? 0 : b.size());
        if (following && n > 0 && index.get() != n - 1) {
            setIndexQuietly(n - 1); // the index listener refreshes the frames
        } else {
            refreshFrames();
        }
    }

    private void finished(long seq, Generation a, Generation b, Throwable failure) {
        if (seq != generationSeq) {
            return;
        }
        running.set(false);
        if (b != null && b.size() == 0 && secondary.get() == b) {
            secondary.set(null); // cancelled before the comparison began
        }
        updateFrameCount();
        following = false;
        if (failure == null) {
            progress.set(1);
            progressText.set("");
            SamplingService.Result r = a.result();
            resultSummary.set(String.format(Locale.ROOT, "%s — seed %d, %d image%s, %s weights of step %d, %.1f s%s",
                    a.settings().title(), a.settings().seed(), a.settings().n(), a.settings().n() == 1 ? "" : "s",
                    r.weights().startsWith("ema") ? "EMA" : "raw", r.checkpointStep(), r.seconds()
                            + (b != null && b.result() != null ? b.result().seconds() : 0),
                    b == null ? "" : " · vs " + b.settings().title()));
            if (!exportStepsEdited) {
                exportSteps.set("every " + Math.max(1, Math.round((a.size() - 1) / 5.0)));
                exportStepsEdited = false;
            }
            validateExportSteps();
            studio.inform("Generated " + a.settings().title() + (b == null ? "" : " and " + b.settings().title())
                    + " from run " + a.runName() + ": scrub with the slider or ← →");
        } else if (failure instanceof CancellationException) {
            progressText.set("cancelled");
            int have = a == null ? 0 : a.size();
            studio.inform("Cancelled" + (a == null ? "" : " at step " + have + " of " + a.settings().steps())
                    + (have > 0 ? ": the steps so far can be scrubbed" : ""));
        } else {
            progressText.set("failed");
            studio.error("generating from " + (a == null ? "the run" : a.runName()) + ": " + UiErrors.message(failure));
        }
        validateSettings();
        schedulePreview();
    }

    // ================= scrubbing =================

    private void setIndexQuietly(int i) {
        settingIndex = true;
        try {
            index.set(i);
        } finally {
            settingIndex = false;
        }
    }

    /** Moves the scrubber by {@code delta} steps, staying within the trajectory. */
    public void step(int delta) {
        int n = frameCount.get();
        if (n > 0) {
            index.set(Math.max(0, Math.min(n - 1, index.get() + delta)));
        }
    }

    public void first() {
        if (frameCount.get() > 0) {
            index.set(0);
        }
    }

    public void last() {
        if (frameCount.get() > 0) {
            index.set(frameCount.get() - 1);
        }
    }

    public void togglePlay() {
        playing.set(!playing.get() && frameCount.get() > 1);
    }

    private void updatePlayer() {
        if (player != null) {
            player.stop();
            player = null;
        }
        if (playing.get()) {
            player = new Timeline(new KeyFrame(Duration.millis(1000.0 / Math.max(1, fps.get())), e -> {
                int n = frameCount.get();
                if (n <= 1) {
                    playing.set(false);
                    return;
                }
                index.set(index.get() >= n - 1 ? 0 : index.get() + 1);
            }));
            player.setCycleCount(Timeline.INDEFINITE);
            player.play();
        }
    }

    /** The step of the comparison trajectory shown with primary step {@code i}: the same fraction of it. */
    public int secondaryStep(int i) {
        Generation a = primary.get();
        Generation b = secondary.get();
        if (a == null || b == null || b.size() == 0) {
            return -1;
        }
        return Math.min(b.size() - 1, Generation.mapStep(i, a.settings().steps(), b.settings().steps()));
    }

    /** Moves the scrubber so the comparison shows (about) its step {@code j}: the same fraction of the primary. */
    public void scrubSecondary(int j) {
        Generation a = primary.get();
        Generation b = secondary.get();
        if (a == null || b == null || frameCount.get() == 0) {
            return;
        }
        int i = Generation.mapStep(j, b.settings().steps(), a.settings().steps());
        index.set(Math.max(0, Math.min(frameCount.get() - 1, i)));
    }

    /** Puts the pictures of the current step on screen: from the cache, else rendered off the FX thread. */
    private void refreshFrames() {
        Generation a = primary.get();
        if (a == null || a.size() == 0) {
            return;
        }
        int i = Math.min(index.get(), a.size() - 1);
        stepLabel.set(a.stepLabel(i));
        Generation b = secondary.get();
        int j = secondaryStep(i);
        stepLabel2.set(j < 0 ? (b == null ? "" : "waiting for the first step…") : b.stepLabel(j));
        secondaryIndex.set(j);
        List<FrameKey> wanted = new ArrayList<>();
        for (FrameKind k : FrameKind.values()) {
            wanted.add(new FrameKey(a, i, k));
        }
        if (j >= 0) {
            for (FrameKind k : FrameKind.values()) {
                wanted.add(new FrameKey(b, j, k));
            }
        }
        List<FrameKey> missing = wanted.stream().filter(k -> !imageCache.containsKey(k)).toList();
        if (missing.isEmpty()) {
            show(wanted, i);
            return;
        }
        long ticket = renderSeq.incrementAndGet();
        renderThread.submit(() -> {
            Map<FrameKey, Image> made = new LinkedHashMap<>();
            try {
                for (FrameKey k : missing) {
                    if (renderSeq.get() != ticket) {
                        return; // the scrubber moved on
                    }
                    BufferedImage img = k.generation().frame(k.step(), k.kind());
                    made.put(k, FxImages.fromBuffered(img));
                }
            } catch (Throwable e) {
                if (renderSeq.get() == ticket) {
                    Platform.runLater(() -> studio.error("showing step " + i + ": " + UiErrors.message(e)));
                }
                return;
            }
            Platform.runLater(() -> {
                made.forEach(this::cache);
                if (renderSeq.get() == ticket || wanted.stream().allMatch(imageCache::containsKey)) {
                    show(wanted, i);
                }
            });
        });
    }

    private void cache(FrameKey k, Image img) {
        if (imageCache.put(k, img) == null) {
            cachedPixels += (long) img.getWidth() * (long) img.getHeight();
        }
        var it = imageCache.entrySet().iterator();
        while (cachedPixels > IMAGE_CACHE_PIXELS && imageCache.size() > 6 && it.hasNext()) {
            Image old = it.next().getValue();
            cachedPixels -= (long) old.getWidth() * (long) old.getHeight();
            it.remove();
        }
    }

    private void show(List<FrameKey> keys, int i) {
        if (keys.get(0).generation() != primary.get()) {
            return;
        }
        int kinds = FrameKind.values().length;
        for (int r = 0; r < 2; r++) {
            for (int k = 0; k < kinds; k++) {
                int at = r * kinds + k;
                frames.get(at).set(at < keys.size() ? imageCache.get(keys.get(at)) : null);
            }
        }
        shownIndex.set(i);
    }

    // ================= exports =================

    private void validateExportSteps() {
        Generation a = primary.get();
        if (a == null || a.size() == 0) {
            exportStepsError.set("");
            return;
        }
        StepSelection.Result r = StepSelection.parse(exportSteps.get(), a.size());
        exportStepsError.set(r.ok() ? "" : r.error());
    }

    /** The kinds ticked for figures, in order. */
    public List<FrameKind> exportKinds() {
        List<FrameKind> out = new ArrayList<>();
        if (rowXt.get()) {
            out.add(FrameKind.XT);
        }
        if (rowX0.get()) {
            out.add(FrameKind.X0);
        }
        if (rowEps.get()) {
            out.add(FrameKind.EPS);
        }
        return out;
    }

    /** Whether there is a finished (or cancelled, non-empty) trajectory to export. */
    public BooleanBinding canExport() {
        return Bindings.createBooleanBinding(() -> !running.get() && !exporting.get() && frameCount.get() > 0,
                running, exporting, frameCount);
    }

    /** The folder file choosers open in: the run's exports folder. */
    public Path exportsDir() {
        Generation a = primary.get();
        String name = a != null ? a.runName() : runName.get();
        return name == null ? studio.runsDir() : studio.runsDir().resolve(name).resolve(Run.EXPORTS);
    }

    /** {@code tiny-shapes-ddim-8-seed0}: the stem of default export names. */
    public String exportStem() {
        Generation a = primary.get();
        if (a == null) {
            return "trajectory";
        }
        Generation b = secondary.get();
        return a.runName() + "-" + a.settings().slug() + (b == null ? "" : "-vs-" + b.settings().slug()) + "-seed"
                + a.settings().seed();
    }

    private boolean readyToExport(String what) {
        Generation a = primary.get();
        if (a == null || a.size() == 0) {
            studio.error("generate a trajectory before exporting " + what);
            return false;
        }
        if (running.get()) {
            studio.error("wait for the generation to finish before exporting " + what);
            return false;
        }
        if (exporting.get()) {
            studio.error("an export is still being written");
            return false;
        }
        return true;
    }

    private FigureComposer.Style style() {
        return FigureComposer.Style.defaults(Math.max(1, Math.min(16, scale.get()))).withRowLabels(rowLabels.get());
    }

    /** The comparison trajectory if it has frames. */
    private Generation exportSecondary() {
        Generation b = secondary.get();
        return b != null && b.size() > 0 ? b : null;
    }

    private void schedulePreview() {
        previewDelay.playFromStart();
    }

    /** Renders the strip as Strip PNG… would write it, off the FX thread (the newest request wins). */
    private void renderPreview() {
        long seq = ++previewSeq;
        Generation a = primary.get();
        if (a == null || a.size() == 0 || running.get()) {
            stripPreview.set(null);
            stripPreviewText.set("");
            return;
        }
        StepSelection.Result sel = StepSelection.parse(exportSteps.get(), a.size());
        List<FrameKind> kinds = exportKinds();
        if (!sel.ok() || kinds.isEmpty()) {
            stripPreview.set(null);
            stripPreviewText.set(!sel.ok() ? "Strip preview: fix the steps" : "Strip preview: tick at least one row");
            return;
        }
        Generation b = exportSecondary();
        FigureComposer.Style st = style();
        studio.background().submit("previewing the strip", () -> {
            if (seq != previewSeq) {
                return null;
            }
            return FigureComposer.render(Exports.strip(a, b, sel.steps(), kinds), st);
        }, img -> {
            if (img != null && seq == previewSeq) {
                stripPreview.set(FxImages.fromBuffered(img));
                stripPreviewText.set("Strip preview — steps " + sel.steps().stream().map(String::valueOf)
                        .collect(java.util.stream.Collectors.joining(", ")) + " · " + img.getWidth() + " × "
                        + img.getHeight() + " px at scale " + st.scale());
            }
        }, e -> {
            if (seq == previewSeq) {
                stripPreview.set(null);
                stripPreviewText.set("Strip preview failed: " + UiErrors.message(e));
            }
        });
    }

    /** Writes the figure strip of the chosen steps to {@code file} in the background; false if blocked. */
    public boolean exportStrip(Path file) {
        validateExportSteps();
        if (!readyToExport("a strip")) {
            return false;
        }
        StepSelection.Result sel = StepSelection.parse(exportSteps.get(), primary.get().size());
        if (!sel.ok()) {
            exportStepsError.set(sel.error());
            return false;
        }
        List<FrameKind> kinds = exportKinds();
        if (kinds.isEmpty()) {
            studio.error("tick at least one row for the strip: x_t, x̂0 or ε̂");
            return false;
        }
        Generation a = primary.get();
        Generation b = exportSecondary();
        FigureComposer.Style st = style();
        return background("writing the strip " + file, () -> Exports.writeStrip(file, a, b, sel.steps(), kinds, st),
                img -> done(file, "Saved a strip of " + sel.steps().size() + " steps (" + img.getWidth() + "×"
                        + img.getHeight() + " px) to " + file));
    }

    /** Writes the whole trajectory as a looping GIF at the playback frame rate; false if blocked. */
    public boolean exportGif(Path file) {
        if (!readyToExport("a GIF")) {
            return false;
        }
        List<FrameKind> kinds = exportKinds();
        if (kinds.isEmpty()) {
            studio.error("tick at least one row for the GIF: x_t, x̂0 or ε̂");
            return false;
        }
        Generation a = primary.get();
        Generation b = exportSecondary();
        FigureComposer.Style st = style();
        int delay = Math.round(1000f / Math.max(1, fps.get()));
        return background("writing the GIF " + file, () -> Exports.writeGif(file, a, b, kinds, st, delay),
                n -> done(file, "Saved a GIF of " + n + " frames at " + fps.get() + " fps to " + file));
    }

    /** Writes x_t, x̂0 and ε̂ of every step as PNGs into a new folder inside {@code parent}; false if blocked. */
    public boolean exportFrames(Path parent) {
        if (!readyToExport("frames")) {
            return false;
        }
        Generation a = primary.get();
        Generation b = exportSecondary();
        int count = Exports.frameFiles(a) + (b == null ? 0 : Exports.frameFiles(b));
        return background("writing the frames into " + parent,
                () -> Exports.writeFrames(parent, exportStem() + "-frames", a, b),
                dir -> done(dir, "Saved " + count + " frames (x_t, x̂0, ε̂ of every step) to " + dir));
    }

    private <T> boolean background(String what, java.util.concurrent.Callable<T> work, java.util.function.Consumer<T> ok) {
        exporting.set(true);
        studio.background().submit(what, work, v -> {
            exporting.set(false);
            ok.accept(v);
        }, e -> {
            exporting.set(false);
            studio.error(e);
        });
        return true;
    }

    private void done(Path where, String message) {
        lastExport.set(where);
        studio.inform(message);
    }

    /** Stops the threads and frees the autoencoder. */
    public void dispose() {
        cancelFlag.set(true);
        playing.set(false);
        samplingThread.shutdownNow();
        renderThread.shutdownNow();
        if (decoder != null) {
            decoder.close();
            decoder = null;
        }
    }

    // ================= properties =================

    public ObservableList<String> runNames() {
        return runNames;
    }

    public StringProperty runNameProperty() {
        return runName;
    }

    public ObservableList<CheckpointChoice> checkpoints() {
        return checkpoints;
    }

    public ObjectProperty<CheckpointChoice> checkpointProperty() {
        return checkpoint;
    }

    public ReadOnlyStringProperty runSummaryProperty() {
        return runSummary.getReadOnlyProperty();
    }

    public BooleanProperty useEmaProperty() {
        return useEma;
    }

    public ObjectProperty<SamplerKind> samplerProperty() {
        return sampler;
    }

    public IntegerProperty stepsProperty() {
        return steps;
    }

    public DoubleProperty etaProperty() {
        return eta;
    }

    public IntegerProperty seedProperty() {
        return seed;
    }

    public IntegerProperty imagesProperty() {
        return images;
    }

    public BooleanProperty compareProperty() {
        return compare;
    }

    public ObjectProperty<SamplerKind> sampler2Property() {
        return sampler2;
    }

    public IntegerProperty steps2Property() {
        return steps2;
    }

    public DoubleProperty eta2Property() {
        return eta2;
    }

    /** The run's diffusion.timesteps: the most steps a sampler can take. */
    public IntegerProperty maxStepsProperty() {
        return maxSteps;
    }

    public ReadOnlyStringProperty settingsErrorProperty() {
        return settingsError.getReadOnlyProperty();
    }

    public ReadOnlyBooleanProperty runningProperty() {
        return running.getReadOnlyProperty();
    }

    public ReadOnlyDoubleProperty progressProperty() {
        return progress.getReadOnlyProperty();
    }

    public ReadOnlyStringProperty progressTextProperty() {
        return progressText.getReadOnlyProperty();
    }

    public ReadOnlyStringProperty resultSummaryProperty() {
        return resultSummary.getReadOnlyProperty();
    }

    public ReadOnlyObjectProperty<Generation> primaryProperty() {
        return primary.getReadOnlyProperty();
    }

    public ReadOnlyObjectProperty<Generation> secondaryProperty() {
        return secondary.getReadOnlyProperty();
    }

    /** Recorded steps of the primary trajectory (grows while it samples). */
    public ReadOnlyIntegerProperty frameCountProperty() {
        return frameCount.getReadOnlyProperty();
    }

    /** The scrubber position: a step index of the primary trajectory. */
    public IntegerProperty indexProperty() {
        return index;
    }

    /** The step whose pictures are on screen (lags {@link #indexProperty()} while they render); −1 for none. */
    public ReadOnlyIntegerProperty shownIndexProperty() {
        return shownIndex.getReadOnlyProperty();
    }

    public ReadOnlyStringProperty stepLabelProperty() {
        return stepLabel.getReadOnlyProperty();
    }

    /** Recorded steps of the comparison trajectory. */
    public ReadOnlyIntegerProperty secondaryFrameCountProperty() {
        return secondaryFrameCount.getReadOnlyProperty();
    }

    /** The comparison's step shown beside the scrubber's ({@link #secondaryStep}); −1 for none. */
    public ReadOnlyIntegerProperty secondaryIndexProperty() {
        return secondaryIndex.getReadOnlyProperty();
    }

    public ReadOnlyStringProperty stepLabel2Property() {
        return stepLabel2.getReadOnlyProperty();
    }

    /** The picture of {@code kind} in row 0 (the trajectory) or 1 (the comparison). */
    public ReadOnlyObjectProperty<Image> frameProperty(int row, FrameKind kind) {
        return frames.get(row * FrameKind.values().length + kind.ordinal()).getReadOnlyProperty();
    }

    public BooleanProperty playingProperty() {
        return playing;
    }

    public IntegerProperty fpsProperty() {
        return fps;
    }

    public StringProperty exportStepsProperty() {
        return exportSteps;
    }

    public ReadOnlyStringProperty exportStepsErrorProperty() {
        return exportStepsError.getReadOnlyProperty();
    }

    public BooleanProperty rowXtProperty() {
        return rowXt;
    }

    public BooleanProperty rowX0Property() {
        return rowX0;
    }

    public BooleanProperty rowEpsProperty() {
        return rowEps;
    }

    public BooleanProperty rowLabelsProperty() {
        return rowLabels;
    }

    public IntegerProperty scaleProperty() {
        return scale;
    }

    public ReadOnlyBooleanProperty exportingProperty() {
        return exporting.getReadOnlyProperty();
    }

    /** The strip exactly as Strip PNG… writes it, re-rendered when its settings change. */
    public ReadOnlyObjectProperty<Image> stripPreviewProperty() {
        return stripPreview.getReadOnlyProperty();
    }

    public ReadOnlyStringProperty stripPreviewTextProperty() {
        return stripPreviewText.getReadOnlyProperty();
    }

    /** Where the last export went. */
    public ReadOnlyObjectProperty<Path> lastExportProperty() {
        return lastExport.getReadOnlyProperty();
    }
}

package io.ldmstudio.ui.denoising;

import io.ldmstudio.config.RunConfig;
import io.ldmstudio.config.SamplerKind;
import io.ldmstudio.runs.Checkpoint;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.RunInfo;
import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.denoising.DenoisingViewModel.CheckpointChoice;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.beans.value.ObservableObjectValue;
import javafx.collections.FXCollections;
import javafx.collections.ListChangeListener;
import javafx.collections.ObservableList;

/**
 * What the Denoising pane samples: the run (following the sidebar's choice, never an autoencoder run), its
 * checkpoint, the sampler(s) and their settings, and whether they are valid — including whether the
 * trajectory fits in memory. Everything here is called on the FX thread.
 */
final class SamplingSettings {
    /** Share of the free heap a trajectory may take. */
    static final double MEMORY_SHARE = 0.6;

    private final Studio studio;
    /** The trajectories shown now: their memory is freed by the next generation. */
    private final ObservableObjectValue<Generation> primary;
    private final ObservableObjectValue<Generation> secondary;

    final ObservableList<String> runNames = FXCollections.observableArrayList();
    final StringProperty runName = new SimpleStringProperty(this, "runName");
    final ObservableList<CheckpointChoice> checkpoints = FXCollections.observableArrayList();
    final ObjectProperty<CheckpointChoice> checkpoint = new SimpleObjectProperty<>(this, "checkpoint");
    private final ReadOnlyStringWrapper runSummary = new ReadOnlyStringWrapper(this, "runSummary", "");
    final ObjectProperty<RunConfig> config = new SimpleObjectProperty<>(this, "config");
    final BooleanProperty useEma = new SimpleBooleanProperty(this, "useEma", true);
    final ObjectProperty<SamplerKind> sampler = new SimpleObjectProperty<>(this, "sampler", SamplerKind.DDIM);
    final IntegerProperty steps = new SimpleIntegerProperty(this, "steps", 50);
    final DoubleProperty eta = new SimpleDoubleProperty(this, "eta", 0);
    final IntegerProperty seed = new SimpleIntegerProperty(this, "seed", 0);
    final IntegerProperty images = new SimpleIntegerProperty(this, "images", 4);
    final BooleanProperty compare = new SimpleBooleanProperty(this, "compare", false);
    final ObjectProperty<SamplerKind> sampler2 = new SimpleObjectProperty<>(this, "sampler2", SamplerKind.DDPM);
    final IntegerProperty steps2 = new SimpleIntegerProperty(this, "steps2", 100);
    final DoubleProperty eta2 = new SimpleDoubleProperty(this, "eta2", 0);
    final IntegerProperty maxSteps = new SimpleIntegerProperty(this, "maxSteps", 1000);
    private final ReadOnlyStringWrapper settingsError = new ReadOnlyStringWrapper(this, "settingsError", "");

    SamplingSettings(Studio studio, ObservableObjectValue<Generation> primary,
            ObservableObjectValue<Generation> secondary) {
        this.studio = studio;
        this.primary = primary;
        this.secondary = secondary;
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
            p.addListener((o, a, b) -> validate());
        }
        compare.addListener((o, a, b) -> validate());
        checkpoint.addListener((o, a, b) -> validate());
        config.addListener((o, a, b) -> validate());
        validate();
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
    void reloadRun() {
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

    void validate() {
        settingsError.set(settingsProblem());
    }

    /** Whether the settings are valid and name a run's checkpoint: what Generate needs. */
    boolean ready() {
        return settingsError.get().isEmpty() && checkpoint.get() != null && config.get() != null;
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

    /** The primary sampler's settings, or with {@code second} the comparison's (same seed, images, weights). */
    Generation.Settings request(boolean second) {
        return second
                ? new Generation.Settings(sampler2.get().key, steps2.get(), eta2.get(), seed.get(), images.get(),
                        useEma.get(), checkpoint.get().step())
                : new Generation.Settings(sampler.get().key, steps.get(), eta.get(), seed.get(), images.get(),
                        useEma.get(), checkpoint.get().step());
    }

    ReadOnlyStringProperty runSummaryProperty() {
        return runSummary.getReadOnlyProperty();
    }

    ReadOnlyStringProperty settingsErrorProperty() {
        return settingsError.getReadOnlyProperty();
    }
}

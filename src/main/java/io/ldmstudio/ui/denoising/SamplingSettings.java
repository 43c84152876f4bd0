package io.ldmstudio.ui.denoising;

import io.ldmstudio.config.RunConfig;
import io.ldmstudio.config.SamplerKind;
import io.ldmstudio.runs.Checkpoint;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.RunInfo;
import io.ldmstudio.ui.Studio;
import io.ldmstudio.data.Npy;
import io.ldmstudio.pipeline.Pipeline;
import java.nio.file.Path;
import io.ldmstudio.service.ClassChoice;
import io.ldmstudio.service.ModelInfo;
import io.ldmstudio.ui.denoising.DenoisingViewModel.CheckpointChoice;
import io.ldmstudio.ui.denoising.DenoisingViewModel.SourceChoice;
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
 * What the Denoising pane samples: a run (following the sidebar's choice, never an autoencoder run) and its
 * checkpoint, or a model — a diffusers pipeline the studio knows ({@link Studio#models()}), with the latent
 * scale it decodes with — the sampler(s) and their settings, and whether they are valid — including whether
 * the trajectory fits in memory. Everything here is called on the FX thread.
 */
final class SamplingSettings {
    /** Share of the free heap a trajectory may take. */
    static final double MEMORY_SHARE = 0.6;

    private final Studio studio;
    /** The trajectories shown now: their memory is freed by the next generation. */
    private final ObservableObjectValue<Generation> primary;
    private final ObservableObjectValue<Generation> secondary;
    private final ObservableObjectValue<List<Generation>> sweepShown;

    final ObservableList<String> runNames = FXCollections.observableArrayList();
    /** The run chosen, when the source is a run; null when it is a model. */
    final StringProperty runName = new SimpleStringProperty(this, "runName");
    /** Every run that can be denoised, then every model that opens. */
    final ObservableList<SourceChoice> sources = FXCollections.observableArrayList();
    final ObjectProperty<SourceChoice> source = new SimpleObjectProperty<>(this, "source");
    /** The model chosen, opened (configs only); null for a run or while it opens. */
    final ObjectProperty<Pipeline> pipeline = new SimpleObjectProperty<>(this, "pipeline");
    /** The latent scale a latent model decodes with: its config's until the user sets another. */
    final DoubleProperty latentScale = new SimpleDoubleProperty(this, "latentScale", 0);
    private final ReadOnlyStringWrapper latentScaleNote = new ReadOnlyStringWrapper(this, "latentScaleNote", "");
    /** A given x_T, a NumPy {@code .npy} file of the denoiser's input; null: x_T is drawn from the seed. */
    final ObjectProperty<Path> noiseFile = new SimpleObjectProperty<>(this, "noiseFile");
    /** The x_T read from {@link #noiseFile}; null while it is read, or without a file. */
    final ObjectProperty<Npy.Array> noise = new SimpleObjectProperty<>(this, "noise");
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

    // ---- class conditioning (a source with classes only) ----
    /** What the class box says for one row per class ({@code all} is taken too, as {@code sample --class} does). */
    static final String ROWS = "one row per class";
    /**
     * The guidance scale a model folder is sampled with unless set: {@code sample}'s default for one (1 for a
     * checkpoint without a null class, which cannot be guided).
     */
    static final double MODEL_GUIDANCE = 3.0;
    /** The most guidance scales a sweep takes. */
    static final int MAX_SWEEP = 8;
    static final String DEFAULT_SWEEP = "1, 2, 4, 8";
    /** The chosen source's classes: 0 for an unconditional one (or while it loads). */
    final IntegerProperty classes = new SimpleIntegerProperty(this, "classes", 0);
    /** Their names by label; empty when the source names none. */
    final ObservableList<String> classNames = FXCollections.observableArrayList();
    /** {@link #ROWS}, a class (label or name) or a list of them, {@code 3, 7, sneaker}, cycled over the images. */
    final StringProperty classText = new SimpleStringProperty(this, "classText", ROWS);
    /** Classifier-free guidance scale w (1: none, one pass); the run's {@code conditioning.guidance} by default. */
    final DoubleProperty guidance = new SimpleDoubleProperty(this, "guidance", MODEL_GUIDANCE);
    /** Guidance rescale φ in [0, 1]. */
    final DoubleProperty guidanceRescale = new SimpleDoubleProperty(this, "guidanceRescale", 0);
    /** Whether Generate samples the same x_T at every scale of {@link #sweepText} (instead of a comparison). */
    final BooleanProperty sweep = new SimpleBooleanProperty(this, "sweep", false);
    final StringProperty sweepText = new SimpleStringProperty(this, "sweepText", DEFAULT_SWEEP);

    SamplingSettings(Studio studio, ObservableObjectValue<Generation> primary,
            ObservableObjectValue<Generation> secondary, ObservableObjectValue<List<Generation>> sweepShown) {
        this.studio = studio;
        this.primary = primary;
        this.secondary = secondary;
        this.sweepShown = sweepShown;
        studio.runs().addListener((ListChangeListener<RunInfo>) c -> syncRunNames());
        studio.models().addListener((ListChangeListener<ModelInfo>) c -> syncRunNames());
        syncRunNames();
        studio.selectedModelProperty().addListener((o, a, b) -> {
            if (b != null && b.ok()) {
                source.set(SourceChoice.of(b));
            }
        });
        source.addListener((o, a, b) -> {
            if (b == null) {
                return;
            }
            if (b.model() == null) {
                pipeline.set(null);
                if (!b.run().equals(runName.get())) {
                    setClasses(0, List.of(), Double.NaN);
                }
                runName.set(b.run());
            } else {
                runName.set(null);
                loadModel(b.model());
            }
        });
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
        runName.addListener((o, a, b) -> {
            if (b != null) {
                source.set(SourceChoice.of(b));
            }
            setClasses(0, List.of(), Double.NaN);
            // the previous run's checkpoint and config go at once: until the new run's are read, Generate must not
            // combine the new run's name with the old run's checkpoint step
            checkpoints.clear();
            checkpoint.set(null);
            config.set(null);
            loadRun(b, false);
        });
        if (runName.get() != null) {
            source.set(SourceChoice.of(runName.get()));
            loadRun(runName.get(), false);
        }
        for (var p : List.of(steps, images, steps2, maxSteps)) {
            p.addListener((o, a, b) -> validate());
        }
        compare.addListener((o, a, b) -> {
            if (b) {
                sweep.set(false); // one or the other: both fill the space under the trajectory
            }
            validate();
        });
        sweep.addListener((o, a, b) -> {
            if (b) {
                compare.set(false);
            }
            validate();
        });
        classes.addListener((o, a, b) -> validate());
        classNames.addListener((ListChangeListener<String>) c -> validate());
        for (var p : List.of(classText, sweepText)) {
            p.addListener((o, a, b) -> validate());
        }
        for (var p : List.of(guidance, guidanceRescale)) {
            p.addListener((o, a, b) -> validate());
        }
        checkpoint.addListener((o, a, b) -> validate());
        config.addListener((o, a, b) -> validate());
        pipeline.addListener((o, a, b) -> validate());
        noise.addListener((o, a, b) -> validate());
        noiseFile.addListener((o, a, b) -> readNoise(b));
        latentScale.addListener((o, a, b) -> {
            updateLatentScaleNote();
            validate();
        });
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
        List<SourceChoice> all = new ArrayList<>();
        names.forEach(n -> all.add(SourceChoice.of(n)));
        studio.models().stream().filter(ModelInfo::ok).forEach(m -> all.add(SourceChoice.of(m)));
        if (!all.equals(sources)) {
            sources.setAll(all);
        }
        if (source.get() == null && runName.get() == null && !names.isEmpty()) {
            runName.set(names.get(0));
        }
    }

    // ================= a given x_T =================

    private void readNoise(Path file) {
        noise.set(null);
        if (file == null) {
            validate();
            return;
        }
        studio.background().submit("reading x_T from " + file, () -> Npy.read(file), a -> {
            if (!file.equals(noiseFile.get())) {
                return; // another file was chosen meanwhile
            }
            if (a.shape().length != 4) {
                noiseFile.set(null);
                studio.error(file + ": shape " + a.shapeText() + " where x_T of [n, C, H, W] was expected");
                return;
            }
            if (a.shape()[0] >= 1 && a.shape()[0] <= 64) {
                images.set((int) a.shape()[0]); // one image per row of x_T
            }
            noise.set(a);
        }, e -> {
            if (file.equals(noiseFile.get())) {
                noiseFile.set(null);
                studio.error(e);
            }
        });
    }

    /** The denoiser's input of one image, (C, H, W), of the source chosen; null while it is not known. */
    private long[] inputShape() {
        if (isModel()) {
            Pipeline p = pipeline.get();
            if (p == null) {
                return null;
            }
            long[] s = p.noiseShape(1);
            return new long[] {s[1], s[2], s[3]};
        }
        RunConfig c = config.get();
        return c == null ? null : new long[] {c.unetChannels(), c.unetResolution(), c.unetResolution()};
    }

    // ================= models =================

    /** {@link Pipeline#defaultGuidance}, or the default when its metadata is malformed (said in the message bar). */
    private double guidanceOf(Pipeline p) {
        try {
            return p.defaultGuidance();
        } catch (IllegalArgumentException e) {
            studio.error(e);
            return p.hasNullClass() ? MODEL_GUIDANCE : 1.0;
        }
    }

    private void loadModel(ModelInfo m) {
        pipeline.set(null);
        setClasses(0, List.of(), Double.NaN);
        config.set(null);
        checkpoints.clear();
        checkpoint.set(null);
        runSummary.set(m.summary() == null ? "" : m.summary());
        studio.background().submit("opening model " + m.name(), () -> Pipeline.open(m.dir()), p -> {
            SourceChoice now = source.get();
            if (now == null || now.model() == null || !now.model().dir().equals(m.dir())) {
                return; // the user moved on
            }
            maxSteps.set(p.scheduler().numTrainTimesteps());
            if (primary.get() == null) {
                steps.set(Math.min(steps.get(), p.scheduler().numTrainTimesteps()));
            }
            sampler.set(p.defaultSampler()); // the folder's own scheduler, as diffusers would sample it
            latentScale.set(p.latentScale().orElse(0.0));
            // the guidance its weights name (a studio export's run), else 3, or 1 without a null class
            setClasses(p.classes(), p.classNames(), p.classes() == 0 ? Double.NaN : guidanceOf(p));
            pipeline.set(p);
            updateLatentScaleNote();
        }, e -> {
            SourceChoice now = source.get();
            if (now != null && now.model() != null && now.model().dir().equals(m.dir())) {
                runSummary.set("");
                studio.error(e);
            }
        });
    }

    private void updateLatentScaleNote() {
        Pipeline p = pipeline.get();
        if (p == null || !p.hasAutoencoder()) {
            latentScaleNote.set("");
            return;
        }
        Double config = p.latentScale().orElse(null);
        latentScaleNote.set(config == null ? "" : latentScale.get() == config
                ? "from its config"
                : String.format(Locale.ROOT, "config: %s", fmt(config)));
    }

    /** {@code v} to six significant digits, without trailing zeros: 0.18215, 1. */
    static String fmt(double v) {
        return new java.math.BigDecimal(v).round(new java.math.MathContext(6)).stripTrailingZeros().toPlainString();
    }

    /** The chosen model as it will be sampled: with the latent scale set here. */
    Pipeline pipelineForGeneration() {
        Pipeline p = pipeline.get();
        if (p == null || !p.hasAutoencoder() || p.latentScale().map(c -> c == latentScale.get()).orElse(false)) {
            return p;
        }
        return p.withLatentScale(latentScale.get());
    }

    /** Whether the source is a model (no checkpoint, no EMA choice). */
    boolean isModel() {
        return source.get() != null && source.get().model() != null;
    }

    private record RunDetails(String name, RunConfig config, List<CheckpointChoice> checkpoints, List<String> classNames) {}

    /**
     * The source's classes (0: unconditional) and names; a new source also puts guidance back to its default
     * {@code w} (NaN: keep it) and the class box to one row per class unless what it says is a class of it.
     */
    private void setClasses(int n, List<String> names, double w) {
        if (n == classes.get() && names.equals(classNames) && Double.isNaN(w)) {
            return;
        }
        classNames.setAll(names);
        classes.set(n);
        if (n > 0 && w >= 0) {
            guidance.set(w);
            try {
                classChoice();
            } catch (IllegalArgumentException e) {
                classText.set(ROWS);
            }
        }
    }

    /** Whether the source takes a class. */
    boolean conditional() {
        return classes.get() > 0;
    }

    /** The classes asked for, for {@link #images} images (per class for one row per class); throws naming the fault. */
    ClassChoice classChoice() {
        String t = classText.get() == null ? "" : classText.get().trim();
        String arg = t.equalsIgnoreCase(ROWS) ? ClassChoice.ALL : t;
        return ClassChoice.parse(arg, classes.get(), classNames, images.get(),
                source.get() == null ? "the source" : source.get().name(), "class", "images");
    }

    /** The scales of a sweep, {@code 1, 2, 4, 8}; throws naming what was expected. */
    static List<Double> parseScales(String text) {
        List<Double> out = new ArrayList<>();
        String t = text == null ? "" : text.trim();
        for (String token : t.isEmpty() ? new String[0] : t.split("[,;\\s]+")) {
            if (token.isEmpty()) {
                continue;
            }
            double w;
            try {
                w = Double.parseDouble(token);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("guidance sweep: " + token + " is not a number; expected scales w ≥ 0"
                        + " separated by commas, e.g. " + DEFAULT_SWEEP);
            }
            if (!(w >= 0) || !Double.isFinite(w)) {
                throw new IllegalArgumentException("guidance sweep: " + token + ": expected a scale w ≥ 0");
            }
            if (out.contains(w)) {
                throw new IllegalArgumentException("guidance sweep: " + token + " is listed twice");
            }
            out.add(w);
        }
        if (out.isEmpty() || out.size() > MAX_SWEEP) {
            throw new IllegalArgumentException("guidance sweep: 1 to " + MAX_SWEEP + " scales w separated by commas, e.g. "
                    + DEFAULT_SWEEP);
        }
        return out;
    }

    /** Whether Generate will sweep: the source takes a class and the sweep is ticked. */
    boolean sweeping() {
        return conditional() && sweep.get();
    }

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
            List<String> names = cfg.conditioning().conditional() ? run.classNames() : List.of();
            return new RunDetails(name, cfg, out, names);
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
            int n = c.conditioning().conditional() ? c.conditioning().classes() : 0;
            if (!keepCheckpoint || n != classes.get()) {
                setClasses(n, d.classNames(), c.conditioning().guidance());
            }
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

    /** Whether the settings are valid and name a run's checkpoint or an opened model: what Generate needs. */
    boolean ready() {
        return settingsError.get().isEmpty()
                && (isModel() ? pipeline.get() != null : checkpoint.get() != null && config.get() != null);
    }

    private String settingsProblem() {
        long latentValues; // one image's denoiser input
        String maxName;
        if (isModel()) {
            Pipeline p = pipeline.get();
            if (p == null) {
                return "";
            }
            if (p.hasAutoencoder() && !(latentScale.get() > 0 && Double.isFinite(latentScale.get()))) {
                return "latent scale: a positive number (the autoencoder config says "
                        + p.latentScale().map(SamplingSettings::fmt).orElse("nothing") + ")";
            }
            long[] shape = p.noiseShape(1);
            latentValues = shape[1] * shape[2] * shape[3];
            maxName = "the scheduler's num_train_timesteps";
        } else {
            if (runName.get() == null) {
                return studio.runs().isEmpty() && studio.models().isEmpty()
                        ? "the workspace has no runs or models yet: create and train a run, or open a model"
                        : "choose a run or a model";
            }
            RunConfig c = config.get();
            if (c == null) {
                return "";
            }
            if (checkpoint.get() == null) {
                return "run " + runName.get() + " has no checkpoint yet: train it first (Training pane)";
            }
            latentValues = (long) c.unetChannels() * c.unetResolution() * c.unetResolution();
            maxName = "the run's diffusion.timesteps";
        }
        if (steps.get() < 1 || steps.get() > maxSteps.get()) {
            return "steps: 1 to " + maxSteps.get() + " (" + maxName + ")";
        }
        int count = images.get();
        int sweeps = 1;
        if (conditional()) {
            try {
                count = classChoice().labels().length;
                io.ldmstudio.diffusion.Guidance.check(guidance.get(), guidanceRescale.get());
                if (sweep.get()) {
                    sweeps = parseScales(sweepText.get()).size();
                }
            } catch (IllegalArgumentException e) {
                return e.getMessage();
            }
        }
        if (noiseFile.get() != null) {
            Npy.Array x = noise.get();
            if (x == null) {
                return "reading x_T from " + noiseFile.get().getFileName() + "…";
            }
            long[] want = inputShape();
            long[] have = x.shape();
            if (want != null && (have[1] != want[0] || have[2] != want[1] || have[3] != want[2])) {
                return String.format(Locale.ROOT, "x_T: %s has shape %s where %s's denoiser takes [n, %d, %d, %d]",
                        noiseFile.get().getFileName(), x.shapeText(), source.get() == null ? "the source" : source.get().name(),
                        want[0], want[1], want[2]);
            }
            if (have[0] != count) {
                return "x_T: " + noiseFile.get().getFileName() + " holds " + have[0] + " images' x_T, not " + count
                        + (count != images.get() ? " (" + classChoice().rowLabels().size() + " classes × " + images.get()
                        + ")" : "");
            }
        }
        if (compare.get() && (steps2.get() < 1 || steps2.get() > maxSteps.get())) {
            return "second sampler's steps: 1 to " + maxSteps.get();
        }
        boolean second = compare.get() && sweeps == 1;
        long perStep = 3L * count * latentValues * Float.BYTES;
        long total = perStep * (steps.get() * (long) sweeps + (second ? steps2.get() : 0));
        Runtime rt = Runtime.getRuntime();
        long free = rt.maxMemory() - (rt.totalMemory() - rt.freeMemory());
        Generation g = primary.get();
        Generation g2 = secondary.get();
        long held = held(g) + held(g2); // replaced by the new trajectory
        for (Generation s : sweepShown.get() == null ? List.<Generation>of() : sweepShown.get()) {
            held += s == g ? 0 : held(s);
        }
        if (total > MEMORY_SHARE * (free + held)) {
            return String.format(Locale.ROOT, "the trajectory needs %s in memory (x_t, x̂0, ε̂ of %d steps × %d images); "
                    + "about %s is free: use fewer steps or images", mb(total),
                    steps.get() * sweeps + (second ? steps2.get() : 0), count, mb(free + held));
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
        boolean ema = !isModel() && useEma.get();
        long step = isModel() || checkpoint.get() == null ? 0 : checkpoint.get().step();
        Generation.Conditioning cond = conditional() ? new Generation.Conditioning(classChoice(), guidance.get(),
                guidanceRescale.get(), List.copyOf(classNames)) : null;
        int n = cond == null ? images.get() : cond.choice().labels().length;
        return second
                ? new Generation.Settings(sampler2.get().key, steps2.get(), eta2.get(), seed.get(), n, ema, step, cond)
                : new Generation.Settings(sampler.get().key, steps.get(), eta.get(), seed.get(), n, ema, step, cond);
    }

    /** The settings of each column of a guidance sweep: the primary sampler's at every scale, the same seed. */
    List<Generation.Settings> sweepRequests() {
        Generation.Settings a = request(false);
        return parseScales(sweepText.get()).stream().map(a::withGuidance).toList();
    }

    ReadOnlyStringProperty latentScaleNoteProperty() {
        return latentScaleNote.getReadOnlyProperty();
    }

    ReadOnlyStringProperty runSummaryProperty() {
        return runSummary.getReadOnlyProperty();
    }

    ReadOnlyStringProperty settingsErrorProperty() {
        return settingsError.getReadOnlyProperty();
    }
}

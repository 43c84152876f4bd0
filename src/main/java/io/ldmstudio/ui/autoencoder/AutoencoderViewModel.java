package io.ldmstudio.ui.autoencoder;

import io.ldmstudio.config.RunConfig;
import io.ldmstudio.data.ImageSource;
import io.ldmstudio.data.ProceduralSource;
import io.ldmstudio.eval.ImageResult;
import io.ldmstudio.eval.MetricSummary;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.RunInfo;
import io.ldmstudio.service.AutoencoderDescription;
import io.ldmstudio.service.AutoencoderSession;
import io.ldmstudio.service.ModelInfo;
import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.common.CurrentDataset;
import io.ldmstudio.ui.common.UiErrors;
import io.ldmstudio.ui.common.UiException;
import io.ldmstudio.util.Rng;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javafx.application.Platform;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javafx.collections.transformation.FilteredList;

/**
 * The Autoencoder pane's state and logic: which autoencoder, what it is (f, latent shape, config,
 * parameters), and reconstructions of a sample of the current dataset with their metrics and
 * latents. Never touches controls; the model lives on an {@link AutoencoderSession}'s own thread.
 */
public final class AutoencoderViewModel {
    /** Images reconstructed by default. */
    public static final int DEFAULT_COUNT = 8;
    public static final int MAX_COUNT = 64;
    /** Prefix of the presets that train an autoencoder. */
    public static final String VAE_PRESET_PREFIX = "vae-";

    private final Studio studio;
    private final CurrentDataset dataset;
    private final AutoencoderSession session;

    private final StringProperty path = new SimpleStringProperty(this, "path", "");
    private final StringProperty pathError = new SimpleStringProperty(this, "pathError", "");
    private final BooleanProperty loading = new SimpleBooleanProperty(this, "loading", false);
    private final ReadOnlyObjectWrapper<AutoencoderDescription> weights = new ReadOnlyObjectWrapper<>(this, "weights");
    private final ReadOnlyObjectWrapper<Long> parameters = new ReadOnlyObjectWrapper<>(this, "parameters");
    private final IntegerProperty resolution = new SimpleIntegerProperty(this, "resolution", 32);
    private final ReadOnlyObjectWrapper<long[]> latentShape = new ReadOnlyObjectWrapper<>(this, "latentShape");
    private final StringProperty resolutionError = new SimpleStringProperty(this, "resolutionError", "");
    private final IntegerProperty count = new SimpleIntegerProperty(this, "count", DEFAULT_COUNT);
    private final IntegerProperty seed = new SimpleIntegerProperty(this, "seed", 0);
    private final BooleanProperty running = new SimpleBooleanProperty(this, "running", false);
    private final StringProperty progress = new SimpleStringProperty(this, "progress", "");
    /** A VQ model's codebook and, after reconstructing, how much of it the images used; "" for a KL autoencoder. */
    private final StringProperty codebook = new SimpleStringProperty(this, "codebook", "");
    private long[] codebookCounts; // FX thread: summed over the reconstructions shown
    private final ObservableList<Reconstruction> rows = FXCollections.observableArrayList();
    private final ObjectProperty<Reconstruction> selected = new SimpleObjectProperty<>(this, "selected");
    private final ReadOnlyObjectWrapper<MetricSummary> summary = new ReadOnlyObjectWrapper<>(this, "summary");
    private final StringProperty datasetText = new SimpleStringProperty(this, "datasetText", "");
    private final StringProperty trainPreset = new SimpleStringProperty(this, "trainPreset", null);
    private final StringProperty trainWhyNot = new SimpleStringProperty(this, "trainWhyNot", "looking for vae-* presets…");

    private final FilteredList<RunInfo> autoencoderRuns;
    private final FilteredList<ModelInfo> autoencoderModels;

    private final AtomicLong loadGeneration = new AtomicLong();
    private volatile AtomicBoolean cancel = new AtomicBoolean();
    private final ProceduralSource fallback = new ProceduralSource();

    public AutoencoderViewModel(Studio studio) {
        this.studio = studio;
        this.dataset = CurrentDataset.of(studio);
        this.session = new AutoencoderSession(studio::device);
        this.autoencoderRuns = studio.runs().filtered(r -> RunConfig.AUTOENCODER.equals(r.task()));
        this.autoencoderModels = studio.models().filtered(ModelInfo::hasAutoencoder);
        resolution.addListener((o, a, b) -> updateLatentShape());
        weights.addListener((o, a, b) -> updateLatentShape());
        dataset.choiceProperty().addListener((o, a, b) -> datasetChanged());
        datasetChanged();
        // another run chosen, not the same run's newer figures (refreshed every few seconds while training)
        studio.selectedRunNameProperty().addListener((o, a, b) -> useRunAutoencoder(b));
        // a model chosen in the sidebar's Models section: its autoencoder, when it has one (an LDMPipeline)
        studio.selectedModelProperty().addListener((o, a, b) -> {
            if (b != null && b.hasAutoencoder() && !running.get()
                    && (a == null || !a.dir().equals(b.dir()))) {
                useModel(b);
            }
        });
        findTrainPreset();
    }

    // ---------------------------------------------------------------------------------------------
    // The autoencoder

    /**
     * Reads what {@link #pathProperty()} points at: a diffusers folder, a single .safetensors file, or a
     * studio run folder (whatever {@code VaeWeights.resolve} accepts), or a diffusers VQModel folder.
     * Headers and config only.
     */
    public void load() {
        String p = path.get() == null ? "" : path.get().strip();
        if (p.isEmpty()) {
            pathError.set("choose an autoencoder: a diffusers folder, a .safetensors file or a studio run folder");
            return;
        }
        Path file = io.ldmstudio.data.Sources.expand(p);
        long g = loadGeneration.incrementAndGet();
        cancelReconstruction();
        loading.set(true);
        pathError.set("");
        studio.background().submit("reading the autoencoder " + file, () -> {
            try {
                return AutoencoderDescription.read(file);
            } catch (Exception e) {
                throw PickFailure.of(file, p, e);
            }
        }, r -> {
            if (g != loadGeneration.get()) {
                return;
            }
            loading.set(false);
            rows.clear();
            selected.set(null);
            summary.set(null);
            parameters.set(r.parameterCount());
            codebookCounts = null;
            codebook.set(codebookText(r, null, 0));
            weights.set(r);
            studio.inform("autoencoder " + shownName(file) + ": f = " + downFactor() + ", "
                    + String.format(Locale.ROOT, "%,d", parameters.get()) + " parameters");
        }, e -> {
            if (g != loadGeneration.get()) {
                return;
            }
            loading.set(false);
            weights.set(null);
            parameters.set(null);
            // the cause, without the background task's "reading the autoencoder <path>: " in front
            Throwable c = e instanceof UiException && e.getCause() != null ? e.getCause() : e;
            String text = c instanceof PickFailure f ? f.getMessage() + (f.notAnAutoencoder && trainPreset.get() != null
                    ? "; to make one, press Train one…" : "") : named(UiErrors.message(c), file, p);
            pathError.set(text);
            studio.error(text);
        });
    }

    /** The file's name, with the pipeline's in front for a pipeline's component folder ("ldm-vq/vqvae"). */
    static String shownName(Path file) {
        Path name = file.getFileName();
        Path parent = file.getParent() == null ? null : file.getParent().getFileName();
        if (name == null) {
            return file.toString();
        }
        String n = name.toString();
        return parent != null && (n.equals("vqvae") || n.equals("vae")) ? parent + "/" + n : n;
    }

    /** {@code m}, with the path in front unless it names the path already. */
    private static String named(String m, Path file, String typed) {
        return m.contains(file.toString()) || m.contains(typed) ? m : file + ": " + m;
    }

    /**
     * Why a pick could not be loaded, in one line that names the path once; and whether it holds no
     * autoencoder at all (a diffusion run, a folder or file of something else), where the pane's own
     * "Train one…" is the way to get one.
     */
    static final class PickFailure extends IOException {
        private static final long serialVersionUID = 1L;
        final boolean notAnAutoencoder;

        private PickFailure(String text, boolean notAnAutoencoder, Throwable cause) {
            super(text, cause);
            this.notAnAutoencoder = notAnAutoencoder;
        }

        /** Reads what is at {@code file} (call off the FX thread) to say what it is instead. */
        static PickFailure of(Path file, String typed, Throwable e) {
            String text = named(UiErrors.message(e), file, typed);
            if (!Files.exists(file)) {
                return new PickFailure(text, false, e);
            }
            if (Files.isDirectory(file) && Run.isRunFolder(file)) {
                RunConfig cfg;
                try {
                    cfg = Run.at(file).config();
                } catch (IOException | RuntimeException unreadable) {
                    return new PickFailure(text, false, e);
                }
                if (cfg.trainsAutoencoder()) {
                    return new PickFailure(text, false, e); // an autoencoder run; the engine says what it lacks
                }
                return new PickFailure(file + " is a " + cfg.task() + " run (preset " + cfg.preset()
                        + "), not an autoencoder: pick an autoencoder run, a diffusers AutoencoderKL folder or a"
                        + " .safetensors file", true, e);
            }
            return new PickFailure(text, true, e);
        }
    }

    /**
     * Loads the autoencoder of a pipeline (an LDMPipeline's {@code vqvae}: VQModel or AutoencoderKL): the
     * pipeline is opened again off the FX thread, and its component folder loads as a diffusers autoencoder
     * folder does.
     */
    public void useModel(ModelInfo model) {
        if (model == null) {
            return;
        }
        studio.background().submit("opening the pipeline " + model.dir(), () -> {
            io.ldmstudio.pipeline.Pipeline p = io.ldmstudio.pipeline.Pipeline.open(model.dir());
            return p.folder().component("vqvae").orElseThrow(() -> new IOException(model.dir() + ": a "
                    + p.folder().pipelineClass() + " in pixel space, with no autoencoder")).config().getParent();
        }, dir -> {
            if (dir.toString().equals(path.get()) && weights.get() != null) {
                return; // loaded already (the list was refreshed, or the same model chosen again)
            }
            path.set(dir.toString());
            load();
        }, e -> {
            String text = UiErrors.message(e instanceof UiException && e.getCause() != null ? e.getCause() : e);
            pathError.set(text);
            studio.error(text);
        });
    }

    /** Loads a run's autoencoder path when the selected run has one (latent runs). */
    private void useRunAutoencoder(String run) {
        if (run == null || running.get()) {
            return;
        }
        studio.background().submit("reading run " + run + "'s config",
                () -> studio.workspace().open(run).config(), cfg -> {
                    RunConfig.Autoencoder a = cfg.autoencoder();
                    if (a != null && !"none".equals(a.kind()) && a.path() != null && !a.path().isBlank()
                            && !a.path().strip().equals(path.get())) {
                        path.set(a.path().strip());
                        load();
                    }
                }, e -> { /* the sidebar reports broken runs */ });
    }

    /** f, or 0 when nothing is loaded. */
    public int downFactor() {
        AutoencoderDescription s = weights.get();
        return s == null ? 0 : s.downFactor();
    }

    private void updateLatentShape() {
        AutoencoderDescription s = weights.get();
        if (s == null) {
            latentShape.set(null);
            resolutionError.set("");
            return;
        }
        try {
            latentShape.set(s.latentShape(resolution.get()));
            resolutionError.set("");
        } catch (IllegalArgumentException e) {
            latentShape.set(null);
            resolutionError.set(e.getMessage());
        }
    }

    // ---------------------------------------------------------------------------------------------
    // The dataset

    /** The dataset the reconstructions come from: the Dataset pane's, or the built-in shapes. */
    public ImageSource source() {
        CurrentDataset.Choice c = dataset.get();
        return c == null ? fallback : c.source();
    }

    private boolean centerCrop() {
        CurrentDataset.Choice c = dataset.get();
        return c == null || c.transform().centerCrop();
    }

    private void datasetChanged() {
        CurrentDataset.Choice c = dataset.get();
        if (c != null) {
            resolution.set(c.transform().resolution());
        }
        ImageSource s = source();
        datasetText.set(s.describe() + (c == null ? " (the Dataset pane has not opened one yet)" : ""));
    }

    /** Which images a sample of {@code n} takes from {@code size}, for {@code seed}: distinct, reproducible. */
    static int[] sampleIndices(int size, int n, long seed) {
        int k = Math.min(n, size);
        Rng rng = Rng.of(20_240_601L, seed);
        Set<Integer> chosen = new LinkedHashSet<>();
        while (chosen.size() < k) {
            chosen.add(rng.nextInt(size));
        }
        return chosen.stream().mapToInt(Integer::intValue).toArray();
    }

    // ---------------------------------------------------------------------------------------------
    // Reconstruction

    /** Reconstructs {@code count} images of the current dataset in the background. */
    public void reconstruct() {
        AutoencoderDescription s = weights.get();
        if (s == null) {
            pathError.set("load an autoencoder first");
            return;
        }
        if (latentShape.get() == null) {
            studio.error(resolutionError.get().isEmpty() ? "choose an image size" : resolutionError.get());
            return;
        }
        cancelReconstruction();
        AtomicBoolean stop = new AtomicBoolean();
        cancel = stop;
        ImageSource src = source();
        int[] idx = sampleIndices(src.size(), Math.max(1, Math.min(MAX_COUNT, count.get())), seed.get());
        AutoencoderSession.Job job = new AutoencoderSession.Job(src, idx, resolution.get(), centerCrop());
        rows.clear();
        selected.set(null);
        summary.set(null);
        codebookCounts = null;
        codebook.set(codebookText(s, null, 0));
        running.set(true);
        progress.set("starting the engine and loading the weights…");
        List<ImageResult> results = new ArrayList<>();
        session.submit(() -> {
            try {
                session.reconstruct(s.source(), job, plain -> {
                    Reconstruction r = Reconstruction.of(plain);
                    long[] counts = plain.codebookCounts();
                    Platform.runLater(() -> {
                        if (stop.get()) {
                            return;
                        }
                        rows.add(r);
                        if (counts != null) {
                            codebookCounts = add(codebookCounts, counts);
                            codebook.set(codebookText(s, codebookCounts, rows.size()));
                        }
                        results.add(r.metrics());
                        summary.set(MetricSummary.of(results));
                        if (selected.get() == null) {
                            selected.set(r);
                        }
                        progress.set(rows.size() < idx.length
                                ? String.format(Locale.ROOT, "reconstructed %d of %d…", rows.size(), idx.length) : "");
                    });
                }, stop::get);
                Platform.runLater(() -> {
                    if (!stop.get()) {
                        running.set(false);
                        progress.set("");
                    }
                });
            } catch (Throwable e) {
                Platform.runLater(() -> {
                    if (!stop.get()) {
                        running.set(false);
                        progress.set("");
                        studio.error("reconstructing with " + s.source().weightsFile().getFileName() + ": " + UiErrors.message(e));
                    }
                });
            }
            return null;
        });
    }

    /** A different sample of images, reconstructed. */
    public void otherImages() {
        seed.set(seed.get() + 1);
        reconstruct();
    }

    public void cancelReconstruction() {
        cancel.set(true);
        if (running.get()) {
            running.set(false);
            progress.set("stopped");
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Training one

    private void findTrainPreset() {
        studio.background().submit("listing the presets", () -> studio.presets().names().stream()
                .filter(n -> n.startsWith(VAE_PRESET_PREFIX)).sorted().findFirst().orElse(null), name -> {
                    trainPreset.set(name);
                    trainWhyNot.set(name != null ? "" : "no preset named " + VAE_PRESET_PREFIX
                            + "* yet: autoencoder training presets come with studio VAE training runs");
                }, e -> trainWhyNot.set("presets cannot be listed: " + UiErrors.message(e)));
    }

    /** Opens the vae preset in the Hyperparameters pane as a new run's draft. */
    public void trainNew() {
        String name = trainPreset.get();
        if (name == null) {
            studio.error(trainWhyNot.get());
            return;
        }
        studio.background().submit("reading preset " + name, () -> studio.presets().load(name), cfg -> {
            studio.editConfig(cfg);
            studio.navigate("hyperparameters");
        }, studio::error);
    }

    public void dispose() {
        cancel.set(true);
        session.close();
    }

    // ---------------------------------------------------------------------------------------------
    // Properties

    /** The workspace's autoencoder runs (config task {@code autoencoder}), newest first: all the run list offers. */
    public ObservableList<RunInfo> autoencoderRuns() {
        return autoencoderRuns;
    }

    /** The studio's models that decode with an autoencoder (LDMPipelines), for choosing one to open. */
    public ObservableList<ModelInfo> autoencoderModels() {
        return autoencoderModels;
    }

    public StringProperty pathProperty() {
        return path;
    }

    public StringProperty pathErrorProperty() {
        return pathError;
    }

    public BooleanProperty loadingProperty() {
        return loading;
    }

    /** The autoencoder loaded (what it is and where its weights are), or null. */
    public ReadOnlyObjectProperty<AutoencoderDescription> weightsProperty() {
        return weights.getReadOnlyProperty();
    }

    public ReadOnlyObjectProperty<Long> parametersProperty() {
        return parameters.getReadOnlyProperty();
    }

    public IntegerProperty resolutionProperty() {
        return resolution;
    }

    /** (L, h, w) for the chosen resolution; null when nothing is loaded or the size does not divide by f. */
    public ReadOnlyObjectProperty<long[]> latentShapeProperty() {
        return latentShape.getReadOnlyProperty();
    }

    public StringProperty resolutionErrorProperty() {
        return resolutionError;
    }

    public IntegerProperty countProperty() {
        return count;
    }

    public BooleanProperty runningProperty() {
        return running;
    }

    public StringProperty progressProperty() {
        return progress;
    }

    public ObservableList<Reconstruction> rows() {
        return rows;
    }

    public ObjectProperty<Reconstruction> selectedProperty() {
        return selected;
    }

    /** A VQ model's codebook and how much of it the reconstructions used; "" for a KL autoencoder. */
    public javafx.beans.property.ReadOnlyStringProperty codebookProperty() {
        return codebook;
    }

    /**
     * "K entries × D" and, once images were reconstructed, "U of K entries used over N images (V latent
     * vectors)"; "" for a KL autoencoder.
     */
    static String codebookText(AutoencoderDescription d, long[] counts, int images) {
        if (d == null || !d.isVq()) {
            return "";
        }
        String size = d.numVqEmbeddings() + " entries × " + d.vqEmbedDim();
        if (counts == null) {
            return size;
        }
        int used = 0;
        long total = 0;
        for (long c : counts) {
            used += c > 0 ? 1 : 0;
            total += c;
        }
        return String.format(Locale.ROOT, "%s; %d of %d entries used over %d image%s (%d latent vectors)", size, used,
                counts.length, images, images == 1 ? "" : "s", total);
    }

    private static long[] add(long[] sum, long[] counts) {
        long[] out = sum == null ? new long[counts.length] : sum;
        for (int i = 0; i < counts.length && i < out.length; i++) {
            out[i] += counts[i];
        }
        return out;
    }

    public ReadOnlyObjectProperty<MetricSummary> summaryProperty() {
        return summary.getReadOnlyProperty();
    }

    public StringProperty datasetTextProperty() {
        return datasetText;
    }

    /** The vae-* preset "train one" opens, or null. */
    public StringProperty trainPresetProperty() {
        return trainPreset;
    }

    /** Why training one is not possible ("" when it is). */
    public StringProperty trainWhyNotProperty() {
        return trainWhyNot;
    }

    /** "4 × 8 × 8" for a latent shape. */
    public static String shapeText(long[] s) {
        return s == null ? "—" : Arrays.stream(s).mapToObj(Long::toString).reduce((a, b) -> a + " × " + b).orElse("");
    }
}

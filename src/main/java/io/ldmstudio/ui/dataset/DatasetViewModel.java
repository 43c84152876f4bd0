package io.ldmstudio.ui.dataset;

import io.ldmstudio.config.RunConfig;
import io.ldmstudio.data.ImageFolderSource;
import io.ldmstudio.data.ImageSource;
import io.ldmstudio.data.Pixels;
import io.ldmstudio.data.ProceduralSource;
import io.ldmstudio.data.Sources;
import io.ldmstudio.data.Transform;
import io.ldmstudio.runs.RunInfo;
import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.common.CurrentDataset;
import io.ldmstudio.ui.common.FxImages;
import io.ldmstudio.ui.common.NearestScale;
import io.ldmstudio.ui.common.UiErrors;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import javafx.application.Platform;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.ReadOnlyIntegerWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javafx.scene.image.Image;

/**
 * The Dataset pane's state and logic: which source is open, its statistics, the thumbnails, the
 * selected image and its training transform. Never touches controls; slow work runs on the studio's
 * background pool or the thumbnail threads, and results come back on the FX thread.
 */
public final class DatasetViewModel {

    /** The kinds of source {@link Sources} opens, with what the user reads. */
    public enum Kind {
        PROCEDURAL("procedural", "Built-in procedural shapes"),
        FOLDER("folder", "Image folder"),
        CIFAR10("cifar10", "CIFAR-10 binary"),
        IDX("idx", "IDX (MNIST-style)");

        public final String config;
        public final String label;

        Kind(String config, String label) {
            this.config = config;
            this.label = label;
        }

        public static Kind of(String config) {
            for (Kind k : values()) {
                if (k.config.equalsIgnoreCase(config == null ? "" : config.strip())) {
                    return k;
                }
            }
            return PROCEDURAL;
        }

        public boolean needsPath() {
            return this != PROCEDURAL;
        }

        public boolean hasSplits() {
            return this == CIFAR10 || this == IDX;
        }

        @Override
        public String toString() {
            return label;
        }
    }

    /** What the transform preview shows for the selected image. */
    public record Preview(int index, Image original, Image transformed, Image flipped, int originalWidth,
            int originalHeight, int originalChannels, String steps, Image originalShown, Image transformedShown,
            Image flippedShown) {}

    /** Side of the square the preview images are enlarged to fit (whole factors, nearest neighbour). */
    public static final double PREVIEW_BOX = 128;

    /** The thumbnail cache holds this many thumbnails (~16 KB each at 64 px). */
    public static final int THUMBNAIL_CACHE = 3000;

    private final Studio studio;
    private final CurrentDataset current;
    private final ThumbnailLoader thumbnails = new ThumbnailLoader(THUMBNAIL_CACHE, 2);

    private final ObjectProperty<Kind> kind = new SimpleObjectProperty<>(this, "kind", Kind.PROCEDURAL);
    private final StringProperty path = new SimpleStringProperty(this, "path", "");
    private final BooleanProperty testSplit = new SimpleBooleanProperty(this, "testSplit", false);
    private final IntegerProperty resolution = new SimpleIntegerProperty(this, "resolution", 32);
    private final IntegerProperty channels = new SimpleIntegerProperty(this, "channels", 3);
    private final BooleanProperty centerCrop = new SimpleBooleanProperty(this, "centerCrop", true);
    private final BooleanProperty flip = new SimpleBooleanProperty(this, "flip", false);
    private final StringProperty origin = new SimpleStringProperty(this, "origin", "");
    private final StringProperty pathError = new SimpleStringProperty(this, "pathError", "");
    private final BooleanProperty loading = new SimpleBooleanProperty(this, "loading", false);
    private final StringProperty status = new SimpleStringProperty(this, "status", "");
    private final ReadOnlyObjectWrapper<ImageSource> source = new ReadOnlyObjectWrapper<>(this, "source");
    private final StringProperty description = new SimpleStringProperty(this, "description", "");
    private final ReadOnlyIntegerWrapper count = new ReadOnlyIntegerWrapper(this, "count", 0);
    private final ReadOnlyObjectWrapper<DatasetStats.Histogram> histogram = new ReadOnlyObjectWrapper<>(this,
            "histogram");
    private final ReadOnlyObjectWrapper<DatasetStats.Sizes> sizes = new ReadOnlyObjectWrapper<>(this, "sizes");
    private final ObservableList<ImageSource.Skipped> skipped = FXCollections.observableArrayList();
    private final IntegerProperty selectedIndex = new SimpleIntegerProperty(this, "selectedIndex", -1);
    private final ReadOnlyObjectWrapper<Preview> preview = new ReadOnlyObjectWrapper<>(this, "preview");
    private final StringProperty previewError = new SimpleStringProperty(this, "previewError", "");
    private final ReadOnlyIntegerWrapper thumbnailsDecoded = new ReadOnlyIntegerWrapper(this, "thumbnailsDecoded");

    private final AtomicLong openGeneration = new AtomicLong();
    private final AtomicLong previewGeneration = new AtomicLong();
    private final AtomicBoolean decodedScheduled = new AtomicBoolean();
    private int knownSkipped;
    private boolean followRun = true;
    private boolean settingTransform;

    public DatasetViewModel(Studio studio) {
        this.studio = studio;
        this.current = CurrentDataset.of(studio);
        thumbnails.setAfterDecode(this::afterThumbnailDecode);
        selectedIndex.addListener((o, a, b) -> refreshPreview());
        resolution.addListener((o, a, b) -> transformChanged());
        channels.addListener((o, a, b) -> transformChanged());
        centerCrop.addListener((o, a, b) -> transformChanged());
        flip.addListener((o, a, b) -> transformChanged());
        studio.selectedRunProperty().addListener((o, a, b) -> {
            if (followRun && !Objects.equals(a == null ? null : a.name(), b == null ? null : b.name())) {
                useRunData();
            }
        });
    }

    // ---------------------------------------------------------------------------------------------
    // Choosing the source

    /**
     * Opens the selected run's data section (source, path and transform), or the built-in procedural
     * dataset with the default transform when no run is selected. Later run selections are followed
     * again.
     */
    public void useRunData() {
        followRun = true;
        RunInfo info = studio.selectedRunProperty().get();
        if (info == null) {
            apply(RunConfig.defaults().data(), "the built-in default (no run selected)");
            return;
        }
        long g = openGeneration.incrementAndGet();
        loading.set(true);
        status.set("reading the data section of run " + info.name() + "…");
        studio.background().submit("reading run " + info.name() + "'s config",
                () -> studio.workspace().open(info.name()).config(), cfg -> {
                    if (g == openGeneration.get()) {
                        loading.set(false);
                        apply(cfg.data(), "the data of run " + info.name());
                    }
                }, e -> {
                    if (g == openGeneration.get()) {
                        loading.set(false);
                        status.set("");
                        studio.error(e);
                        apply(RunConfig.defaults().data(), "the built-in default (run " + info.name() + " is unreadable)");
                    }
                });
    }

    /**
     * Takes source, path and transform from a config's data section and opens it (a source already
     * open stays open: only the transform changes).
     */
    public void apply(RunConfig.Data d, String originText) {
        Kind k = Kind.of(d.source());
        String p = d.path() == null ? "" : d.path().strip();
        kind.set(k);
        path.set(p);
        testSplit.set(false);
        if (source.get() != null && new Opened(k, p, false).equals(lastOpened) && !loading.get()) {
            origin.set(originText);
            status.set("");
            pathError.set("");
            if (!setTransform(d.resolution(), d.channels(), d.centerCrop(), d.flip())) {
                publish(); // the origin may have changed
            }
            return;
        }
        // the open source stays shown (and current) until the new one opens, under the new transform
        setTransform(d.resolution(), d.channels(), d.centerCrop(), d.flip());
        origin.set(originText);
        open(originText);
    }

    private record Opened(Kind kind, String path, boolean test) {}

    private Opened lastOpened;

    /**
     * Sets the four transform properties as one change: their listeners stay quiet while they are set,
     * then the change is published and previewed once. False when nothing changed.
     */
    private boolean setTransform(int res, int ch, boolean crop, boolean fl) {
        boolean changed = resolution.get() != res || channels.get() != ch || centerCrop.get() != crop
                || flip.get() != fl;
        if (!changed) {
            return false;
        }
        settingTransform = true;
        try {
            resolution.set(res);
            channels.set(ch);
            centerCrop.set(crop);
            flip.set(fl);
        } finally {
            settingTransform = false;
        }
        transformChanged();
        return true;
    }

    /** Opens what kind, path and split say now (the user chose it here: run selections stop being followed). */
    public void openChosen() {
        followRun = false;
        origin.set("opened here");
        open("opened here");
    }

    // ---------------------------------------------------------------------------------------------
    // Training on the open dataset

    /** Whether a run can be made on what is open: a source opened and nothing opening. */
    public javafx.beans.binding.BooleanBinding canTrainProperty() {
        return source.isNotNull().and(loading.not());
    }

    /**
     * The preset a run on the open dataset starts from: the Fashion-MNIST CPU preset (a small grayscale
     * pixel-space U-Net) for one channel, else quickstart (a small RGB one); both train on a CPU.
     */
    String trainingPreset() {
        List<String> names = studio.presetNames();
        if (channels.get() == 1 && names.contains("fashion-mnist-pixel-cpu")) {
            return "fashion-mnist-pixel-cpu";
        }
        return names.contains("quickstart") || names.isEmpty() ? "quickstart" : names.get(0);
    }

    /**
     * A new run's config on the open dataset: {@code preset} with the data section of what is open
     * here (source, absolute path, resolution, channels, crop, flip) and a description naming it
     * ("trained on /data/faces (1,794 images)"). The run trains on the training split even when the
     * test split is shown.
     */
    RunConfig trainingDraft(String preset) {
        Opened o = lastOpened;
        if (o == null || source.get() == null) {
            throw new IllegalStateException("open a dataset first");
        }
        RunConfig c = io.ldmstudio.config.ConfigResolver.resolve(studio.presets(), preset, List.of());
        String p = o.kind().needsPath() && !o.path().isEmpty() ? Sources.expand(o.path()).toAbsolutePath().toString()
                : o.kind() == Kind.IDX ? Sources.DEFAULT_FASHION_MNIST.toString() : null;
        RunConfig.Data d = new RunConfig.Data(o.kind().config, p, resolution.get(), channels.get(), centerCrop.get(),
                flip.get(), c.data().limit(), c.data().workers());
        String what = p == null ? "the built-in procedural shapes" : p;
        String description = "trained on " + what + (o.test() ? "" : String.format(Locale.ROOT, " (%,d images)",
                count.get())) + ", from preset " + preset;
        return new RunConfig(c.preset(), description, c.task(), d, c.autoencoder(), c.vae(), c.model(), c.diffusion(),
                c.optim(), c.sampling(), c.logging(), c.device(), c.conditioning());
    }

    /** The start of a run name on the open dataset: {@code <folder>-<preset>} ("faces-quickstart"). */
    String trainingRunName(String preset) {
        RunConfig.Data d = trainingDraft(preset).data();
        if (d.path() == null) {
            return "shapes-" + preset;
        }
        Path name = Path.of(d.path()).getFileName();
        String n = name == null ? "data" : name.toString();
        if (!Files.isDirectory(Path.of(d.path())) && n.contains(".")) {
            n = n.substring(0, n.lastIndexOf('.')); // a batch or IDX file: its name without the extension
        }
        return n + "-" + preset;
    }

    /**
     * Loads a suitable preset into the Hyperparameters pane as a new run's draft on the open dataset
     * (see {@link #trainingDraft}) and shows that pane.
     */
    public void trainOnThis() {
        try {
            String preset = trainingPreset();
            studio.editConfig(trainingDraft(preset), trainingRunName(preset));
            studio.navigate("hyperparameters");
        } catch (RuntimeException e) {
            studio.error(e);
        }
    }

    /**
     * The user picked kind {@code k} in the list (maybe only passing it with the arrow keys): the
     * built-in shapes and IDX (Fashion-MNIST's folder) open at once; a folder or CIFAR-10 waits for its
     * path, and the path field says how to give it. Opens no chooser.
     */
    public void pick(Kind k) {
        if (k == Kind.PROCEDURAL || k == Kind.IDX) {
            choose(k, "");
            return;
        }
        kind.set(k);
        path.set("");
        pathError.set("choose " + (k == Kind.FOLDER ? "a folder of images" : "the folder or file of the " + k.label
                + " data") + " (Browse…), or type its path and press Enter");
    }

    /** Chooses a kind; IDX with an empty path gets the Fashion-MNIST default. */
    public void choose(Kind k, String p) {
        kind.set(k);
        path.set(p == null ? "" : p);
        if (k == Kind.IDX && path.get().isBlank()) {
            path.set(Sources.DEFAULT_FASHION_MNIST.toString());
        }
        openChosen();
    }

    private void open(String originText) {
        Kind k = kind.get();
        String p = path.get() == null ? "" : path.get().strip();
        boolean test = testSplit.get();
        if (k.needsPath() && p.isEmpty() && k != Kind.IDX) {
            pathError.set(k.label + " needs a path: choose a " + (k == Kind.FOLDER ? "folder of images"
                    : "CIFAR-10 batch file or folder"));
            return;
        }
        pathError.set("");
        long g = openGeneration.incrementAndGet();
        loading.set(true);
        status.set("opening " + (k.needsPath() && !p.isEmpty() ? p : k.label) + "…");
        RunConfig.Data d = data(k, p);
        studio.background().submit("opening " + (p.isEmpty() ? k.label : p), () -> Sources.open(d, test && k.hasSplits()),
                s -> {
                    if (g == openGeneration.get()) {
                        lastOpened = new Opened(k, p, test);
                        opened(s, originText);
                    }
                }, e -> {
                    if (g == openGeneration.get()) {
                        loading.set(false);
                        status.set("");
                        pathError.set(UiErrors.message(e));
                        studio.error(e);
                    }
                });
    }

    private RunConfig.Data data(Kind k, String p) {
        return new RunConfig.Data(k.config, p.isEmpty() ? null : p, resolution.get(), channels.get(), centerCrop.get(),
                flip.get(), 0, 0);
    }

    private void opened(ImageSource s, String originText) {
        loading.set(false);
        status.set("");
        thumbnails.setSource(s); // before the source property fires: the grid asks for thumbnails at once
        source.set(s);
        count.set(s.size());
        description.set(s.describe());
        knownSkipped = 0;
        skipped.setAll(s.skipped());
        knownSkipped = skipped.size();
        histogram.set(null);
        sizes.set(null);
        publish();
        selectedIndex.set(-1);
        if (s.size() > 0) {
            selectedIndex.set(0);
        }
        computeStats(s);
    }

    private void computeStats(ImageSource s) {
        studio.background().submit("counting the classes of " + s.describe(), () -> DatasetStats.histogram(s),
                h -> {
                    if (source.get() == s) {
                        histogram.set(h);
                    }
                }, studio::error);
        studio.background().submit("measuring the images of " + s.describe(), () -> DatasetStats.sizes(s), z -> {
            if (source.get() == s) {
                sizes.set(z);
                refreshSkipped();
            }
        }, studio::error);
    }

    private void publish() {
        ImageSource s = source.get();
        if (s != null) {
            current.choiceProperty().set(new CurrentDataset.Choice(s, transform(), flip.get(), origin.get()));
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Thumbnails, selection, preview

    public ThumbnailLoader thumbnails() {
        return thumbnails;
    }

    private void afterThumbnailDecode() {
        if (decodedScheduled.compareAndSet(false, true)) {
            Platform.runLater(() -> {
                decodedScheduled.set(false);
                thumbnailsDecoded.set(thumbnails.decodedCount());
                refreshSkipped();
            });
        }
    }

    /** Picks up files the source skipped while decoding (a truncated file found by a thumbnail). */
    public void refreshSkipped() {
        ImageSource s = source.get();
        if (s != null) {
            List<ImageSource.Skipped> now = s.skipped();
            if (now.size() != knownSkipped) {
                skipped.setAll(now);
                knownSkipped = now.size();
            }
        }
    }

    /** The transform training applies (resolution, channels, centre crop). */
    public Transform transform() {
        return new Transform(Math.max(1, resolution.get()), channels.get() == 1 ? 1 : 3, centerCrop.get());
    }

    private void transformChanged() {
        if (settingTransform) {
            return;
        }
        publish();
        refreshPreview();
    }

    public void select(int index) {
        ImageSource s = source.get();
        if (s != null && index >= 0 && index < s.size()) {
            selectedIndex.set(index);
        }
    }

    private void refreshPreview() {
        ImageSource s = source.get();
        int i = selectedIndex.get();
        long g = previewGeneration.incrementAndGet();
        if (s == null || i < 0 || i >= s.size()) {
            preview.set(null);
            return;
        }
        Transform tf;
        try {
            tf = transform();
        } catch (IllegalArgumentException e) {
            previewError.set(e.getMessage());
            return;
        }
        studio.background().submit("previewing image " + i, () -> makePreview(s, i, tf), p -> {
            if (g == previewGeneration.get()) {
                previewError.set("");
                preview.set(p);
                refreshSkipped();
            }
        }, e -> {
            if (g == previewGeneration.get()) {
                previewError.set(UiErrors.message(e));
                preview.set(null);
                refreshSkipped(); // an image that does not decode is now among the skipped files
            }
        });
    }

    /**
     * The selected image as it is, through the transform, and mirrored; call off the FX thread. The
     * image is decoded once and both transforms apply to those pixels; only the procedural source,
     * which draws at the output size instead of resampling, renders through {@code load}.
     */
    static Preview makePreview(ImageSource s, int i, Transform tf) {
        Pixels p = s.pixels(i);
        Image original = ThumbnailLoader.shrink(p, (int) (2 * PREVIEW_BOX));
        int r = tf.resolution();
        boolean drawn = s instanceof ProceduralSource;
        Image t = FxImages.fromChw(drawn ? s.load(i, tf, false) : tf.apply(p, false), tf.channels(), r, r);
        Image f = FxImages.fromChw(drawn ? s.load(i, tf, true) : tf.apply(p, true), tf.channels(), r, r);
        int kt = NearestScale.factorToFit(t, PREVIEW_BOX);
        String steps = drawn
                ? "drawn directly at " + r + "×" + r + " (no resampling)"
                        + (tf.channels() == 1 ? " → gray (BT.601 luma)" : "") + " → [-1, 1]"
                : steps(p, tf);
        return new Preview(i, original, t, f, p.width(), p.height(), p.channels(), steps,
                NearestScale.toFit(original, PREVIEW_BOX), NearestScale.enlarge(t, kt), NearestScale.enlarge(f, kt));
    }

    /** The transform's steps for this image, in words ("28×28 gray → resize 32×32 (bilinear) → 3 channels"). */
    static String steps(Pixels p, Transform tf) {
        StringBuilder sb = new StringBuilder();
        int w = p.width();
        int h = p.height();
        sb.append(w).append('×').append(h).append(p.channels() == 1 ? " gray" : " RGB");
        if (tf.centerCrop() && w != h) {
            int s = Math.min(w, h);
            sb.append(" → centre crop ").append(s).append('×').append(s);
            w = s;
            h = s;
        } else if (!tf.centerCrop() && w != h) {
            sb.append(" → stretched to a square");
        }
        int r = tf.resolution();
        if (w == r && h == r) {
            sb.append(" → no resize");
        } else {
            sb.append(" → resize ").append(r).append('×').append(r)
                    .append(r < Math.max(w, h) ? " (area average)" : " (bilinear)");
        }
        if (tf.channels() != p.channels()) {
            sb.append(tf.channels() == 1 ? " → gray (BT.601 luma)" : " → RGB (gray repeated)");
        }
        sb.append(" → [-1, 1]");
        return sb.toString();
    }

    public void dispose() {
        thumbnails.close();
    }

    // ---------------------------------------------------------------------------------------------
    // Properties

    public ObjectProperty<Kind> kindProperty() {
        return kind;
    }

    public StringProperty pathProperty() {
        return path;
    }

    public BooleanProperty testSplitProperty() {
        return testSplit;
    }

    public IntegerProperty resolutionProperty() {
        return resolution;
    }

    public IntegerProperty channelsProperty() {
        return channels;
    }

    public BooleanProperty centerCropProperty() {
        return centerCrop;
    }

    public BooleanProperty flipProperty() {
        return flip;
    }

    public StringProperty originProperty() {
        return origin;
    }

    public StringProperty pathErrorProperty() {
        return pathError;
    }

    public BooleanProperty loadingProperty() {
        return loading;
    }

    public StringProperty statusProperty() {
        return status;
    }

    public ReadOnlyObjectProperty<ImageSource> sourceProperty() {
        return source.getReadOnlyProperty();
    }

    public StringProperty descriptionProperty() {
        return description;
    }

    public ReadOnlyIntegerProperty countProperty() {
        return count.getReadOnlyProperty();
    }

    public ReadOnlyObjectProperty<DatasetStats.Histogram> histogramProperty() {
        return histogram.getReadOnlyProperty();
    }

    public ReadOnlyObjectProperty<DatasetStats.Sizes> sizesProperty() {
        return sizes.getReadOnlyProperty();
    }

    public ObservableList<ImageSource.Skipped> skipped() {
        return skipped;
    }

    public IntegerProperty selectedIndexProperty() {
        return selectedIndex;
    }

    public ReadOnlyObjectProperty<Preview> previewProperty() {
        return preview.getReadOnlyProperty();
    }

    public StringProperty previewErrorProperty() {
        return previewError;
    }

    /** Thumbnails decoded so far (cache hits do not count): shows that only visible cells load. */
    public ReadOnlyIntegerProperty thumbnailsDecodedProperty() {
        return thumbnailsDecoded.getReadOnlyProperty();
    }

    /**
     * Image {@code i} in a few words for its thumbnail's tooltip: the file (relative to the dataset's
     * folder), its size and class for an image folder ("cats/img3.png · 20×30 px · class cats"); the
     * index and class for the other sources.
     */
    public String imageText(int i) {
        ImageSource s = source.get();
        if (s == null || i < 0 || i >= s.size()) {
            return "";
        }
        String cls = className(i);
        String text;
        if (s instanceof ImageFolderSource folder) {
            Path file = folder.file(i);
            Path rel = file.startsWith(folder.root()) ? folder.root().relativize(file) : file;
            StringBuilder name = new StringBuilder();
            for (Path part : rel) {
                name.append(name.length() == 0 ? "" : "/").append(part);
            }
            text = name + String.format(Locale.ROOT, " · %d×%d px", folder.width(i), folder.height(i));
        } else {
            text = String.format(Locale.ROOT, "image %,d", i);
        }
        return text + (cls.isEmpty() ? "" : " · class " + cls);
    }

    /** The label of image {@code i} ("Sneaker"), or "" when the source has no classes. */
    public String className(int i) {
        ImageSource s = source.get();
        if (s == null || s.classNames().isEmpty()) {
            return "";
        }
        int l = s.label(i);
        return l >= 0 && l < s.classNames().size() ? s.classNames().get(l) : "";
    }
}

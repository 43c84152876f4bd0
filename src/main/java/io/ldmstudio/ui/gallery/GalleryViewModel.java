package io.ldmstudio.ui.gallery;

import io.ldmstudio.runs.Checkpoint;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.RunInfo;
import io.ldmstudio.training.TrainingListener;
import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.common.FxBatcher;
import io.ldmstudio.ui.common.FxImages;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.LongProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleLongProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javafx.scene.image.Image;

/**
 * The Gallery pane's state: the fixed-seed sample grids a run has written ({@code samples/step-N.png}),
 * the step shown on each side, their decoded images, compare mode. Grids are listed and decoded by the
 * studio's background executor; new grids of a live run arrive through the training hub. FX thread
 * only; touches no control.
 */
public final class GalleryViewModel {
    /** Decoded grids kept in memory. */
    static final int CACHE = 32;

    /** One of the two images. */
    public enum Side { PRIMARY, SECOND }

    private final Studio studio;
    private final StringProperty runName = new SimpleStringProperty(this, "runName", "");
    private final StringProperty placeholder = new SimpleStringProperty(this, "placeholder", "");
    private final ObservableList<Long> steps = FXCollections.observableArrayList();
    private final BooleanProperty compare = new SimpleBooleanProperty(this, "compare");
    private final Map<Side, LongProperty> step = Map.of(Side.PRIMARY, new SimpleLongProperty(this, "step"),
            Side.SECOND, new SimpleLongProperty(this, "secondStep"));
    private final Map<Side, ObjectProperty<Image>> image = Map.of(Side.PRIMARY,
            new SimpleObjectProperty<>(this, "image"), Side.SECOND, new SimpleObjectProperty<>(this, "secondImage"));
    private final Map<Side, Integer> requests = new java.util.EnumMap<>(Map.of(Side.PRIMARY, 0, Side.SECOND, 0));
    private final Map<Path, Decoded> cache = new LinkedHashMap<>(16, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Path, Decoded> e) {
            return size() > CACHE;
        }
    };
    private final ObjectProperty<Side> zoomed = new SimpleObjectProperty<>(this, "zoomed");
    private final javafx.beans.property.IntegerProperty zoom = new javafx.beans.property.SimpleIntegerProperty(this, "zoom", 1);
    private String run;
    private Path samplesDir;
    private Runnable unsubscribe = () -> {};
    private int generation;

    private record Decoded(long modified, Image image) {}

    public GalleryViewModel(Studio studio) {
        this.studio = studio;
        for (Side s : Side.values()) {
            step.get(s).addListener((o, a, b) -> load(s));
        }
        compare.addListener((o, a, on) -> {
            if (on && !steps.isEmpty() && !steps.contains(step.get(Side.SECOND).get())) {
                step.get(Side.SECOND).set(steps.get(0));
            }
        });
        studio.selectedRunProperty().addListener((o, a, b) -> show(b));
        show(studio.selectedRunProperty().get());
    }

    // ---- properties ----

    public StringProperty runNameProperty() {
        return runName;
    }

    /** What to show where there is no image ("no sample grids yet…"); empty when there are grids. */
    public StringProperty placeholderProperty() {
        return placeholder;
    }

    /** The steps that have a grid, ascending. */
    public ObservableList<Long> steps() {
        return steps;
    }

    public BooleanProperty compareProperty() {
        return compare;
    }

    /** The step shown on {@code side} (0 before there is any). */
    public LongProperty stepProperty(Side side) {
        return step.get(side);
    }

    /** The decoded grid shown on {@code side}, pixel for pixel as on disk. */
    public ObjectProperty<Image> imageProperty(Side side) {
        return image.get(side);
    }

    // ---- logic ----

    /** The existing step nearest to {@code value} (the lower one on a tie); 0 when there are none. */
    public long snap(double value) {
        int n = steps.size();
        if (n == 0) {
            return 0;
        }
        int lo = 0;
        int hi = n;
        while (lo < hi) { // the first step ≥ value
            int m = (lo + hi) >>> 1;
            if (steps.get(m) < value) {
                lo = m + 1;
            } else {
                hi = m;
            }
        }
        if (lo == 0) {
            return steps.get(0);
        }
        if (lo == n) {
            return steps.get(n - 1);
        }
        long below = steps.get(lo - 1);
        long above = steps.get(lo);
        return value - below <= above - value ? below : above;
    }

    /** Shows the step {@code delta} places from the current one on {@code side} (arrow keys). */
    public void move(Side side, int delta) {
        if (steps.isEmpty()) {
            return;
        }
        int i = steps.indexOf(step.get(side).get());
        int j = Math.max(0, Math.min(steps.size() - 1, (i < 0 ? steps.size() - 1 : i) + delta));
        step.get(side).set(steps.get(j));
    }

    private void show(RunInfo info) {
        String name = info == null ? null : info.name();
        if (name != null && name.equals(run)) {
            return;
        }
        unsubscribe.run();
        unsubscribe = () -> {};
        generation++;
        run = name;
        samplesDir = info == null ? null : info.dir().resolve(Run.SAMPLES);
        runName.set(name == null ? "" : name);
        zoomed.set(null);
        steps.clear();
        for (Side s : Side.values()) {
            step.get(s).set(0);
            image.get(s).set(null);
        }
        if (name == null) {
            placeholder.set("Select a run in the list on the left.");
            return;
        }
        placeholder.set("Reading the sample grids…");
        int gen = generation;
        FxBatcher<Long> batcher = new FxBatcher<>(10, written -> {
            if (gen == generation) {
                written.forEach(this::added);
            }
        });
        unsubscribe = studio.training().listen(name, new TrainingListener() {
            @Override
            public void onSample(long s, Path grid) {
                batcher.add(s);
            }
        });
        rescan();
    }

    /** Re-reads the run's samples folder (grids written by another process show up). */
    public void rescan() {
        if (run == null) {
            return;
        }
        int gen = generation;
        Path dir = samplesDir;
        studio.background().submit("listing the sample grids of run '" + run + "'", () -> scan(dir), found -> {
            if (gen != generation) {
                return;
            }
            boolean first = steps.isEmpty();
            boolean atNewest = !steps.isEmpty() && step.get(Side.PRIMARY).get() == steps.get(steps.size() - 1);
            if (!found.equals(steps)) {
                steps.setAll(found);
            }
            placeholder.set(found.isEmpty() ? "No sample grids yet: training writes one every logging.sample_every steps."
                    : "");
            if (found.isEmpty()) {
                return;
            }
            if (first || atNewest || !found.contains(step.get(Side.PRIMARY).get())) {
                step.get(Side.PRIMARY).set(found.get(found.size() - 1));
            }
            if (compare.get() && !found.contains(step.get(Side.SECOND).get())) {
                step.get(Side.SECOND).set(found.get(0));
            }
        }, studio::error);
    }

    /** A grid written just now by a live run. */
    private void added(long s) {
        if (steps.contains(s)) {
            cache.remove(grid(s)); // rewritten (a resumed run passes the step again)
            for (Side side : Side.values()) {
                if (step.get(side).get() == s) {
                    load(side);
                }
            }
            return;
        }
        boolean atNewest = steps.isEmpty() || step.get(Side.PRIMARY).get() == steps.get(steps.size() - 1);
        int at = Collections.binarySearch(steps, s);
        steps.add(-at - 1, s);
        placeholder.set("");
        if (atNewest) { // following the newest grid
            step.get(Side.PRIMARY).set(s);
        }
    }

    static List<Long> scan(Path dir) throws IOException {
        List<Long> out = new ArrayList<>();
        if (dir == null || !Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> files = Files.list(dir)) {
            files.forEach(p -> {
                String n = p.getFileName().toString();
                if (n.endsWith(".png")) {
                    Checkpoint.parseStep(n.substring(0, n.length() - 4)).ifPresent(out::add);
                }
            });
        }
        Collections.sort(out);
        return out;
    }

    private Path grid(long s) {
        return samplesDir.resolve(Checkpoint.dirName(s) + ".png");
    }

    /** Decodes the grid of {@code side}'s step off the FX thread (from the cache when it is there). */
    private void load(Side side) {
        long s = step.get(side).get();
        if (s <= 0 || samplesDir == null) {
            image.get(side).set(null);
            return;
        }
        Path file = grid(s);
        int request = requests.merge(side, 1, Integer::sum);
        Decoded cached = cache.get(file);
        int gen = generation;
        studio.background().submit("reading the sample grid " + file.getFileName(), () -> {
            long modified = Files.getLastModifiedTime(file).toMillis();
            if (cached != null && cached.modified() == modified) {
                return cached;
            }
            return new Decoded(modified, FxImages.read(file));
        }, d -> {
            if (gen == generation) {
                cache.put(file, d);
                if (requests.get(side) == request) {
                    image.get(side).set(d.image());
                }
            }
        }, e -> {
            if (gen == generation && requests.get(side) == request) {
                image.get(side).set(null);
                studio.error(e);
            }
        });
    }

    // ---- zoom ----

    /** Whole-pixel magnifications the zoom view steps through (nearest-neighbour: every pixel a square). */
    public static final int[] ZOOMS = {1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 48, 64};

    /** The side shown in the zoom view; null when it is closed. */
    public ObjectProperty<Side> zoomedProperty() {
        return zoomed;
    }

    /** The zoom view's magnification (screen pixels per image pixel). */
    public javafx.beans.property.IntegerProperty zoomProperty() {
        return zoom;
    }

    /** Opens the zoom view on {@code side}'s grid at the largest whole magnification within {@code fit}. */
    public void openZoom(Side side, double fit) {
        if (image.get(side).get() == null) {
            return;
        }
        int z = ZOOMS[0];
        for (int candidate : ZOOMS) {
            if (candidate <= fit) {
                z = candidate;
            }
        }
        zoom.set(z);
        zoomed.set(side);
    }

    public void closeZoom() {
        zoomed.set(null);
    }

    /** One magnification step in ({@code +1}) or out ({@code -1}). */
    public void zoomBy(int direction) {
        int i = 0;
        while (i < ZOOMS.length - 1 && ZOOMS[i] < zoom.get()) {
            i++;
        }
        zoom.set(ZOOMS[Math.max(0, Math.min(ZOOMS.length - 1, i + Integer.signum(direction)))]);
    }

    public void dispose() {
        unsubscribe.run();
        generation++;
    }
}

package io.ldmstudio.ui.denoising;

import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.common.FxImages;
import io.ldmstudio.ui.common.UiErrors;
import java.awt.image.BufferedImage;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import javafx.application.Platform;
import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.ReadOnlyIntegerWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.value.ObservableObjectValue;
import javafx.scene.image.Image;

/**
 * The pictures of the scrubbed step on the Denoising pane: x_t, x̂0 and ε̂ of the trajectory and of the
 * comparison, rendered (and for latent runs decoded) on a thread of their own, the newest request winning, and
 * kept in a cache of about {@link #IMAGE_CACHE_PIXELS} pixels. Called on the FX thread.
 */
final class FrameCache {
    /** Images kept rendered for the scrubber, in pixels (≈ 96 MB). */
    static final long IMAGE_CACHE_PIXELS = 24L << 20;

    private final Studio studio;
    private final ObservableObjectValue<Generation> primary;
    private final ExecutorService renderThread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "ldm-denoise-frames");
        t.setDaemon(true);
        return t;
    });
    private final ReadOnlyIntegerWrapper shownIndex = new ReadOnlyIntegerWrapper(this, "shownIndex", -1);
    private final List<ReadOnlyObjectWrapper<Image>> frames = new ArrayList<>();
    /** The pictures of a guidance sweep's columns, one per scale, of {@link #sweepKind}. */
    private final List<ReadOnlyObjectWrapper<Image>> sweepFrames = new ArrayList<>();
    private final javafx.beans.property.ObjectProperty<FrameKind> sweepKind =
            new javafx.beans.property.SimpleObjectProperty<>(this, "sweepKind", FrameKind.X0);
    private final Map<FrameKey, Image> imageCache = new LinkedHashMap<>(64, 0.75f, true);
    private long cachedPixels;
    private final AtomicLong renderSeq = new AtomicLong();

    private record FrameKey(Generation generation, int step, FrameKind kind) {}

    /** {@code primary}: the trajectory on screen; pictures rendered for another one are not shown. */
    FrameCache(Studio studio, ObservableObjectValue<Generation> primary) {
        this.studio = studio;
        this.primary = primary;
        for (int i = 0; i < 2 * FrameKind.values().length; i++) {
            frames.add(new ReadOnlyObjectWrapper<>(this, "frame" + i));
        }
        for (int i = 0; i < SamplingSettings.MAX_SWEEP; i++) {
            sweepFrames.add(new ReadOnlyObjectWrapper<>(this, "sweep" + i));
        }
    }

    /** Forgets every picture, those still being rendered too: a new trajectory comes. */
    void clear() {
        renderSeq.incrementAndGet(); // pictures of the old trajectory still being rendered are dropped
        imageCache.clear();
        cachedPixels = 0;
        for (var f : frames) {
            f.set(null);
        }
        for (var f : sweepFrames) {
            f.set(null);
        }
        shownIndex.set(-1);
    }

    /**
     * Puts the pictures of step {@code i} of {@code a} (and step {@code j} of {@code b} unless {@code j} is −1) on
     * screen: from the cache, else rendered off the FX thread.
     */
    void refreshFrames(Generation a, int i, Generation b, int j) {
        refreshFrames(a, i, b, j, List.of());
    }

    /**
     * As {@link #refreshFrames(Generation, int, Generation, int)}, with step {@code i} of each of a guidance sweep's
     * trajectories {@code sweep} (of {@link #sweepKind}) — those that have it yet.
     */
    void refreshFrames(Generation a, int i, Generation b, int j, List<Generation> sweep) {
        List<FrameKey> wanted = new ArrayList<>();
        for (FrameKind k : FrameKind.values()) {
            wanted.add(new FrameKey(a, i, k));
        }
        if (j >= 0) {
            for (FrameKind k : FrameKind.values()) {
                wanted.add(new FrameKey(b, j, k));
            }
        }
        List<FrameKey> swept = new ArrayList<>(); // null: that scale has not reached step i yet
        for (Generation g : sweep) {
            swept.add(i < g.size() ? new FrameKey(g, i, sweepKind.get()) : null);
        }
        List<FrameKey> missing = java.util.stream.Stream.concat(wanted.stream(), swept.stream())
                .filter(k -> k != null && !imageCache.containsKey(k)).distinct().toList();
        if (missing.isEmpty()) {
            show(wanted, swept, i);
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
                if (renderSeq.get() == ticket || missing.stream().allMatch(imageCache::containsKey)) {
                    show(wanted, swept, i);
                }
            });
        });
    }

    private void cache(FrameKey k, Image img) {
        if (imageCache.put(k, img) == null) {
            cachedPixels += (long) img.getWidth() * (long) img.getHeight();
        }
        var it = imageCache.entrySet().iterator();
        while (cachedPixels > IMAGE_CACHE_PIXELS && imageCache.size() > 6 + SamplingSettings.MAX_SWEEP && it.hasNext()) {
            Image old = it.next().getValue();
            cachedPixels -= (long) old.getWidth() * (long) old.getHeight();
            it.remove();
        }
    }

    private void show(List<FrameKey> keys, List<FrameKey> swept, int i) {
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
        for (int c = 0; c < sweepFrames.size(); c++) {
            FrameKey key = c < swept.size() ? swept.get(c) : null;
            sweepFrames.get(c).set(key == null ? null : imageCache.get(key));
        }
        shownIndex.set(i);
    }

    /** Stops the render thread. */
    void dispose() {
        renderThread.shutdownNow();
    }

    /** The step whose pictures are on screen; −1 for none. */
    ReadOnlyIntegerProperty shownIndexProperty() {
        return shownIndex.getReadOnlyProperty();
    }

    /** The picture of a guidance sweep's column {@code c} at the step shown (null when there is none). */
    ReadOnlyObjectProperty<Image> sweepFrameProperty(int c) {
        return sweepFrames.get(c).getReadOnlyProperty();
    }

    /** Which picture the sweep's columns show: x̂0 unless chosen otherwise. */
    javafx.beans.property.ObjectProperty<FrameKind> sweepKindProperty() {
        return sweepKind;
    }

    /** The picture of {@code kind} in row 0 (the trajectory) or 1 (the comparison). */
    ReadOnlyObjectProperty<Image> frameProperty(int row, FrameKind kind) {
        return frames.get(row * FrameKind.values().length + kind.ordinal()).getReadOnlyProperty();
    }
}

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
    }

    /** Forgets every picture, those still being rendered too: a new trajectory comes. */
    void clear() {
        renderSeq.incrementAndGet(); // pictures of the old trajectory still being rendered are dropped
        imageCache.clear();
        cachedPixels = 0;
        for (var f : frames) {
            f.set(null);
        }
        shownIndex.set(-1);
    }

    /**
     * Puts the pictures of step {@code i} of {@code a} (and step {@code j} of {@code b} unless {@code j} is −1) on
     * screen: from the cache, else rendered off the FX thread.
     */
    void refreshFrames(Generation a, int i, Generation b, int j) {
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

    /** Stops the render thread. */
    void dispose() {
        renderThread.shutdownNow();
    }

    /** The step whose pictures are on screen; −1 for none. */
    ReadOnlyIntegerProperty shownIndexProperty() {
        return shownIndex.getReadOnlyProperty();
    }

    /** The picture of {@code kind} in row 0 (the trajectory) or 1 (the comparison). */
    ReadOnlyObjectProperty<Image> frameProperty(int row, FrameKind kind) {
        return frames.get(row * FrameKind.values().length + kind.ordinal()).getReadOnlyProperty();
    }
}

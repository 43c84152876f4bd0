package io.ldmstudio.ui.dataset;

import io.ldmstudio.data.ImageSource;
import io.ldmstudio.data.Pixels;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import io.ldmstudio.ui.common.NearestScale;
import javafx.application.Platform;
import javafx.scene.image.Image;
import javafx.scene.image.PixelWriter;
import javafx.scene.image.WritableImage;

/**
 * Makes thumbnails of a source's images on its own daemon threads, only for what is asked for (the
 * cells on screen), newest request first. Finished thumbnails go into a bounded LRU cache; a request
 * whose cell has scrolled away is {@link Ticket#cancel() cancelled} and dropped before it is decoded.
 * Results reach the FX thread through {@link Platform#runLater}.
 */
public final class ThumbnailLoader implements AutoCloseable {
    /** Longest side of a thumbnail in pixels; smaller images keep their size (the view scales them up). */
    public static final int MAX_SIDE = 64;
    /** Box the thumbnails are shown in; smaller ones are enlarged by whole factors to fit it. */
    public static final double SHOWN = 76;

    private static final AtomicInteger THREADS = new AtomicInteger();

    /** A pending thumbnail; cancel it when its cell shows something else. */
    public static final class Ticket {
        private final long generation;
        private final ImageSource source;
        private final int index;
        private final Consumer<Thumbnail> onReady;
        private volatile boolean cancelled;

        private Ticket(long generation, ImageSource source, int index, Consumer<Thumbnail> onReady) {
            this.generation = generation;
            this.source = source;
            this.index = index;
            this.onReady = onReady;
        }

        public void cancel() {
            cancelled = true;
        }

        public boolean cancelled() {
            return cancelled;
        }

        public int index() {
            return index;
        }
    }

    /** A thumbnail, or why there is none ({@code image} null, {@code problem} set). */
    public record Thumbnail(int index, Image image, int width, int height, String problem) {}

    private record Key(long generation, int index) {}

    private final LinkedBlockingDeque<Ticket> queue = new LinkedBlockingDeque<>();
    private final Map<Key, Thumbnail> cache;
    private final int capacity;
    private final AtomicInteger decoded = new AtomicInteger();
    private final AtomicInteger dropped = new AtomicInteger();
    private final AtomicLong generation = new AtomicLong();
    private final List<Thread> workers = new ArrayList<>();
    private volatile ImageSource source;
    private volatile Runnable afterDecode = () -> {};
    private volatile boolean closed;

    /**
     * @param capacity thumbnails kept in memory (least recently used dropped first)
     * @param threads  decoding threads
     */
    public ThumbnailLoader(int capacity, int threads) {
        this.capacity = capacity;
        this.cache = new LinkedHashMap<>(Math.min(capacity, 4096) * 2, 0.75f, true) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<Key, Thumbnail> eldest) {
                return size() > ThumbnailLoader.this.capacity;
            }
        };
        for (int i = 0; i < threads; i++) {
            Thread t = new Thread(this::work, "ldm-ui-thumbnails-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            t.setPriority(Thread.NORM_PRIORITY - 1);
            workers.add(t);
            t.start();
        }
    }

    /** Switches to another source: the cache is emptied and every pending request dropped. */
    public void setSource(ImageSource source) {
        generation.incrementAndGet();
        this.source = source;
        for (Ticket t; (t = queue.poll()) != null; ) {
            t.cancel();
        }
        synchronized (cache) {
            cache.clear();
        }
    }

    public ImageSource source() {
        return source;
    }

    /** Called on a decoding thread after each decode (the view model counts and refreshes skipped files). */
    public void setAfterDecode(Runnable r) {
        this.afterDecode = r == null ? () -> {} : r;
    }

    /**
     * The thumbnail of image {@code index} of the current source. When cached, {@code onReady} runs at
     * once (on the calling thread) and null is returned; otherwise it runs later on the FX thread,
     * unless the returned ticket is cancelled first.
     */
    public Ticket request(int index, Consumer<Thumbnail> onReady) {
        ImageSource s = source;
        long g = generation.get();
        Thumbnail hit = cached(g, index);
        if (hit != null) {
            onReady.accept(hit);
            return null;
        }
        Ticket t = new Ticket(g, s, index, onReady);
        queue.addFirst(t); // newest first: the cells the user looks at now
        return t;
    }

    /** The cached thumbnail, if any (does not decode). */
    public Thumbnail cached(int index) {
        return cached(generation.get(), index);
    }

    private Thumbnail cached(long g, int index) {
        synchronized (cache) {
            return cache.get(new Key(g, index));
        }
    }

    /** Thumbnails decoded since the loader was made (each decode counts, cache hits do not). */
    public int decodedCount() {
        return decoded.get();
    }

    /** Requests dropped because their cell scrolled away (or the source changed) before decoding. */
    public int droppedCount() {
        return dropped.get();
    }

    public int cachedCount() {
        synchronized (cache) {
            return cache.size();
        }
    }

    public int capacity() {
        return capacity;
    }

    /** Requests waiting (cancelled ones included until a worker passes them). */
    public int pendingCount() {
        return queue.size();
    }

    private void work() {
        while (!closed) {
            Ticket t;
            try {
                t = queue.pollFirst(500, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (t == null) {
                continue;
            }
            if (t.cancelled || t.generation != generation.get()) {
                dropped.incrementAndGet();
                continue;
            }
            try {
                deliver(t);
            } catch (RuntimeException e) {
                // one bad request must not stop the decoder; the tile keeps its placeholder
            }
        }
    }

    private void deliver(Ticket t) {
        Thumbnail thumb = cached(t.generation, t.index);
        if (thumb == null) {
            thumb = make(t.source, t.index);
            decoded.incrementAndGet();
            if (t.generation == generation.get()) {
                synchronized (cache) {
                    cache.put(new Key(t.generation, t.index), thumb);
                }
            }
            afterDecode.run();
        }
        Thumbnail done = thumb;
        Platform.runLater(() -> {
            if (!t.cancelled) {
                t.onReady.accept(done);
            }
        });
    }

    /** Decodes image {@code index} and shrinks it to at most {@link #MAX_SIDE} (area average). */
    static Thumbnail make(ImageSource source, int index) {
        try {
            Pixels p = source.pixels(index);
            WritableImage small = shrink(p, MAX_SIDE);
            // small images are enlarged by a whole factor here, so they show crisp at any pipeline
            return new Thumbnail(index, NearestScale.toFit(small, SHOWN), p.width(), p.height(), null);
        } catch (RuntimeException e) {
            String m = e.getMessage();
            return new Thumbnail(index, null, 0, 0, m == null ? e.getClass().getSimpleName() : m);
        }
    }

    /** {@code p} with its longer side at most {@code max}, each output pixel the mean of the area it covers. */
    static WritableImage shrink(Pixels p, int max) {
        int w = p.width();
        int h = p.height();
        double s = Math.max(1.0, Math.max(w, h) / (double) max);
        int tw = Math.max(1, (int) Math.round(w / s));
        int th = Math.max(1, (int) Math.round(h / s));
        WritableImage img = new WritableImage(tw, th);
        PixelWriter pw = img.getPixelWriter();
        float[] d = p.data();
        int plane = w * h;
        int c = p.channels();
        for (int y = 0; y < th; y++) {
            int y0 = (int) ((long) y * h / th);
            int y1 = Math.max(y0 + 1, (int) ((long) (y + 1) * h / th));
            for (int x = 0; x < tw; x++) {
                int x0 = (int) ((long) x * w / tw);
                int x1 = Math.max(x0 + 1, (int) ((long) (x + 1) * w / tw));
                float r = 0;
                float g = 0;
                float b = 0;
                for (int yy = y0; yy < y1; yy++) {
                    for (int xx = x0; xx < x1; xx++) {
                        int i = yy * w + xx;
                        r += d[i];
                        if (c == 3) {
                            g += d[plane + i];
                            b += d[2 * plane + i];
                        }
                    }
                }
                float n = (y1 - y0) * (x1 - x0);
                int ri = to8(r / n);
                int gi = c == 3 ? to8(g / n) : ri;
                int bi = c == 3 ? to8(b / n) : ri;
                pw.setArgb(x, y, 0xFF000000 | (ri << 16) | (gi << 8) | bi);
            }
        }
        return img;
    }

    private static int to8(float v) {
        return Math.round(Math.max(0f, Math.min(1f, v)) * 255f);
    }

    @Override
    public void close() {
        closed = true;
        for (Thread t : workers) {
            t.interrupt();
        }
        queue.clear();
    }
}

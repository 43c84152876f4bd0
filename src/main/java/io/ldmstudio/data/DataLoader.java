package io.ldmstudio.data;

import io.ldmstudio.util.Rng;
import java.util.ArrayDeque;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Endless, deterministic, prefetching batches from an {@link ImageSource}.
 *
 * <p><b>Order.</b> The loader walks a global sample counter, its <em>position</em>. With {@code n}
 * images in an epoch ({@code limit > 0} keeps only images {@code 0..limit-1}), position {@code p}
 * is sample {@code p mod n} of epoch {@code e = p div n}, i.e. source image
 * {@code Rng.of(seed, e).permutation(n)[p mod n]}, mirrored when {@code flip} is on and the
 * coin for position {@code p} — derived from {@code (seed, p)} alone — says so. Batches are always
 * full: the last batch of an epoch continues into the next epoch's order. So the sequence depends
 * only on (source, transform, batch size, seed, flip, limit, start position) — never on the number
 * of worker threads or their timing.
 *
 * <p><b>Unreadable images.</b> When the image at a position turns out not to decode (the source
 * throws {@link UnreadableImageException} and lists it in {@link ImageSource#skipped()}), it is left
 * out: that position takes the next image of the same epoch's order that decodes
 * ({@code permutation(n)[(p + 1) mod n]}, and so on, wrapping), with that image's label; the coin
 * for mirroring stays the position's. Which files decode depends only on the files, so the batches
 * are still the same on every run, with any number of workers, and from any resume position. Only
 * when no image of the epoch decodes does {@code next()} fail, with a {@link DataException}.
 *
 * <p><b>Resume.</b> {@link #position()} is the position of the next sample {@link #next()} will
 * return; store it in a checkpoint and pass it as {@code startPosition} to a new loader to continue
 * with exactly the same batches.
 *
 * <p><b>Threads.</b> With {@code workers > 0}, batches are decoded on that many daemon threads, up
 * to {@code max(prefetch, workers)} batches ahead (default {@value #DEFAULT_PREFETCH}), and handed
 * out in position order. With {@code workers = 0} the caller's thread decodes. A decoding failure is
 * rethrown by the {@code next()} that would have returned that batch. {@code next()} is meant for one
 * consumer thread. {@link #close()} stops the threads.
 */
public final class DataLoader implements AutoCloseable {
    public static final int DEFAULT_PREFETCH = 4;
    private static final long FLIP_SALT = 0x5F1A_C0DE_F11B_5EEDL;
    private static final AtomicInteger LOADERS = new AtomicInteger();

    private final ImageSource source;
    private final Transform transform;
    private final int batchSize;
    private final long seed;
    private final boolean flip;
    private final int epochSize;
    private final ExecutorService pool;
    private final int depth;
    private final ArrayDeque<Future<Batch>> pending = new ArrayDeque<>();
    private final Map<Long, int[]> permutations = new LinkedHashMap<>(4, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<Long, int[]> eldest) {
            return size() > 3;
        }
    };

    private long position;       // next sample next() returns
    private long submitted;      // next sample not yet handed to a worker
    private boolean closed;

    public DataLoader(ImageSource source, Transform transform, int batchSize, long seed, boolean flip, int workers,
            int limit, long startPosition) {
        this(source, transform, batchSize, seed, flip, workers, limit, startPosition, DEFAULT_PREFETCH);
    }

    public DataLoader(ImageSource source, Transform transform, int batchSize, long seed, boolean flip, int workers,
            int limit, long startPosition, int prefetch) {
        if (batchSize <= 0) {
            throw new IllegalArgumentException("batch size must be positive: " + batchSize);
        }
        if (workers < 0) {
            throw new IllegalArgumentException("workers must be >= 0: " + workers);
        }
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be >= 0: " + limit);
        }
        if (startPosition < 0) {
            throw new IllegalArgumentException("start position must be >= 0: " + startPosition);
        }
        if (prefetch <= 0) {
            throw new IllegalArgumentException("prefetch must be positive: " + prefetch);
        }
        int n = limit > 0 ? Math.min(limit, source.size()) : source.size();
        if (n <= 0) {
            throw new DataException("no images to load from " + source.describe());
        }
        this.source = source;
        this.transform = transform;
        this.batchSize = batchSize;
        this.seed = seed;
        this.flip = flip;
        this.epochSize = n;
        this.position = startPosition;
        this.submitted = startPosition;
        this.depth = Math.max(prefetch, workers);
        if (workers > 0) {
            int id = LOADERS.incrementAndGet();
            AtomicInteger t = new AtomicInteger();
            this.pool = Executors.newFixedThreadPool(workers, r -> {
                Thread th = new Thread(r, "ldm-data-" + id + "-" + t.incrementAndGet());
                th.setDaemon(true);
                return th;
            });
            fill();
        } else {
            this.pool = null;
        }
    }

    /** The next batch, in position order. Blocks until it is decoded. */
    public Batch next() {
        if (closed) {
            throw new IllegalStateException("data loader is closed");
        }
        Batch b;
        if (pool == null) {
            b = make(position);
        } else {
            Future<Batch> f = pending.poll();
            fill();
            try {
                b = f.get();
            } catch (ExecutionException | RuntimeException e) {
                restartPrefetch(); // a retry starts again at this batch
                throw rethrow(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new DataException("interrupted while waiting for a batch", e);
            }
        }
        position += batchSize;
        return b;
    }

    private RuntimeException rethrow(Exception e) {
        if (e instanceof CancellationException) {
            return new IllegalStateException("data loader is closed", e);
        }
        Throwable c = e instanceof ExecutionException ? e.getCause() : e;
        if (c instanceof RuntimeException re) {
            return re;
        }
        if (c instanceof Error err) {
            throw err;
        }
        return new DataException("decoding failed: " + c, c);
    }

    private void restartPrefetch() {
        if (closed) {
            return;
        }
        for (Future<Batch> f : pending) {
            f.cancel(true);
        }
        pending.clear();
        submitted = position;
        fill();
    }

    private void fill() {
        while (pending.size() < depth) {
            long start = submitted;
            pending.add(pool.submit(() -> make(start)));
            submitted += batchSize;
        }
    }

    private Batch make(long start) {
        int len = transform.length();
        float[] data = new float[batchSize * len];
        int[] labels = new int[batchSize];
        for (int k = 0; k < batchSize; k++) {
            long p = start + k;
            int[] perm = permutation(p / epochSize);
            int at = (int) (p % epochSize);
            boolean mirror = flipAt(p);
            float[] img = null;
            int idx = -1;
            UnreadableImageException last = null;
            for (int step = 0; step < epochSize && img == null; step++) {
                idx = perm[(at + step) % epochSize];
                try {
                    img = source.load(idx, transform, mirror);
                } catch (UnreadableImageException e) {
                    last = e; // listed in source.skipped(); take the next image of this epoch's order
                }
            }
            if (img == null) {
                throw new DataException("no image of " + source.describe() + " decodes (" + source.skipped().size()
                        + " files skipped), e.g. " + last.getMessage());
            }
            if (img.length != len) {
                throw new DataException("image " + idx + " of " + source.describe() + " came out with " + img.length
                        + " values, expected " + len);
            }
            System.arraycopy(img, 0, data, k * len, len);
            labels[k] = source.label(idx);
        }
        int r = transform.resolution();
        return new Batch(data, labels, batchSize, transform.channels(), r, r, start);
    }

    /**
     * The source image the order puts at a position; the batch holds the next decodable one instead
     * when this one turns out unreadable (see above).
     */
    public int indexAt(long position) {
        long epoch = position / epochSize;
        return permutation(epoch)[(int) (position % epochSize)];
    }

    /** Whether the image at a position is mirrored. */
    public boolean flipAt(long position) {
        return flip && (Rng.of(seed ^ FLIP_SALT, position).nextLong() & 1L) != 0;
    }

    private int[] permutation(long epoch) {
        synchronized (permutations) {
            int[] p = permutations.get(epoch);
            if (p == null) {
                p = Rng.of(seed, epoch).permutation(epochSize);
                permutations.put(epoch, p);
            }
            return p;
        }
    }

    /** The position of the next sample {@link #next()} returns: the resume point for a checkpoint. */
    public long position() {
        return position;
    }

    /** The epoch the next sample belongs to (0-based). */
    public long epoch() {
        return position / epochSize;
    }

    /** Images per epoch (after {@code limit}). */
    public int epochSize() {
        return epochSize;
    }

    public int batchSize() {
        return batchSize;
    }

    public ImageSource source() {
        return source;
    }

    public Transform transform() {
        return transform;
    }

    /** Stops the decoding threads; pending batches are dropped. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (pool != null) {
            for (Iterator<Future<Batch>> it = pending.iterator(); it.hasNext();) {
                it.next().cancel(true);
            }
            pending.clear();
            pool.shutdownNow();
        }
    }
}

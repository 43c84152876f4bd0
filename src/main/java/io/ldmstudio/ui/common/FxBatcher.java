package io.ldmstudio.ui.common;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;
import javafx.application.Platform;

/**
 * Hands items produced on any thread to the FX thread in batches, at most {@code maxPerSecond} times
 * a second, however fast they come (a training step every few milliseconds must not flood the FX
 * queue). Nothing is dropped: each flush gets every item since the last one, in order.
 */
public final class FxBatcher<T> {
    private static final ScheduledExecutorService TIMER = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "ldm-ui-batcher");
        t.setDaemon(true);
        return t;
    });

    private final ConcurrentLinkedQueue<T> queue = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final Consumer<List<T>> sink;
    private final long periodNanos;
    private volatile long lastFlush;

    public FxBatcher(int maxPerSecond, Consumer<List<T>> sink) {
        this.sink = sink;
        this.periodNanos = 1_000_000_000L / Math.max(1, maxPerSecond);
    }

    /** Queues {@code item}; safe from any thread. */
    public void add(T item) {
        queue.add(item);
        if (scheduled.compareAndSet(false, true)) {
            long wait = Math.max(0, lastFlush + periodNanos - System.nanoTime());
            TIMER.schedule(() -> Platform.runLater(this::flush), wait, TimeUnit.NANOSECONDS);
        }
    }

    private void flush() {
        scheduled.set(false);
        lastFlush = System.nanoTime();
        List<T> items = new ArrayList<>();
        for (T t; (t = queue.poll()) != null; ) {
            items.add(t);
        }
        if (!items.isEmpty()) {
            sink.accept(items);
        }
    }
}

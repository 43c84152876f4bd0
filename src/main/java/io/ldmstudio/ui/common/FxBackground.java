package io.ldmstudio.ui.common;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import javafx.application.Platform;

/** A small pool of daemon threads; results are handed to the FX thread. */
public final class FxBackground implements Background, AutoCloseable {
    private static final AtomicInteger THREADS = new AtomicInteger();
    private final ExecutorService pool;

    public FxBackground(int threads) {
        pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "ldm-ui-work-" + THREADS.incrementAndGet());
            t.setDaemon(true);
            t.setPriority(Thread.NORM_PRIORITY - 1);
            return t;
        });
    }

    @Override
    public <T> Future<T> submit(String what, Callable<T> work, Consumer<T> onDone, Consumer<Throwable> onError) {
        return pool.submit(() -> {
            try {
                T value = work.call();
                Platform.runLater(() -> onDone.accept(value));
                return value;
            } catch (Throwable e) {
                Platform.runLater(() -> onError.accept(new UiException(what, e)));
                throw e;
            }
        });
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}

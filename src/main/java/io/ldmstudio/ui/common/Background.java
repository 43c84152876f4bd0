package io.ldmstudio.ui.common;

import java.util.concurrent.Callable;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * Where the studio does slow work (disk, decoding, sampling, listing runs) so the FX thread never
 * waits. Results and failures come back on the FX thread. Panes get one from the {@code Studio}; tests
 * may hand in {@link #direct()} to run everything in line.
 */
public interface Background {

    /**
     * Runs {@code work} off the FX thread.
     *
     * @param what    a few words for error messages ("reading the dataset")
     * @param onDone  called on the FX thread with the result
     * @param onError called on the FX thread with what went wrong
     */
    <T> Future<T> submit(String what, Callable<T> work, Consumer<T> onDone, Consumer<Throwable> onError);

    /** Runs everything in the calling thread (tests that want no asynchrony). */
    static Background direct() {
        return new Background() {
            @Override
            public <T> Future<T> submit(String what, Callable<T> work, Consumer<T> onDone, Consumer<Throwable> onError) {
                java.util.concurrent.CompletableFuture<T> f = new java.util.concurrent.CompletableFuture<>();
                try {
                    T value = work.call();
                    f.complete(value);
                    onDone.accept(value);
                } catch (Exception e) {
                    f.completeExceptionally(e);
                    onError.accept(e);
                }
                return f;
            }
        };
    }
}

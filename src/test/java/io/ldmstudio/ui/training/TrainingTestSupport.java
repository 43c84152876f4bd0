package io.ldmstudio.ui.training;

import io.ldmstudio.ui.StudioFixture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.testfx.util.WaitForAsyncUtils;

/** Helpers the Training and Gallery pane tests share. */
public final class TrainingTestSupport {
    private TrainingTestSupport() {}

    /** A fresh workspace holding a copy of the fixture's trained run (and more copies under other names). */
    public static Path workspaceWithFixtureRun(String... extraCopies) throws IOException {
        Path root = StudioFixture.emptyWorkspace();
        Path source = StudioFixture.trainedWorkspace().resolve("runs").resolve(StudioFixture.RUN);
        copyTree(source, root.resolve("runs").resolve(StudioFixture.RUN));
        for (String name : extraCopies) {
            copyTree(source, root.resolve("runs").resolve(name));
        }
        return root;
    }

    public static void copyTree(Path from, Path to) throws IOException {
        try (Stream<Path> all = Files.walk(from)) {
            for (Path p : (Iterable<Path>) all::iterator) {
                Path target = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(p, target);
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** Deletes a test's temporary workspace (what cannot be deleted is left to the OS). */
    public static void deleteQuietly(Path root) {
        if (root == null) {
            return;
        }
        try (Stream<Path> all = Files.walk(root)) {
            all.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // a temp folder left behind is harmless
        }
    }

    /** Evaluates {@code s} on the FX thread. */
    /** Waits until the pane's charts show everything handed to them. */
    public static void chartsRendered(TrainingPane pane) {
        try {
            fx(pane::chartsRendered).get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("the charts did not draw within 30 s", e);
        }
        org.testfx.util.WaitForAsyncUtils.waitForFxEvents();
    }

    public static <T> T fx(Supplier<T> s) {
        AtomicReference<T> out = new AtomicReference<>();
        StudioFixture.onFx(() -> out.set(s.get()));
        return out.get();
    }

    /** Waits (checking on the FX thread) until {@code condition} holds. */
    public static void await(long seconds, String what, BooleanSupplier condition) {
        try {
            WaitForAsyncUtils.waitFor(seconds, TimeUnit.SECONDS, () -> fx(condition::getAsBoolean));
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("timed out after " + seconds + " s waiting for " + what, e);
        }
    }
}

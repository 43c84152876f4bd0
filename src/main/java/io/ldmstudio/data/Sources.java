package io.ldmstudio.data;

import io.ldmstudio.config.RunConfig;
import java.io.IOException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;

/** Opens the {@link ImageSource} a run's {@code data} section describes. */
public final class Sources {
    public static final List<String> KINDS = List.of("procedural", "folder", "cifar10", "idx");
    static final String DEFAULT_FASHION_MNIST_TEXT = "/usr/share/datasets/fashion-mnist";
    /** Where Debian's {@code dataset-fashion-mnist} package puts the four IDX files; idx's default path. */
    public static final Path DEFAULT_FASHION_MNIST = Path.of(DEFAULT_FASHION_MNIST_TEXT);
    /** Images in the procedural source's held-out split. */
    public static final int PROCEDURAL_TEST_COUNT = 2_000;

    static final String FASHION_HINT = "to get Fashion-MNIST, run 'apt-get install dataset-fashion-mnist' on"
            + " Debian/Ubuntu (it installs to " + DEFAULT_FASHION_MNIST + "), or download the four IDX files"
            + " train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, t10k-images-idx3-ubyte.gz and"
            + " t10k-labels-idx1-ubyte.gz into the folder";

    private static final String FOLDER_EXPECTED = "a folder of images (optionally one sub-folder per class)";
    private static final String CIFAR_EXPECTED = "a CIFAR-10 binary batch file or a folder of data_batch_*.bin files";

    private Sources() {}

    /**
     * The source for {@code data.source}:
     * <ul>
     *   <li>{@code procedural} — {@link ProceduralSource} with its default count and seed ({@code data.path}
     *       is ignored);
     *   <li>{@code folder} — {@link ImageFolderSource} of {@code data.path} (header checks only);
     *   <li>{@code cifar10} — {@link Cifar10Source}, training batches of a folder, or one file;
     *   <li>{@code idx} — {@link IdxSource}, training split of a folder, or an images file;
     *       {@code data.path} defaults to {@value #DEFAULT_FASHION_MNIST_TEXT}.
     * </ul>
     * A leading {@code ~/} in the path means the user's home. {@code data.limit} is not applied here
     * but by the {@link DataLoader}. Problems are {@link DataException}s naming the field.
     */
    public static ImageSource open(RunConfig.Data d) {
        return open(d, false);
    }

    /**
     * The same, or with {@code test} the held-out split for evaluation: the {@code t10k} IDX files,
     * CIFAR-10's {@code test_batch.bin}, procedural shapes from another seed ({@value #PROCEDURAL_TEST_COUNT}
     * of them). A folder has no split: it is used as it is (point {@code data.path} at held-out images).
     */
    public static ImageSource open(RunConfig.Data d, boolean test) {
        switch (kind(d)) {
            case "procedural":
                return test ? new ProceduralSource(PROCEDURAL_TEST_COUNT, ProceduralSource.DEFAULT_SEED + 1)
                        : new ProceduralSource();
            case "folder":
                return ImageFolderSource.open(existing(d, FOLDER_EXPECTED));
            case "cifar10":
                return Cifar10Source.open(existing(d, CIFAR_EXPECTED), test);
            default:
                return openIdx(d, test);
        }
    }

    /** The source kind of {@code d} after checking the settings every source needs. */
    private static String kind(RunConfig.Data d) {
        if (d == null) {
            throw new DataException("data is missing: the config needs a data section with data.source = one of "
                    + String.join(", ", KINDS));
        }
        String kind = d.source() == null ? "" : d.source().strip().toLowerCase(Locale.ROOT);
        if (kind.isEmpty()) {
            throw new DataException("data.source is missing; expected one of " + String.join(", ", KINDS));
        }
        if (!KINDS.contains(kind)) {
            throw new DataException("data.source = '" + d.source() + "' is not known; expected one of "
                    + String.join(", ", KINDS));
        }
        if (d.resolution() <= 0) {
            throw new DataException("data.resolution must be a positive number of pixels, got " + d.resolution());
        }
        if (d.channels() != 1 && d.channels() != 3) {
            throw new DataException("data.channels must be 1 (grayscale) or 3 (RGB), got " + d.channels());
        }
        if (d.limit() < 0) {
            throw new DataException("data.limit must be 0 (all images) or positive, got " + d.limit());
        }
        if (d.workers() < 0) {
            throw new DataException("data.workers must be 0 (decode on the training thread) or positive, got "
                    + d.workers());
        }
        return kind;
    }

    /**
     * Checks, cheaply and before anything is created (a run folder, say), that {@code d} names data
     * that can be trained on, so a bad {@code data.path} is a bad value rather than a failed run: the
     * settings {@link #open} checks, then for a source read from {@code data.path} that the path
     * exists, is readable and holds what the source expects. A folder must hold at least one image
     * file (found by its name, not decoded: a scan that stops at the first); CIFAR-10 batches and IDX
     * files are opened as {@link #open} opens them (sizes and headers checked; small datasets). The
     * procedural source always passes.
     *
     * @throws DataException naming {@code data.path}, the path and what was expected
     */
    public static void check(RunConfig.Data d) {
        String kind = kind(d);
        if (kind.equals("procedural")) {
            return;
        }
        Path p;
        if (kind.equals("idx")) {
            boolean given = d.path() != null && !d.path().isBlank();
            p = given ? expand(d.path()) : DEFAULT_FASHION_MNIST;
            if (!Files.exists(p)) {
                openIdx(d, false); // says where Fashion-MNIST comes from
            }
        } else {
            p = existing(d, kind.equals("folder") ? FOLDER_EXPECTED : CIFAR_EXPECTED);
        }
        String expected = kind.equals("folder") ? FOLDER_EXPECTED : kind.equals("cifar10") ? CIFAR_EXPECTED
                : "a folder with train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz], or an images file";
        if (!Files.isReadable(p)) {
            throw new DataException("data.path is not readable: " + p + " (data.source = " + d.source()
                    + " expects " + expected + "; check its permissions)");
        }
        if (kind.equals("folder")) {
            if (!Files.isDirectory(p)) {
                throw new DataException("data.path is not a folder: " + p + " (data.source = " + d.source()
                        + " expects " + expected + ")");
            }
            if (!hasImageFile(p)) {
                throw new DataException("data.path has no images: " + p + " (data.source = " + d.source()
                        + " expects files ending in " + ImageFolderSource.EXTENSIONS_TEXT + " (any case), directly in"
                        + " the folder or in one sub-folder per class)");
            }
            return;
        }
        try {
            if (kind.equals("cifar10")) {
                Cifar10Source.open(p, false);
            } else {
                IdxSource.open(p, false);
            }
        } catch (DataException e) {
            throw new DataException("data.path " + p + ": " + e.getMessage() + " (data.source = " + d.source()
                    + " expects " + expected + ")", e);
        }
    }

    /** Whether a file with an image extension lies in {@code root} or below (hidden entries skipped). */
    private static boolean hasImageFile(Path root) {
        boolean[] found = {false};
        try {
            Files.walkFileTree(root, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE,
                    new SimpleFileVisitor<>() {
                        @Override
                        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                            return !dir.equals(root) && hidden(dir) ? FileVisitResult.SKIP_SUBTREE
                                    : FileVisitResult.CONTINUE;
                        }

                        @Override
                        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                            if (attrs.isRegularFile() && !hidden(file)
                                    && ImageFolderSource.EXTENSIONS.contains(ImageFolderSource.extension(file))) {
                                found[0] = true;
                                return FileVisitResult.TERMINATE;
                            }
                            return FileVisitResult.CONTINUE;
                        }

                        @Override
                        public FileVisitResult visitFileFailed(Path file, IOException e) {
                            return FileVisitResult.CONTINUE;
                        }
                    });
        } catch (IOException e) {
            throw new DataException("data.path: cannot scan " + root + ": " + e.getMessage(), e);
        }
        return found[0];
    }

    private static boolean hidden(Path p) {
        Path name = p.getFileName();
        return name != null && name.toString().startsWith(".");
    }

    private static ImageSource openIdx(RunConfig.Data d, boolean test) {
        boolean given = d.path() != null && !d.path().isBlank();
        Path p = given ? expand(d.path()) : DEFAULT_FASHION_MNIST;
        if (!Files.exists(p)) {
            if (!given || p.equals(DEFAULT_FASHION_MNIST)) {
                throw new DataException("data.path: the default Fashion-MNIST folder " + p + " does not exist; "
                        + FASHION_HINT + " (or set data.path to a folder with MNIST-style IDX files)");
            }
            throw new DataException("data.path does not exist: " + p + " (data.source = idx expects a folder with"
                    + " train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz], or an images file; "
                    + FASHION_HINT + ")");
        }
        return IdxSource.open(p, test);
    }

    private static Path existing(RunConfig.Data d, String expected) {
        if (d.path() == null || d.path().isBlank()) {
            throw new DataException("data.path is missing: data.source = " + d.source() + " needs " + expected);
        }
        Path p = expand(d.path());
        if (!Files.exists(p)) {
            throw new DataException("data.path does not exist: " + p + " (data.source = " + d.source() + " expects "
                    + expected + ")");
        }
        return p;
    }

    /**
     * The path {@code data.path}-style text names: stripped, a leading {@code ~/} (or a lone {@code ~})
     * meaning the user's home.
     */
    public static Path expand(String path) {
        String s = path.strip();
        if (s.equals("~") || s.startsWith("~/")) {
            return Path.of(System.getProperty("user.home") + s.substring(1));
        }
        return Path.of(s);
    }
}

package io.ldmstudio.data;

import io.ldmstudio.config.RunConfig;
import java.nio.file.Files;
import java.nio.file.Path;
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
        switch (kind) {
            case "procedural":
                return test ? new ProceduralSource(PROCEDURAL_TEST_COUNT, ProceduralSource.DEFAULT_SEED + 1)
                        : new ProceduralSource();
            case "folder":
                return ImageFolderSource.open(existing(d, "a folder of images (optionally one sub-folder per class)"));
            case "cifar10":
                return Cifar10Source.open(existing(d,
                        "a CIFAR-10 binary batch file or a folder of data_batch_*.bin files"), test);
            default:
                return openIdx(d, test);
        }
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

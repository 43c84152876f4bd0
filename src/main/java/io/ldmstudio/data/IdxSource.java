package io.ldmstudio.data;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;

/**
 * IDX files as MNIST and Fashion-MNIST ship them, raw or gzipped: an images file (magic
 * {@code 0x00000803}: unsigned bytes, 3 dimensions — count, rows, columns) and a labels file (magic
 * {@code 0x00000801}: unsigned bytes, 1 dimension — count). All big-endian.
 *
 * <p>The path may be a folder — then {@code train-images-idx3-ubyte[.gz]} and
 * {@code train-labels-idx1-ubyte[.gz]} are used, or the {@code t10k-…} pair for the test split —
 * or an images file, whose labels file is looked for beside it by name ({@code images-idx3} →
 * {@code labels-idx1}); without one the images are unlabelled. Magic numbers, dimensions, lengths
 * and label values are checked on opening; a short file is reported with the bytes expected and
 * found. Class names are Fashion-MNIST's when the folder (or file) name contains "fashion", else
 * the digits.
 *
 * <p>The decompressed images are held in memory (47 MB for the 60,000 training images).
 */
public final class IdxSource implements ImageSource {
    public static final int IMAGES_MAGIC = 0x00000803;
    public static final int LABELS_MAGIC = 0x00000801;
    public static final List<String> FASHION_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress",
            "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

    private final Path imagesFile;
    private final byte[] images;
    private final int count;
    private final int rows;
    private final int cols;
    private final byte[] labels; // null when unlabelled
    private final List<String> classNames;

    private IdxSource(Path imagesFile, byte[] images, int count, int rows, int cols, byte[] labels,
            List<String> classNames) {
        this.imagesFile = imagesFile;
        this.images = images;
        this.count = count;
        this.rows = rows;
        this.cols = cols;
        this.labels = labels;
        this.classNames = classNames;
    }

    /** The training split of a folder, or the given images file. */
    public static IdxSource open(Path path) {
        return open(path, false);
    }

    /** {@code test = true} picks the {@code t10k} files when {@code path} is a folder. */
    public static IdxSource open(Path path, boolean test) {
        if (!Files.exists(path)) {
            throw new DataException("IDX path does not exist: " + path);
        }
        Path imagesFile;
        Path labelsFile;
        if (Files.isDirectory(path)) {
            String split = test ? "t10k" : "train";
            imagesFile = find(path, split + "-images-idx3-ubyte", split + "-images.idx3-ubyte");
            if (imagesFile == null) {
                throw new DataException("no IDX images file in " + path + ": expected " + split
                        + "-images-idx3-ubyte or " + split + "-images-idx3-ubyte.gz");
            }
            labelsFile = find(path, split + "-labels-idx1-ubyte", split + "-labels.idx1-ubyte");
            if (labelsFile == null) {
                throw new DataException("no IDX labels file in " + path + ": expected " + split
                        + "-labels-idx1-ubyte or " + split + "-labels-idx1-ubyte.gz beside " + imagesFile.getFileName());
            }
        } else {
            imagesFile = path;
            labelsFile = labelsBeside(path);
        }

        byte[] img = readAll(imagesFile);
        if (img.length < 16) {
            throw new DataException("IDX images file " + imagesFile + " is truncated: expected at least 16 header"
                    + " bytes, found " + img.length);
        }
        int magic = readInt(img, 0);
        if (magic != IMAGES_MAGIC) {
            throw new DataException(String.format(Locale.ROOT,
                    "IDX images file %s starts with magic 0x%08X; expected 0x%08X (unsigned-byte images, 3"
                            + " dimensions)%s", imagesFile, magic, IMAGES_MAGIC,
                    magic == LABELS_MAGIC ? " — this is a labels file" : ""));
        }
        int n = readInt(img, 4);
        int r = readInt(img, 8);
        int c = readInt(img, 12);
        if (n < 0 || r <= 0 || c <= 0) {
            throw new DataException("IDX images file " + imagesFile + " has invalid dimensions " + n + " x " + r
                    + " x " + c + "; expected a count >= 0 and positive rows and columns");
        }
        long expected = 16L + (long) n * r * c;
        if (img.length != expected) {
            throw new DataException("IDX images file " + imagesFile + " is "
                    + (img.length < expected ? "truncated" : "longer than its header says") + ": expected "
                    + expected + " bytes (16-byte header + " + n + " images of " + r + "x" + c + "), found "
                    + img.length);
        }

        byte[] lab = null;
        int maxLabel = -1;
        if (labelsFile != null) {
            byte[] raw = readAll(labelsFile);
            if (raw.length < 8) {
                throw new DataException("IDX labels file " + labelsFile + " is truncated: expected at least 8"
                        + " header bytes, found " + raw.length);
            }
            int lm = readInt(raw, 0);
            if (lm != LABELS_MAGIC) {
                throw new DataException(String.format(Locale.ROOT,
                        "IDX labels file %s starts with magic 0x%08X; expected 0x%08X (unsigned-byte labels,"
                                + " 1 dimension)", labelsFile, lm, LABELS_MAGIC));
            }
            int ln = readInt(raw, 4);
            if (ln != n) {
                throw new DataException("IDX labels file " + labelsFile + " has " + ln + " labels but "
                        + imagesFile + " has " + n + " images");
            }
            if (raw.length != 8L + n) {
                throw new DataException("IDX labels file " + labelsFile + " is "
                        + (raw.length < 8L + n ? "truncated" : "longer than its header says") + ": expected "
                        + (8L + n) + " bytes (8-byte header + " + n + " labels), found " + raw.length);
            }
            lab = new byte[n];
            System.arraycopy(raw, 8, lab, 0, n);
            for (byte b : lab) {
                maxLabel = Math.max(maxLabel, b & 0xFF);
            }
        }

        List<String> names;
        if (lab == null) {
            names = List.of();
        } else if (isFashion(imagesFile)) {
            if (maxLabel >= FASHION_CLASSES.size()) {
                throw new DataException("IDX labels file " + labelsFile + " has label " + maxLabel
                        + "; Fashion-MNIST labels are 0..9");
            }
            names = FASHION_CLASSES;
        } else {
            List<String> digits = new ArrayList<>();
            for (int k = 0; k <= Math.max(9, maxLabel); k++) {
                digits.add(Integer.toString(k));
            }
            names = List.copyOf(digits);
        }
        return new IdxSource(imagesFile, img, n, r, c, lab, names);
    }

    private static boolean isFashion(Path imagesFile) {
        Path abs = imagesFile.toAbsolutePath();
        Path dir = abs.getParent();
        String names = abs.getFileName() + "/" + (dir != null && dir.getFileName() != null ? dir.getFileName() : "");
        return names.toLowerCase(Locale.ROOT).contains("fashion");
    }

    private static Path find(Path dir, String... bases) {
        for (String b : bases) {
            for (String name : new String[] {b, b + ".gz"}) {
                Path p = dir.resolve(name);
                if (Files.isRegularFile(p)) {
                    return p;
                }
            }
        }
        return null;
    }

    private static Path labelsBeside(Path imagesFile) {
        String name = imagesFile.getFileName().toString();
        String ln = name.replace("images-idx3", "labels-idx1").replace("images.idx3", "labels.idx1");
        if (ln.equals(name)) {
            return null;
        }
        Path dir = imagesFile.toAbsolutePath().getParent();
        String base = ln.endsWith(".gz") ? ln.substring(0, ln.length() - 3) : ln;
        return find(dir, base);
    }

    private static byte[] readAll(Path file) {
        boolean gz = file.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".gz");
        try {
            if (!gz) {
                return Files.readAllBytes(file);
            }
            try (InputStream in = new GZIPInputStream(Files.newInputStream(file), 1 << 16)) {
                return in.readAllBytes();
            }
        } catch (EOFException e) {
            throw new DataException("IDX file " + file + " is truncated: the gzip stream ends early ("
                    + e.getMessage() + ")", e);
        } catch (ZipException e) {
            throw new DataException("IDX file " + file + " is not valid gzip: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new DataException("cannot read IDX file " + file + ": " + e.getMessage(), e);
        }
    }

    private static int readInt(byte[] b, int off) {
        return ((b[off] & 0xFF) << 24) | ((b[off + 1] & 0xFF) << 16) | ((b[off + 2] & 0xFF) << 8) | (b[off + 3] & 0xFF);
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    public int channels() {
        return 1;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public Path imagesFile() {
        return imagesFile;
    }

    @Override
    public String describe() {
        return "IDX " + imagesFile + ": " + count + " images of " + rows + "x" + cols + " gray, "
                + (labels == null ? "unlabelled" : classNames.size() + " classes");
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    @Override
    public int label(int i) {
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException("image " + i + " of " + count);
        }
        return labels == null ? 0 : labels[i] & 0xFF;
    }

    @Override
    public Pixels pixels(int i) {
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException("image " + i + " of " + count);
        }
        return Pixels.fromBytes(images, 16 + i * rows * cols, cols, rows, 1);
    }
}

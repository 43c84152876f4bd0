package io.ldmstudio.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Stream;

/**
 * CIFAR-10 in its binary form: files of 3,073-byte records (1 label byte, then 1,024 red, 1,024
 * green and 1,024 blue bytes of a 32×32 image, row-major — already CHW).
 *
 * <p>The path may be one such file, or a folder holding {@code data_batch_1.bin … data_batch_5.bin}
 * (training split, in batch-number order) or {@code test_batch.bin} (test split); a folder that
 * holds the extracted {@code cifar-10-batches-bin} sub-folder works too. Class names come from
 * {@code batches.meta.txt} beside the files when present, else the standard ten.
 *
 * <p>Files are memory-mapped, not read into the heap; labels are checked when the source opens.
 */
public final class Cifar10Source implements ImageSource {
    public static final int SIDE = 32;
    public static final int RECORD_BYTES = 1 + 3 * SIDE * SIDE;
    public static final List<String> CLASSES = List.of("airplane", "automobile", "bird", "cat", "deer",
            "dog", "frog", "horse", "ship", "truck");

    private final Path path;
    private final List<Path> files;
    private final ByteBuffer[] maps;
    private final int[] starts; // first global index of each file, plus the total at the end
    private final byte[] labels;
    private final List<String> classNames;

    private Cifar10Source(Path path, List<Path> files, ByteBuffer[] maps, int[] starts, byte[] labels,
            List<String> classNames) {
        this.path = path;
        this.files = files;
        this.maps = maps;
        this.starts = starts;
        this.labels = labels;
        this.classNames = classNames;
    }

    /** The training split of a folder, or the given file. */
    public static Cifar10Source open(Path path) {
        return open(path, false);
    }

    /** {@code test = true} picks {@code test_batch.bin} when {@code path} is a folder. */
    public static Cifar10Source open(Path path, boolean test) {
        if (!Files.exists(path)) {
            throw new DataException("CIFAR-10 path does not exist: " + path);
        }
        List<Path> files = Files.isDirectory(path) ? findBatches(path, test) : List.of(path);
        Path metaDir = files.get(0).toAbsolutePath().getParent();
        List<String> names = readMeta(metaDir.resolve("batches.meta.txt"));

        ByteBuffer[] maps = new ByteBuffer[files.size()];
        int[] starts = new int[files.size() + 1];
        long total = 0;
        for (int f = 0; f < files.size(); f++) {
            Path file = files.get(f);
            long size;
            try {
                size = Files.size(file);
            } catch (IOException e) {
                throw new DataException("cannot read CIFAR-10 file " + file + ": " + e.getMessage(), e);
            }
            if (size == 0 || size % RECORD_BYTES != 0) {
                throw new DataException("CIFAR-10 file " + file + " has " + size + " bytes; expected a positive"
                        + " multiple of " + RECORD_BYTES + " (records of 1 label byte + 3,072 pixel bytes of a"
                        + " 32x32 RGB image)" + (size == 0 ? "" : ", but " + (size % RECORD_BYTES)
                        + " bytes are left over — truncated, or not a CIFAR-10 binary batch"));
            }
            if (size > Integer.MAX_VALUE) {
                throw new DataException("CIFAR-10 file " + file + " is larger than 2 GiB (" + size + " bytes)");
            }
            try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
                maps[f] = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
            } catch (IOException e) {
                throw new DataException("cannot read CIFAR-10 file " + file + ": " + e.getMessage(), e);
            }
            starts[f] = (int) total;
            total += size / RECORD_BYTES;
            if (total > Integer.MAX_VALUE) {
                throw new DataException("too many CIFAR-10 records under " + path);
            }
        }
        starts[files.size()] = (int) total;
        byte[] labels = new byte[(int) total];
        for (int f = 0; f < files.size(); f++) {
            int n = starts[f + 1] - starts[f];
            for (int r = 0; r < n; r++) {
                int lab = maps[f].get(r * RECORD_BYTES) & 0xFF;
                if (lab >= names.size()) {
                    throw new DataException("CIFAR-10 file " + files.get(f) + ", record " + r + ": label "
                            + lab + " is outside 0.." + (names.size() - 1) + " (" + names.size() + " classes)");
                }
                labels[starts[f] + r] = (byte) lab;
            }
        }
        return new Cifar10Source(path, List.copyOf(files), maps, starts, labels, names);
    }

    private static List<Path> findBatches(Path dir, boolean test) {
        List<Path> found = listBatches(dir, test);
        if (found.isEmpty() && Files.isDirectory(dir.resolve("cifar-10-batches-bin"))) {
            found = listBatches(dir.resolve("cifar-10-batches-bin"), test);
        }
        if (found.isEmpty()) {
            throw new DataException("no CIFAR-10 " + (test ? "test" : "training") + " batches in " + dir
                    + ": expected " + (test ? "test_batch.bin" : "data_batch_1.bin … data_batch_5.bin")
                    + " (the binary version, cifar-10-binary.tar.gz)");
        }
        return found;
    }

    private static List<Path> listBatches(Path dir, boolean test) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile)
                    .filter(p -> {
                        String n = p.getFileName().toString();
                        return test ? n.equals("test_batch.bin") : n.matches("data_batch_\\d+\\.bin");
                    })
                    .sorted(Comparator.comparingInt((Path p) -> batchNumber(p)).thenComparing(Path::toString))
                    .toList();
        } catch (IOException e) {
            throw new DataException("cannot list " + dir + ": " + e.getMessage(), e);
        }
    }

    private static int batchNumber(Path p) {
        String digits = p.getFileName().toString().replaceAll("\\D", "");
        try {
            return digits.isEmpty() ? 0 : Integer.parseInt(digits);
        } catch (NumberFormatException e) {
            return Integer.MAX_VALUE;
        }
    }

    private static List<String> readMeta(Path meta) {
        if (!Files.isRegularFile(meta)) {
            return CLASSES;
        }
        try {
            List<String> names = new ArrayList<>();
            for (String line : Files.readAllLines(meta, StandardCharsets.UTF_8)) {
                if (!line.isBlank()) {
                    names.add(line.strip());
                }
            }
            return names.isEmpty() ? CLASSES : List.copyOf(names);
        } catch (IOException e) {
            throw new DataException("cannot read " + meta + ": " + e.getMessage(), e);
        }
    }

    @Override
    public int size() {
        return labels.length;
    }

    @Override
    public int channels() {
        return 3;
    }

    @Override
    public String describe() {
        return "CIFAR-10 binary " + path + ": " + size() + " images of 32x32 RGB in " + files.size() + " file"
                + (files.size() == 1 ? "" : "s") + ", " + classNames.size() + " classes";
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    @Override
    public int label(int i) {
        return labels[i];
    }

    public List<Path> files() {
        return files;
    }

    @Override
    public Pixels pixels(int i) {
        if (i < 0 || i >= labels.length) {
            throw new IndexOutOfBoundsException("image " + i + " of " + labels.length);
        }
        int f = fileOf(i);
        int offset = (i - starts[f]) * RECORD_BYTES + 1;
        byte[] buf = new byte[RECORD_BYTES - 1];
        maps[f].get(offset, buf); // absolute bulk get: no shared position, safe across threads
        return Pixels.fromBytes(buf, 0, SIDE, SIDE, 3);
    }

    private int fileOf(int i) {
        int lo = 0;
        int hi = maps.length - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (starts[mid] <= i) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }
}

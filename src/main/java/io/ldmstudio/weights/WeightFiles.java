package io.ldmstudio.weights;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What the studio accepts as a weight file, and how it writes one.
 *
 * <p>Weights are only ever read from safetensors. PyTorch pickle files ({@code .ckpt}, {@code
 * .bin}, {@code .pt}, {@code .pth}) can run arbitrary code when loaded, so they are refused with a
 * hint on how to convert them. Files are written through {@link #writeAtomically}: a crash or an
 * error mid-way never leaves a half-written file at the target name.
 */
public final class WeightFiles {

    /** Extensions of PyTorch pickle checkpoints, which the studio never loads. */
    public static final Set<String> PICKLE_EXTENSIONS = Set.of("ckpt", "bin", "pt", "pth", "pkl", "pickle");

    /** How to turn a pickle checkpoint into a file the studio can read. */
    public static final String CONVERSION_HINT = "convert it to safetensors first, e.g. in Python: "
            + "safetensors.torch.save_file(torch.load(path, weights_only=True), \"model.safetensors\") "
            + "(for a .ckpt, save its [\"state_dict\"]), or for a diffusers model folder: "
            + "model.save_pretrained(folder, safe_serialization=True)";

    private WeightFiles() {}

    /**
     * A weight file that cannot be used: not safetensors, malformed, truncated, or a pickle file.
     * The message names the file and says what was expected.
     */
    public static final class WeightFileException extends IOException {
        private static final long serialVersionUID = 1L;
        private final transient Path file;

        public WeightFileException(Path file, String problem) {
            super(file + ": " + problem);
            this.file = file;
        }

        public WeightFileException(Path file, String problem, Throwable cause) {
            super(file + ": " + problem, cause);
            this.file = file;
        }

        /** The offending file. */
        public Path file() {
            return file;
        }
    }

    /**
     * Refuses PyTorch pickle files: by extension ({@link #PICKLE_EXTENSIONS}) and, whatever the
     * name, by content — a zip archive (what {@code torch.save} writes since 1.6) or a raw pickle
     * stream (older {@code torch.save}). A missing file passes (the reader reports it).
     *
     * @throws WeightFileException naming the file, with {@link #CONVERSION_HINT}
     */
    public static void checkNotPickle(Path file) throws WeightFileException {
        String name = file.getFileName() == null ? "" : file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        String ext = dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
        if (PICKLE_EXTENSIONS.contains(ext)) {
            throw new WeightFileException(file, "is a PyTorch pickle checkpoint (." + ext
                    + "); the studio never loads pickle files because they can run code. To use it, "
                    + CONVERSION_HINT);
        }
        byte[] head = new byte[9];
        int n = 0;
        if (Files.isRegularFile(file)) {
            try (InputStream in = Files.newInputStream(file)) {
                n = in.readNBytes(head, 0, head.length);
            } catch (IOException e) {
                return; // unreadable: the reader will say so
            }
        }
        // A safetensors file has '{' right after its 8-byte header length; that rules out a clash
        // with the magic numbers below (a header of 640 bytes also starts 0x80 0x02).
        boolean looksSafetensors = n == 9 && head[8] == '{';
        if (looksSafetensors || n < 4) {
            return;
        }
        if (head[0] == 'P' && head[1] == 'K' && head[2] == 3 && head[3] == 4) {
            throw new WeightFileException(file, "is a zip archive, which is how torch.save stores a "
                    + "pickle checkpoint, not safetensors; the studio never loads pickle files. To use it, "
                    + CONVERSION_HINT);
        }
        if ((head[0] & 0xFF) == 0x80 && head[1] >= 2 && head[1] <= 5 && head[2] != 0) { // 0 is no opcode
            throw new WeightFileException(file, "starts like a Python pickle (protocol " + head[1]
                    + "), not safetensors; the studio never loads pickle files. To use it, " + CONVERSION_HINT);
        }
    }

    /** Writes the content of a file through an open channel. */
    @FunctionalInterface
    public interface ChannelWriter {
        void write(FileChannel channel) throws IOException;
    }

    /**
     * Writes {@code target} all at once: {@code writer} fills a new temporary file in the same
     * folder, which is flushed to disk and then moved onto {@code target} atomically (replacing a
     * previous file). If {@code writer} throws, or the process dies, the temporary file is deleted
     * (or at worst left behind under a hidden {@code .name.*.tmp} name) and {@code target} is
     * untouched. The folder must exist.
     */
    public static void writeAtomically(Path target, ChannelWriter writer) throws IOException {
        Path abs = target.toAbsolutePath();
        Path dir = abs.getParent();
        if (dir == null || !Files.isDirectory(dir)) {
            throw new NoSuchFileException(String.valueOf(dir), null, "the folder for " + target + " does not exist");
        }
        String base = abs.getFileName().toString();
        Path tmp = null;
        for (int attempt = 0; tmp == null; attempt++) {
            Path candidate = dir.resolve("." + base + "." + Long.toHexString(ThreadLocalRandom.current().nextLong()) + ".tmp");
            try {
                // CREATE_NEW (not createTempFile) so the file gets ordinary permissions, not 0600
                FileChannel.open(candidate, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE).close();
                tmp = candidate;
            } catch (java.nio.file.FileAlreadyExistsException e) {
                if (attempt > 10) throw e;
            }
        }
        boolean moved = false;
        try {
            try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
                writer.write(ch);
                ch.force(true);
            }
            try {
                Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING); // best this file system offers
            }
            moved = true;
        } finally {
            if (!moved) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException suppressed) {
                    // keep the original failure
                }
            }
        }
        syncFolder(dir);
    }

    /** Makes the rename durable where the platform allows opening a folder (Linux, macOS). */
    private static void syncFolder(Path dir) {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException | RuntimeException ignored) {
            // not supported here (e.g. Windows); the rename itself is still atomic
        }
    }

    /** Adds "what (n): a, b, … k more" on a line of its own to a weight-mismatch message (at most 12 names). */
    /**
     * The values of {@code tensor} (read from {@code file}) as float32, checked to be finite: a NaN or
     * an infinity anywhere (a diverged or corrupted save) is refused rather than loaded, so nothing
     * computes with it. One pass over the converted values.
     *
     * @throws WeightFileException naming the file and the tensor, with how many values are bad
     */
    public static float[] finiteValues(Path file, TensorData tensor) throws WeightFileException {
        float[] values = tensor.toFloatArray();
        int nan = 0;
        int inf = 0;
        int first = -1;
        for (int i = 0; i < values.length; i++) {
            float v = values[i];
            if (!Float.isFinite(v)) {
                if (first < 0) {
                    first = i;
                }
                if (Float.isNaN(v)) {
                    nan++;
                } else {
                    inf++;
                }
            }
        }
        if (first >= 0) {
            int bad = nan + inf;
            throw new WeightFileException(file, "tensor '" + tensor.name() + "' has " + bad + " non-finite value"
                    + (bad == 1 ? "" : "s") + " (NaN or Inf: " + nan + " NaN, " + inf + " Inf"
                    + (tensor.dtype().equals("F64") ? " or beyond float32's range" : "") + ") among its "
                    + values.length + ", the first at index " + first + ": the weights are corrupt");
        }
        return values;
    }

    /**
     * Reads every tensor of a safetensors file, one at a time, and refuses the file if any holds a
     * NaN or an infinity ({@link #finiteValues}): lets a caller find corrupt weights before it
     * commits to something (a new run) that would load them later.
     */
    public static void checkFinite(Path file) throws IOException {
        SafeTensors.Contents contents = SafeTensors.read(file);
        for (String name : contents.tensors().keySet()) {
            contents.finiteValues(name);
        }
    }

    static void appendList(StringBuilder sb, String what, java.util.List<String> names) {
        if (names.isEmpty()) {
            return;
        }
        sb.append("\n  ").append(what).append(" (").append(names.size()).append("): ");
        int shown = Math.min(names.size(), 12);
        sb.append(String.join(", ", names.subList(0, shown)));
        if (names.size() > shown) {
            sb.append(", … ").append(names.size() - shown).append(" more");
        }
    }
}

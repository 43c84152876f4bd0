package io.ldmstudio.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * NumPy's {@code .npy} files of float32 arrays (format versions 1.0, 2.0 and 3.0, C order), the way a
 * tensor moves between the studio and a Python session: {@code np.save("x.npy", x.astype(np.float32))}
 * and {@code np.load}. Any other dtype or Fortran order is refused with the file and what was found.
 */
public final class Npy {
    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npy() {}

    /** A float32 array: its shape and its values in C order. */
    public record Array(long[] shape, float[] data) {
        public Array {
            shape = shape.clone();
            long n = 1;
            for (long d : shape) {
                if (d < 0) {
                    throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
                }
                n = Math.multiplyExact(n, d);
            }
            if (n != data.length) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n + " values, not "
                        + data.length);
            }
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        /** The shape as NumPy prints it: {@code (2, 4, 8, 8)}. */
        public String shapeText() {
            return text(shape);
        }
    }

    /** Reads a float32 {@code .npy}; each problem names the file and what was expected. */
    public static Array read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        if (bytes.length < 10 || !Arrays.equals(Arrays.copyOf(bytes, 6), MAGIC)) {
            throw new IOException(file + ": not a NumPy .npy file (it does not begin with \\x93NUMPY); save one with "
                    + "np.save(path, array.astype(np.float32))");
        }
        int major = bytes[6] & 0xff;
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        long headerLen;
        int offset;
        if (major == 1) {
            headerLen = b.getShort(8) & 0xffff;
            offset = 10;
        } else if (major == 2 || major == 3) {
            if (bytes.length < 12) {
                throw new IOException(file + ": truncated .npy header");
            }
            headerLen = b.getInt(8) & 0xffffffffL;
            offset = 12;
        } else {
            throw new IOException(file + ": .npy format version " + major + " is not one the studio reads (1, 2 or 3)");
        }
        if (offset + headerLen > bytes.length) {
            throw new IOException(file + ": truncated .npy header (" + headerLen + " bytes announced, "
                    + (bytes.length - offset) + " there)");
        }
        String header = new String(bytes, offset, (int) headerLen,
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        String descr = group(DESCR, header, file, "descr");
        if (!descr.equals("<f4") && !descr.equals("=f4") && !(descr.equals("|f4"))) {
            throw new IOException(file + ": dtype '" + descr + "' where float32 ('<f4') was expected; save it with "
                    + "array.astype(np.float32)");
        }
        if (group(FORTRAN, header, file, "fortran_order").equals("True")) {
            throw new IOException(file + ": Fortran order; save a C-ordered array (np.ascontiguousarray(array))");
        }
        String dims = group(SHAPE, header, file, "shape").trim();
        long[] shape = dims.isEmpty() ? new long[0]
                : Arrays.stream(dims.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                        .mapToLong(s -> parseDim(s, file)).toArray();
        long count = 1;
        for (long d : shape) {
            count = Math.multiplyExact(count, d);
        }
        int dataStart = offset + (int) headerLen;
        long have = (bytes.length - dataStart) / 4;
        if (have < count) {
            throw new IOException(file + ": truncated: shape " + text(shape) + " needs " + count + " float32 values, the file"
                    + " holds " + have);
        }
        if (count > Integer.MAX_VALUE) {
            throw new IOException(file + ": " + count + " values is more than the studio reads at once");
        }
        float[] data = new float[(int) count];
        b.position(dataStart);
        b.asFloatBuffer().get(data);
        return new Array(shape, data);
    }

    /** Writes a float32 {@code .npy} (format 1.0, C order) that {@code np.load} reads. */
    public static void write(Path file, long[] shape, float[] data) throws IOException {
        Array a = new Array(shape, data); // checks the count
        String dict = "{'descr': '<f4', 'fortran_order': False, 'shape': " + text(a.shape) + ", }";
        int unpadded = 10 + dict.length() + 1;
        int pad = (64 - unpadded % 64) % 64; // the header ends on a 64-byte boundary, as NumPy writes it
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer out = ByteBuffer.allocate(10 + header.length() + 4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
        out.put(header.getBytes(StandardCharsets.ISO_8859_1));
        out.asFloatBuffer().put(data);
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        Files.write(file, out.array());
    }

    private static String text(long[] shape) {
        if (shape.length == 1) {
            return "(" + shape[0] + ",)";
        }
        StringBuilder s = new StringBuilder("(");
        for (int i = 0; i < shape.length; i++) {
            s.append(i == 0 ? "" : ", ").append(shape[i]);
        }
        return s.append(')').toString();
    }

    private static long parseDim(String s, Path file) {
        try {
            return Long.parseLong(s.toUpperCase(Locale.ROOT).replace("L", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(file + ": shape entry '" + s + "' is not a number");
        }
    }

    private static String group(Pattern p, String header, Path file, String key) throws IOException {
        Matcher m = p.matcher(header);
        if (!m.find()) {
            throw new IOException(file + ": the .npy header has no '" + key + "' (" + header.trim() + ")");
        }
        return m.group(1);
    }
}

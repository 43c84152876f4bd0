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
 * {@link #decodeFloat64} and {@link #encodeFloat64} do the same for float64 arrays held in memory, the
 * entries of an {@code .npz} (FID statistics, {@code io.ldmstudio.eval.FeatureStats}).
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
            shape = checkedShape(shape, data.length);
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

    /** A copy of {@code shape}, refused when a dimension is negative or the shape does not hold {@code values}. */
    private static long[] checkedShape(long[] shape, int values) {
        long[] copy = shape.clone();
        long n = 1;
        for (long d : copy) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(copy));
            }
            n = Math.multiplyExact(n, d);
        }
        if (n != values) {
            throw new IllegalArgumentException("shape " + Arrays.toString(copy) + " holds " + n + " values, not " + values);
        }
        return copy;
    }

    /** Reads a float32 {@code .npy}; each problem names the file and what was expected. */
    public static Array read(Path file) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        Header h = header(bytes, file.toString(), "np.save(path, array.astype(np.float32))");
        if (!h.descr.equals("<f4") && !h.descr.equals("=f4") && !(h.descr.equals("|f4"))) {
            throw new IOException(file + ": dtype '" + h.descr + "' where float32 ('<f4') was expected; save it with "
                    + "array.astype(np.float32)");
        }
        h.checkOrderAndSize(4, "float32");
        float[] data = new float[(int) h.count];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).position(h.dataStart).asFloatBuffer().get(data);
        return new Array(h.shape, data);
    }

    /** A float64 array: its shape and its values in C order. */
    public record Float64Array(long[] shape, double[] data) {
        public Float64Array {
            shape = checkedShape(shape, data.length);
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

    /**
     * Decodes the bytes of a float64 or float32 {@code .npy} (an entry of an {@code .npz}, say) as doubles;
     * float32 values are widened exactly. Each problem names {@code source} and what was expected.
     */
    public static Float64Array decodeFloat64(byte[] bytes, String source) throws IOException {
        Header h = header(bytes, source, "np.save(path, array.astype(np.float64))");
        boolean f8 = h.descr.equals("<f8") || h.descr.equals("=f8");
        boolean f4 = h.descr.equals("<f4") || h.descr.equals("=f4");
        if (!f8 && !f4) {
            throw new IOException(source + ": dtype '" + h.descr + "' where float64 ('<f8') or float32 ('<f4') was "
                    + "expected; save it with array.astype(np.float64)");
        }
        h.checkOrderAndSize(f8 ? 8 : 4, f8 ? "float64" : "float32");
        double[] data = new double[(int) h.count];
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).position(h.dataStart);
        if (f8) {
            b.asDoubleBuffer().get(data);
        } else {
            var fb = b.asFloatBuffer();
            for (int i = 0; i < data.length; i++) {
                data[i] = fb.get(i);
            }
        }
        return new Float64Array(h.shape, data);
    }

    /** The bytes of a float64 {@code .npy} (format 1.0, C order, {@code '<f8'}), as {@code np.save} writes them. */
    public static byte[] encodeFloat64(long[] shape, double[] data) {
        Float64Array a = new Float64Array(shape, data); // checks the count
        byte[] header = headerBytes("<f8", a.shape);
        ByteBuffer out = ByteBuffer.allocate(header.length + 8 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(header);
        out.asDoubleBuffer().put(data);
        return out.array();
    }

    private static final class Header {
        final String source;
        final String descr;
        final boolean fortran;
        final long[] shape;
        final long count;
        final int dataStart;
        final int available;

        Header(String source, String descr, boolean fortran, long[] shape, long count, int dataStart, int available) {
            this.source = source;
            this.descr = descr;
            this.fortran = fortran;
            this.shape = shape;
            this.count = count;
            this.dataStart = dataStart;
            this.available = available;
        }

        void checkOrderAndSize(int bytesPerValue, String dtype) throws IOException {
            if (fortran) {
                throw new IOException(source + ": Fortran order; save a C-ordered array (np.ascontiguousarray(array))");
            }
            long have = available / bytesPerValue;
            if (have < count) {
                throw new IOException(source + ": truncated: shape " + text(shape) + " needs " + count + " " + dtype
                        + " values, the file holds " + have);
            }
            if (count > Integer.MAX_VALUE) {
                throw new IOException(source + ": " + count + " values is more than the studio reads at once");
            }
        }
    }

    private static Header header(byte[] bytes, String source, String howToSave) throws IOException {
        if (bytes.length < 10 || !Arrays.equals(Arrays.copyOf(bytes, 6), MAGIC)) {
            throw new IOException(source + ": not a NumPy .npy file (it does not begin with \\x93NUMPY); save one with "
                    + howToSave);
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
                throw new IOException(source + ": truncated .npy header");
            }
            headerLen = b.getInt(8) & 0xffffffffL;
            offset = 12;
        } else {
            throw new IOException(source + ": .npy format version " + major + " is not one the studio reads (1, 2 or 3)");
        }
        if (offset + headerLen > bytes.length) {
            throw new IOException(source + ": truncated .npy header (" + headerLen + " bytes announced, "
                    + (bytes.length - offset) + " there)");
        }
        String header = new String(bytes, offset, (int) headerLen,
                major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        String descr = group(DESCR, header, source, "descr");
        boolean fortran = group(FORTRAN, header, source, "fortran_order").equals("True");
        String dims = group(SHAPE, header, source, "shape").trim();
        long[] shape = dims.isEmpty() ? new long[0]
                : Arrays.stream(dims.split(",")).map(String::trim).filter(s -> !s.isEmpty())
                        .mapToLong(s -> parseDim(s, source)).toArray();
        long count = 1;
        for (long d : shape) {
            count = Math.multiplyExact(count, d);
        }
        int dataStart = offset + (int) headerLen;
        return new Header(source, descr, fortran, shape, count, dataStart, bytes.length - dataStart);
    }

    private static byte[] headerBytes(String descr, long[] shape) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + text(shape) + ", }";
        int unpadded = 10 + dict.length() + 1;
        int pad = (64 - unpadded % 64) % 64; // the header ends on a 64-byte boundary, as NumPy writes it
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer out = ByteBuffer.allocate(10 + header.length()).order(ByteOrder.LITTLE_ENDIAN);
        out.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) header.length());
        out.put(header.getBytes(StandardCharsets.ISO_8859_1));
        return out.array();
    }

    /** Writes a float32 {@code .npy} (format 1.0, C order) that {@code np.load} reads. */
    public static void write(Path file, long[] shape, float[] data) throws IOException {
        Array a = new Array(shape, data); // checks the count
        byte[] header = headerBytes("<f4", a.shape);
        ByteBuffer out = ByteBuffer.allocate(header.length + 4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(header);
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

    private static long parseDim(String s, String file) {
        try {
            return Long.parseLong(s.toUpperCase(Locale.ROOT).replace("L", ""));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(file + ": shape entry '" + s + "' is not a number");
        }
    }

    private static String group(Pattern p, String header, String file, String key) throws IOException {
        Matcher m = p.matcher(header);
        if (!m.find()) {
            throw new IOException(file + ": the .npy header has no '" + key + "' (" + header.trim() + ")");
        }
        return m.group(1);
    }
}

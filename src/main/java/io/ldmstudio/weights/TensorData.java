package io.ldmstudio.weights;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One tensor of a safetensors file: its name, dtype (the file's spelling: {@code "F32"}, {@code
 * "F16"}, {@code "BF16"}, {@code "I64"}, ...), shape, and its raw little-endian bytes.
 *
 * <p>The bytes are usually a read-only view of a memory-mapped file, so holding a {@code
 * TensorData} costs no heap; {@link #toFloatArray()} converts on demand, one tensor at a time. Every
 * dtype converts to float32 (integers and bools by value, F64 and large integers rounded).
 *
 * <p>Immutable and safe to read from several threads.
 */
public record TensorData(String name, String dtype, long[] shape, ByteBuffer bytes) {

    /** The dtypes this class reads, as spelled in safetensors headers. */
    public static final List<String> DTYPES = List.of(
            "F64", "F32", "F16", "BF16", "F8_E5M2", "F8_E4M3",
            "I64", "I32", "I16", "I8", "U64", "U32", "U16", "U8", "BOOL");

    /** The dtypes {@link SafeTensors#write} can produce from float32 values. */
    public static final List<String> FLOAT_DTYPES = List.of("F32", "F16", "BF16");

    public TensorData {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(bytes, "bytes");
        int size = elementSize(dtype);
        shape = shape.clone();
        long n = numel(shape);
        if (n > Long.MAX_VALUE / size || bytes.remaining() != n * size) {
            throw new IllegalArgumentException("tensor '" + name + "': " + dtype + " × "
                    + Arrays.toString(shape) + " needs " + n + " × " + size + " bytes, got "
                    + bytes.remaining());
        }
        bytes = bytes.slice().asReadOnlyBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    /** An F32 tensor holding a copy of {@code values}. */
    public static TensorData ofFloats(String name, long[] shape, float[] values) {
        return of(name, "F32", shape, values);
    }

    /** A tensor of {@code dtype} (F32, F16 or BF16) encoding {@code values}, rounding to nearest even. */
    public static TensorData of(String name, String dtype, long[] shape, float[] values) {
        if (!FLOAT_DTYPES.contains(dtype)) {
            throw new IllegalArgumentException("can only encode floats as " + FLOAT_DTYPES + ", not " + dtype);
        }
        long n = numel(shape);
        if (n != values.length) {
            throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape)
                    + " holds " + n + " values, got " + values.length);
        }
        ByteBuffer buf = ByteBuffer.allocate(values.length * elementSize(dtype)).order(ByteOrder.LITTLE_ENDIAN);
        encodeFloats(values, 0, values.length, dtype, buf);
        buf.flip();
        return new TensorData(name, dtype, shape, buf);
    }

    /** Bytes per element of a safetensors dtype; unknown dtypes throw {@link IllegalArgumentException}. */
    public static int elementSize(String dtype) {
        if (dtype == null) {
            throw new IllegalArgumentException("dtype is missing");
        }
        switch (dtype) {
            case "F64": case "I64": case "U64":
                return 8;
            case "F32": case "I32": case "U32":
                return 4;
            case "F16": case "BF16": case "I16": case "U16":
                return 2;
            case "F8_E5M2": case "F8_E4M3": case "I8": case "U8": case "BOOL":
                return 1;
            default:
                throw new IllegalArgumentException("unknown dtype \"" + dtype + "\" (known: "
                        + String.join(", ", DTYPES) + ")");
        }
    }

    /** Number of elements of a shape (1 for a scalar, shape {@code []}). */
    public static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in shape " + Arrays.toString(shape));
            }
            n = Math.multiplyExact(n, d);
        }
        return n;
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    /** A read-only little-endian view of the raw data, positioned at 0. */
    @Override
    public ByteBuffer bytes() {
        return bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN);
    }

    public long numel() {
        return numel(shape);
    }

    public int rank() {
        return shape.length;
    }

    /** Size of the raw data in bytes. */
    public long byteLength() {
        return bytes.remaining();
    }

    public boolean isFloatingPoint() {
        return dtype.startsWith("F") || dtype.equals("BF16");
    }

    /** The values as float32: a new array, converted from whatever dtype the file holds. */
    public float[] toFloatArray() {
        float[] out = new float[count()];
        readFloats(FloatBuffer.wrap(out));
        return out;
    }

    /**
     * Converts the values to float32 into {@code dst} (from its position on; it must have room
     * for {@link #numel()} values). Lets callers fill a direct buffer without an extra float[].
     */
    public void readFloats(FloatBuffer dst) {
        int n = count();
        if (dst.remaining() < n) {
            throw new IllegalArgumentException("tensor '" + name + "' has " + n + " values, buffer has room for "
                    + dst.remaining());
        }
        ByteBuffer b = bytes;
        switch (dtype) {
            case "F32":
                dst.put(b.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer());
                return;
            case "F16":
                for (int i = 0; i < n; i++) dst.put(Half.halfToFloatFast(b.getShort(2 * i)));
                return;
            case "BF16":
                for (int i = 0; i < n; i++) dst.put(Half.bf16ToFloat(b.getShort(2 * i)));
                return;
            case "F64":
                for (int i = 0; i < n; i++) dst.put((float) b.getDouble(8 * i));
                return;
            case "F8_E5M2":
                for (int i = 0; i < n; i++) dst.put(Half.f8e5m2ToFloat(b.get(i)));
                return;
            case "F8_E4M3":
                for (int i = 0; i < n; i++) dst.put(Half.f8e4m3ToFloat(b.get(i)));
                return;
            case "U64":
                for (int i = 0; i < n; i++) dst.put(unsignedToFloat(b.getLong(8 * i)));
                return;
            default:
                for (int i = 0; i < n; i++) dst.put((float) integerAt(i));
        }
    }

    /** The values as float64 (exact for every dtype but I64/U64 beyond 2^53). */
    public double[] toDoubleArray() {
        int n = count();
        double[] out = new double[n];
        if (dtype.equals("F64")) {
            bytes.duplicate().order(ByteOrder.LITTLE_ENDIAN).asDoubleBuffer().get(out);
        } else if (isFloatingPoint()) {
            float[] f = toFloatArray();
            for (int i = 0; i < n; i++) out[i] = f[i];
        } else if (dtype.equals("U64")) {
            for (int i = 0; i < n; i++) {
                long v = bytes.getLong(8 * i);
                out[i] = v >= 0 ? v : (double) (v >>> 1) * 2.0 + (v & 1);
            }
        } else {
            for (int i = 0; i < n; i++) out[i] = integerAt(i);
        }
        return out;
    }

    /**
     * The values of an integer or BOOL tensor as longs (U64 values above 2^63 come out negative, as
     * their two's-complement bits). Floating-point tensors throw {@link IllegalStateException}.
     */
    public long[] toLongArray() {
        if (isFloatingPoint()) {
            throw new IllegalStateException("tensor '" + name + "' is " + dtype + ", not an integer dtype");
        }
        int n = count();
        long[] out = new long[n];
        for (int i = 0; i < n; i++) out[i] = integerAt(i);
        return out;
    }

    private long integerAt(int i) {
        switch (dtype) {
            case "I64": case "U64": return bytes.getLong(8 * i);
            case "I32": return bytes.getInt(4 * i);
            case "U32": return Integer.toUnsignedLong(bytes.getInt(4 * i));
            case "I16": return bytes.getShort(2 * i);
            case "U16": return Short.toUnsignedInt(bytes.getShort(2 * i));
            case "I8": return bytes.get(i);
            case "U8": return Byte.toUnsignedInt(bytes.get(i));
            case "BOOL": return bytes.get(i) != 0 ? 1 : 0;
            default: throw new IllegalStateException("not an integer dtype: " + dtype);
        }
    }

    private static float unsignedToFloat(long v) {
        if (v >= 0) return (float) v;
        return (float) ((v >>> 1) | (v & 1)) * 2f; // keep the sticky bit so rounding stays correct
    }

    private int count() {
        long n = numel(shape);
        if (n > Integer.MAX_VALUE - 8) {
            throw new IllegalStateException("tensor '" + name + "' has " + n + " elements, too many for a Java array");
        }
        return (int) n;
    }

    /** Encodes {@code values[from, from+len)} as {@code dtype} (F32/F16/BF16) into {@code out} (little-endian). */
    static void encodeFloats(float[] values, int from, int len, String dtype, ByteBuffer out) {
        switch (dtype) {
            case "F32": {
                int pos = out.position();
                out.duplicate().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(values, from, len);
                out.position(pos + 4 * len);
                return;
            }
            case "F16":
                for (int i = from; i < from + len; i++) out.putShort(Half.floatToHalf(values[i]));
                return;
            case "BF16":
                for (int i = from; i < from + len; i++) out.putShort(Half.floatToBf16(values[i]));
                return;
            default:
                throw new IllegalArgumentException("can only encode floats as " + FLOAT_DTYPES + ", not " + dtype);
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof TensorData t && name.equals(t.name) && dtype.equals(t.dtype)
                && Arrays.equals(shape, t.shape) && bytes.equals(t.bytes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, dtype, Arrays.hashCode(shape), bytes.remaining());
    }

    @Override
    public String toString() {
        return name + " " + dtype + Arrays.toString(shape);
    }
}

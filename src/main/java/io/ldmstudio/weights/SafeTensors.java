package io.ldmstudio.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.ldmstudio.weights.WeightFiles.WeightFileException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Supplier;

/**
 * Reads and writes safetensors files in pure Java.
 *
 * <p>The format: an 8-byte little-endian unsigned header length N; N bytes of UTF-8 JSON,
 * {@code {"name": {"dtype": "F32", "shape": [2, 3], "data_offsets": [begin, end]}, ...,
 * "__metadata__": {"key": "value"}}}, padded with spaces so the data starts at a multiple of 8; then
 * the raw little-endian data of every tensor, offsets counted from the start of that data. Tensors
 * lie back to back with no gaps or overlaps, and the last one ends where the file ends.
 *
 * <p>Reading memory-maps the file and converts a tensor to float32 only when asked ({@link
 * TensorData#toFloatArray()}), so a large file does not double in RAM. Files over 2 GiB are mapped
 * in several windows; a single tensor must be under 2 GiB. Every problem with a file is reported as
 * a {@link WeightFileException} whose message names the file and says what was expected. Pickle
 * checkpoints are refused ({@link WeightFiles#checkNotPickle}).
 *
 * <p>Writing sorts tensors by name, pads the header to 8 bytes, and goes through {@link
 * WeightFiles#writeAtomically}: the file appears complete or not at all.
 */
public final class SafeTensors {

    /** The reference implementation refuses headers above this size; so does this one. */
    public static final long MAX_HEADER_BYTES = 100_000_000L;

    /** The JSON key of the string → string metadata map. */
    public static final String METADATA_KEY = "__metadata__";

    /** Largest region mapped at once (a {@link ByteBuffer} is indexed by int). */
    static final long MAX_MAPPING_BYTES = Integer.MAX_VALUE;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private SafeTensors() {}

    // ------------------------------------------------------------------------------------------
    // Types

    /** A tensor's entry in the header; {@code begin}/{@code end} are offsets into the data buffer. */
    public record TensorInfo(String name, String dtype, long[] shape, long begin, long end) {
        public TensorInfo {
            shape = shape.clone();
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        public long numel() {
            return TensorData.numel(shape);
        }

        public long byteLength() {
            return end - begin;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof TensorInfo t && name.equals(t.name) && dtype.equals(t.dtype)
                    && Arrays.equals(shape, t.shape) && begin == t.begin && end == t.end;
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, dtype, Arrays.hashCode(shape), begin, end);
        }

        @Override
        public String toString() {
            return name + " " + dtype + Arrays.toString(shape) + " @[" + begin + ", " + end + ")";
        }
    }

    /**
     * A validated header: tensors in file order (by offset), metadata in file order. The data
     * buffer starts at byte {@link #dataStart()} of the file.
     */
    public record Header(Path file, long headerLength, Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        public long dataStart() {
            return 8 + headerLength;
        }

        /** Size of the data buffer, i.e. where the last tensor ends. */
        public long dataLength() {
            long end = 0;
            for (TensorInfo t : tensors.values()) end = Math.max(end, t.end());
            return end;
        }
    }

    /** A file's tensors (in file order, data mapped lazily) and metadata. */
    public record Contents(Path file, Map<String, TensorData> tensors, Map<String, String> metadata) {
        /** The tensor called {@code name}; a missing name throws {@link NoSuchElementException} naming the file. */
        public TensorData tensor(String name) {
            TensorData t = tensors.get(name);
            if (t == null) {
                throw new NoSuchElementException(file + ": no tensor named '" + name + "' (the file has "
                        + tensors.size() + " tensors)");
            }
            return t;
        }

        /**
         * The values of tensor {@code name} as float32, refused with a {@link WeightFileException} naming
         * the file and the tensor when any is NaN or infinite ({@link WeightFiles#finiteValues}).
         */
        public float[] finiteValues(String name) throws WeightFileException {
            return WeightFiles.finiteValues(file, tensor(name));
        }
    }

    /**
     * A float tensor to write: its shape, and a supplier called once, while the file is written,
     * for its values (row-major, {@code numel(shape)} of them). Suppliers let a large model be
     * written one tensor at a time without holding every array in memory.
     */
    public record Source(long[] shape, Supplier<float[]> values) {
        public Source {
            shape = shape.clone();
            long n = TensorData.numel(shape);
            if (n > Integer.MAX_VALUE - 8) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " has too many elements");
            }
            Objects.requireNonNull(values, "values");
        }

        @Override
        public long[] shape() {
            return shape.clone();
        }

        /** Values already in memory (not copied: do not change them until written). */
        public static Source of(float[] values, long... shape) {
            long n = TensorData.numel(shape);
            if (n != values.length) {
                throw new IllegalArgumentException("shape " + Arrays.toString(shape) + " holds " + n
                        + " values, got " + values.length);
            }
            return new Source(shape, () -> values);
        }

        /** A tensor read from a file, converted to float32 when written. */
        public static Source of(TensorData tensor) {
            return new Source(tensor.shape(), tensor::toFloatArray);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Reading

    /** Reads and validates only the header: names, dtypes, shapes, offsets, metadata. */
    public static Header readHeader(Path file) throws IOException {
        WeightFiles.checkNotPickle(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            return readHeader(file, ch);
        }
    }

    /**
     * Opens a file: validates the header, memory-maps the data and returns the tensors in file
     * order. Nothing is converted until asked; the mapping lives as long as the returned tensors.
     */
    public static Contents read(Path file) throws IOException {
        return read(file, MAX_MAPPING_BYTES);
    }

    static Contents read(Path file, long maxMappingBytes) throws IOException {
        WeightFiles.checkNotPickle(file);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header header = readHeader(file, ch);
            List<TensorInfo> infos = new ArrayList<>(header.tensors().values());
            Map<String, TensorData> tensors = new LinkedHashMap<>();
            int i = 0;
            while (i < infos.size()) {
                // Group consecutive tensors into one mapping of at most maxMappingBytes.
                long windowStart = infos.get(i).begin();
                long windowEnd = windowStart;
                int j = i;
                while (j < infos.size() && infos.get(j).end() - windowStart <= maxMappingBytes) {
                    windowEnd = infos.get(j).end();
                    j++;
                }
                if (j == i) {
                    TensorInfo big = infos.get(i);
                    throw new WeightFileException(file, "tensor '" + big.name() + "' is " + big.byteLength()
                            + " bytes; tensors of 2 GiB or more are not supported (expected each tensor under "
                            + maxMappingBytes + " bytes)");
                }
                ByteBuffer window = windowEnd == windowStart
                        ? ByteBuffer.allocate(0)
                        : ch.map(FileChannel.MapMode.READ_ONLY, header.dataStart() + windowStart, windowEnd - windowStart);
                for (int k = i; k < j; k++) {
                    TensorInfo t = infos.get(k);
                    ByteBuffer slice = window.slice((int) (t.begin() - windowStart), (int) t.byteLength());
                    tensors.put(t.name(), new TensorData(t.name(), t.dtype(), t.shape(), slice));
                }
                i = j;
            }
            return new Contents(file, Collections.unmodifiableMap(tensors), header.metadata());
        }
    }

    private static Header readHeader(Path file, FileChannel ch) throws IOException {
        long size = ch.size();
        if (size < 8) {
            throw new WeightFileException(file, "is " + size + " bytes long, too short for a safetensors file "
                    + "(expected an 8-byte little-endian header length, then a JSON header, then the data)");
        }
        ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
        readFully(ch, lenBuf, 0);
        long n = lenBuf.getLong(0);
        if (n < 0 || n > size - 8) {
            throw new WeightFileException(file, "header length field says " + Long.toUnsignedString(n)
                    + " bytes, but the file has only " + (size - 8) + " bytes after it (expected a safetensors "
                    + "file: 8-byte little-endian header length, JSON header, data) — not safetensors, or truncated");
        }
        if (n > MAX_HEADER_BYTES) {
            throw new WeightFileException(file, "header length " + n + " bytes is over the " + MAX_HEADER_BYTES
                    + "-byte limit of the safetensors format — not a safetensors file?");
        }
        if (n < 2) {
            throw new WeightFileException(file, "header is " + n + " bytes long; expected at least a JSON object, {}");
        }
        ByteBuffer json = ByteBuffer.allocate((int) n);
        readFully(ch, json, 8);
        byte[] bytes = json.array();
        if (bytes[0] != '{') {
            throw new WeightFileException(file, "header does not start with '{' (found byte 0x"
                    + Integer.toHexString(bytes[0] & 0xFF) + "); expected a JSON object — not a safetensors file?");
        }
        JsonNode root;
        try (JsonParser parser = JSON.createParser(bytes)) {
            root = JSON.readTree(parser);
            if (parser.nextToken() != null) {
                throw new WeightFileException(file, "header has more JSON after its object, at byte "
                        + parser.currentTokenLocation().getByteOffset() + "; expected one JSON object padded with spaces");
            }
        } catch (JacksonException e) {
            JsonLocation loc = e.getLocation();
            String why = e.getOriginalMessage().replaceAll("\\s*\\(start marker at \\[Source:[^\\]]*\\]\\)", "");
            throw new WeightFileException(file, "header is not valid JSON (" + why
                    + (loc != null && loc.getByteOffset() >= 0 ? ", at byte " + loc.getByteOffset() + " of the header" : "")
                    + "); expected {\"name\": {\"dtype\": ..., \"shape\": [...], \"data_offsets\": [begin, end]}, ...}", e);
        }
        if (root == null || !root.isObject()) {
            throw new WeightFileException(file, "header is not a JSON object");
        }
        long dataLength = size - 8 - n;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<TensorInfo> infos = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            String name = field.getKey();
            JsonNode node = field.getValue();
            if (name.equals(METADATA_KEY)) {
                if (node.isNull()) continue;
                if (!node.isObject()) {
                    throw new WeightFileException(file, "\"" + METADATA_KEY + "\" is not an object; expected string keys and values");
                }
                for (Iterator<Map.Entry<String, JsonNode>> m = node.fields(); m.hasNext(); ) {
                    Map.Entry<String, JsonNode> kv = m.next();
                    if (!kv.getValue().isTextual()) {
                        throw new WeightFileException(file, "metadata value of \"" + kv.getKey() + "\" is "
                                + kv.getValue().getNodeType().toString().toLowerCase() + "; expected a string");
                    }
                    metadata.put(kv.getKey(), kv.getValue().textValue());
                }
                continue;
            }
            infos.add(parseTensor(file, name, node));
        }

        // Offsets: sorted, they must tile [0, dataLength) exactly.
        infos.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long expected = 0;
        TensorInfo previous = null;
        for (TensorInfo t : infos) {
            if (t.begin() < expected) {
                throw new WeightFileException(file, "tensor '" + t.name() + "' data_offsets [" + t.begin() + ", "
                        + t.end() + "] overlap tensor '" + previous.name() + "' [" + previous.begin() + ", "
                        + previous.end() + "]; expected tensors back to back with no overlap");
            }
            if (t.begin() > expected) {
                throw new WeightFileException(file, "tensor '" + t.name() + "' starts at byte " + t.begin()
                        + " of the data, but " + (previous == null ? "the data starts at 0" : "tensor '"
                        + previous.name() + "' ends at " + expected) + "; expected tensors back to back with no gaps");
            }
            if (t.end() > dataLength) {
                throw new WeightFileException(file, "is truncated or its offsets are wrong: tensor '" + t.name()
                        + "' data_offsets [" + t.begin() + ", " + t.end() + "] end past the data, which is "
                        + dataLength + " bytes (expected a file of at least " + (8 + n + t.end())
                        + " bytes, found " + size + ")");
            }
            expected = t.end();
            previous = t;
        }
        if (expected != dataLength) {
            throw new WeightFileException(file, "has " + (dataLength - expected) + " bytes after the last tensor's "
                    + "data (expected the file to end at byte " + (8 + n + expected) + ", it is " + size + " bytes)");
        }

        Map<String, TensorInfo> byName = new LinkedHashMap<>();
        for (TensorInfo t : infos) byName.put(t.name(), t);
        return new Header(file, n, Collections.unmodifiableMap(byName), Collections.unmodifiableMap(metadata));
    }

    private static TensorInfo parseTensor(Path file, String name, JsonNode node) throws WeightFileException {
        String what = "tensor '" + name + "'";
        if (!node.isObject()) {
            throw new WeightFileException(file, what + " is not a JSON object; expected {\"dtype\": ..., "
                    + "\"shape\": [...], \"data_offsets\": [begin, end]}");
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isTextual()) {
            throw new WeightFileException(file, what + " has no \"dtype\" string");
        }
        String dtype = dtypeNode.textValue();
        int elementSize;
        try {
            elementSize = TensorData.elementSize(dtype);
        } catch (IllegalArgumentException e) {
            throw new WeightFileException(file, what + " has " + e.getMessage());
        }
        long[] shape = longArray(file, what, "shape", node.get("shape"), -1);
        long[] offsets = longArray(file, what, "data_offsets", node.get("data_offsets"), 2);
        long begin = offsets[0];
        long end = offsets[1];
        if (end < begin) {
            throw new WeightFileException(file, what + " data_offsets [" + begin + ", " + end
                    + "] end before they begin; expected [begin, end] with begin <= end");
        }
        long numel;
        long needed;
        try {
            numel = TensorData.numel(shape);
            needed = Math.multiplyExact(numel, elementSize);
        } catch (ArithmeticException e) {
            throw new WeightFileException(file, what + " shape " + Arrays.toString(shape) + " is impossibly large");
        }
        if (end - begin != needed) {
            throw new WeightFileException(file, what + " data_offsets [" + begin + ", " + end + "] hold "
                    + (end - begin) + " bytes, but " + dtype + " × " + Arrays.toString(shape) + " needs "
                    + numel + " × " + elementSize + " = " + needed + " bytes");
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static long[] longArray(Path file, String what, String key, JsonNode node, int length)
            throws WeightFileException {
        String expected = length < 0 ? "an array of non-negative integers" : "an array of " + length + " non-negative integers";
        if (node == null || !node.isArray() || (length >= 0 && node.size() != length)) {
            throw new WeightFileException(file, what + " \"" + key + "\" is " + (node == null ? "missing" : node.toString())
                    + "; expected " + expected);
        }
        long[] out = new long[node.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode v = node.get(i);
            if (!v.isIntegralNumber() || !v.canConvertToLong() || v.longValue() < 0) {
                throw new WeightFileException(file, what + " \"" + key + "\" is " + node + "; expected " + expected);
            }
            out[i] = v.longValue();
        }
        return out;
    }

    private static void readFully(FileChannel ch, ByteBuffer dst, long position) throws IOException {
        long pos = position;
        while (dst.hasRemaining()) {
            int r = ch.read(dst, pos);
            if (r < 0) throw new java.io.EOFException();
            pos += r;
        }
    }

    // ------------------------------------------------------------------------------------------
    // Writing

    /**
     * Writes float tensors as {@code dtype} ({@code "F32"}, {@code "F16"} or {@code "BF16"}, rounding
     * to nearest even), sorted by name, with optional string metadata. Each {@link Source} is asked
     * for its values once, in name order, while the file is written. The file is replaced
     * atomically: if anything throws — including a supplier — the previous file at {@code file} is
     * left as it was and the exception propagates.
     */
    public static void write(Path file, Map<String, Source> tensors, Map<String, String> metadata, String dtype)
            throws IOException {
        if (!TensorData.FLOAT_DTYPES.contains(dtype)) {
            throw new IllegalArgumentException("can write " + TensorData.FLOAT_DTYPES + ", not " + dtype);
        }
        List<Planned> plan = new ArrayList<>();
        for (Map.Entry<String, Source> e : tensors.entrySet()) {
            Source s = Objects.requireNonNull(e.getValue(), e.getKey());
            long[] shape = s.shape();
            int n = (int) TensorData.numel(shape);
            String name = e.getKey();
            plan.add(new Planned(name, dtype, shape, (long) n * TensorData.elementSize(dtype), out -> {
                float[] values = s.values().get();
                if (values == null || values.length != n) {
                    throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape)
                            + " holds " + n + " values, but its source gave " + (values == null ? "null" : values.length));
                }
                out.putFloats(values, dtype);
            }));
        }
        writePlanned(file, plan, metadata);
    }

    /** Writes tensors with their own dtypes and bytes unchanged (e.g. to copy or re-tag a file). */
    public static void writeTensors(Path file, Collection<TensorData> tensors, Map<String, String> metadata)
            throws IOException {
        List<Planned> plan = new ArrayList<>();
        for (TensorData t : tensors) {
            plan.add(new Planned(t.name(), t.dtype(), t.shape(), t.byteLength(), out -> out.putBytes(t.bytes())));
        }
        writePlanned(file, plan, metadata);
    }

    /** Orders names as the reference implementation does: by UTF-8 bytes, i.e. by code point. */
    static final Comparator<String> NAME_ORDER = (a, b) -> {
        int i = 0;
        int j = 0;
        while (i < a.length() && j < b.length()) {
            int ca = a.codePointAt(i);
            int cb = b.codePointAt(j);
            if (ca != cb) return Integer.compare(ca, cb);
            i += Character.charCount(ca);
            j += Character.charCount(cb);
        }
        return Integer.compare(a.length() - i, b.length() - j);
    };

    private interface DataWriter {
        void write(Out out) throws IOException;
    }

    private record Planned(String name, String dtype, long[] shape, long byteLength, DataWriter data) {}

    private static void writePlanned(Path file, List<Planned> plan, Map<String, String> metadata) throws IOException {
        plan.sort(Comparator.comparing(Planned::name, NAME_ORDER));
        for (int i = 0; i < plan.size(); i++) {
            String name = plan.get(i).name();
            if (name == null || name.isEmpty() || name.equals(METADATA_KEY)) {
                throw new IllegalArgumentException("invalid tensor name: " + (name == null ? "null" : "\"" + name + "\""));
            }
            if (i > 0 && name.equals(plan.get(i - 1).name())) {
                throw new IllegalArgumentException("two tensors named '" + name + "'");
            }
        }
        byte[] header = encodeHeader(plan, metadata);
        WeightFiles.writeAtomically(file, ch -> {
            Out out = new Out(ch);
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, header.length);
            out.putBytes(len);
            out.putBytes(ByteBuffer.wrap(header));
            long dataStart = 8L + header.length;
            long expected = 0;
            for (Planned p : plan) {
                p.data().write(out);
                expected += p.byteLength();
                if (out.written() - dataStart != expected) {
                    throw new IllegalStateException("tensor '" + p.name() + "' wrote "
                            + (out.written() - dataStart - expected + p.byteLength()) + " bytes, expected " + p.byteLength());
                }
            }
            out.flush();
        });
    }

    private static byte[] encodeHeader(List<Planned> plan, Map<String, String> metadata) throws IOException {
        Map<String, Object> root = new LinkedHashMap<>();
        if (metadata != null && !metadata.isEmpty()) {
            Map<String, String> sorted = new TreeMap<>(NAME_ORDER);
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (e.getKey() == null || e.getValue() == null) {
                    throw new IllegalArgumentException("metadata keys and values must not be null: " + e);
                }
                sorted.put(e.getKey(), e.getValue());
            }
            root.put(METADATA_KEY, sorted);
        }
        long offset = 0;
        for (Planned p : plan) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("dtype", p.dtype());
            entry.put("shape", p.shape());
            entry.put("data_offsets", new long[] {offset, offset + p.byteLength()});
            root.put(p.name(), entry);
            offset += p.byteLength();
        }
        byte[] json = JSON.writeValueAsBytes(root);
        int padded = (json.length + 7) / 8 * 8;
        byte[] header = Arrays.copyOf(json, padded);
        Arrays.fill(header, json.length, padded, (byte) ' ');
        return header;
    }

    /** A buffered little-endian writer over a channel. */
    private static final class Out {
        private final FileChannel ch;
        private final ByteBuffer buf = ByteBuffer.allocate(1 << 20).order(ByteOrder.LITTLE_ENDIAN);
        private long flushed;

        Out(FileChannel ch) {
            this.ch = ch;
        }

        long written() {
            return flushed + buf.position();
        }

        void putFloats(float[] values, String dtype) throws IOException {
            int size = TensorData.elementSize(dtype);
            int i = 0;
            while (i < values.length) {
                if (buf.remaining() < size) flush();
                int len = Math.min(values.length - i, buf.remaining() / size);
                TensorData.encodeFloats(values, i, len, dtype, buf);
                i += len;
            }
        }

        void putBytes(ByteBuffer src) throws IOException {
            flush();
            while (src.hasRemaining()) {
                flushed += ch.write(src);
            }
        }

        void flush() throws IOException {
            buf.flip();
            while (buf.hasRemaining()) {
                flushed += ch.write(buf);
            }
            buf.clear();
        }
    }

    // ------------------------------------------------------------------------------------------
    // DJL bridges

    /**
     * A float32 {@link NDArray} holding a tensor's values (converted from its dtype), named after
     * it and owned by {@code manager}. The data is copied: the array never aliases the file.
     */
    public static NDArray toNDArray(NDManager manager, TensorData tensor) {
        long n = tensor.numel();
        if (n > (Integer.MAX_VALUE - 8) / 4) {
            throw new IllegalArgumentException("tensor '" + tensor.name() + "' has " + n
                    + " elements, more than one float32 buffer holds");
        }
        // A fresh direct buffer: PyTorch wraps it without another copy, and the mapped file stays read-only.
        ByteBuffer buf = ByteBuffer.allocateDirect((int) n * 4).order(ByteOrder.nativeOrder());
        FloatBuffer floats = buf.asFloatBuffer();
        tensor.readFloats(floats);
        NDArray array = manager.create(buf, new Shape(tensor.shape()), DataType.FLOAT32);
        array.setName(tensor.name());
        return array;
    }

    /** Reads a whole file into float32 arrays of {@code manager}, in file order. */
    public static Map<String, NDArray> readNDArrays(NDManager manager, Path file) throws IOException {
        Map<String, NDArray> out = new LinkedHashMap<>();
        for (TensorData t : read(file).tensors().values()) {
            out.put(t.name(), toNDArray(manager, t));
        }
        return out;
    }

    /**
     * Writes arrays as {@code dtype} (F32, F16 or BF16). Each array is copied to a float[] only
     * when its turn comes, so memory holds one extra tensor at a time. Must be called on the thread
     * that owns the arrays.
     */
    public static void writeNDArrays(Path file, Map<String, NDArray> arrays, Map<String, String> metadata, String dtype)
            throws IOException {
        Map<String, Source> sources = new LinkedHashMap<>();
        for (Map.Entry<String, NDArray> e : arrays.entrySet()) {
            NDArray a = e.getValue();
            sources.put(e.getKey(), new Source(a.getShape().getShape(), () -> floatsOf(a)));
        }
        write(file, sources, metadata, dtype);
    }

    /** An array's values as float32, without native casts for half types (a bf16 cast can abort PyTorch on CPU). */
    static float[] floatsOf(NDArray a) {
        DataType type = a.getDataType();
        if (type == DataType.FLOAT32) {
            return a.toFloatArray();
        }
        if (type == DataType.FLOAT16 || type == DataType.BFLOAT16) {
            ByteBuffer raw = a.toByteBuffer().order(ByteOrder.nativeOrder());
            int n = raw.remaining() / 2;
            float[] out = new float[n];
            for (int i = 0; i < n; i++) {
                short bits = raw.getShort(raw.position() + 2 * i);
                out[i] = type == DataType.FLOAT16 ? Half.halfToFloat(bits) : Half.bf16ToFloat(bits);
            }
            return out;
        }
        try (NDArray f = a.toType(DataType.FLOAT32, true)) {
            return f.toFloatArray();
        }
    }
}

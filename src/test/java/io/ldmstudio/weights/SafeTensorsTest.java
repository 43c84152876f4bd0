package io.ldmstudio.weights;

import static io.ldmstudio.weights.SafeTensorsTestFiles.bytes;
import static io.ldmstudio.weights.SafeTensorsTestFiles.concat;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ldmstudio.weights.SafeTensors.Contents;
import io.ldmstudio.weights.SafeTensors.Header;
import io.ldmstudio.weights.SafeTensors.Source;
import io.ldmstudio.weights.SafeTensors.TensorInfo;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Round trips, and byte-level compatibility with the format as the reference implementation writes it. */
class SafeTensorsTest {
    @TempDir
    Path dir;

    private static float[] randomFloats(int n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (float) (r.nextGaussian() * 3);
        return v;
    }

    private static float roundTo(String dtype, float v) {
        switch (dtype) {
            case "F16": return Half.halfToFloat(Half.floatToHalf(v));
            case "BF16": return Half.bf16ToFloat(Half.floatToBf16(v));
            default: return v;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"F32", "F16", "BF16"})
    void writeThenReadGivesBackNamesShapesValuesAndMetadata(String dtype) throws Exception {
        float[] conv = randomFloats(2 * 3 * 3 * 3, 1);
        float[] bias = {1.0f, -2.5f, 0.0f, -0.0f, 65504f, Float.POSITIVE_INFINITY, Float.NaN, 1e-3f};
        float[] big = randomFloats(300_000, 2); // larger than the writer's 1 MiB buffer in F32
        Map<String, Source> tensors = new LinkedHashMap<>();
        tensors.put("down.0.conv.weight", Source.of(conv, 2, 3, 3, 3));
        tensors.put("down.0.conv.bias", Source.of(bias, 8));
        tensors.put("big", Source.of(big, 300, 1000));
        tensors.put("scalar", Source.of(new float[] {0.18215f}));
        tensors.put("empty", Source.of(new float[0], 0, 4));
        Map<String, String> metadata = Map.of("format", "pt", "studio", "ldm-studio 0.1", "ünïcode", "✓");
        Path file = dir.resolve("model.safetensors");

        SafeTensors.write(file, tensors, metadata, dtype);
        Contents read = SafeTensors.read(file);

        assertEquals(List.of("big", "down.0.conv.bias", "down.0.conv.weight", "empty", "scalar"),
                new ArrayList<>(read.tensors().keySet()), "file order is sorted-name order");
        assertEquals(metadata, read.metadata());
        for (Map.Entry<String, Source> e : tensors.entrySet()) {
            TensorData t = read.tensor(e.getKey());
            assertEquals(e.getKey(), t.name());
            assertEquals(dtype, t.dtype());
            assertArrayEquals(e.getValue().shape(), t.shape());
            float[] expected = e.getValue().values().get();
            float[] actual = t.toFloatArray();
            assertEquals(expected.length, actual.length);
            for (int i = 0; i < expected.length; i++) {
                float want = roundTo(dtype, expected[i]);
                if (Float.isNaN(want)) {
                    assertTrue(Float.isNaN(actual[i]));
                } else {
                    assertEquals(Float.floatToRawIntBits(want), Float.floatToRawIntBits(actual[i]),
                            e.getKey() + "[" + i + "] " + expected[i]);
                }
            }
        }
        assertArrayEquals(new long[0], read.tensor("scalar").shape());
        assertEquals(0, read.tensor("empty").numel());
        assertThrows(NoSuchElementException.class, () -> read.tensor("missing"));
    }

    @Test
    void readHeaderMatchesWhatWasWrittenWithoutTouchingData() throws Exception {
        Path file = dir.resolve("h.safetensors");
        SafeTensors.write(file, Map.of("b", Source.of(new float[6], 2, 3), "a", Source.of(new float[2], 2)),
                Map.of("k", "v"), "F16");
        Header h = SafeTensors.readHeader(file);
        assertEquals(List.of("a", "b"), new ArrayList<>(h.tensors().keySet()));
        assertEquals(new TensorInfo("a", "F16", new long[] {2}, 0, 4), h.tensors().get("a"));
        assertEquals(new TensorInfo("b", "F16", new long[] {2, 3}, 4, 16), h.tensors().get("b"));
        assertEquals(Map.of("k", "v"), h.metadata());
        assertEquals(16, h.dataLength());
        assertEquals(Files.size(file), h.dataStart() + h.dataLength());
    }

    /** A file built byte by byte from the format description, as another implementation would write it. */
    @Test
    void readsAHandBuiltFile() throws Exception {
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"h\":{\"dtype\":\"F16\",\"shape\":[1,1],\"data_offsets\":[8,10]}}";
        byte[] data = concat(
                bytes(0x00, 0x00, 0x80, 0x3F), // 1.0f little-endian
                bytes(0x00, 0x00, 0x20, 0xC0), // -2.5f
                bytes(0x00, 0x3C)); // F16 0x3C00 = 1.0
        Path file = SafeTensorsTestFiles.write(dir.resolve("hand.safetensors"), header, data);

        Contents c = SafeTensors.read(file);
        assertEquals(List.of("a", "h"), new ArrayList<>(c.tensors().keySet()));
        assertArrayEquals(new float[] {1.0f, -2.5f}, c.tensor("a").toFloatArray());
        assertArrayEquals(new long[] {2}, c.tensor("a").shape());
        assertEquals("F16", c.tensor("h").dtype());
        assertArrayEquals(new long[] {1, 1}, c.tensor("h").shape());
        assertArrayEquals(new float[] {1.0f}, c.tensor("h").toFloatArray());
        assertEquals(Map.of("format", "pt"), c.metadata());
    }

    @Test
    void readsEveryOtherDtypeFromAHandBuiltFile() throws Exception {
        ByteBuffer d = ByteBuffer.allocate(8 * 2 + 4 + 1 + 2 + 8 + 2 + 2 + 1 + 4 + 1).order(ByteOrder.LITTLE_ENDIAN);
        d.putLong(-1).putLong(1L << 40); // I64 [2]      0..16
        d.putInt(-7); // I32 [1]                          16..20
        d.put((byte) 255); // U8 [1]                      20..21
        d.put((byte) 1).put((byte) 0); // BOOL [2]        21..23
        d.putDouble(0.1); // F64 [1]                      23..31
        d.putShort((short) 0x3FC0); // BF16 1.5           31..33
        d.putShort((short) -300); // I16                  33..35
        d.put((byte) -5); // I8                           35..36
        d.putInt(0xFFFFFFFF); // U32                      36..40
        d.put((byte) 0x3C); // F8_E5M2 1.0                40..41
        String header = "{\"i64\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[0,16]},"
                + "\"i32\":{\"dtype\":\"I32\",\"shape\":[],\"data_offsets\":[16,20]},"
                + "\"u8\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[20,21]},"
                + "\"mask\":{\"dtype\":\"BOOL\",\"shape\":[2],\"data_offsets\":[21,23]},"
                + "\"f64\":{\"dtype\":\"F64\",\"shape\":[1],\"data_offsets\":[23,31]},"
                + "\"bf16\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[31,33]},"
                + "\"i16\":{\"dtype\":\"I16\",\"shape\":[1],\"data_offsets\":[33,35]},"
                + "\"i8\":{\"dtype\":\"I8\",\"shape\":[1],\"data_offsets\":[35,36]},"
                + "\"u32\":{\"dtype\":\"U32\",\"shape\":[1],\"data_offsets\":[36,40]},"
                + "\"f8\":{\"dtype\":\"F8_E5M2\",\"shape\":[1],\"data_offsets\":[40,41]}}";
        Path file = SafeTensorsTestFiles.write(dir.resolve("dtypes.safetensors"), header, d.array());

        Contents c = SafeTensors.read(file);
        assertArrayEquals(new long[] {-1, 1L << 40}, c.tensor("i64").toLongArray());
        assertArrayEquals(new float[] {-1f, 0x1p40f}, c.tensor("i64").toFloatArray());
        assertArrayEquals(new long[] {-7}, c.tensor("i32").toLongArray());
        assertArrayEquals(new float[] {255f}, c.tensor("u8").toFloatArray());
        assertArrayEquals(new float[] {1f, 0f}, c.tensor("mask").toFloatArray());
        assertArrayEquals(new double[] {0.1}, c.tensor("f64").toDoubleArray());
        assertArrayEquals(new float[] {0.1f}, c.tensor("f64").toFloatArray());
        assertArrayEquals(new float[] {1.5f}, c.tensor("bf16").toFloatArray());
        assertArrayEquals(new long[] {-300}, c.tensor("i16").toLongArray());
        assertArrayEquals(new long[] {-5}, c.tensor("i8").toLongArray());
        assertArrayEquals(new long[] {0xFFFFFFFFL}, c.tensor("u32").toLongArray());
        assertArrayEquals(new float[] {1f}, c.tensor("f8").toFloatArray());
        assertThrows(IllegalStateException.class, () -> c.tensor("f64").toLongArray());
    }

    /** The reference writer's exact output for this input, including the space padding. */
    @Test
    void writesTheSameBytesAsTheReferenceImplementation() throws Exception {
        Path file = dir.resolve("ref.safetensors");
        SafeTensors.write(file, Map.of("a", Source.of(new float[] {1.0f, -2.5f}, 2)), Map.of("k", "v"), "F32");
        String json = "{\"__metadata__\":{\"k\":\"v\"},\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        String padded = json + " ".repeat((8 - json.length() % 8) % 8);
        byte[] expected = SafeTensorsTestFiles.build(padded,
                concat(bytes(0x00, 0x00, 0x80, 0x3F), bytes(0x00, 0x00, 0x20, 0xC0)));
        assertArrayEquals(expected, Files.readAllBytes(file));

        SafeTensors.write(file, Map.of("h", Source.of(new float[] {1.0f}, 1)), null, "F16");
        String json16 = "{\"h\":{\"dtype\":\"F16\",\"shape\":[1],\"data_offsets\":[0,2]}}";
        byte[] expected16 = SafeTensorsTestFiles.build(json16 + " ".repeat((8 - json16.length() % 8) % 8), bytes(0x00, 0x3C));
        assertArrayEquals(expected16, Files.readAllBytes(file));
    }

    @Test
    void writerHeaderIsAlignedSortedAndContiguous() throws Exception {
        Map<String, Source> tensors = new LinkedHashMap<>();
        String[] names = {"z", "a.b", "a", "mid.weight", "B", "é", "\uD83D\uDE00", "\uFFFD"};
        for (int i = 0; i < names.length; i++) {
            tensors.put(names[i], Source.of(randomFloats(i * 3 + 1, i), i * 3 + 1));
        }
        Path file = dir.resolve("aligned.safetensors");
        SafeTensors.write(file, tensors, Map.of("x", "y"), "BF16");

        byte[] all = Files.readAllBytes(file);
        long n = ByteBuffer.wrap(all, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, n % 8, "header length is a multiple of 8");
        String headerText = new String(all, 8, (int) n, StandardCharsets.UTF_8);
        assertTrue(headerText.startsWith("{"));
        assertEquals(headerText.stripTrailing(), headerText.strip());
        JsonNode root = new ObjectMapper().readTree(headerText);
        List<String> keys = new ArrayList<>();
        root.fieldNames().forEachRemaining(keys::add);
        assertEquals("__metadata__", keys.get(0));
        // UTF-8 byte order: "B" < "a" < "a.b" < "mid.weight" < "z" < "é" < U+FFFD < U+1F600
        assertEquals(List.of("B", "a", "a.b", "mid.weight", "z", "é", "\uFFFD", "\uD83D\uDE00"), keys.subList(1, keys.size()));
        long expected = 0;
        for (Iterator<String> it = keys.subList(1, keys.size()).iterator(); it.hasNext(); ) {
            JsonNode t = root.get(it.next());
            long begin = t.get("data_offsets").get(0).longValue();
            long end = t.get("data_offsets").get(1).longValue();
            assertEquals(expected, begin, "contiguous");
            assertEquals(2 * t.get("shape").get(0).longValue(), end - begin);
            expected = end;
        }
        assertEquals(all.length - 8 - n, expected, "the data ends where the file ends");
    }

    @Test
    void sourceOfTensorDataConvertsAFileToAnotherDtype() throws Exception {
        Path f32 = dir.resolve("f32.safetensors");
        float[] values = {1.0f, 1.0f + 0x1p-11f, 3.14159f};
        SafeTensors.write(f32, Map.of("w", Source.of(values, 3)), Map.of(), "F32");
        Path f16 = dir.resolve("f16.safetensors");
        TensorData w = SafeTensors.read(f32).tensor("w");
        SafeTensors.write(f16, Map.of("w", Source.of(w)), Map.of(), "F16");
        TensorData half = SafeTensors.read(f16).tensor("w");
        assertEquals("F16", half.dtype());
        assertEquals(6, half.byteLength());
        assertArrayEquals(new float[] {1.0f, 1.0f, Half.halfToFloat(Half.floatToHalf(3.14159f))}, half.toFloatArray());
    }

    @Test
    void writeTensorsKeepsEachDtypeAndItsBytes() throws Exception {
        ByteBuffer step = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 123_456_789_012L);
        TensorData stepTensor = new TensorData("step", "I64", new long[] {}, step);
        TensorData weights = TensorData.of("w", "F16", new long[] {2}, new float[] {0.5f, -1f});
        Path file = dir.resolve("mixed.safetensors");
        SafeTensors.writeTensors(file, List.of(weights, stepTensor), Map.of("kind", "optimizer"));

        Contents c = SafeTensors.read(file);
        assertEquals(List.of("step", "w"), new ArrayList<>(c.tensors().keySet()));
        assertArrayEquals(new long[] {123_456_789_012L}, c.tensor("step").toLongArray());
        assertEquals(weights, c.tensor("w"));
        assertEquals(stepTensor, c.tensor("step"));
    }

    @Test
    void writerRejectsBadInputBeforeTouchingTheFile() {
        Path file = dir.resolve("bad.safetensors");
        assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.write(file, Map.of("a", Source.of(new float[1], 1)), null, "I32"));
        assertThrows(IllegalArgumentException.class, () -> Source.of(new float[3], 2, 2));
        assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.write(file, Map.of("__metadata__", Source.of(new float[1], 1)), null, "F32"));
        assertThrows(IllegalArgumentException.class,
                () -> SafeTensors.write(file, Map.of("", Source.of(new float[1], 1)), null, "F32"));
        assertTrue(Files.notExists(file));
    }

    @Test
    void mapsLargeFilesInSeveralWindows() throws Exception {
        Map<String, Source> tensors = new LinkedHashMap<>();
        for (int i = 0; i < 10; i++) {
            tensors.put("t" + i, Source.of(randomFloats(100, i), 10, 10));
        }
        Path file = dir.resolve("windows.safetensors");
        SafeTensors.write(file, tensors, null, "F32");
        Contents c = SafeTensors.read(file, 1000); // 400-byte tensors: two per window
        for (int i = 0; i < 10; i++) {
            assertArrayEquals(randomFloats(100, i), c.tensor("t" + i).toFloatArray());
        }
        WeightFiles.WeightFileException tooBig = assertThrows(WeightFiles.WeightFileException.class,
                () -> SafeTensors.read(file, 399));
        assertTrue(tooBig.getMessage().contains("windows.safetensors"), tooBig.getMessage());
        assertTrue(tooBig.getMessage().contains("tensor 't0' is 400 bytes"), tooBig.getMessage());
    }
}

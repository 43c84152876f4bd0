package io.ldmstudio.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.weights.SafeTensors.Contents;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The DJL bridges, and interop with DJL's own safetensors codec (an independent implementation). */
class SafeTensorsDjlTest {
    @TempDir
    Path dir;

    private static NDManager manager;

    @BeforeAll
    static void start() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void stop() {
        manager.close();
    }

    @Test
    void toNDArrayGivesANamedFloat32ArrayOfAnyDtype() throws Exception {
        Path file = dir.resolve("w.safetensors");
        TensorData f16 = TensorData.of("conv.weight", "F16", new long[] {2, 1, 1, 2}, new float[] {1f, -2.5f, 0.5f, 65504f});
        SafeTensors.writeTensors(file, List.of(f16), null);
        try (NDManager m = manager.newSubManager()) {
            NDArray a = SafeTensors.toNDArray(m, SafeTensors.read(file).tensor("conv.weight"));
            assertEquals(DataType.FLOAT32, a.getDataType());
            assertEquals(new Shape(2, 1, 1, 2), a.getShape());
            assertEquals("conv.weight", a.getName());
            assertArrayEquals(new float[] {1f, -2.5f, 0.5f, 65504f}, a.toFloatArray());
            // the array is a copy: changing it in place must not touch the read-only mapped file
            a.addi(1f);
            assertArrayEquals(new float[] {2f, -1.5f, 1.5f, 65505f}, a.toFloatArray());
            assertArrayEquals(new float[] {1f, -2.5f, 0.5f, 65504f}, SafeTensors.read(file).tensor("conv.weight").toFloatArray());
        }
    }

    @Test
    void f32TensorsAreCopiedOutOfTheMapping() throws Exception {
        Path file = dir.resolve("f32.safetensors");
        SafeTensors.write(file, Map.of("b", SafeTensors.Source.of(new float[] {3f, 4f}, 2)), null, "F32");
        try (NDManager m = manager.newSubManager()) {
            NDArray a = SafeTensors.toNDArray(m, SafeTensors.read(file).tensor("b"));
            a.muli(2f);
            assertArrayEquals(new float[] {6f, 8f}, a.toFloatArray());
        }
        assertArrayEquals(new float[] {3f, 4f}, SafeTensors.read(file).tensor("b").toFloatArray());
    }

    @Test
    void writeNDArraysThenReadNDArrays() throws Exception {
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> arrays = new LinkedHashMap<>();
            arrays.put("w", m.arange(12f).reshape(3, 4));
            arrays.put("half", m.create(new float[] {0.25f, -8f}).toType(DataType.FLOAT16, false));
            arrays.put("steps", m.create(new long[] {7L, 9L}));
            arrays.put("scalar", m.create(0.18215f));
            Path file = dir.resolve("arrays.safetensors");
            SafeTensors.writeNDArrays(file, arrays, Map.of("format", "pt"), "F16");

            Contents c = SafeTensors.read(file);
            assertEquals("F16", c.tensor("w").dtype());
            Map<String, NDArray> back = SafeTensors.readNDArrays(m, file);
            assertEquals(List.of("half", "scalar", "steps", "w"), List.copyOf(back.keySet()));
            assertArrayEquals(m.arange(12f).toFloatArray(), back.get("w").toFloatArray());
            assertEquals(new Shape(3, 4), back.get("w").getShape());
            assertArrayEquals(new float[] {0.25f, -8f}, back.get("half").toFloatArray());
            assertArrayEquals(new float[] {7f, 9f}, back.get("steps").toFloatArray());
            assertEquals(new Shape(), back.get("scalar").getShape());
            assertEquals(Half.halfToFloat(Half.floatToHalf(0.18215f)), back.get("scalar").getFloat());
        }
    }

    @Test
    void readsWhatDjlWrites() throws Exception {
        Path file = dir.resolve("djl.safetensors");
        try (NDManager m = manager.newSubManager()) {
            NDArray w = m.create(new float[] {1f, -2.5f, 3.25f, 0f, 1e-7f, -1e7f}, new Shape(2, 3));
            w.setName("layer.weight");
            NDArray h = m.create(new float[] {1f, 0.5f}).toType(DataType.FLOAT16, false);
            h.setName("layer.half");
            NDArray i = m.create(new long[] {-3L, 1L << 40});
            i.setName("ids");
            try (OutputStream out = Files.newOutputStream(file)) {
                new NDList(w, h, i).encode(out, NDList.Encoding.SAFETENSORS);
            }
        }
        Contents c = SafeTensors.read(file);
        assertEquals(new java.util.HashSet<>(List.of("layer.weight", "layer.half", "ids")), c.tensors().keySet());
        assertEquals("F32", c.tensor("layer.weight").dtype());
        assertArrayEquals(new long[] {2, 3}, c.tensor("layer.weight").shape());
        assertArrayEquals(new float[] {1f, -2.5f, 3.25f, 0f, 1e-7f, -1e7f}, c.tensor("layer.weight").toFloatArray());
        assertEquals("F16", c.tensor("layer.half").dtype());
        assertArrayEquals(new float[] {1f, 0.5f}, c.tensor("layer.half").toFloatArray());
        assertEquals("I64", c.tensor("ids").dtype());
        assertArrayEquals(new long[] {-3L, 1L << 40}, c.tensor("ids").toLongArray());
    }

    @Test
    void djlReadsWhatWeWrite() throws Exception {
        Path file = dir.resolve("ours.safetensors");
        SafeTensors.write(file, Map.of(
                "b", SafeTensors.Source.of(new float[] {1f, -2.5f, 3.25f, 0f, 1e-7f, -1e7f}, 2, 3),
                "a", SafeTensors.Source.of(new float[] {0.5f}, 1)), Map.of("format", "pt"), "F32");
        SafeTensors.write(dir.resolve("ours16.safetensors"), Map.of(
                "h", SafeTensors.Source.of(new float[] {1f, -2.5f, 65504f}, 3)), null, "F16");
        try (NDManager m = manager.newSubManager(); InputStream in = Files.newInputStream(file);
                InputStream in16 = Files.newInputStream(dir.resolve("ours16.safetensors"))) {
            NDList list = NDList.decode(m, in);
            assertEquals(new Shape(2, 3), list.get("b").getShape());
            assertArrayEquals(new float[] {1f, -2.5f, 3.25f, 0f, 1e-7f, -1e7f}, list.get("b").toFloatArray());
            assertArrayEquals(new float[] {0.5f}, list.get("a").toFloatArray());
            NDList half = NDList.decode(m, in16);
            assertEquals(DataType.FLOAT16, half.get("h").getDataType());
            assertArrayEquals(new float[] {1f, -2.5f, 65504f}, half.get("h").toType(DataType.FLOAT32, false).toFloatArray());
        }
    }
}

package io.ldmstudio.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.ldmstudio.nn.AutoencoderKL;
import io.ldmstudio.nn.UNet2DModel;
import io.ldmstudio.nn.UNetConfig;
import io.ldmstudio.util.Rng;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Weights holding NaN or infinity are refused when read, naming the file and the tensor. */
class NonFiniteWeightsTest {
    @TempDir
    Path tmp;

    private static byte[] f32(float... values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) b.putFloat(v);
        return b.array();
    }

    private static byte[] f64(double... values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length).order(ByteOrder.LITTLE_ENDIAN);
        for (double v : values) b.putDouble(v);
        return b.array();
    }

    @Test
    void everyFloatingDtypeIsCheckedAndIntegersAndCleanTensorsPass() throws IOException {
        // F16 0x7C00 = +Inf, 0x7E00 = NaN; BF16 0x7FC0 = NaN, 0xFF80 = -Inf; bytes are little-endian
        byte[] data = SafeTensorsTestFiles.concat(
                f32(1f, -2f, 0.5f), // clean [0, 12)
                f32(1f, Float.NaN, 3f, Float.NaN), // [12, 28)
                SafeTensorsTestFiles.bytes(0x00, 0x3C, 0x00, 0x7C, 0x00, 0x7E), // F16 1, Inf, NaN [28, 34)
                SafeTensorsTestFiles.bytes(0xC0, 0x7F, 0x80, 0x3F), // BF16 NaN, 1 [34, 38)
                SafeTensorsTestFiles.bytes(0x80, 0xFF), // BF16 -Inf [38, 40)
                f64(2.0, Double.POSITIVE_INFINITY), // [40, 56)
                SafeTensorsTestFiles.le64(-7)); // I64 [56, 64)
        Path file = SafeTensorsTestFiles.write(tmp.resolve("mixed.safetensors"), "{"
                + "\"clean\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,12]},"
                + "\"nan32\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[12,28]},"
                + "\"half\":{\"dtype\":\"F16\",\"shape\":[3],\"data_offsets\":[28,34]},"
                + "\"brain\":{\"dtype\":\"BF16\",\"shape\":[2],\"data_offsets\":[34,38]},"
                + "\"brainInf\":{\"dtype\":\"BF16\",\"shape\":[1],\"data_offsets\":[38,40]},"
                + "\"double\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[40,56]},"
                + "\"count\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[56,64]}}", data);
        SafeTensors.Contents c = SafeTensors.read(file);

        assertArrayEquals(new float[] {1f, -2f, 0.5f}, c.finiteValues("clean"));
        assertArrayEquals(new float[] {-7f}, c.finiteValues("count"));

        WeightFiles.WeightFileException e = assertThrows(WeightFiles.WeightFileException.class,
                () -> c.finiteValues("nan32"));
        assertEquals(file, e.file());
        assertTrue(e.getMessage().startsWith(file + ": tensor 'nan32' has 2 non-finite values"), e.getMessage());
        assertTrue(e.getMessage().contains("2 NaN, 0 Inf") && e.getMessage().contains("among its 4")
                && e.getMessage().contains("first at index 1") && e.getMessage().contains("corrupt"), e.getMessage());

        e = assertThrows(WeightFiles.WeightFileException.class, () -> c.finiteValues("half"));
        assertTrue(e.getMessage().contains("'half' has 2 non-finite values (NaN or Inf: 1 NaN, 1 Inf)")
                && e.getMessage().contains("first at index 1"), e.getMessage());
        e = assertThrows(WeightFiles.WeightFileException.class, () -> c.finiteValues("brain"));
        assertTrue(e.getMessage().contains("'brain' has 1 non-finite value (NaN or Inf: 1 NaN, 0 Inf)")
                && e.getMessage().contains("first at index 0"), e.getMessage());
        e = assertThrows(WeightFiles.WeightFileException.class, () -> c.finiteValues("brainInf"));
        assertTrue(e.getMessage().contains("'brainInf' has 1 non-finite value (NaN or Inf: 0 NaN, 1 Inf)"),
                e.getMessage());
        e = assertThrows(WeightFiles.WeightFileException.class, () -> c.finiteValues("double"));
        assertTrue(e.getMessage().contains("'double' has 1 non-finite value") && e.getMessage().contains("float32"),
                e.getMessage());
    }

    /** Rewrites {@code file} with {@code bad} NaN values spread over tensor {@code name}. */
    static void poison(Path file, String name, int bad) throws IOException {
        SafeTensors.Contents c = SafeTensors.read(file);
        Map<String, SafeTensors.Source> sources = new LinkedHashMap<>();
        for (TensorData t : c.tensors().values()) {
            if (t.name().equals(name)) {
                float[] v = t.toFloatArray();
                for (int i = 0; i < bad; i++) v[i * (v.length / bad)] = Float.NaN;
                sources.put(t.name(), SafeTensors.Source.of(v, t.shape()));
            } else {
                sources.put(t.name(), SafeTensors.Source.of(t));
            }
        }
        Path out = file.resolveSibling("poisoned.tmp");
        SafeTensors.write(out, sources, c.metadata(), "F32");
        Files.move(out, file, StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void anAutoencoderWithANanInItsDecoderIsRefusedNamingTheTensorAndTheFile() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKL vae = VaeWeightsTest.randomModel(m, VaeWeightsTest.small(), 1);
            Path dir = tmp.resolve("vae");
            VaeWeights.save(vae, dir);
            VaeWeightsTest.assertSameModel(vae, VaeWeights.load(dir, m), m); // the clean file loads

            Path file = dir.resolve(VaeWeights.DIFFUSERS_WEIGHTS);
            String tensor = "decoder.up_blocks.0.resnets.1.conv1.weight";
            assertTrue(SafeTensors.readHeader(file).tensors().containsKey(tensor), "the small model has " + tensor);
            poison(file, tensor, 3);
            WeightFiles.WeightFileException e = assertThrows(WeightFiles.WeightFileException.class,
                    () -> VaeWeights.load(dir, m));
            assertEquals(file, e.file());
            assertTrue(e.getMessage().contains(file + ": tensor '" + tensor + "' has 3 non-finite values (NaN or Inf"),
                    e.getMessage());
        }
    }

    @Test
    void aUNetWithANanIsRefusedNamingTheTensorAndTheFile() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            UNet2DModel unet = new UNet2DModel(UNetConfig.of(UNetWeightsTest.SMALL, 3, 8));
            unet.initialize(m, new Rng(2), false);
            Path file = tmp.resolve("model.safetensors");
            UNetWeights.writeWeights(unet, file, Map.of());
            UNet2DModel other = new UNet2DModel(UNetConfig.of(UNetWeightsTest.SMALL, 3, 8));
            assertEquals(unet.namedParameters().keySet(), UNetWeights.readFor(other, file).keySet());

            poison(file, "mid_block.resnets.0.conv2.bias", 1);
            WeightFiles.WeightFileException e = assertThrows(WeightFiles.WeightFileException.class,
                    () -> UNetWeights.readFor(other, file));
            assertTrue(e.getMessage().contains(file + ": tensor 'mid_block.resnets.0.conv2.bias' has 1 non-finite value "),
                    e.getMessage());
        }
    }
}

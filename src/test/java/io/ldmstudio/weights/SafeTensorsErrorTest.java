package io.ldmstudio.weights;

import static io.ldmstudio.weights.SafeTensorsTestFiles.bytes;
import static io.ldmstudio.weights.SafeTensorsTestFiles.concat;
import static io.ldmstudio.weights.SafeTensorsTestFiles.le64;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.weights.SafeTensors.Source;
import io.ldmstudio.weights.WeightFiles.WeightFileException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Every way a weight file can be wrong gives an {@code IOException} naming the file and what was expected. */
class SafeTensorsErrorTest {
    @TempDir
    Path dir;

    private static final String ONE_F32 = "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}";

    /** Reads {@code file} both ways and checks the message names it and contains every phrase. */
    private static WeightFileException assertRejected(Path file, String... phrases) {
        WeightFileException e = assertThrows(WeightFileException.class, () -> SafeTensors.read(file));
        WeightFileException h = assertThrows(WeightFileException.class, () -> SafeTensors.readHeader(file));
        assertEquals(e.getMessage(), h.getMessage());
        assertEquals(file, e.file());
        assertTrue(e.getMessage().contains(file.getFileName().toString()), e.getMessage());
        for (String p : phrases) {
            assertTrue(e.getMessage().contains(p), "expected \"" + p + "\" in: " + e.getMessage());
        }
        return e;
    }

    private Path file(String name, String header, byte[] data) throws Exception {
        return SafeTensorsTestFiles.write(dir.resolve(name), header, data);
    }

    @Test
    void fileShorterThanTheLengthField() throws Exception {
        Path f = Files.write(dir.resolve("tiny.safetensors"), bytes(1, 2, 3));
        assertRejected(f, "3 bytes long", "8-byte little-endian header length");
    }

    @Test
    void headerLengthLargerThanTheFile() throws Exception {
        Path f = Files.write(dir.resolve("long-header.safetensors"), concat(le64(1000), "{}".getBytes(StandardCharsets.UTF_8)));
        assertRejected(f, "header length field says 1000 bytes", "only 2 bytes after it");
        Path g = Files.write(dir.resolve("negative.safetensors"), concat(le64(-1), bytes(0, 0)));
        assertRejected(g, "18446744073709551615");
    }

    @Test
    void headerNotJson() throws Exception {
        assertRejected(file("garbled.safetensors", "{\"a\": [1, 2", new byte[0]), "not valid JSON", "expected {");
        assertRejected(file("text.safetensors", "hello world", new byte[0]), "does not start with '{'");
        assertRejected(file("twice.safetensors", "{} {}", new byte[0]), "more JSON after its object");
        assertRejected(file("duplicate.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                        + "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", new byte[8]),
                "not valid JSON", "Duplicate field 'a'");
        byte[] badUtf8 = concat("{\"a".getBytes(StandardCharsets.UTF_8), bytes(0xFF), "\":{}}".getBytes(StandardCharsets.UTF_8));
        Path f = Files.write(dir.resolve("latin1.safetensors"), concat(le64(badUtf8.length), badUtf8));
        assertRejected(f, "not valid JSON", "UTF-8");
    }

    @Test
    void malformedTensorEntries() throws Exception {
        assertRejected(file("no-dtype.safetensors", "{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]),
                "tensor 'a' has no \"dtype\"");
        assertRejected(file("neg-shape.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}",
                new byte[4]), "tensor 'a' \"shape\" is [-1]", "non-negative integers");
        assertRejected(file("three-offsets.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}",
                new byte[4]), "\"data_offsets\" is [0,4,8]", "array of 2");
        assertRejected(file("backwards.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,0]}}",
                new byte[4]), "end before they begin");
        assertRejected(file("meta.safetensors", "{\"__metadata__\":{\"epoch\":3}}", new byte[0]),
                "metadata value of \"epoch\"", "expected a string");
    }

    @Test
    void unknownDtype() throws Exception {
        assertRejected(file("q4.safetensors", "{\"a\":{\"dtype\":\"Q4_K\",\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]),
                "tensor 'a'", "unknown dtype \"Q4_K\"", "F32");
    }

    @Test
    void byteLengthNotMatchingDtypeAndShape() throws Exception {
        assertRejected(file("mismatch.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}",
                new byte[20]), "tensor 'a'", "hold 20 bytes", "F32 × [2, 3] needs 6 × 4 = 24 bytes");
    }

    @Test
    void overlappingOffsets() throws Exception {
        assertRejected(file("overlap.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", new byte[12]),
                "tensor 'b' data_offsets [4, 12] overlap tensor 'a' [0, 8]");
    }

    @Test
    void gapBetweenTensors() throws Exception {
        assertRejected(file("gap.safetensors",
                "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                        + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[8,12]}}", new byte[12]),
                "tensor 'b' starts at byte 8", "tensor 'a' ends at 4", "no gaps");
    }

    @Test
    void offsetsOutsideTheBuffer() throws Exception {
        assertRejected(file("outside.safetensors", "{\"a\":{\"dtype\":\"U8\",\"shape\":[1000],\"data_offsets\":[0,1000]}}",
                new byte[4]), "tensor 'a' data_offsets [0, 1000] end past the data, which is 4 bytes");
    }

    @Test
    void truncatedFile() throws Exception {
        Path f = dir.resolve("cut.safetensors");
        SafeTensors.write(f, Map.of("a", Source.of(new float[100], 100), "b", Source.of(new float[50], 50)), null, "F32");
        byte[] whole = Files.readAllBytes(f);
        Files.write(f, Arrays.copyOf(whole, whole.length - 10));
        assertRejected(f, "is truncated", "tensor 'b'", "expected a file of at least " + whole.length + " bytes, found "
                + (whole.length - 10));
    }

    @Test
    void bytesAfterTheLastTensor() throws Exception {
        assertRejected(file("trailing.safetensors", ONE_F32, new byte[7]), "has 3 bytes after the last tensor");
    }

    @Test
    void missingFileIsNoSuchFile() {
        Path f = dir.resolve("absent.safetensors");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> SafeTensors.read(f));
        assertTrue(e.getMessage().contains("absent.safetensors"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"v1-5-pruned.ckpt", "diffusion_pytorch_model.bin", "vae.pt", "model.PTH"})
    void pickleCheckpointsAreRefusedWithAConversionHint(String name) throws Exception {
        // a valid safetensors file under a pickle name is still refused: the name promises pickle
        Path f = file(name, ONE_F32, new byte[4]);
        WeightFileException e = assertRejected(f, "pickle", "safetensors.torch.save_file", "safe_serialization=True");
        assertThrows(WeightFileException.class, () -> WeightFiles.checkNotPickle(f));
        assertTrue(e.getMessage().contains("never loads"), e.getMessage());
    }

    @Test
    void pickleContentIsRefusedWhateverTheName() throws Exception {
        Path zip = Files.write(dir.resolve("zipped.safetensors"), concat(bytes('P', 'K', 3, 4, 20, 0, 0, 0, 8, 0), new byte[100]));
        assertRejected(zip, "zip archive", "torch.save", "safetensors.torch.save_file");
        // legacy torch.save: pickle protocol 2 then the LONG1 magic number
        Path legacy = Files.write(dir.resolve("legacy.weights"),
                concat(bytes(0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8), new byte[100]));
        assertRejected(legacy, "pickle (protocol 2)", "safe_serialization=True");
    }

    /** A header of 640 bytes makes a real safetensors file start with 0x80 0x02, like a pickle. */
    @Test
    void safetensorsWhoseLengthLooksLikePickleMagicIsAccepted() throws Exception {
        String header = ONE_F32 + " ".repeat(640 - ONE_F32.length());
        Path f = file("lookalike.safetensors", header, bytes(0, 0, 0x80, 0x3F));
        byte[] head = Arrays.copyOf(Files.readAllBytes(f), 2);
        assertArrayEquals(bytes(0x80, 0x02), head);
        WeightFiles.checkNotPickle(f);
        assertArrayEquals(new float[] {1f}, SafeTensors.read(f).tensor("a").toFloatArray());
    }
}

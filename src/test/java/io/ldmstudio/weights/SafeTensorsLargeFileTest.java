package io.ldmstudio.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.weights.WeightFiles.WeightFileException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.DisabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files past 2 GiB, made cheaply as sparse files: only the header and the last tensor hold real
 * bytes, the rest is a hole that costs no disk space.
 */
@DisabledOnOs(value = OS.WINDOWS, disabledReason = "sparse files and deleting mapped files")
class SafeTensorsLargeFileTest {
    @TempDir
    Path dir;

    private static Path sparse(Path file, String header, long dataLength, long tailOffset, byte[] tail) throws Exception {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.write(ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length).array());
            raf.write(h);
            raf.setLength(8 + h.length + dataLength);
            raf.seek(8 + h.length + tailOffset);
            raf.write(tail);
        }
        return file;
    }

    @Test
    void readsTensorsBeyondTwoGiBThroughSeveralMappings() throws Exception {
        long a = 1_500_000_000L;
        long b = 1_000_000_000L;
        String header = "{\"a\":{\"dtype\":\"U8\",\"shape\":[" + a + "],\"data_offsets\":[0," + a + "]},"
                + "\"b\":{\"dtype\":\"U8\",\"shape\":[" + b + "],\"data_offsets\":[" + a + "," + (a + b) + "]},"
                + "\"c\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[" + (a + b) + "," + (a + b + 8) + "]}}";
        byte[] c = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putFloat(1.0f).putFloat(-2.5f).array();
        Path file = sparse(dir.resolve("big.safetensors"), header, a + b + 8, a + b, c);

        SafeTensors.Contents contents = SafeTensors.read(file);
        assertArrayEquals(new float[] {1.0f, -2.5f}, contents.tensor("c").toFloatArray());
        assertEquals(a, contents.tensor("a").byteLength());
        assertEquals(0, contents.tensor("b").bytes().get((int) b - 1));
        assertEquals(a + b + 8, SafeTensors.readHeader(file).dataLength());
    }

    @Test
    void aSingleTensorOfTwoGiBOrMoreIsRefusedClearly() throws Exception {
        long big = 3L << 30;
        String header = "{\"huge\":{\"dtype\":\"F32\",\"shape\":[" + (big / 4) + "],\"data_offsets\":[0," + big + "]}}";
        Path file = sparse(dir.resolve("huge.safetensors"), header, big, big - 1, new byte[1]);
        assertEquals(big, SafeTensors.readHeader(file).dataLength(), "the header alone is fine");
        WeightFileException e = assertThrows(WeightFileException.class, () -> SafeTensors.read(file));
        assertTrue(e.getMessage().contains("huge.safetensors") && e.getMessage().contains("tensor 'huge'")
                && e.getMessage().contains("2 GiB"), e.getMessage());
    }
}

package io.ldmstudio.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class Cifar10SourceTest {
    @TempDir
    Path dir;

    /** Records whose label is {@code labels[r]} and whose byte k of the image is {@code (k * 7 + r) & 0xFF}. */
    static byte[] records(int... labels) {
        byte[] b = new byte[labels.length * Cifar10Source.RECORD_BYTES];
        for (int r = 0; r < labels.length; r++) {
            int off = r * Cifar10Source.RECORD_BYTES;
            b[off] = (byte) labels[r];
            for (int k = 0; k < 3072; k++) {
                b[off + 1 + k] = (byte) ((k * 7 + r) & 0xFF);
            }
        }
        return b;
    }

    @Test
    void oneFileGivesExactPixelValuesAndLabels() throws IOException {
        Path f = dir.resolve("data_batch_1.bin");
        Files.write(f, records(3, 9));
        Cifar10Source s = Cifar10Source.open(f);
        assertEquals(2, s.size());
        assertEquals(3, s.label(0));
        assertEquals(9, s.label(1));
        assertEquals(Cifar10Source.CLASSES, s.classNames());
        assertEquals("cat", s.classNames().get(s.label(0)));

        float[] v = s.load(1, new Transform(32, 3, true));
        assertEquals(3072, v.length);
        for (int k = 0; k < 3072; k++) {
            int b = (k * 7 + 1) & 0xFF;
            assertEquals((b / 255f) * 2f - 1f, v[k], 0f, "value " + k);
        }
        // spot checks in plain numbers: byte 0 -> -1, byte 255 -> 1, byte 51 -> -0.6; planes are R, G, B
        float[] v0 = s.load(0, new Transform(32, 3, true));
        assertEquals(-1f, v0[0], 0f); // k = 0, r = 0
        assertEquals(((1024 * 7) & 0xFF) / 127.5f - 1f, v0[1024], 1e-6f); // first green byte
        assertEquals(-0.6f, v0[117], 1e-6f); // 117 * 7 = 819 = 3 * 256 + 51
        assertEquals(1f, v0[73], 0f); // 73 * 7 = 511 = 256 + 255
        Pixels p = s.pixels(0);
        assertEquals(32, p.width());
        assertEquals(32, p.height());
        assertEquals(3, p.channels());
    }

    @Test
    void folderReadsTrainingBatchesInNumberOrderAndMetaNames() throws IOException {
        Files.write(dir.resolve("data_batch_2.bin"), records(1, 1, 1));
        Files.write(dir.resolve("data_batch_1.bin"), records(0, 2));
        Files.write(dir.resolve("data_batch_10.bin"), records(2));
        Files.write(dir.resolve("test_batch.bin"), records(0));
        Files.writeString(dir.resolve("batches.meta.txt"), "alpha\nbeta\ngamma\n\n");
        Cifar10Source train = Cifar10Source.open(dir);
        assertEquals(6, train.size());
        assertEquals(List.of("alpha", "beta", "gamma"), train.classNames());
        int[] labels = java.util.stream.IntStream.range(0, 6).map(train::label).toArray();
        assertEquals(List.of(0, 2, 1, 1, 1, 2), java.util.Arrays.stream(labels).boxed().toList());
        assertEquals(List.of("data_batch_1.bin", "data_batch_2.bin", "data_batch_10.bin"),
                train.files().stream().map(p -> p.getFileName().toString()).toList());
        // record 2 is the first of data_batch_2: its pixel byte k is (k*7 + 0)
        assertEquals(((5 * 7) & 0xFF) / 255f, train.pixels(2).data()[5], 0f);

        Cifar10Source test = Cifar10Source.open(dir, true);
        assertEquals(1, test.size());
    }

    @Test
    void extractedSubFolderIsFound() throws IOException {
        Path sub = Files.createDirectories(dir.resolve("cifar-10-batches-bin"));
        Files.write(sub.resolve("data_batch_1.bin"), records(4));
        assertEquals(1, Cifar10Source.open(dir).size());
    }

    @Test
    void wrongSizeNamesTheFileItsSizeAndTheRecordSize() throws IOException {
        Path f = dir.resolve("data_batch_1.bin");
        byte[] b = records(1, 2);
        Files.write(f, java.util.Arrays.copyOf(b, b.length - 100));
        DataException e = assertThrows(DataException.class, () -> Cifar10Source.open(f));
        String m = e.getMessage();
        assertTrue(m.contains(f.toString()), m);
        assertTrue(m.contains(Integer.toString(2 * 3073 - 100)), m);
        assertTrue(m.contains("3073"), m);
        assertTrue(m.contains("2973 bytes are left over"), m);
    }

    @Test
    void labelsOutsideTheClassesAreRejected() throws IOException {
        Path f = dir.resolve("x.bin");
        Files.write(f, records(0, 12));
        DataException e = assertThrows(DataException.class, () -> Cifar10Source.open(f));
        assertTrue(e.getMessage().contains("record 1") && e.getMessage().contains("label 12"), e.getMessage());
    }

    @Test
    void folderWithoutBatchesSaysWhatItExpected() {
        DataException e = assertThrows(DataException.class, () -> Cifar10Source.open(dir));
        assertTrue(e.getMessage().contains("data_batch_1.bin"), e.getMessage());
        assertTrue(e.getMessage().contains(dir.toString()), e.getMessage());
    }
}

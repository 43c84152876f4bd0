package io.ldmstudio.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class IdxSourceTest {
    @TempDir
    Path dir;

    /** {@code n} images of rows x cols whose pixel k of image i is {@code (i * 40 + k) & 0xFF}. */
    static byte[] images(int n, int rows, int cols) {
        ByteBuffer b = ByteBuffer.allocate(16 + n * rows * cols);
        b.putInt(IdxSource.IMAGES_MAGIC).putInt(n).putInt(rows).putInt(cols);
        for (int i = 0; i < n; i++) {
            for (int k = 0; k < rows * cols; k++) {
                b.put((byte) ((i * 40 + k) & 0xFF));
            }
        }
        return b.array();
    }

    static byte[] labels(int... l) {
        ByteBuffer b = ByteBuffer.allocate(8 + l.length);
        b.putInt(IdxSource.LABELS_MAGIC).putInt(l.length);
        for (int v : l) {
            b.put((byte) v);
        }
        return b.array();
    }

    static byte[] gzip(byte[] raw) throws IOException {
        ByteArrayOutputStream bos = new ByteArrayOutputStream();
        try (OutputStream out = new GZIPOutputStream(bos)) {
            out.write(raw);
        }
        return bos.toByteArray();
    }

    private void check(IdxSource s) {
        assertEquals(3, s.size());
        assertEquals(1, s.channels());
        assertEquals(4, s.rows());
        assertEquals(5, s.cols());
        assertEquals(7, s.label(1));
        Pixels p = s.pixels(2);
        assertEquals(5, p.width());
        assertEquals(4, p.height());
        assertEquals(80 / 255f, p.data()[0], 0f);
        assertEquals(99 / 255f, p.data()[19], 0f);
    }

    @Test
    void rawFolderIsRead() throws IOException {
        Files.write(dir.resolve("train-images-idx3-ubyte"), images(3, 4, 5));
        Files.write(dir.resolve("train-labels-idx1-ubyte"), labels(0, 7, 9));
        IdxSource s = IdxSource.open(dir);
        check(s);
        assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), s.classNames());
        float[] v = s.load(1, new Transform(4, 1, false)); // 5 wide stretched to 4 wide
        assertEquals(16, v.length);
    }

    @Test
    void gzipFolderIsReadAndTestSplitChosen(@TempDir Path parent) throws IOException {
        Path fashion = Files.createDirectories(parent.resolve("my-fashion-data"));
        Files.write(fashion.resolve("train-images-idx3-ubyte.gz"), gzip(images(3, 4, 5)));
        Files.write(fashion.resolve("train-labels-idx1-ubyte.gz"), gzip(labels(0, 7, 9)));
        Files.write(fashion.resolve("t10k-images-idx3-ubyte.gz"), gzip(images(2, 4, 5)));
        Files.write(fashion.resolve("t10k-labels-idx1-ubyte.gz"), gzip(labels(8, 9)));
        IdxSource train = IdxSource.open(fashion);
        check(train);
        assertEquals(IdxSource.FASHION_CLASSES, train.classNames());
        assertEquals("Sneaker", train.classNames().get(train.label(1)));
        IdxSource test = IdxSource.open(fashion, true);
        assertEquals(2, test.size());
        assertEquals(9, test.label(1));
    }

    @Test
    void imagesFileFindsLabelsBesideIt() throws IOException {
        Path img = dir.resolve("t10k-images-idx3-ubyte.gz");
        Files.write(img, gzip(images(3, 4, 5)));
        Files.write(dir.resolve("t10k-labels-idx1-ubyte"), labels(1, 7, 2));
        check(IdxSource.open(img));

        Path lone = dir.resolve("other.idx3");
        Files.write(lone, images(3, 4, 5));
        IdxSource unlabelled = IdxSource.open(lone);
        assertEquals(List.of(), unlabelled.classNames());
        assertEquals(0, unlabelled.label(2));
    }

    @Test
    void truncatedRawFileNamesExpectedAndActualBytes() throws IOException {
        Path f = dir.resolve("train-images-idx3-ubyte");
        byte[] full = images(3, 4, 5);
        Files.write(f, Arrays.copyOf(full, full.length - 10));
        Files.write(dir.resolve("train-labels-idx1-ubyte"), labels(0, 1, 2));
        DataException e = assertThrows(DataException.class, () -> IdxSource.open(dir));
        String m = e.getMessage();
        assertTrue(m.contains(f.toString()) && m.contains("truncated"), m);
        assertTrue(m.contains("expected 76 bytes") && m.contains("found 66"), m);
    }

    @Test
    void truncatedGzipIsReported() throws IOException {
        Path f = dir.resolve("train-images-idx3-ubyte.gz");
        byte[] gz = gzip(images(50, 28, 28));
        Files.write(f, Arrays.copyOf(gz, gz.length / 2));
        DataException e = assertThrows(DataException.class, () -> IdxSource.open(f));
        assertTrue(e.getMessage().contains(f.toString()) && e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void wrongMagicCountMismatchAndBadDimensionsAreReported() throws IOException {
        Path labelsAsImages = dir.resolve("a-images-idx3-ubyte");
        Files.write(labelsAsImages, labels(1, 2, 3, 4, 5, 6, 7, 8, 9, 0));
        DataException magic = assertThrows(DataException.class, () -> IdxSource.open(labelsAsImages));
        assertTrue(magic.getMessage().contains("0x00000801") && magic.getMessage().contains("0x00000803")
                && magic.getMessage().contains("labels file"), magic.getMessage());

        Files.write(dir.resolve("train-images-idx3-ubyte"), images(3, 4, 5));
        Files.write(dir.resolve("train-labels-idx1-ubyte"), labels(0, 1));
        DataException count = assertThrows(DataException.class, () -> IdxSource.open(dir));
        assertTrue(count.getMessage().contains("2 labels") && count.getMessage().contains("3 images"),
                count.getMessage());

        Path zero = dir.resolve("zero.idx");
        Files.write(zero, ByteBuffer.allocate(16).putInt(IdxSource.IMAGES_MAGIC).putInt(1).putInt(0).putInt(5).array());
        DataException dims = assertThrows(DataException.class, () -> IdxSource.open(zero));
        assertTrue(dims.getMessage().contains("invalid dimensions"), dims.getMessage());
    }

    @Test
    void folderWithoutFilesSaysWhichNamesItLookedFor() {
        DataException e = assertThrows(DataException.class, () -> IdxSource.open(dir));
        assertTrue(e.getMessage().contains("train-images-idx3-ubyte"), e.getMessage());
    }

    @Test
    void realFashionMnistHasTheKnownCountsAndBalance() {
        Path fm = Sources.DEFAULT_FASHION_MNIST;
        assumeTrue(Files.isRegularFile(fm.resolve("train-images-idx3-ubyte.gz")),
                "Fashion-MNIST is not installed at " + fm);
        IdxSource train = IdxSource.open(fm);
        assertEquals(60_000, train.size());
        assertEquals(28, train.rows());
        assertEquals(28, train.cols());
        assertEquals(IdxSource.FASHION_CLASSES, train.classNames());
        int[] hist = new int[10];
        for (int i = 0; i < train.size(); i++) {
            hist[train.label(i)]++;
        }
        int[] six = new int[10];
        Arrays.fill(six, 6000);
        assertArrayEquals(six, hist);

        Transform tf = new Transform(28, 1, false);
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        double sum = 0;
        for (int i = 0; i < 1000; i++) {
            for (float v : train.load(i, tf)) {
                min = Math.min(min, v);
                max = Math.max(max, v);
                sum += v;
            }
        }
        assertEquals(-1f, min, 0f);
        assertEquals(1f, max, 0f);
        double mean = sum / (1000.0 * 784);
        // Fashion-MNIST's mean pixel is about 0.286 of full scale, i.e. about -0.43 in [-1, 1]
        assertTrue(mean > -0.55 && mean < -0.3, "mean " + mean);

        IdxSource test = IdxSource.open(fm, true);
        assertEquals(10_000, test.size());
        int[] th = new int[10];
        for (int i = 0; i < test.size(); i++) {
            th[test.label(i)]++;
        }
        int[] thousand = new int[10];
        Arrays.fill(thousand, 1000);
        assertArrayEquals(thousand, th);
    }
}

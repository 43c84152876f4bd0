package io.ldmstudio.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GridsTest {
    @TempDir
    Path dir;

    private static float[] solid(int c, int h, int w, float... rgb) {
        float[] a = new float[c * h * w];
        for (int ch = 0; ch < c; ch++) {
            Arrays.fill(a, ch * h * w, (ch + 1) * h * w, rgb[ch]);
        }
        return a;
    }

    @Test
    void fiveImagesMakeAThreeByTwoGridWithTwoPixelPadding() {
        int h = 3;
        int w = 4;
        List<float[]> imgs = new ArrayList<>();
        for (int k = 0; k < 5; k++) {
            imgs.add(solid(3, h, w, -1f + 0.4f * k, 1f, -1f));
        }
        BufferedImage g = Grids.grid(imgs, 3, h, w);
        assertEquals(3 * (w + 2) + 2, g.getWidth());
        assertEquals(2 * (h + 2) + 2, g.getHeight());
        for (int k = 0; k < 5; k++) {
            int x0 = 2 + (k % 3) * (w + 2);
            int y0 = 2 + (k / 3) * (h + 2);
            int expected = (Grids.toByte(-1f + 0.4f * k) << 16) | (255 << 8);
            assertEquals(expected, g.getRGB(x0, y0) & 0xFFFFFF, "top-left of image " + k);
            assertEquals(expected, g.getRGB(x0 + w - 1, y0 + h - 1) & 0xFFFFFF, "bottom-right of image " + k);
            assertEquals(0, g.getRGB(x0 - 1, y0) & 0xFFFFFF, "padding left of image " + k);
            assertEquals(0, g.getRGB(x0 + w, y0) & 0xFFFFFF, "padding right of image " + k);
        }
        assertEquals(0, g.getRGB(2 + 2 * (w + 2), 2 + (h + 2)) & 0xFFFFFF, "the empty sixth cell stays black");
    }

    @Test
    void columnsAreNearSquare() {
        int[][] cases = {{1, 1}, {2, 2}, {4, 2}, {5, 3}, {9, 3}, {10, 4}, {16, 4}, {17, 5}, {64, 8}};
        for (int[] c : cases) {
            assertEquals(c[1], Grids.columnsFor(c[0]), "n = " + c[0]);
        }
    }

    @Test
    void valuesMapFromMinusOneOneToBytes() {
        assertEquals(0, Grids.toByte(-1f));
        assertEquals(0, Grids.toByte(-3f));
        assertEquals(0, Grids.toByte(Float.NaN));
        assertEquals(128, Grids.toByte(0f));
        assertEquals(255, Grids.toByte(1f));
        assertEquals(255, Grids.toByte(7f));
        assertEquals(64, Grids.toByte(-0.5f)); // 0.5 * 127.5 = 63.75
    }

    @Test
    void batchGridTakesImagesInOrderAndGrayStaysGray() {
        float[] batch = new float[4 * 2 * 2];
        for (int k = 0; k < 4; k++) {
            Arrays.fill(batch, k * 4, k * 4 + 4, -1f + 0.5f * k);
        }
        BufferedImage g = Grids.grid(batch, 4, 1, 2, 2);
        assertEquals(BufferedImage.TYPE_BYTE_GRAY, g.getType());
        assertEquals(2 * 4 + 2, g.getWidth());
        assertEquals(Grids.toByte(0.5f), g.getRaster().getSample(2 + 4 + 1, 2 + 4 + 1, 0));
        assertEquals(Grids.toByte(-0.5f), g.getRaster().getSample(2 + 4, 2, 0));
    }

    @Test
    void writePngReplacesAtomicallyAndLeavesNoTemporaryFile() throws Exception {
        Path file = dir.resolve("samples/step-00000010.png");
        ImageWriter.writePng(solid(3, 2, 3, 1f, -1f, -1f), 3, 2, 3, file);
        ImageWriter.writeGrid(List.of(solid(3, 2, 2, -1f, -1f, 1f)), 3, 2, 2, file); // overwrite
        BufferedImage back = ImageIO.read(file.toFile());
        assertEquals(6, back.getWidth());
        assertEquals(0x0000FF, back.getRGB(2, 2) & 0xFFFFFF);
        try (Stream<Path> s = Files.list(file.getParent())) {
            assertEquals(List.of(file.getFileName().toString()),
                    s.map(p -> p.getFileName().toString()).toList());
        }
        assertTrue(Files.isReadable(file));
    }
}

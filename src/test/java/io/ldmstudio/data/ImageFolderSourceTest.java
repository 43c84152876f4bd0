package io.ldmstudio.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageFolderSourceTest {
    @TempDir
    Path root;

    static BufferedImage solid(int type, int w, int h, int rgb) {
        BufferedImage img = new BufferedImage(w, h, type);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, rgb);
            }
        }
        return img;
    }

    static void write(BufferedImage img, String format, Path file) throws IOException {
        Files.createDirectories(file.getParent());
        assertTrue(ImageIO.write(img, format, file.toFile()), "no writer for " + format);
    }

    /** The fixture: 8 usable images in two classes, and five bad files. */
    @BeforeEach
    void makeFolder() throws IOException {
        write(solid(BufferedImage.TYPE_INT_RGB, 8, 8, 0xFF0000), "png", root.resolve("cats/red.png"));
        write(solid(BufferedImage.TYPE_INT_RGB, 16, 16, 0xC86432), "jpeg", root.resolve("cats/photo.JPG"));
        write(solid(BufferedImage.TYPE_INT_RGB, 6, 4, 0x00FF00), "bmp", root.resolve("cats/sub/deep.bmp"));

        // truncated PNG: the header is intact, the image data is cut off
        BufferedImage noise = new BufferedImage(64, 64, BufferedImage.TYPE_INT_RGB);
        Random r = new Random(1);
        for (int y = 0; y < 64; y++) {
            for (int x = 0; x < 64; x++) {
                noise.setRGB(x, y, r.nextInt());
            }
        }
        Path full = root.resolve("full.tmp");
        ImageIO.write(noise, "png", full.toFile());
        byte[] bytes = Files.readAllBytes(full);
        Files.delete(full);
        Files.write(root.resolve("cats/trunc.png"), Arrays.copyOf(bytes, bytes.length / 2));

        // palette GIF, yellow
        IndexColorModel yellow = new IndexColorModel(1, 2, new byte[] {(byte) 255, 0}, new byte[] {(byte) 255, 0},
                new byte[] {0, 0});
        write(solid(BufferedImage.TYPE_BYTE_INDEXED, 5, 5, 0xFFFF00, yellow), "gif", root.resolve("dogs/anim.gif"));

        // 16-bit grayscale: 0 | 32768 | 65535 across three columns
        BufferedImage g16 = new BufferedImage(3, 2, BufferedImage.TYPE_USHORT_GRAY);
        WritableRaster wr = g16.getRaster();
        for (int y = 0; y < 2; y++) {
            wr.setSample(0, y, 0, 0);
            wr.setSample(1, y, 0, 32768);
            wr.setSample(2, y, 0, 65535);
        }
        write(g16, "png", root.resolve("dogs/gray16.png"));

        // indexed palette PNG: left half red, right half blue
        IndexColorModel rb = new IndexColorModel(2, 2, new byte[] {(byte) 255, 0}, new byte[] {0, 0},
                new byte[] {0, (byte) 255});
        BufferedImage pal = new BufferedImage(4, 4, BufferedImage.TYPE_BYTE_INDEXED, rb);
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                pal.getRaster().setSample(x, y, 0, x < 2 ? 0 : 1);
            }
        }
        write(pal, "png", root.resolve("dogs/palette.png"));

        // RGBA: transparent red (left), half-transparent black (right)
        BufferedImage rgba = new BufferedImage(2, 2, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < 2; y++) {
            rgba.setRGB(0, y, 0x00FF0000);
            rgba.setRGB(1, y, 0x80000000);
        }
        write(rgba, "png", root.resolve("dogs/rgba.png"));

        byte[] junk = new byte[300];
        new Random(2).nextBytes(junk);
        Files.write(root.resolve("dogs/broken.png"), junk);
        Files.write(root.resolve("dogs/empty.jpg"), new byte[0]);
        Files.writeString(root.resolve("dogs/notes.txt"), "not an image");
        Files.writeString(root.resolve(".hidden.png"), "ignored silently");
        Files.createDirectories(root.resolve("birds")); // empty: not a class
    }

    private static BufferedImage solid(int type, int w, int h, int rgb, IndexColorModel cm) {
        BufferedImage img = new BufferedImage(w, h, type, cm);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, rgb);
            }
        }
        return img;
    }

    private static int indexOf(ImageFolderSource s, String name) {
        for (int i = 0; i < s.size(); i++) {
            if (s.file(i).getFileName().toString().equals(name)) {
                return i;
            }
        }
        throw new AssertionError(name + " not in source");
    }

    @Test
    void scanFindsUsableImagesInSortedOrderWithLabels() {
        ImageFolderSource s = ImageFolderSource.open(root);
        assertEquals(8, s.size());
        List<String> order = java.util.stream.IntStream.range(0, s.size())
                .mapToObj(i -> root.relativize(s.file(i)).toString().replace('\\', '/')).toList();
        assertEquals(List.of("cats/photo.JPG", "cats/red.png", "cats/sub/deep.bmp", "cats/trunc.png",
                "dogs/anim.gif", "dogs/gray16.png", "dogs/palette.png", "dogs/rgba.png"), order);
        assertEquals(List.of("cats", "dogs"), s.classNames());
        int[] labels = java.util.stream.IntStream.range(0, s.size()).map(s::label).toArray();
        assertArrayEquals(new int[] {0, 0, 0, 0, 1, 1, 1, 1}, labels);
        assertEquals(3, s.channels());
    }

    @Test
    void badFilesAreSkippedWithReasons() {
        ImageFolderSource s = ImageFolderSource.open(root);
        Map<String, String> reasons = s.skipped().stream()
                .collect(Collectors.toMap(k -> Path.of(k.path()).getFileName().toString(), ImageSource.Skipped::reason));
        assertEquals(3, reasons.size(), reasons.toString());
        assertTrue(reasons.get("broken.png").contains("not a recognised image format"), reasons.get("broken.png"));
        assertTrue(reasons.get("empty.jpg").contains("empty"), reasons.get("empty.jpg"));
        assertTrue(reasons.get("notes.txt").contains(".txt") && reasons.get("notes.txt").contains(".png"),
                reasons.get("notes.txt"));
        assertTrue(s.describe().contains("8 images") && s.describe().contains("3 files skipped"), s.describe());
    }

    @Test
    void pureRedPngIsOneMinusOneMinusOne() {
        ImageFolderSource s = ImageFolderSource.open(root);
        float[] v = s.load(indexOf(s, "red.png"), new Transform(4, 3, true));
        assertEquals(48, v.length);
        for (int i = 0; i < 16; i++) {
            assertEquals(1f, v[i], 0f);
            assertEquals(-1f, v[16 + i], 0f);
            assertEquals(-1f, v[32 + i], 0f);
        }
    }

    @Test
    void jpegBmpAndGifDecodeToTheirColours() {
        ImageFolderSource s = ImageFolderSource.open(root);
        Transform tf = new Transform(4, 3, true);
        float[] jpg = s.load(indexOf(s, "photo.JPG"), tf);
        assertEquals(200 / 127.5f - 1f, jpg[5], 0.04f);
        assertEquals(100 / 127.5f - 1f, jpg[16 + 5], 0.04f);
        assertEquals(50 / 127.5f - 1f, jpg[32 + 5], 0.04f);
        float[] bmp = s.load(indexOf(s, "deep.bmp"), tf); // 6x4, cropped to 4x4
        assertArrayEquals(new float[] {-1f, 1f, -1f}, new float[] {bmp[0], bmp[16], bmp[32]}, 0f);
        float[] gif = s.load(indexOf(s, "anim.gif"), tf);
        assertArrayEquals(new float[] {1f, 1f, -1f}, new float[] {gif[0], gif[16], gif[32]}, 0f);
    }

    @Test
    void sixteenBitGrayKeepsItsSampleValues() {
        ImageFolderSource s = ImageFolderSource.open(root);
        Pixels p = s.pixels(indexOf(s, "gray16.png"));
        assertEquals(1, p.channels());
        assertEquals(3, p.width());
        assertEquals(0f, p.data()[0], 0f);
        assertEquals(32768f / 65535f, p.data()[1], 1e-6f); // no gamma conversion: 0.5, not ~0.73
        assertEquals(1f, p.data()[2], 0f);
        float[] rgb = new Transform(3, 3, false).apply(p, false);
        assertEquals(27, rgb.length);
        for (int c = 0; c < 3; c++) {
            assertEquals(32768f / 65535f * 2f - 1f, rgb[c * 9 + 1], 1e-5f);
        }
    }

    @Test
    void paletteImageUsesItsPalette() {
        ImageFolderSource s = ImageFolderSource.open(root);
        float[] v = s.load(indexOf(s, "palette.png"), new Transform(4, 3, true));
        assertArrayEquals(new float[] {1f, -1f, -1f}, new float[] {v[0], v[16], v[32]}, 0f); // x=0 red
        assertArrayEquals(new float[] {-1f, -1f, 1f}, new float[] {v[3], v[19], v[35]}, 0f); // x=3 blue
    }

    @Test
    void alphaIsCompositedOnWhite() {
        ImageFolderSource s = ImageFolderSource.open(root);
        float[] v = s.load(indexOf(s, "rgba.png"), new Transform(2, 3, true));
        for (int c = 0; c < 3; c++) {
            assertEquals(1f, v[c * 4], 1e-6f, "transparent red reads as white");
            assertEquals((1f - 128f / 255f) * 2f - 1f, v[c * 4 + 1], 1e-6f, "half-transparent black: gray");
        }
    }

    @Test
    void oneChannelConfigGivesLuma() {
        ImageFolderSource s = ImageFolderSource.open(root);
        float[] v = s.load(indexOf(s, "red.png"), new Transform(2, 1, true));
        assertArrayEquals(new float[] {0.299f * 2 - 1, 0.299f * 2 - 1, 0.299f * 2 - 1, 0.299f * 2 - 1}, v, 1e-6f);
    }

    @Test
    void aFileThatFailsAtLoadIsListedOnceAndNothingStandsInForIt() {
        ImageFolderSource s = ImageFolderSource.open(root);
        int bad = indexOf(s, "trunc.png");
        Transform tf = new Transform(4, 3, true);
        assertEquals(3, s.skipped().size(), "the header scan passes it");
        UnreadableImageException e = assertThrows(UnreadableImageException.class, () -> s.load(bad, tf));
        assertEquals(bad, e.index());
        assertTrue(e.path().endsWith("trunc.png"), e.path());
        assertTrue(e.getMessage().contains("trunc.png") && !e.reason().isBlank(), e.getMessage());
        List<ImageSource.Skipped> sk = s.skipped();
        assertEquals(4, sk.size());
        assertEquals(List.of(new ImageSource.Skipped(e.path(), e.reason())),
                sk.stream().filter(k -> k.path().endsWith("trunc.png")).toList());
        UnreadableImageException again = assertThrows(UnreadableImageException.class, () -> s.pixels(bad));
        assertEquals(e.reason(), again.reason());
        assertEquals(4, s.skipped().size(), "listed once");
        assertEquals(0, s.label(bad), "its index and label stay");
        assertEquals(8, s.size());
    }

    @Test
    void pixelsAreAlwaysTheFilesOwnOrAnError(@TempDir Path other) throws IOException {
        List<BufferedImage> originals = new java.util.ArrayList<>();
        for (int i = 0; i < 4; i++) {
            originals.add(BadImageFiles.noisePng(other.resolve("a/good" + i + ".png"), 12, 10, 100 + i));
        }
        BadImageFiles.truncatedPng(other.resolve("a/good1x.png"), 64, 64, 7); // sorts between good1 and good2
        ImageFolderSource s = ImageFolderSource.open(other);
        assertEquals(5, s.size());
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < s.size(); i++) {
                String name = s.file(i).getFileName().toString();
                if (name.equals("good1x.png")) {
                    int k = i;
                    assertThrows(UnreadableImageException.class, () -> s.pixels(k));
                    continue;
                }
                Pixels want = Pixels.fromImage(originals.get(name.charAt(4) - '0'));
                Pixels got = s.pixels(i);
                assertEquals(want.width(), got.width(), name);
                assertArrayEquals(want.data(), got.data(), 0f, name);
            }
        }
        assertEquals(List.of(other.resolve("a/good1x.png").toString()),
                s.skipped().stream().map(ImageSource.Skipped::path).toList());
    }

    @Test
    void aTruncatedJpegIsSkippedAtLoadToo(@TempDir Path other) throws IOException {
        BufferedImage noise = BadImageFiles.noisePng(other.resolve("noise.png"), 64, 64, 3);
        Files.delete(other.resolve("noise.png"));
        write(noise, "jpeg", other.resolve("whole.jpg"));
        byte[] jpeg = Files.readAllBytes(other.resolve("whole.jpg"));
        Files.write(other.resolve("cut.jpg"), Arrays.copyOf(jpeg, jpeg.length / 2));
        ImageFolderSource s = ImageFolderSource.open(other);
        assertEquals(2, s.size(), "the header scan passes both");
        int cut = indexOf(s, "cut.jpg");
        UnreadableImageException e = assertThrows(UnreadableImageException.class, () -> s.pixels(cut));
        assertTrue(e.path().endsWith("cut.jpg"), e.path());
        assertEquals(64, s.pixels(indexOf(s, "whole.jpg")).width());
        assertEquals(List.of("cut.jpg"), s.skipped().stream().map(k -> Path.of(k.path()).getFileName().toString()).toList());
    }

    @Test
    void aDecompressionBombIsRefusedAtTheScanByItsDeclaredSize(@TempDir Path other) throws IOException {
        BadImageFiles.noisePng(other.resolve("good.png"), 4, 4, 1);
        BadImageFiles.declaredSizePng(other.resolve("bomb.png"), 60000, 60000);
        for (boolean verify : new boolean[] {false, true}) {
            ImageFolderSource s = ImageFolderSource.open(other, verify);
            assertEquals(1, s.size());
            assertEquals("good.png", s.file(0).getFileName().toString());
            assertEquals(1, s.skipped().size(), s.skipped().toString());
            ImageSource.Skipped bomb = s.skipped().get(0);
            assertTrue(bomb.path().endsWith("bomb.png"), bomb.path());
            assertTrue(bomb.reason().contains("60000x60000") && bomb.reason().contains("3,600,000,000")
                    && bomb.reason().contains("89,478,485"), bomb.reason());
        }
    }

    @Test
    void theBudgetIsPillowsMaxImagePixels(@TempDir Path other) throws IOException {
        assertEquals(89_478_485L, ImageFolderSource.MAX_IMAGE_PIXELS);
        int side = (int) Math.sqrt(ImageFolderSource.MAX_IMAGE_PIXELS); // 9459: 89,472,681 pixels
        BadImageFiles.declaredSizePng(other.resolve("within.png"), side, side);
        BadImageFiles.declaredSizePng(other.resolve("wide.png"), (int) ImageFolderSource.MAX_IMAGE_PIXELS + 1, 1);
        BadImageFiles.declaredSizePng(other.resolve("over.png"), side + 1, side);
        ImageFolderSource s = ImageFolderSource.open(other);
        assertEquals(1, s.size(), "only the one within the budget is counted: " + s.skipped());
        assertEquals("within.png", s.file(0).getFileName().toString());
        assertEquals(side, s.width(0));
        assertEquals(Map.of("over.png", side + 1 + "x" + side, "wide.png", ImageFolderSource.MAX_IMAGE_PIXELS + 1 + "x1"),
                s.skipped().stream().collect(Collectors.toMap(k -> Path.of(k.path()).getFileName().toString(),
                        k -> k.reason().replaceAll("^declared size (\\d+x\\d+) .*", "$1"))));
    }

    @Test
    void theScanKeepsEachHeadersSizeAndColourType() {
        Map<String, String> expected = Map.of("photo.JPG", "16x16 RGB", "red.png", "8x8 RGB", "deep.bmp", "6x4 RGB",
                "trunc.png", "64x64 RGB", "anim.gif", "5x5 palette", "gray16.png", "3x2 gray", "palette.png",
                "4x4 palette", "rgba.png", "2x2 RGB + alpha");
        for (boolean verify : new boolean[] {false, true}) {
            ImageFolderSource s = ImageFolderSource.open(root, verify);
            Map<String, String> got = java.util.stream.IntStream.range(0, s.size()).boxed().collect(Collectors.toMap(
                    i -> s.file(i).getFileName().toString(), i -> s.width(i) + "x" + s.height(i) + " " + s.colorKind(i)));
            Map<String, String> want = new java.util.HashMap<>(expected);
            if (verify) {
                want.remove("trunc.png"); // left out by the full decode
            }
            assertEquals(want, got, verify ? "verifying scan" : "header scan");
        }
    }

    @Test
    void verifyingScanFindsTruncatedFilesUpFront() {
        ImageFolderSource s = ImageFolderSource.open(root, true);
        assertEquals(7, s.size());
        assertEquals(4, s.skipped().size());
    }

    @Test
    void imagesDirectlyInTheRootFormTheirOwnClassOnlyBesideClassFolders(@TempDir Path other) throws IOException {
        write(solid(BufferedImage.TYPE_INT_RGB, 2, 2, 0), "png", other.resolve("a.png"));
        write(solid(BufferedImage.TYPE_INT_RGB, 2, 2, 0), "png", other.resolve("b.PNG"));
        ImageFolderSource flat = ImageFolderSource.open(other);
        assertEquals(List.of(), flat.classNames());
        assertEquals(0, flat.label(1));
        assertEquals(3, flat.channels());

        write(solid(BufferedImage.TYPE_INT_RGB, 2, 2, 0), "png", other.resolve("zebra/c.png"));
        ImageFolderSource mixed = ImageFolderSource.open(other);
        assertEquals(List.of(ImageFolderSource.ROOT_CLASS, "zebra"), mixed.classNames());
        assertEquals(1, mixed.label(2));
    }

    @Test
    void grayOnlyFolderReportsOneChannel(@TempDir Path other) throws IOException {
        write(new BufferedImage(3, 3, BufferedImage.TYPE_BYTE_GRAY), "png", other.resolve("g.png"));
        assertEquals(1, ImageFolderSource.open(other).channels());
    }

    @Test
    void folderWithoutUsableImagesNamesThePathAndExtensions(@TempDir Path other) throws IOException {
        Files.writeString(other.resolve("readme.txt"), "hello");
        DataException e = assertThrows(DataException.class, () -> ImageFolderSource.open(other));
        assertTrue(e.getMessage().contains(other.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(".png") && e.getMessage().contains(".jpg"), e.getMessage());
        assertTrue(e.getMessage().contains("1 file was skipped"), e.getMessage());

        DataException missing = assertThrows(DataException.class,
                () -> ImageFolderSource.open(other.resolve("nope")));
        assertTrue(missing.getMessage().contains("nope") && missing.getMessage().contains("does not exist"));
    }
}

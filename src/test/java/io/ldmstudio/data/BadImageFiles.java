package io.ldmstudio.data;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32;
import javax.imageio.ImageIO;

/** Test files: good PNGs of distinct content, a truncated PNG, and a "decompression bomb" PNG. */
public final class BadImageFiles {
    private BadImageFiles() {}

    /** Writes a w×h PNG of noise from {@code seed} (so every seed gives different pixels) and returns it. */
    public static BufferedImage noisePng(Path file, int w, int h, long seed) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        Random r = new Random(seed);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, r.nextInt() & 0xFFFFFF);
            }
        }
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        assertTrue(ImageIO.write(img, "png", file.toFile()), "no PNG writer");
        return img;
    }

    /** A PNG of noise cut in the middle of its IDAT data: the header is intact, the pixels are not. */
    public static void truncatedPng(Path file, int w, int h, long seed) throws IOException {
        noisePng(file, w, h, seed);
        byte[] png = Files.readAllBytes(file);
        int idat = indexOf(png, "IDAT");
        int length = ByteBuffer.wrap(png, idat - 4, 4).getInt();
        assertTrue(length > 16, "IDAT of " + length + " bytes is too short to cut in the middle");
        Files.write(file, Arrays.copyOf(png, idat + 4 + length / 2));
    }

    /**
     * A valid 1×1 PNG whose IHDR is then patched to declare {@code w}×{@code h} (with the IHDR CRC
     * fixed, so the header reads cleanly).
     */
    public static void declaredSizePng(Path file, int w, int h) throws IOException {
        noisePng(file, 1, 1, 0);
        byte[] png = Files.readAllBytes(file);
        int ihdr = indexOf(png, "IHDR");
        ByteBuffer b = ByteBuffer.wrap(png);
        b.putInt(ihdr + 4, w);
        b.putInt(ihdr + 8, h);
        CRC32 crc = new CRC32();
        crc.update(png, ihdr, 4 + 13); // chunk type and data
        b.putInt(ihdr + 4 + 13, (int) crc.getValue());
        Files.write(file, png);
    }

    /** The offset of the first chunk type {@code type} (the 4 bytes after the chunk's length). */
    private static int indexOf(byte[] png, String type) {
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        outer:
        for (int i = 12; i + 4 <= png.length; i++) {
            for (int k = 0; k < 4; k++) {
                if (png[i + k] != t[k]) {
                    continue outer;
                }
            }
            return i;
        }
        throw new AssertionError("no " + type + " chunk in the PNG");
    }

    /** What {@link ImageFolderSource} should decode {@code img} to. */
    public static Pixels pixelsOf(BufferedImage img) {
        return Pixels.fromImage(img);
    }
}

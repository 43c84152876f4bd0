package io.ldmstudio.data;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * Writes PNGs safely: into a temporary file beside the target, then an atomic move over it, so a
 * reader (the gallery) or a crash never sees a half-written picture. Parent folders are created.
 * Where the file system cannot move atomically, a plain replacing move is used.
 */
public final class ImageWriter {
    private ImageWriter() {}

    public static void writePng(BufferedImage img, Path file) throws IOException {
        Path target = file.toAbsolutePath();
        Path dir = target.getParent();
        Files.createDirectories(dir);
        // a fresh name beside the target (same file system, so the move can be atomic); created with
        // the default permissions, unlike Files.createTempFile's owner-only ones
        Path tmp = dir.resolve("." + target.getFileName() + "." + Long.toHexString(System.nanoTime())
                + Long.toHexString(Thread.currentThread().getId()) + ".tmp");
        try {
            try (OutputStream out = Files.newOutputStream(tmp, StandardOpenOption.CREATE_NEW,
                    StandardOpenOption.WRITE)) {
                if (!ImageIO.write(img, "png", out)) {
                    throw new IOException("no PNG writer for image type " + img.getType());
                }
            }
            try {
                Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /** One CHW image in [-1, 1] as a PNG. */
    public static void writePng(float[] chw, int channels, int height, int width, Path file) throws IOException {
        writePng(Grids.toImage(chw, channels, height, width), file);
    }

    /** A near-square grid of CHW images in [-1, 1] as a PNG (see {@link Grids}). */
    public static void writeGrid(List<float[]> images, int channels, int height, int width, Path file)
            throws IOException {
        writePng(Grids.grid(images, channels, height, width), file);
    }

    public static void writeGrid(List<float[]> images, int channels, int height, int width, int cols, Path file)
            throws IOException {
        writePng(Grids.grid(images, channels, height, width, cols), file);
    }
}

package io.ldmstudio.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Locale;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * CMYK JPEGs as Photoshop writes them (Adobe APP14, inverted samples; plain CMYK and YCCK) decode to
 * the colours of the RGB image they were made from. The fixtures and {@code make-cmyk.sh}, which
 * made them from {@code cmyk-source.png}, are in {@code src/test/resources/images}.
 */
class ImageFolderSourceCmykTest {
    /** Mean absolute error allowed, in 8-bit levels (the JDK's own reader is off by about 50). */
    static final double TOLERANCE = 6;

    @TempDir
    Path dir;

    private Path copy(String name) throws IOException {
        try (InputStream in = ImageFolderSourceCmykTest.class.getResourceAsStream("/images/" + name)) {
            assertNotNull(in, "test resource images/" + name + " is missing");
            Path file = dir.resolve(name);
            Files.copy(in, file);
            return file;
        }
    }

    /** Mean absolute difference of two images of the same size and channels, in 8-bit levels. */
    static double meanAbsoluteError(Pixels a, Pixels b) {
        assertEquals(a.width() + "x" + a.height() + "x" + a.channels(), b.width() + "x" + b.height() + "x" + b.channels());
        double sum = 0;
        for (int i = 0; i < a.data().length; i++) {
            sum += Math.abs(a.data()[i] - b.data()[i]);
        }
        return 255 * sum / a.data().length;
    }

    @ParameterizedTest
    @ValueSource(strings = {"cmyk-adobe.jpg", "cmyk-ycck.jpg"})
    void aPhotoshopCmykJpegDecodesToTheColoursOfItsSource(String name) throws IOException {
        copy("cmyk-source.png");
        Path jpeg = copy(name);
        ImageFolderSource s = ImageFolderSource.open(dir, true);
        assertEquals(2, s.size(), "skipped: " + s.skipped());
        assertEquals(3, s.channels());
        int png = s.file(0).getFileName().toString().endsWith(".png") ? 0 : 1;
        assertEquals(48, s.width(1 - png));
        double error = meanAbsoluteError(s.pixels(png), s.pixels(1 - png));
        System.out.printf(Locale.ROOT, "%s: mean absolute error %.2f/255 against cmyk-source.png%n", name, error);
        assertTrue(error < TOLERANCE, String.format(Locale.ROOT, "%s decodes with a mean absolute error of %.2f/255 "
                + "against cmyk-source.png, expected below %.0f", jpeg, error, TOLERANCE));
        try (ImageInputStream in = ImageIO.createImageInputStream(jpeg.toFile())) {
            Iterator<ImageReader> readers = ImageIO.getImageReaders(in);
            assertTrue(readers.hasNext(), "no reader for " + jpeg);
            String reader = readers.next().getClass().getName();
            assertTrue(reader.startsWith("com.twelvemonkeys.imageio.plugins.jpeg."),
                    "the first JPEG reader ImageFolderSource gets should be TwelveMonkeys', not " + reader);
        }
    }
}

package io.ldmstudio.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ldmstudio.config.RunConfig;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SourcesTest {
    @TempDir
    Path dir;

    private static RunConfig.Data data(String source, Object path) {
        return new RunConfig.Data(source, path == null ? null : path.toString(), 32, 3, true, false, 0, 2);
    }

    private static String fails(RunConfig.Data d) {
        return assertThrows(DataException.class, () -> Sources.open(d)).getMessage();
    }

    @Test
    void defaultsOpenTheProceduralDataset() {
        ImageSource s = Sources.open(RunConfig.defaults().data());
        assertInstanceOf(ProceduralSource.class, s);
        assertEquals(ProceduralSource.DEFAULT_COUNT, s.size());
    }

    @Test
    void unknownOrMissingSourceNamesTheFieldAndTheChoices() {
        String m = fails(data("imagenet", null));
        assertTrue(m.contains("data.source") && m.contains("imagenet")
                && m.contains("procedural, folder, cifar10, idx"), m);
        String missing = fails(data(null, null));
        assertTrue(missing.contains("data.source is missing"), missing);
    }

    @Test
    void missingOrNonexistentPathNamesTheFieldAndPath() {
        String m = fails(data("folder", null));
        assertTrue(m.contains("data.path is missing"), m);
        Path nope = dir.resolve("no-such-folder");
        String n = fails(data("cifar10", nope));
        assertTrue(n.contains("data.path does not exist") && n.contains(nope.toString()), n);
    }

    @Test
    void idxPathThatDoesNotExistSaysHowToGetFashionMnist() {
        Path nope = dir.resolve("fashion");
        String m = fails(data("idx", nope));
        assertTrue(m.contains(nope.toString()), m);
        assertTrue(m.contains("apt-get install dataset-fashion-mnist"), m);
        assertTrue(m.contains("train-images-idx3-ubyte.gz"), m);
    }

    @Test
    void idxWithoutPathUsesTheInstalledFashionMnist() {
        if (!Files.exists(Sources.DEFAULT_FASHION_MNIST)) {
            String m = fails(data("idx", null));
            assertTrue(m.contains("data.path") && m.contains("apt-get install dataset-fashion-mnist"), m);
            return;
        }
        assumeTrue(Files.isRegularFile(Sources.DEFAULT_FASHION_MNIST.resolve("train-labels-idx1-ubyte.gz")));
        ImageSource s = Sources.open(data("IDX", null));
        assertEquals(60_000, s.size());
        assertEquals("Ankle boot", s.classNames().get(9));
    }

    @Test
    void badShapeSettingsNameTheirFields() {
        assertTrue(fails(new RunConfig.Data("procedural", null, 32, 2, true, false, 0, 2)).contains("data.channels"));
        assertTrue(fails(new RunConfig.Data("procedural", null, 0, 3, true, false, 0, 2)).contains("data.resolution"));
        assertTrue(fails(new RunConfig.Data("procedural", null, 32, 3, true, false, -1, 2)).contains("data.limit"));
    }

    @Test
    void folderAndCifarOpen() throws Exception {
        ImageFolderSourceTest.write(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), "png", dir.resolve("a/x.png"));
        assertInstanceOf(ImageFolderSource.class, Sources.open(data("folder", dir)));
        Path bin = dir.resolve("data_batch_1.bin");
        Files.write(bin, Cifar10SourceTest.records(1, 2, 3));
        ImageSource c = Sources.open(data("cifar10", bin));
        assertEquals(3, c.size());
    }
}

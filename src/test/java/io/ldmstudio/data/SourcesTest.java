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

    private static String checkFails(RunConfig.Data d) {
        return assertThrows(DataException.class, () -> Sources.check(d)).getMessage();
    }

    @Test
    void checkNamesDataPathAndThePathForEveryWayItCanBeWrong() throws Exception {
        Sources.check(RunConfig.defaults().data()); // procedural: nothing to look at
        assertTrue(checkFails(data("folder", null)).contains("data.path is missing"));
        assertTrue(checkFails(new RunConfig.Data("procedural", null, 32, 5, true, false, 0, 2)).contains("data.channels"));

        Path nope = dir.resolve("no-such-folder");
        String missing = checkFails(data("folder", nope));
        assertTrue(missing.contains("data.path does not exist: " + nope), missing);

        Path file = Files.writeString(dir.resolve("notes.txt"), "not images");
        String notFolder = checkFails(data("folder", file));
        assertTrue(notFolder.contains("data.path is not a folder: " + file), notFolder);

        Path empty = Files.createDirectories(dir.resolve("empty"));
        Files.writeString(empty.resolve("readme.txt"), "no pictures here");
        ImageFolderSourceTest.write(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), "png",
                empty.resolve(".hidden/x.png"));
        String noImages = checkFails(data("folder", empty));
        assertTrue(noImages.contains("data.path has no images: " + empty) && noImages.contains(".png"), noImages);

        Path nested = dir.resolve("classes");
        ImageFolderSourceTest.write(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), "png", nested.resolve("cat/x.PNG"));
        Sources.check(data("folder", nested)); // one image, in a class sub-folder, upper-case extension

        String idx = checkFails(data("idx", empty));
        assertTrue(idx.startsWith("data.path " + empty + ": ") && idx.contains("train-images-idx3-ubyte"), idx);
        Path bin = dir.resolve("data_batch_1.bin");
        Files.write(bin, Cifar10SourceTest.records(1, 2));
        Sources.check(data("cifar10", bin));
        Files.write(bin, new byte[] {1, 2, 3});
        String cifar = checkFails(data("cifar10", bin));
        assertTrue(cifar.startsWith("data.path " + bin + ": ") && cifar.contains("3 bytes"), cifar);
    }

    @Test
    void checkRefusesAnUnreadableFolder() throws Exception {
        Path locked = Files.createDirectories(dir.resolve("locked"));
        ImageFolderSourceTest.write(new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB), "png", locked.resolve("x.png"));
        Files.setPosixFilePermissions(locked, java.nio.file.attribute.PosixFilePermissions.fromString("-w-------"));
        try {
            assumeTrue(!Files.isReadable(locked), "permissions are not enforced for this user (root)");
            String m = checkFails(data("folder", locked));
            assertTrue(m.contains("data.path is not readable: " + locked), m);
        } finally {
            Files.setPosixFilePermissions(locked, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
        }
    }
}

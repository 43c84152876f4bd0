package io.ldmstudio.runs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AtomicFilesTest {
    @TempDir
    Path dir;

    private List<String> names() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void writesAndReplaces() throws IOException {
        Path f = dir.resolve("a.txt");
        AtomicFiles.writeString(f, "one");
        AtomicFiles.writeString(f, "two");
        assertEquals("two", Files.readString(f));
        AtomicFiles.writeJson(dir.resolve("b.json"), Map.of("k", 1));
        assertTrue(Files.readString(dir.resolve("b.json")).contains("\"k\" : 1"));
        assertEquals(List.of("a.txt", "b.json"), names(), "no temporary files left");
    }

    @Test
    void aWriterFailingBeforeTheMoveLeavesTheOldFileIntact() throws IOException {
        Path f = dir.resolve("config.json");
        AtomicFiles.writeString(f, "old content");
        IOException e = assertThrows(IOException.class, () -> AtomicFiles.write(f, out -> {
            out.write("new cont".getBytes(StandardCharsets.UTF_8)); // half written, then the "crash"
            throw new IOException("disk full");
        }));
        assertEquals("disk full", e.getMessage());
        assertEquals("old content", Files.readString(f));
        assertEquals(List.of("config.json"), names(), "the temporary file is removed");

        assertThrows(IllegalStateException.class, () -> AtomicFiles.write(f, out -> {
            throw new IllegalStateException("bug in the writer");
        }));
        assertEquals("old content", Files.readString(f));
        assertEquals(List.of("config.json"), names());
    }

    @Test
    void publishDirectoryAppearsWholeOrNotAtAll() throws IOException {
        Path target = dir.resolve("step-00000010");
        assertThrows(IOException.class, () -> AtomicFiles.publishDirectory(target, tmp -> {
            Files.writeString(tmp.resolve("model.safetensors"), "weights");
            throw new IOException("crash mid-checkpoint");
        }));
        assertEquals(List.of(), names(), "neither the target nor the temporary folder remains");

        AtomicFiles.publishDirectory(target, tmp -> {
            assertTrue(tmp.getFileName().toString().startsWith("step-00000010" + AtomicFiles.TMP_MARK));
            Files.writeString(tmp.resolve("model.safetensors"), "weights");
        });
        assertEquals("weights", Files.readString(target.resolve("model.safetensors")));
        assertThrows(FileAlreadyExistsException.class, () -> AtomicFiles.publishDirectory(target, tmp -> { }));

        AtomicFiles.publishDirectory(target, true, tmp -> Files.writeString(tmp.resolve("model.safetensors"), "v2"));
        assertEquals("v2", Files.readString(target.resolve("model.safetensors")));
        assertEquals(List.of("step-00000010"), names(), "the replaced folder is gone");
    }

    @Test
    void appendLineStartsAFreshLineAfterATruncatedOne() throws IOException {
        Path f = dir.resolve("metrics.jsonl");
        AtomicFiles.appendLine(f, "{\"step\": 1}");
        Files.writeString(f, "{\"step\": 2, \"lo", java.nio.file.StandardOpenOption.APPEND); // crash mid-line
        AtomicFiles.appendLine(f, "{\"step\": 3}");
        assertEquals(List.of("{\"step\": 1}", "{\"step\": 2, \"lo", "{\"step\": 3}"), Files.readAllLines(f));
        assertThrows(IllegalArgumentException.class, () -> AtomicFiles.appendLine(f, "two\nlines"));
    }

    @Test
    void deleteTreeRemovesFoldersAndToleratesMissing() throws IOException {
        Path d = dir.resolve("x/y");
        Files.createDirectories(d);
        Files.writeString(d.resolve("f"), "f");
        AtomicFiles.deleteTree(dir.resolve("x"));
        assertFalse(Files.exists(dir.resolve("x")));
        AtomicFiles.deleteTree(dir.resolve("x"));
    }

    @Test
    void aNewFileIsReadableByOthersAndAReplacedOneKeepsItsPermissions() throws IOException {
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.FileSystems.getDefault()
                .supportedFileAttributeViews().contains("posix"));
        Path fresh = dir.resolve("figure.png");
        AtomicFiles.write(fresh, new byte[] {1, 2, 3});
        assertEquals("rw-r--r--", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(fresh)));
        Files.setPosixFilePermissions(fresh, java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw----"));
        AtomicFiles.write(fresh, new byte[] {4});
        assertEquals("rw-rw----", java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(fresh)));
        assertArrayEquals(new byte[] {4}, Files.readAllBytes(fresh));
    }
}

package io.ldmstudio.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.weights.SafeTensors.Source;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A write that fails part-way leaves the previous file exactly as it was, and no debris. */
class SafeTensorsAtomicWriteTest {
    @TempDir
    Path dir;

    private List<String> filesInDir() throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void supplierThrowingMidWriteLeavesThePreviousFileIntact() throws Exception {
        Path file = dir.resolve("model.safetensors");
        SafeTensors.write(file, Map.of("w", Source.of(new float[] {1, 2, 3}, 3)), Map.of("step", "1000"), "F32");
        byte[] before = Files.readAllBytes(file);

        RuntimeException boom = new IllegalStateException("out of memory while copying 'z'");
        Map<String, Source> tensors = new TreeMap<>();
        tensors.put("a", Source.of(new float[600_000], 600_000)); // 2.4 MB: already flushed to disk
        long[] tempSizeWhenFailing = {-1};
        tensors.put("z", new Source(new long[] {4}, () -> {
            try (Stream<Path> s = Files.list(dir)) {
                Path tmp = s.filter(p -> p.getFileName().toString().endsWith(".tmp")).findFirst().orElseThrow();
                tempSizeWhenFailing[0] = Files.size(tmp);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            throw boom;
        }));
        RuntimeException thrown = assertThrows(RuntimeException.class,
                () -> SafeTensors.write(file, tensors, Map.of("step", "2000"), "F32"));

        assertSame(boom, thrown);
        assertTrue(tempSizeWhenFailing[0] >= 2_000_000, "failed mid-way: " + tempSizeWhenFailing[0] + " bytes written");
        assertArrayEquals(before, Files.readAllBytes(file));
        assertEquals(List.of("model.safetensors"), filesInDir(), "the temporary file is gone");
        assertEquals(Map.of("step", "1000"), SafeTensors.read(file).metadata());
    }

    @Test
    void wrongValueCountFromASourceAlsoLeavesThePreviousFileIntact() throws Exception {
        Path file = dir.resolve("ema.safetensors");
        SafeTensors.write(file, Map.of("w", Source.of(new float[] {1}, 1)), null, "F16");
        byte[] before = Files.readAllBytes(file);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> SafeTensors.write(file,
                Map.of("w", new Source(new long[] {2, 2}, () -> new float[3])), null, "F16"));
        assertTrue(e.getMessage().contains("tensor 'w'") && e.getMessage().contains("gave 3"), e.getMessage());
        assertArrayEquals(before, Files.readAllBytes(file));
        assertEquals(List.of("ema.safetensors"), filesInDir());
    }

    @Test
    void successfulWriteReplacesTheFile() throws Exception {
        Path file = dir.resolve("model.safetensors");
        SafeTensors.write(file, Map.of("w", Source.of(new float[] {1}, 1)), null, "F32");
        SafeTensors.write(file, Map.of("v", Source.of(new float[] {2, 3}, 2)), null, "F32");
        assertEquals(List.of("v"), List.copyOf(SafeTensors.read(file).tensors().keySet()));
        assertEquals(List.of("model.safetensors"), filesInDir());
    }

    @Test
    void writtenFileGetsOrdinaryPermissions() throws Exception {
        if (!FileSystems.getDefault().supportedFileAttributeViews().contains("posix")) {
            return;
        }
        Path plain = Files.createFile(dir.resolve("plain"));
        Path file = dir.resolve("model.safetensors");
        SafeTensors.write(file, Map.of("w", Source.of(new float[] {1}, 1)), null, "F32");
        assertEquals(PosixFilePermissions.toString(Files.getPosixFilePermissions(plain)),
                PosixFilePermissions.toString(Files.getPosixFilePermissions(file)),
                "not the 0600 of a temp file");
    }

    @Test
    void missingFolderIsReported() {
        Path file = dir.resolve("no/such/folder/model.safetensors");
        NoSuchFileException e = assertThrows(NoSuchFileException.class,
                () -> SafeTensors.write(file, Map.of("w", Source.of(new float[] {1}, 1)), null, "F32"));
        assertTrue(e.getMessage().contains("folder"), e.getMessage());
    }
}

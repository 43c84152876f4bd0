package io.ldmstudio.eval;

import io.ldmstudio.data.Npy;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/** NumPy's {@code .npz}: a zip of {@code name.npy} entries, as {@code np.savez} writes it (stored, not compressed). */
final class Npz {
    private static final String WHAT = "an .npz (a zip of .npy arrays, as np.savez writes)";

    private Npz() {}

    /** Every float64 or float32 array in the file by name (without {@code .npy}), in the zip's order. */
    static Map<String, Npy.Float64Array> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new IOException(file + ": no such file; expected " + WHAT);
        }
        Map<String, Npy.Float64Array> arrays = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(file.toFile())) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry e = entries.nextElement();
                if (e.isDirectory() || !e.getName().endsWith(".npy")) {
                    continue;
                }
                byte[] bytes;
                try (InputStream in = zip.getInputStream(e)) {
                    bytes = in.readAllBytes();
                }
                String name = e.getName().substring(0, e.getName().length() - 4);
                arrays.put(name, Npy.decodeFloat64(bytes, file + "!" + e.getName()));
            }
        } catch (java.util.zip.ZipException | java.io.EOFException e) {
            throw new IOException(file + ": not readable as " + WHAT + ": " + e.getMessage(), e);
        }
        return arrays;
    }

    /** Writes the arrays as float64 {@code name.npy} entries, to a temporary file that is then moved into place. */
    static void write(Path file, Map<String, Npy.Float64Array> arrays) throws IOException {
        Path parent = file.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, file.getFileName().toString(), ".tmp");
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
                for (Map.Entry<String, Npy.Float64Array> a : arrays.entrySet()) {
                    byte[] npy = Npy.encodeFloat64(a.getValue().shape(), a.getValue().data());
                    ZipEntry e = new ZipEntry(a.getKey() + ".npy");
                    e.setMethod(ZipEntry.STORED);
                    e.setSize(npy.length);
                    e.setCompressedSize(npy.length);
                    CRC32 crc = new CRC32();
                    crc.update(npy);
                    e.setCrc(crc.getValue());
                    zip.putNextEntry(e);
                    zip.write(npy);
                    zip.closeEntry();
                }
            }
            Files.write(tmp, bytes.toByteArray());
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}

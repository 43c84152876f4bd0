package io.ldmstudio.runs;

import com.fasterxml.jackson.databind.ObjectWriter;
import io.ldmstudio.config.Configs;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.stream.Stream;

/**
 * Crash-safe file writes: a reader sees the old content or the new, never a half-written file.
 *
 * <ul>
 *   <li>{@link #write(Path, Writer)} and friends write to a temporary file in the same directory,
 *       fsync it, then {@code move(ATOMIC_MOVE, REPLACE_EXISTING)} over the target, and fsync the
 *       directory (where the platform allows). If the writer throws, the target is untouched and the
 *       temporary file is deleted.</li>
 *   <li>{@link #publishDirectory} fills {@code name.tmp-XXXX/} and renames it to {@code name/}.</li>
 *   <li>{@link #appendLine} appends one line to a log (jsonl, text) and flushes it. A crash can leave
 *       a truncated last line: readers skip it, and the next append starts on a fresh line.</li>
 * </ul>
 * Temporary names start with the target's name and contain {@code .tmp-}, so listings can skip them.
 */
public final class AtomicFiles {
    /** Marks temporary files and folders; a name containing it is never a finished artefact. */
    public static final String TMP_MARK = ".tmp-";

    private static final ObjectWriter JSON = Configs.MAPPER.writer();

    /** Writes a file's content to a stream (which it must not close). */
    @FunctionalInterface
    public interface Writer {
        void write(OutputStream out) throws IOException;
    }

    /** Fills a directory. */
    @FunctionalInterface
    public interface DirectoryWriter {
        void write(Path dir) throws IOException;
    }

    private AtomicFiles() {}

    public static void write(Path target, byte[] bytes) throws IOException {
        write(target, out -> out.write(bytes));
    }

    public static void writeString(Path target, String text) throws IOException {
        write(target, text.getBytes(StandardCharsets.UTF_8));
    }

    /** {@code value} as pretty JSON through {@link Configs#MAPPER} (snake_case), with a final newline. */
    public static void writeJson(Path target, Object value) throws IOException {
        write(target, out -> {
            JSON.writeValue(new NoClose(out), value);
            out.write('\n');
        });
    }

    /**
     * Writes {@code target} atomically: through {@code writer} into a temporary file beside it, then
     * fsync and rename over it. If {@code writer} throws, the old file is left as it was.
     */
    public static void write(Path target, Writer writer) throws IOException {
        Path dir = parentOf(target);
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + target.getFileName() + TMP_MARK, "");
        boolean moved = false;
        try {
            keepPermissions(tmp, target);
            try (FileChannel channel = FileChannel.open(tmp, StandardOpenOption.WRITE,
                    StandardOpenOption.TRUNCATE_EXISTING)) {
                OutputStream out = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
                writer.write(new NoClose(out));
                out.flush();
                channel.force(true);
            }
            move(tmp, target);
            moved = true;
            fsyncDirectory(dir);
        } finally {
            if (!moved) {
                Files.deleteIfExists(tmp);
            }
        }
    }

    /**
     * A temporary file is created owner-only (rw-------); the file it becomes gets the permissions of
     * the file it replaces, or rw-r--r-- (what a plain write gives under the usual umask) when new.
     */
    private static void keepPermissions(Path tmp, Path target) {
        try {
            java.util.Set<java.nio.file.attribute.PosixFilePermission> perms = Files.exists(target)
                    ? Files.getPosixFilePermissions(target)
                    : java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--");
            Files.setPosixFilePermissions(tmp, perms);
        } catch (UnsupportedOperationException | IOException e) {
            // not a POSIX file system (Windows): the default ACLs apply
        }
    }

    /**
     * Publishes a directory atomically: {@code writer} fills {@code target.tmp-XXXX/} beside it, every
     * file in it is fsynced, and it is renamed to {@code target}. If {@code writer} throws, the
     * temporary folder is deleted and {@code target} is untouched.
     *
     * <p>If {@code target} exists and {@code replace} is false, {@link FileAlreadyExistsException}
     * is thrown before anything is written. With {@code replace}, the old folder is first renamed
     * aside ({@code target.tmp-old-XXXX}) and deleted after the new one is in place: there is a brief
     * moment with no {@code target}, so use this only where a pointer (such as {@code LATEST}) names
     * the folder to read, not where readers look it up by name.
     */
    public static Path publishDirectory(Path target, boolean replace, DirectoryWriter writer) throws IOException {
        Path dir = parentOf(target);
        Files.createDirectories(dir);
        if (!replace && Files.exists(target)) {
            throw new FileAlreadyExistsException(target.toString());
        }
        Path tmp = Files.createTempDirectory(dir, target.getFileName() + TMP_MARK);
        boolean moved = false;
        try {
            writer.write(tmp);
            fsyncTree(tmp);
            Path old = null;
            if (Files.exists(target)) {
                if (!replace) {
                    throw new FileAlreadyExistsException(target.toString());
                }
                old = dir.resolve(target.getFileName() + TMP_MARK + "old-" + Long.toHexString(System.nanoTime()));
                move(target, old);
            }
            move(tmp, target);
            moved = true;
            fsyncDirectory(dir);
            if (old != null) {
                deleteTree(old);
            }
        } finally {
            if (!moved) {
                deleteTree(tmp);
            }
        }
        return target;
    }

    /** {@link #publishDirectory(Path, boolean, DirectoryWriter)} without replacing. */
    public static Path publishDirectory(Path target, DirectoryWriter writer) throws IOException {
        return publishDirectory(target, false, writer);
    }

    /**
     * Appends {@code line} and a newline to {@code file} (created if missing) in one write, and
     * flushes it to the OS (no fsync: logs favour speed; a crash may lose or truncate the last
     * line). If the file does not end with a newline (a line cut short by a crash), a newline is
     * written first so the new line stays whole. Callers writing one file from several threads
     * must serialise their calls (as {@link Run#log} does).
     *
     * @throws IllegalArgumentException if {@code line} contains a line break
     */
    public static void appendLine(Path file, String line) throws IOException {
        if (line.indexOf('\n') >= 0 || line.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("appendLine: a line must not contain line breaks: " + line);
        }
        Files.createDirectories(parentOf(file));
        boolean needsBreak = false;
        if (Files.exists(file)) {
            try (FileChannel in = FileChannel.open(file, StandardOpenOption.READ)) {
                long size = in.size();
                if (size > 0) {
                    ByteBuffer last = ByteBuffer.allocate(1);
                    in.read(last, size - 1);
                    needsBreak = last.get(0) != '\n';
                }
            }
        }
        byte[] bytes = ((needsBreak ? "\n" : "") + line + "\n").getBytes(StandardCharsets.UTF_8);
        try (FileChannel out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.APPEND)) {
            ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining()) {
                out.write(buffer);
            }
        }
    }

    /** Deletes a file or a folder and everything in it; missing is fine. */
    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.deleteIfExists(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                if (e != null) {
                    throw e;
                }
                Files.deleteIfExists(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            // same directory, so this only happens on exotic file systems: a plain rename is the best left
            Files.move(from, to, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static Path parentOf(Path target) {
        Path abs = target.toAbsolutePath();
        return abs.getParent();
    }

    private static void fsyncTree(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (Files.isRegularFile(p)) {
                    try (FileChannel c = FileChannel.open(p, StandardOpenOption.WRITE)) {
                        c.force(true);
                    }
                } else if (Files.isDirectory(p)) {
                    fsyncDirectory(p);
                }
            }
        }
    }

    /** Makes a rename durable; not possible on every platform (Windows), where it is skipped. */
    private static void fsyncDirectory(Path dir) {
        try (FileChannel c = FileChannel.open(dir, StandardOpenOption.READ)) {
            c.force(true);
        } catch (IOException | UnsupportedOperationException e) {
            // best effort
        }
    }

    /** Keeps a writer's close() from closing the channel before it is fsynced. */
    private static final class NoClose extends java.io.FilterOutputStream {
        NoClose(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            flush();
        }
    }
}

package io.ldmstudio.runs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The user's trash, where a deleted run goes: the freedesktop.org trash ({@code $XDG_DATA_HOME/Trash},
 * by default {@code ~/.local/share/Trash}: the folder under {@code files/} and a {@code .trashinfo}
 * under {@code info/}, so the desktop's trash can restore it) on Linux and BSD, {@code ~/.Trash} on
 * macOS. Moves only within one file system (a rename); elsewhere the caller keeps its own.
 */
final class Trash {
    private Trash() {}

    /** The trash folders to try, best first (none on Windows, where the caller keeps its own). */
    static List<Path> folders() {
        List<Path> out = new ArrayList<>();
        String override = System.getProperty("ldm.trash.dir"); // tests, or a user who wants it elsewhere
        if (override != null && !override.isBlank()) {
            out.add(Path.of(override));
            return out;
        }
        String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
        String home = System.getProperty("user.home");
        if (os.contains("mac")) {
            out.add(Path.of(home, ".Trash"));
        } else if (!os.contains("win")) {
            String xdg = System.getenv("XDG_DATA_HOME");
            Path data = xdg == null || xdg.isBlank() ? Path.of(home, ".local", "share") : Path.of(xdg);
            out.add(data.resolve("Trash"));
        }
        return out;
    }

    /** Moves {@code dir} into {@code trash} as {@code name} (atomic rename; fails across file systems). */
    static Path move(Path dir, Path trash, String name, Clock clock) throws IOException {
        boolean freedesktop = !trash.getFileName().toString().equals(".Trash");
        Path files = freedesktop ? trash.resolve("files") : trash;
        Files.createDirectories(files);
        Path target = files.resolve(name);
        if (freedesktop) {
            Path info = Files.createDirectories(trash.resolve("info")).resolve(name + ".trashinfo");
            String date = LocalDateTime.now(clock).format(DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss"));
            Files.writeString(info, "[Trash Info]\nPath=" + encode(dir.toAbsolutePath().toString()) + "\nDeletionDate="
                    + date + "\n");
            try {
                Files.move(dir, target, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                Files.deleteIfExists(info);
                throw e;
            }
        } else {
            Files.move(dir, target, StandardCopyOption.ATOMIC_MOVE);
        }
        return target;
    }

    /** The trash spec's URL-style escaping of a path (RFC 2396, '/' kept). */
    static String encode(String path) {
        StringBuilder b = new StringBuilder();
        for (byte c : path.getBytes(java.nio.charset.StandardCharsets.UTF_8)) {
            int u = c & 0xff;
            if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || "/-_.~".indexOf(u) >= 0) {
                b.append((char) u);
            } else {
                b.append(String.format(Locale.ROOT, "%%%02X", u));
            }
        }
        return b.toString();
    }
}

package io.ldmstudio.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.RunInfo;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.weights.WeightFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import picocli.CommandLine.Option;

/** Options most commands share. */
final class Common {
    @Option(names = "--workspace", description = "workspace folder (default: ./workspace)")
    Path workspace;

    /** What the workspace stamps runs, states and logs with; tests replace it to act at a given moment. */
    Clock clock = Clock.systemDefaultZone();

    Workspace workspace() {
        return new Workspace(workspace == null ? Workspace.defaultWorkspace().root() : workspace, clock);
    }

    /** The run named on the command line; a name with no run is a bad value (exit 2) that lists the runs there are. */
    Run openRun(String name) throws IOException {
        Workspace ws = workspace();
        try {
            return ws.open(name);
        } catch (NoSuchFileException e) {
            List<String> names = new ArrayList<>();
            for (RunInfo r : ws.list()) {
                names.add(r.name());
            }
            throw new IllegalArgumentException("no run named '" + name + "' in " + ws.runsDir()
                    + (names.isEmpty() ? " (it has no runs)" : "; runs there: " + String.join(", ", names)));
        }
    }

    /** A run given by its folder (a path that is a run folder) or by its name in the workspace. */
    Run runFolderOrName(String nameOrPath) throws IOException {
        Path asPath = Path.of(nameOrPath);
        if (Files.isDirectory(asPath) && Run.isRunFolder(asPath)) {
            return Run.at(asPath);
        }
        return openRun(nameOrPath);
    }

    /**
     * An autoencoder the user named with {@code what}: a pickle file is refused with the conversion
     * hint first, then a path with nothing there is a bad value (exit 2).
     */
    static Path existingVae(Path path, String what) throws IOException {
        if (path != null) {
            WeightFiles.checkNotPickle(path);
        }
        return existing(path, what);
    }

    /**
     * An autoencoder the user named with {@code what}: a path, or, when nothing is at that path and it
     * is a bare run name, that run of the workspace (as {@code sample RUN} names one). Otherwise as
     * {@link #existingVae}; a bad value names the path and the runs folder it was looked for in.
     */
    Path vaeOrRun(Path path, String what) throws IOException {
        if (path == null || Files.exists(path)) {
            return existingVae(path, what);
        }
        String name = path.toString();
        if (path.getNameCount() == 1 && Workspace.isValidName(name)) {
            Workspace ws = workspace();
            if (ws.exists(name)) {
                return ws.runsDir().resolve(name);
            }
            WeightFiles.checkNotPickle(path);
            throw new IllegalArgumentException(what + " " + path + ": no such file or folder, nor a run of that name in "
                    + ws.runsDir());
        }
        return existingVae(path, what);
    }

    /** {@code path}, which the user named with {@code what}; a bad value (exit 2) when nothing is there. */
    static Path existing(Path path, String what) {
        if (path != null && !Files.exists(path)) {
            throw new IllegalArgumentException(what + " " + path + ": no such file or folder");
        }
        return path;
    }

    /** A benchmark's phase lines, printed indented unless the result is to be one JSON object. */
    static Consumer<String> phaseLines(boolean json) {
        return line -> {
            if (!json) {
                System.out.println("  " + line);
            }
        };
    }

    /** A benchmark's figures: one JSON object, or one aligned line each. */
    static void printResult(Map<String, Object> result, boolean json) throws JsonProcessingException {
        if (json) {
            System.out.println(new ObjectMapper().writeValueAsString(result));
        } else {
            result.forEach((k, v) -> System.out.printf("  %-32s %s%n", k, v));
        }
    }

    /** Prints "  N images" each time at least {@code every} more images are done. */
    static java.util.function.IntConsumer imageCount(int every) {
        int[] shown = {0};
        return n -> {
            if (n - shown[0] >= every) {
                shown[0] = n;
                System.out.println("  " + n + " images");
            }
        };
    }

    static Devices.DeviceInfo device(String spec) {
        Devices.DeviceInfo info = Devices.resolve(spec);
        System.out.println("Using " + info.describe());
        return info;
    }
}

package io.ldmstudio.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.service.Devices;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Consumer;
import picocli.CommandLine.Option;

/** Options most commands share. */
final class Common {
    @Option(names = "--workspace", description = "workspace folder (default: ./workspace)")
    Path workspace;

    Workspace workspace() {
        return workspace == null ? Workspace.defaultWorkspace() : new Workspace(workspace);
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

package io.ldmstudio.cli;

import io.ldmstudio.runs.Workspace;
import io.ldmstudio.service.Devices;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** Options most commands share. */
final class Common {
    @Option(names = "--workspace", description = "workspace folder (default: ./workspace)")
    Path workspace;

    Workspace workspace() {
        return workspace == null ? Workspace.defaultWorkspace() : new Workspace(workspace);
    }

    static Devices.DeviceInfo device(String spec) {
        Devices.DeviceInfo info = Devices.resolve(spec);
        System.out.println("Using " + info.describe());
        return info;
    }
}

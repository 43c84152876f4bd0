package io.ldmstudio.cli;

import io.ldmstudio.ui.StudioApp;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Opens the JavaFX studio (what {@code java -jar ldm-studio.jar} with no command does). */
@Command(name = "studio", description = "Open the studio window (the default with no command).")
final class StudioCommand implements Callable<Integer> {
    @Option(names = "--workspace", description = "Workspace folder (default: the last one used, else ./workspace).")
    Path workspace;

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu, cuda[:N] or mps (default: ${DEFAULT-VALUE}).")
    String device;

    /** No display: the message reaches the user through {@link Cli}'s handler, as "error: …" with status 1. */
    @Override
    public Integer call() {
        StudioApp.launch(workspace, device);
        return 0;
    }
}

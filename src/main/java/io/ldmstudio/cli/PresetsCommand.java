package io.ldmstudio.cli;

import io.ldmstudio.config.Presets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "presets", description = "List the presets.")
final class PresetsCommand implements Callable<Integer> {
    @Option(names = "--workspace", description = "accepted as by every command; presets are not kept in a workspace but "
            + "in ./presets and in the jar")
    Path workspace;

    @Override
    public Integer call() {
        for (Presets.PresetInfo p : Presets.standard().list()) {
            System.out.printf("%-26s %s%n", p.name(), p.description());
        }
        return 0;
    }
}

package io.ldmstudio.cli;

import io.ldmstudio.config.Presets;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

@Command(name = "presets", description = "List the presets.")
final class PresetsCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        for (Presets.PresetInfo p : Presets.standard().list()) {
            System.out.printf("%-26s %s%n", p.name(), p.description());
        }
        return 0;
    }
}

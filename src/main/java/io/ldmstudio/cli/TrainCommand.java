package io.ldmstudio.cli;

import io.ldmstudio.config.ConfigResolver;
import io.ldmstudio.config.Presets;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.service.Devices;
import io.ldmstudio.service.TrainingService;
import io.ldmstudio.training.Trainer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

@Command(name = "train", description = "Train a diffusion model from a preset into a new run folder.")
final class TrainCommand implements Callable<Integer> {
    @Option(names = "--preset", required = true, description = "preset name (see: presets)")
    String preset;

    @Option(names = "--set", description = "override a config value, e.g. --set optim.lr=1e-4 (repeatable)")
    List<String> overrides = new ArrayList<>();

    @Option(names = "--run", description = "run name (default: PRESET-DATE-TIME)")
    String runName;

    @Option(names = "--steps", description = "total optimiser steps (optim.steps)")
    Long steps;

    @Option(names = "--device", description = "auto|cpu|cuda[:N]|mps (default: the preset's)")
    String device;

    @Mixin
    Common common;

    @Override
    public Integer call() throws Exception {
        List<String> all = new ArrayList<>(overrides);
        if (steps != null) {
            if (steps < 1) {
                throw new IllegalArgumentException("--steps " + steps + ": expected a positive number of steps");
            }
            all.add("optim.steps=" + steps);
        }
        if (device != null) {
            all.add("device=" + device);
        }
        RunConfig config = ConfigResolver.resolve(Presets.standard(), preset, all);
        Trainer.checkTrainable(config);
        Workspace ws = common.workspace();
        String name = runName != null ? runName : ws.uniqueName(preset);
        Workspace.validateName(name);
        if (ws.exists(name)) {
            throw new IllegalArgumentException("--run " + name + ": a run of that name exists in " + ws.runsDir()
                    + "; use `resume " + name + "` or another name");
        }
        Devices.DeviceInfo info = Common.device(config.device());
        Run run = ws.create(name, config, info.engine() + " " + info.engineVersion(), info.device().toString());
        System.out.println("Run " + name + " in " + run.dir());
        return RunWaiter.runToEnd(run, info, 0, config.optim().steps());
    }
}

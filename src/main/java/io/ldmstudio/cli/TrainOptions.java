package io.ldmstudio.cli;

import io.ldmstudio.config.ConfigException;
import io.ldmstudio.config.ConfigResolver;
import io.ldmstudio.config.Presets;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.training.Trainer;
import java.nio.file.FileAlreadyExistsException;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The options of {@code train} and {@code vae train}, and starting a new run from them. */
final class TrainOptions {
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

    /**
     * Resolves the preset with the overrides, creates the run and trains it in the foreground.
     *
     * @param task the task the preset must have ({@code autoencoder} for {@code vae train}), or null for any
     */
    int train(Common common, String task) throws Exception {
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
        Presets presets = Presets.standard();
        RunConfig config = ConfigResolver.resolve(presets, preset, all);
        if (task != null && !task.equals(config.task())) {
            throw new IllegalArgumentException("--preset " + preset + " has task = " + config.task() + ", not " + task
                    + "; presets with task = " + task + ": " + String.join(", ", presetsWithTask(presets, task))
                    + " (or --set task=" + task + ")");
        }
        Trainer.checkTrainable(config);
        Workspace ws = common.workspace();
        String name = runName != null ? runName : ws.uniqueName(preset);
        Workspace.validateName(name);
        if (ws.exists(name)) {
            throw runExists(ws, name, "");
        }
        // a bad data.path, or an autoencoder with NaN or Inf weights, is a bad value, not a failed run that takes the name
        Trainer.checkStartable(config);
        Devices.DeviceInfo info = Common.device(config.device());
        Run run;
        try {
            run = ws.create(name, config, info.engine() + " " + info.engineVersion(), info.device().toString());
        } catch (FileAlreadyExistsException e) {
            // another `train --run NAME` created it since the check above: the same bad value, found later
            throw runExists(ws, name, " (created just now by another process)");
        }
        System.out.println("Run " + name + " in " + run.dir());
        return RunWaiter.runToEnd(run, info, 0, config.optim().steps());
    }

    private static IllegalArgumentException runExists(Workspace ws, String name, String how) {
        return new IllegalArgumentException("--run " + name + ": a run of that name exists in " + ws.runsDir() + how
                + "; use `resume " + name + "` or another name");
    }

    private static List<String> presetsWithTask(Presets presets, String task) {
        List<String> out = new ArrayList<>();
        for (String name : presets.names()) {
            try {
                if (task.equals(presets.load(name).task())) {
                    out.add(name);
                }
            } catch (ConfigException e) {
                // a broken preset is listed by `presets`, not here
            }
        }
        return out;
    }
}

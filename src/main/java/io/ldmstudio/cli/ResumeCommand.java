package io.ldmstudio.cli;

import io.ldmstudio.runs.Run;
import io.ldmstudio.engine.Devices;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "resume", description = "Continue an interrupted run from its newest checkpoint (or extend it with --steps).")
final class ResumeCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN", description = "run name")
    String runName;

    @Option(names = "--steps", description = "train to this total step count instead of the config's")
    Long steps;

    @Option(names = "--device", description = "auto|cpu|cuda[:N]|mps (default: the run's config)")
    String device;

    @Mixin
    Common common;

    @Override
    public Integer call() throws Exception {
        Run run = common.openRun(runName);
        if (steps != null && steps < 1) {
            throw new IllegalArgumentException("--steps " + steps + ": expected a positive number of steps");
        }
        run.checkNotBeingTrained();
        io.ldmstudio.training.Trainer.checkStartable(run.config()); // a data folder gone since: a bad value, the run untouched
        Devices.DeviceInfo info = Common.device(device != null ? device : run.config().device());
        long total = steps != null ? steps : run.config().optim().steps();
        return RunWaiter.runToEnd(run, info, steps != null ? steps : 0, total);
    }
}

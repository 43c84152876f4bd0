package io.ldmstudio.cli;

import io.ldmstudio.runs.Run;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.service.TrainingService;
import io.ldmstudio.training.Trainer;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs a training job in the foreground; Ctrl-C stops it cleanly after a checkpoint. */
final class RunWaiter {
    private RunWaiter() {}

    static int runToEnd(Run run, Devices.DeviceInfo info, long totalOverride, long totalSteps) throws Exception {
        TrainingService.Job job = new TrainingService().start(run, info, totalOverride,
                List.of(new TrainingPrinter(totalSteps, run.dir())));
        Thread hook = new Thread(() -> {
            if (job.isAlive()) {
                System.out.println();
                System.out.println("stopping: writing a checkpoint first…");
                job.control().requestStop();
                try {
                    job.done().get(120, TimeUnit.SECONDS);
                } catch (Exception e) {
                    // the JVM is going down either way
                }
            }
        }, "ldm-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        Trainer.Outcome outcome = job.await();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            // already shutting down
        }
        switch (outcome) {
            case FINISHED:
                System.out.println("finished: " + run.dir());
                if (run.config().trainsAutoencoder()) {
                    System.out.println("grids: " + run.samplesDir() + "   exported: " + run.autoencoderExportDir());
                    System.out.println("measure it: vae eval --vae " + run.dir() + "   use it: --set autoencoder.kind=studio"
                            + " --set autoencoder.path=" + run.dir() + "   extend: resume " + run.name() + " --steps N");
                } else {
                    System.out.println("samples: " + run.samplesDir() + "   resume or extend: resume " + run.name()
                            + " --steps N   sample: sample " + run.name() + " --out samples.png");
                }
                return 0;
            case STOPPED:
                System.out.println("stopped; continue with: resume " + run.name());
                return 130;
            default:
                String why = job.failure();
                if (why == null) {
                    try {
                        job.done().join();
                    } catch (Exception e) {
                        why = e.getCause() == null ? e.getMessage() : e.getCause().getMessage();
                    }
                }
                System.err.println("error: " + why);
                System.err.println("(details in " + run.logFile() + ")");
                return 1;
        }
    }
}

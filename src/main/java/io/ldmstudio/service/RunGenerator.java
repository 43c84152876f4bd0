package io.ldmstudio.service;

import io.ldmstudio.config.RunConfig;
import io.ldmstudio.config.SamplerKind;
import io.ldmstudio.diffusion.StepListener;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.pipeline.Pipeline;
import io.ldmstudio.runs.Checkpoint;
import io.ldmstudio.runs.Run;
import io.ldmstudio.training.RunPipelines;
import io.ldmstudio.training.Trainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.function.BooleanSupplier;

/**
 * A run's checkpoint loaded once (its U-Net, and in latent space its autoencoder) on a manager of its own, for many
 * {@link #generate} calls with any sampler — what {@link SamplingService#sample(Run, SamplingService.Request,
 * Devices.DeviceInfo, StepListener, BooleanSupplier)} does per call, with the same checks and the same images for the
 * same request. Used from one thread; {@link #close} frees the weights.
 */
public final class RunGenerator implements SampleSource.Generator {
    private final Run run;
    private final RunConfig config;
    private final SampleSource.OfRun source;
    private final Checkpoint checkpoint;
    private final Path weights;
    private final LoadedPipeline loaded;

    private RunGenerator(Run run, RunConfig config, Checkpoint checkpoint, Path weights, LoadedPipeline loaded) {
        this.run = run;
        this.config = config;
        this.source = new SampleSource.OfRun(run, config);
        this.checkpoint = checkpoint;
        this.weights = weights;
        this.loaded = loaded;
    }

    /**
     * Loads {@code run}'s checkpoint at {@code checkpointStep} (0 = the newest; its EMA weights when {@code useEma})
     * onto {@code device}; refuses an autoencoder run and a run with no checkpoint, saying why.
     */
    public static RunGenerator open(Run run, long checkpointStep, boolean useEma, Devices.DeviceInfo device)
            throws IOException {
        RunConfig config = run.config();
        if (config.trainsAutoencoder()) {
            throw new IllegalArgumentException("run " + run.name() + " trains an autoencoder, which has nothing to sample");
        }
        Trainer.checkTrainable(config);
        Checkpoint cp = SamplingService.checkpointFor(run, checkpointStep);
        Path weights = cp.weights(useEma);
        Pipeline pipeline = RunPipelines.of(config, null, weights, "run " + run.name() + " (step " + cp.step() + ")");
        return new RunGenerator(run, config, cp, weights, LoadedPipeline.load(pipeline, device));
    }

    @Override
    public SampleSource source() {
        return source;
    }

    /** The step of the checkpoint loaded. */
    @Override
    public long checkpointStep() {
        return checkpoint.step();
    }

    /** The run. */
    public Run run() {
        return run;
    }

    /**
     * {@code n} images from the seed's x_T with {@code sampler} (a key, parsed as {@code --sampler}) in {@code steps}
     * steps; {@code condition} the class labels and guidance of a class-conditional run (null: unconditional).
     */
    @Override
    public SamplingService.Result generate(String sampler, int steps, double eta, long seed, int n,
            Pipeline.Condition condition, StepListener listener, BooleanSupplier cancelled) throws IOException {
        SamplingService.Request req = new SamplingService.Request(sampler, steps, eta, seed, n, true, 0, condition);
        SamplerKind kind = SamplerKind.parse(req.sampler(), "--sampler");
        if (steps > config.diffusion().timesteps()) {
            throw new IllegalArgumentException("--steps " + steps + ": at most " + config.diffusion().timesteps()
                    + " (the run's diffusion.timesteps)");
        }
        Pipeline p = loaded.pipeline().withScheduler(RunPipelines.scheduler(config, kind.key));
        Pipeline.Result r = p.generate(new Pipeline.Request(kind, steps, eta, seed, n, null, condition),
                loaded.manager(), listener, cancelled);
        return new SamplingService.Result(r.images(), r.channels(), r.height(), r.width(), checkpoint.step(),
                weights.getFileName().toString(), r.seconds());
    }

    @Override
    public void close() {
        loaded.close();
    }
}

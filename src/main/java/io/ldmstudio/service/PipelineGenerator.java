package io.ldmstudio.service;

import io.ldmstudio.config.SamplerKind;
import io.ldmstudio.diffusion.StepListener;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.pipeline.Pipeline;
import java.io.IOException;
import java.util.function.BooleanSupplier;

/**
 * A diffusers pipeline folder's weights (its U-Net, and its autoencoder) loaded once on a manager of its own, for many
 * {@link #generate} calls with any sampler, each configured from the folder's scheduler config — the images
 * {@link SamplingService#sample(Pipeline, SamplerKind, int, double, long, int, float[], Devices.DeviceInfo,
 * StepListener, BooleanSupplier)} gives for the same request. Used from one thread; {@link #close} frees the weights.
 */
final class PipelineGenerator implements SampleSource.Generator {
    private final SampleSource.OfPipeline source;
    private final LoadedPipeline loaded;

    private PipelineGenerator(SampleSource.OfPipeline source, LoadedPipeline loaded) {
        this.source = source;
        this.loaded = loaded;
    }

    static PipelineGenerator open(SampleSource.OfPipeline source, Devices.DeviceInfo device) throws IOException {
        return new PipelineGenerator(source, LoadedPipeline.load(source.pipeline(), device));
    }

    @Override
    public SampleSource source() {
        return source;
    }

    @Override
    public long checkpointStep() {
        return 0;
    }

    @Override
    public SamplingService.Result generate(String sampler, int steps, double eta, long seed, int n,
            Pipeline.Condition condition, StepListener listener, BooleanSupplier cancelled) throws IOException {
        SamplerKind kind = SamplerKind.parse(sampler, "--sampler");
        Pipeline p = loaded.pipeline();
        if (steps > p.scheduler().numTrainTimesteps()) {
            throw new IllegalArgumentException("--steps " + steps + ": at most " + p.scheduler().numTrainTimesteps()
                    + " (the scheduler's num_train_timesteps in " + source.dir() + ")");
        }
        Pipeline.Result r = p.generate(new Pipeline.Request(kind, steps, kind.usesEta ? eta : 0, seed, n, null,
                condition), loaded.manager(), listener, cancelled);
        return new SamplingService.Result(r.images(), r.channels(), r.height(), r.width(), 0,
                p.pipelineClass() + " " + p.origin(), r.seconds());
    }

    @Override
    public void close() {
        loaded.close();
    }
}

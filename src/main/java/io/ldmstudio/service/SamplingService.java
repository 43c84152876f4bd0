package io.ldmstudio.service;

import io.ldmstudio.engine.Devices;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.config.SamplerKind;
import io.ldmstudio.training.RunPipelines;
import io.ldmstudio.diffusion.StepListener;
import io.ldmstudio.pipeline.Pipeline;
import io.ldmstudio.runs.Checkpoint;
import io.ldmstudio.runs.Run;
import io.ldmstudio.training.Trainer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * Samples from a run's checkpoint on the caller's thread with a manager of its own — never from live
 * training tensors — so the gallery, the scrubber and the CLI can sample while a run trains.
 */
public final class SamplingService {
    /**
     * What to sample. {@code checkpointStep} 0 = the newest checkpoint; {@code condition} the class labels and
     * guidance of a class-conditional run (null: unconditional, or a conditional run's null class).
     */
    public record Request(String sampler, int steps, double eta, long seed, int n, boolean useEma,
            long checkpointStep, Pipeline.Condition condition) {

        public Request {
            Pipeline.Request.check(steps, eta, n, "--");
            if (condition != null && condition.labels().length != n) {
                throw new IllegalArgumentException(condition.labels().length + " class labels for --n " + n + " images");
            }
        }

        public Request(String sampler, int steps, double eta, long seed, int n, boolean useEma, long checkpointStep) {
            this(sampler, steps, eta, seed, n, useEma, checkpointStep, null);
        }
    }

    /** The samples as CHW floats in [-1, 1], one array per image, and where they came from. */
    public record Result(List<float[]> images, int channels, int height, int width, long checkpointStep,
            String weights, double seconds) {}

    private SamplingService() {}

    /**
     * Samples from a diffusers pipeline (either layout) on {@code device}: {@code sampler} null means the
     * pipeline's own scheduler class; {@code noise} a given x_T of {@link Pipeline#noiseShape} or null.
     */
    public static Result sample(Pipeline pipeline, SamplerKind sampler, int steps, double eta,
            long seed, int n, float[] noise, Devices.DeviceInfo device, StepListener listener, BooleanSupplier cancelled)
            throws IOException {
        if (steps > pipeline.scheduler().numTrainTimesteps()) {
            throw new IllegalArgumentException("--steps " + steps + ": at most " + pipeline.scheduler().numTrainTimesteps()
                    + " (the scheduler's num_train_timesteps)");
        }
        return sample(pipeline, sampler, steps, eta, seed, n, noise, device, listener, cancelled, null);
    }

    /**
     * As {@link #sample(Pipeline, SamplerKind, int, double, long, int, float[], Devices.DeviceInfo, StepListener,
     * BooleanSupplier)}, decoding latents with {@code decoder} (kept loaded across calls) when it is not null.
     */
    public static Result sample(Pipeline pipeline, SamplerKind sampler, int steps, double eta, long seed, int n,
            float[] noise, Devices.DeviceInfo device, StepListener listener, BooleanSupplier cancelled,
            LatentDecoder decoder) throws IOException {
        return sample(pipeline, sampler, steps, eta, seed, n, noise, null, device, listener, cancelled, decoder);
    }

    /** As above, conditioned on {@code condition}'s classes with its guidance (null: unconditional). */
    public static Result sample(Pipeline pipeline, SamplerKind sampler, int steps, double eta, long seed, int n,
            float[] noise, Pipeline.Condition condition, Devices.DeviceInfo device, StepListener listener,
            BooleanSupplier cancelled, LatentDecoder decoder) throws IOException {
        int latentSize = pipeline.network().sampleSize();
        try (NDManager manager = NDManager.newBaseManager(device.device())) {
            Pipeline.Result r = pipeline.generate(new Pipeline.Request(sampler, steps, eta, seed, n, noise, condition), manager,
                    listener, cancelled, decoder == null ? null : (latents, k) -> decoder.decode(latents, k, latentSize));
            return new Result(r.images(), r.channels(), r.height(), r.width(), 0,
                    pipeline.pipelineClass() + " " + pipeline.origin(), r.seconds());
        }
    }

    /** The checkpoint a request names, or the newest. */
    public static Checkpoint checkpointFor(Run run, long step) throws IOException {
        if (step > 0) {
            Path dir = run.checkpointDir(step);
            if (!Run.isComplete(dir)) {
                throw new IllegalArgumentException("--checkpoint " + step + ": run " + run.name()
                        + " has no complete checkpoint at that step (" + dir + ")");
            }
            return new Checkpoint(step, dir);
        }
        Optional<Checkpoint> cp = run.latestCheckpoint();
        if (cp.isEmpty()) {
            throw new IllegalArgumentException("run " + run.name() + " has no checkpoint yet: train it first");
        }
        return cp.get();
    }

    /** Samples; a latent-space run's samples are decoded by its autoencoder, loaded for this call. */
    public static Result sample(Run run, Request req, Devices.DeviceInfo device, StepListener listener,
            BooleanSupplier cancelled) throws IOException {
        return sample(run, req, device, listener, cancelled, null);
    }

    /**
     * Samples; a latent-space run's samples are decoded by {@code decoder} — one made for this run's
     * config, which keeps its autoencoder loaded across calls — or, when it is null, by the run's
     * autoencoder loaded for this call.
     */
    public static Result sample(Run run, Request req, Devices.DeviceInfo device, StepListener listener,
            BooleanSupplier cancelled, LatentDecoder decoder) throws IOException {
        return sample(run, req, device, listener, cancelled, decoder, null, null);
    }

    /**
     * As {@link #sample(Run, Request, Devices.DeviceInfo, StepListener, BooleanSupplier, LatentDecoder)},
     * from a given x_T ({@code noise}, read from {@code noiseFile}) of the denoiser's input shape
     * {@code [n, C, H, W]}, n = the request's; null = the seed's x_T.
     */
    public static Result sample(Run run, Request req, Devices.DeviceInfo device, StepListener listener,
            BooleanSupplier cancelled, LatentDecoder decoder, io.ldmstudio.data.Npy.Array noise, Path noiseFile)
            throws IOException {
        RunConfig config = run.config();
        if (config.trainsAutoencoder()) {
            throw new IllegalArgumentException("run " + run.name() + " trains an autoencoder, which has nothing to sample:"
                    + " reconstruct images with `vae recon --vae " + run.dir() + " ...`, or train latent diffusion on it"
                    + " with --set autoencoder.kind=studio --set autoencoder.path=" + run.dir());
        }
        Trainer.checkTrainable(config);
        Checkpoint cp = checkpointFor(run, req.checkpointStep());
        Path weights = cp.weights(req.useEma());
        SamplerKind kind = SamplerKind.parse(req.sampler(), "--sampler");
        Pipeline pipeline = RunPipelines.of(config, kind.key, weights, "run " + run.name() + " (step " + cp.step() + ")");
        if (req.steps() > config.diffusion().timesteps()) {
            throw new IllegalArgumentException("--steps " + req.steps() + ": at most " + config.diffusion().timesteps()
                    + " (the run's diffusion.timesteps)");
        }
        if (noise != null) {
            long[] want = pipeline.noiseShape(req.n());
            if (!java.util.Arrays.equals(noise.shape(), want)) {
                throw new IllegalArgumentException((noiseFile == null ? "--noise" : noiseFile.toString()) + ": shape "
                        + noise.shapeText() + " where run " + run.name() + "'s denoiser takes [n, C, H, W] = "
                        + new Shape(want) + (config.pixelSpace() ? " (pixels)" : " (latents)"));
            }
        }
        int latentSize = config.unetResolution();
        try (NDManager manager = NDManager.newBaseManager(device.device())) {
            Pipeline.Result r = pipeline.generate(new Pipeline.Request(kind, req.steps(), req.eta(), req.seed(), req.n(),
                    noise == null ? null : noise.data(), req.condition()), manager, listener, cancelled,
                    decoder == null ? null : (latents, n) -> decoder.decode(latents, n, latentSize));
            return new Result(r.images(), r.channels(), r.height(), r.width(), cp.step(),
                    weights.getFileName().toString(), r.seconds());
        }
    }
}

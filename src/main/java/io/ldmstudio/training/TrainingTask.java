package io.ldmstudio.training;

import io.ldmstudio.config.RunConfig;
import io.ldmstudio.data.Batch;
import io.ldmstudio.data.ImageSource;
import io.ldmstudio.data.Transform;
import io.ldmstudio.runs.Run;
import java.io.IOException;
import java.nio.file.Path;

/**
 * What a run trains — a diffusion U-Net ({@link DiffusionTask}) or a KL autoencoder
 * ({@link AutoencoderTask}) — as the {@link Trainer}'s loop sees it: the data it learns from, one
 * optimisation step, its fixed grid, the files beside a checkpoint's weights and its export. The loop
 * owns everything else (pause and stop, metrics, checkpoints, resume, non-finite stops, events).
 * Made and used on the training thread; it owns its tensors.
 */
interface TrainingTask extends AutoCloseable {
    /** What the loader draws from (the images, or their latents). */
    ImageSource trainingSource();

    /** How the loader shapes an item of {@link #trainingSource()}. */
    Transform loaderTransform();

    /** One log line: the network, its size and its objective. */
    String describe();

    /** The network with its EMA and optimizer, for checkpoints and resume. */
    TrainedModel<?> trained();

    /**
     * Trains with float16 forward and backward passes from now on, if this task can; false when it
     * cannot (the run then trains in float32).
     */
    default boolean useMixedPrecision(MixedPrecision mp) {
        return false;
    }

    /** One optimisation step on {@code batch} at learning rate {@code lr}; {@code step} is 1-based. */
    StepResult step(long step, Batch batch, double lr);

    /**
     * Writes the step's fixed grid (the same noise, or the same images, every time) to {@code file}.
     * Checks {@code cancelled} as it goes (a stop request must not wait for a long sampling loop) and
     * then throws {@link java.util.concurrent.CancellationException} before writing anything.
     */
    void writeSamples(long step, Path file, java.util.function.BooleanSupplier cancelled) throws IOException;

    /**
     * Draws {@code e.n()} images for an evaluation with the EMA weights through the run's pipeline: chunks of
     * {@link #EVAL_CHUNK} with seeds {@code sampling.seed}, {@code sampling.seed + 1}, … (the same noise at every
     * step), a class-conditional run's classes cycled 0, 1, … at {@code conditioning.guidance}. Tensors live in a
     * sub-manager closed after each chunk. Checks {@code cancelled} as it goes and throws
     * {@link java.util.concurrent.CancellationException}.
     */
    default EvalSamples evalSamples(RunConfig.Eval e, java.util.function.BooleanSupplier cancelled) throws IOException {
        throw new UnsupportedOperationException("this run's task is not evaluated while training");
    }

    /** Images sampled per call of the pipeline in {@link #evalSamples}. */
    int EVAL_CHUNK = 100;

    /**
     * Samples drawn for an evaluation.
     *
     * @param images    n images, NCHW floats in [−1, 1]
     * @param requested the class asked for of each image; null for an unconditional run
     */
    record EvalSamples(float[] images, int n, int[] requested) {}

    /** Writes the files that go beside a checkpoint's weights (diffusers configs). */
    void writeCheckpointFiles(Path dir) throws IOException;

    /** Exports the finished model for other tools; returns a log line saying what was written where. */
    String export(Run run, long step) throws IOException;

    @Override
    void close();
}

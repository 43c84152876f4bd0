package io.ldmstudio.training;

import io.ldmstudio.config.RunConfig;
import io.ldmstudio.runs.Run;
import java.io.IOException;
import java.util.function.Consumer;

/**
 * Scores samples a run draws while it trains ({@code eval.every}): lower is better. The trainer draws the samples
 * ({@link TrainingTask#evalSamples}) and hands them here on the training thread; the implementation (the
 * {@code FD_<dataset>} of the dataset's {@link FeatureClassifier}) lives where the layering allows and is installed
 * by whoever starts the trainer ({@link Trainer#scorers}). It computes its reference statistics once, when opened.
 */
public interface SampleScorer extends AutoCloseable {
    /** The metric's name as {@code metrics.jsonl} and the charts show it, e.g. {@code FD_fashion-mnist}. */
    String name();

    /**
     * Scores {@code n} images (NCHW floats in [−1, 1] at the run's channels and resolution).
     *
     * @param requested the class asked for of each image of a class-conditional run; null for an unconditional one
     */
    Score score(float[] images, int n, int[] requested);

    @Override
    void close();

    /**
     * @param value      the metric (lower is better)
     * @param classShare share of images classified as their requested class; NaN when none were requested
     * @param warning    a note on the value (e.g. a regularised covariance); null when there is none
     */
    record Score(double value, double classShare, String warning) {}

    /** Opens the scorer of a run's {@code eval.metric}. */
    @FunctionalInterface
    interface Factory {
        /**
         * @param config the run's config (its classes resolved)
         * @param log    progress lines (e.g. a classifier trained on first use)
         * @throws IllegalStateException naming {@code eval.metric} when it cannot be measured for this run
         */
        SampleScorer open(RunConfig config, Run run, Consumer<String> log) throws IOException;
    }
}

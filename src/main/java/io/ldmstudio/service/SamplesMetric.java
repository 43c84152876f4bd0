package io.ldmstudio.service;

import io.ldmstudio.eval.ClassShare;
import java.util.Optional;

/**
 * A quality metric of generated samples (lower is better), such as {@code FD_<dataset>} ({@link DatasetFd#scorer}); the
 * sweep ({@link SamplerSweep}) scores every cell through it, so Inception FID can be plugged in beside it. (Training
 * scores its evaluations through {@code training.SampleScorer}, which takes bare image arrays.)
 */
public interface SamplesMetric {
    /**
     * @param value   the metric, lower is better
     * @param warning what makes the value doubtful (pytorch-fid's ε·I retry), if anything
     * @param share   for samples asked for classes, the share classified as asked; else null
     */
    record Score(double value, Optional<String> warning, ClassShare share) {}

    /** The metric's name, e.g. {@code FD_fashion-mnist}. */
    String metric();

    /** How many reference (real) images the statistics were computed from. */
    int referenceImages();

    /** Scores the samples. */
    Score score(DatasetFd.Samples samples);
}

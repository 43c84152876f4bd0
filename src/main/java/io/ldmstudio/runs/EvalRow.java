package io.ldmstudio.runs;

/**
 * An evaluation row of {@code metrics.jsonl}: the quality measured at one step while the run trained. In the file it
 * is a line of its own with the figures in an {@code eval} object, so readers of the loss rows
 * ({@link MetricsLog#parse}) skip it:
 * <pre>{"step": 550, "eval": {"metric": "FD_fashion-mnist", "value": 0.85, "n": 500, "sampler": "ddim",
 *  "steps": 50, "seconds": 12.3, "class_share": 0.97}}</pre>
 * ({@code class_share} only for a class-conditional run). Lower values are better.
 *
 * @param step       the optimiser step whose (EMA) weights were evaluated
 * @param metric     what was measured, e.g. {@code FD_fashion-mnist}
 * @param value      the metric's value
 * @param n          samples scored
 * @param sampler    the sampler key they were drawn with
 * @param steps      its denoising steps
 * @param seconds    the evaluation's wall-clock time (sampling and scoring)
 * @param classShare share of samples classified as their requested class; NaN for an unconditional run
 */
public record EvalRow(long step, String metric, double value, int n, String sampler, int steps, double seconds,
        double classShare) {}

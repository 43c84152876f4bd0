package io.ldmstudio.runs;

import java.util.Map;

/**
 * One line of {@code metrics.jsonl}: the metrics of one logged step.
 *
 * <p>JSON keys: {@code step, loss, lr, grad_norm, images_per_s, time}, plus any other numeric keys
 * (kept in {@link #extra()}, e.g. {@code val_loss}). Values missing from a line read as NaN; NaN and
 * infinities are written as the strings {@code "NaN"}, {@code "Infinity"}.
 *
 * @param step       optimiser step (1-based: the step just taken)
 * @param loss       training loss of that step (or averaged since the last row)
 * @param lr         learning rate used for that step
 * @param gradNorm   global gradient norm before clipping
 * @param imagesPerS training throughput since the last row
 * @param time       seconds of training wall-clock time since the run first started
 * @param extra      any other numeric values, by their JSON key; never null
 */
public record MetricsRow(long step, double loss, double lr, double gradNorm, double imagesPerS, double time,
                         Map<String, Double> extra) {

    public MetricsRow {
        extra = extra == null ? Map.of() : Map.copyOf(extra);
    }

    public MetricsRow(long step, double loss, double lr, double gradNorm, double imagesPerS, double time) {
        this(step, loss, lr, gradNorm, imagesPerS, time, Map.of());
    }
}

package io.ldmstudio.training;

import java.util.Map;

/**
 * What one optimisation step did.
 *
 * @param loss     the loss that was minimised
 * @param gradNorm the global gradient norm before clipping
 * @param applied  false when the loss or the gradient was not finite (the weights were left alone)
 * @param parts    named terms of the loss, e.g. {@code rec_loss} and {@code kl} of an autoencoder; never null
 * @param overflow under mixed precision the scaled float16 gradients overflowed: the step was skipped
 *                 (not applied) and the loss scale halved — routine, not a failure
 */
public record StepResult(double loss, double gradNorm, boolean applied, Map<String, Double> parts, boolean overflow) {
    public StepResult {
        parts = parts == null ? Map.of() : Map.copyOf(parts);
    }

    public StepResult(double loss, double gradNorm, boolean applied, Map<String, Double> parts) {
        this(loss, gradNorm, applied, parts, false);
    }

    public StepResult(double loss, double gradNorm, boolean applied) {
        this(loss, gradNorm, applied, Map.of());
    }
}

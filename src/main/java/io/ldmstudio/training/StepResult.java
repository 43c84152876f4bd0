package io.ldmstudio.training;

import java.util.List;
import java.util.Map;

/**
 * What one optimisation step did.
 *
 * @param loss      the loss that was minimised
 * @param gradNorm  the global gradient norm before clipping
 * @param applied   false when the loss or the gradient was not finite (the weights were left alone)
 * @param parts     named terms of the loss, e.g. {@code rec_loss} and {@code kl} of an autoencoder; never null
 * @param overflow  under mixed precision the scaled float16 gradients overflowed: the step was skipped
 *                  (not applied) and the loss scale halved — routine, not a failure
 * @param nonFinite where a step that was not finite went wrong; null for a finite (or overflowed) step
 */
public record StepResult(double loss, double gradNorm, boolean applied, Map<String, Double> parts, boolean overflow,
        NonFinite nonFinite) {
    public StepResult {
        parts = parts == null ? Map.of() : Map.copyOf(parts);
    }

    public StepResult(double loss, double gradNorm, boolean applied, Map<String, Double> parts, boolean overflow) {
        this(loss, gradNorm, applied, parts, overflow, null);
    }

    public StepResult(double loss, double gradNorm, boolean applied, Map<String, Double> parts) {
        this(loss, gradNorm, applied, parts, false);
    }

    public StepResult(double loss, double gradNorm, boolean applied) {
        this(loss, gradNorm, applied, Map.of());
    }

    /**
     * Where a non-finite step went wrong, as {@code torch.autograd.detect_anomaly} would help find it.
     *
     * @param outputFinite   whether every value of the network's output (the prediction or the reconstruction) was finite
     * @param parameters     the parameters (diffusers names) whose gradients hold NaN or ±Inf, nearest the loss first
     *                       (the reverse of the order in which the network registers them, as backpropagation reaches them)
     * @param parameterCount how many parameters the network has
     */
    public record NonFinite(boolean outputFinite, List<String> parameters, int parameterCount) {
        public NonFinite {
            parameters = List.copyOf(parameters);
        }

        /** One sentence for a message: whether the forward pass was finite, and the first {@code shown} parameters. */
        public String describe(int shown) {
            StringBuilder sb = new StringBuilder(outputFinite
                    ? "the network's output was finite, so the gradient went wrong in the backward pass"
                    : "the network's output already held NaN or Inf (the forward pass went wrong)");
            if (parameters.isEmpty()) {
                sb.append("; every parameter's gradient is finite");
            } else {
                sb.append("; ").append(parameters.size()).append(" of ").append(parameterCount)
                        .append(" parameters have non-finite gradients, nearest the loss: ");
                sb.append(names(shown));
            }
            return sb.toString();
        }

        /** The first {@code shown} parameter names, comma-separated, and how many more there are. */
        public String names(int shown) {
            String first = String.join(", ", parameters.subList(0, Math.min(shown, parameters.size())));
            return parameters.size() > shown ? first + " and " + (parameters.size() - shown) + " more" : first;
        }
    }
}

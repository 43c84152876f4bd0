package io.ldmstudio.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.util.Rng;

/**
 * The encoder's posterior q(z|x) = N(μ, diag σ²), as diffusers' and LDM's {@code
 * DiagonalGaussianDistribution}: the log-variance is clamped to [−30, 20] when built.
 *
 * <p>Its arrays live on the manager of the input that was encoded.
 */
public final class DiagonalGaussian {
    public static final float LOGVAR_MIN = -30f;
    public static final float LOGVAR_MAX = 20f;

    private final NDArray mean;
    private final NDArray logvar;

    /** @param logvar log σ², clamped here to [−30, 20] */
    public DiagonalGaussian(NDArray mean, NDArray logvar) {
        if (!mean.getShape().equals(logvar.getShape())) {
            throw new IllegalArgumentException("mean " + mean.getShape() + " and logvar " + logvar.getShape()
                    + " must have the same shape");
        }
        this.mean = mean;
        this.logvar = logvar.clip(LOGVAR_MIN, LOGVAR_MAX);
    }

    /** Splits (B, 2L, h, w) encoder moments into mean (first L channels) and log-variance. */
    public static DiagonalGaussian fromMoments(NDArray moments) {
        long c = moments.getShape().get(1);
        if (c % 2 != 0) {
            throw new IllegalArgumentException("moments need an even channel count, got shape " + moments.getShape());
        }
        var parts = moments.split(2, 1);
        return new DiagonalGaussian(parts.get(0), parts.get(1));
    }

    public NDArray mean() {
        return mean;
    }

    /** log σ², clamped. */
    public NDArray logvar() {
        return logvar;
    }

    /** σ = exp(½ log σ²). */
    public NDArray std() {
        return Ops.mulScalar(logvar, 0.5).exp();
    }

    /** σ². */
    public NDArray var() {
        return logvar.exp();
    }

    /** The mode (= the mean). */
    public NDArray mode() {
        return mean;
    }

    /** z = μ + σ·ε with ε ~ N(0, I) drawn from {@code rng}. */
    public NDArray sample(Rng rng) {
        Shape s = mean.getShape();
        NDArray eps = mean.getManager().create(rng.gaussians(Math.toIntExact(s.size())), s);
        return mean.add(std().mul(eps));
    }

    /**
     * KL(q ‖ N(0, I)) per sample: ½·Σ_{C,H,W}(μ² + σ² − 1 − log σ²), shape (B); LDM's loss
     * takes its batch mean.
     */
    public NDArray kl() {
        NDArray terms = mean.square().add(var()).sub(1f).sub(logvar);
        int[] axes = new int[mean.getShape().dimension() - 1];
        for (int i = 0; i < axes.length; i++) {
            axes[i] = i + 1;
        }
        return Ops.mulScalar(terms.sum(axes), 0.5);
    }
}

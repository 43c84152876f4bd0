package io.ldmstudio.training;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.nn.AutoencoderKL;
import io.ldmstudio.nn.Ops;
import io.ldmstudio.util.Rng;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * One optimisation step of the KL autoencoder (LDM's {@code LPIPSWithDiscriminator} without the
 * perceptual and adversarial terms): encode, sample z ~ q(z|x) (or take its mean), decode, and
 * minimise
 *
 * <pre>  loss = [ Σ_{C,H,W} ρ(x − x̂) + kl_weight · ½ Σ_{C,h,w}(μ² + σ² − 1 − log σ²) ] / (C·H·W),  batch mean</pre>
 *
 * with ρ = |·| (l1) or (·)² (l2). It is LDM's per-image objective divided by the pixel count, so the
 * minimiser and {@code kl_weight} mean what they mean in LDM (1e-6 in its kl-f4/f8 configs) while
 * the logged loss reads as a per-pixel error. Reported parts: {@code rec_loss} (per pixel) and
 * {@code kl} (per image, LDM's {@code kl_loss}). Then clip, AdamW and EMA, as for diffusion.
 *
 * <p>The posterior noise comes from {@code Rng.of(seed ^ salt, step)}, so a resumed run draws exactly
 * what an uninterrupted one drew. Everything the step allocates lives in a sub-manager and an
 * {@link NDScope} closed before it returns.
 */
public final class AutoencoderTrainStep {
    /** Keeps the posterior noise stream apart from the data order's {@code Rng.of(seed, epoch)}. */
    static final long NOISE_SALT = 0x0AE5_7E11_C0DE_2024L;

    /** How reconstruction error is measured. */
    public enum Reconstruction {
        L1, L2;

        public static Reconstruction of(String name) {
            return switch (name) {
                case "l1" -> L1;
                case "l2" -> L2;
                default -> throw new IllegalArgumentException("vae.loss = " + name + ": expected l1 or l2");
            };
        }
    }

    private final AutoencoderKL model;
    private final NDManager modelManager;
    private final ParameterUpdate update;
    private final Reconstruction reconstruction;
    private final double klWeight;
    private final boolean samplePosterior;
    private final long seed;

    public AutoencoderTrainStep(AutoencoderKL model, NDManager modelManager, AdamW optimizer, Ema<AutoencoderKL> ema,
            double gradClip, Reconstruction reconstruction, double klWeight, boolean samplePosterior, long seed) {
        this.model = model;
        this.modelManager = modelManager;
        this.update = new ParameterUpdate(model, optimizer, ema, gradClip);
        this.reconstruction = reconstruction;
        this.klWeight = klWeight;
        this.samplePosterior = samplePosterior;
        this.seed = seed;
    }

    /**
     * @param step 1-based step number (also the posterior-noise stream)
     * @param x    images (B, C, H, W) flattened, in [-1, 1]
     */
    public StepResult run(long step, float[] x, Shape shape, double lr) {
        return withObjective(step, x, shape, objective -> update.apply(objective, lr));
    }

    /**
     * The loss of step {@code step} on {@code x} and its gradients, left in the parameters; nothing is
     * updated. The step runs in the type of the weights, so float64 weights give a float64 reference.
     */
    ParameterUpdate.Gradients gradients(long step, float[] x, Shape shape) {
        return withObjective(step, x, shape, update::backward);
    }

    private <R> R withObjective(long step, float[] x, Shape shape, Function<ParameterUpdate.Objective, R> action) {
        Rng rng = samplePosterior ? Rng.of(seed ^ NOISE_SALT, step) : null;
        try (NDManager m = modelManager.newSubManager(); NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            NDArray images = m.create(x, shape);
            return action.apply(cast -> { // autoencoder runs do not use mixed precision: cast is to the weights' type
                NDArray input = cast.apply(images);
                AutoencoderKL.Output out = model.forward(input, samplePosterior, rng);
                return loss(input, out.reconstruction(), out.kl(), reconstruction, klWeight);
            });
        }
    }

    /**
     * The objective for a batch: {@code total} = rec_loss + kl_weight · kl / (C·H·W), with rec_loss the
     * mean per-pixel error and kl the batch mean of the per-image KL divergence from N(0, I), as
     * {@link AutoencoderKL.Output#kl} holds it.
     */
    static ParameterUpdate.Loss loss(NDArray x, NDArray reconstruction, NDArray kl, Reconstruction kind,
            double klWeight) {
        NDArray diff = reconstruction.sub(x);
        NDArray rec = (kind == Reconstruction.L1 ? diff.abs() : diff.square()).mean();
        long pixels = x.getShape().size() / x.getShape().get(0);
        NDArray total = rec.add(Ops.mulScalar(kl, klWeight / pixels));
        Map<String, NDArray> parts = new LinkedHashMap<>();
        parts.put("rec_loss", rec);
        parts.put("kl", kl);
        return new ParameterUpdate.Loss(total, parts, reconstruction);
    }
}

package io.ldmstudio.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.config.Presets;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.diffusion.NoiseSchedule;
import io.ldmstudio.nn.AutoencoderKL;
import io.ldmstudio.nn.Module;
import io.ldmstudio.nn.UNet2DModel;
import io.ldmstudio.nn.UNetConfig;
import io.ldmstudio.nn.VaeConfig;
import io.ldmstudio.util.Rng;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The numbers training learns from, for the network of every shipped preset at its real shape: the
 * same batch through the same weights gives bit-identical loss and gradients every time it is computed
 * in one process (the first time included: a kernel reading uninitialised memory shows there first),
 * those gradients agree with the same step computed in float64 (the float64 convolutions do not go
 * through oneDNN), and the first training steps are finite over several seeds.
 *
 * <p>On an AVX-512 or AVX2 CPU, libtorch 2.7.1's convolution input gradient for output channels that
 * are not a multiple of the kernel's channel block was NaN on first use and wrong afterwards; every
 * test here failed on such a machine until {@code Ops.conv2d} padded those convolutions.
 */
class GradientDeterminismTest {
    /** Repeated gradient computations compared bit for bit. */
    static final int REPEATS = 3;
    /** Relative L2 error of all gradients together against float64: float32 rounding is ~1e-6. */
    static final double GLOBAL_TOLERANCE = 1e-4;
    /** Per tensor: relative to its own norm, with a floor relative to the global norm (for tensors whose true gradient is ~0). */
    static final double TENSOR_TOLERANCE = 1e-3;

    static Stream<String> diffusionPresets() {
        return Presets.classpath().names().stream().filter(n -> !Presets.classpath().load(n).trainsAutoencoder());
    }

    static Stream<String> autoencoderPresets() {
        return Presets.classpath().names().stream().filter(n -> Presets.classpath().load(n).trainsAutoencoder());
    }

    /** One step's loss and gradients (native copies, by parameter name). */
    record Snapshot(double loss, Map<String, NDArray> grads) {}

    /** Computes the gradients of one fixed batch; the model's weights stay as they are. */
    interface GradientStep {
        ParameterUpdate.Gradients compute();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("diffusionPresets")
    void theUNetOfEveryDiffusionPresetGivesBitIdenticalGradientsThatAgreeWithFloat64(String preset) {
        UNetCase u = UNetCase.of(preset);
        RunConfig config = u.config();
        int c = u.channels();
        int res = u.resolution();
        Shape shape = u.shape();
        float[] x0 = u.batch(11);
        NoiseSchedule schedule = u.schedule();
        try (NDManager manager = NDManager.newBaseManager()) {
            UNet2DModel unet = new UNet2DModel(UNetConfig.of(config.model(), c, res));
            unet.initialize(manager, new Rng(config.optim().seed()), true);
            DiffusionTrainStep step = new DiffusionTrainStep(unet, manager, schedule, null, null, 0, 5);
            Snapshot first = assertRepeatable(preset, unet, () -> step.gradients(1, x0, shape));

            if (config.model().dropout() > 0) {
                // dropout masks are drawn per type; compare with float64 on the same network without dropout
                close(first);
                RunConfig.Model m = config.model();
                UNet2DModel plain = new UNet2DModel(UNetConfig.of(new RunConfig.Model(m.modelChannels(), m.channelMult(),
                        m.numResBlocks(), m.attentionResolutions(), m.numHeads(), m.headDim(), m.normGroups(), 0.0), c, res));
                plain.initialize(manager, new Rng(config.optim().seed()), true);
                DiffusionTrainStep plainStep = new DiffusionTrainStep(plain, manager, schedule, null, null, 0, 5);
                first = snapshot(plain, plainStep.gradients(1, x0, shape));
                assertAgreesWithFloat64(preset, plain, first, () -> plainStep.gradients(1, x0, shape));
            } else {
                assertAgreesWithFloat64(preset, unet, first, () -> step.gradients(1, x0, shape));
            }
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("autoencoderPresets")
    void theAutoencoderOfEveryVaePresetGivesBitIdenticalGradientsThatAgreeWithFloat64(String preset) {
        VaeCase a = VaeCase.of(preset, 2);
        RunConfig config = a.config();
        RunConfig.Vae v = config.vae();
        Shape shape = a.shape();
        float[] x = a.batch(13);
        try (NDManager manager = NDManager.newBaseManager()) {
            AutoencoderKL vae = new AutoencoderKL(a.vaeConfig());
            vae.initialize(manager, new Rng(config.optim().seed()), true);
            AutoencoderTrainStep step = new AutoencoderTrainStep(vae, manager, null, null, 0,
                    AutoencoderTrainStep.Reconstruction.of(v.loss()), v.klWeight(), v.samplePosterior(), 5);
            close(assertRepeatable(preset, vae, () -> step.gradients(1, x, shape)));
            // against float64 with the L2 loss: the L1 loss's sign(x̂ − x) jumps where a pixel is within float32
            // rounding of its target, and one such pixel moves every gradient by ~0.5 % (seen with AVX2 kernels)
            AutoencoderTrainStep smooth = new AutoencoderTrainStep(vae, manager, null, null, 0,
                    AutoencoderTrainStep.Reconstruction.L2, v.klWeight(), v.samplePosterior(), 5);
            Snapshot f32 = snapshot(vae, smooth.gradients(1, x, shape));
            assertAgreesWithFloat64(preset, vae, f32, () -> smooth.gradients(1, x, shape));
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("diffusionPresets")
    void theFirstTrainingStepsOfEveryDiffusionPresetAreFiniteOverSeveralSeeds(String preset) {
        UNetCase u = UNetCase.of(preset);
        assertFirstStepsFinite(preset, u.config(), seed -> {
            NDManager manager = NDManager.newBaseManager();
            RunConfig.Optim o = withSeed(u.config().optim(), seed);
            TrainedModel<UNet2DModel> trained = TrainedModel.create(
                    () -> new UNet2DModel(UNetConfig.of(u.config().model(), u.channels(), u.resolution())),
                    (model, file) -> Map.of(), manager, o);
            DiffusionTrainStep step = new DiffusionTrainStep(trained.model(), manager, u.schedule(), trained.optimizer(),
                    trained.ema(), o.gradClip(), seed);
            float[] x0 = u.batch(seed);
            return new Trial(manager, (n, lr) -> step.run(n, x0, u.shape(), lr));
        });
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("autoencoderPresets")
    void theFirstTrainingStepsOfEveryVaePresetAreFiniteOverSeveralSeeds(String preset) {
        VaeCase a = VaeCase.of(preset, 4);
        RunConfig.Vae v = a.config().vae();
        assertFirstStepsFinite(preset, a.config(), seed -> {
            NDManager manager = NDManager.newBaseManager();
            RunConfig.Optim o = withSeed(a.config().optim(), seed);
            TrainedModel<AutoencoderKL> trained = TrainedModel.create(() -> new AutoencoderKL(a.vaeConfig()),
                    (model, file) -> Map.of(), manager, o);
            AutoencoderTrainStep step = new AutoencoderTrainStep(trained.model(), manager, trained.optimizer(),
                    trained.ema(), o.gradClip(), AutoencoderTrainStep.Reconstruction.of(v.loss()), v.klWeight(),
                    v.samplePosterior(), seed);
            float[] x = a.batch(seed);
            return new Trial(manager, (n, lr) -> step.run(n, x, a.shape(), lr));
        });
    }

    // ---------------------------------------------------------------------------------------------

    /** An autoencoder preset's images at their real shape, {@code batch} of them. */
    record VaeCase(RunConfig config, VaeConfig vaeConfig, Shape shape) {
        static VaeCase of(String preset, int batch) {
            RunConfig config = Presets.classpath().load(preset);
            int c = config.data().channels();
            int res = config.data().resolution();
            return new VaeCase(config, VaeConfig.of(config.vae(), c, res), new Shape(batch, c, res, res));
        }

        float[] batch(long seed) {
            return images(Math.toIntExact(shape.get(0)), Math.toIntExact(shape.get(1)), Math.toIntExact(shape.get(2)), seed);
        }
    }

    /** A diffusion preset's U-Net input at its real shape, in a small batch: 2 at 32 px and above, 4 below. */
    record UNetCase(RunConfig config, int channels, int resolution, Shape shape, NoiseSchedule schedule) {
        static UNetCase of(String preset) {
            RunConfig config = Presets.classpath().load(preset);
            int c = config.unetChannels();
            int res = config.unetResolution();
            return new UNetCase(config, c, res, new Shape(res >= 32 ? 2 : 4, c, res, res),
                    NoiseSchedule.fromConfig(config.diffusion()));
        }

        /** Images for a pixel-space preset, unit-variance latents for a latent one. */
        float[] batch(long seed) {
            int b = Math.toIntExact(shape.get(0));
            return config.pixelSpace() ? images(b, channels, resolution, seed) : latents(b, channels, resolution, seed);
        }
    }

    /**
     * Computes the gradients {@link #REPEATS} times: each time every value is finite, and the loss and
     * every gradient equal the first time's bit for bit. Returns the first (the caller closes it).
     */
    static Snapshot assertRepeatable(String preset, Module model, GradientStep step) {
        Snapshot first = snapshot(model, step.compute());
        try {
            assertTrue(Double.isFinite(first.loss()), preset + ": loss " + first.loss());
            List<String> nonFinite = new ArrayList<>();
            first.grads().forEach((name, g) -> {
                if (!finite(g)) {
                    nonFinite.add(name);
                }
            });
            assertTrue(nonFinite.isEmpty(), preset + ": non-finite gradients in the first backward pass: " + nonFinite);
            for (int rep = 1; rep < REPEATS; rep++) {
                ParameterUpdate.Gradients again = step.compute();
                assertEquals(first.loss(), again.loss(), 0.0, preset + ": loss of repetition " + rep);
                List<String> differ = new ArrayList<>();
                for (Map.Entry<String, Module.Param> e : model.namedParameters().entrySet()) {
                    try (NDArray g = e.getValue().master().getGradient()) {
                        if (!g.contentEquals(first.grads().get(e.getKey()))) {
                            differ.add(e.getKey());
                        }
                    }
                }
                assertTrue(differ.isEmpty(), preset + ": repetition " + rep + " changed the gradients of " + differ.size()
                        + " parameters, e.g. " + differ.subList(0, Math.min(5, differ.size())));
            }
            return first;
        } catch (AssertionError | RuntimeException e) {
            close(first);
            throw e;
        }
    }

    /**
     * Casts the model's weights to float64, computes the same step, and compares: the loss within 1e-5
     * relative, all gradients together within {@link #GLOBAL_TOLERANCE}, each within
     * {@link #TENSOR_TOLERANCE} of its own norm (or of the global norm spread over the tensors).
     */
    static void assertAgreesWithFloat64(String preset, Module model, Snapshot f32, GradientStep step) {
        try {
            for (Module.Param p : model.parameters()) {
                p.set(p.master().toType(DataType.FLOAT64, true));
            }
            ParameterUpdate.Gradients ref = step.compute();
            assertEquals(ref.loss(), f32.loss(), 1e-5 * Math.abs(ref.loss()), preset + ": float32 loss against float64");
            Map<String, double[]> errors = new LinkedHashMap<>(); // name -> {‖g32 − g64‖², ‖g64‖²}
            double diff = 0;
            double norm = 0;
            for (Map.Entry<String, Module.Param> e : model.namedParameters().entrySet()) {
                try (NDArray g64 = e.getValue().master().getGradient();
                        NDArray g32 = f32.grads().get(e.getKey()).toType(DataType.FLOAT64, true);
                        NDArray d = g32.sub(g64);
                        NDArray dd = d.square().sum();
                        NDArray nn = g64.square().sum()) {
                    double[] en = {dd.getDouble(), nn.getDouble()};
                    errors.put(e.getKey(), en);
                    diff += en[0];
                    norm += en[1];
                }
            }
            double global = Math.sqrt(diff / norm);
            System.out.printf(Locale.ROOT, "%s: loss %.9g (float64 %.9g), gradient norm %.6g, float32 vs float64 relative L2 %.3g%n",
                    preset, f32.loss(), ref.loss(), Math.sqrt(norm), global);
            if (global > GLOBAL_TOLERANCE) {
                List<String> worst = errors.entrySet().stream()
                        .sorted((a, b) -> Double.compare(b.getValue()[0], a.getValue()[0])).limit(6)
                        .map(e -> String.format(Locale.ROOT, "%s (%.3g of %.3g)", e.getKey(), Math.sqrt(e.getValue()[0]),
                                Math.sqrt(e.getValue()[1]))).toList();
                fail(String.format(Locale.ROOT, "%s: float32 gradients are %.3g (relative L2) from float64's over the "
                        + "whole network; most off: %s", preset, global, worst));
            }
            double floor = Math.sqrt(norm / errors.size());
            List<String> off = new ArrayList<>();
            errors.forEach((name, en) -> {
                double err = Math.sqrt(en[0]);
                if (err > TENSOR_TOLERANCE * Math.max(Math.sqrt(en[1]), floor * 1e-2)) {
                    off.add(String.format(Locale.ROOT, "%s (%.3g of %.3g)", name, err, Math.sqrt(en[1])));
                }
            });
            assertTrue(off.isEmpty(), preset + ": gradients off against float64: " + off);
        } finally {
            close(f32);
        }
    }

    /** A training run of a few steps from one seed: its manager and the step. */
    record Trial(NDManager manager, StepFunction step) {}

    interface StepFunction {
        StepResult run(long step, double lr);
    }

    interface TrialFactory {
        Trial open(long seed);
    }

    static final long[] SEEDS = {1, 2, 3};
    static final int FIRST_STEPS = 3;

    /** Three steps from each of three seeds at the preset's learning-rate schedule: every one finite and applied. */
    static void assertFirstStepsFinite(String preset, RunConfig config, TrialFactory factory) {
        LrSchedule lrs = LrSchedule.of(config.optim());
        for (long seed : SEEDS) {
            Trial trial = factory.open(seed);
            try (NDManager m = trial.manager()) {
                for (int n = 1; n <= FIRST_STEPS; n++) {
                    StepResult r = trial.step().run(n, lrs.lr(n));
                    if (!r.applied() || !Double.isFinite(r.loss()) || !Double.isFinite(r.gradNorm())) {
                        fail(String.format(Locale.ROOT, "%s, seed %d, step %d: loss %s, grad norm %s, applied %s%s", preset,
                                seed, n, r.loss(), r.gradNorm(), r.applied(),
                                r.nonFinite() == null ? "" : ": " + r.nonFinite().describe(5)));
                    }
                    assertFalse(r.overflow());
                }
            }
        }
    }

    static RunConfig.Optim withSeed(RunConfig.Optim o, long seed) {
        return new RunConfig.Optim(o.lr(), o.beta1(), o.beta2(), o.weightDecay(), o.eps(), o.lrSchedule(), o.warmupSteps(),
                o.tMax(), o.minLr(), o.gradClip(), o.emaDecay(), o.batchSize(), o.steps(), seed, o.mixedPrecision());
    }

    static Snapshot snapshot(Module model, ParameterUpdate.Gradients g) {
        Map<String, NDArray> grads = new LinkedHashMap<>();
        for (Map.Entry<String, Module.Param> e : model.namedParameters().entrySet()) {
            try (NDArray live = e.getValue().master().getGradient()) {
                grads.put(e.getKey(), live.duplicate()); // the next backward pass overwrites the live gradient
            }
        }
        return new Snapshot(g.loss(), grads);
    }

    static void close(Snapshot s) {
        s.grads().values().forEach(NDArray::close);
    }

    static boolean finite(NDArray a) {
        try (NDArray abs = a.abs(); NDArray max = abs.max()) {
            return Double.isFinite(max.toType(DataType.FLOAT64, false).getDouble());
        }
    }

    /** Smooth images in [-1, 1] with a little noise: what a data loader hands the trainer. */
    static float[] images(int batch, int channels, int res, long seed) {
        Rng rng = new Rng(seed);
        float[] x = new float[batch * channels * res * res];
        int i = 0;
        for (int b = 0; b < batch; b++) {
            double fx = 1 + rng.nextDouble() * 3;
            double fy = 1 + rng.nextDouble() * 3;
            for (int c = 0; c < channels; c++) {
                double phase = rng.nextDouble() * Math.PI;
                for (int y = 0; y < res; y++) {
                    for (int xx = 0; xx < res; xx++) {
                        double v = 0.8 * Math.sin(fx * Math.PI * xx / res + phase) * Math.cos(fy * Math.PI * y / res)
                                + 0.1 * rng.nextGaussian();
                        x[i++] = (float) Math.max(-1, Math.min(1, v));
                    }
                }
            }
        }
        return x;
    }

    /** Unit-variance latents, as a scaled autoencoder hands them over. */
    static float[] latents(int batch, int channels, int res, long seed) {
        return new Rng(seed).gaussians(batch * channels * res * res);
    }
}

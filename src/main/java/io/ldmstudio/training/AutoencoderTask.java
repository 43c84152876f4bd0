package io.ldmstudio.training;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.data.Batch;
import io.ldmstudio.data.DataException;
import io.ldmstudio.data.Grids;
import io.ldmstudio.data.ImageSource;
import io.ldmstudio.data.ImageWriter;
import io.ldmstudio.data.Transform;
import io.ldmstudio.data.UnreadableImageException;
import io.ldmstudio.eval.MetricSummary;
import io.ldmstudio.nn.AutoencoderKL;
import io.ldmstudio.nn.VaeConfig;
import io.ldmstudio.runs.Run;
import io.ldmstudio.weights.VaeWeights;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * An autoencoder run ({@code task = autoencoder}): a KL autoencoder of the {@code vae} group's shape
 * learns to reconstruct the dataset's images ({@link AutoencoderTrainStep}). Its grid shows a fixed
 * set of training images beside their reconstructions (input | reconstruction pairs), and logs their
 * mean PSNR and SSIM. Checkpoints carry a diffusers {@code config.json} beside the weights; the
 * finished run is exported to {@code exports/vae/} in diffusers layout, which diffusers'
 * {@code AutoencoderKL.from_pretrained} and the studio (as a latent run's {@code autoencoder.path})
 * open. Its {@code scaling_factor} is {@code vae.scaling_factor}, or when that is 0, 1/std of the
 * latents of up to {@value #SCALE_IMAGES} training images.
 */
final class AutoencoderTask implements TrainingTask {
    /** Images whose latents set the measured scaling factor. */
    static final int SCALE_IMAGES = 256;
    private static final int EVAL_BATCH = 64;

    private final RunConfig config;
    private final NDManager manager;
    private final ImageSource source;
    private final Transform transform;
    private final VaeConfig vaeConfig;
    private final TrainedModel<AutoencoderKL> trained;
    private final AutoencoderTrainStep trainStep;
    private final Consumer<String> log;
    private final List<float[]> gridImages;
    private List<float[]> scaleImages;

    private AutoencoderTask(RunConfig config, ImageSource source, NDManager manager, Consumer<String> log) {
        this.config = config;
        this.manager = manager;
        this.source = source;
        this.log = log;
        this.transform = Transform.of(config.data());
        this.vaeConfig = VaeConfig.of(config.vae(), config.data().channels(), config.data().resolution());
        RunConfig.Optim o = config.optim();
        RunConfig.Vae v = config.vae();
        this.trained = TrainedModel.create(() -> new AutoencoderKL(vaeConfig), VaeWeights::readFor, manager, o);
        this.trainStep = new AutoencoderTrainStep(trained.model(), manager, trained.optimizer(), trained.ema(),
                o.gradClip(), AutoencoderTrainStep.Reconstruction.of(v.loss()), v.klWeight(), v.samplePosterior(),
                o.seed());
        this.gridImages = spread(Math.min(config.sampling().n(), usable()));
    }

    static AutoencoderTask open(RunConfig config, ImageSource source, NDManager manager, Consumer<String> log) {
        if (source.size() == 0) {
            throw new IllegalArgumentException("the dataset has no images to train an autoencoder on: " + source.describe());
        }
        return new AutoencoderTask(config, source, manager, log);
    }

    private int usable() {
        int limit = config.data().limit();
        return limit > 0 ? Math.min(limit, source.size()) : source.size();
    }

    /**
     * {@code n} images spread evenly over the usable part of the dataset, unflipped. Where one does
     * not decode (it is then in the source's skipped files), the next one not taken yet stands in, so
     * no image is used twice; fewer than {@code n} come back when fewer decode.
     */
    private List<float[]> spread(int n) {
        int size = usable();
        List<float[]> out = new ArrayList<>(n);
        java.util.Set<Integer> taken = new java.util.HashSet<>();
        UnreadableImageException last = null;
        for (int i = 0; i < n; i++) {
            int first = (int) ((long) i * size / n);
            for (int k = 0; k < size; k++) {
                int j = (first + k) % size;
                if (!taken.add(j)) {
                    continue;
                }
                try {
                    out.add(source.load(j, transform, false));
                    break;
                } catch (UnreadableImageException e) {
                    last = e;
                }
            }
        }
        if (out.isEmpty()) {
            throw new DataException("no image of " + source.describe() + " decodes"
                    + (last == null ? "" : ", e.g. " + last.getMessage()));
        }
        return out;
    }

    @Override
    public ImageSource trainingSource() {
        return source;
    }

    @Override
    public Transform loaderTransform() {
        return transform;
    }

    @Override
    public String describe() {
        RunConfig.Vae v = config.vae();
        int res = config.data().resolution();
        long[] z = vaeConfig.latentShape(res);
        return String.format(Locale.ROOT, "VAE: %,d parameters, f = %d, %dx%dx%d images -> %dx%dx%d latents, "
                        + "%s + %s x KL%s", trained.model().parameterCount(), vaeConfig.downFactor(),
                vaeConfig.inChannels(), res, res, z[0], z[1], z[2], v.loss().toUpperCase(Locale.ROOT), v.klWeight(),
                v.samplePosterior() ? " (posterior sampled)" : " (posterior mean)");
    }

    @Override
    public TrainedModel<?> trained() {
        return trained;
    }

    @Override
    public StepResult step(long step, Batch batch, double lr) {
        return trainStep.run(step, batch.data(), new Shape(batch.size(), batch.channels(), batch.height(),
                batch.width()), lr);
    }

    /** input | reconstruction pairs of the fixed images, several pairs a row; logs their mean PSNR and SSIM. */
    @Override
    public void writeSamples(long step, Path file, java.util.function.BooleanSupplier cancelled) throws IOException {
        int c = vaeConfig.inChannels();
        int res = config.data().resolution();
        AutoencoderKL model = trained.forInference(config.sampling().useEma());
        List<float[]> recon = Reconstructions.reconstruct(model, manager, gridImages, c, res, EVAL_BATCH);
        List<float[]> cells = new ArrayList<>(2 * recon.size());
        for (int i = 0; i < recon.size(); i++) {
            cells.add(gridImages.get(i));
            cells.add(recon.get(i));
        }
        ImageWriter.writeGrid(cells, c, res, res, 2 * Grids.columnsFor(recon.size()), file);
        MetricSummary s = MetricSummary.of(Reconstructions.compare(gridImages, recon, c, res, 0));
        log.accept(String.format(Locale.ROOT, "reconstructions at step %d: PSNR %.2f dB, SSIM %.4f (mean of %d fixed"
                + " images)", step, s.psnr().mean(), s.ssim().mean(), recon.size()));
    }

    /** The diffusers config.json beside a checkpoint's weights, its scaling factor measured on the trained weights. */
    @Override
    public void writeCheckpointFiles(Path dir) throws IOException {
        VaeWeights.writeConfig(measuredConfig(trained.model()), dir);
    }

    @Override
    public String export(Run run, long step) throws IOException {
        AutoencoderKL model = trained.forInference(true);
        VaeConfig c = measuredConfig(model);
        Path dir = run.autoencoderExportDir();
        VaeWeights.save(model, c, dir, Map.of("step", Long.toString(step)));
        return String.format(Locale.ROOT, "exported the autoencoder (diffusers AutoencoderKL, %s weights, "
                        + "scaling_factor %.5g%s) to %s", trained.ema() != null ? "EMA" : "raw", c.scalingFactor(),
                config.vae().scalingFactor() > 0 ? "" : " = 1/std of " + scaleImages.size() + " images' latents", dir);
    }

    private VaeConfig measuredConfig(AutoencoderKL model) {
        if (config.vae().scalingFactor() > 0) {
            return vaeConfig;
        }
        if (scaleImages == null) {
            scaleImages = spread(Math.min(SCALE_IMAGES, usable()));
        }
        double s = Reconstructions.scalingFactor(model, manager, scaleImages, vaeConfig.inChannels(),
                config.data().resolution(), EVAL_BATCH);
        return vaeConfig.withScalingFactor(s);
    }

    @Override
    public void close() {
        trained.close();
    }
}

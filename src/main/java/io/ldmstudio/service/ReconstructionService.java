package io.ldmstudio.service;

import io.ldmstudio.engine.Devices;
import ai.djl.ndarray.NDManager;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.data.ImageFolderSource;
import io.ldmstudio.data.ImageSource;
import io.ldmstudio.data.Sources;
import io.ldmstudio.data.ImageWriter;
import io.ldmstudio.data.Pixels;
import io.ldmstudio.data.Transform;
import io.ldmstudio.data.UnreadableImageException;
import io.ldmstudio.eval.DifferenceImage;
import io.ldmstudio.eval.ImageMetrics;
import io.ldmstudio.eval.ImageResult;
import io.ldmstudio.eval.MetricSummary;
import io.ldmstudio.eval.PixelRange;
import io.ldmstudio.nn.AutoencoderKL;
import io.ldmstudio.nn.GradMode;
import io.ldmstudio.nn.LatentAutoencoder;
import io.ldmstudio.nn.VQModel;
import io.ldmstudio.pipeline.Autoencoders;
import io.ldmstudio.training.Reconstructions;
import io.ldmstudio.weights.VaeWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.IntConsumer;

/**
 * Runs images through an autoencoder and measures what it keeps: for each image of a folder its
 * reconstruction under the same file name, a {@code grid.png} of input | reconstruction | magnified
 * difference, and MSE/PSNR/SSIM per image and averaged.
 */
public final class ReconstructionService {
    private ReconstructionService() {}

    /** The measurements and what was written. */
    /**
     * What {@link #reconstruct} measured and wrote.
     *
     * @param latentShape the latent shape of the first image
     * @param f           the autoencoder's downsampling factor
     * @param cropped     images cropped to multiples of f (taken at their own size)
     * @param sizes       image sizes reconstructed ("WxH") and how many of each, in order of appearance
     * @param usage       for a VQ model, how often each codebook entry was chosen over the images
     *                    reconstructed; null for a KL autoencoder
     */
    public record Result(MetricSummary summary, Path grid, int images, long[] latentShape, List<String> skipped, int f,
            int cropped, Map<String, Integer> sizes, VQModel.CodebookUsage usage) {}

    /** Images of an evaluation grid (input | reconstruction | difference rows). */
    public static final int EVAL_GRID_IMAGES = 8;

    /**
     * What {@link #evaluate} measured.
     *
     * @param summary MSE/PSNR/SSIM per image and their statistics
     * @param dataset the source's description (with the split)
     * @param weights the autoencoder weights file that was loaded
     * @param grid    the input | reconstruction | 5× difference grid of the first images, or null
     * @param seconds wall time of encoding, decoding and measuring
     * @param skipped the files the source left out ("path: reason"), at its scan or because they did
     *                not decode; they are not measured
     * @param usage   for a VQ model, how often each codebook entry was chosen over the images measured;
     *                null for a KL autoencoder
     */
    public record Evaluation(MetricSummary summary, String dataset, Path weights, Path grid, double seconds,
            List<String> skipped, VQModel.CodebookUsage usage) {}

    /**
     * Loads what {@code vae} points at, KL or VQ, as {@link Autoencoders#resolve} finds it.
     */
    static LatentAutoencoder load(Path vae, VaeWeights.Options options, NDManager manager) throws IOException {
        return Autoencoders.load(vae, options, manager);
    }

    private static int inChannels(LatentAutoencoder model) {
        return model instanceof VQModel vq ? vq.config().inChannels() : ((AutoencoderKL) model).config().inChannels();
    }

    private static long[] latentShape(LatentAutoencoder model, int h, int w) {
        return model instanceof VQModel vq ? vq.config().latentShape(h, w)
                : ((AutoencoderKL) model).config().latentShape(h, w);
    }

    /** Reconstructions of one batch; a VQ model's codebook usage is added to {@code usage[0]}. */
    private static List<float[]> reconstruct(LatentAutoencoder model, NDManager manager, List<float[]> images, int ch,
            int h, int w, int batchSize, VQModel.CodebookUsage[] usage) {
        if (model instanceof VQModel vq) {
            Reconstructions.Quantized q = Reconstructions.reconstruct(vq, manager, images, ch, h, w, batchSize);
            usage[0] = usage[0] == null ? q.usage() : usage[0].plus(q.usage());
            return q.images();
        }
        return Reconstructions.reconstruct((AutoencoderKL) model, manager, images, ch, h, w, batchSize);
    }

    /**
     * Reconstructs a dataset — the held-out split when {@code test} (Fashion-MNIST's t10k files,
     * CIFAR-10's test batch) — through the autoencoder at {@code vae} in batches and measures every
     * image. The images are shaped by {@code data} (resolution, channels, crop), as a run's are. An
     * image that does not decode is left out of the figures and listed in {@link Evaluation#skipped}.
     *
     * @param limit at most this many images (the first ones); 0 = all
     * @param grid  where to write a grid of the first {@value #EVAL_GRID_IMAGES} images, or null
     */
    public static Evaluation evaluate(Path vae, VaeWeights.Options options, RunConfig.Data data, boolean test, int limit,
            int batchSize, Path grid, Devices.DeviceInfo device, IntConsumer progress) throws IOException {
        ImageSource source = Sources.open(data, test);
        Transform tf = Transform.of(data);
        int n = limit > 0 ? Math.min(limit, source.size()) : source.size();
        if (n == 0) {
            throw new IllegalArgumentException("the dataset has no images: " + source.describe());
        }
        List<ImageResult> results = new ArrayList<>(n);
        List<float[]> firstImages = new ArrayList<>();
        List<float[]> firstRecons = new ArrayList<>();
        Autoencoders.Source src = Autoencoders.resolve(vae, options);
        int inChannels = src.inChannels();
        Path weightsFile = src.weightsFile();
        if (inChannels != data.channels()) {
            throw new IllegalArgumentException("the autoencoder at " + vae + " encodes " + inChannels
                    + "-channel images but data.channels is " + data.channels());
        }
        VQModel.CodebookUsage[] usage = new VQModel.CodebookUsage[1];
        long t0 = System.nanoTime();
        GradMode.disable();
        try (NDManager manager = NDManager.newBaseManager(device.device())) {
            LatentAutoencoder model = Autoencoders.load(src, manager);
            int res = data.resolution();
            for (int start = 0; start < n; start += batchSize) {
                List<float[]> images = new ArrayList<>();
                List<Integer> indices = new ArrayList<>();
                int end = Math.min(n, start + batchSize);
                for (int i = start; i < end; i++) {
                    try {
                        images.add(source.load(i, tf, false));
                        indices.add(i);
                    } catch (UnreadableImageException e) {
                        // listed in source.skipped(): left out of the figures, nothing stands in for it
                    }
                }
                if (!images.isEmpty()) {
                    List<float[]> recons = reconstruct(model, manager, images, data.channels(), res, res, batchSize,
                            usage);
                    for (int k = 0; k < images.size(); k++) {
                        results.add(ImageMetrics.compare(Integer.toString(indices.get(k)), images.get(k), recons.get(k),
                                data.channels(), res, res, PixelRange.MINUS_ONE_TO_ONE));
                    }
                    for (int i = 0; i < images.size() && firstImages.size() < EVAL_GRID_IMAGES; i++) {
                        firstImages.add(images.get(i));
                        firstRecons.add(recons.get(i));
                    }
                }
                if (progress != null) {
                    progress.accept(end);
                }
            }
            model.close();
        }
        List<String> skipped = new ArrayList<>();
        source.skipped().forEach(s -> skipped.add(s.path() + ": " + s.reason()));
        if (results.isEmpty()) {
            throw new IllegalArgumentException("no image of " + source.describe() + " could be decoded"
                    + (skipped.isEmpty() ? "" : ": " + skipped.get(0)
                            + (skipped.size() > 1 ? " (and " + (skipped.size() - 1) + " more)" : "")));
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        if (grid != null) {
            if (grid.toAbsolutePath().getParent() != null) {
                Files.createDirectories(grid.toAbsolutePath().getParent());
            }
            ImageWriter.writePng(DifferenceImage.comparisonGrid(firstImages, firstRecons, data.channels(),
                    data.resolution(), data.resolution(), PixelRange.MINUS_ONE_TO_ONE, DifferenceImage.DEFAULT_GAIN), grid);
        }
        String split = "folder".equals(data.source()) ? "" : test ? " (test split)" : " (training split)";
        return new Evaluation(MetricSummary.of(results), source.describe() + split, weightsFile, grid, seconds,
                List.copyOf(skipped), usage[0]);
    }

    /**
     * Reconstructs every image of the folder {@code images} through the posterior mean, converted to
     * the autoencoder's {@code in_channels}, and writes each under its own name in {@code out}, then
     * {@code grid.png}. With {@code size} each image is centre-cropped to a square and resized to
     * {@code size}; without (null), each is taken at its own size, centre-cropped to the nearest
     * multiples of the autoencoder's f ({@link Result#cropped} says how many needed it). A file that
     * is skipped at the scan or does not decode is listed in {@link Result#skipped} with its reason; no
     * reconstruction is written for it and it is left out of the figures.
     */
    public static Result reconstruct(Path vae, VaeWeights.Options options, Path images, Path out, Integer size,
            Devices.DeviceInfo device, IntConsumer progress) throws IOException {
        if (size != null && size < 1) {
            throw new IllegalArgumentException("--size " + size + ": expected a positive image size");
        }
        ImageFolderSource source = ImageFolderSource.open(images);
        Files.createDirectories(out);
        List<DifferenceImage.Pair> pairs = new ArrayList<>();
        List<ImageResult> results = new ArrayList<>();
        List<String> skipped = new ArrayList<>();
        source.skipped().forEach(s -> skipped.add(s.path() + ": " + s.reason()));
        Map<String, Integer> sizes = new LinkedHashMap<>();
        long[] latent = null;
        int cropped = 0;
        int f;
        int ch;
        VQModel.CodebookUsage[] usage = new VQModel.CodebookUsage[1];
        GradMode.disable();
        try (NDManager manager = NDManager.newBaseManager(device.device())) {
            LatentAutoencoder model = load(vae, options, manager);
            ch = inChannels(model);
            f = model.downFactor();
            if (model.imageChannels() != ch) {
                model.close();
                throw new IllegalArgumentException("the autoencoder at " + vae + " turns " + ch + "-channel images into "
                        + model.imageChannels() + "-channel ones; reconstructions need as many channels out as in");
            }
            if (size != null && size % f != 0) {
                throw new IllegalArgumentException("--size " + size + ": the autoencoder at " + vae + " has f = " + f
                        + ", so the size must be a multiple of " + f);
            }
            Transform tf = size != null ? new Transform(size, ch, true) : null;
            for (int i = 0; i < source.size(); i++) {
                Path rel = source.root().relativize(source.file(i));
                Pixels p;
                try {
                    p = source.pixels(i);
                } catch (UnreadableImageException e) {
                    skipped.add(e.path() + ": " + e.reason());
                    continue;
                }
                int h;
                int w;
                float[] x;
                if (tf != null) {
                    h = size;
                    w = size;
                    x = tf.apply(p, false);
                } else {
                    h = p.height() - p.height() % f;
                    w = p.width() - p.width() % f;
                    if (h == 0 || w == 0) {
                        skipped.add(source.file(i) + ": " + p.width() + "x" + p.height() + " is smaller than f = " + f);
                        continue;
                    }
                    if (h != p.height() || w != p.width()) {
                        cropped++;
                    }
                    x = Transform.centerCrop(p, ch, w, h);
                }
                float[] y = reconstruct(model, manager, List.of(x), ch, h, w, 1, usage).get(0);
                Path target = out.resolve(rel.toString().replaceAll("\\.[^.]+$", "") + ".png");
                if (target.getParent() != null) {
                    Files.createDirectories(target.getParent());
                }
                ImageWriter.writePng(y, ch, h, w, target);
                pairs.add(new DifferenceImage.Pair(x, y, h, w));
                sizes.merge(w + "x" + h, 1, Integer::sum);
                if (latent == null) {
                    latent = latentShape(model, h, w);
                }
                results.add(ImageMetrics.compare(rel.toString(), x, y, ch, h, w, PixelRange.MINUS_ONE_TO_ONE));
                if (progress != null) {
                    progress.accept(i + 1);
                }
            }
            model.close();
        }
        if (pairs.isEmpty()) {
            throw new IllegalArgumentException("no image in " + images + " could be reconstructed"
                    + (skipped.isEmpty() ? "" : ": " + skipped.get(0) + (skipped.size() > 1 ? " (and " + (skipped.size() - 1) + " more)" : "")));
        }
        Path grid = out.resolve("grid.png");
        ImageWriter.writePng(DifferenceImage.comparisonRows(pairs, ch, PixelRange.MINUS_ONE_TO_ONE,
                DifferenceImage.DEFAULT_GAIN), grid);
        return new Result(MetricSummary.of(results), grid, pairs.size(), latent, skipped, f, cropped, sizes, usage[0]);
    }
}

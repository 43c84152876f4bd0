package io.ldmstudio.service;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.data.ImageFolderSource;
import io.ldmstudio.data.ImageWriter;
import io.ldmstudio.data.Transform;
import io.ldmstudio.eval.DifferenceImage;
import io.ldmstudio.eval.ImageMetrics;
import io.ldmstudio.eval.ImageResult;
import io.ldmstudio.eval.MetricSummary;
import io.ldmstudio.eval.PixelRange;
import io.ldmstudio.nn.AutoencoderKL;
import io.ldmstudio.nn.GradMode;
import io.ldmstudio.weights.VaeWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/**
 * Runs images through an autoencoder and measures what it keeps: for each image of a folder its
 * reconstruction under the same file name, a {@code grid.png} of input | reconstruction | magnified
 * difference, and MSE/PSNR/SSIM per image and averaged.
 */
public final class ReconstructionService {
    private ReconstructionService() {}

    /** The measurements and what was written. */
    public record Result(MetricSummary summary, Path grid, int images, long[] latentShape, List<String> skipped) {}

    public static Result reconstruct(Path vae, Path images, Path out, int size, Devices.DeviceInfo device,
            IntConsumer progress) throws IOException {
        ImageFolderSource source = ImageFolderSource.open(images);
        Transform tf = new Transform(size, 3, true);
        Files.createDirectories(out);
        List<float[]> refs = new ArrayList<>();
        List<float[]> recons = new ArrayList<>();
        List<ImageResult> results = new ArrayList<>();
        long[] latent;
        GradMode.disable();
        try (NDManager manager = NDManager.newBaseManager(device.device())) {
            AutoencoderKL model = VaeWeights.load(vae, manager);
            latent = model.latentShape(size);
            for (int i = 0; i < source.size(); i++) {
                float[] x = source.load(i, tf, false);
                float[] y;
                try (NDManager step = manager.newSubManager()) {
                    NDArray in = step.create(x, new Shape(1, 3, size, size));
                    NDArray z = model.encodeLatents(in);
                    y = model.decodeLatents(z).clip(-1, 1).toFloatArray();
                }
                Path rel = source.root().relativize(source.file(i));
                Path target = out.resolve(rel.toString().replaceAll("\\.[^.]+$", "") + ".png");
                if (target.getParent() != null) {
                    Files.createDirectories(target.getParent());
                }
                ImageWriter.writePng(y, 3, size, size, target);
                refs.add(x);
                recons.add(y);
                results.add(ImageMetrics.compare(rel.toString(), x, y, 3, size, size, PixelRange.MINUS_ONE_TO_ONE));
                if (progress != null) {
                    progress.accept(i + 1);
                }
            }
            model.close();
        }
        Path grid = out.resolve("grid.png");
        ImageWriter.writePng(DifferenceImage.comparisonGrid(refs, recons, 3, size, size, PixelRange.MINUS_ONE_TO_ONE,
                DifferenceImage.DEFAULT_GAIN), grid);
        List<String> skipped = new ArrayList<>();
        source.skipped().forEach(s -> skipped.add(s.path() + ": " + s.reason()));
        return new Result(MetricSummary.of(results), grid, refs.size(), latent, skipped);
    }
}

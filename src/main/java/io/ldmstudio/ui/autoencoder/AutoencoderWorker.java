package io.ldmstudio.ui.autoencoder;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.data.ImageSource;
import io.ldmstudio.data.Transform;
import io.ldmstudio.eval.DifferenceImage;
import io.ldmstudio.eval.ImageMetrics;
import io.ldmstudio.eval.ImageResult;
import io.ldmstudio.eval.PixelRange;
import io.ldmstudio.nn.AutoencoderKL;
import io.ldmstudio.nn.GradMode;
import io.ldmstudio.nn.VaeConfig;
import io.ldmstudio.ui.common.FxImages;
import io.ldmstudio.weights.VaeWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * The one thread that owns the loaded autoencoder and every tensor made with it (DJL arrays are not
 * shared between threads). Keeps the last model loaded, so reconstructing again does not re-read the
 * weights; a different file or a newer modification time loads afresh and frees the old one.
 */
final class AutoencoderWorker implements AutoCloseable {
    private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "ldm-ui-autoencoder");
        t.setDaemon(true);
        t.setPriority(Thread.NORM_PRIORITY - 1);
        return t;
    });
    private final Supplier<Device> device;

    // touched on the worker thread only
    private NDManager manager;
    private AutoencoderKL model;
    private Path loadedFile;
    private FileTime loadedTime;
    private VaeConfig loadedConfig;

    AutoencoderWorker(Supplier<Device> device) {
        this.device = device;
    }

    /** Runs {@code job} on the worker thread. */
    <T> Future<T> submit(java.util.concurrent.Callable<T> job) {
        return thread.submit(job);
    }

    /** What a reconstruction needs: the dataset, which images, the size and crop. */
    record Job(ImageSource source, int[] indices, int size, boolean centerCrop) {}

    /**
     * Reconstructs the images of {@code job} one by one with the weights {@code weights} points at,
     * handing each result to {@code onImage} (on this thread) until {@code cancelled} says stop. Call on
     * the worker thread.
     */
    void reconstruct(VaeWeights.Source weights, Job job, Consumer<Reconstruction> onImage, BooleanSupplier cancelled)
            throws IOException {
        AutoencoderKL vae = ensure(weights);
        VaeConfig c = vae.config();
        if (c.outChannels() != c.inChannels()) {
            throw new IllegalArgumentException("the autoencoder turns " + c.inChannels() + "-channel images into "
                    + c.outChannels() + "-channel ones; reconstructions need as many channels out as in");
        }
        int ch = c.inChannels();
        if (ch != 1 && ch != 3) {
            throw new IllegalArgumentException("the autoencoder takes " + ch + "-channel images; the dataset gives 1 or 3");
        }
        long[] latentShape = c.latentShape(job.size()); // throws with the f advice when not a multiple
        Transform tf = new Transform(job.size(), ch, job.centerCrop());
        int n = job.indices().length;
        int r = job.size();
        for (int k = 0; k < n; k++) {
            if (cancelled.getAsBoolean()) {
                return;
            }
            int idx = job.indices()[k];
            float[] x = job.source().load(idx, tf, false);
            float[] y;
            float[] z;
            try (NDManager step = manager.newSubManager()) {
                NDArray in = step.create(x, new Shape(1, ch, r, r));
                NDArray lat = vae.encodeLatents(in);
                z = lat.toFloatArray();
                y = vae.decodeLatents(lat).clip(-1, 1).toFloatArray();
            }
            List<String> names = job.source().classNames();
            int l = names.isEmpty() ? -1 : job.source().label(idx);
            String label = l >= 0 && l < names.size() ? names.get(l) : "";
            ImageResult m = ImageMetrics.compare("image " + idx, x, y, ch, r, r, PixelRange.MINUS_ONE_TO_ONE);
            float[] d = DifferenceImage.of(x, y);
            int lc = (int) latentShape[0];
            int lh = (int) latentShape[1];
            int lw = (int) latentShape[2];
            List<Reconstruction.LatentChannel> chans = new ArrayList<>(lc);
            for (int i = 0; i < lc; i++) {
                float lo = Float.POSITIVE_INFINITY;
                float hi = Float.NEGATIVE_INFINITY;
                int off = i * lh * lw;
                for (int j = 0; j < lh * lw; j++) {
                    lo = Math.min(lo, z[off + j]);
                    hi = Math.max(hi, z[off + j]);
                }
                chans.add(new Reconstruction.LatentChannel(i, FxImages.fromPlane(z, off, lh, lw, lo, hi), lo, hi));
            }
            onImage.accept(new Reconstruction(k, idx, label, ch, r, x, y, m, z, latentShape,
                    FxImages.fromChw(x, ch, r, r), FxImages.fromChw(y, ch, r, r), FxImages.fromChw(d, ch, r, r),
                    List.copyOf(chans)));
        }
    }

    /** The model for {@code weights}, loading it when it is not the one held. */
    private AutoencoderKL ensure(VaeWeights.Source weights) throws IOException {
        Device d = device.get(); // waits for the engine to start
        GradMode.disable();
        Path file = weights.weightsFile().toAbsolutePath().normalize();
        FileTime time = Files.getLastModifiedTime(file);
        if (model != null && file.equals(loadedFile) && time.equals(loadedTime)
                && Objects.equals(weights.config(), loadedConfig)) {
            return model;
        }
        release();
        NDManager m = NDManager.newBaseManager(d);
        try {
            model = VaeWeights.load(weights, m);
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
        manager = m;
        loadedFile = file;
        loadedTime = time;
        loadedConfig = weights.config();
        return model;
    }

    private void release() {
        if (model != null) {
            model.close();
            model = null;
        }
        if (manager != null) {
            manager.close();
            manager = null;
        }
        loadedFile = null;
        loadedConfig = null;
    }

    @Override
    public void close() {
        thread.submit(this::release);
        thread.shutdown();
    }
}

package io.ldmstudio.service;

import ai.djl.ndarray.NDArray;
import io.ldmstudio.data.Grids;
import io.ldmstudio.data.ImageWriter;
import io.ldmstudio.diffusion.StepListener;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Writes the denoising trajectory as it is sampled: for every step a grid of x_t, of x̂0 and of ε̂
 * ({@code xt-0007-t0859.png}, {@code x0-0007-t0859.png}, {@code eps-0007-t0859.png}), so nothing piles up
 * in memory. For a latent source x_t and x̂0 are decoded into images by its autoencoder (the same decoder
 * as the samples), and ε̂ stays in latent space: its first three channels (one when it has fewer). ε̂ is
 * shown at half gain, so that ±2σ of unit noise spans black to white.
 */
public final class TrajectoryWriter implements StepListener {
    private final Path dir;
    private final StepListener progress;
    private final LatentDecoder decoder;
    private int written;

    /** A writer for a pixel-space source. */
    public TrajectoryWriter(Path dir, StepListener progress) throws IOException {
        this(dir, progress, null);
    }

    /** A writer decoding latents with {@code decoder} (null: the values are images). */
    public TrajectoryWriter(Path dir, StepListener progress, LatentDecoder decoder) throws IOException {
        this.dir = dir;
        this.progress = progress;
        this.decoder = decoder;
        Files.createDirectories(dir);
    }

    @Override
    public void onStep(int stepIndex, int t, NDArray xt, NDArray predX0, NDArray predEps) {
        try {
            write(xt, true, String.format(Locale.ROOT, "xt-%04d-t%04d.png", stepIndex, t));
            write(predX0, true, String.format(Locale.ROOT, "x0-%04d-t%04d.png", stepIndex, t));
            write(predEps, false, String.format(Locale.ROOT, "eps-%04d-t%04d.png", stepIndex, t));
            written++;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (progress != null) {
            progress.onStep(stepIndex, t, xt, predX0, predEps);
        }
    }

    @Override
    public void onProgress(int completed, int total) {
        if (progress != null) {
            progress.onProgress(completed, total);
        }
    }

    public int stepsWritten() {
        return written;
    }

    private void write(NDArray batch, boolean image, String name) throws IOException {
        long[] s = batch.getShape().getShape();
        int n = (int) s[0];
        int c = (int) s[1];
        int h = (int) s[2];
        int w = (int) s[3];
        float[] all = batch.toFloatArray();
        if (image && decoder != null) {
            all = decoder.decode(all, n, h);
            int per = all.length / n;
            c = decoder.imageChannels();
            h = w = (int) Math.round(Math.sqrt(per / (double) c));
        } else if (!image) {
            int keep = c >= 3 ? 3 : 1;
            float[] shown = new float[n * keep * h * w];
            for (int k = 0; k < n; k++) {
                for (int j = 0; j < keep * h * w; j++) {
                    shown[k * keep * h * w + j] = 0.5f * all[k * c * h * w + j];
                }
            }
            all = shown;
            c = keep;
        }
        ImageWriter.writeGrid(Grids.split(all, n, c * h * w), c, h, w, dir.resolve(name));
    }
}

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
 * Writes the denoising trajectory as it is sampled: for every step a grid of x_t and a grid of x̂0
 * ({@code xt-0007-t0859.png}, {@code x0-0007-t0859.png}), so nothing piles up in memory.
 */
public final class TrajectoryWriter implements StepListener {
    private final Path dir;
    private final StepListener progress;
    private int written;

    public TrajectoryWriter(Path dir, StepListener progress) throws IOException {
        this.dir = dir;
        this.progress = progress;
        Files.createDirectories(dir);
    }

    @Override
    public void onStep(int stepIndex, int t, NDArray xt, NDArray predX0, NDArray predEps) {
        try {
            write(xt, String.format(Locale.ROOT, "xt-%04d-t%04d.png", stepIndex, t));
            write(predX0, String.format(Locale.ROOT, "x0-%04d-t%04d.png", stepIndex, t));
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

    private void write(NDArray batch, String name) throws IOException {
        long[] s = batch.getShape().getShape();
        int n = (int) s[0];
        int c = (int) s[1];
        int h = (int) s[2];
        int w = (int) s[3];
        float[] all = batch.toFloatArray();
        ImageWriter.writeGrid(Grids.split(all, n, c * h * w), c, h, w, dir.resolve(name));
    }
}

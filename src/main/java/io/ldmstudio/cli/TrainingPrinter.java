package io.ldmstudio.cli;

import io.ldmstudio.runs.RunStatus;
import io.ldmstudio.training.TrainingListener;
import java.nio.file.Path;
import java.util.Locale;

/** Shows a training run on the terminal: a progress bar with loss, and a line per event. */
final class TrainingPrinter implements TrainingListener {
    private final Progress progress;
    private final Path runDir;

    TrainingPrinter(long totalSteps, Path runDir) {
        this.progress = new Progress(System.out, "train", totalSteps, "step", Progress.isTerminal());
        this.runDir = runDir;
    }

    @Override
    public void onStep(StepEvent e) {
        progress.update(e.step(), String.format(Locale.ROOT, "loss %.4f  lr %.2e  %.1f img/s", e.loss(), e.lr(),
                e.imagesPerSecond()));
    }

    @Override
    public void onSample(long step, Path grid) {
        progress.message("samples at step " + step + ": " + rel(grid));
    }

    @Override
    public void onCheckpoint(long step, Path dir) {
        progress.message("checkpoint at step " + step + ": " + rel(dir));
    }

    @Override
    public void onState(RunStatus status, String message) {
        if (status == RunStatus.FAILED || status == RunStatus.STOPPED || status == RunStatus.FINISHED) {
            progress.finish();
        }
    }

    @Override
    public void onLog(String line) {
        if (line.startsWith("skipped") || line.startsWith("  skipped") || line.startsWith("dataset")
                || line.startsWith("U-Net") || line.startsWith("VAE") || line.startsWith("reconstructions")
                || line.startsWith("exported") || line.startsWith("resumed") || line.contains("mixed_precision")
                || line.startsWith("autoencoder") || line.startsWith("latent cache") || line.startsWith("encoding")
                || line.startsWith("evaluation") || line.startsWith("best ")) {
            progress.message(line);
        }
    }

    private String rel(Path p) {
        try {
            return Path.of("").toAbsolutePath().relativize(p.toAbsolutePath()).toString();
        } catch (IllegalArgumentException e) {
            return p.toString();
        }
    }
}

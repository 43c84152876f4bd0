package io.ldmstudio.runs;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.ldmstudio.config.Configs;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Optional;

/**
 * The run's {@code progress.json}: the trainer's latest step, rewritten atomically a few times a
 * second so that whoever follows the run (a studio that did not start it) sees the step counter,
 * throughput and time move between the metrics rows.
 *
 * @param pid the training process
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RunProgress(long pid, long step, long totalSteps, double loss, double lr, double gradNorm,
        double imagesPerSecond, double elapsedSeconds) {

    public static Optional<RunProgress> read(Run run) {
        try {
            if (!Files.exists(run.progressFile())) {
                return Optional.empty();
            }
            return Optional.of(Configs.MAPPER.readValue(run.progressFile().toFile(), RunProgress.class));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    public void write(Run run) throws IOException {
        AtomicFiles.writeJson(run.progressFile(), this);
    }
}

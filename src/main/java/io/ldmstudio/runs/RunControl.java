package io.ldmstudio.runs;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.ldmstudio.config.Configs;
import java.io.IOException;
import java.nio.file.Files;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Optional;

/**
 * The run's {@code control.json}: what whoever steers a run (the studio, a second studio, the CLI) asks
 * of whoever trains it. {@code {"pause": false, "stop": true, "checkpoint": 2, "updated": "...Z"}}.
 * Written atomically; the trainer polls it a few times a second and ignores a file written before its
 * process started (a request to an earlier trainer).
 *
 * @param pause      hold after the current step until this is false again
 * @param stop       stop after the current step, writing a checkpoint first
 * @param checkpoint a counter: each increase asks for one checkpoint after the current step
 * @param updated    when it was written, ISO-8601 instant
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RunControl(@JsonProperty("pause") boolean pause, @JsonProperty("stop") boolean stop,
        @JsonProperty("checkpoint") long checkpoint, @JsonProperty("updated") String updated) {

    /** No request. */
    public static final RunControl NONE = new RunControl(false, false, 0, Instant.EPOCH.toString());

    public Instant updatedAt() {
        try {
            return Instant.parse(updated);
        } catch (RuntimeException e) {
            return Instant.EPOCH;
        }
    }

    /** The requests of {@code run}, or {@link #NONE} when it has none (or the file cannot be read). */
    public static RunControl read(Run run) {
        try {
            if (!Files.exists(run.controlFile())) {
                return NONE;
            }
            return Configs.MAPPER.readValue(run.controlFile().toFile(), RunControl.class);
        } catch (IOException | RuntimeException e) {
            return NONE;
        }
    }

    /** Writes these requests for {@code run}, stamped now. */
    public static RunControl write(Run run, boolean pause, boolean stop, long checkpoint) throws IOException {
        RunControl c = new RunControl(pause, stop, checkpoint, Instant.now().truncatedTo(ChronoUnit.MILLIS).toString());
        AtomicFiles.writeJson(run.controlFile(), c);
        return c;
    }

    /** The requests as they stand, unless they were written before {@code since}. */
    public static Optional<RunControl> readSince(Run run, Instant since) {
        RunControl c = read(run);
        return c == NONE || c.updatedAt().isBefore(since) ? Optional.empty() : Optional.of(c);
    }
}

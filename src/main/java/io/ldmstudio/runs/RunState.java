package io.ldmstudio.runs;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Instant;

/**
 * The run's {@code state.json}: {@code {"status": "running", "message": "...", "updated": "2026-...Z"}}.
 *
 * @param status  where the run is
 * @param message why (the failure, "stopped by user", ...); may be empty, never null
 * @param updated when it was written, ISO-8601 instant
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RunState(RunStatus status, String message, String updated) {
    public RunState {
        message = message == null ? "" : message;
    }

    public Instant updatedAt() {
        return Instant.parse(updated);
    }
}

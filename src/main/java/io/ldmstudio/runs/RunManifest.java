package io.ldmstudio.runs;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.ldmstudio.config.RunConfig;
import java.time.Instant;

/**
 * A run's {@code config.json}:
 * <pre>{@code
 * {
 *   "config":  { ...the full resolved RunConfig, snake_case... },
 *   "preset":  "quickstart",
 *   "engine":  "PyTorch 2.7.1",          (null until training has started)
 *   "device":  "cpu",                    (the device actually used; config.device may say auto)
 *   "created": "2026-11-23T19:55:00Z"
 * }
 * }</pre>
 * The {@code config} object round-trips exactly through {@link io.ldmstudio.config.Configs#MAPPER};
 * unknown keys inside it are rejected, unknown keys beside it are ignored (room for later additions).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RunManifest(RunConfig config, String preset, String engine, String device, String created) {

    public Instant createdAt() {
        return Instant.parse(created);
    }

    public RunManifest withEnvironment(String newEngine, String newDevice) {
        return new RunManifest(config, preset, newEngine, newDevice, created);
    }
}

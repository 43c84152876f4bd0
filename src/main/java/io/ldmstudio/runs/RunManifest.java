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
 *   "created": "2026-11-23T19:55:00Z",
 *   "class_names": ["disc", "square", …]  (a class-conditional run: its classes by label, once it started)
 * }
 * }</pre>
 * The {@code config} object round-trips exactly through {@link io.ldmstudio.config.Configs#MAPPER};
 * unknown keys inside it are rejected, unknown keys beside it are ignored (room for later additions).
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RunManifest(RunConfig config, String preset, String engine, String device, String created,
        java.util.List<String> classNames) {

    public RunManifest {
        classNames = classNames == null ? java.util.List.of() : java.util.List.copyOf(classNames);
    }

    public RunManifest(RunConfig config, String preset, String engine, String device, String created) {
        this(config, preset, engine, device, created, null);
    }

    public Instant createdAt() {
        return Instant.parse(created);
    }

    public RunManifest withEnvironment(String newEngine, String newDevice) {
        return new RunManifest(config, preset, newEngine, newDevice, created, classNames);
    }

    /** The same with the config's conditioning and the class names by label, as a conditional run starts. */
    public RunManifest withClasses(RunConfig.Conditioning conditioning, java.util.List<String> names) {
        return new RunManifest(config.withConditioning(conditioning), preset, engine, device, created, names);
    }
}

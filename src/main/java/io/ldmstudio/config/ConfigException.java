package io.ldmstudio.config;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A configuration that cannot be used. {@link #errors()} has every problem found; the message lists
 * them one per line as {@code field: value — what is allowed}, unless a more specific message was
 * given (a preset file that cannot be read, an override that does not parse).
 */
public class ConfigException extends RuntimeException {
    private final transient List<ConfigError> errors;

    public ConfigException(List<ConfigError> errors) {
        this(format(errors), errors);
    }

    public ConfigException(String message, List<ConfigError> errors) {
        this(message, errors, null);
    }

    public ConfigException(String message, List<ConfigError> errors, Throwable cause) {
        super(message, cause);
        this.errors = List.copyOf(errors);
    }

    public List<ConfigError> errors() {
        return errors;
    }

    /** The problems, one per line. */
    public static String format(List<ConfigError> errors) {
        return errors.stream().map(ConfigError::toString).collect(Collectors.joining("\n"));
    }
}

package io.ldmstudio.config;

import java.util.List;
import java.util.stream.Collectors;

/**
 * One problem with a configuration.
 *
 * @param field   the snake_case dotted key, e.g. {@code optim.lr} (or a file name for file-level problems)
 * @param value   the offending value (may be null)
 * @param message what is allowed, e.g. {@code must be > 0}
 */
public record ConfigError(String field, Object value, String message) {

    /** {@code field: value — message}, on one line. */
    @Override
    public String toString() {
        return field + ": " + show(value) + " — " + message;
    }

    /** A value as a user typed it: strings quoted, lists bracketed, null as {@code null}. */
    static String show(Object value) {
        if (value == null) {
            return "null";
        }
        if (value instanceof String s) {
            return "\"" + s + "\"";
        }
        if (value instanceof List<?> list) {
            return list.stream().map(ConfigError::show).collect(Collectors.joining(", ", "[", "]"));
        }
        if (value instanceof Double d && d == Math.rint(d) && !d.isInfinite() && Math.abs(d) < 1e15) {
            return d.toString(); // keeps 1.0 rather than 1, so a number reads as a number
        }
        return String.valueOf(value);
    }
}

package io.ldmstudio.config;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;

/** The one JSON mapper for configs: snake_case names, pretty output, unknown keys rejected. */
public final class Configs {
    public static final ObjectMapper MAPPER = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private Configs() {}

    /** The keys of an enum's constants, in order. */
    static <E> java.util.List<String> keys(E[] values, java.util.function.Function<E, String> key) {
        return java.util.Arrays.stream(values).map(key).toList();
    }

    /** The constant whose key is {@code name} (trimmed, any case); else a message naming the field and the choices. */
    static <E> E byKey(E[] values, java.util.function.Function<E, String> key, String name, String field, String what) {
        String n = name == null ? "" : name.trim().toLowerCase(java.util.Locale.ROOT);
        for (E e : values) {
            if (key.apply(e).equals(n)) {
                return e;
            }
        }
        throw new IllegalArgumentException(field + ": unknown " + what + " '" + name + "'; expected one of "
                + String.join(", ", keys(values, key)));
    }
}

package io.ldmstudio.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;

/**
 * {@code --set key=value} overrides, applied to a resolved config tree.
 *
 * <p>The key is a dotted snake_case path ({@code optim.lr}, {@code data.path}); the value is typed by
 * the key's field (see {@link ConfigSchema}):
 * <ul>
 *   <li>number: {@code 1e-4}, {@code 0.0002}</li>
 *   <li>integer: {@code 1500}, {@code 100_000}, {@code 1e5} (when whole)</li>
 *   <li>boolean: {@code true | false}</li>
 *   <li>string: the text as is; an empty value means null ({@code autoencoder.path=})</li>
 *   <li>list of integers: {@code 1,2,2} or {@code [1,2,2]}; {@code []} is empty</li>
 * </ul>
 * Keys with a fixed vocabulary ({@code data.source}, {@code sampling.sampler}, ...) are checked
 * against it at once. A bad key or value is a {@link ConfigException} with a one-line message naming
 * the key, the value and what is allowed; ranges are left to {@link ConfigValidator}.
 */
public final class ConfigOverrides {
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private ConfigOverrides() {}

    /** Applies every override in order to {@code tree} (changed in place) and returns it. */
    public static ObjectNode apply(ObjectNode tree, List<String> overrides) {
        if (overrides != null) {
            for (String o : overrides) {
                apply(tree, o);
            }
        }
        return tree;
    }

    /** The config with the overrides applied (not validated). */
    public static RunConfig apply(RunConfig config, List<String> overrides) {
        ObjectNode tree = Configs.MAPPER.valueToTree(config);
        return ConfigResolver.toConfig(apply(tree, overrides), "overrides");
    }

    /** Applies one {@code key=value} to {@code tree}. */
    public static void apply(ObjectNode tree, String assignment) {
        String text = assignment == null ? "" : assignment;
        int eq = text.indexOf('=');
        if (eq < 0) {
            throw fail(text, text.trim(), null, "expected key=value, e.g. optim.lr=1e-4");
        }
        String key = text.substring(0, eq).trim();
        String raw = text.substring(eq + 1).trim();
        ConfigSchema.Key target = ConfigSchema.find(key).orElse(null);
        if (target == null) {
            String hint = ConfigSchema.suggestion(key);
            int dot = key.lastIndexOf('.');
            String group = dot < 0 ? "" : key.substring(0, dot);
            String allowed = ConfigSchema.find(group).filter(g -> g.kind() == ConfigSchema.Kind.GROUP).isPresent()
                    || group.isEmpty()
                    ? "; keys" + (group.isEmpty() ? "" : " under " + group) + ": " + ConfigSchema.childNames(group)
                    : "; top-level keys: " + ConfigSchema.childNames("");
            throw fail(text, key, raw, "unknown key " + key + hint + (hint.isEmpty() ? allowed : ""));
        }
        if (target.kind() == ConfigSchema.Kind.GROUP) {
            throw fail(text, key, raw, key + " is a group; set one of its keys: "
                    + String.join(", ", ConfigSchema.children(key).stream().map(ConfigSchema.Key::path).toList()));
        }
        JsonNode value = parse(target, raw, text);
        ObjectNode parent = tree;
        String[] parts = key.split("\\.");
        for (int i = 0; i < parts.length - 1; i++) {
            JsonNode child = parent.get(parts[i]);
            if (!(child instanceof ObjectNode)) {
                child = parent.putObject(parts[i]);
            }
            parent = (ObjectNode) child;
        }
        parent.set(parts[parts.length - 1], value);
    }

    private static JsonNode parse(ConfigSchema.Key key, String raw, String text) {
        String k = key.path();
        switch (key.kind()) {
            case STRING -> {
                if (raw.isEmpty()) {
                    return NODES.nullNode();
                }
                List<String> choices = ConfigValidator.CHOICES.get(k);
                if (choices != null && !choices.contains(raw)) {
                    String close = choices.stream()
                            .filter(c -> ConfigSchema.distance(raw.toLowerCase(Locale.ROOT), c) <= 2)
                            .findFirst().map(c -> " (did you mean " + c + "?)").orElse("");
                    throw fail(text, k, raw, k + " must be one of " + String.join(", ", choices) + close);
                }
                return NODES.textNode(raw);
            }
            case BOOLEAN -> {
                if (raw.equalsIgnoreCase("true")) {
                    return NODES.booleanNode(true);
                }
                if (raw.equalsIgnoreCase("false")) {
                    return NODES.booleanNode(false);
                }
                throw fail(text, k, raw, k + " must be true or false");
            }
            case NUMBER -> {
                BigDecimal d = decimal(raw);
                if (d == null || !Double.isFinite(d.doubleValue())) {
                    throw fail(text, k, raw, k + " must be a number, e.g. 1e-4 or 0.5");
                }
                return NODES.numberNode(d.doubleValue());
            }
            case INT, LONG -> {
                Long v = whole(raw, key.kind() == ConfigSchema.Kind.INT);
                if (v == null) {
                    throw fail(text, k, raw, k + " must be an integer, e.g. 1500"
                            + (key.kind() == ConfigSchema.Kind.INT ? " (at most " + Integer.MAX_VALUE + ")" : ""));
                }
                return key.kind() == ConfigSchema.Kind.INT ? NODES.numberNode(v.intValue()) : NODES.numberNode(v);
            }
            case INT_LIST -> {
                String body = raw;
                if (body.startsWith("[") && body.endsWith("]")) {
                    body = body.substring(1, body.length() - 1).trim();
                }
                ArrayNode list = NODES.arrayNode();
                if (body.isEmpty()) {
                    return list;
                }
                for (String item : body.split(",", -1)) {
                    Long v = whole(item.trim(), true);
                    if (v == null) {
                        throw fail(text, k, raw, k + " must be a list of integers, e.g. 1,2,2 or [1,2,2]");
                    }
                    list.add(v.intValue());
                }
                return list;
            }
            default -> throw new IllegalStateException("no parser for " + key);
        }
    }

    private static BigDecimal decimal(String raw) {
        try {
            return raw.isEmpty() ? null : new BigDecimal(raw.replace("_", ""));
        } catch (NumberFormatException e) {
            return null;
        }
    }

    private static Long whole(String raw, boolean asInt) {
        BigDecimal d = decimal(raw);
        if (d == null) {
            return null;
        }
        try {
            long v = d.longValueExact();
            if (asInt && (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE)) {
                return null;
            }
            return v;
        } catch (ArithmeticException e) {
            return null;
        }
    }

    private static ConfigException fail(String assignment, String key, String value, String allowed) {
        String line = ("--set " + assignment + ": " + allowed).replace('\n', ' ').replace('\r', ' ');
        return new ConfigException(line, List.of(new ConfigError(key, value, allowed)));
    }
}

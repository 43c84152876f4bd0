package io.ldmstudio.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.RecordComponent;
import java.lang.reflect.Type;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Every key of a {@link RunConfig} in its JSON form ({@code optim.batch_size}), with its type, read
 * from the record components so it never drifts from the records. Used to reject unknown keys in
 * presets, to type {@code --set} values, and to suggest the key a user probably meant.
 */
public final class ConfigSchema {

    /** The JSON type of a key. */
    public enum Kind {
        /** a nested object (a record) */
        GROUP("an object"),
        STRING("a string"),
        INT("an integer"),
        LONG("an integer"),
        NUMBER("a number"),
        BOOLEAN("true or false"),
        INT_LIST("a list of integers");

        private final String description;

        Kind(String description) {
            this.description = description;
        }

        /** What a value of this kind looks like, for messages ("a number"). */
        public String description() {
            return description;
        }
    }

    /**
     * One key.
     *
     * @param path dotted snake_case path, e.g. {@code model.channel_mult}
     * @param kind its JSON type
     */
    public record Key(String path, Kind kind) {
        /** The last segment: {@code channel_mult}. */
        public String name() {
            return path.substring(path.lastIndexOf('.') + 1);
        }

        /** The enclosing group's path, or "" at the top. */
        public String parent() {
            int dot = path.lastIndexOf('.');
            return dot < 0 ? "" : path.substring(0, dot);
        }
    }

    /** Names people reach for, mapped to ours (last segment only). */
    private static final Map<String, String> ALIASES = Map.ofEntries(
            Map.entry("learning_rate", "lr"),
            Map.entry("lr_scheduler", "lr_schedule"),
            Map.entry("scheduler", "lr_schedule"),
            Map.entry("warmup", "warmup_steps"),
            Map.entry("lr_warmup_steps", "warmup_steps"),
            Map.entry("ema", "ema_decay"),
            Map.entry("batch", "batch_size"),
            Map.entry("train_batch_size", "batch_size"),
            Map.entry("max_steps", "steps"),
            Map.entry("num_steps", "steps"),
            Map.entry("train_steps", "steps"),
            Map.entry("iterations", "steps"),
            Map.entry("max_grad_norm", "grad_clip"),
            Map.entry("clip_grad", "grad_clip"),
            Map.entry("image_size", "resolution"),
            Map.entry("size", "resolution"),
            Map.entry("in_channels", "channels"),
            Map.entry("attn_resolutions", "attention_resolutions"),
            Map.entry("attention_levels", "attention_resolutions"),
            Map.entry("ch_mult", "channel_mult"),
            Map.entry("attention_head_dim", "head_dim"),
            Map.entry("dim_head", "head_dim"),
            Map.entry("base_channels", "model_channels"),
            Map.entry("num_timesteps", "timesteps"),
            Map.entry("num_train_timesteps", "timesteps"),
            Map.entry("beta_schedule", "schedule"),
            Map.entry("prediction_type", "prediction"),
            Map.entry("scale_factor", "scaling_factor"),
            Map.entry("num_inference_steps", "steps"),
            Map.entry("num_samples", "n"),
            Map.entry("scheduler_steps", "steps"),
            Map.entry("z_channels", "latent_channels"),
            Map.entry("embed_dim", "latent_channels"),
            Map.entry("norm_num_groups", "norm_groups"),
            Map.entry("mid_block_add_attention", "mid_attention"),
            Map.entry("kl_loss_weight", "kl_weight"),
            Map.entry("kl", "kl_weight"),
            Map.entry("rec_loss", "loss"),
            Map.entry("reconstruction_loss", "loss"));

    private static final Map<String, Key> KEYS = build();

    private ConfigSchema() {}

    /** Every key, groups included, in declaration order. */
    public static List<Key> keys() {
        return List.copyOf(KEYS.values());
    }

    public static Optional<Key> find(String path) {
        return Optional.ofNullable(KEYS.get(path));
    }

    /** The keys directly inside a group ("" for the top level). */
    public static List<Key> children(String group) {
        return KEYS.values().stream().filter(k -> k.parent().equals(group)).toList();
    }

    /**
     * The known key a user most probably meant by {@code path}, if any is close: an alias
     * ({@code learning_rate → lr}), the same name in another group ({@code data.batch_size →
     * optim.batch_size}), or a near spelling (edit distance).
     */
    public static Optional<String> suggest(String path) {
        String lower = path.toLowerCase(Locale.ROOT).replace('-', '_');
        if (KEYS.containsKey(lower) && !lower.equals(path)) {
            return Optional.of(lower);
        }
        int dot = lower.lastIndexOf('.');
        String group = dot < 0 ? "" : lower.substring(0, dot);
        String name = dot < 0 ? lower : lower.substring(dot + 1);
        String alias = ALIASES.get(name);
        if (alias != null) {
            String inGroup = group.isEmpty() ? alias : group + "." + alias;
            if (KEYS.containsKey(inGroup)) {
                return Optional.of(inGroup);
            }
            List<Key> elsewhere = KEYS.values().stream().filter(k -> k.name().equals(alias)).toList();
            if (elsewhere.size() == 1) {
                return Optional.of(elsewhere.get(0).path());
            }
        }
        List<Key> sameName = KEYS.values().stream().filter(k -> k.name().equals(name)).toList();
        if (sameName.size() == 1) {
            return Optional.of(sameName.get(0).path());
        }
        String best = null;
        int bestDistance = Integer.MAX_VALUE;
        for (String candidate : KEYS.keySet()) {
            int d = distance(lower, candidate);
            if (d < bestDistance) {
                best = candidate;
                bestDistance = d;
            }
        }
        return bestDistance <= Math.max(2, name.length() / 3) ? Optional.ofNullable(best) : Optional.empty();
    }

    /** " (did you mean x?)" or "". */
    static String suggestion(String path) {
        return suggest(path).map(s -> " (did you mean " + s + "?)").orElse("");
    }

    /** The child names of a group, comma separated, for "allowed here" messages. */
    static String childNames(String group) {
        return String.join(", ", children(group).stream().map(Key::name).toList());
    }

    static int distance(String a, String b) {
        int[] prev = new int[b.length() + 1];
        int[] cur = new int[b.length() + 1];
        for (int j = 0; j <= b.length(); j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            cur[0] = i;
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
            }
            int[] t = prev;
            prev = cur;
            cur = t;
        }
        return prev[b.length()];
    }

    private static Map<String, Key> build() {
        Map<String, Key> keys = new LinkedHashMap<>();
        walk(RunConfig.class, "", keys);
        return Collections.unmodifiableMap(keys);
    }

    private static void walk(Class<?> record, String prefix, Map<String, Key> out) {
        var snake = (PropertyNamingStrategies.NamingBase) PropertyNamingStrategies.SNAKE_CASE;
        for (RecordComponent c : record.getRecordComponents()) {
            String path = prefix + snake.translate(c.getName());
            Class<?> type = c.getType();
            if (type.isRecord()) {
                out.put(path, new Key(path, Kind.GROUP));
                walk(type, path + ".", out);
            } else {
                out.put(path, new Key(path, kindOf(type, c.getGenericType(), path)));
            }
        }
    }

    private static Kind kindOf(Class<?> type, Type generic, String path) {
        if (type == String.class) {
            return Kind.STRING;
        }
        if (type == int.class || type == Integer.class) {
            return Kind.INT;
        }
        if (type == long.class || type == Long.class) {
            return Kind.LONG;
        }
        if (type == double.class || type == Double.class || type == float.class) {
            return Kind.NUMBER;
        }
        if (type == boolean.class || type == Boolean.class) {
            return Kind.BOOLEAN;
        }
        if (List.class.isAssignableFrom(type) && generic instanceof ParameterizedType p
                && p.getActualTypeArguments()[0] == Integer.class) {
            return Kind.INT_LIST;
        }
        throw new IllegalStateException("ConfigSchema: no JSON kind for " + path + " of type " + generic);
    }

    /**
     * Unknown keys and values of the wrong JSON type in a (possibly partial) config tree, such as a
     * preset file. {@code extraTopLevel} names keys allowed at the top besides RunConfig's own
     * ({@code extends} in a preset). Null is accepted for strings only.
     */
    public static List<ConfigError> check(JsonNode tree, Set<String> extraTopLevel) {
        List<ConfigError> errors = new ArrayList<>();
        if (tree == null || !tree.isObject()) {
            errors.add(new ConfigError("(top level)", tree == null ? null : tree.toString(),
                    "must be a JSON object of config keys"));
            return errors;
        }
        checkGroup(tree, "", extraTopLevel, errors);
        return errors;
    }

    private static void checkGroup(JsonNode node, String group, Set<String> extra, List<ConfigError> errors) {
        var fields = node.fields();
        while (fields.hasNext()) {
            var e = fields.next();
            String path = group.isEmpty() ? e.getKey() : group + "." + e.getKey();
            if (group.isEmpty() && extra.contains(e.getKey())) {
                continue;
            }
            Key key = KEYS.get(path);
            if (key == null) {
                String hint = suggestion(path);
                errors.add(new ConfigError(path, valueOf(e.getValue()), "unknown key"
                        + (hint.isEmpty() ? "; keys " + (group.isEmpty() ? "at the top" : "under " + group) + ": "
                        + childNames(group) : hint)));
                continue;
            }
            JsonNode v = e.getValue();
            if (key.kind() == Kind.GROUP) {
                if (v.isObject()) {
                    checkGroup(v, path, extra, errors);
                } else {
                    errors.add(new ConfigError(path, valueOf(v), "must be an object with keys " + childNames(path)));
                }
            } else if (!fits(key.kind(), v)) {
                errors.add(new ConfigError(path, valueOf(v), "must be " + key.kind().description()));
            }
        }
    }

    /** Whether a JSON value has the right type for a key of this kind. */
    static boolean fits(Kind kind, JsonNode v) {
        return switch (kind) {
            case GROUP -> v.isObject();
            case STRING -> v.isTextual() || v.isNull();
            case INT -> integral(v) && v.canConvertToInt();
            case LONG -> integral(v) && v.canConvertToLong();
            case NUMBER -> v.isNumber() && Double.isFinite(v.doubleValue());
            case BOOLEAN -> v.isBoolean();
            case INT_LIST -> {
                if (!v.isArray()) {
                    yield false;
                }
                for (JsonNode item : v) {
                    if (!integral(item) || !item.canConvertToInt()) {
                        yield false;
                    }
                }
                yield true;
            }
        };
    }

    private static boolean integral(JsonNode v) {
        return v.isIntegralNumber() || (v.isNumber() && v.doubleValue() == Math.rint(v.doubleValue())
                && Double.isFinite(v.doubleValue()));
    }

    /** A JSON value as a plain Java value for {@link ConfigError#value()}. */
    static Object valueOf(JsonNode v) {
        if (v == null || v.isNull()) {
            return null;
        }
        if (v.isTextual()) {
            return v.textValue();
        }
        if (v.isIntegralNumber()) {
            return v.canConvertToInt() ? (Object) v.intValue() : (Object) v.longValue();
        }
        if (v.isNumber()) {
            return v.doubleValue();
        }
        if (v.isBoolean()) {
            return v.booleanValue();
        }
        if (v.isArray()) {
            List<Object> items = new ArrayList<>();
            v.forEach(item -> items.add(valueOf(item)));
            return items;
        }
        return v.toString();
    }

    /** For tests and the GUI: every leaf key. */
    public static List<Key> leaves() {
        List<Key> out = new ArrayList<>();
        for (Key k : KEYS.values()) {
            if (k.kind() != Kind.GROUP) {
                out.add(k);
            }
        }
        return out;
    }
}

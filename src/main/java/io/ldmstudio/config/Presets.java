package io.ldmstudio.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Named presets: JSON files holding a (partial) {@link RunConfig}.
 *
 * <p>A name is looked up first as {@code NAME.json} in the presets directory given to the
 * constructor (the CLI passes {@code ./presets} when it exists), then as the classpath resource
 * {@code presets/NAME.json} (the presets shipped in the jar).
 *
 * <p>A preset may say {@code "extends": "other"} and then only the keys it changes. Resolution
 * deep-merges the preset over its resolved parent (objects merged key by key; arrays, scalars and
 * nulls replace), and the chain's root over {@link RunConfig#defaults()}. Unknown keys and values of
 * the wrong JSON type are rejected with the file and the key path in the message; cycles are
 * rejected with the chain in the message, and so are chains longer than {@link #MAX_EXTENDS_DEPTH}.
 */
public final class Presets {
    /** Where shipped presets live on the classpath. */
    public static final String RESOURCE_DIR = "presets";

    /** The longest extends chain followed: a preset and at most 31 ancestors. */
    public static final int MAX_EXTENDS_DEPTH = 32;

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}");
    private static final ObjectReader READER =
            Configs.MAPPER.reader().with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /**
     * A preset as listed.
     *
     * @param name        what to pass to {@link #resolveTree} ({@code quickstart})
     * @param description its one-line description, or why it cannot be read
     * @param origin      the file ({@code presets/quickstart.json}) or {@code classpath:presets/quickstart.json}
     */
    public record PresetInfo(String name, String description, String origin) {}

    private record Source(String name, String origin, String text) {}

    private final Path dir;
    private final ClassLoader loader;

    /** Presets from {@code dir} (may be null or missing), then the classpath. */
    public Presets(Path dir) {
        this(dir, Presets.class.getClassLoader());
    }

    /** Presets from {@code dir} (may be null or missing), then {@code loader}'s {@code presets/} resources. */
    public Presets(Path dir, ClassLoader loader) {
        this.dir = dir;
        this.loader = loader;
    }

    /** The shipped presets only. */
    public static Presets classpath() {
        return new Presets(null);
    }

    /** {@code ./presets} when it is a directory, then the shipped presets: what the CLI uses. */
    public static Presets standard() {
        Path local = Path.of(RESOURCE_DIR);
        return new Presets(Files.isDirectory(local) ? local : null);
    }

    /** The presets directory, if any. */
    public Optional<Path> directory() {
        return Optional.ofNullable(dir);
    }

    /** Whether a preset of this name can be found (it may still fail to resolve). */
    public boolean exists(String name) {
        return NAME.matcher(name).matches() && find(name).isPresent();
    }

    /**
     * Every preset that can be found, by name; one in the directory hides a shipped one of the same
     * name. Never throws for a broken preset: its description says what is wrong.
     */
    public List<PresetInfo> list() {
        List<PresetInfo> out = new ArrayList<>();
        for (String name : names()) {
            try {
                Optional<Source> source = find(name);
                if (source.isPresent()) {
                    out.add(new PresetInfo(name, describe(source.get()), source.get().origin()));
                }
            } catch (ConfigException e) { // unreadable file
                out.add(new PresetInfo(name, "(broken: " + e.getMessage().lines().findFirst().orElse("") + ")",
                        dir == null ? "classpath:" + RESOURCE_DIR + "/" + name + ".json"
                                : dir.resolve(name + ".json").normalize().toString()));
            }
        }
        return out;
    }

    /** The names of every preset that can be found, sorted; nothing is read or resolved. */
    public List<String> names() {
        Set<String> names = new TreeSet<>();
        if (dir != null && Files.isDirectory(dir)) {
            try (Stream<Path> files = Files.list(dir)) {
                files.filter(Files::isRegularFile).map(p -> p.getFileName().toString())
                        .filter(n -> n.endsWith(".json")).map(n -> n.substring(0, n.length() - 5))
                        .filter(n -> NAME.matcher(n).matches()).forEach(names::add);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list presets in " + dir, e);
            }
        }
        names.addAll(classpathNames());
        return List.copyOf(names);
    }

    /** Its own description, else the inherited one; why it cannot be resolved when it cannot (a cycle, say). */
    private String describe(Source source) {
        try {
            JsonNode resolved = resolveTree(source.name()).get("description");
            JsonNode own = parse(source).get("description");
            if (own != null && own.isTextual()) {
                return own.textValue();
            }
            return resolved != null && resolved.isTextual() ? resolved.textValue() : "";
        } catch (ConfigException e) {
            return "(broken: " + e.getMessage().lines().findFirst().orElse("") + ")";
        }
    }

    /**
     * The preset fully resolved as a JSON tree: the extends chain merged over the defaults, without
     * {@code extends}, with {@code preset} set to {@code name}. Not validated: apply overrides, then
     * convert and validate (see {@link ConfigResolver}).
     *
     * @throws ConfigException unknown preset, unreadable file, unknown key, wrong type, cycle
     */
    public ObjectNode resolveTree(String name) {
        ObjectNode tree = resolve(name);
        tree.put("preset", name);
        return tree;
    }

    /** The preset resolved into a config, not validated. */
    public RunConfig load(String name) {
        return ConfigResolver.toConfig(resolveTree(name), "preset " + name);
    }

    /** {@link RunConfig#defaults()} as a JSON tree: the root every chain is merged over. */
    public static ObjectNode defaultsTree() {
        return Configs.MAPPER.valueToTree(RunConfig.defaults());
    }

    /**
     * Merges {@code over} into {@code base}: objects key by key (recursively), everything else
     * (arrays, scalars, null) replaces. Returns {@code base}.
     */
    public static ObjectNode deepMerge(ObjectNode base, JsonNode over) {
        Iterator<Map.Entry<String, JsonNode>> fields = over.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> e = fields.next();
            JsonNode old = base.get(e.getKey());
            if (old instanceof ObjectNode oldObject && e.getValue().isObject()) {
                deepMerge(oldObject, e.getValue());
            } else {
                base.set(e.getKey(), e.getValue().deepCopy());
            }
        }
        return base;
    }

    /**
     * Follows the extends chain from {@code name} one preset at a time (no recursion, so a long chain
     * cannot overflow the stack), then merges it over the defaults from the root down.
     */
    private ObjectNode resolve(String name) {
        List<String> chain = new ArrayList<>();
        List<ObjectNode> trees = new ArrayList<>();
        Source child = null;
        String next = name;
        while (next != null) {
            if (chain.contains(next)) {
                List<String> cycle = new ArrayList<>(chain.subList(chain.indexOf(next), chain.size()));
                cycle.add(next);
                String message = "preset cycle: " + String.join(" -> ", cycle) + " (" + child.origin()
                        + " extends " + next + ")";
                throw new ConfigException(message, List.of(new ConfigError(child.origin(), next, message)));
            }
            if (chain.size() == MAX_EXTENDS_DEPTH) {
                String message = child.origin() + ": the extends chain of preset '" + name + "' is more than "
                        + MAX_EXTENDS_DEPTH + " presets long (" + String.join(" -> ", chain.subList(0, 3)) + " -> ... -> "
                        + chain.get(chain.size() - 1) + " -> " + next + "); expected at most " + MAX_EXTENDS_DEPTH
                        + " levels: let '" + name + "' extend a preset nearer the root";
                throw new ConfigException(message, List.of(new ConfigError(child.origin(), next, message)));
            }
            chain.add(next);
            Source source = lookup(next, child);
            ObjectNode tree = parse(source);
            List<ConfigError> errors = ConfigSchema.check(tree, Set.of("extends"));
            JsonNode ext = tree.get("extends");
            if (ext != null && !(ext.isTextual() && NAME.matcher(ext.textValue()).matches())) {
                errors.add(new ConfigError("extends", ConfigSchema.valueOf(ext), "must be the name of another preset"));
            }
            if (!errors.isEmpty()) {
                List<String> lines = errors.stream().map(e -> source.origin() + ": " + describe(e)).toList();
                throw new ConfigException(String.join("\n", lines), errors);
            }
            tree.remove("extends");
            trees.add(tree);
            child = source;
            next = ext == null ? null : ext.textValue();
        }
        ObjectNode merged = defaultsTree();
        for (int i = trees.size() - 1; i >= 0; i--) {
            deepMerge(merged, trees.get(i));
        }
        return merged;
    }

    private static String describe(ConfigError e) {
        if (e.message().startsWith("unknown key")) {
            return "unknown key " + e.field() + e.message().substring("unknown key".length());
        }
        return e.field() + " = " + ConfigError.show(e.value()) + " — " + e.message();
    }

    private Source lookup(String name, Source child) {
        String where = child == null ? "" : child.origin() + ": extends ";
        if (!NAME.matcher(name).matches()) {
            String message = where + "invalid preset name '" + name
                    + "': use up to 64 characters of A-Z a-z 0-9 . _ -, not starting with '.'";
            throw new ConfigException(message, List.of(new ConfigError("preset", name, message)));
        }
        return find(name).orElseThrow(() -> {
            List<String> known = names();
            String close = known.stream()
                    .min((a, b) -> Integer.compare(ConfigSchema.distance(name, a), ConfigSchema.distance(name, b)))
                    .filter(k -> ConfigSchema.distance(name, k) <= Math.max(2, name.length() / 3))
                    .map(k -> " (did you mean " + k + "?)").orElse("");
            String message = where + "unknown preset '" + name + "'" + close + "; available: "
                    + String.join(", ", known);
            return new ConfigException(message, List.of(new ConfigError("preset", name, message)));
        });
    }

    private Optional<Source> find(String name) {
        if (dir != null) {
            Path file = dir.resolve(name + ".json");
            if (Files.isRegularFile(file)) {
                try {
                    return Optional.of(new Source(name, file.normalize().toString(),
                            Files.readString(file, StandardCharsets.UTF_8)));
                } catch (IOException e) {
                    String message = file.normalize() + ": cannot read: " + e;
                    throw new ConfigException(message, List.of(new ConfigError(file.toString(), null, message)), e);
                }
            }
        }
        String resource = RESOURCE_DIR + "/" + name + ".json";
        try (InputStream in = loader.getResourceAsStream(resource)) {
            if (in == null) {
                return Optional.empty();
            }
            return Optional.of(new Source(name, "classpath:" + resource,
                    new String(in.readAllBytes(), StandardCharsets.UTF_8)));
        } catch (IOException e) {
            String message = "classpath:" + resource + ": cannot read: " + e;
            throw new ConfigException(message, List.of(new ConfigError(resource, null, message)), e);
        }
    }

    private static ObjectNode parse(Source source) {
        try {
            JsonNode node = READER.readTree(source.text());
            if (node instanceof ObjectNode object) {
                return object;
            }
            String message = source.origin() + ": must hold one JSON object of config keys";
            throw new ConfigException(message, List.of(new ConfigError(source.origin(), null, message)));
        } catch (JsonProcessingException e) {
            var at = e.getLocation();
            String message = source.origin() + ": not valid JSON"
                    + (at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr())
                    + ": " + e.getOriginalMessage().lines().findFirst().orElse("");
            throw new ConfigException(message, List.of(new ConfigError(source.origin(), null, message)), e);
        }
    }

    /** Names of {@code presets/*.json} resources, from directories and jars on the class path. */
    private Set<String> classpathNames() {
        Set<String> names = new TreeSet<>();
        Map<String, URL> roots = new LinkedHashMap<>();
        try {
            for (String probe : List.of(RESOURCE_DIR, RESOURCE_DIR + "/quickstart.json")) {
                Enumeration<URL> urls = loader.getResources(probe);
                for (URL url : Collections.list(urls)) {
                    roots.putIfAbsent(url.toString(), url);
                }
            }
            for (URL url : roots.values()) {
                if ("file".equals(url.getProtocol())) {
                    Path p = Path.of(url.toURI());
                    Path folder = Files.isDirectory(p) ? p : p.getParent();
                    try (Stream<Path> files = Files.list(folder)) {
                        files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".json"))
                                .map(n -> n.substring(0, n.length() - 5)).forEach(names::add);
                    }
                } else if ("jar".equals(url.getProtocol())) {
                    var connection = (JarURLConnection) url.openConnection();
                    connection.setUseCaches(false);
                    try (JarFile jar = connection.getJarFile()) {
                        for (JarEntry entry : Collections.list(jar.entries())) {
                            String n = entry.getName();
                            if (n.startsWith(RESOURCE_DIR + "/") && n.endsWith(".json")
                                    && n.indexOf('/', RESOURCE_DIR.length() + 1) < 0) {
                                names.add(n.substring(RESOURCE_DIR.length() + 1, n.length() - 5));
                            }
                        }
                    }
                }
            }
        } catch (IOException | URISyntaxException e) {
            throw new UncheckedIOException("cannot list the shipped presets", e instanceof IOException io
                    ? io : new IOException(e));
        }
        names.removeIf(n -> !NAME.matcher(n).matches());
        return names;
    }
}

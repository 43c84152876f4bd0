package io.ldmstudio.ui.hyperparameters;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ldmstudio.config.ConfigError;
import io.ldmstudio.config.ConfigException;
import io.ldmstudio.config.ConfigOverrides;
import io.ldmstudio.config.ConfigSchema;
import io.ldmstudio.config.ConfigValidator;
import io.ldmstudio.config.Configs;
import io.ldmstudio.config.Presets;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.runs.AtomicFiles;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.service.ModelSizes;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;

/**
 * The run configuration being edited: a preset (the base) plus the fields the user changed. Every edit
 * is parsed and the whole config validated at once; each field carries its own message. Holds no
 * controls.
 */
public final class HyperparametersViewModel {

    /** The groups of the sheet, in order, with the config sections they show. */
    public static final Map<String, String> GROUPS = groups();

    private static Map<String, String> groups() {
        Map<String, String> g = new LinkedHashMap<>();
        g.put("data", "Data");
        g.put("autoencoder", "Autoencoder");
        g.put("vae", "Autoencoder");
        g.put("model", "Model");
        g.put("diffusion", "Diffusion");
        g.put("optim", "Optimisation");
        g.put("sampling", "Sampling");
        g.put("logging", "Logging");
        g.put("", "Run");
        return g;
    }

    /** Keys that are not edited here: the preset name is the base's, not a value. */
    private static final List<String> HIDDEN = List.of("preset");

    /** One key of the config. */
    public static final class Field {
        private final ConfigSchema.Key key;
        private final String group;
        private final StringProperty text = new SimpleStringProperty();
        private final ReadOnlyStringWrapper error = new ReadOnlyStringWrapper("");
        private final ReadOnlyBooleanWrapper changed = new ReadOnlyBooleanWrapper();
        private String presetText = "";

        Field(ConfigSchema.Key key, String group) {
            this.key = key;
            this.group = group;
        }

        public ConfigSchema.Key key() {
            return key;
        }

        public String path() {
            return key.path();
        }

        /** The sheet group ("Optimisation"). */
        public String group() {
            return group;
        }

        /** The value as typed: numbers as written, lists as {@code 1, 2, 2}, null as empty. */
        public StringProperty textProperty() {
            return text;
        }

        /** Why the value can't be used; empty when it can. */
        public ReadOnlyStringProperty errorProperty() {
            return error.getReadOnlyProperty();
        }

        /** Differs from the preset. */
        public ReadOnlyBooleanProperty changedProperty() {
            return changed.getReadOnlyProperty();
        }

        /** The preset's value, as text. */
        public String presetText() {
            return presetText;
        }

        /** The allowed values when the key has a fixed vocabulary. */
        public Optional<List<String>> choices() {
            return Optional.ofNullable(ConfigValidator.CHOICES.get(key.path()));
        }
    }

    private final Presets presets;
    private final List<Field> fields = new ArrayList<>();
    private final Map<String, Field> byPath = new LinkedHashMap<>();
    private final ReadOnlyStringWrapper basePreset = new ReadOnlyStringWrapper("");
    private final ReadOnlyBooleanWrapper valid = new ReadOnlyBooleanWrapper(true);
    private final ReadOnlyStringWrapper summary = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper latentShape = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper parameters = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper memory = new ReadOnlyStringWrapper("");
    private final BooleanProperty loading = new SimpleBooleanProperty();
    private RunConfig base;
    private RunConfig current;
    /** Parameter counts and memory figures; builds the network again only when its shape changed. */
    private final ModelSizes sizes = new ModelSizes();

    public HyperparametersViewModel(Presets presets) {
        this.presets = presets;
        for (ConfigSchema.Key k : ConfigSchema.leaves()) {
            if (HIDDEN.contains(k.path())) {
                continue;
            }
            String top = k.path().contains(".") ? k.path().substring(0, k.path().indexOf('.')) : "";
            Field f = new Field(k, GROUPS.getOrDefault(top, "Run"));
            fields.add(f);
            byPath.put(k.path(), f);
            f.text.addListener((o, a, b) -> {
                if (!loading.get()) {
                    revalidate();
                }
            });
        }
    }

    /** Every field, in schema order. */
    public List<Field> fields() {
        return fields;
    }

    /** Groups an autoencoder run does not read (it has no U-Net or noise schedule, and is the autoencoder). */
    private static final List<String> DIFFUSION_ONLY = List.of("model.", "diffusion.", "autoencoder.");

    /**
     * The fields that matter for the task being edited: an autoencoder run shows no U-Net, diffusion
     * or latent-autoencoder keys; a diffusion run shows no {@code vae.} keys.
     */
    public List<Field> relevantFields() {
        boolean autoencoder = field("task").map(f -> RunConfig.AUTOENCODER.equals(String.valueOf(f.textProperty().get()).trim()))
                .orElse(false);
        return fields.stream().filter(f -> autoencoder
                ? DIFFUSION_ONLY.stream().noneMatch(f.path()::startsWith)
                : !f.path().startsWith("vae.")).toList();
    }

    public Optional<Field> field(String path) {
        return Optional.ofNullable(byPath.get(path));
    }

    /** Loads preset {@code name} as the base and clears every change. */
    public void loadPreset(String name) {
        load(presets.load(name).withPreset(name));
    }

    /** Loads {@code config} as the base (its preset name is kept as the base's name). */
    public void load(RunConfig config) {
        base = config;
        basePreset.set(config.preset() == null ? "" : config.preset());
        JsonNode tree = Configs.MAPPER.valueToTree(config);
        loading.set(true);
        try {
            for (Field f : fields) {
                f.presetText = text(at(tree, f.path()));
                f.text.set(f.presetText);
            }
        } finally {
            loading.set(false);
        }
        revalidate();
    }

    /** Puts every field back to the preset's value. */
    public void revert() {
        if (base != null) {
            load(base);
        }
    }

    public ReadOnlyStringProperty basePresetProperty() {
        return basePreset.getReadOnlyProperty();
    }

    /** No field has an error: the config can start a run. */
    public ReadOnlyBooleanProperty validProperty() {
        return valid.getReadOnlyProperty();
    }

    /** "2 changes from quickstart · 1 error" */
    public ReadOnlyStringProperty summaryProperty() {
        return summary.getReadOnlyProperty();
    }

    public ReadOnlyStringProperty latentShapeProperty() {
        return latentShape.getReadOnlyProperty();
    }

    public ReadOnlyStringProperty parametersProperty() {
        return parameters.getReadOnlyProperty();
    }

    public ReadOnlyStringProperty memoryProperty() {
        return memory.getReadOnlyProperty();
    }

    /** The fields that differ from the preset, as {@code key=value} assignments. */
    public List<String> changes() {
        List<String> out = new ArrayList<>();
        for (Field f : fields) {
            if (f.changed.get()) {
                out.add(f.path() + "=" + f.text.get().trim());
            }
        }
        return out;
    }

    /** The edited config, valid; empty while any field has an error. */
    public Optional<RunConfig> config() {
        return valid.get() ? Optional.ofNullable(current) : Optional.empty();
    }

    /** Re-parses every field and validates the whole config. */
    void revalidate() {
        if (base == null) {
            return;
        }
        int errors = 0;
        List<String> good = new ArrayList<>();
        // one tree for the parse check: an assignment that fails to parse throws before writing
        ObjectNode probe = Configs.MAPPER.valueToTree(base);
        for (Field f : fields) {
            String t = f.text.get() == null ? "" : f.text.get().trim();
            f.changed.set(!normalise(f, t).equals(normalise(f, f.presetText)));
            f.error.set("");
            if (!f.changed.get()) {
                continue;
            }
            try {
                ConfigOverrides.apply(probe, f.path() + "=" + t);
                good.add(f.path() + "=" + t);
            } catch (ConfigException e) {
                f.error.set(message(f, e));
                errors++;
            }
        }
        RunConfig candidate = null;
        try {
            candidate = ConfigOverrides.apply(base, good);
            for (ConfigError e : ConfigValidator.validate(candidate)) {
                Field f = byPath.get(e.field());
                if (f == null) {
                    f = fields.stream().filter(x -> e.field().startsWith(x.path())).findFirst().orElse(null);
                }
                if (f != null && f.error.get().isEmpty()) {
                    f.error.set(e.message());
                }
                errors++;
            }
        } catch (ConfigException e) {
            for (ConfigError ce : e.errors()) {
                Field f = byPath.get(ce.field());
                if (f != null) {
                    f.error.set(ce.message());
                }
            }
            errors += Math.max(1, e.errors().size());
        }
        current = errors == 0 ? candidate : null;
        valid.set(errors == 0);
        long n = fields.stream().filter(f -> f.changed.get()).count();
        summary.set((n == 0 ? "as in " : n + (n == 1 ? " change from " : " changes from ")) + basePreset.get()
                + (errors == 0 ? "" : " · " + errors + (errors == 1 ? " error" : " errors")));
        derive(candidate != null && errors == 0 ? candidate : null);
    }

    private static String message(Field f, ConfigException e) {
        List<ConfigError> list = e.errors();
        String m = list.isEmpty() ? e.getMessage() : list.get(0).message();
        return m == null ? f.path() + ": not a usable value" : m;
    }

    /** The figures that follow from the config: latent shape, U-Net size, a memory estimate. */
    private void derive(RunConfig c) {
        if (c == null) {
            latentShape.set("—");
            parameters.set("—");
            memory.set("—");
            return;
        }
        if (c.trainsAutoencoder()) {
            int f = 1 << (c.vae().blockOutChannels().size() - 1);
            int side = c.data().resolution() / f;
            latentShape.set(String.format(Locale.ROOT, "autoencoder: %d px / f=%d → %d×%d×%d latents",
                    c.data().resolution(), f, side, side, c.vae().latentChannels()));
            ModelSizes.Size size = sizes.of(c);
            long params = size.parameters();
            parameters.set(String.format(Locale.ROOT, "%,d autoencoder parameters (%.1f MB float32)", params,
                    params * 4 / 1e6));
            memory.set(String.format(Locale.ROOT, "≈ %.0f MB weights, gradients, AdamW state and EMA (+ activations)",
                    size.stateBytes() / 1e6));
            return;
        }
        int res = c.unetResolution();
        int ch = c.unetChannels();
        latentShape.set(c.pixelSpace()
                ? String.format(Locale.ROOT, "pixel space: %d×%d×%d", res, res, ch)
                : String.format(Locale.ROOT, "%d px / f=%d → %d×%d×%d latents", c.data().resolution(),
                        c.autoencoder().downsampleFactor(), res, res, ch));
        ModelSizes.Size size = sizes.of(c);
        long params = size.parameters();
        double activations = size.activationBytes().orElseThrow();
        parameters.set(String.format(Locale.ROOT, "%,d U-Net parameters (%.1f MB float32)", params, params * 4 / 1e6));
        memory.set(String.format(Locale.ROOT, "≈ %.0f MB: %.0f MB weights, gradients, AdamW state and EMA + ≈ %.0f MB "
                        + "activations at batch %d (rough)", size.stateBytes() / 1e6 + activations / 1e6,
                size.stateBytes() / 1e6, activations / 1e6, c.optim().batchSize()));
    }

    /**
     * Writes the edited config as preset {@code name} in {@code dir}: {@code extends} the base preset and
     * holds only the changed keys, so the preset keeps following its base. Refuses to overwrite a
     * preset file unless {@code replace}.
     *
     * @return the file written
     */
    public Path saveAsPreset(Path dir, String name, String description, boolean replace) throws IOException {
        if (!Workspace.isValidName(name)) {
            throw new IllegalArgumentException("preset name '" + name + "': use letters, digits, '-', '_' and '.'"
                    + " (at most " + Workspace.MAX_NAME + " characters)");
        }
        if (!valid.get()) {
            throw new IllegalStateException("fix the fields marked in red before saving a preset");
        }
        Path file = dir.resolve(name + ".json");
        if (Files.exists(file) && !replace) {
            throw new IllegalArgumentException("preset " + file + " already exists");
        }
        if (name.equals(basePreset.get())) {
            throw new IllegalArgumentException("a preset cannot extend itself: choose a new name for '" + name + "'");
        }
        ObjectNode out = Configs.MAPPER.createObjectNode();
        out.put("extends", basePreset.get());
        out.put("description", description == null || description.isBlank()
                ? basePreset.get() + " with " + String.join(", ", changes()) : description);
        ConfigOverrides.apply(out, changes().stream().filter(a -> !a.startsWith("description=")).toList());
        Files.createDirectories(dir);
        AtomicFiles.write(file, Configs.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsBytes(out));
        return file;
    }

    private static JsonNode at(JsonNode tree, String path) {
        JsonNode n = tree;
        for (String part : path.split("\\.")) {
            n = n == null ? null : n.get(part);
        }
        return n;
    }

    /** How a JSON value is shown in its field. */
    static String text(JsonNode n) {
        if (n == null || n.isNull()) {
            return "";
        }
        if (n.isArray()) {
            List<String> items = new ArrayList<>();
            n.forEach(i -> items.add(i.asText()));
            return String.join(", ", items);
        }
        if (n.isDouble() || n.isFloat()) {
            double d = n.asDouble();
            if (d != 0 && (Math.abs(d) < 1e-3 || Math.abs(d) >= 1e7)) {
                return String.format(Locale.ROOT, "%s", Double.toString(d)).replace("E", "e").replace(".0e", "e");
            }
            String s = Double.toString(d);
            return s.endsWith(".0") ? s.substring(0, s.length() - 2) : s;
        }
        return n.asText();
    }

    /** A canonical form to decide "changed": "0.0002" equals "2e-4", "1,2" equals "1, 2". */
    private static String normalise(Field f, String t) {
        String s = t.trim();
        switch (f.key.kind()) {
            case NUMBER -> {
                try {
                    return Double.toString(Double.parseDouble(s));
                } catch (NumberFormatException e) {
                    return s;
                }
            }
            case INT_LIST -> {
                return s.replace("[", "").replace("]", "").replaceAll("\\s+", "");
            }
            case BOOLEAN -> {
                return s.toLowerCase(Locale.ROOT);
            }
            default -> {
                return s;
            }
        }
    }
}

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
import io.ldmstudio.data.Sources;
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
        g.put("conditioning", "Conditioning");
        g.put("sampling", "Sampling");
        g.put("logging", "Logging");
        g.put("eval", "Evaluation");
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
        private final ReadOnlyStringWrapper unused = new ReadOnlyStringWrapper("");
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

        /**
         * Why the value has no effect with the other values as they are ("used with conditioning.type cross_attention"),
         * empty when it has.
         */
        public ReadOnlyStringProperty unusedProperty() {
            return unused.getReadOnlyProperty();
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
    private final ReadOnlyStringWrapper latentCaption = new ReadOnlyStringWrapper("Input of the U-Net");
    private final ReadOnlyStringWrapper parameters = new ReadOnlyStringWrapper("");
    private final ReadOnlyStringWrapper memory = new ReadOnlyStringWrapper("");
    private final BooleanProperty loading = new SimpleBooleanProperty();
    private RunConfig base;
    private RunConfig current;
    /** What the training device holds, read when checked; null until known (then no memory check is made). */
    private java.util.function.Supplier<DeviceMemory> deviceMemory;
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

    /** What the shape figure is: the U-Net's input, or (for an autoencoder run) the latent its encoder makes. */
    public ReadOnlyStringProperty latentCaptionProperty() {
        return latentCaption.getReadOnlyProperty();
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

    /**
     * The memory of the device runs train on, in bytes: a config whose training-memory estimate exceeds
     * {@code total} is refused at the field that makes it too big.
     *
     * @param device a word for messages ("the CPU")
     * @param total  what the device has
     * @param free   what is free now, or -1 when not known
     */
    public record DeviceMemory(String device, long total, long free) {}

    /**
     * Sets (null: forgets) where the device's memory is read, asked again at each check (what is free
     * changes), and checks the config against it.
     */
    public void setDeviceMemory(java.util.function.Supplier<DeviceMemory> memory) {
        deviceMemory = memory;
        revalidate();
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
        markUnused();
        RunConfig candidate = null;
        boolean validated = false;
        try {
            candidate = ConfigOverrides.apply(base, good);
            List<ConfigError> refused = ConfigValidator.validate(candidate);
            validated = refused.isEmpty();
            for (ConfigError e : refused) {
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
        if (candidate != null) {
            errors += refuse("data.path", dataPathProblem(candidate.data()));
        }
        if (validated) {
            errors += refuseTooBig(candidate);
        }
        current = errors == 0 ? candidate : null;
        valid.set(errors == 0);
        long n = fields.stream().filter(f -> f.changed.get()).count();
        summary.set((n == 0 ? "as in " : n + (n == 1 ? " change from " : " changes from ")) + basePreset.get()
                + (errors == 0 ? "" : " · " + errors + (errors == 1 ? " error" : " errors")));
        // the figures follow any config the validator takes, so a refused batch size still shows its estimate
        derive(validated ? candidate : null);
    }

    /** Conditioning keys that only one route reads: said at the field while another type is chosen. */
    private void markUnused() {
        Field type = byPath.get("conditioning.type");
        String t = type == null || type.text.get() == null ? "" : type.text.get().trim();
        for (Field f : fields) {
            String why = "";
            switch (f.path()) {
                case "conditioning.cross_attention_dim", "conditioning.transformer_layers_per_block" -> {
                    if (!t.equals(RunConfig.Conditioning.CROSS_ATTENTION)) {
                        why = "used with conditioning.type " + RunConfig.Conditioning.CROSS_ATTENTION + " only";
                    }
                }
                case "conditioning.drop_prob", "conditioning.guidance", "conditioning.classes" -> {
                    if (t.equals(RunConfig.Conditioning.NONE)) {
                        why = "used with conditioning.type " + RunConfig.Conditioning.CLASS + " or "
                                + RunConfig.Conditioning.CROSS_ATTENTION + " only";
                    }
                }
                default -> { }
            }
            f.unused.set(why);
        }
    }

    /** Shows {@code problem} at field {@code path} unless it has a message already; 1 when it is shown. */
    private int refuse(String path, String problem) {
        Field f = byPath.get(path);
        if (problem.isEmpty() || f == null || !f.error.get().isEmpty()) {
            return 0;
        }
        f.error.set(problem);
        return 1;
    }

    /** {@code data.source} reads {@code data.path} (all but procedural). */
    public static boolean readsPath(String source) {
        String k = source == null ? "" : source.strip().toLowerCase(Locale.ROOT);
        return List.of("folder", "cifar10", "idx").contains(k);
    }

    /** {@code data.source} takes one file as {@code data.path} as well as a folder (a CIFAR-10 batch, an IDX images file). */
    public static boolean takesFile(String source) {
        String k = source == null ? "" : source.strip().toLowerCase(Locale.ROOT);
        return k.equals("cifar10") || k.equals("idx");
    }

    /**
     * Why {@code data.path} can't be read for its {@code data.source}, or "" when it can (or the source
     * reads no path, or the validator already says it is missing). The checks {@code Sources.open} makes
     * first: the path exists and can be read, a folder source is a folder, and a folder given to cifar10
     * or idx holds its training files. Relative paths are read from the studio's working folder, as the
     * training process does.
     */
    static String dataPathProblem(RunConfig.Data d) {
        if (d == null || d.source() == null) {
            return "";
        }
        String kind = d.source().strip().toLowerCase(Locale.ROOT);
        boolean blank = d.path() == null || d.path().isBlank();
        if (!readsPath(kind) || (blank && !kind.equals("idx"))) {
            return "";
        }
        String expected = switch (kind) {
            case "folder" -> "a folder of images (optionally one sub-folder per class)";
            case "cifar10" -> "a folder of CIFAR-10 data_batch_*.bin files, or one batch file";
            default -> "a folder with train-images-idx3-ubyte[.gz] and train-labels-idx1-ubyte[.gz], or an images file";
        };
        Path p;
        try {
            p = blank ? Sources.DEFAULT_FASHION_MNIST : Sources.expand(d.path());
        } catch (java.nio.file.InvalidPathException e) {
            return "data.path '" + d.path() + "' is not a usable path: " + e.getReason();
        }
        String shown = p + (p.isAbsolute() ? "" : " (from " + Path.of("").toAbsolutePath() + ")");
        if (!Files.exists(p)) {
            return "data.path does not exist: " + shown + "; data.source = " + kind + " expects " + expected;
        }
        if (!Files.isReadable(p)) {
            return "data.path cannot be read (permissions): " + shown;
        }
        boolean dir = Files.isDirectory(p);
        if (kind.equals("folder") && !dir) {
            return "data.path is a file, not a folder: " + shown + "; data.source = folder expects " + expected;
        }
        if (dir && kind.equals("cifar10") && !holds(p, "data_batch_\\d+\\.bin")
                && !holds(p.resolve("cifar-10-batches-bin"), "data_batch_\\d+\\.bin")) {
            return "data.path holds no CIFAR-10 training batches (data_batch_1.bin …): " + shown;
        }
        if (dir && kind.equals("idx") && !holds(p, "train-images[-.]idx3-ubyte(\\.gz)?")) {
            return "data.path holds no train-images-idx3-ubyte[.gz]: " + shown + "; data.source = idx expects "
                    + expected;
        }
        return "";
    }

    /** {@code dir} is a folder with a regular file whose name matches {@code regex}. */
    private static boolean holds(Path dir, String regex) {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (java.util.stream.Stream<Path> s = Files.list(dir)) {
            return s.anyMatch(f -> f.getFileName().toString().matches(regex) && Files.isRegularFile(f));
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    /**
     * Refuses a config whose training-memory estimate exceeds the device's memory: at the batch size
     * when the model's state fits and the activations at that batch do not (saying what batch fits), else
     * at the field that sizes the network. 1 when refused.
     */
    private int refuseTooBig(RunConfig c) {
        DeviceMemory m = deviceMemory == null ? null : deviceMemory.get();
        if (m == null || m.total() <= 0) {
            return 0;
        }
        ModelSizes.Size size = sizes.of(c);
        double activations = size.activationBytes().orElse(0);
        double need = size.stateBytes() + activations;
        if (need <= m.total()) {
            return 0;
        }
        String has = m.device() + " has " + bytes(m.total()) + (m.free() >= 0 ? " (" + bytes(m.free()) + " free now)" : "");
        if (size.stateBytes() < m.total() && activations > 0) {
            int batch = c.optim().batchSize();
            long fits = (long) Math.floor((m.total() - size.stateBytes()) / (activations / batch));
            return refuse("optim.batch_size", String.format(Locale.ROOT,
                    "optim.batch_size %,d needs ≈ %s of memory to train (rough: %s weights and optimiser state + %s"
                            + " activations); %s: a batch of at most ≈ %,d fits", batch, bytes(need),
                    bytes(size.stateBytes()), bytes(activations), has, fits));
        }
        String field = c.trainsAutoencoder() ? "vae.block_out_channels" : "model.model_channels";
        return refuse(field, String.format(Locale.ROOT, "%s: the network's weights and optimiser state alone need ≈ %s"
                + " of memory; %s", field, bytes(size.stateBytes()), has));
    }

    /** "812 MB", "3.4 GB", "1.2 TB". */
    static String bytes(double b) {
        if (b >= 1e12) {
            return String.format(Locale.ROOT, "%.1f TB", b / 1e12);
        }
        if (b >= 1e9) {
            return String.format(Locale.ROOT, "%.1f GB", b / 1e9);
        }
        return String.format(Locale.ROOT, "%.0f MB", b / 1e6);
    }

    private static String message(Field f, ConfigException e) {
        List<ConfigError> list = e.errors();
        String m = list.isEmpty() ? e.getMessage() : list.get(0).message();
        if (m == null) {
            return f.path() + ": not a usable value";
        }
        // the parser's example integer is one for any key ("e.g. 1500"): give this field's own value instead
        if (f.key.kind() == ConfigSchema.Kind.INT || f.key.kind() == ConfigSchema.Kind.LONG) {
            String example = f.presetText.matches("\\d+") ? "e.g. " + f.presetText : "";
            m = m.replaceFirst(example.isEmpty() ? ", e\\.g\\. \\d+" : "e\\.g\\. \\d+", example);
        }
        return m;
    }

    /** The figures that follow from the config: latent shape, U-Net size, a memory estimate. */
    private void derive(RunConfig c) {
        if (c == null) {
            latentShape.set("—");
            parameters.set("—");
            memory.set("—");
            return;
        }
        latentCaption.set(c.trainsAutoencoder() ? "Latent its encoder makes (what a latent U-Net trains on)"
                : "Input of the U-Net");
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
        memory.set(String.format(Locale.ROOT, "≈ %s: %s weights, gradients, AdamW state and EMA + ≈ %s "
                        + "activations at batch %d (rough)", bytes(size.stateBytes() + activations),
                bytes(size.stateBytes()), bytes(activations), c.optim().batchSize()));
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

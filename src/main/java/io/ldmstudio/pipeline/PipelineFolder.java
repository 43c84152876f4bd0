package io.ldmstudio.pipeline;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ldmstudio.weights.WeightFiles;
import io.ldmstudio.weights.WeightFiles.WeightFileException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A diffusers pipeline folder as it lies on disk: which pipeline class, which components, and where each
 * component's config and weights are. Nothing is loaded here; this is the map the loaders follow.
 *
 * <p>Two layouts, as diffusers writes and the Hub holds them:
 * <ul>
 *   <li>{@link Layout#SUBFOLDERS}: {@code model_index.json} names the pipeline class and each component as
 *       {@code [library, class]}; a model component is a folder with {@code config.json} and
 *       {@code diffusion_pytorch_model.safetensors}, a scheduler a folder with {@code scheduler_config.json}
 *       ({@code DiffusionPipeline.save_pretrained}).
 *   <li>{@link Layout#FLAT}: the U-Net's {@code config.json} and weights and the {@code scheduler_config.json}
 *       at the root, as the early single-model repositories ({@code google/ddpm-cifar10-32}) hold them; a
 *       {@code model_index.json} beside them is read if present, else the pipeline is a
 *       {@code DDPMPipeline}.
 * </ul>
 * The scheduler's class is the one {@code model_index.json} names (diffusers instantiates that class from
 * the folder's config, whatever class wrote it: {@link Component#configClass()} keeps the writer's).
 */
public record PipelineFolder(Path dir, String pipelineClass, Layout layout, Map<String, Component> components) {
    public static final String INDEX = "model_index.json";
    public static final String MODEL_CONFIG = "config.json";
    public static final String SCHEDULER_CONFIG = "scheduler_config.json";
    public static final String WEIGHTS = "diffusion_pytorch_model.safetensors";

    /** The pipelines the studio opens, with the components each holds. */
    public static final Map<String, List<String>> PIPELINES = Map.of(
            "DDPMPipeline", List.of("unet", "scheduler"),
            "DDIMPipeline", List.of("unet", "scheduler"),
            "LDMPipeline", List.of("vqvae", "unet", "scheduler"));

    /**
     * A component any of them may also hold: {@code class_embedder}, the class-token table a
     * {@code UNet2DConditionModel} attends to (LDM's {@code ClassEmbedder}; see {@code weights.ClassEmbedderWeights}).
     */
    public static final String CLASS_EMBEDDER = "class_embedder";

    /** The classes each component may have. */
    public static final Map<String, List<String>> COMPONENT_CLASSES = Map.of(
            "unet", List.of("UNet2DModel", "UNet2DConditionModel"),
            CLASS_EMBEDDER, List.of("ClassEmbedder"),
            "scheduler", List.of("DDPMScheduler", "DDIMScheduler", "DPMSolverMultistepScheduler"),
            "vqvae", List.of("VQModel", "AutoencoderKL"));

    private static final ObjectMapper JSON = new ObjectMapper();

    public enum Layout {
        SUBFOLDERS,
        FLAT
    }

    /**
     * One component: its name in the pipeline ({@code unet}), the class the pipeline instantiates, the
     * {@code _class_name} its own config gives, its config file, and its weights file (null for a scheduler).
     */
    public record Component(String name, String className, String configClass, Path config, Path weights) {
        public boolean isScheduler() {
            return weights == null;
        }
    }

    public PipelineFolder {
        components = java.util.Collections.unmodifiableMap(new LinkedHashMap<>(components));
    }

    /** The component called {@code name}, if the pipeline has one. */
    public Optional<Component> component(String name) {
        return Optional.ofNullable(components.get(name));
    }

    /** Whether {@code dir} looks like a pipeline folder of either layout (without checking it further). */
    public static boolean looksLike(Path dir) {
        return Files.isRegularFile(dir.resolve(INDEX))
                || Files.isRegularFile(dir.resolve(MODEL_CONFIG)) && Files.isRegularFile(dir.resolve(SCHEDULER_CONFIG));
    }

    /**
     * Reads the folder's layout and checks it: a supported pipeline class, every component it needs present
     * with a supported class, no component the studio would ignore, weights in safetensors. Each problem is
     * an {@link IOException} naming the file or folder and what was expected.
     */
    public static PipelineFolder open(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IOException(dir + ": not a folder (a diffusers pipeline is a folder with " + INDEX
                    + ", or with " + MODEL_CONFIG + " and " + SCHEDULER_CONFIG + ")");
        }
        Path index = dir.resolve(INDEX);
        if (Files.isRegularFile(index)) {
            return fromIndex(dir, index);
        }
        if (Files.isRegularFile(dir.resolve(MODEL_CONFIG)) && Files.isRegularFile(dir.resolve(SCHEDULER_CONFIG))) {
            Map<String, Component> c = new LinkedHashMap<>();
            c.put("unet", flatModel(dir, "unet", "UNet2DModel"));
            String sched = className(dir.resolve(SCHEDULER_CONFIG));
            checkClass(dir.resolve(SCHEDULER_CONFIG), "scheduler", sched);
            c.put("scheduler", new Component("scheduler", sched, sched, dir.resolve(SCHEDULER_CONFIG), null));
            return new PipelineFolder(dir, "DDPMPipeline", Layout.FLAT, c);
        }
        throw new IOException(dir + ": not a diffusers pipeline folder: it has no " + INDEX + ", and no " + MODEL_CONFIG
                + " with " + SCHEDULER_CONFIG + " at its root");
    }

    private static PipelineFolder fromIndex(Path dir, Path index) throws IOException {
        JsonNode n = readJson(index);
        String pipeline = n.path("_class_name").asText("");
        List<String> needed = PIPELINES.get(pipeline);
        if (needed == null) {
            throw new IOException(index + ": _class_name '" + pipeline + "' is not a pipeline the studio opens (expected "
                    + String.join(", ", PIPELINES.keySet().stream().sorted().toList()) + ")");
        }
        Map<String, String> declared = new LinkedHashMap<>();
        List<String> unexpected = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            String key = e.getKey();
            if (key.startsWith("_")) {
                continue;
            }
            JsonNode v = e.getValue();
            if (!v.isArray() || v.size() != 2) {
                throw new IOException(index + ": component '" + key + "' must be [library, class], got " + v);
            }
            if (v.get(1).isNull()) {
                continue; // an optional component the pipeline was saved without
            }
            if (!needed.contains(key) && !key.equals(CLASS_EMBEDDER)) {
                unexpected.add(key + " (" + v.get(1).asText() + ")");
                continue;
            }
            declared.put(key, v.get(1).asText());
        }
        if (!unexpected.isEmpty()) {
            throw new IOException(index + ": " + pipeline + " has no component " + String.join(", ", unexpected)
                    + " (expected " + String.join(", ", needed) + ")");
        }
        List<String> missing = needed.stream().filter(k -> !declared.containsKey(k)).toList();
        if (!missing.isEmpty()) {
            throw new IOException(index + ": " + pipeline + " needs the component" + (missing.size() == 1 ? " " : "s ")
                    + String.join(", ", missing) + ", which " + (missing.size() == 1 ? "it does" : "they do")
                    + " not name");
        }
        Map<String, Component> c = new LinkedHashMap<>();
        boolean flat = false;
        List<String> present = new ArrayList<>(needed);
        if (declared.containsKey(CLASS_EMBEDDER)) {
            present.add(CLASS_EMBEDDER);
        }
        for (String name : present) {
            String cls = declared.get(name);
            checkClass(index, name, cls);
            Path sub = dir.resolve(name);
            boolean scheduler = name.equals("scheduler");
            String configName = scheduler ? SCHEDULER_CONFIG : MODEL_CONFIG;
            if (Files.isRegularFile(sub.resolve(configName))) {
                Path config = sub.resolve(configName);
                String own = className(config);
                if (!scheduler && !own.equals(cls)) {
                    throw new IOException(config + ": _class_name is '" + own + "' but " + INDEX + " names " + name
                            + " a " + cls);
                }
                c.put(name, new Component(name, cls, own, config, scheduler ? null : weights(sub, name)));
            } else if (name.equals("unet") && !Files.exists(sub) && Files.isRegularFile(dir.resolve(MODEL_CONFIG))) {
                c.put(name, flatModel(dir, name, cls));
                flat = true;
            } else if (scheduler && !Files.exists(sub) && Files.isRegularFile(dir.resolve(SCHEDULER_CONFIG))) {
                Path config = dir.resolve(SCHEDULER_CONFIG);
                c.put(name, new Component(name, cls, className(config), config, null));
                flat = true;
            } else {
                throw new IOException(sub + ": the " + name + " component (" + cls + ") is missing: expected " + configName
                        + (scheduler ? "" : " and " + WEIGHTS) + " in this folder");
            }
        }
        return new PipelineFolder(dir, pipeline, flat ? Layout.FLAT : Layout.SUBFOLDERS, c);
    }

    private static Component flatModel(Path dir, String name, String expectedClass) throws IOException {
        Path config = dir.resolve(MODEL_CONFIG);
        String own = className(config);
        if (!own.equals(expectedClass)) {
            throw new IOException(config + ": _class_name is '" + own + "' where the " + name + " of this pipeline must be a "
                    + expectedClass);
        }
        return new Component(name, own, own, config, weights(dir, name));
    }

    /** The component's safetensors weights; a pickle file in its place gets the conversion hint. */
    private static Path weights(Path folder, String name) throws IOException {
        Path st = folder.resolve(WEIGHTS);
        if (Files.isRegularFile(st)) {
            return st;
        }
        for (String pickle : new String[] {"diffusion_pytorch_model.bin", "diffusion_pytorch_model.ckpt"}) {
            Path p = folder.resolve(pickle);
            if (Files.isRegularFile(p)) {
                WeightFiles.checkNotPickle(p);
                throw new WeightFileException(p, "is a PyTorch pickle file: " + WeightFiles.CONVERSION_HINT);
            }
        }
        throw new IOException(folder + ": the " + name + " component has no weights: expected " + WEIGHTS);
    }

    private static void checkClass(Path file, String component, String cls) throws IOException {
        List<String> ok = COMPONENT_CLASSES.get(component);
        if (!ok.contains(cls)) {
            throw new IOException(file + ": " + component + " is a " + cls + ", which the studio does not open (expected "
                    + String.join(" or ", ok) + ")");
        }
    }

    private static String className(Path config) throws IOException {
        String cls = readJson(config).path("_class_name").asText("");
        if (cls.isEmpty()) {
            throw new IOException(config + ": no _class_name (a diffusers config names its class)");
        }
        return cls;
    }

    static JsonNode readJson(Path file) throws IOException {
        try {
            JsonNode n = JSON.readTree(file.toFile());
            if (n == null || !n.isObject()) {
                throw new IOException(file + ": expected a JSON object");
            }
            return n;
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException(file + ": not valid JSON (" + e.getOriginalMessage() + ")", e);
        }
    }

    /**
     * The {@code model_index.json} of a pipeline of {@code pipelineClass} with {@code components} (name →
     * class, in order), as {@code DiffusionPipeline.save_pretrained} writes it.
     */
    public static ObjectNode index(String pipelineClass, Map<String, String> components) {
        if (!PIPELINES.containsKey(pipelineClass)) {
            throw new IllegalArgumentException("not a pipeline class the studio writes: " + pipelineClass);
        }
        ObjectNode n = JSON.createObjectNode();
        n.put("_class_name", pipelineClass);
        n.put("_diffusers_version", "0.27.0");
        // the class-token table is no diffusers class: diffusers' pipelines ignore the component
        components.forEach((name, cls) -> n.putArray(name).add(name.equals(CLASS_EMBEDDER) ? "ldm_studio" : "diffusers")
                .add(cls));
        return n;
    }
}

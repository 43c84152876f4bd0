package io.ldmstudio.weights;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ldmstudio.nn.ClassTokens;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The class-token table of a cross-attention export as a component folder of its own, named as LDM's
 * {@code ClassEmbedder} names it ({@code ldm.modules.encoders.modules.ClassEmbedder}): {@code config.json}
 * with {@code _class_name} {@code ClassEmbedder}, {@code embed_dim}, {@code n_classes} — the rows of the
 * table <em>including</em> the null class, which is the last row, {@code n_classes − 1}, as LDM's
 * {@code get_unconditional_conditioning} takes it — {@code key} and the class names as {@code id2label};
 * and {@code diffusion_pytorch_model.safetensors} holding {@code embedding.weight} [n_classes, embed_dim]
 * (float32). A label's token, {@code embedding.weight[label][None]}, is the {@code encoder_hidden_states}
 * (B, 1, embed_dim) of the {@code UNet2DConditionModel} beside it.
 */
public final class ClassEmbedderWeights {
    private ClassEmbedderWeights() {}

    public static final String CLASS_NAME = "ClassEmbedder";
    public static final String TENSOR = "embedding.weight";
    private static final ObjectMapper JSON = new ObjectMapper();

    /** The shape of a table: the real classes (the null row aside), the token width, and the class names. */
    public record Config(int classes, int embedDim, List<String> classNames) {}

    /** The config.json of a table of {@code classes} classes (plus the null row) of width {@code dim}. */
    public static ObjectNode config(int classes, int dim, List<String> classNames) {
        ObjectNode n = JSON.createObjectNode();
        n.put("_class_name", CLASS_NAME);
        n.put("embed_dim", dim);
        n.put("n_classes", classes + 1);
        n.put("key", "class_label");
        if (!classNames.isEmpty()) {
            ObjectNode labels = n.putObject("id2label");
            for (int k = 0; k < classNames.size(); k++) {
                labels.put(Integer.toString(k), classNames.get(k));
            }
        }
        return n;
    }

    /** Writes the table of {@code tokens} into {@code dir}: config.json and the weights. */
    public static void save(ClassTokens tokens, List<String> classNames, Path dir, Map<String, String> metadata)
            throws IOException {
        Files.createDirectories(dir);
        byte[] json = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(config(tokens.classes(), tokens.dim(),
                classNames));
        WeightFiles.writeAtomically(dir.resolve(UNetWeights.CONFIG), ch -> ch.write(java.nio.ByteBuffer.wrap(json)));
        Map<String, SafeTensors.Source> src = new LinkedHashMap<>();
        var weight = tokens.namedParameters().get("weight");
        src.put(TENSOR, new SafeTensors.Source(weight.shape().getShape(), () -> weight.array().toFloatArray()));
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        if (metadata != null) {
            meta.putAll(metadata);
        }
        SafeTensors.write(dir.resolve(UNetWeights.DIFFUSERS_WEIGHTS), src, meta, "F32");
    }

    /** Reads a table's config.json ({@code dir}'s), refusing another class or a table without a null row. */
    public static Config readConfig(Path dir) throws IOException {
        UNetWeights.ConfigFile c = UNetWeights.configFile(dir, CLASS_NAME);
        JsonNode n = c.json();
        String cls = n.path("_class_name").asText("");
        if (!cls.equals(CLASS_NAME)) {
            throw new IOException(c.file() + ": _class_name is '" + cls + "'; expected " + CLASS_NAME);
        }
        if (!n.path("n_classes").isIntegralNumber() || n.get("n_classes").asInt() < 2) {
            throw new IOException(c.file() + ": n_classes " + n.get("n_classes") + " must be an integer ≥ 2 (the classes"
                    + " and the null class, the last row)");
        }
        if (!n.path("embed_dim").isIntegralNumber() || n.get("embed_dim").asInt() < 1) {
            throw new IOException(c.file() + ": embed_dim " + n.get("embed_dim") + " must be a positive integer");
        }
        int classes = n.get("n_classes").asInt() - 1;
        List<String> names = new ArrayList<>();
        for (int k = 0; k < classes; k++) {
            JsonNode name = n.path("id2label").path(Integer.toString(k));
            if (!name.isTextual()) {
                names.clear();
                break;
            }
            names.add(name.asText());
        }
        return new Config(classes, n.get("embed_dim").asInt(), names);
    }

    /** Loads the table in {@code dir} into {@code tokens} (its parameters on {@code manager}), checking its shape. */
    public static void load(ClassTokens tokens, Path dir, NDManager manager) throws IOException {
        Path file = UNetWeights.weightsFile(dir, null);
        WeightFiles.checkNotPickle(file);
        SafeTensors.Contents contents = SafeTensors.read(file);
        long[] want = {tokens.classes() + 1L, tokens.dim()};
        if (contents.tensors().size() != 1 || !contents.tensors().containsKey(TENSOR)) {
            throw new WeightFiles.WeightFileException(file, "expected one tensor, " + TENSOR + ", found "
                    + contents.tensors().keySet());
        }
        long[] got = contents.tensor(TENSOR).shape();
        if (!Arrays.equals(want, got)) {
            throw new WeightFiles.WeightFileException(file, TENSOR + " " + Arrays.toString(got) + " (expected "
                    + Arrays.toString(want) + ": n_classes × embed_dim)");
        }
        tokens.loadStateDict(Map.of("weight", contents.finiteValues(TENSOR)), manager);
    }
}

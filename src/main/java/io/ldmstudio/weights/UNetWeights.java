package io.ldmstudio.weights;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import ai.djl.ndarray.NDManager;
import io.ldmstudio.nn.Module;
import io.ldmstudio.nn.UNet2DModel;
import io.ldmstudio.util.Rng;
import io.ldmstudio.nn.UNetConfig;

/**
 * U-Net weights on disk in diffusers' layout: a {@code config.json} for {@code UNet2DModel} beside a
 * safetensors file whose tensor names are diffusers' own, so {@code UNet2DModel.from_pretrained}
 * opens a studio model and the studio opens diffusers checkpoints (also with the older attention
 * names {@code query}/{@code key}/{@code value}/{@code proj_attn}).
 */
public final class UNetWeights {
    public static final String DIFFUSERS_WEIGHTS = "diffusion_pytorch_model.safetensors";
    public static final String CONFIG = "config.json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private UNetWeights() {}

    /** diffusers {@code UNet2DModel} config for this shape. */
    public static ObjectNode diffusersConfig(UNetConfig c) {
        ObjectNode n = JSON.createObjectNode();
        n.put("_class_name", "UNet2DModel");
        n.put("_diffusers_version", "0.27.0");
        n.put("sample_size", c.sampleSize());
        n.put("in_channels", c.inChannels());
        n.put("out_channels", c.outChannels());
        n.put("center_input_sample", false);
        n.put("time_embedding_type", "positional");
        n.put("freq_shift", c.freqShift());
        n.put("flip_sin_to_cos", c.flipSinToCos());
        ArrayNode down = n.putArray("down_block_types");
        ArrayNode up = n.putArray("up_block_types");
        for (int i = 0; i < c.levels(); i++) {
            down.add(c.attention().get(i) ? "AttnDownBlock2D" : "DownBlock2D");
        }
        for (int i = c.levels() - 1; i >= 0; i--) {
            up.add(c.attention().get(i) ? "AttnUpBlock2D" : "UpBlock2D");
        }
        ArrayNode outs = n.putArray("block_out_channels");
        c.blockOutChannels().forEach(outs::add);
        n.put("layers_per_block", c.layersPerBlock());
        n.put("mid_block_scale_factor", 1);
        n.put("downsample_padding", c.downsamplePadding());
        n.put("downsample_type", "conv");
        n.put("upsample_type", "conv");
        n.put("dropout", c.dropout());
        n.put("act_fn", "silu");
        int midChannels = c.blockOutChannels().get(c.levels() - 1);
        if (c.numHeads() > 0) {
            n.put("attention_head_dim", midChannels / c.numHeads());
        } else if (c.attentionHeadDim() > 0) {
            n.put("attention_head_dim", c.attentionHeadDim());
        } else {
            n.putNull("attention_head_dim"); // one head per attention layer
        }
        n.put("norm_num_groups", c.normGroups());
        n.putNull("attn_norm_num_groups");
        n.put("norm_eps", c.normEps());
        n.put("resnet_time_scale_shift", "default");
        n.put("add_attention", c.midBlockAttention());
        n.putNull("class_embed_type");
        if (c.numClassEmbeds() > 0) {
            n.put("num_class_embeds", c.numClassEmbeds());
            n.put("studio_null_class", c.nullClass());
        } else {
            n.putNull("num_class_embeds");
        }
        if (c.numHeads() > 0) {
            n.put("studio_num_heads", c.numHeads());
        }
        return n;
    }

    /**
     * Every key of diffusers' {@code UNet2DModel.__init__} (models/unets/unet_2d.py), plus the studio's own
     * {@code studio_num_heads}, {@code id2label} (a class-conditional export's class names) and {@code studio_null_class}
     * (whether the class embedding's last row is the null class), which diffusers ignores with a warning; keys starting with {@code _} are diffusers' bookkeeping.
     */
    static final Set<String> KNOWN_KEYS = Set.of("sample_size", "in_channels", "out_channels", "center_input_sample",
            "time_embedding_type", "time_embedding_dim", "freq_shift", "flip_sin_to_cos", "down_block_types",
            "mid_block_type", "up_block_types", "block_out_channels", "layers_per_block", "mid_block_scale_factor",
            "downsample_padding", "downsample_type", "upsample_type", "dropout", "act_fn", "attention_head_dim",
            "norm_num_groups", "attn_norm_num_groups", "norm_eps", "resnet_time_scale_shift", "add_attention",
            "class_embed_type", "num_class_embeds", "num_train_timesteps", "studio_num_heads", "id2label",
            "studio_null_class");

    /**
     * Reads a diffusers {@code UNet2DModel} config. Only what the studio's network implements is
     * accepted; anything else is an error naming the file, the key and the value. Settings follow
     * diffusers' unet_2d.py: {@code attention_head_dim} null means one head per attention layer (each
     * block passes its own channels as the head dimension), a number d means {@code channels / d} heads
     * in each block; {@code downsample_padding} 0 or 1 (see {@code Blocks.Downsample2D});
     * {@code num_class_embeds} N with {@code class_embed_type} null is a class embedding of N rows. Its last row is
     * the null class when {@code studio_null_class} says so (the studio's exports) or, without that key, when
     * {@code id2label} names N − 1 classes; otherwise (a diffusers checkpoint trained with a label for every row)
     * all N rows are classes, sampled without guidance.
     */
    public static UNetConfig fromDiffusersConfig(JsonNode n, Path file) throws IOException {
        if (!n.isObject()) {
            throw new IOException(file + ": not a JSON object");
        }
        String cls = n.path("_class_name").asText("UNet2DModel");
        if (!cls.equals("UNet2DModel")) {
            throw new IOException(file + ": _class_name is " + cls + "; the studio opens UNet2DModel");
        }
        for (java.util.Iterator<String> it = n.fieldNames(); it.hasNext();) {
            String key = it.next();
            if (!key.startsWith("_") && !KNOWN_KEYS.contains(key)) {
                throw new IOException(file + ": key " + key + " is not a UNet2DModel setting the studio supports");
            }
        }
        expect(n, "time_embedding_type", "positional", file);
        expect(n, "resnet_time_scale_shift", "default", file);
        expect(n, "act_fn", "silu", file);
        expect(n, "mid_block_type", "UNetMidBlock2D", file);
        expect(n, "downsample_type", "conv", file);
        expect(n, "upsample_type", "conv", file);
        if (n.path("center_input_sample").asBoolean(false)) {
            throw new IOException(file + ": center_input_sample true is not supported");
        }
        if (isSet(n, "class_embed_type")) {
            throw new IOException(file + ": class_embed_type " + n.get("class_embed_type") + " is not supported (null: "
                    + "a class embedding of num_class_embeds rows, or no class conditioning)");
        }
        int numClassEmbeds = 0;
        if (isSet(n, "num_class_embeds")) {
            JsonNode k = n.get("num_class_embeds");
            if (!k.isIntegralNumber() || k.asInt() < 2) {
                throw new IOException(file + ": num_class_embeds " + k + " is not supported (null, or an integer >= 2: "
                        + "the classes and the null class, the last row)");
            }
            numClassEmbeds = k.asInt();
        }
        boolean nullClass = nullClassRow(n, numClassEmbeds, file);
        if (n.has("mid_block_type") && n.get("mid_block_type").isNull()) {
            throw new IOException(file + ": mid_block_type null (no middle block) is not supported; the studio has UNetMidBlock2D");
        }
        if (isSet(n, "mid_block_scale_factor") && n.get("mid_block_scale_factor").asDouble() != 1.0) {
            throw new IOException(file + ": mid_block_scale_factor " + n.get("mid_block_scale_factor")
                    + " is not supported (the studio supports 1)");
        }
        List<Integer> outs = new ArrayList<>();
        n.path("block_out_channels").forEach(x -> outs.add(x.asInt()));
        if (outs.isEmpty()) {
            throw new IOException(file + ": block_out_channels is missing or empty");
        }
        List<Boolean> attn = new ArrayList<>();
        JsonNode down = n.path("down_block_types");
        if (down.size() != outs.size()) {
            throw new IOException(file + ": down_block_types has " + down.size() + " entries where block_out_channels has "
                    + outs.size());
        }
        for (JsonNode t : down) {
            switch (t.asText()) {
                case "DownBlock2D":
                    attn.add(false);
                    break;
                case "AttnDownBlock2D":
                    attn.add(true);
                    break;
                default:
                    throw new IOException(file + ": down_block_types entry " + t.asText()
                            + " is not supported (DownBlock2D or AttnDownBlock2D)");
            }
        }
        JsonNode up = n.path("up_block_types");
        if (up.size() != outs.size()) {
            throw new IOException(file + ": up_block_types has " + up.size() + " entries where block_out_channels has "
                    + outs.size());
        }
        for (int i = 0; i < up.size(); i++) {
            String expected = attn.get(outs.size() - 1 - i) ? "AttnUpBlock2D" : "UpBlock2D";
            if (!up.get(i).asText().equals(expected)) {
                throw new IOException(file + ": up_block_types[" + i + "] is " + up.get(i).asText() + " where "
                        + expected + " mirrors down_block_types");
            }
        }
        int c0 = outs.get(0);
        if (isSet(n, "time_embedding_dim") && n.get("time_embedding_dim").asInt() != 4 * c0) {
            throw new IOException(file + ": time_embedding_dim " + n.get("time_embedding_dim")
                    + " is not supported (the studio uses 4 × block_out_channels[0] = " + 4 * c0 + ")");
        }
        int groups = n.path("norm_num_groups").asInt(32);
        if (isSet(n, "attn_norm_num_groups") && n.get("attn_norm_num_groups").asInt() != groups) {
            throw new IOException(file + ": attn_norm_num_groups " + n.get("attn_norm_num_groups")
                    + " is not supported (null, or norm_num_groups = " + groups + ")");
        }
        int padding = n.path("downsample_padding").asInt(1);
        if (!n.path("downsample_padding").isMissingNode() && (!n.get("downsample_padding").isIntegralNumber()
                || (padding != 0 && padding != 1))) {
            throw new IOException(file + ": downsample_padding " + n.get("downsample_padding")
                    + " is not supported (0 or 1)");
        }
        int numHeads = n.path("studio_num_heads").asInt(0);
        boolean midAttention = n.path("add_attention").asBoolean(true);
        // diffusers' default is 8 when the key is absent; null means each block's channels (one head)
        int headDim = 8;
        if (n.has("attention_head_dim")) {
            JsonNode h = n.get("attention_head_dim");
            if (h.isNull()) {
                headDim = 0;
            } else if (h.isIntegralNumber() && h.asInt() > 0) {
                headDim = h.asInt();
            } else {
                throw new IOException(file + ": attention_head_dim " + h + " is not supported (a positive integer or null)");
            }
        }
        if (numHeads <= 0 && headDim > 0) {
            for (int i = 0; i <= outs.size(); i++) {
                boolean has = i < outs.size() ? attn.get(i) : midAttention;
                int ch = i < outs.size() ? outs.get(i) : outs.get(outs.size() - 1);
                if (has && ch % headDim != 0) {
                    throw new IOException(file + ": attention_head_dim " + headDim + " does not divide the " + ch
                            + " channels of an attention block");
                }
            }
        }
        int sampleSize = 32;
        JsonNode ss = n.path("sample_size");
        if (ss.isArray()) {
            if (ss.size() != 2 || ss.get(0).asInt() != ss.get(1).asInt()) {
                throw new IOException(file + ": sample_size " + ss + " is not supported (square samples only)");
            }
            sampleSize = ss.get(0).asInt();
        } else if (ss.isNumber()) {
            sampleSize = ss.asInt();
        }
        int inCh = n.path("in_channels").asInt(3);
        return new UNetConfig(inCh, n.path("out_channels").asInt(inCh), sampleSize, outs, attn,
                n.path("layers_per_block").asInt(2), numHeads, headDim, groups,
                (float) n.path("norm_eps").asDouble(1e-5), (float) n.path("dropout").asDouble(0),
                n.path("flip_sin_to_cos").asBoolean(true), n.path("freq_shift").asDouble(0), midAttention, padding,
                numClassEmbeds, nullClass);
    }

    /** Whether the class embedding's last row is the null class (see {@link #fromDiffusersConfig}). */
    private static boolean nullClassRow(JsonNode n, int numClassEmbeds, Path file) throws IOException {
        if (numClassEmbeds == 0) {
            return true; // no class embedding: nothing to say
        }
        JsonNode flag = n.get("studio_null_class");
        if (flag != null && !flag.isNull()) {
            if (!flag.isBoolean()) {
                throw new IOException(file + ": studio_null_class " + flag + " is not supported (true: the last of the "
                        + "num_class_embeds rows is the null class; false: every row is a class)");
            }
            return flag.asBoolean();
        }
        JsonNode names = n.get("id2label");
        return names != null && names.isObject() && names.size() == numClassEmbeds - 1;
    }

    private static boolean isSet(JsonNode n, String key) {
        return n.has(key) && !n.get(key).isNull();
    }

    private static void expect(JsonNode n, String key, String value, Path file) throws IOException {
        if (n.has(key) && !n.get(key).isNull() && !n.get(key).asText().equals(value)) {
            throw new IOException(file + ": " + key + " is " + n.get(key).asText() + "; the studio supports " + value);
        }
    }

    /** Writes {@code config.json} into {@code dir} (atomically). */
    public static void writeConfig(UNetConfig c, Path dir) throws IOException {
        WeightFiles.writeAtomically(dir.resolve(CONFIG), ch -> ch.write(java.nio.ByteBuffer.wrap(
                JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(diffusersConfig(c)))));
    }

    /** Writes the model's weights as float32 safetensors under diffusers' names. */
    public static void writeWeights(Module model, Path file, Map<String, String> metadata) throws IOException {
        Map<String, SafeTensors.Source> src = new LinkedHashMap<>();
        for (Map.Entry<String, Module.Param> e : model.namedParameters().entrySet()) {
            Module.Param p = e.getValue();
            src.put(e.getKey(), new SafeTensors.Source(p.shape().getShape(), () -> p.array().toFloatArray()));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        if (metadata != null) {
            meta.putAll(metadata);
        }
        SafeTensors.write(file, src, meta, "F32");
    }

    /** Reads the config of a diffusers folder (or the folder holding a weights file). */
    public static UNetConfig readConfig(Path dirOrFile) throws IOException {
        ConfigFile c = configFile(dirOrFile, "UNet2DModel");
        return fromDiffusersConfig(c.json(), c.file());
    }

    /** A model folder's {@code config.json}, parsed, and where it is. */
    record ConfigFile(JsonNode json, Path file) {}

    /**
     * The {@code config.json} of a diffusers folder (or of the folder holding a weights file), parsed; a missing
     * or malformed file is refused naming it and the {@code className} config expected.
     */
    static ConfigFile configFile(Path dirOrFile, String className) throws IOException {
        Path dir = Files.isDirectory(dirOrFile) ? dirOrFile : dirOrFile.toAbsolutePath().getParent();
        Path cfg = dir.resolve(CONFIG);
        if (!Files.isRegularFile(cfg)) {
            throw new IOException(dirOrFile + ": no config.json beside the weights (a diffusers " + className
                    + " config is expected)");
        }
        try {
            return new ConfigFile(JSON.readTree(cfg.toFile()), cfg);
        } catch (IOException e) {
            throw new IOException(cfg + ": not valid JSON (" + e.getMessage() + ")", e);
        }
    }

    /** The weights file of a folder: diffusers' name first, then the studio's checkpoint name. */
    public static Path weightsFile(Path dirOrFile, String preferred) throws IOException {
        if (!Files.isDirectory(dirOrFile)) {
            return dirOrFile;
        }
        for (String name : new String[] {preferred, DIFFUSERS_WEIGHTS, "model.safetensors"}) {
            if (name != null && Files.isRegularFile(dirOrFile.resolve(name))) {
                return dirOrFile.resolve(name);
            }
        }
        throw new IOException(dirOrFile + ": no " + DIFFUSERS_WEIGHTS + " or model.safetensors in this folder");
    }

    /**
     * Opens a diffusers {@code UNet2DModel} folder ({@code config.json} beside
     * {@code diffusion_pytorch_model.safetensors} or {@code model.safetensors}): the network built from the
     * config, its parameters owned by {@code manager} and set from the file.
     */
    public static UNet2DModel open(Path dir, NDManager manager) throws IOException {
        UNet2DModel unet = new UNet2DModel(readConfig(dir));
        unet.initialize(manager, new Rng(0), false);
        unet.loadStateDict(readFor(unet, weightsFile(dir, null)), manager);
        return unet;
    }

    /** Maps the older diffusers attention names onto the current ones. */
    static String canonicalName(String name) {
        return name.replace(".query.", ".to_q.").replace(".key.", ".to_k.").replace(".value.", ".to_v.")
                .replace(".proj_attn.", ".to_out.0.");
    }

    /**
     * Reads weights for {@code model} from a safetensors file, checking every name and shape; all
     * problems (missing, unexpected, wrongly shaped tensors) are reported in one exception.
     */
    public static Map<String, float[]> readFor(Module model, Path file) throws IOException {
        WeightFiles.checkNotPickle(file);
        SafeTensors.Contents contents = SafeTensors.read(file);
        Map<String, Module.Param> params = model.namedParameters();
        Map<String, float[]> values = new LinkedHashMap<>();
        List<String> unexpected = new ArrayList<>();
        List<String> wrongShape = new ArrayList<>();
        for (Map.Entry<String, TensorData> e : contents.tensors().entrySet()) {
            String name = canonicalName(e.getKey());
            Module.Param p = params.get(name);
            if (p == null) {
                unexpected.add(e.getKey());
                continue;
            }
            long[] want = p.shape().getShape();
            long[] got = e.getValue().shape();
            if (!Arrays.equals(want, got)) {
                // old attention checkpoints store 1x1-conv or linear weights; same numbers either way
                if (TensorData.numel(got) == p.shape().size() && name.contains("attention")) {
                    values.put(name, contents.finiteValues(e.getKey()));
                    continue;
                }
                wrongShape.add(e.getKey() + " " + Arrays.toString(got) + " (expected " + Arrays.toString(want) + ")");
                continue;
            }
            values.put(name, contents.finiteValues(e.getKey()));
        }
        List<String> missing = new ArrayList<>();
        for (String name : params.keySet()) {
            if (!values.containsKey(name) && wrongShape.stream().noneMatch(w -> canonicalName(w.split(" ")[0]).equals(name))) {
                missing.add(name);
            }
        }
        if (!missing.isEmpty() || !unexpected.isEmpty() || !wrongShape.isEmpty()) {
            StringBuilder sb = new StringBuilder("the weights do not fit the network:");
            WeightFiles.appendList(sb, "missing", missing);
            WeightFiles.appendList(sb, "unexpected", unexpected);
            WeightFiles.appendList(sb, "wrong shape", wrongShape);
            throw new WeightFiles.WeightFileException(file, sb.toString());
        }
        return values;
    }
}

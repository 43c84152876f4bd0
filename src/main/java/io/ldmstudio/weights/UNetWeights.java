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
import io.ldmstudio.nn.Module;
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
        n.put("downsample_padding", 1);
        n.put("downsample_type", "conv");
        n.put("upsample_type", "conv");
        n.put("dropout", c.dropout());
        n.put("act_fn", "silu");
        int midChannels = c.blockOutChannels().get(c.levels() - 1);
        n.put("attention_head_dim", c.numHeads() > 0 ? midChannels / c.numHeads() : c.attentionHeadDim());
        n.put("norm_num_groups", c.normGroups());
        n.putNull("attn_norm_num_groups");
        n.put("norm_eps", c.normEps());
        n.put("resnet_time_scale_shift", "default");
        n.put("add_attention", c.midBlockAttention());
        n.putNull("class_embed_type");
        n.putNull("num_class_embeds");
        if (c.numHeads() > 0) {
            n.put("studio_num_heads", c.numHeads());
        }
        return n;
    }

    /**
     * Reads a diffusers {@code UNet2DModel} config. Only what the studio's network implements is
     * accepted; anything else is an error naming the field and the value.
     */
    public static UNetConfig fromDiffusersConfig(JsonNode n, Path file) throws IOException {
        String cls = n.path("_class_name").asText("UNet2DModel");
        if (!cls.equals("UNet2DModel")) {
            throw new IOException(file + ": _class_name is " + cls + "; the studio opens UNet2DModel");
        }
        expect(n, "time_embedding_type", "positional", file);
        expect(n, "resnet_time_scale_shift", "default", file);
        expect(n, "act_fn", "silu", file);
        if (n.path("center_input_sample").asBoolean(false)) {
            throw new IOException(file + ": center_input_sample true is not supported");
        }
        if (!n.path("class_embed_type").isMissingNode() && !n.path("class_embed_type").isNull()) {
            throw new IOException(file + ": class_embed_type " + n.get("class_embed_type") + " is not supported (expected null)");
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
        for (int i = 0; i < up.size(); i++) {
            String expected = attn.get(outs.size() - 1 - i) ? "AttnUpBlock2D" : "UpBlock2D";
            if (!up.get(i).asText().equals(expected)) {
                throw new IOException(file + ": up_block_types[" + i + "] is " + up.get(i).asText() + " where "
                        + expected + " mirrors down_block_types");
            }
        }
        int c0 = outs.get(0);
        int headDim = n.path("attention_head_dim").isNull() || n.path("attention_head_dim").isMissingNode()
                ? outs.get(outs.size() - 1) : n.path("attention_head_dim").asInt(8);
        int numHeads = n.path("studio_num_heads").asInt(0);
        int inCh = n.path("in_channels").asInt(3);
        return new UNetConfig(inCh, n.path("out_channels").asInt(inCh), n.path("sample_size").asInt(32), outs, attn,
                n.path("layers_per_block").asInt(2), numHeads, headDim, n.path("norm_num_groups").asInt(32),
                (float) n.path("norm_eps").asDouble(1e-5), (float) n.path("dropout").asDouble(0),
                n.path("flip_sin_to_cos").asBoolean(true), n.path("freq_shift").asDouble(0),
                n.path("add_attention").asBoolean(true));
        // c0 kept for readability of the time embedding width (4 × c0)
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
        Path dir = Files.isDirectory(dirOrFile) ? dirOrFile : dirOrFile.toAbsolutePath().getParent();
        Path cfg = dir.resolve(CONFIG);
        if (!Files.isRegularFile(cfg)) {
            throw new IOException(dirOrFile + ": no config.json beside the weights (a diffusers UNet2DModel config is expected)");
        }
        JsonNode n;
        try {
            n = JSON.readTree(cfg.toFile());
        } catch (IOException e) {
            throw new IOException(cfg + ": not valid JSON (" + e.getMessage() + ")", e);
        }
        return fromDiffusersConfig(n, cfg);
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

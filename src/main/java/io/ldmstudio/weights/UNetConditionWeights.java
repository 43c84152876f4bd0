package io.ldmstudio.weights;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ldmstudio.nn.UNet2DConditionConfig;
import io.ldmstudio.nn.UNet2DConditionModel;
import io.ldmstudio.util.Rng;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads diffusers {@code UNet2DConditionModel} folders ({@code config.json} beside
 * {@code diffusion_pytorch_model.safetensors}) into a {@link UNet2DConditionModel}. Settings the studio's
 * network does not implement are refused by name rather than ignored.
 */
public final class UNetConditionWeights {
    private UNetConditionWeights() {}

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The keys read into {@link UNet2DConditionConfig}. */
    private static final Set<String> READ = Set.of("sample_size", "in_channels", "out_channels", "down_block_types",
            "up_block_types", "block_out_channels", "layers_per_block", "attention_head_dim", "num_attention_heads",
            "cross_attention_dim", "transformer_layers_per_block", "norm_num_groups", "norm_eps", "flip_sin_to_cos",
            "freq_shift", "downsample_padding", "dropout", "time_embedding_dim", "use_linear_projection");

    /**
     * Keys the network has no code for, with the values it does implement (diffusers' defaults). A key absent
     * from the file, null where null is the default, or equal to the value listed is accepted.
     */
    private static final Map<String, Object> FIXED = Map.ofEntries(
            Map.entry("center_input_sample", false),
            Map.entry("mid_block_type", "UNetMidBlock2DCrossAttn"),
            Map.entry("only_cross_attention", false),
            Map.entry("mid_block_only_cross_attention", false),
            Map.entry("act_fn", "silu"),
            Map.entry("mid_block_scale_factor", 1.0),
            Map.entry("dual_cross_attention", false),
            Map.entry("resnet_time_scale_shift", "default"),
            Map.entry("resnet_skip_time_act", false),
            Map.entry("resnet_out_scale_factor", 1.0),
            Map.entry("time_embedding_type", "positional"),
            Map.entry("conv_in_kernel", 3),
            Map.entry("conv_out_kernel", 3),
            Map.entry("class_embeddings_concat", false),
            Map.entry("attention_type", "default"));

    /** Keys that must be null (or absent): embeddings and projections the studio's network lacks. */
    private static final Set<String> NULL = Set.of("encoder_hid_dim", "encoder_hid_dim_type", "class_embed_type",
            "addition_embed_type", "addition_time_embed_dim", "num_class_embeds", "time_embedding_act_fn",
            "timestep_post_act", "time_cond_proj_dim", "projection_class_embeddings_input_dim",
            "cross_attention_norm", "reverse_transformer_layers_per_block");

    /** Keys with no effect here: float32 attention; the heads of an addition embedding that is null. */
    private static final Set<String> IGNORED = Set.of("upcast_attention", "addition_embed_type_num_heads");

    /**
     * diffusers {@code UNet2DConditionModel} config for this shape: every key the network depends on, the
     * heads per level under {@code attention_head_dim} (one number when the levels agree), as diffusers reads them.
     */
    public static ObjectNode diffusersConfig(UNet2DConditionConfig c) {
        ObjectNode n = JSON.createObjectNode();
        n.put("_class_name", "UNet2DConditionModel");
        n.put("_diffusers_version", "0.27.0");
        if (c.sampleSize() != null) {
            n.put("sample_size", c.sampleSize());
        } else {
            n.putNull("sample_size");
        }
        n.put("in_channels", c.inChannels());
        n.put("out_channels", c.outChannels());
        n.put("center_input_sample", false);
        n.put("flip_sin_to_cos", c.flipSinToCos());
        n.put("freq_shift", c.freqShift());
        ArrayNode down = n.putArray("down_block_types");
        c.downBlockTypes().forEach(down::add);
        n.put("mid_block_type", "UNetMidBlock2DCrossAttn");
        ArrayNode up = n.putArray("up_block_types");
        c.upBlockTypes().forEach(up::add);
        n.put("only_cross_attention", false);
        ArrayNode outs = n.putArray("block_out_channels");
        c.blockOutChannels().forEach(outs::add);
        n.put("layers_per_block", c.layersPerBlock());
        n.put("downsample_padding", c.downsamplePadding());
        n.put("mid_block_scale_factor", 1);
        n.put("dropout", c.dropout());
        n.put("act_fn", "silu");
        n.put("norm_num_groups", c.normNumGroups());
        n.put("norm_eps", c.normEps());
        n.put("cross_attention_dim", c.crossAttentionDim());
        n.put("transformer_layers_per_block", c.transformerLayersPerBlock());
        if (c.numAttentionHeads().stream().distinct().count() == 1) {
            n.put("attention_head_dim", c.numAttentionHeads().get(0));
        } else {
            ArrayNode h = n.putArray("attention_head_dim");
            c.numAttentionHeads().forEach(h::add);
        }
        n.putNull("num_attention_heads");
        n.put("use_linear_projection", c.useLinearProjection());
        n.put("upcast_attention", false);
        n.put("resnet_time_scale_shift", "default");
        n.put("time_embedding_type", "positional");
        n.putNull("class_embed_type");
        n.putNull("num_class_embeds");
        n.putNull("addition_embed_type");
        n.putNull("encoder_hid_dim");
        return n;
    }

    /** Writes {@code config.json} and {@code diffusion_pytorch_model.safetensors} (float32) into {@code dir}. */
    public static void save(UNet2DConditionModel unet, Path dir, Map<String, String> metadata) throws IOException {
        Files.createDirectories(dir);
        byte[] json = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(diffusersConfig(unet.config()));
        WeightFiles.writeAtomically(dir.resolve(UNetWeights.CONFIG), ch -> ch.write(java.nio.ByteBuffer.wrap(json)));
        UNetWeights.writeWeights(unet, dir.resolve(UNetWeights.DIFFUSERS_WEIGHTS), metadata);
    }

    /** Opens a diffusers folder: the network built from its config, its parameters in {@code manager}. */
    public static UNet2DConditionModel open(Path dir, NDManager manager) throws IOException {
        UNet2DConditionModel unet = new UNet2DConditionModel(readConfig(dir));
        unet.initialize(manager, new Rng(0), false);
        unet.loadStateDict(UNetWeights.readFor(unet, UNetWeights.weightsFile(dir, null)), manager);
        return unet;
    }

    public static UNet2DConditionConfig readConfig(Path dirOrFile) throws IOException {
        UNetWeights.ConfigFile c = UNetWeights.configFile(dirOrFile, "UNet2DConditionModel");
        return fromDiffusersConfig(c.json(), c.file());
    }

    public static UNet2DConditionConfig fromDiffusersConfig(JsonNode n, Path file) throws IOException {
        if (!n.isObject()) {
            throw new IOException(file + ": not a JSON object");
        }
        String cls = n.path("_class_name").asText("UNet2DConditionModel");
        if (!cls.equals("UNet2DConditionModel")) {
            throw new IOException(file + ": _class_name is " + cls + "; expected UNet2DConditionModel");
        }
        for (Iterator<String> it = n.fieldNames(); it.hasNext();) {
            String key = it.next();
            if (key.startsWith("_") || READ.contains(key) || IGNORED.contains(key)) {
                continue;
            }
            JsonNode v = n.get(key);
            if (NULL.contains(key)) {
                if (!v.isNull()) {
                    throw new IOException(file + ": " + key + " " + v + " is not supported (expected null)");
                }
            } else if (FIXED.containsKey(key)) {
                Object want = FIXED.get(key);
                boolean ok = v.isNull() && !key.equals("mid_block_type")
                        || want instanceof Boolean b && v.isBoolean() && v.asBoolean() == b
                        || want instanceof String s && v.isTextual() && v.asText().equals(s)
                        || want instanceof Number x && v.isNumber() && v.asDouble() == x.doubleValue();
                if (!ok) {
                    throw new IOException(file + ": " + key + " " + v + " is not supported (the studio implements "
                            + want + ")");
                }
            } else {
                throw new IOException(file + ": key " + key + " is not a UNet2DConditionModel setting the studio supports");
            }
        }
        List<Integer> outs = ints(n.path("block_out_channels"), List.of(320, 640, 1280, 1280));
        int levels = outs.size();
        if (levels > 0 && n.hasNonNull("time_embedding_dim") && n.get("time_embedding_dim").asInt() != 4 * outs.get(0)) {
            throw new IOException(file + ": time_embedding_dim " + n.get("time_embedding_dim")
                    + " is not supported (null: 4 × block_out_channels[0] = " + 4 * outs.get(0) + ")");
        }
        List<String> down = strings(n.path("down_block_types"),
                List.of("CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"));
        List<String> up = strings(n.path("up_block_types"),
                List.of("UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"));
        // diffusers: num_attention_heads = num_attention_heads or attention_head_dim (the head count, despite its
        // name); its __init__ raises on a non-null num_attention_heads (diffusers issue 2011), and so does this
        if (n.hasNonNull("num_attention_heads")) {
            throw new IOException(file + ": num_attention_heads " + n.get("num_attention_heads") + " is refused, as"
                    + " diffusers' UNet2DConditionModel refuses it; attention_head_dim holds the heads per level");
        }
        JsonNode heads = n.hasNonNull("attention_head_dim") ? n.get("attention_head_dim")
                : JSON.getNodeFactory().numberNode(8);
        List<Integer> numHeads = perLevel(heads, levels, "num_attention_heads/attention_head_dim", file);
        int crossDim = single(n.path("cross_attention_dim"), 1280, "cross_attention_dim", file);
        int layers = single(n.path("layers_per_block"), 2, "layers_per_block", file);
        int transformerLayers = single(n.path("transformer_layers_per_block"), 1, "transformer_layers_per_block", file);
        Integer sampleSize = n.path("sample_size").isIntegralNumber() ? n.get("sample_size").asInt() : null;
        int in = n.path("in_channels").asInt(4);
        try {
            return new UNet2DConditionConfig(sampleSize, in, n.path("out_channels").asInt(4), down, up, outs, layers,
                    numHeads, crossDim, transformerLayers, n.path("norm_num_groups").asInt(32),
                    (float) n.path("norm_eps").asDouble(1e-5), n.path("flip_sin_to_cos").asBoolean(true),
                    n.path("freq_shift").asDouble(0), n.path("downsample_padding").asInt(1),
                    (float) n.path("dropout").asDouble(0), n.path("use_linear_projection").asBoolean(false));
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    private static List<Integer> ints(JsonNode a, List<Integer> fallback) {
        if (a.isMissingNode() || a.isNull()) {
            return fallback;
        }
        List<Integer> out = new ArrayList<>();
        a.forEach(x -> out.add(x.asInt()));
        return out;
    }

    private static List<String> strings(JsonNode a, List<String> fallback) {
        if (a.isMissingNode() || a.isNull()) {
            return fallback;
        }
        List<String> out = new ArrayList<>();
        a.forEach(x -> out.add(x.asText()));
        return out;
    }

    /** An int, or a list of one int per level (diffusers takes either). */
    private static List<Integer> perLevel(JsonNode v, int levels, String key, Path file) throws IOException {
        if (v.isIntegralNumber()) {
            return java.util.Collections.nCopies(levels, v.asInt());
        }
        if (v.isArray() && v.size() == levels) {
            List<Integer> out = ints(v, List.of());
            if (out.stream().allMatch(x -> x > 0)) {
                return out;
            }
        }
        throw new IOException(file + ": " + key + " " + v + " is not supported (a positive integer, or one per level)");
    }

    /** An int, or a list whose entries are all that int (per-level values must agree here). */
    private static int single(JsonNode v, int fallback, String key, Path file) throws IOException {
        if (v.isMissingNode() || v.isNull()) {
            return fallback;
        }
        if (v.isIntegralNumber()) {
            return v.asInt();
        }
        if (v.isArray() && v.size() > 0) {
            int first = v.get(0).asInt();
            boolean same = true;
            for (JsonNode x : v) {
                same &= x.isIntegralNumber() && x.asInt() == first;
            }
            if (same) {
                return first;
            }
        }
        throw new IOException(file + ": " + key + " " + v + " is not supported (one integer for every level)");
    }
}

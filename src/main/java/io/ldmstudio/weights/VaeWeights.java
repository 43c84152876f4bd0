package io.ldmstudio.weights;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ldmstudio.nn.AutoencoderKL;
import io.ldmstudio.nn.Module;
import io.ldmstudio.nn.VQConfig;
import io.ldmstudio.nn.VQModel;
import io.ldmstudio.nn.VaeConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * KL-autoencoder weights as people have them, and as the studio writes them.
 *
 * <ul>
 *   <li><b>diffusers folder</b>: {@code config.json} ({@code AutoencoderKL}) beside {@code
 *       diffusion_pytorch_model.safetensors} (or {@code model.safetensors}); attention under the
 *       current names {@code to_q/to_k/to_v/to_out.0} or the older {@code query/key/value/proj_attn}.
 *       A pipeline folder with a {@code vae/} sub-folder is accepted too.
 *   <li><b>single file, original LDM/CompVis layout</b> (e.g. {@code vae-ft-mse-840000-ema-pruned.safetensors}):
 *       {@code encoder.down.i.block.j.*}, {@code encoder.mid.attn_1.q} (1×1 conv weights, reshaped to
 *       linear), {@code decoder.up.k.*} with k counted from the bottom (diffusers' up_blocks index is
 *       levels − 1 − k), {@code norm_out}, {@code nin_shortcut}. A whole Stable Diffusion checkpoint
 *       works too: its {@code first_stage_model.*} tensors are the VAE, everything else is ignored.
 *       Training-loss tensors of LDM autoencoder checkpoints ({@code loss.*}) are ignored. A single
 *       file has no config: it is inferred from the tensor shapes (norm groups 32, as LDM's code
 *       fixes them; scaling factor 0.18215), unless the file's metadata carries one (files written
 *       by {@link #saveSingleFile}); {@link Options} override either.
 * </ul>
 *
 * <p>VQ autoencoders (diffusers' {@code VQModel}, e.g. {@code CompVis/ldm-celebahq-256}'s {@code vqvae/})
 * load from a diffusers folder through {@link #loadVq}, with the same folder resolution, names and
 * checks ({@link #resolveVq}).
 *
 * <p>This is the format layer. What a path the user gave stands for — a KL or a VQ autoencoder, a
 * studio autoencoder run folder (its {@code exports/vae/} or newest checkpoint) — is decided in one
 * place above it, {@code io.ldmstudio.pipeline.Autoencoders}.
 *
 * <p>Missing, unexpected and wrongly shaped tensors are reported together in one {@link
 * WeightFiles.WeightFileException}; pickle files are refused ({@link WeightFiles#checkNotPickle}).
 * {@link #save} writes the diffusers layout, which {@code AutoencoderKL.from_pretrained(dir)} opens.
 */
public final class VaeWeights {
    public static final String CONFIG = "config.json";
    public static final String DIFFUSERS_WEIGHTS = "diffusion_pytorch_model.safetensors";
    public static final String MODEL_WEIGHTS = "model.safetensors";
    /** Prefix of the autoencoder's tensors inside a full LDM / Stable Diffusion checkpoint. */
    public static final String LDM_PREFIX = "first_stage_model.";
    /** Metadata key under which {@link #saveSingleFile} stores the diffusers config JSON. */
    public static final String CONFIG_METADATA_KEY = "ldm_studio.vae_config";

    /** diffusers' {@code _class_name} of a KL autoencoder config. */
    public static final String KL_CLASS = "AutoencoderKL";
    /** diffusers' {@code _class_name} of a VQ autoencoder config. */
    public static final String VQ_CLASS = "VQModel";

    private static final ObjectMapper JSON = new ObjectMapper();

    private VaeWeights() {}

    /** Tensor naming of a weights file. */
    public enum Layout {
        /** diffusers' {@code AutoencoderKL} names. */
        DIFFUSERS,
        /** the original LDM / CompVis names ({@code encoder.down.0.block.0...}). */
        LDM
    }

    /**
     * Overrides for loading; null fields keep what the file says or what is inferred.
     *
     * @param scalingFactor latent scaling factor (single files default to 0.18215)
     * @param normNumGroups GroupNorm groups (single files default to 32); shapes cannot tell
     * @param config        a diffusers {@code config.json} (or a folder holding one) for a single file,
     *                      instead of the config inferred from its tensor shapes
     */
    public record Options(Double scalingFactor, Integer normNumGroups, Path config) {
        public static final Options DEFAULTS = new Options(null, null, null);

        public Options(Double scalingFactor, Integer normNumGroups) {
            this(scalingFactor, normNumGroups, null);
        }

        public static Options scalingFactor(double s) {
            return new Options(s, null, null);
        }

        VaeConfig apply(VaeConfig c) {
            VaeConfig out = c;
            if (scalingFactor != null) {
                out = out.withScalingFactor(scalingFactor);
            }
            if (normNumGroups != null) {
                out = out.withNormNumGroups(normNumGroups);
            }
            return out;
        }
    }

    /**
     * Where a model's weights are and what they are: the weights file, the config file (null when
     * the config was inferred from a single file), the naming, and the config to build.
     */
    public record Source(Path weightsFile, Path configFile, Layout layout, VaeConfig config, boolean configInferred) {}

    /** Where a VQ model's weights are: the weights file, its {@code config.json}, the naming, the config. */
    public record VqSource(Path weightsFile, Path configFile, Layout layout, VQConfig config) {}

    /** What {@code vae info} shows. */
    public record Info(Source source, VaeConfig config, long parameterCount, int downFactor, int imageSize,
            long[] latentShape) {
        public Info {
            latentShape = latentShape.clone();
        }

        @Override
        public long[] latentShape() {
            return latentShape.clone();
        }

        /** A few human-readable lines (the CLI prints them). */
        public List<String> lines() {
            List<String> out = new ArrayList<>();
            if (source != null) {
                out.add("weights: " + source.weightsFile() + " (" + (source.layout() == Layout.LDM ? "LDM/CompVis" : "diffusers")
                        + " names)");
                out.add("config: " + (source.configInferred() ? "inferred from tensor shapes" : String.valueOf(source.configFile())));
            }
            out.add("block_out_channels: " + config.blockOutChannels() + ", layers_per_block: " + config.layersPerBlock()
                    + ", norm_num_groups: " + config.normNumGroups());
            out.add("channels: " + config.inChannels() + " in, " + config.outChannels() + " out, latent " + config.latentChannels());
            out.add("scaling_factor: " + config.scalingFactor()
                    + (config.shiftFactor() != null ? ", shift_factor: " + config.shiftFactor() : ""));
            out.add(String.format(java.util.Locale.ROOT, "parameters: %,d", parameterCount));
            out.add("downsampling factor f: " + downFactor);
            out.add("latent for " + imageSize + "×" + imageSize + ": " + latentShape[0] + "×" + latentShape[1] + "×" + latentShape[2]);
            return out;
        }
    }

    // ------------------------------------------------------------------------------------------
    // Config

    /** The keys AutoencoderKL and VQModel configs share first: class, activation, blocks. */
    private static ObjectNode encoderDecoderKeys(String className, List<Integer> blockOutChannels) {
        ObjectNode n = JSON.createObjectNode();
        n.put("_class_name", className);
        n.put("_diffusers_version", "0.27.0");
        n.put("act_fn", "silu");
        ArrayNode outs = n.putArray("block_out_channels");
        blockOutChannels.forEach(outs::add);
        ArrayNode down = n.putArray("down_block_types");
        ArrayNode up = n.putArray("up_block_types");
        for (int i = 0; i < blockOutChannels.size(); i++) {
            down.add("DownEncoderBlock2D");
            up.add("UpDecoderBlock2D");
        }
        return n;
    }

    /** diffusers {@code AutoencoderKL} config for this shape. */
    public static ObjectNode diffusersConfig(VaeConfig c) {
        ObjectNode n = encoderDecoderKeys(KL_CLASS, c.blockOutChannels());
        n.put("force_upcast", c.forceUpcast());
        n.put("in_channels", c.inChannels());
        n.put("latent_channels", c.latentChannels());
        n.putNull("latents_mean");
        n.putNull("latents_std");
        n.put("layers_per_block", c.layersPerBlock());
        n.put("mid_block_add_attention", c.midBlockAddAttention());
        n.put("norm_num_groups", c.normNumGroups());
        n.put("out_channels", c.outChannels());
        n.put("sample_size", c.sampleSize());
        n.put("scaling_factor", c.scalingFactor());
        if (c.shiftFactor() == null) {
            n.putNull("shift_factor");
        } else {
            n.put("shift_factor", c.shiftFactor());
        }
        n.put("use_post_quant_conv", c.usePostQuantConv());
        n.put("use_quant_conv", c.useQuantConv());
        return n;
    }

    /**
     * Reads a diffusers {@code AutoencoderKL} config, with diffusers' defaults for absent fields.
     * Anything the studio's network does not implement is an error naming the field.
     */
    public static VaeConfig fromDiffusersConfig(JsonNode n, Path file) throws IOException {
        checkClass(n, file, KL_CLASS, "a KL autoencoder");
        List<Integer> outs = blockOutChannels(n, file);
        JsonNode shift = n.path("shift_factor");
        Double shiftFactor = shift.isMissingNode() || shift.isNull() ? null : number(n, "shift_factor", 0, file);
        double scaling = scalingFactor(n, file);
        int in = integer(n, "in_channels", 3, file);
        try {
            return new VaeConfig(in, integer(n, "out_channels", 3, file), outs, integer(n, "layers_per_block", 1, file),
                    integer(n, "latent_channels", 4, file), integer(n, "norm_num_groups", 32, file),
                    integer(n, "sample_size", 32, file), scaling, shiftFactor, bool(n, "force_upcast", true, file),
                    bool(n, "use_quant_conv", true, file), bool(n, "use_post_quant_conv", true, file),
                    bool(n, "mid_block_add_attention", true, file));
        } catch (IllegalArgumentException e) {
            throw new WeightFiles.WeightFileException(file, e.getMessage(), e);
        }
    }

    /**
     * Reads a diffusers {@code VQModel} config, with diffusers' defaults for absent fields (latent
     * channels 3, 256 codebook entries, vq_embed_dim = latent channels, force_upcast false).
     * {@code norm_type "spatial"} (MoVQ's decoder) and anything else the studio's network does not
     * implement is an error naming the field.
     */
    public static VQConfig fromVqConfig(JsonNode n, Path file) throws IOException {
        checkClass(n, file, VQ_CLASS, "a VQ autoencoder");
        List<Integer> outs = blockOutChannels(n, file);
        String norm = n.path("norm_type").isNull() ? "group" : n.path("norm_type").asText("group");
        if (!norm.equals("group")) {
            throw new WeightFiles.WeightFileException(file, "norm_type " + norm + " is not supported (group); the"
                    + " studio's VQ decoder has no SpatialNorm");
        }
        int latent = integer(n, "latent_channels", 3, file);
        JsonNode embedDim = n.path("vq_embed_dim");
        int vqEmbedDim = embedDim.isMissingNode() || embedDim.isNull() ? latent : integer(n, "vq_embed_dim", latent, file);
        try {
            return new VQConfig(integer(n, "in_channels", 3, file), integer(n, "out_channels", 3, file), outs,
                    integer(n, "layers_per_block", 1, file), latent, integer(n, "norm_num_groups", 32, file),
                    integer(n, "sample_size", 32, file), integer(n, "num_vq_embeddings", 256, file), vqEmbedDim,
                    scalingFactor(n, file), bool(n, "mid_block_add_attention", true, file),
                    bool(n, "lookup_from_codebook", false, file), bool(n, "force_upcast", false, file));
        } catch (IllegalArgumentException e) {
            throw new WeightFiles.WeightFileException(file, e.getMessage(), e);
        }
    }

    /** {@code _class_name} (absent: taken as {@code expected}) must be {@code expected}; the message names the file. */
    private static void checkClass(JsonNode n, Path file, String expected, String what) throws IOException {
        if (!n.isObject()) {
            throw new WeightFiles.WeightFileException(file, "is not a JSON object");
        }
        String cls = n.path("_class_name").asText(expected);
        if (!cls.equals(expected)) {
            String hint = cls.equals(VQ_CLASS) ? " (a VQ autoencoder: load it as a VQModel)"
                    : cls.equals(KL_CLASS) ? " (a KL autoencoder: load it as an AutoencoderKL)"
                    : "; the studio opens diffusers' AutoencoderKL and VQModel autoencoders";
            throw new WeightFiles.WeightFileException(file, "_class_name is " + cls + "; this is not " + what
                    + " config (" + expected + " expected)" + hint);
        }
    }

    /** act_fn, block_out_channels and the block types, shared by AutoencoderKL and VQModel configs. */
    private static List<Integer> blockOutChannels(JsonNode n, Path file) throws IOException {
        String act = n.path("act_fn").asText("silu");
        if (!act.equals("silu")) {
            throw new WeightFiles.WeightFileException(file, "act_fn " + act + " is not supported (silu)");
        }
        List<Integer> outs = new ArrayList<>();
        JsonNode bo = n.path("block_out_channels");
        if (bo.isMissingNode() || bo.isNull()) {
            outs.add(64);
        } else {
            if (!bo.isArray() || bo.isEmpty()) {
                throw new WeightFiles.WeightFileException(file, "block_out_channels must be a non-empty list of integers");
            }
            for (JsonNode x : bo) {
                if (!x.canConvertToInt()) {
                    throw new WeightFiles.WeightFileException(file, "block_out_channels entry " + x + " is not an integer");
                }
                outs.add(x.asInt());
            }
        }
        checkBlockTypes(n, "down_block_types", "DownEncoderBlock2D", outs.size(), file);
        checkBlockTypes(n, "up_block_types", "UpDecoderBlock2D", outs.size(), file);
        return outs;
    }

    private static double scalingFactor(JsonNode n, Path file) throws IOException {
        JsonNode scale = n.path("scaling_factor");
        return scale.isMissingNode() || scale.isNull() ? VaeConfig.SD_SCALING_FACTOR
                : number(n, "scaling_factor", VaeConfig.SD_SCALING_FACTOR, file);
    }

    private static void checkBlockTypes(JsonNode n, String key, String expected, int levels, Path file)
            throws IOException {
        JsonNode types = n.path(key);
        if (types.isMissingNode() || types.isNull()) {
            return;
        }
        if (!types.isArray() || types.size() != levels) {
            throw new WeightFiles.WeightFileException(file, key + " has " + (types.isArray() ? types.size() : 0)
                    + " entries where block_out_channels has " + levels);
        }
        for (JsonNode t : types) {
            if (!t.asText().equals(expected)) {
                throw new WeightFiles.WeightFileException(file, key + " entry " + t.asText() + " is not supported ("
                        + expected + ")");
            }
        }
    }

    private static int integer(JsonNode n, String key, int dflt, Path file) throws IOException {
        JsonNode v = n.path(key);
        if (v.isMissingNode() || v.isNull()) {
            return dflt;
        }
        if (!v.canConvertToInt() || !v.isIntegralNumber()) {
            // sample_size may be a list [h, w] in some configs; take the first
            if (v.isArray() && !v.isEmpty() && v.get(0).canConvertToInt()) {
                return v.get(0).asInt();
            }
            throw new WeightFiles.WeightFileException(file, key + " is " + v + "; an integer is expected");
        }
        return v.asInt();
    }

    private static double number(JsonNode n, String key, double dflt, Path file) throws IOException {
        JsonNode v = n.path(key);
        if (v.isMissingNode() || v.isNull()) {
            return dflt;
        }
        if (!v.isNumber()) {
            throw new WeightFiles.WeightFileException(file, key + " is " + v + "; a number is expected");
        }
        return v.asDouble();
    }

    private static boolean bool(JsonNode n, String key, boolean dflt, Path file) throws IOException {
        JsonNode v = n.path(key);
        if (v.isMissingNode() || v.isNull()) {
            return dflt;
        }
        if (!v.isBoolean()) {
            throw new WeightFiles.WeightFileException(file, key + " is " + v + "; true or false is expected");
        }
        return v.asBoolean();
    }

    /** Reads {@code config.json} of a diffusers folder (or the config file itself). */
    public static VaeConfig readConfig(Path dirOrConfig) throws IOException {
        Path cfg = Files.isDirectory(dirOrConfig) ? dirOrConfig.resolve(CONFIG) : dirOrConfig;
        return fromDiffusersConfig(readJson(cfg, KL_CLASS), cfg);
    }

    /** Reads {@code config.json} of a diffusers {@code VQModel} folder (or the config file itself). */
    public static VQConfig readVqConfig(Path dirOrConfig) throws IOException {
        Path cfg = Files.isDirectory(dirOrConfig) ? dirOrConfig.resolve(CONFIG) : dirOrConfig;
        return fromVqConfig(readJson(cfg, VQ_CLASS), cfg);
    }

    private static JsonNode readJson(Path cfg, String className) throws IOException {
        if (!Files.isRegularFile(cfg)) {
            throw new WeightFiles.WeightFileException(cfg, "not found (a diffusers " + className + " config.json is expected)");
        }
        try {
            return JSON.readTree(cfg.toFile());
        } catch (IOException e) {
            throw new WeightFiles.WeightFileException(cfg, "not valid JSON (" + e.getMessage() + ")", e);
        }
    }

    /** Writes {@code config.json} into {@code dir} (atomically). */
    public static void writeConfig(VaeConfig c, Path dir) throws IOException {
        byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(diffusersConfig(c));
        WeightFiles.writeAtomically(dir.resolve(CONFIG), ch -> {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        });
    }

    // ------------------------------------------------------------------------------------------
    // Names

    private static final Pattern LDM_BLOCK = Pattern.compile("^(encoder\\.down|decoder\\.up)\\.(\\d+)\\.block\\.(\\d+)\\.(.+)$");
    private static final Pattern LDM_DOWNSAMPLE = Pattern.compile("^encoder\\.down\\.(\\d+)\\.downsample\\.(.+)$");
    private static final Pattern LDM_UPSAMPLE = Pattern.compile("^decoder\\.up\\.(\\d+)\\.upsample\\.(.+)$");
    private static final Pattern LDM_MID = Pattern.compile("^(encoder|decoder)\\.mid\\.(block_1|block_2|attn_1)\\.([^.]+)\\.(.+)$");
    private static final Pattern LDM_NORM_OUT = Pattern.compile("^(encoder|decoder)\\.norm_out\\.(.+)$");
    private static final Pattern LDM_UP_INDEX = Pattern.compile("^decoder\\.up\\.(\\d+)\\.");
    private static final Pattern LDM_DOWN_INDEX = Pattern.compile("^encoder\\.down\\.(\\d+)\\.");

    private static final Pattern DF_RESNET = Pattern.compile("^(encoder\\.down_blocks|decoder\\.up_blocks)\\.(\\d+)\\.resnets\\.(\\d+)\\.(.+)$");
    private static final Pattern DF_DOWNSAMPLER = Pattern.compile("^encoder\\.down_blocks\\.(\\d+)\\.downsamplers\\.0\\.(.+)$");
    private static final Pattern DF_UPSAMPLER = Pattern.compile("^decoder\\.up_blocks\\.(\\d+)\\.upsamplers\\.0\\.(.+)$");
    private static final Pattern DF_MID = Pattern.compile("^(encoder|decoder)\\.mid_block\\.(resnets\\.0|resnets\\.1|attentions\\.0)\\.(.+)$");
    private static final Pattern DF_NORM_OUT = Pattern.compile("^(encoder|decoder)\\.conv_norm_out\\.(.+)$");

    private static final Map<String, String> LDM_ATTN = Map.of("norm", "group_norm", "q", "to_q", "k", "to_k", "v", "to_v",
            "proj_out", "to_out.0");

    /** Whether {@code name} (prefix already stripped) is in the LDM layout. */
    public static boolean isLdmName(String name) {
        return LDM_BLOCK.matcher(name).matches() || LDM_DOWNSAMPLE.matcher(name).matches()
                || LDM_UPSAMPLE.matcher(name).matches() || LDM_MID.matcher(name).matches()
                || LDM_NORM_OUT.matcher(name).matches();
    }

    /**
     * The diffusers name of an LDM-layout tensor ({@code decoder.up.k} becomes {@code
     * decoder.up_blocks.(levels−1−k)}); names common to both layouts ({@code encoder.conv_in.*},
     * {@code quant_conv.*}, …) come back unchanged, and so do names this mapping does not know.
     */
    public static String fromLdmName(String name, int levels) {
        Matcher m = LDM_BLOCK.matcher(name);
        if (m.matches()) {
            boolean enc = m.group(1).startsWith("encoder");
            int i = Integer.parseInt(m.group(2));
            String rest = m.group(4).startsWith("nin_shortcut.") ? "conv_shortcut." + m.group(4).substring(13) : m.group(4);
            return (enc ? "encoder.down_blocks." + i : "decoder.up_blocks." + (levels - 1 - i)) + ".resnets." + m.group(3)
                    + "." + rest;
        }
        m = LDM_DOWNSAMPLE.matcher(name);
        if (m.matches()) {
            return "encoder.down_blocks." + m.group(1) + ".downsamplers.0." + m.group(2);
        }
        m = LDM_UPSAMPLE.matcher(name);
        if (m.matches()) {
            return "decoder.up_blocks." + (levels - 1 - Integer.parseInt(m.group(1))) + ".upsamplers.0." + m.group(2);
        }
        m = LDM_MID.matcher(name);
        if (m.matches()) {
            String part = m.group(2);
            String mid = m.group(1) + ".mid_block.";
            if (part.equals("attn_1")) {
                String layer = LDM_ATTN.get(m.group(3));
                return layer == null ? name : mid + "attentions.0." + layer + "." + m.group(4);
            }
            String layer = m.group(3).equals("nin_shortcut") ? "conv_shortcut" : m.group(3);
            return mid + (part.equals("block_1") ? "resnets.0." : "resnets.1.") + layer + "." + m.group(4);
        }
        m = LDM_NORM_OUT.matcher(name);
        if (m.matches()) {
            return m.group(1) + ".conv_norm_out." + m.group(2);
        }
        return name;
    }

    /** The LDM name of a diffusers tensor name, the inverse of {@link #fromLdmName}. */
    public static String toLdmName(String name, int levels) {
        Matcher m = DF_RESNET.matcher(name);
        if (m.matches()) {
            boolean enc = m.group(1).startsWith("encoder");
            int i = Integer.parseInt(m.group(2));
            String rest = m.group(4).startsWith("conv_shortcut.") ? "nin_shortcut." + m.group(4).substring(14) : m.group(4);
            return (enc ? "encoder.down." + i : "decoder.up." + (levels - 1 - i)) + ".block." + m.group(3) + "." + rest;
        }
        m = DF_DOWNSAMPLER.matcher(name);
        if (m.matches()) {
            return "encoder.down." + m.group(1) + ".downsample." + m.group(2);
        }
        m = DF_UPSAMPLER.matcher(name);
        if (m.matches()) {
            return "decoder.up." + (levels - 1 - Integer.parseInt(m.group(1))) + ".upsample." + m.group(2);
        }
        m = DF_MID.matcher(name);
        if (m.matches()) {
            String mid = m.group(1) + ".mid.";
            String rest = m.group(3);
            if (m.group(2).equals("attentions.0")) {
                for (Map.Entry<String, String> e : LDM_ATTN.entrySet()) {
                    if (rest.startsWith(e.getValue() + ".")) {
                        return mid + "attn_1." + e.getKey() + rest.substring(e.getValue().length());
                    }
                }
                return name;
            }
            if (rest.startsWith("conv_shortcut.")) {
                rest = "nin_shortcut." + rest.substring(14);
            }
            return mid + (m.group(2).equals("resnets.0") ? "block_1." : "block_2.") + rest;
        }
        m = DF_NORM_OUT.matcher(name);
        if (m.matches()) {
            return m.group(1) + ".norm_out." + m.group(2);
        }
        return name;
    }

    /** Whether a diffusers name is a linear attention weight, stored by LDM as a (C, C, 1, 1) conv. */
    static boolean isAttentionLinearWeight(String diffusersName) {
        return diffusersName.contains(".attentions.") && diffusersName.endsWith(".weight")
                && !diffusersName.contains(".group_norm.");
    }

    /**
     * The tensors of a file that belong to the autoencoder, under diffusers' names, with the file's
     * own names kept for messages. A full checkpoint's {@code first_stage_model.*} tensors are
     * taken (prefix stripped) and everything else is ignored; {@code loss.*} is ignored too.
     */
    static final class Mapped {
        final Layout layout;
        final boolean prefixed;
        final int ldmLevels;
        /** diffusers name → file name */
        final Map<String, String> fileNames = new LinkedHashMap<>();
        /** diffusers name → shape in the file */
        final Map<String, long[]> shapes = new LinkedHashMap<>();
        /** file names that map onto a name already taken (duplicates in two layouts) */
        final List<String> duplicates = new ArrayList<>();

        Mapped(Map<String, long[]> fileShapes) {
            prefixed = fileShapes.keySet().stream().anyMatch(k -> k.startsWith(LDM_PREFIX));
            Map<String, long[]> own = new LinkedHashMap<>();
            Map<String, String> original = new LinkedHashMap<>();
            for (Map.Entry<String, long[]> e : fileShapes.entrySet()) {
                String name = e.getKey();
                if (prefixed) {
                    if (!name.startsWith(LDM_PREFIX)) {
                        continue;
                    }
                    name = name.substring(LDM_PREFIX.length());
                }
                if (name.startsWith("loss.")) {
                    continue;
                }
                own.put(name, e.getValue());
                original.put(name, e.getKey());
            }
            boolean ldm = own.keySet().stream().anyMatch(VaeWeights::isLdmName);
            layout = ldm ? Layout.LDM : Layout.DIFFUSERS;
            int up = maxIndex(own.keySet(), LDM_UP_INDEX);
            ldmLevels = (up >= 0 ? up : maxIndex(own.keySet(), LDM_DOWN_INDEX)) + 1;
            for (Map.Entry<String, long[]> e : own.entrySet()) {
                String name = ldm ? fromLdmName(e.getKey(), ldmLevels) : e.getKey();
                name = UNetWeights.canonicalName(name);
                if (fileNames.containsKey(name)) {
                    duplicates.add(original.get(e.getKey()));
                    continue;
                }
                fileNames.put(name, original.get(e.getKey()));
                shapes.put(name, e.getValue());
            }
        }

        /** How a model's tensor would be named in this file (for "missing" messages). */
        String fileNameFor(String diffusersName) {
            String n = layout == Layout.LDM ? toLdmName(diffusersName, ldmLevels) : diffusersName;
            return prefixed ? LDM_PREFIX + n : n;
        }

        private static int maxIndex(Iterable<String> names, Pattern p) {
            int max = -1;
            for (String n : names) {
                Matcher m = p.matcher(n);
                if (m.find()) {
                    max = Math.max(max, Integer.parseInt(m.group(1)));
                }
            }
            return max;
        }
    }

    private static Map<String, long[]> shapesOf(SafeTensors.Header header) {
        Map<String, long[]> out = new LinkedHashMap<>();
        for (SafeTensors.TensorInfo t : header.tensors().values()) {
            out.put(t.name(), t.shape());
        }
        return out;
    }

    /**
     * The config of a single file, inferred from its shapes (diffusers names): block channels from
     * {@code encoder.down_blocks.i.resnets.0.conv1.weight}, resnets per block from the indices,
     * latent channels from {@code post_quant_conv}/{@code quant_conv}, image channels from {@code
     * conv_in}/{@code conv_out}. Norm groups cannot be seen in shapes: 32, as LDM's code fixes them.
     */
    static VaeConfig inferConfig(Map<String, long[]> shapes, Path file) throws IOException {
        return inferConfig(shapes, file, LDM_NORM_GROUPS);
    }

    /** LDM's GroupNorm groups, which a single file's shapes cannot show. */
    static final int LDM_NORM_GROUPS = 32;

    static VaeConfig inferConfig(Map<String, long[]> shapes, Path file, int normGroups) throws IOException {
        List<Integer> outs = new ArrayList<>();
        for (int i = 0; shapes.containsKey("encoder.down_blocks." + i + ".resnets.0.conv1.weight"); i++) {
            outs.add((int) shapes.get("encoder.down_blocks." + i + ".resnets.0.conv1.weight")[0]);
        }
        if (outs.isEmpty()) {
            List<String> some = new ArrayList<>(shapes.keySet()).subList(0, Math.min(5, shapes.size()));
            throw new WeightFiles.WeightFileException(file, "holds no KL-autoencoder tensors: expected "
                    + "encoder.down.0.block.0.conv1.weight (LDM layout, optionally under first_stage_model.) or "
                    + "encoder.down_blocks.0.resnets.0.conv1.weight (diffusers layout); the file has "
                    + (shapes.isEmpty() ? "no such tensors" : "e.g. " + String.join(", ", some)));
        }
        int layers = 0;
        while (shapes.containsKey("encoder.down_blocks.0.resnets." + layers + ".conv1.weight")) {
            layers++;
        }
        long[] convIn = shapes.get("encoder.conv_in.weight");
        int in = convIn != null && convIn.length == 4 ? (int) convIn[1] : 3;
        long[] convOut = shapes.get("decoder.conv_out.weight");
        int out = convOut != null && convOut.length == 4 ? (int) convOut[0] : in;
        int latent;
        if (shapes.containsKey("post_quant_conv.weight")) {
            latent = (int) shapes.get("post_quant_conv.weight")[0];
        } else if (shapes.containsKey("decoder.conv_in.weight") && shapes.get("decoder.conv_in.weight").length == 4) {
            latent = (int) shapes.get("decoder.conv_in.weight")[1];
        } else if (shapes.containsKey("quant_conv.weight")) {
            latent = (int) shapes.get("quant_conv.weight")[0] / 2;
        } else if (shapes.containsKey("encoder.conv_out.weight")) {
            latent = (int) shapes.get("encoder.conv_out.weight")[0] / 2;
        } else {
            latent = 4;
        }
        boolean midAttention = shapes.containsKey("encoder.mid_block.attentions.0.to_q.weight")
                || shapes.containsKey("decoder.mid_block.attentions.0.to_q.weight");
        try {
            return new VaeConfig(in, out, outs, layers, latent, normGroups, 256, VaeConfig.SD_SCALING_FACTOR, null, true,
                    shapes.containsKey("quant_conv.weight"), shapes.containsKey("post_quant_conv.weight"), midAttention);
        } catch (IllegalArgumentException e) {
            throw new WeightFiles.WeightFileException(file, "the tensor shapes give no valid autoencoder with "
                    + normGroups + " norm groups: " + e.getMessage() + " — give the groups with --norm-groups N, or its "
                    + "diffusers config.json with --config FILE (vae info, recon, eval)", e);
        }
    }

    // ------------------------------------------------------------------------------------------
    // Finding and reading

    /**
     * Resolves what {@code path} holds as a KL autoencoder: a diffusers folder (or a pipeline folder
     * with {@code vae/}), a diffusers weights file with {@code config.json} beside it, or a single file
     * whose config is inferred. Reads headers and the config only, no tensor data. (Run folders and
     * VQ models: {@code io.ldmstudio.pipeline.Autoencoders#resolve}.)
     */
    public static Source resolve(Path path, Options options) throws IOException {
        Options opts = options == null ? Options.DEFAULTS : options;
        if (Files.isDirectory(path)) {
            Path dir = modelFolder(path, "vae");
            Path cfg = dir.resolve(CONFIG);
            Path weights = folderWeights(dir, KL_CLASS);
            if (!Files.isRegularFile(cfg)) {
                return inferred(weights, opts);
            }
            VaeConfig config = opts.apply(readConfig(cfg));
            Layout layout = new Mapped(shapesOf(SafeTensors.readHeader(weights))).layout;
            return new Source(weights, cfg, layout, config, false);
        }
        WeightFiles.checkNotPickle(path);
        if (!Files.isRegularFile(path)) {
            throw new WeightFiles.WeightFileException(path, "not found");
        }
        String fileName = path.getFileName().toString();
        Path beside = path.toAbsolutePath().getParent() == null ? null : path.toAbsolutePath().getParent().resolve(CONFIG);
        if ((fileName.equals(DIFFUSERS_WEIGHTS) || fileName.equals(MODEL_WEIGHTS)) && beside != null
                && Files.isRegularFile(beside)) {
            VaeConfig config = opts.apply(readConfig(beside));
            Layout layout = new Mapped(shapesOf(SafeTensors.readHeader(path))).layout;
            return new Source(path, beside, layout, config, false);
        }
        return inferred(path, opts);
    }

    /** {@code path}, or its {@code sub}-folder when only that holds a {@code config.json} (a pipeline folder). */
    private static Path modelFolder(Path path, String... subs) {
        if (Files.isRegularFile(path.resolve(CONFIG))) {
            return path;
        }
        for (String sub : subs) {
            if (Files.isRegularFile(path.resolve(sub).resolve(CONFIG))) {
                return path.resolve(sub);
            }
        }
        return path;
    }

    /** The weights file of a diffusers folder; a folder with only pickle weights, or none, is an error. */
    private static Path folderWeights(Path dir, String className) throws IOException {
        for (String name : new String[] {DIFFUSERS_WEIGHTS, MODEL_WEIGHTS}) {
            if (Files.isRegularFile(dir.resolve(name))) {
                return dir.resolve(name);
            }
        }
        for (String pickle : new String[] {"diffusion_pytorch_model.bin", "pytorch_model.bin", "model.ckpt"}) {
            if (Files.isRegularFile(dir.resolve(pickle))) {
                WeightFiles.checkNotPickle(dir.resolve(pickle)); // throws with the conversion hint
            }
        }
        throw new WeightFiles.WeightFileException(dir, "no " + DIFFUSERS_WEIGHTS + " or " + MODEL_WEIGHTS
                + " in this folder (a diffusers " + className + " folder is expected)");
    }

    /**
     * Resolves a diffusers {@code VQModel}: a folder with {@code config.json} and weights, a pipeline
     * folder with a {@code vqvae/} (diffusers' LDM pipelines) or {@code vae/} sub-folder, or the
     * weights file with {@code config.json} beside it. Reads headers and the config only.
     */
    public static VqSource resolveVq(Path path) throws IOException {
        Path dir;
        Path weights;
        if (Files.isDirectory(path)) {
            dir = modelFolder(path, "vqvae", "vae");
            weights = folderWeights(dir, VQ_CLASS);
        } else {
            WeightFiles.checkNotPickle(path);
            if (!Files.isRegularFile(path)) {
                throw new WeightFiles.WeightFileException(path, "not found");
            }
            weights = path;
            dir = path.toAbsolutePath().getParent();
        }
        Path cfg = dir.resolve(CONFIG);
        if (!Files.isRegularFile(cfg)) {
            throw new WeightFiles.WeightFileException(weights, "has no " + CONFIG + " beside it (a VQ model's config"
                    + " cannot be inferred: a diffusers VQModel folder is expected)");
        }
        VQConfig config = readVqConfig(cfg);
        Layout layout = new Mapped(shapesOf(SafeTensors.readHeader(weights))).layout;
        return new VqSource(weights, cfg, layout, config);
    }

    /**
     * Whether {@code path} holds a diffusers {@code VQModel}: a folder, a pipeline folder's {@code vqvae/}
     * (or {@code vae/}), or a diffusers weights file, whose {@code config.json} has {@code _class_name}
     * VQModel. Reads that config only; anything else (a KL autoencoder, a run, a single file) is false.
     */
    public static boolean isVq(Path path) {
        Path cfg;
        if (Files.isDirectory(path)) {
            cfg = modelFolder(path, "vqvae", "vae").resolve(CONFIG);
        } else {
            Path parent = path.toAbsolutePath().getParent();
            String name = path.getFileName() == null ? "" : path.getFileName().toString();
            if (parent == null || !(name.equals(DIFFUSERS_WEIGHTS) || name.equals(MODEL_WEIGHTS))) {
                return false;
            }
            cfg = parent.resolve(CONFIG);
        }
        if (!Files.isRegularFile(cfg)) {
            return false;
        }
        try {
            return VQ_CLASS.equals(JSON.readTree(cfg.toFile()).path("_class_name").asText(""));
        } catch (IOException e) {
            return false; // the KL route reads it again and reports what is wrong, naming the file
        }
    }

    /** What {@code vae info} shows of a VQ model. */
    public record VqInfo(VqSource source, long parameterCount, int imageSize, long[] latentShape) {
        public VqInfo {
            latentShape = latentShape.clone();
        }

        @Override
        public long[] latentShape() {
            return latentShape.clone();
        }

        /** A few human-readable lines (the CLI prints them). */
        public List<String> lines() {
            VQConfig c = source.config();
            List<String> out = new ArrayList<>();
            out.add("kind: " + VQ_CLASS);
            out.add("weights: " + source.weightsFile() + " (" + (source.layout() == Layout.LDM ? "LDM/CompVis" : "diffusers")
                    + " names)");
            out.add("config: " + source.configFile());
            out.add("block_out_channels: " + c.blockOutChannels() + ", layers_per_block: " + c.layersPerBlock()
                    + ", norm_num_groups: " + c.normNumGroups());
            out.add("channels: " + c.inChannels() + " in, " + c.outChannels() + " out, latent " + c.latentChannels());
            out.add("codebook: num_vq_embeddings " + c.numVqEmbeddings() + ", vq_embed_dim " + c.vqEmbedDim());
            out.add("scaling_factor: " + c.scalingFactor());
            out.add(String.format(java.util.Locale.ROOT, "parameters: %,d", parameterCount));
            out.add("downsampling factor f: " + c.downFactor());
            out.add("latent for " + imageSize + "×" + imageSize + ": " + latentShape[0] + "×" + latentShape[1] + "×"
                    + latentShape[2]);
            return out;
        }
    }

    /** Config, parameter count, codebook, f and the latent shape of a VQ model, without loading tensors. */
    public static VqInfo vqInfo(Path path, int imageSize) throws IOException {
        return vqInfo(resolveVq(path), imageSize);
    }

    /** The same for a resolved VQ model. */
    public static VqInfo vqInfo(VqSource source, int imageSize) {
        VQConfig c = source.config();
        long params = new VQModel(c).parameterCount(); // builds the graph only; nothing allocated
        return new VqInfo(source, params, imageSize, c.latentShape(imageSize, imageSize));
    }

    /**
     * Saves a VQ model in diffusers' layout: {@code dir/config.json} (diffusers' VQModel keys) and
     * {@code dir/diffusion_pytorch_model.safetensors} (float32); the folder is created if needed.
     * {@code config} may differ from the model's in the scaling factor only.
     */
    public static void saveVq(VQModel model, VQConfig config, Path dir) throws IOException {
        VQConfig m = model.config();
        if (!new VQConfig(config.inChannels(), config.outChannels(), config.blockOutChannels(), config.layersPerBlock(),
                config.latentChannels(), config.normNumGroups(), config.sampleSize(), config.numVqEmbeddings(),
                config.vqEmbedDim(), m.scalingFactor(), config.midBlockAddAttention(), config.lookupFromCodebook(),
                config.forceUpcast()).equals(m)) {
            throw new IllegalArgumentException("the VQ config to save has another shape than the model: " + config);
        }
        Files.createDirectories(dir);
        UNetWeights.writeWeights(model, dir.resolve(DIFFUSERS_WEIGHTS), null);
        byte[] bytes = JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(diffusersVqConfig(config));
        WeightFiles.writeAtomically(dir.resolve(CONFIG), ch -> {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
        });
    }

    /** diffusers {@code VQModel} config for this shape (the keys {@link #fromVqConfig} reads). */
    public static ObjectNode diffusersVqConfig(VQConfig c) {
        ObjectNode n = encoderDecoderKeys(VQ_CLASS, c.blockOutChannels());
        n.put("force_upcast", c.forceUpcast());
        n.put("in_channels", c.inChannels());
        n.put("latent_channels", c.latentChannels());
        n.put("layers_per_block", c.layersPerBlock());
        n.put("lookup_from_codebook", c.lookupFromCodebook());
        n.put("mid_block_add_attention", c.midBlockAddAttention());
        n.put("norm_num_groups", c.normNumGroups());
        n.put("norm_type", "group");
        n.put("num_vq_embeddings", c.numVqEmbeddings());
        n.put("out_channels", c.outChannels());
        n.put("sample_size", c.sampleSize());
        n.put("scaling_factor", c.scalingFactor());
        n.put("vq_embed_dim", c.vqEmbedDim());
        return n;
    }

    /** Loads a diffusers {@code VQModel} (see {@link #resolveVq}), every parameter checked by name and shape. */
    public static VQModel loadVq(Path path, NDManager manager) throws IOException {
        VqSource source = resolveVq(path);
        VQModel model = new VQModel(source.config());
        model.loadStateDict(readFor(model, source.weightsFile()), manager);
        return model;
    }

    /**
     * Reads weights for a VQ model, as {@link #readFor(AutoencoderKL, Path)}: names in either layout
     * (the codebook is {@code quantize.embedding.weight} in both), every problem in one exception.
     */
    public static Map<String, float[]> readFor(VQModel model, Path file) throws IOException {
        VQConfig c = model.config();
        return readTensors(model, file, "VQ autoencoder", "config " + c.blockOutChannels() + " × " + c.layersPerBlock()
                + " layers, latent " + c.latentChannels() + ", codebook " + c.numVqEmbeddings() + "×" + c.vqEmbedDim());
    }

    private static Source inferred(Path file, Options opts) throws IOException {
        SafeTensors.Header header = SafeTensors.readHeader(file);
        Mapped mapped = new Mapped(shapesOf(header));
        String stored = header.metadata().get(CONFIG_METADATA_KEY);
        VaeConfig config;
        boolean inferred;
        if (stored != null) {
            JsonNode n;
            try {
                n = JSON.readTree(stored);
            } catch (IOException e) {
                throw new WeightFiles.WeightFileException(file, "metadata " + CONFIG_METADATA_KEY + " is not valid JSON", e);
            }
            config = fromDiffusersConfig(n, file);
            inferred = false;
        } else if (opts.config() != null) {
            config = readConfig(opts.config());
            inferred = false;
        } else {
            config = inferConfig(mapped.shapes, file,
                    opts.normNumGroups() != null ? opts.normNumGroups() : LDM_NORM_GROUPS);
            inferred = true;
        }
        return new Source(file, null, mapped.layout, opts.apply(config), inferred);
    }

    /**
     * Reads weights for {@code model} from a safetensors file in either layout, checking every name
     * and shape; all problems (missing, unexpected, wrongly shaped tensors) are reported in one
     * exception, under the file's own names.
     */
    public static Map<String, float[]> readFor(AutoencoderKL model, Path file) throws IOException {
        return readTensors(model, file, "autoencoder", "config " + model.config().blockOutChannels() + " × "
                + model.config().layersPerBlock() + " layers, latent " + model.config().latentChannels());
    }

    /** The shared check-and-read of {@link #readFor}: {@code what} and {@code shape} only word the message. */
    private static Map<String, float[]> readTensors(Module model, Path file, String what, String shape)
            throws IOException {
        WeightFiles.checkNotPickle(file);
        SafeTensors.Contents contents = SafeTensors.read(file);
        Map<String, long[]> fileShapes = new LinkedHashMap<>();
        for (TensorData t : contents.tensors().values()) {
            fileShapes.put(t.name(), t.shape());
        }
        Mapped mapped = new Mapped(fileShapes);
        Map<String, Module.Param> params = model.namedParameters();
        Map<String, float[]> values = new LinkedHashMap<>();
        List<String> unexpected = new ArrayList<>(mapped.duplicates);
        List<String> wrongShape = new ArrayList<>();
        List<String> badShapeNames = new ArrayList<>();
        for (Map.Entry<String, String> e : mapped.fileNames.entrySet()) {
            String name = e.getKey();
            String fileName = e.getValue();
            Module.Param p = params.get(name);
            if (p == null) {
                unexpected.add(fileName);
                continue;
            }
            long[] want = p.shape().getShape();
            long[] got = mapped.shapes.get(name);
            if (!Arrays.equals(want, got) && !(isAttentionLinearWeight(name) && Arrays.equals(want, squeezeTrailingOnes(got, want.length)))) {
                wrongShape.add(fileName + " " + Arrays.toString(got) + " (expected " + Arrays.toString(want) + ")");
                badShapeNames.add(name);
                continue;
            }
            values.put(name, contents.finiteValues(fileName));
        }
        List<String> missing = new ArrayList<>();
        for (String name : params.keySet()) {
            if (!values.containsKey(name) && !badShapeNames.contains(name)) {
                missing.add(mapped.fileNameFor(name));
            }
        }
        if (!missing.isEmpty() || !unexpected.isEmpty() || !wrongShape.isEmpty()) {
            StringBuilder sb = new StringBuilder("the weights do not fit the ").append(what).append(" (")
                    .append(mapped.layout == Layout.LDM ? "LDM/CompVis" : "diffusers").append(" names, ")
                    .append(shape).append("):");
            WeightFiles.appendList(sb, "missing", missing);
            WeightFiles.appendList(sb, "unexpected", unexpected);
            WeightFiles.appendList(sb, "wrong shape", wrongShape);
            throw new WeightFiles.WeightFileException(file, sb.toString());
        }
        return values;
    }

    private static long[] squeezeTrailingOnes(long[] shape, int rank) {
        int n = shape.length;
        while (n > rank && shape[n - 1] == 1) {
            n--;
        }
        return Arrays.copyOf(shape, n);
    }

    /** Loads an autoencoder from a diffusers folder or a single file (see the class comment). */
    public static AutoencoderKL load(Path path, NDManager manager) throws IOException {
        return load(path, manager, Options.DEFAULTS);
    }

    /** Loads with overrides of the scaling factor or the norm groups. */
    public static AutoencoderKL load(Path path, NDManager manager, Options options) throws IOException {
        Source source = resolve(path, options);
        return load(source, manager);
    }

    /** Loads what {@link #resolve} found. */
    public static AutoencoderKL load(Source source, NDManager manager) throws IOException {
        AutoencoderKL model = new AutoencoderKL(source.config());
        Map<String, float[]> values = readFor(model, source.weightsFile());
        model.loadStateDict(values, manager);
        return model;
    }

    // ------------------------------------------------------------------------------------------
    // Writing

    /**
     * Saves in diffusers' layout: {@code dir/config.json} and {@code
     * dir/diffusion_pytorch_model.safetensors} (float32), each written atomically; the folder is
     * created if needed. diffusers opens it with {@code AutoencoderKL.from_pretrained(dir)}.
     */
    public static void save(AutoencoderKL model, Path dir) throws IOException {
        save(model, model.config(), dir, null);
    }

    /**
     * The same with another config written beside the weights (e.g. a measured scaling factor; the
     * shape must be the model's) and {@code metadata} in the safetensors header (may be null).
     */
    public static void save(AutoencoderKL model, VaeConfig config, Path dir, Map<String, String> metadata)
            throws IOException {
        if (!config.withScalingFactor(model.config().scalingFactor()).equals(model.config())) {
            throw new IllegalArgumentException("the config to save has another shape than the model: " + config);
        }
        Files.createDirectories(dir);
        UNetWeights.writeWeights(model, dir.resolve(DIFFUSERS_WEIGHTS), metadata);
        writeConfig(config, dir);
    }

    /**
     * Saves one safetensors file in the original LDM layout (what {@code vae-ft-mse-840000-ema-pruned
     * .safetensors} looks like: attention weights as (C, C, 1, 1) convs), with the diffusers config
     * in the metadata so the studio reads the exact config back.
     */
    public static void saveSingleFile(AutoencoderKL model, Path file) throws IOException {
        Map<String, SafeTensors.Source> src = new LinkedHashMap<>();
        int levels = model.config().levels();
        for (Map.Entry<String, Module.Param> e : model.namedParameters().entrySet()) {
            Module.Param p = e.getValue();
            long[] shape = p.shape().getShape();
            if (isAttentionLinearWeight(e.getKey())) {
                shape = new long[] {shape[0], shape[1], 1, 1};
            }
            src.put(toLdmName(e.getKey(), levels), new SafeTensors.Source(shape, () -> p.array().toFloatArray()));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put(CONFIG_METADATA_KEY, JSON.writeValueAsString(diffusersConfig(model.config())));
        SafeTensors.write(file, src, meta, "F32");
    }

    // ------------------------------------------------------------------------------------------
    // Info

    /** Config, parameter count, f and the latent shape for {@code imageSize}, without loading tensors. */
    public static Info info(Path path, int imageSize, Options options) throws IOException {
        Source source = resolve(path, options);
        return info(source, source.config(), imageSize);
    }

    /** The same for resolved weights. */
    public static Info info(Source source, int imageSize) {
        return info(source, source.config(), imageSize);
    }

    /** The same for a config alone. */
    public static Info info(VaeConfig config, int imageSize) {
        return info(null, config, imageSize);
    }

    private static Info info(Source source, VaeConfig config, int imageSize) {
        long params = new AutoencoderKL(config).parameterCount(); // builds the graph only; nothing allocated
        return new Info(source, config, params, config.downFactor(), imageSize, config.latentShape(imageSize));
    }
}

package io.ldmstudio.weights;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ldmstudio.nn.AutoencoderKL;
import io.ldmstudio.nn.Module;
import io.ldmstudio.nn.VaeConfig;
import io.ldmstudio.util.Rng;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class VaeWeightsTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** Two levels (f = 2), one resnet per encoder level, 8 norm groups: groups a single file cannot show. */
    static VaeConfig small() {
        return VaeConfig.of(3, 3, List.of(32, 64), 1, 4, 8, 16);
    }

    static AutoencoderKL randomModel(NDManager m, VaeConfig c, long seed) {
        AutoencoderKL vae = new AutoencoderKL(c);
        vae.initialize(m, new Rng(seed), false);
        return vae;
    }

    /** Decoded fixed latents followed by encoded latents of a fixed image: what a loaded model must reproduce. */
    static float[] outputs(AutoencoderKL vae, NDManager m) {
        try (NDManager sm = m.newSubManager()) {
            VaeConfig c = vae.config();
            NDArray z = sm.create(new Rng(42).gaussians(c.latentChannels() * 64), new Shape(1, c.latentChannels(), 8, 8));
            NDArray x = sm.create(new Rng(43).gaussians(3 * 16 * 16), new Shape(1, 3, 16, 16)).clip(-1, 1);
            return vae.decodeLatents(z).concat(vae.decode(vae.encodeLatents(x)), 2).toFloatArray();
        }
    }

    static void assertSameModel(AutoencoderKL expected, AutoencoderKL actual, NDManager m) {
        assertEquals(expected.config(), actual.config());
        Map<String, float[]> a = expected.stateDict();
        Map<String, float[]> b = actual.stateDict();
        assertEquals(a.keySet(), b.keySet());
        for (String k : a.keySet()) {
            assertArrayEquals(a.get(k), b.get(k), 0f, k);
        }
        float[] e = outputs(expected, m);
        float[] g = outputs(actual, m);
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], g[i], 1e-6 * Math.max(1, Math.abs(e[i])), "output " + i);
        }
    }

    /** Writes the model in the LDM single-file layout, as the CompVis code names it, without config metadata. */
    static void writeLdmFile(AutoencoderKL vae, Path file, String prefix, Map<String, SafeTensors.Source> extra)
            throws IOException {
        Map<String, SafeTensors.Source> src = new LinkedHashMap<>();
        int levels = vae.config().levels();
        for (Map.Entry<String, Module.Param> e : vae.namedParameters().entrySet()) {
            long[] shape = e.getValue().shape().getShape();
            String name = VaeWeights.toLdmName(e.getKey(), levels);
            if (name.contains(".attn_1.") && !name.contains(".norm.") && name.endsWith(".weight")) {
                shape = new long[] {shape[0], shape[1], 1, 1}; // LDM's q/k/v/proj_out are 1×1 convs
            }
            src.put(prefix + name, SafeTensors.Source.of(e.getValue().array().toFloatArray(), shape));
        }
        src.putAll(extra);
        SafeTensors.write(file, src, Map.of("format", "pt"), "F32");
    }

    /**
     * The tensors of LDM's {@code Encoder}/{@code Decoder} ({@code ldm/modules/diffusionmodules/model.py})
     * for ch = channels[0], ch_mult = channels/ch, written out from that code's structure.
     */
    static Map<String, long[]> ldmTensors(List<Integer> channels, int numResBlocks, int z, int in, int out) {
        Map<String, long[]> t = new LinkedHashMap<>();
        int levels = channels.size();
        conv(t, "encoder.conv_in", channels.get(0), in, 3);
        int blockIn = channels.get(0);
        for (int i = 0; i < levels; i++) {
            int blockOut = channels.get(i);
            for (int j = 0; j < numResBlocks; j++) {
                resnet(t, "encoder.down." + i + ".block." + j, blockIn, blockOut);
                blockIn = blockOut;
            }
            if (i != levels - 1) {
                conv(t, "encoder.down." + i + ".downsample.conv", blockIn, blockIn, 3);
            }
        }
        mid(t, "encoder.mid", blockIn);
        norm(t, "encoder.norm_out", blockIn);
        conv(t, "encoder.conv_out", 2 * z, blockIn, 3);
        conv(t, "quant_conv", 2 * z, 2 * z, 1);
        conv(t, "post_quant_conv", z, z, 1);
        blockIn = channels.get(levels - 1);
        conv(t, "decoder.conv_in", blockIn, z, 3);
        mid(t, "decoder.mid", blockIn);
        for (int i = levels - 1; i >= 0; i--) {
            int blockOut = channels.get(i);
            for (int j = 0; j < numResBlocks + 1; j++) {
                resnet(t, "decoder.up." + i + ".block." + j, blockIn, blockOut);
                blockIn = blockOut;
            }
            if (i != 0) {
                conv(t, "decoder.up." + i + ".upsample.conv", blockIn, blockIn, 3);
            }
        }
        norm(t, "decoder.norm_out", blockIn);
        conv(t, "decoder.conv_out", out, blockIn, 3);
        return t;
    }

    private static void conv(Map<String, long[]> t, String name, int out, int in, int k) {
        t.put(name + ".weight", new long[] {out, in, k, k});
        t.put(name + ".bias", new long[] {out});
    }

    private static void norm(Map<String, long[]> t, String name, int c) {
        t.put(name + ".weight", new long[] {c});
        t.put(name + ".bias", new long[] {c});
    }

    private static void resnet(Map<String, long[]> t, String name, int in, int out) {
        norm(t, name + ".norm1", in);
        conv(t, name + ".conv1", out, in, 3);
        norm(t, name + ".norm2", out);
        conv(t, name + ".conv2", out, out, 3);
        if (in != out) {
            conv(t, name + ".nin_shortcut", out, in, 1);
        }
    }

    private static void mid(Map<String, long[]> t, String name, int c) {
        resnet(t, name + ".block_1", c, c);
        norm(t, name + ".attn_1.norm", c);
        for (String p : List.of("q", "k", "v", "proj_out")) {
            conv(t, name + ".attn_1." + p, c, c, 1);
        }
        resnet(t, name + ".block_2", c, c);
    }

    // ------------------------------------------------------------------------------------------

    @Test
    void ldmNamesOfTheSdVaeMapOneToOneOntoTheDiffusersModel() throws IOException {
        VaeConfig sd = VaeConfig.sdVaeFtMse();
        Map<String, Module.Param> params = new AutoencoderKL(sd).namedParameters();
        Map<String, long[]> ldm = ldmTensors(List.of(128, 256, 512, 512), 2, 4, 3, 3);
        assertEquals(params.size(), ldm.size());
        long count = 0;
        for (Map.Entry<String, long[]> e : ldm.entrySet()) {
            String name = VaeWeights.fromLdmName(e.getKey(), 4);
            Module.Param p = params.get(name);
            assertTrue(p != null, e.getKey() + " → " + name + " is no parameter");
            long[] want = p.shape().getShape();
            long[] got = e.getValue();
            if (got.length == 4 && want.length == 2) {
                assertTrue(name.contains(".attentions.0.to_"), name);
                got = new long[] {got[0], got[1]};
            }
            assertArrayEquals(want, got, e.getKey() + " → " + name);
            assertEquals(e.getKey(), VaeWeights.toLdmName(name, 4));
            count += p.shape().size();
        }
        assertEquals(83_653_863L, count);
        // the config comes back from the shapes alone, also inside a full SD checkpoint
        Map<String, long[]> full = new LinkedHashMap<>();
        ldm.forEach((k, v) -> full.put(VaeWeights.LDM_PREFIX + k, v));
        full.put("model.diffusion_model.input_blocks.0.0.weight", new long[] {320, 4, 3, 3});
        full.put("cond_stage_model.transformer.text_model.embeddings.position_ids", new long[] {1, 77});
        for (Map<String, long[]> names : List.of(ldm, full)) {
            VaeWeights.Mapped mapped = new VaeWeights.Mapped(names);
            assertEquals(VaeWeights.Layout.LDM, mapped.layout);
            assertEquals(sd, VaeWeights.inferConfig(mapped.shapes, tmp.resolve("x.safetensors")));
        }
    }

    @Test
    void knownNamesOfTheOriginalCheckpointMapAsDiffusersConvertsThem() {
        Map<String, String> pairs = Map.ofEntries(
                Map.entry("encoder.down.0.block.0.norm1.weight", "encoder.down_blocks.0.resnets.0.norm1.weight"),
                Map.entry("encoder.down.1.block.0.nin_shortcut.weight", "encoder.down_blocks.1.resnets.0.conv_shortcut.weight"),
                Map.entry("encoder.down.2.downsample.conv.bias", "encoder.down_blocks.2.downsamplers.0.conv.bias"),
                Map.entry("encoder.mid.block_1.conv1.weight", "encoder.mid_block.resnets.0.conv1.weight"),
                Map.entry("encoder.mid.attn_1.norm.bias", "encoder.mid_block.attentions.0.group_norm.bias"),
                Map.entry("encoder.mid.attn_1.q.weight", "encoder.mid_block.attentions.0.to_q.weight"),
                Map.entry("encoder.mid.attn_1.proj_out.weight", "encoder.mid_block.attentions.0.to_out.0.weight"),
                Map.entry("encoder.norm_out.weight", "encoder.conv_norm_out.weight"),
                Map.entry("decoder.mid.block_2.norm2.weight", "decoder.mid_block.resnets.1.norm2.weight"),
                Map.entry("decoder.up.3.block.2.conv2.weight", "decoder.up_blocks.0.resnets.2.conv2.weight"),
                Map.entry("decoder.up.0.block.0.nin_shortcut.bias", "decoder.up_blocks.3.resnets.0.conv_shortcut.bias"),
                Map.entry("decoder.up.1.upsample.conv.weight", "decoder.up_blocks.2.upsamplers.0.conv.weight"),
                Map.entry("decoder.norm_out.bias", "decoder.conv_norm_out.bias"),
                Map.entry("decoder.conv_in.weight", "decoder.conv_in.weight"),
                Map.entry("quant_conv.weight", "quant_conv.weight"),
                Map.entry("post_quant_conv.bias", "post_quant_conv.bias"));
        pairs.forEach((ldm, diffusers) -> {
            assertEquals(diffusers, VaeWeights.fromLdmName(ldm, 4), ldm);
            assertEquals(ldm, VaeWeights.toLdmName(diffusers, 4), diffusers);
        });
    }

    @Test
    void savedDiffusersFolderLoadsBackToTheSameModel() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKL vae = randomModel(m, small(), 1);
            Path dir = tmp.resolve("my-vae");
            VaeWeights.save(vae, dir);
            try (Stream<Path> files = Files.list(dir)) {
                assertEquals(List.of("config.json", "diffusion_pytorch_model.safetensors"),
                        files.map(p -> p.getFileName().toString()).sorted().toList());
            }
            JsonNode cfg = JSON.readTree(dir.resolve("config.json").toFile());
            assertEquals("AutoencoderKL", cfg.get("_class_name").asText());
            assertEquals("[32,64]", cfg.get("block_out_channels").toString());
            assertEquals("[\"DownEncoderBlock2D\",\"DownEncoderBlock2D\"]", cfg.get("down_block_types").toString());
            assertEquals("[\"UpDecoderBlock2D\",\"UpDecoderBlock2D\"]", cfg.get("up_block_types").toString());
            assertEquals(1, cfg.get("layers_per_block").asInt());
            assertEquals(4, cfg.get("latent_channels").asInt());
            assertEquals(8, cfg.get("norm_num_groups").asInt());
            assertEquals(0.18215, cfg.get("scaling_factor").asDouble());
            assertTrue(cfg.get("shift_factor").isNull());
            assertEquals("silu", cfg.get("act_fn").asText());
            SafeTensors.Header h = SafeTensors.readHeader(dir.resolve(VaeWeights.DIFFUSERS_WEIGHTS));
            assertEquals(vae.namedParameters().keySet(), h.tensors().keySet());
            assertTrue(h.tensors().values().stream().allMatch(t -> t.dtype().equals("F32")));

            assertSameModel(vae, VaeWeights.load(dir, m), m);
            // the weights file itself, with config.json beside it, and model.safetensors
            assertSameModel(vae, VaeWeights.load(dir.resolve(VaeWeights.DIFFUSERS_WEIGHTS), m), m);
            Files.move(dir.resolve(VaeWeights.DIFFUSERS_WEIGHTS), dir.resolve(VaeWeights.MODEL_WEIGHTS));
            assertSameModel(vae, VaeWeights.load(dir, m), m);
        }
    }

    @Test
    void aPipelineFolderIsOpenedThroughItsVaeSubfolder() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKL vae = randomModel(m, small(), 2);
            VaeWeights.save(vae, tmp.resolve("pipeline").resolve("vae"));
            Files.writeString(tmp.resolve("pipeline").resolve("model_index.json"), "{}");
            assertSameModel(vae, VaeWeights.load(tmp.resolve("pipeline"), m), m);
        }
    }

    @Test
    void singleFileInTheLdmLayoutLoadsBackToTheSameModel() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKL vae = randomModel(m, small(), 3);
            Path file = tmp.resolve("vae-ldm.safetensors");
            writeLdmFile(vae, file, "", Map.of());
            SafeTensors.Header h = SafeTensors.readHeader(file);
            Map<String, long[]> expected = ldmTensors(List.of(32, 64), 1, 4, 3, 3);
            assertEquals(expected.keySet(), h.tensors().keySet());
            expected.forEach((k, v) -> assertArrayEquals(v, h.tensors().get(k).shape(), k));

            // a real single file has no config: groups are LDM's 32 unless told
            VaeWeights.Source s = VaeWeights.resolve(file, VaeWeights.Options.DEFAULTS);
            assertEquals(VaeWeights.Layout.LDM, s.layout());
            assertTrue(s.configInferred());
            VaeConfig inferred = s.config();
            assertEquals(List.of(32, 64), inferred.blockOutChannels());
            assertEquals(1, inferred.layersPerBlock());
            assertEquals(4, inferred.latentChannels());
            assertEquals(3, inferred.inChannels());
            assertEquals(3, inferred.outChannels());
            assertEquals(32, inferred.normNumGroups());
            assertEquals(0.18215, inferred.scalingFactor());
            assertTrue(inferred.useQuantConv() && inferred.usePostQuantConv() && inferred.midBlockAddAttention());
            AutoencoderKL loaded = VaeWeights.load(file, m, new VaeWeights.Options(null, 8));
            assertSameModel(vae, rebuiltWithSampleSize(loaded, m), m);
        }
    }

    /** Single files do not record sample_size (informational); compare everything else. */
    private static AutoencoderKL rebuiltWithSampleSize(AutoencoderKL loaded, NDManager m) {
        VaeConfig c = loaded.config();
        VaeConfig same = new VaeConfig(c.inChannels(), c.outChannels(), c.blockOutChannels(), c.layersPerBlock(),
                c.latentChannels(), c.normNumGroups(), small().sampleSize(), c.scalingFactor(), c.shiftFactor(),
                c.forceUpcast(), c.useQuantConv(), c.usePostQuantConv(), c.midBlockAddAttention());
        AutoencoderKL out = new AutoencoderKL(same);
        out.loadStateDict(loaded.stateDict(), m);
        return out;
    }

    @Test
    void aFullStableDiffusionCheckpointYieldsItsFirstStageModel() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKL vae = randomModel(m, small(), 4);
            Path file = tmp.resolve("sd-full.safetensors");
            Map<String, SafeTensors.Source> extra = new LinkedHashMap<>();
            extra.put("model.diffusion_model.x", SafeTensors.Source.of(new float[] {1, 2, 3}, 3));
            extra.put("model.diffusion_model.input_blocks.0.0.weight", SafeTensors.Source.of(new float[8], 2, 4));
            extra.put("cond_stage_model.transformer.y", SafeTensors.Source.of(new float[] {5}, 1));
            extra.put("model_ema.decay", SafeTensors.Source.of(new float[] {0.9999f}));
            writeLdmFile(vae, file, VaeWeights.LDM_PREFIX, extra);
            AutoencoderKL loaded = VaeWeights.load(file, m, new VaeWeights.Options(0.18215, 8));
            assertSameModel(vae, rebuiltWithSampleSize(loaded, m), m);
            // an LDM autoencoder training checkpoint carries its loss network: ignored as well
            Path withLoss = tmp.resolve("kl-f8.safetensors");
            writeLdmFile(vae, withLoss, "", Map.of("loss.logvar", SafeTensors.Source.of(new float[] {0f}),
                    "loss.discriminator.main.0.weight", SafeTensors.Source.of(new float[16], 1, 1, 4, 4)));
            assertSameModel(vae, rebuiltWithSampleSize(VaeWeights.load(withLoss, m, new VaeWeights.Options(null, 8)), m), m);
        }
    }

    @Test
    void studioSingleFilesCarryTheirConfigAndScalingOverrides() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            VaeConfig c = new VaeConfig(3, 3, List.of(32, 64), 1, 4, 8, 16, 0.5, 0.25, false, true, true, true);
            AutoencoderKL vae = randomModel(m, c, 5);
            Path file = tmp.resolve("studio-vae.safetensors");
            VaeWeights.saveSingleFile(vae, file);
            assertTrue(SafeTensors.readHeader(file).tensors().containsKey("decoder.up.0.block.0.nin_shortcut.weight"));
            assertArrayEquals(new long[] {64, 64, 1, 1},
                    SafeTensors.readHeader(file).tensors().get("encoder.mid.attn_1.q.weight").shape());
            VaeWeights.Source s = VaeWeights.resolve(file, null);
            assertFalse(s.configInferred());
            assertEquals(c, s.config());
            assertSameModel(vae, VaeWeights.load(file, m), m);
            AutoencoderKL rescaled = VaeWeights.load(file, m, VaeWeights.Options.scalingFactor(0.13025));
            assertEquals(0.13025, rescaled.config().scalingFactor());
        }
    }

    @Test
    void olderDiffusersAttentionNamesAndHalfPrecisionLoad() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKL vae = randomModel(m, small(), 6);
            Path dir = tmp.resolve("old");
            VaeWeights.save(vae, dir);
            Path file = dir.resolve(VaeWeights.DIFFUSERS_WEIGHTS);
            Map<String, SafeTensors.Source> renamed = new LinkedHashMap<>();
            for (TensorData t : SafeTensors.read(file).tensors().values()) {
                String name = t.name().replace(".to_q.", ".query.").replace(".to_k.", ".key.")
                        .replace(".to_v.", ".value.").replace(".to_out.0.", ".proj_attn.");
                renamed.put(name, SafeTensors.Source.of(t.toFloatArray(), t.shape()));
            }
            assertTrue(renamed.containsKey("encoder.mid_block.attentions.0.proj_attn.weight"));
            SafeTensors.write(file, renamed, Map.of(), "F32");
            assertSameModel(vae, VaeWeights.load(dir, m), m);

            SafeTensors.write(file, renamed, Map.of(), "F16");
            AutoencoderKL half = VaeWeights.load(dir, m);
            float[] want = vae.namedParameters().get("decoder.conv_out.weight").array().toFloatArray();
            float[] got = half.namedParameters().get("decoder.conv_out.weight").array().toFloatArray();
            for (int i = 0; i < want.length; i++) {
                assertEquals(Half.halfToFloat(Half.floatToHalf(want[i])), got[i], 0f);
            }
        }
    }

    @Test
    void missingUnexpectedAndWronglyShapedTensorsAreReportedTogether() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKL vae = randomModel(m, small(), 7);
            Path dir = tmp.resolve("broken");
            VaeWeights.save(vae, dir);
            Path file = dir.resolve(VaeWeights.DIFFUSERS_WEIGHTS);
            Map<String, SafeTensors.Source> src = new LinkedHashMap<>();
            for (TensorData t : SafeTensors.read(file).tensors().values()) {
                src.put(t.name(), SafeTensors.Source.of(t.toFloatArray(), t.shape()));
            }
            src.remove("decoder.up_blocks.0.resnets.1.conv2.weight");
            src.put("encoder.extra_layer.weight", SafeTensors.Source.of(new float[] {1, 2}, 2));
            src.put("decoder.conv_out.bias", SafeTensors.Source.of(new float[4], 4));
            SafeTensors.write(file, src, Map.of(), "F32");
            WeightFiles.WeightFileException e = assertThrows(WeightFiles.WeightFileException.class,
                    () -> VaeWeights.load(dir, m));
            String msg = e.getMessage();
            assertTrue(msg.contains("missing (1): decoder.up_blocks.0.resnets.1.conv2.weight"), msg);
            assertTrue(msg.contains("unexpected (1): encoder.extra_layer.weight"), msg);
            assertTrue(msg.contains("wrong shape (1): decoder.conv_out.bias [4] (expected [3])"), msg);
            assertEquals(file, e.file());

            // in an LDM file the problems are named as the file names them
            Path ldm = tmp.resolve("broken-ldm.safetensors");
            Map<String, SafeTensors.Source> extra = new LinkedHashMap<>();
            extra.put("model.diffusion_model.x", SafeTensors.Source.of(new float[] {1}, 1));
            writeLdmFile(vae, ldm, VaeWeights.LDM_PREFIX, extra);
            Map<String, SafeTensors.Source> cut = new LinkedHashMap<>();
            for (TensorData t : SafeTensors.read(ldm).tensors().values()) {
                cut.put(t.name(), SafeTensors.Source.of(t.toFloatArray(), t.shape()));
            }
            cut.remove("first_stage_model.decoder.up.1.block.0.conv1.weight");
            cut.put("first_stage_model.encoder.mid.attn_1.q.weight", SafeTensors.Source.of(new float[64 * 32], 64, 32, 1, 1));
            SafeTensors.write(ldm, cut, Map.of(), "F32");
            String ldmMsg = assertThrows(WeightFiles.WeightFileException.class,
                    () -> VaeWeights.load(ldm, m, new VaeWeights.Options(null, 8))).getMessage();
            assertTrue(ldmMsg.contains("missing (1): first_stage_model.decoder.up.1.block.0.conv1.weight"), ldmMsg);
            assertTrue(ldmMsg.contains("wrong shape (1): first_stage_model.encoder.mid.attn_1.q.weight [64, 32, 1, 1]"), ldmMsg);
            assertFalse(ldmMsg.contains("model.diffusion_model.x"), ldmMsg);
        }
    }

    @Test
    void pickleCheckpointsAreRefusedWithTheConversionHint() throws IOException {
        Path ckpt = Files.write(tmp.resolve("vae-ft-mse-840000-ema-pruned.ckpt"), new byte[] {'P', 'K', 3, 4, 0, 0});
        try (NDManager m = NDManager.newBaseManager()) {
            WeightFiles.WeightFileException e = assertThrows(WeightFiles.WeightFileException.class,
                    () -> VaeWeights.load(ckpt, m));
            assertTrue(e.getMessage().contains("pickle"), e.getMessage());
            assertTrue(e.getMessage().contains(WeightFiles.CONVERSION_HINT), e.getMessage());
            Path dir = Files.createDirectories(tmp.resolve("old-diffusers"));
            Files.writeString(dir.resolve("config.json"), "{\"_class_name\": \"AutoencoderKL\"}");
            Files.write(dir.resolve("diffusion_pytorch_model.bin"), new byte[] {(byte) 0x80, 2, (byte) 0x8a, 0x0a});
            String msg = assertThrows(WeightFiles.WeightFileException.class, () -> VaeWeights.load(dir, m)).getMessage();
            assertTrue(msg.contains("diffusion_pytorch_model.bin") && msg.contains(WeightFiles.CONVERSION_HINT), msg);
        }
    }

    @Test
    void theSdVaeFtMseConfigJsonReadsAsTheReferenceConfig() throws IOException {
        String json = """
                {
                  "_class_name": "AutoencoderKL",
                  "_diffusers_version": "0.4.2",
                  "act_fn": "silu",
                  "block_out_channels": [128, 256, 512, 512],
                  "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D", "DownEncoderBlock2D"],
                  "in_channels": 3,
                  "latent_channels": 4,
                  "layers_per_block": 2,
                  "norm_num_groups": 32,
                  "out_channels": 3,
                  "sample_size": 256,
                  "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D", "UpDecoderBlock2D"]
                }""";
        Path f = tmp.resolve("config.json");
        VaeConfig c = VaeWeights.fromDiffusersConfig(JSON.readTree(json), f);
        assertEquals(VaeConfig.sdVaeFtMse(), c);
        assertNull(c.shiftFactor());
        // written and read back, including the optional fields
        VaeConfig odd = new VaeConfig(3, 3, List.of(128, 256), 1, 16, 32, 512, 1.5305, 0.0609, false, false, false, false);
        assertEquals(odd, VaeWeights.fromDiffusersConfig(VaeWeights.diffusersConfig(odd), f));

        for (String[] bad : new String[][] {
                {"\"_class_name\": \"UNet2DModel\"", "_class_name"},
                {"\"down_block_types\": [\"AttnDownBlock2D\"]", "AttnDownBlock2D"},
                {"\"act_fn\": \"relu\"", "act_fn"},
                {"\"block_out_channels\": [64, 100], \"norm_num_groups\": 32", "100"},
                {"\"layers_per_block\": \"two\"", "layers_per_block"}}) {
            JsonNode n = JSON.readTree("{" + bad[0] + "}");
            WeightFiles.WeightFileException e = assertThrows(WeightFiles.WeightFileException.class,
                    () -> VaeWeights.fromDiffusersConfig(n, f), bad[0]);
            assertTrue(e.getMessage().contains(bad[1]) && e.getMessage().contains(f.toString()), e.getMessage());
        }
    }

    @Test
    void infoGivesConfigParameterCountFactorAndLatentShape() throws IOException {
        VaeWeights.Info sd = VaeWeights.info(VaeConfig.sdVaeFtMse(), 512);
        assertEquals(83_653_863L, sd.parameterCount());
        assertEquals(8, sd.downFactor());
        assertArrayEquals(new long[] {4, 64, 64}, sd.latentShape());
        assertTrue(sd.lines().contains("parameters: 83,653,863"), sd.lines().toString());
        assertTrue(sd.lines().contains("latent for 512×512: 4×64×64"), sd.lines().toString());
        assertThrows(IllegalArgumentException.class, () -> VaeWeights.info(VaeConfig.sdVaeFtMse(), 100));
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKL vae = randomModel(m, small(), 8);
            Path file = tmp.resolve("info-ldm.safetensors");
            writeLdmFile(vae, file, VaeWeights.LDM_PREFIX, Map.of());
            VaeWeights.Info info = VaeWeights.info(file, 32, new VaeWeights.Options(null, 8));
            assertEquals(vae.parameterCount(), info.parameterCount());
            assertEquals(2, info.downFactor());
            assertArrayEquals(new long[] {4, 16, 16}, info.latentShape());
            assertEquals(VaeWeights.Layout.LDM, info.source().layout());
            assertTrue(info.source().configInferred());
            assertTrue(info.lines().get(1).contains("inferred"), info.lines().toString());

            // LDM's 32 groups do not divide 16 or 48 channels: the message names the options that say otherwise
            AutoencoderKL narrow = randomModel(m, VaeConfig.of(3, 3, List.of(16, 48), 1, 4, 8, 16), 3);
            Path narrowFile = tmp.resolve("info-ldm-narrow.safetensors");
            writeLdmFile(narrow, narrowFile, VaeWeights.LDM_PREFIX, Map.of());
            String groups = assertThrows(WeightFiles.WeightFileException.class,
                    () -> VaeWeights.info(narrowFile, 32, VaeWeights.Options.DEFAULTS)).getMessage();
            assertTrue(groups.contains("32 norm groups") && groups.contains("--norm-groups N")
                    && groups.contains("--config FILE"), groups);
            assertEquals(narrow.parameterCount(),
                    VaeWeights.info(narrowFile, 32, new VaeWeights.Options(null, 8)).parameterCount());
            Path configDir = tmp.resolve("info-config");
            VaeWeights.save(narrow, configDir);
            VaeWeights.Info withConfig = VaeWeights.info(narrowFile, 32, new VaeWeights.Options(null, null, configDir));
            assertEquals(narrow.parameterCount(), withConfig.parameterCount());
            assertEquals(8, withConfig.source().config().normNumGroups());
            assertFalse(withConfig.source().configInferred(), "the given config, not an inferred one");
        }
        Path notVae = tmp.resolve("unet.safetensors");
        SafeTensors.write(notVae, Map.of("down_blocks.0.resnets.0.conv1.weight", SafeTensors.Source.of(new float[1], 1, 1, 1, 1)),
                Map.of(), "F32");
        String msg = assertThrows(WeightFiles.WeightFileException.class,
                () -> VaeWeights.info(notVae, 256, null)).getMessage();
        assertTrue(msg.contains("no KL-autoencoder tensors") && msg.contains("down_blocks.0.resnets.0.conv1.weight"), msg);
    }

    @Test
    void saveRefusesAConfigOfAnotherShapeThanTheModel() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKL model = randomModel(m, small(), 4);
            assertThrows(IllegalArgumentException.class, () -> VaeWeights.save(model,
                    VaeConfig.of(3, 3, List.of(8, 8), 1, 4, 8, 16), tmp.resolve("other"), null));
        }
    }
}

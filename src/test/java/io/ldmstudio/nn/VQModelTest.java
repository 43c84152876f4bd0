package io.ldmstudio.nn;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ldmstudio.weights.SafeTensors;
import io.ldmstudio.weights.TensorData;
import io.ldmstudio.weights.VaeWeights;
import io.ldmstudio.weights.WeightFiles;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * diffusers' {@code VQModel} against golden outputs of a PyTorch program of the same classes
 * ({@code src/test/python/vq_reference.py}, which says how to regenerate {@code
 * src/test/resources/golden/vq/}): a tiny model (block_out_channels [8, 16], one resnet per level,
 * 3 latent channels, 16 codebook entries of which the batch uses 12, 4 norm groups) with seeded random
 * weights, two 16×16 images.
 *
 * <p>Tolerance: both sides compute in float32 with different kernels (oneDNN here, PyTorch's own
 * there), so results agree to float32 rounding noise, not bit for bit. The reference measured the
 * same program's float32-against-float64 error at 4.9e-7 (h, |h| ≤ 1.05) and 2.4e-6 / 2.9e-6 (the
 * two decodes, |x̂| ≤ 1.5), i.e. ≈1e-6 relative; {@link #TOL} = 1e-4
 * relative to max(1, |expected|) leaves two orders of magnitude for the difference of two float32
 * implementations and still fails on any real error (a wrong eps, a swapped affine, a missing
 * residual are ≥ 1e-2). The script draws the codebook until nearest and second-nearest squared
 * distances are ≥ 1e-3 of mean |h|² apart for every latent vector (6.9e-4 against 0.31), far above that
 * noise, so the indices must match exactly.
 */
class VQModelTest {
    static final double TOL = 1e-4;
    private static final ObjectMapper JSON = new ObjectMapper();

    private static Path golden;
    private static Map<String, TensorData> io;

    @TempDir
    Path tmp;

    @BeforeAll
    static void readFixtures() throws IOException, URISyntaxException {
        java.net.URL url = VQModelTest.class.getResource("/golden/vq/config.json");
        if (url == null) {
            return; // only the tests that need the fixtures fail, naming them
        }
        golden = Path.of(url.toURI()).getParent();
        io = SafeTensors.read(golden.resolve("io.safetensors")).tensors();
    }

    static NDArray ref(NDManager m, String name) {
        TensorData t = io.get(name);
        return SafeTensors.toNDArray(m, t);
    }

    /** max |expected − actual| / max(1, |expected|), after checking the shapes agree. */
    static double maxRelDiff(NDArray expected, NDArray actual) {
        assertEquals(expected.getShape(), actual.getShape());
        float[] e = expected.toFloatArray();
        float[] a = actual.toFloatArray();
        double worst = 0;
        for (int i = 0; i < e.length; i++) {
            worst = Math.max(worst, Math.abs(e[i] - a[i]) / Math.max(1, Math.abs(e[i])));
        }
        return worst;
    }

    static void assertClose(String what, NDArray expected, NDArray actual, double tol) {
        double d = maxRelDiff(expected, actual);
        System.err.printf("VQModel golden %s: max diff %.3e%n", what, d);
        assertTrue(d <= tol, what + ": max difference " + d + " > " + tol);
    }

    /** A VQ model whose codebook vectors are wider than its latents: the denoiser sees vq_embed_dim channels. */
    @Test
    void itsLatentsHaveTheCodebooksWidth() {
        VQConfig c = new VQConfig(3, 3, List.of(8, 16), 1, 3, 4, 16, 8, 5, 1.0, true, false, false);
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            VQModel vq = new VQModel(c);
            vq.initialize(m, new io.ldmstudio.util.Rng(3), false);
            LatentAutoencoder ae = vq;
            assertEquals(5, ae.latentChannels());
            ai.djl.ndarray.NDArray z = ae.encodeLatents(m.randomNormal(new ai.djl.ndarray.types.Shape(2, 3, 16, 16)));
            assertEquals(new ai.djl.ndarray.types.Shape(2, 5, 8, 8), z.getShape());
            assertEquals(new ai.djl.ndarray.types.Shape(2, 3, 16, 16), ae.decodeLatents(z).getShape());
        }
    }

    @Test
    void encodeQuantizeAndDecodeMatchPyTorch() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            VQModel vq = VaeWeights.loadVq(golden, m);
            assertEquals(16, vq.config().numVqEmbeddings());
            assertEquals(3, vq.config().vqEmbedDim());
            NDArray x = ref(m, "x");
            NDArray h = vq.encode(x);
            assertClose("encode h", ref(m, "h"), h, TOL);

            // quantise the reference latents, so this part is checked apart from the encoder
            VQModel.Quantized q = vq.quantize(ref(m, "h"));
            assertArrayEquals(io.get("indices").toLongArray(), q.indices().toLongArray(), "codebook indices");
            assertEquals(new Shape(2, 8, 8), q.indices().getShape());
            assertEquals(DataType.INT64, q.indices().getDataType());
            assertClose("quantized z_q", ref(m, "z_q"), q.quantized(), TOL);
            assertClose("commit_loss", ref(m, "commit_loss"), q.commitLoss().reshape(1), TOL);
            // and the Java latents choose the same entries
            assertArrayEquals(io.get("indices").toLongArray(), vq.quantize(h).indices().toLongArray());

            assertClose("decode(h)", ref(m, "dec"), vq.decode(ref(m, "h")), TOL);
            assertClose("decode(h, force_not_quantize)", ref(m, "dec_nq"), vq.decode(ref(m, "h"), true), TOL);
            assertClose("forward(x)", ref(m, "dec"), vq.forward(x), TOL);
            // diffusers' lookup_from_codebook path: entries straight from the indices
            assertClose("decodeIndices", ref(m, "dec"), vq.decodeIndices(q.indices()), TOL);
        }
    }

    @Test
    void quantizeChoosesTheNearestEntryAndPassesStraightThrough() {
        VQConfig c = VQConfig.of(3, 3, List.of(8, 16), 1, 3, 4, 8, 32);
        try (NDManager m = NDManager.newBaseManager()) {
            VQModel vq = new VQModel(c);
            vq.initialize(m, new io.ldmstudio.util.Rng(7), false);
            float[] book = vq.namedParameters().get("quantize.embedding.weight").array().toFloatArray();
            for (float v : book) {
                assertTrue(Math.abs(v) <= 1f / 32, "diffusers' U(-1/K, 1/K) init, got " + v);
            }
            book = new io.ldmstudio.util.Rng(8).gaussians(32 * 3);
            vq.namedParameters().get("quantize.embedding.weight").set(m.create(book, new Shape(32, 3)));
            float[] hv = new io.ldmstudio.util.Rng(9).gaussians(2 * 3 * 4 * 5);
            NDArray h = m.create(hv, new Shape(2, 3, 4, 5));
            VQModel.Quantized q = vq.quantize(h);
            long[] idx = q.indices().toLongArray();
            float[] zq = q.quantized().toFloatArray();
            double loss = 0;
            for (int b = 0; b < 2; b++) {
                for (int y = 0; y < 4; y++) {
                    for (int x = 0; x < 5; x++) {
                        int best = -1;
                        double bestD = Double.POSITIVE_INFINITY;
                        for (int k = 0; k < 32; k++) {
                            double d = 0;
                            for (int ch = 0; ch < 3; ch++) {
                                double diff = hv[((b * 3 + ch) * 4 + y) * 5 + x] - book[k * 3 + ch];
                                d += diff * diff;
                            }
                            if (d < bestD) {
                                bestD = d;
                                best = k;
                            }
                        }
                        loss += bestD;
                        assertEquals(best, idx[(b * 4 + y) * 5 + x], "position " + b + "," + y + "," + x);
                        for (int ch = 0; ch < 3; ch++) {
                            int at = ((b * 3 + ch) * 4 + y) * 5 + x;
                            float straightThrough = hv[at] + (book[best * 3 + ch] - hv[at]);
                            assertEquals(straightThrough, zq[at], 0f);
                        }
                    }
                }
            }
            assertEquals(1.25 * loss / (2 * 3 * 4 * 5), q.commitLoss().getFloat(), 1e-5);
            assertClose("decodeIndices vs decode", vq.decode(h), vq.decodeIndices(q.indices()), 1e-5);
            assertThrows(IllegalArgumentException.class, () -> vq.decode(m.zeros(new Shape(1, 4, 2, 2))));
        }
    }

    @Test
    void codebookUsageCountsTheChosenEntries() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            VQModel vq = VaeWeights.loadVq(golden, m);
            VQModel.Quantized q = vq.quantize(vq.encode(ref(m, "x")));
            VQModel.CodebookUsage usage = vq.codebookUsage(q.indices());
            long[] idx = io.get("indices").toLongArray();
            assertEquals(16, usage.size());
            assertEquals(idx.length, usage.total());
            assertEquals(java.util.Arrays.stream(idx).distinct().count(), usage.used());
            for (int k = 0; k < 16; k++) {
                final int entry = k;
                assertEquals(java.util.Arrays.stream(idx).filter(i -> i == entry).count(), usage.counts()[k]);
            }
            assertEquals(2 * idx.length, usage.plus(usage).total());
            assertThrows(IllegalArgumentException.class, () -> vq.codebookUsage(m.create(new long[] {16})));
        }
    }

    @Test
    void theSameInputTwiceGivesBitIdenticalOutputs() throws IOException {
        try (NDManager m = NDManager.newBaseManager()) {
            VQModel vq = VaeWeights.loadVq(golden, m);
            float[][] first = run(vq, m);
            float[][] second = run(vq, m);
            for (int i = 0; i < first.length; i++) {
                assertArrayEquals(first[i], second[i], "output " + i);
            }
        }
    }

    private static float[][] run(VQModel vq, NDManager m) {
        try (NDManager sm = m.newSubManager()) {
            NDArray h = vq.encode(ref(sm, "x"));
            VQModel.Quantized q = vq.quantize(h);
            float[] idx = q.indices().toType(DataType.FLOAT32, false).toFloatArray();
            return new float[][] {h.toFloatArray(), q.quantized().toFloatArray(), idx, vq.decode(h).toFloatArray(),
                    vq.decode(h, true).toFloatArray()};
        }
    }

    @Test
    void aPassInASubManagerLeavesNothingInTheModelsManager() throws IOException {
        try (NDManager m = NDManager.newBaseManager(); NDManager weights = m.newSubManager()) {
            VQModel vq = VaeWeights.loadVq(golden, weights);
            run(vq, m); // GroupNorm caches its ones/zeros per shape in the model's manager on the first pass
            int before = weights.getManagedArrays().size();
            run(vq, m);
            try (NDManager sm = m.newSubManager()) {
                vq.decodeIndices(vq.quantize(vq.encode(ref(sm, "x"))).indices());
            }
            assertEquals(before, weights.getManagedArrays().size());
        }
    }

    @Test
    void missingAndUnexpectedTensorsAreNamedInOneMessage() throws IOException {
        Path dir = copyGolden();
        Path file = dir.resolve(VaeWeights.DIFFUSERS_WEIGHTS);
        Map<String, TensorData> tensors = new LinkedHashMap<>(SafeTensors.read(file).tensors());
        tensors.remove("quantize.embedding.weight");
        tensors.remove("decoder.conv_out.bias");
        tensors.put("quantize.extra.weight", TensorData.ofFloats("quantize.extra.weight", new long[] {2}, new float[2]));
        Files.delete(file);
        SafeTensors.writeTensors(file, rename(tensors), Map.of("format", "pt"));
        try (NDManager m = NDManager.newBaseManager()) {
            WeightFiles.WeightFileException e = assertThrows(WeightFiles.WeightFileException.class,
                    () -> VaeWeights.loadVq(dir, m));
            String msg = e.getMessage();
            assertTrue(msg.contains("VQ autoencoder"), msg);
            assertTrue(msg.contains("missing (2): "), msg);
            assertTrue(msg.contains("quantize.embedding.weight"), msg);
            assertTrue(msg.contains("decoder.conv_out.bias"), msg);
            assertTrue(msg.contains("unexpected (1): quantize.extra.weight"), msg);
            assertTrue(msg.startsWith(file.toString()), msg);
        }
    }

    @Test
    void aWrongClassNameIsAnErrorNamingTheConfigFile() throws IOException {
        Path dir = copyGolden();
        Path cfg = dir.resolve(VaeWeights.CONFIG);
        ObjectNode n = (ObjectNode) JSON.readTree(cfg.toFile());
        n.put("_class_name", "AutoencoderKL");
        JSON.writeValue(cfg.toFile(), n);
        try (NDManager m = NDManager.newBaseManager()) {
            WeightFiles.WeightFileException e = assertThrows(WeightFiles.WeightFileException.class,
                    () -> VaeWeights.loadVq(dir, m));
            assertEquals(cfg, e.file());
            assertTrue(e.getMessage().contains("_class_name is AutoencoderKL"), e.getMessage());
            assertTrue(e.getMessage().contains("VQModel expected"), e.getMessage());
            // and the KL loader, handed the VQ folder, says what it is
            WeightFiles.WeightFileException kl = assertThrows(WeightFiles.WeightFileException.class,
                    () -> VaeWeights.load(golden, m));
            assertTrue(kl.getMessage().contains("_class_name is VQModel"), kl.getMessage());
            assertTrue(kl.getMessage().contains("load it as a VQModel"), kl.getMessage());
        }
    }

    @Test
    void spatialNormIsRefusedWithAMessage() throws IOException {
        Path dir = copyGolden();
        Path cfg = dir.resolve(VaeWeights.CONFIG);
        ObjectNode n = (ObjectNode) JSON.readTree(cfg.toFile());
        n.put("norm_type", "spatial");
        JSON.writeValue(cfg.toFile(), n);
        WeightFiles.WeightFileException e = assertThrows(WeightFiles.WeightFileException.class,
                () -> VaeWeights.readVqConfig(dir));
        assertTrue(e.getMessage().contains("norm_type spatial is not supported"), e.getMessage());
    }

    @Test
    void halfPrecisionWeightsLoad() throws IOException {
        Path dir = copyGolden();
        Path file = dir.resolve(VaeWeights.DIFFUSERS_WEIGHTS);
        Map<String, SafeTensors.Source> src = new LinkedHashMap<>();
        for (TensorData t : SafeTensors.read(file).tensors().values()) {
            src.put(t.name(), SafeTensors.Source.of(t));
        }
        Files.delete(file);
        SafeTensors.write(file, src, Map.of("format", "pt"), "F16");
        Map<String, TensorData> half = SafeTensors.read(file).tensors();
        assertEquals("F16", half.get("quantize.embedding.weight").dtype());
        try (NDManager m = NDManager.newBaseManager()) {
            VQModel vq = VaeWeights.loadVq(dir, m);
            for (Map.Entry<String, float[]> e : vq.stateDict().entrySet()) {
                assertArrayEquals(half.get(e.getKey()).toFloatArray(), e.getValue(), e.getKey());
            }
            // weights rounded to 11 bits: the reconstruction stays within half precision's error
            assertClose("decode(h) with F16 weights", ref(m, "dec_nq"), vq.decode(ref(m, "h"), true), 2e-2);
        }
    }

    @Test
    void celebaHqConfigGivesF4AndTheReferenceParameterCount() throws IOException {
        // CompVis/ldm-celebahq-256 vqvae/config.json (its shape fields; the rest take diffusers' defaults)
        Path cfg = tmp.resolve("config.json");
        Files.writeString(cfg, "{\"_class_name\": \"VQModel\", \"_diffusers_version\": \"0.0.4\", \"act_fn\": \"silu\","
                + " \"block_out_channels\": [128, 256, 512], \"down_block_types\": [\"DownEncoderBlock2D\","
                + " \"DownEncoderBlock2D\", \"DownEncoderBlock2D\"], \"in_channels\": 3, \"latent_channels\": 3,"
                + " \"layers_per_block\": 2, \"num_vq_embeddings\": 8192, \"out_channels\": 3, \"sample_size\": 256,"
                + " \"up_block_types\": [\"UpDecoderBlock2D\", \"UpDecoderBlock2D\", \"UpDecoderBlock2D\"]}");
        VQConfig c = VaeWeights.readVqConfig(cfg);
        assertEquals(VQConfig.celebaHq256(), c);
        VQModel vq = new VQModel(c); // no weights allocated
        assertEquals(4, vq.downFactor());
        assertArrayEquals(new long[] {3, 64, 64}, c.latentShape(256, 256));
        assertEquals(CELEBAHQ_PARAMETERS, vq.parameterCount());
        assertEquals(new Shape(8192, 3), vq.namedParameters().get("quantize.embedding.weight").shape());
    }

    /** What vq_reference.py prints for its CELEBAHQ config (a PyTorch module count, not the studio's). */
    static final long CELEBAHQ_PARAMETERS = 55_322_782L;

    private Path copyGolden() throws IOException {
        Path dir = tmp.resolve("vq");
        Files.createDirectories(dir);
        for (String f : List.of(VaeWeights.CONFIG, VaeWeights.DIFFUSERS_WEIGHTS)) {
            Files.copy(golden.resolve(f), dir.resolve(f));
        }
        return dir;
    }

    private static List<TensorData> rename(Map<String, TensorData> tensors) {
        List<TensorData> out = new ArrayList<>();
        for (Map.Entry<String, TensorData> e : tensors.entrySet()) {
            TensorData t = e.getValue();
            out.add(new TensorData(e.getKey(), t.dtype(), t.shape(), t.bytes()));
        }
        return out;
    }
}

package io.ldmstudio.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.ldmstudio.config.ConfigOverrides;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.nn.AutoencoderKL;
import io.ldmstudio.nn.LatentAutoencoder;
import io.ldmstudio.nn.VQConfig;
import io.ldmstudio.nn.VQModel;
import io.ldmstudio.nn.VaeConfig;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.util.Rng;
import io.ldmstudio.weights.UNetWeights;
import io.ldmstudio.weights.VaeWeights;
import io.ldmstudio.weights.WeightFiles;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every kind of path the studio opens as an autoencoder goes through {@link Autoencoders}: diffusers
 * AutoencoderKL and VQModel folders, pipeline folders holding {@code vae/} or {@code vqvae/}, single
 * .safetensors files (config beside, in the metadata, or inferred) and studio autoencoder run folders.
 */
class AutoencodersTest {
    /** The golden VQModel: 16 px RGB, f = 2, 3 latent channels (vq_embed_dim null: 3), K = 16. */
    static final Path GOLDEN_VQ = Path.of("src/test/resources/golden/vq");

    @TempDir
    Path tmp;

    /** Two levels (f = 2), 4 latent channels, 8 norm groups. */
    static VaeConfig kl() {
        return VaeConfig.of(3, 3, List.of(32, 64), 1, 4, 8, 16);
    }

    static AutoencoderKL randomKl(NDManager m, VaeConfig c) {
        AutoencoderKL vae = new AutoencoderKL(c);
        vae.initialize(m, new Rng(1), false);
        return vae;
    }

    private static void assertKind(Autoencoders.Source s, String kind, int f, int latentChannels, double scale) {
        assertEquals(kind, s.kind());
        assertEquals(kind.equals(VaeWeights.VQ_CLASS), s.isVq());
        assertEquals(f, s.downFactor());
        assertEquals(latentChannels, s.latentChannels());
        assertEquals(3, s.inChannels());
        assertEquals(3, s.imageChannels());
        assertEquals(scale, s.scalingFactor());
        assertEquals(latentChannels, s.latentShape(16, 16)[0]);
        assertEquals(16 / f, s.latentShape(16, 16)[1]);
    }

    /** Loads {@code path} with {@code override} and checks the model against what resolve said. */
    private static void assertLoads(Path path, Double override, Class<?> type, NDManager m) throws Exception {
        Autoencoders.Source s = Autoencoders.resolve(path, override);
        try (LatentAutoencoder model = Autoencoders.load(path, override, m)) {
            assertInstanceOf(type, model);
            assertEquals(s.kind(), model.kind());
            assertEquals(s.downFactor(), model.downFactor());
            assertEquals(s.latentChannels(), model.latentChannels());
            assertEquals(s.imageChannels(), model.imageChannels());
            assertEquals(s.scalingFactor(), model.scalingFactor());
        }
    }

    @Test
    void aDiffusersKlFolderItsWeightsFileAndAPipelineFolderWithVae() throws Exception {
        Path dir = tmp.resolve("kl");
        Path pipeline = tmp.resolve("pipe");
        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKL vae = randomKl(m, kl());
            VaeWeights.save(vae, dir);
            VaeWeights.save(vae, pipeline.resolve("vae"));

            Autoencoders.Source s = Autoencoders.resolve(dir, (Double) null);
            assertKind(s, VaeWeights.KL_CLASS, 2, 4, VaeConfig.SD_SCALING_FACTOR);
            assertEquals(dir.resolve(VaeWeights.DIFFUSERS_WEIGHTS), s.weightsFile());
            assertEquals(dir.resolve(VaeWeights.CONFIG), s.configFile());
            assertEquals(VaeWeights.Layout.DIFFUSERS, s.layout());
            assertFalse(s.configInferred());
            assertEquals(dir, s.path());
            assertEquals(vae.parameterCount(), s.parameterCount());

            assertKind(Autoencoders.resolve(dir, 0.5), VaeWeights.KL_CLASS, 2, 4, 0.5);
            Autoencoders.Source file = Autoencoders.resolve(dir.resolve(VaeWeights.DIFFUSERS_WEIGHTS), (Double) null);
            assertKind(file, VaeWeights.KL_CLASS, 2, 4, VaeConfig.SD_SCALING_FACTOR);
            assertEquals(dir.resolve(VaeWeights.CONFIG), file.configFile());
            Autoencoders.Source pipe = Autoencoders.resolve(pipeline, 0.25);
            assertKind(pipe, VaeWeights.KL_CLASS, 2, 4, 0.25);
            assertEquals(pipeline.resolve("vae").resolve(VaeWeights.DIFFUSERS_WEIGHTS), pipe.weightsFile());

            assertLoads(dir, null, AutoencoderKL.class, m);
            assertLoads(dir, 0.5, AutoencoderKL.class, m);
            assertLoads(pipeline, 0.25, AutoencoderKL.class, m);
        }
    }

    @Test
    void singleSafetensorsFilesWithTheirConfigInTheMetadataOrInferred() throws Exception {
        Path withMetadata = tmp.resolve("ldm.safetensors");
        Path bare = tmp.resolve("bare.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            VaeWeights.saveSingleFile(randomKl(m, kl()), withMetadata);
            // 32 groups: what a config inferred from tensor shapes takes
            UNetWeights.writeWeights(randomKl(m, VaeConfig.of(3, 3, List.of(32, 64), 1, 4, 32, 16)), bare, null);

            Autoencoders.Source s = Autoencoders.resolve(withMetadata, (Double) null);
            assertKind(s, VaeWeights.KL_CLASS, 2, 4, VaeConfig.SD_SCALING_FACTOR);
            assertEquals(VaeWeights.Layout.LDM, s.layout());
            assertNull(s.configFile());
            assertFalse(s.configInferred(), "the config in the file's metadata");
            assertEquals(8, s.backbone().normNumGroups());

            Autoencoders.Source inferred = Autoencoders.resolve(bare, 0.13025);
            assertKind(inferred, VaeWeights.KL_CLASS, 2, 4, 0.13025);
            assertTrue(inferred.configInferred());

            assertLoads(withMetadata, 0.5, AutoencoderKL.class, m);
            assertLoads(bare, null, AutoencoderKL.class, m);
        }
    }

    @Test
    void aVqModelFolderItsWeightsFileAndAPipelineFolderWithVqvae() throws Exception {
        Path pipeline = tmp.resolve("ldm");
        Files.createDirectories(pipeline.resolve("vqvae"));
        for (String f : new String[] {VaeWeights.CONFIG, VaeWeights.DIFFUSERS_WEIGHTS}) {
            Files.copy(GOLDEN_VQ.resolve(f), pipeline.resolve("vqvae").resolve(f));
        }
        Autoencoders.Source s = Autoencoders.resolve(GOLDEN_VQ, (Double) null);
        assertKind(s, VaeWeights.VQ_CLASS, 2, 3, 0.18215);
        assertEquals(GOLDEN_VQ.resolve(VaeWeights.CONFIG), s.configFile());
        assertEquals(16, s.vq().config().numVqEmbeddings());
        assertNull(s.kl());
        assertFalse(s.configInferred());

        assertKind(Autoencoders.resolve(GOLDEN_VQ, 0.5), VaeWeights.VQ_CLASS, 2, 3, 0.5);
        assertKind(Autoencoders.resolve(GOLDEN_VQ.resolve(VaeWeights.DIFFUSERS_WEIGHTS), (Double) null),
                VaeWeights.VQ_CLASS, 2, 3, 0.18215);
        Autoencoders.Source pipe = Autoencoders.resolve(pipeline, 0.5);
        assertKind(pipe, VaeWeights.VQ_CLASS, 2, 3, 0.5);
        assertEquals(pipeline.resolve("vqvae").resolve(VaeWeights.DIFFUSERS_WEIGHTS), pipe.weightsFile());

        try (NDManager m = NDManager.newBaseManager()) {
            assertLoads(GOLDEN_VQ, null, VQModel.class, m);
            assertLoads(pipeline, 0.5, VQModel.class, m);
        }
    }

    @Test
    void aVqModelsLatentsHaveItsVqEmbedDimChannels() throws Exception {
        VQConfig c = new VQConfig(3, 3, List.of(8, 16), 1, 3, 4, 16, 16, 5, 0.3, true, false, false);
        Path dir = tmp.resolve("vq5");
        try (NDManager m = NDManager.newBaseManager()) {
            VQModel vq = new VQModel(c);
            vq.initialize(m, new Rng(2), false);
            VaeWeights.saveVq(vq, c, dir);
            Autoencoders.Source s = Autoencoders.resolve(dir, (Double) null);
            assertKind(s, VaeWeights.VQ_CLASS, 2, 5, 0.3);
            assertEquals(3, s.backbone().latentChannels(), "the encoder's own latent_channels");
            assertArrayEquals(new long[] {5, 8, 8}, s.latentShape(16, 16));
            assertLoads(dir, 2.0, VQModel.class, m);
        }
    }

    @Test
    void aStudioAutoencoderRunFolderStandsForItsExportOrNewestCheckpoint() throws Exception {
        Workspace ws = new Workspace(tmp.resolve("ws"));
        RunConfig diffusion = RunConfig.defaults();
        Run unet = ws.create("unet", diffusion);
        var notVae = assertThrows(WeightFiles.WeightFileException.class,
                () -> Autoencoders.resolve(unet.dir(), (Double) null));
        assertTrue(notVae.getMessage().contains(unet.dir().toString()) && notVae.getMessage().contains("is a diffusion run")
                && notVae.getMessage().contains("vae train"), notVae.getMessage());

        RunConfig vaeTask = ConfigOverrides.apply(diffusion, List.of("task=autoencoder"));
        Run run = ws.create("vae", vaeTask);
        var empty = assertThrows(WeightFiles.WeightFileException.class,
                () -> Autoencoders.resolve(run.dir(), (Double) null));
        assertTrue(empty.getMessage().contains("without weights yet") && empty.getMessage().contains("resume vae"),
                empty.getMessage());

        try (NDManager m = NDManager.newBaseManager()) {
            AutoencoderKL model = randomKl(m, kl());
            // while it trains: the newest checkpoint (config.json + model.safetensors)
            run.saveCheckpoint(7, dir -> {
                VaeWeights.writeConfig(kl(), dir);
                UNetWeights.writeWeights(model, dir.resolve(VaeWeights.MODEL_WEIGHTS), null);
                Files.writeString(dir.resolve(Run.CHECKPOINT_STATE), "{}");
            });
            assertEquals(run.checkpointDir(7), Autoencoders.runWeights(run.dir()));
            Autoencoders.Source training = Autoencoders.resolve(run.dir(), (Double) null);
            assertEquals(run.checkpointDir(7).resolve(VaeWeights.MODEL_WEIGHTS), training.weightsFile());
            assertEquals(run.dir(), training.path());
            assertKind(training, VaeWeights.KL_CLASS, 2, 4, VaeConfig.SD_SCALING_FACTOR);

            // once finished: exports/vae, with the config written beside it (here another scaling factor)
            VaeWeights.save(model, kl().withScalingFactor(0.5), run.autoencoderExportDir(), Map.of("step", "9"));
            Autoencoders.Source source = Autoencoders.resolve(run.dir(), (Double) null);
            assertEquals(run.autoencoderExportDir().resolve(VaeWeights.DIFFUSERS_WEIGHTS), source.weightsFile());
            assertKind(source, VaeWeights.KL_CLASS, 2, 4, 0.5);
            assertKind(Autoencoders.resolve(run.dir(), 0.7), VaeWeights.KL_CLASS, 2, 4, 0.7);
            assertLoads(run.dir(), null, AutoencoderKL.class, m);
        }
    }

    @Test
    void aFolderThatIsNeitherIsRefusedNamingThePath() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        var e = assertThrows(WeightFiles.WeightFileException.class, () -> Autoencoders.resolve(empty, (Double) null));
        assertTrue(e.getMessage().contains(empty.toString()) && e.getMessage().contains("AutoencoderKL"), e.getMessage());

        Path unet = Files.createDirectories(tmp.resolve("unet"));
        Files.copy(GOLDEN_VQ.resolve(VaeWeights.DIFFUSERS_WEIGHTS), unet.resolve(VaeWeights.DIFFUSERS_WEIGHTS));
        Files.writeString(unet.resolve(VaeWeights.CONFIG), "{\"_class_name\": \"UNet2DModel\"}");
        var u = assertThrows(WeightFiles.WeightFileException.class, () -> Autoencoders.resolve(unet, (Double) null));
        assertTrue(u.getMessage().contains(unet.resolve(VaeWeights.CONFIG).toString())
                && u.getMessage().contains("UNet2DModel") && u.getMessage().contains("AutoencoderKL")
                && u.getMessage().contains("VQModel"), u.getMessage());

        Path missing = tmp.resolve("nothing.safetensors");
        var n = assertThrows(WeightFiles.WeightFileException.class, () -> Autoencoders.resolve(missing, (Double) null));
        assertTrue(n.getMessage().contains(missing.toString()) && n.getMessage().contains("not found"), n.getMessage());

        Path vqNoWeights = Files.createDirectories(tmp.resolve("vq-no-weights"));
        Files.copy(GOLDEN_VQ.resolve(VaeWeights.CONFIG), vqNoWeights.resolve(VaeWeights.CONFIG));
        var w = assertThrows(WeightFiles.WeightFileException.class,
                () -> Autoencoders.resolve(vqNoWeights, (Double) null));
        assertTrue(w.getMessage().contains(vqNoWeights.toString()) && w.getMessage().contains("VQModel folder is expected"),
                w.getMessage());
    }
}

package io.ldmstudio.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.data.ImageFolderSource;
import io.ldmstudio.data.Transform;
import io.ldmstudio.nn.GradMode;
import io.ldmstudio.nn.VQConfig;
import io.ldmstudio.nn.VQModel;
import io.ldmstudio.util.Rng;
import io.ldmstudio.weights.VaeWeights;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code vae info|recon|eval} with a diffusers VQModel folder (the golden fixture: 16 px RGB, f = 2, K = 16). */
class VaeCommandVqTest {
    static final Path GOLDEN = Path.of("src/test/resources/golden/vq");

    @TempDir
    Path tmp;

    /** vae bench times a VQModel as it times a KL autoencoder, and names its codebook. */
    @Test
    void vaeBenchTimesAVqModel() {
        CliTest.Outcome o = CliTest.run("vae", "bench", "--vae", GOLDEN.toString(), "--size", "16", "--encode-images", "8",
                "--batch", "4", "--decode-repeats", "2", "--device", "cpu", "--json");
        assertEquals(0, o.code(), o.err());
        assertTrue(o.out().contains("\"kind\":\"VQModel\"") && o.out().contains("\"codebook\":\"16x3\"")
                && o.out().contains("\"latent\":\"3x8x8\"") && o.out().contains("\"f\":2")
                && o.out().contains("\"encode_images\":8") && o.out().contains("\"decode_ms_median\""), o.out());
    }

    @Test
    void infoShowsTheKindTheCodebookFTheLatentShapeAndTheParameterCount() throws Exception {
        CliTest.Outcome info = CliTest.run("vae", "info", GOLDEN.toString(), "--size", "16");
        assertEquals(0, info.code(), info.err());
        long params = new VQModel(VaeWeights.readVqConfig(GOLDEN)).parameterCount();
        assertTrue(info.out().contains("kind: VQModel"), info.out());
        assertTrue(info.out().contains("codebook: num_vq_embeddings 16, vq_embed_dim 3"), info.out());
        assertTrue(info.out().contains("downsampling factor f: 2"), info.out());
        assertTrue(info.out().contains("latent for 16×16: 3×8×8"), info.out());
        assertTrue(info.out().contains(String.format(java.util.Locale.ROOT, "parameters: %,d", params)), info.out());

        // a pipeline folder's vqvae/
        Path pipe = tmp.resolve("pipe");
        copyGolden(pipe.resolve("vqvae"));
        Files.writeString(pipe.resolve("model_index.json"), "{\"_class_name\": \"LDMPipeline\", \"vqvae\": [\"diffusers\", \"VQModel\"]}");
        CliTest.Outcome p = CliTest.run("vae", "info", pipe.toString(), "--size", "32");
        assertEquals(0, p.code(), p.err());
        assertTrue(p.out().contains("kind: VQModel") && p.out().contains("latent for 32×32: 3×16×16"), p.out());
    }

    @Test
    void reconAndEvalWriteReconstructionsThePsnrTableAndTheCodebookUsage() throws Exception {
        Path images = images(tmp.resolve("images"));
        Path out = tmp.resolve("out");
        CliTest.Outcome r = CliTest.run("vae", "recon", "--vae", GOLDEN.toString(), "--images", images.toString(), "--out",
                out.toString(), "--size", "16", "--device", "cpu");
        assertEquals(0, r.code(), r.err());
        for (int i = 0; i < 3; i++) {
            assertEquals(16, ImageIO.read(out.resolve("img" + i + ".png").toFile()).getWidth());
        }
        BufferedImage grid = ImageIO.read(out.resolve("grid.png").toFile());
        assertEquals(3 * 16 + 4 * 2, grid.getWidth());
        assertTrue(r.out().contains("[3, 8, 8]"), r.out());
        assertTrue(r.out().toLowerCase().contains("psnr") && r.out().toLowerCase().contains("ssim"), r.out());

        int used = usedEntries(images);
        assertTrue(used >= 1 && used <= 16);
        assertEquals(used, usedIn(r.out(), 3, 3 * 64), r.out());

        CliTest.Outcome e = CliTest.run("vae", "eval", "--vae", GOLDEN.toString(), "--data-source", "folder",
                "--data-path", images.toString(), "--resolution", "16", "--channels", "3", "--device", "cpu");
        assertEquals(0, e.code(), e.err());
        assertTrue(e.out().contains("PSNR"), e.out());
        assertEquals(used, usedIn(e.out(), 3, 3 * 64), e.out());
    }

    @Test
    void aFolderThatIsNeitherAutoencoderNamesTheFileAndWhatWasExpected() throws Exception {
        Path unet = tmp.resolve("unet");
        copyGolden(unet);
        Files.writeString(unet.resolve("config.json"), "{\"_class_name\": \"UNet2DModel\"}");
        CliTest.Outcome o = CliTest.run("vae", "info", unet.toString());
        assertTrue(o.code() != 0);
        assertTrue(o.err().contains(unet.resolve("config.json").toString()) && o.err().contains("UNet2DModel")
                && o.err().contains("AutoencoderKL"), o.err());

        Path noWeights = tmp.resolve("vq-no-weights");
        Files.createDirectories(noWeights);
        Files.copy(GOLDEN.resolve("config.json"), noWeights.resolve("config.json"));
        CliTest.Outcome w = CliTest.run("vae", "recon", "--vae", noWeights.toString(), "--images",
                images(tmp.resolve("im")).toString(), "--out", tmp.resolve("o").toString(), "--device", "cpu");
        assertTrue(w.code() != 0);
        assertTrue(w.err().contains(noWeights.toString()) && w.err().contains("VQModel folder is expected"), w.err());
    }

    @Test
    void saveVqWritesAFolderThatReadsBackAsTheSameModel() throws Exception {
        VQConfig c = VQConfig.of(3, 3, List.of(8, 16), 1, 3, 4, 16, 32);
        Path dir = tmp.resolve("vq");
        try (NDManager m = NDManager.newBaseManager()) {
            VQModel vq = new VQModel(c);
            vq.initialize(m, new Rng(3), false);
            VaeWeights.saveVq(vq, c, dir);
            assertTrue(VaeWeights.isVq(dir));
            assertEquals(c, VaeWeights.readVqConfig(dir));
            VQModel back = VaeWeights.loadVq(dir, m);
            float[] a = vq.quantizer().namedParameters().values().iterator().next().array().toFloatArray();
            float[] b = back.quantizer().namedParameters().values().iterator().next().array().toFloatArray();
            assertTrue(java.util.Arrays.equals(a, b));
        }
        CliTest.Outcome info = CliTest.run("vae", "info", dir.toString(), "--size", "16");
        assertEquals(0, info.code(), info.err());
        assertTrue(info.out().contains("num_vq_embeddings 32"), info.out());
    }

    /** The number of codebook entries the images' latents choose, counted here from the indices. */
    private static int usedEntries(Path images) throws Exception {
        ImageFolderSource source = ImageFolderSource.open(images);
        Transform tf = new Transform(16, 3, true);
        Set<Long> seen = new HashSet<>();
        GradMode.disable();
        try (NDManager m = NDManager.newBaseManager()) {
            VQModel vq = VaeWeights.loadVq(GOLDEN, m);
            for (int i = 0; i < source.size(); i++) {
                NDArray x = m.create(tf.apply(source.pixels(i), false), new Shape(1, 3, 16, 16));
                for (long k : vq.quantize(vq.encode(x)).indices().toType(ai.djl.ndarray.types.DataType.INT64, false)
                        .toLongArray()) {
                    seen.add(k);
                }
            }
        }
        return seen.size();
    }

    private static int usedIn(String out, int images, int vectors) {
        Matcher mt = Pattern.compile("codebook usage: (\\d+) of 16 entries used \\([0-9.]+%\\) over (\\d+) images, (\\d+) "
                + "latent vectors").matcher(out);
        assertTrue(mt.find(), out);
        assertEquals(images, Integer.parseInt(mt.group(2)));
        assertEquals(vectors, Integer.parseInt(mt.group(3)));
        return Integer.parseInt(mt.group(1));
    }

    private static Path images(Path dir) throws Exception {
        Files.createDirectories(dir);
        Color[] colors = {Color.RED, Color.GREEN, Color.BLUE};
        for (int i = 0; i < 3; i++) {
            BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
            Graphics2D g = img.createGraphics();
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, 16, 16);
            g.setColor(colors[i]);
            g.fillOval(2 + i, 2, 10, 12);
            g.dispose();
            ImageIO.write(img, "png", dir.resolve("img" + i + ".png").toFile());
        }
        return dir;
    }

    private static void copyGolden(Path dir) throws Exception {
        Files.createDirectories(dir);
        Files.copy(GOLDEN.resolve("config.json"), dir.resolve("config.json"));
        Files.copy(GOLDEN.resolve(VaeWeights.DIFFUSERS_WEIGHTS), dir.resolve(VaeWeights.DIFFUSERS_WEIGHTS));
    }
}

package io.ldmstudio.service;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ldmstudio.config.RunConfig;
import io.ldmstudio.data.Pixels;
import io.ldmstudio.eval.FeatureExtractor;
import io.ldmstudio.eval.FeatureStats;
import io.ldmstudio.eval.FrechetDistance;
import io.ldmstudio.eval.KernelDistance;

import io.ldmstudio.weights.InceptionWeights;
import io.ldmstudio.weights.WeightFiles;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;
import java.util.function.IntFunction;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link FidEvaluation} with a small stand-in extractor (4 features from the pixels, so no 2048-d distance is
 * needed): the dataset statistics cache (written, reused, refused when made with other weights, readable by numpy),
 * pytorch-fid's folder reading, and degenerate inputs refused with a message naming the set or file. The whole FID
 * with the Inception network is {@link FidWholeGoldenTest}.
 */
class FidEvaluationTest {
    @TempDir
    Path tmp;

    /** Per image: the mean of each of the three channels and the mean of their squares; NaN rows when told. */
    static final class Stub implements FeatureExtractor {
        final AtomicInteger images = new AtomicInteger();
        String fingerprint = "stub:1";
        boolean nan;

        @Override
        public String name() {
            return "stub";
        }

        @Override
        public String fingerprint() {
            return fingerprint;
        }

        @Override
        public int dimension() {
            return 4;
        }

        @Override
        public double[][] features(int n, IntFunction<Pixels> image, IntConsumer progress) {
            double[][] out = new double[n][4];
            for (int i = 0; i < n; i++) {
                Pixels p = image.apply(i);
                images.incrementAndGet();
                int plane = p.width() * p.height();
                for (int c = 0; c < 3; c++) {
                    int src = p.channels() == 1 ? 0 : c;
                    for (int j = 0; j < plane; j++) {
                        float v = p.data()[src * plane + j];
                        out[i][c] += v / plane;
                        out[i][3] += v * v / (3.0 * plane);
                    }
                }
                if (nan && i == 1) {
                    out[i][2] = Double.NaN;
                }
            }
            if (progress != null) {
                progress.accept(n);
            }
            return out;
        }
    }

    static final FidEvaluation.Settings SETTINGS = new FidEvaluation.Settings(null, "ddim", 10, null, 0, null);

    static RunConfig.Data procedural() {
        return new RunConfig.Data("procedural", null, 32, 3, true, false, 0, 0);
    }

    static final class Lines implements FidEvaluation.Listener {
        final List<String> lines = new ArrayList<>();

        @Override
        public void progress(String what, int done, int total) {}

        @Override
        public void message(String line) {
            lines.add(line);
        }
    }

    /** {@code n} PNG files under {@code dir}, gray or RGB, each a flat colour of its own. */
    static Path folder(Path dir, int n, boolean gray) throws IOException {
        Files.createDirectories(dir);
        for (int i = 0; i < n; i++) {
            BufferedImage img = new BufferedImage(8, 8, gray ? BufferedImage.TYPE_BYTE_GRAY : BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < 8; y++) {
                for (int x = 0; x < 8; x++) {
                    int v = (37 * i + 5 * x + 3 * y) & 0xFF;
                    img.getRaster().setSample(x, y, 0, v);
                    if (!gray) {
                        img.getRaster().setSample(x, y, 1, (v * 7) & 0xFF);
                        img.getRaster().setSample(x, y, 2, 255 - v);
                    }
                }
            }
            ImageIO.write(img, "png", dir.resolve(String.format("img%02d.png", i)).toFile());
        }
        return dir;
    }

    @Test
    void aDatasetsStatisticsAreCachedWithTheirFeaturesAndReused() throws Exception {
        Stub ex = new Stub();
        RunConfig.Data d = procedural();
        FidEvaluation.RealDataset real = new FidEvaluation.RealDataset(d, "procedural");
        Lines first = new Lines();
        FidEvaluation.Side a = FidEvaluation.real(tmp, ex, real, 3, first);
        Path file = tmp.resolve("cache/fid/procedural-32px-stub-n3.npz");
        assertEquals(file, a.cacheFile());
        assertEquals(FidEvaluation.cacheFile(tmp, d, ex, 3), file);
        assertFalse(a.cacheReused());
        assertTrue(Files.isRegularFile(file) && Files.isRegularFile(tmp.resolve("cache/fid/procedural-32px-stub-n3.json")));
        assertTrue(first.lines.get(0).contains("cached the statistics of 3 held-out images in " + file), first.lines.toString());
        assertEquals(3, ex.images.get());

        // what the file holds is the statistics of the features that were computed, features included
        FeatureStats stored = FeatureStats.readNpz(file);
        double[][] rows = FeatureStats.readFeatures(file).orElseThrow();
        assertEquals(3, rows.length);
        assertArrayEquals(a.stats().mu(), stored.mu());
        assertArrayEquals(FeatureStats.of(rows).mu(), stored.mu(), 1e-15);
        for (int i = 0; i < 4; i++) {
            assertArrayEquals(a.stats().sigma()[i], stored.sigma()[i]);
            assertArrayEquals(a.features()[i % 3], rows[i % 3]);
        }

        Lines second = new Lines();
        FidEvaluation.Side b = FidEvaluation.real(tmp, ex, real, 3, second);
        assertTrue(b.cacheReused());
        assertEquals(3, ex.images.get(), "no image was featurised again");
        assertTrue(second.lines.get(0).contains("reusing the cached statistics " + file), second.lines.toString());
        assertArrayEquals(a.stats().mu(), b.stats().mu());
        assertArrayEquals(a.features()[2], b.features()[2]);

        ex.fingerprint = "stub:2"; // other weights: computed again
        Lines third = new Lines();
        FidEvaluation.Side c = FidEvaluation.real(tmp, ex, real, 3, third);
        assertFalse(c.cacheReused());
        assertEquals(6, ex.images.get());
        assertTrue(third.lines.get(0).contains("other weights (stub:1, now stub:2)"), third.lines.toString());

        // another N is another file
        FidEvaluation.Side four = FidEvaluation.real(tmp, ex, real, 4, new Lines());
        assertEquals(tmp.resolve("cache/fid/procedural-32px-stub-n4.npz"), four.cacheFile());
    }

    @Test
    void numpyReadsTheCacheFile() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        assumeTrue(Files.isExecutable(python), "no /usr/bin/python3");
        Stub ex = new Stub();
        FidEvaluation.Side a = FidEvaluation.real(tmp, ex, new FidEvaluation.RealDataset(procedural(), "procedural"),
                3, new Lines());
        Process p = new ProcessBuilder(python.toString(), "-c", "import numpy as np, sys\n"
                + "z = np.load(sys.argv[1])\n"
                + "f = z['features']\n"
                + "print(sorted(z.files), f.shape, z['mu'].dtype, repr(float(abs(np.cov(f, rowvar=False) - z['sigma']).max())),"
                + " repr(float(abs(f.mean(0) - z['mu']).max())))", a.cacheFile().toString())
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
        assumeTrue(p.waitFor() == 0 || !out.contains("No module named"), out);
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.startsWith("['features', 'mu', 'sigma'] (3, 4) float64"), out);
        String[] diffs = out.substring(out.indexOf("float64") + 8).split(" ");
        assertTrue(Double.parseDouble(diffs[0]) < 1e-15 && Double.parseDouble(diffs[1]) < 1e-15, out);
    }

    @Test
    void foldersAreReadAsPilsConvertRgbAndAStatsOnlyFileGivesNoKid() throws Exception {
        Stub ex = new Stub();
        Path gray = folder(tmp.resolve("gray/sub"), 3, true).getParent();
        Path rgb = folder(tmp.resolve("rgb"), 4, false);
        Files.writeString(rgb.resolve("notes.txt"), "not an image");

        Pixels p = FidEvaluation.loadRgb(gray.resolve("sub/img01.png"));
        assertEquals(3, p.channels(), "gray is replicated to RGB");
        assertEquals((37 + 5 + 3) / 255f, p.data()[9], 0f); // pixel (1, 1): the 8-bit sample as it is, / 255
        assertEquals(p.data()[9], p.data()[64 + 9], 0f);
        assertEquals(p.data()[9], p.data()[128 + 9], 0f);

        FidEvaluation.Result r = FidEvaluation.evaluate(tmp, ex, new FidEvaluation.RealFolder(gray),
                new FidEvaluation.FakeFolder(rgb), SETTINGS, null);
        assertEquals(3, r.real().images(), "found in the sub-folder");
        assertEquals(4, r.fake().images(), "the .txt is not an image");
        FeatureStats realStats = r.real().stats();
        double general = FrechetDistance.between(realStats, r.fake().stats()).value();
        // the low-rank route (4 images of 4 features) is exact; the general one resolves the product's zero eigenvalues
        // only to √(rounding) each (measured 1.3e-9 relative here)
        assertEquals(general, r.fid(), 1e-8 * general);
        assertEquals(KernelDistance.compute(r.real().features(), r.fake().features(), FidEvaluation.KID_SEED).mean(),
                r.kid().mean(), 0);
        assertTrue(r.fid() > 0.01, "two different sets: " + r.fid());

        Path stats = tmp.resolve("stats.npz");
        realStats.writeNpz(stats);
        FidEvaluation.Result s = FidEvaluation.evaluate(tmp, ex, new FidEvaluation.RealStats(stats),
                new FidEvaluation.FakeFolder(rgb), SETTINGS, null);
        assertEquals(r.fid(), s.fid(), 1e-12, "the same statistics from a file");
        assertNull(s.kid());
        assertTrue(s.kidNote().contains("KID needs the features of both sets") && s.kidNote().contains(stats.toString()),
                s.kidNote());

        FidEvaluation.Result two = FidEvaluation.evaluate(tmp, ex, new FidEvaluation.RealFolder(gray),
                new FidEvaluation.FakeFolder(rgb), new FidEvaluation.Settings(2, "ddim", 10, null, 0, null), null);
        assertEquals(2, two.real().images(), "--n takes the first images of a folder");
        assertNotNull(two.kid());
    }

    @Test
    void degenerateSetsAreRefusedNamingTheSet() throws Exception {
        Stub ex = new Stub();
        Path full = folder(tmp.resolve("full"), 3, false);
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Path one = folder(tmp.resolve("one"), 1, false);

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> FidEvaluation.evaluate(tmp,
                ex, new FidEvaluation.RealFolder(full), new FidEvaluation.FakeFolder(empty), SETTINGS, null));
        assertTrue(e.getMessage().contains("fake folder " + empty + " holds no images"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> FidEvaluation.evaluate(tmp, ex,
                new FidEvaluation.RealFolder(one), new FidEvaluation.FakeFolder(full), SETTINGS, null));
        assertTrue(e.getMessage().contains("real set (folder " + one + ") holds 1 image; a covariance needs at least 2"),
                e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> FidEvaluation.evaluate(tmp, ex,
                new FidEvaluation.RealFolder(full), new FidEvaluation.FakeFolder(full),
                new FidEvaluation.Settings(1, "ddim", 10, null, 0, null), null));
        assertTrue(e.getMessage().contains("--n 1: a covariance needs at least 2"), e.getMessage());

        e = assertThrows(IllegalArgumentException.class, () -> FidEvaluation.evaluate(tmp, ex,
                new FidEvaluation.RealFolder(tmp.resolve("nowhere")), new FidEvaluation.FakeFolder(full), SETTINGS,
                null));
        assertTrue(e.getMessage().contains("real folder " + tmp.resolve("nowhere") + " does not exist"), e.getMessage());

        ex.nan = true; // a run that diverged: NaN features
        e = assertThrows(IllegalArgumentException.class, () -> FidEvaluation.evaluate(tmp, ex,
                new FidEvaluation.RealFolder(full), new FidEvaluation.FakeFolder(full), SETTINGS, null));
        assertTrue(e.getMessage().startsWith("real set (folder " + full + ")"), e.getMessage());
        assertTrue(e.getMessage().contains("1 of 3 feature rows hold NaN"), e.getMessage());

        // statistics of another dimension
        Path stats = tmp.resolve("wide.npz");
        double[][] rows = new double[3][8];
        for (int i = 0; i < 3; i++) {
            rows[i][i] = 1;
        }
        FeatureStats.of(rows).writeNpz(stats);
        e = assertThrows(IllegalArgumentException.class, () -> FidEvaluation.evaluate(tmp, new Stub(),
                new FidEvaluation.RealStats(stats), new FidEvaluation.FakeFolder(full), SETTINGS, null));
        assertTrue(e.getMessage().contains("real statistics " + stats + " has 8-d statistics but fake set (folder "
                + full + ") has 4-d stub features"), e.getMessage());

        // a broken image file
        Path broken = tmp.resolve("broken");
        folder(broken, 2, false);
        Files.writeString(broken.resolve("img01.png"), "not a png at all");
        UncheckedIOException u = assertThrows(UncheckedIOException.class, () -> FidEvaluation.evaluate(tmp,
                new Stub(), new FidEvaluation.RealFolder(full), new FidEvaluation.FakeFolder(broken), SETTINGS, null));
        assertTrue(u.getCause().getMessage().startsWith(broken.resolve("img01.png") + ": not a readable image"),
                u.getCause().getMessage());
    }

    @Test
    void aMissingInceptionFileNamesThePathAndTheConversion() {
        WeightFiles.WeightFileException e = assertThrows(WeightFiles.WeightFileException.class,
                () -> InceptionFeatures.open(tmp, null));
        Path where = InceptionWeights.defaultFile(tmp);
        assertTrue(e.getMessage().startsWith(where + ": does not exist"), e.getMessage());
        assertTrue(e.getMessage().contains(InceptionWeights.CONVERTER) && e.getMessage().contains("README.md"),
                e.getMessage());
        assertTrue(e.getMessage().contains("--inception"), e.getMessage());

        Path given = tmp.resolve("elsewhere.safetensors");
        e = assertThrows(WeightFiles.WeightFileException.class, () -> InceptionFeatures.open(tmp, given));
        assertTrue(e.getMessage().startsWith(given + ": does not exist") && e.getMessage().contains("given with"
                + " --inception"), e.getMessage());
    }
}

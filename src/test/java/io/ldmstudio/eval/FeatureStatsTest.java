package io.ldmstudio.eval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.data.Npy;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** pytorch-fid's calculate_activation_statistics and its .npz files. */
class FeatureStatsTest {
    @TempDir
    Path tmp;

    @Test
    void meanAndCovarianceWithNMinusOne() {
        // x: 1, 3, 5 (variance 4); y: 2, 4, 0 (variance 4); covariance (−2·0 + 0·2 + 2·−2) / 2 = −2
        FeatureStats s = FeatureStats.of(new double[][] {{1, 2}, {3, 4}, {5, 0}});
        assertArrayEquals(new double[] {3, 2}, s.mu(), 1e-15);
        assertArrayEquals(new double[] {4, -2}, s.sigma()[0], 1e-15);
        assertArrayEquals(new double[] {-2, 4}, s.sigma()[1], 1e-15);
        FeatureStats f = FeatureStats.of(new float[] {1, 2, 3, 4, 5, 0}, 3, 2);
        assertArrayEquals(s.mu(), f.mu(), 0);
        assertArrayEquals(s.sigma()[1], f.sigma()[1], 0);
        assertEquals(2, f.dimension());
    }

    /** np.mean and np.cov(rowvar=False) of 20 rows of 64 features (fixture lowrank-act1 → lowrank-a). */
    @Test
    void agreesWithNumpyOnItsActivations() throws Exception {
        FeatureStats s = FeatureStats.of(FidGolden.rows(FidGolden.arrays("lowrank-act1").get("act")));
        FeatureStats numpy = FidGolden.stats("lowrank-a");
        assertEquals(64, s.dimension());
        assertArrayEquals(numpy.mu(), s.mu(), 1e-14);
        for (int i = 0; i < 64; i++) {
            assertArrayEquals(numpy.sigma()[i], s.sigma()[i], 1e-14);
        }
        assertEquals(0.0, s.sigma()[5][5], 0, "the dead (constant) feature has no variance");
    }

    @Test
    void degenerateFeaturesAreRefusedWithTheirCounts() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FeatureStats.of(new double[][] {{1, 2, 3}}));
        assertTrue(e.getMessage().contains("at least 2 feature rows") && e.getMessage().contains("1 was given"),
                e.getMessage());
        double[][] bad = new double[5][3];
        bad[1][2] = Double.NaN;
        bad[3][0] = Double.POSITIVE_INFINITY;
        bad[3][1] = Double.NaN;
        e = assertThrows(IllegalArgumentException.class, () -> FeatureStats.of(bad));
        assertTrue(e.getMessage().contains("2 of 5 feature rows hold NaN or infinite values")
                && e.getMessage().contains("row 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FeatureStats.of(new double[][] {{1, 2}, {3}}));
        assertTrue(e.getMessage().contains("row 1 has 1 features where row 0 has 2"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FeatureStats.of(new double[0][]));
        assertTrue(e.getMessage().contains("no feature rows"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> FeatureStats.of(new float[5], 2, 3));
        assertTrue(e.getMessage().contains("5 values are not 2 rows of 3"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new FeatureStats(new double[3], new double[][] {{1, 0}, {0, 1}}));
        assertTrue(e.getMessage().contains("expected 3×3"), e.getMessage());
    }

    @Test
    void readsNumpysNpzFloat64AndFloat32() throws Exception {
        FeatureStats d8 = FidGolden.stats("d8-a");
        assertEquals(8, d8.dimension());
        Map<String, Npy.Float64Array> raw = FidGolden.arrays("d8-a");
        assertArrayEquals(raw.get("mu").data(), d8.mu(), 0);
        assertArrayEquals(Arrays.copyOfRange(raw.get("sigma").data(), 8, 16), d8.sigma()[1], 0);
        assertTrue(d8.sigma()[3][3] > 0.1, "a covariance diagonal (random_cov adds 0.1·I)");

        FeatureStats f32 = FidGolden.stats("f32-a");
        assertEquals(8, f32.dimension());
        for (double v : f32.mu()) {
            assertEquals(v, (double) (float) v, 0, "float32 values widened exactly");
        }
    }

    /** What the studio writes reads back bit for bit, in the layout np.savez writes (mu.npy, sigma.npy, stored). */
    @Test
    void writesWhatItReads() throws Exception {
        FeatureStats d64 = FidGolden.stats("d64-b");
        Path out = tmp.resolve("stats/d64.npz");
        d64.writeNpz(out);
        FeatureStats back = FeatureStats.readNpz(out);
        assertArrayEquals(d64.mu(), back.mu(), 0);
        for (int i = 0; i < 64; i++) {
            assertArrayEquals(d64.sigma()[i], back.sigma()[i], 0);
        }
        try (var zip = new java.util.zip.ZipFile(out.toFile())) {
            assertEquals(java.util.List.of("mu.npy", "sigma.npy"),
                    zip.stream().map(java.util.zip.ZipEntry::getName).toList());
            assertEquals(java.util.zip.ZipEntry.STORED, zip.getEntry("sigma.npy").getMethod());
        }
        try (var listing = Files.list(out.getParent())) {
            assertEquals(1, listing.count(), "no temporary file left behind");
        }
    }

    @Test
    void badNpzFilesAreNamedWithWhatWasExpected() throws Exception {
        byte[] good = Files.readAllBytes(FidGolden.DIR.resolve("d8-a.npz"));
        Path cut = tmp.resolve("cut.npz");
        Files.write(cut, Arrays.copyOf(good, good.length / 2));
        IOException e = assertThrows(IOException.class, () -> FeatureStats.readNpz(cut));
        assertTrue(e.getMessage().contains("cut.npz") && e.getMessage().contains("np.savez"), e.getMessage());

        Path missing = tmp.resolve("only-mu.npz");
        Map<String, Npy.Float64Array> onlyMu = new LinkedHashMap<>();
        onlyMu.put("mu", new Npy.Float64Array(new long[] {2}, new double[] {1, 2}));
        Npz.write(missing, onlyMu);
        e = assertThrows(IOException.class, () -> FeatureStats.readNpz(missing));
        assertTrue(e.getMessage().contains("only-mu.npz: no 'sigma' array") && e.getMessage().contains("[mu]"),
                e.getMessage());

        Path shape = tmp.resolve("shape.npz");
        Map<String, Npy.Float64Array> wrong = new LinkedHashMap<>();
        wrong.put("mu", new Npy.Float64Array(new long[] {3}, new double[3]));
        wrong.put("sigma", new Npy.Float64Array(new long[] {2, 2}, new double[4]));
        Npz.write(shape, wrong);
        e = assertThrows(IOException.class, () -> FeatureStats.readNpz(shape));
        assertTrue(e.getMessage().contains("shape.npz: 'sigma' has shape (2, 2); expected (3, 3)"), e.getMessage());

        Path nan = tmp.resolve("nan.npz");
        Map<String, Npy.Float64Array> nans = new LinkedHashMap<>();
        nans.put("mu", new Npy.Float64Array(new long[] {1}, new double[] {Double.NaN}));
        nans.put("sigma", new Npy.Float64Array(new long[] {1, 1}, new double[] {1}));
        Npz.write(nan, nans);
        e = assertThrows(IOException.class, () -> FeatureStats.readNpz(nan));
        assertTrue(e.getMessage().contains("nan.npz: mu[0] is NaN"), e.getMessage());

        e = assertThrows(IOException.class, () -> FeatureStats.readNpz(tmp.resolve("absent.npz")));
        assertTrue(e.getMessage().contains("absent.npz: no such file"), e.getMessage());
    }
}

package io.ldmstudio.eval;

import io.ldmstudio.data.Npy;
import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;

/** The fixtures of src/test/python/fid_reference.py (numpy/scipy, pytorch-fid's and clean-fid's formulas). */
final class FidGolden {
    static final Path DIR = Path.of("src/test/resources/golden/fid");

    private FidGolden() {}

    static Properties expected() throws IOException {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(DIR.resolve("expected.properties"))) {
            p.load(r);
        }
        return p;
    }

    static double number(String key) throws IOException {
        String v = expected().getProperty(key);
        if (v == null) {
            throw new IllegalStateException("expected.properties has no " + key);
        }
        return Double.parseDouble(v);
    }

    static FeatureStats stats(String name) throws IOException {
        return FeatureStats.readNpz(DIR.resolve(name + ".npz"));
    }

    static Map<String, Npy.Float64Array> arrays(String name) throws IOException {
        return Npz.read(DIR.resolve(name + ".npz"));
    }

    /** A 2-D array as rows. */
    static double[][] rows(Npy.Float64Array a) {
        long[] s = a.shape();
        int n = (int) s[0];
        int d = (int) s[1];
        double[][] r = new double[n][d];
        for (int i = 0; i < n; i++) {
            System.arraycopy(a.data(), i * d, r[i], 0, d);
        }
        return r;
    }

    /** A 2-D float64 array of indices as int rows. */
    static int[][] indices(Npy.Float64Array a) {
        double[][] r = rows(a);
        int[][] idx = new int[r.length][];
        for (int i = 0; i < r.length; i++) {
            idx[i] = new int[r[i].length];
            for (int j = 0; j < r[i].length; j++) {
                idx[i][j] = (int) r[i][j];
            }
        }
        return idx;
    }

    static double relative(double actual, double expected) {
        return Math.abs(actual - expected) / Math.max(Math.abs(expected), Double.MIN_NORMAL);
    }
}

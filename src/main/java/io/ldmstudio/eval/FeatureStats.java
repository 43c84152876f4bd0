package io.ldmstudio.eval;

import io.ldmstudio.data.Npy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The Gaussian that FID fits to a set of features: the mean {@code mu} (D) and the covariance {@code sigma}
 * (D×D), as pytorch-fid's {@code calculate_activation_statistics} computes them ({@code np.mean(act, axis=0)},
 * {@code np.cov(act, rowvar=False)}, i.e. divided by N − 1), in double precision. Stored in the {@code .npz}
 * that pytorch-fid writes and reads ({@code np.savez(path, mu=mu, sigma=sigma)}; {@code np.load(path)['mu']}).
 *
 * <p>Degenerate input is refused, never turned into numbers: fewer than 2 feature rows (a covariance needs two),
 * rows holding NaN or ±∞, a {@code sigma} that is not D×D or holds non-finite values.
 *
 * @param mu the mean feature, length D
 * @param sigma the covariance, D rows of D values (row-major)
 */
public record FeatureStats(double[] mu, double[][] sigma) {

    public FeatureStats {
        if (mu == null || mu.length == 0) {
            throw new IllegalArgumentException("mu is empty: FID statistics need at least one feature dimension");
        }
        int d = mu.length;
        if (sigma == null || sigma.length != d) {
            throw new IllegalArgumentException("sigma has " + (sigma == null ? 0 : sigma.length) + " rows; expected "
                    + d + "×" + d + " for the " + d + " values of mu");
        }
        mu = mu.clone();
        double[][] copy = new double[d][];
        for (int i = 0; i < d; i++) {
            if (sigma[i].length != d) {
                throw new IllegalArgumentException("sigma row " + i + " has " + sigma[i].length + " values; expected "
                        + d + "×" + d + " for the " + d + " values of mu");
            }
            copy[i] = sigma[i].clone();
        }
        sigma = copy;
        for (int i = 0; i < d; i++) {
            if (!Double.isFinite(mu[i])) {
                throw new IllegalArgumentException("mu[" + i + "] is " + mu[i] + "; FID statistics must be finite");
            }
            for (int j = 0; j < d; j++) {
                if (!Double.isFinite(sigma[i][j])) {
                    throw new IllegalArgumentException("sigma[" + i + "][" + j + "] is " + sigma[i][j]
                            + "; FID statistics must be finite");
                }
            }
        }
    }

    /**
     * Mean and covariance (N − 1) of N feature rows of D values each, as pytorch-fid's
     * {@code calculate_activation_statistics} ({@code np.mean}, {@code np.cov(rowvar=False)}).
     *
     * @throws IllegalArgumentException for fewer than 2 rows, ragged rows, or rows holding NaN/±∞
     */
    public static FeatureStats of(double[][] features) {
        int d = Features.checkRows(features, "FID statistics");
        int n = features.length;
        if (n < 2) {
            throw new IllegalArgumentException("FID statistics: a covariance needs at least 2 feature rows (images), "
                    + n + " was given");
        }
        double[] mu = new double[d];
        for (double[] row : features) {
            for (int j = 0; j < d; j++) {
                mu[j] += row[j];
            }
        }
        for (int j = 0; j < d; j++) {
            mu[j] /= n;
        }
        double[][] s = new double[d][d];
        double[] c = new double[d];
        for (double[] row : features) {
            for (int j = 0; j < d; j++) {
                c[j] = row[j] - mu[j];
            }
            for (int i = 0; i < d; i++) {
                double ci = c[i];
                double[] si = s[i];
                for (int j = i; j < d; j++) {
                    si[j] += ci * c[j];
                }
            }
        }
        for (int i = 0; i < d; i++) {
            for (int j = i; j < d; j++) {
                s[i][j] /= n - 1;
                s[j][i] = s[i][j];
            }
        }
        return new FeatureStats(mu, s);
    }

    /** {@link #of(double[][])} for {@code rows × cols} features in one row-major float array (a network's output). */
    public static FeatureStats of(float[] features, int rows, int cols) {
        if (rows < 0 || cols < 0 || (long) rows * cols != features.length) {
            throw new IllegalArgumentException("FID statistics: " + features.length + " values are not " + rows + " rows of "
                    + cols + " features");
        }
        double[][] m = new double[rows][cols];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < cols; j++) {
                m[r][j] = features[r * cols + j];
            }
        }
        return of(m);
    }

    /** D, the number of features. */
    public int dimension() {
        return mu.length;
    }

    @Override
    public double[] mu() {
        return mu.clone();
    }

    @Override
    public double[][] sigma() {
        double[][] copy = new double[sigma.length][];
        for (int i = 0; i < sigma.length; i++) {
            copy[i] = sigma[i].clone();
        }
        return copy;
    }

    /** The arrays themselves, for this package's arithmetic (never modified there). */
    double[] muView() {
        return mu;
    }

    double[][] sigmaView() {
        return sigma;
    }

    /**
     * Reads pytorch-fid's statistics file: an {@code .npz} holding {@code mu} (D) and {@code sigma} (D×D), float64 as
     * pytorch-fid writes them or float32 as some other tools do (widened exactly). Each problem names the file and
     * what was expected.
     */
    public static FeatureStats readNpz(Path file) throws IOException {
        Map<String, Npy.Float64Array> arrays = Npz.read(file);
        Npy.Float64Array mu = need(arrays, "mu", file);
        Npy.Float64Array sigma = need(arrays, "sigma", file);
        if (mu.shape().length != 1) {
            throw new IOException(file + ": 'mu' has shape " + mu.shapeText() + "; expected a vector (D,)");
        }
        int d = mu.data().length;
        long[] s = sigma.shape();
        if (s.length != 2 || s[0] != d || s[1] != d) {
            throw new IOException(file + ": 'sigma' has shape " + sigma.shapeText() + "; expected (" + d + ", " + d
                    + ") for the " + d + " values of 'mu'");
        }
        double[][] rows = new double[d][];
        for (int i = 0; i < d; i++) {
            rows[i] = java.util.Arrays.copyOfRange(sigma.data(), i * d, (i + 1) * d);
        }
        try {
            return new FeatureStats(mu.data(), rows);
        } catch (IllegalArgumentException e) {
            throw new IOException(file + ": " + e.getMessage(), e);
        }
    }

    /** Writes {@code mu} and {@code sigma} as float64 in the {@code .npz} that {@code np.savez} writes and pytorch-fid reads. */
    public void writeNpz(Path file) throws IOException {
        int d = mu.length;
        double[] flat = new double[d * d];
        for (int i = 0; i < d; i++) {
            System.arraycopy(sigma[i], 0, flat, i * d, d);
        }
        Map<String, Npy.Float64Array> arrays = new LinkedHashMap<>();
        arrays.put("mu", new Npy.Float64Array(new long[] {d}, mu));
        arrays.put("sigma", new Npy.Float64Array(new long[] {d, d}, flat));
        Npz.write(file, arrays);
    }

    /**
     * {@link #writeNpz(Path)} with the feature rows these statistics came from beside them, as a third array
     * {@code features} (N×D float64): pytorch-fid reads only {@code mu} and {@code sigma}; KID needs the rows.
     */
    public void writeNpz(Path file, double[][] features) throws IOException {
        int d = mu.length;
        int n = features.length;
        double[] sflat = new double[d * d];
        for (int i = 0; i < d; i++) {
            System.arraycopy(sigma[i], 0, sflat, i * d, d);
        }
        double[] fflat = new double[n * d];
        for (int r = 0; r < n; r++) {
            if (features[r].length != d) {
                throw new IllegalArgumentException("features row " + r + " has " + features[r].length
                        + " values; the statistics have " + d);
            }
            System.arraycopy(features[r], 0, fflat, r * d, d);
        }
        Map<String, Npy.Float64Array> arrays = new LinkedHashMap<>();
        arrays.put("mu", new Npy.Float64Array(new long[] {d}, mu));
        arrays.put("sigma", new Npy.Float64Array(new long[] {d, d}, sflat));
        arrays.put("features", new Npy.Float64Array(new long[] {n, d}, fflat));
        Npz.write(file, arrays);
    }

    /**
     * The {@code features} array (N×D) of a statistics file, when it holds one (as {@link #writeNpz(Path, double[][])}
     * writes it); empty for pytorch-fid's files, which hold {@code mu} and {@code sigma} only.
     *
     * @throws IOException naming the file when {@code features} is there but is not a matrix of N ≥ 1 rows
     */
    public static java.util.Optional<double[][]> readFeatures(Path file) throws IOException {
        Npy.Float64Array f = Npz.read(file).get("features");
        if (f == null) {
            return java.util.Optional.empty();
        }
        long[] s = f.shape();
        if (s.length != 2 || s[0] < 1 || s[1] < 1) {
            throw new IOException(file + ": 'features' has shape " + f.shapeText() + "; expected (N, D) feature rows");
        }
        int n = (int) s[0];
        int d = (int) s[1];
        double[][] rows = new double[n][];
        for (int r = 0; r < n; r++) {
            rows[r] = java.util.Arrays.copyOfRange(f.data(), r * d, (r + 1) * d);
        }
        return java.util.Optional.of(rows);
    }

    private static Npy.Float64Array need(Map<String, Npy.Float64Array> arrays, String key, Path file)
            throws IOException {
        Npy.Float64Array a = arrays.get(key);
        if (a == null) {
            throw new IOException(file + ": no '" + key + "' array (it holds " + arrays.keySet() + "); FID statistics are "
                    + "'mu' (D) and 'sigma' (D×D), as np.savez(path, mu=mu, sigma=sigma) writes them");
        }
        return a;
    }
}

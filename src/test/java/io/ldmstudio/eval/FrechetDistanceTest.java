package io.ldmstudio.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.junit.jupiter.api.Test;

/** pytorch-fid's calculate_frechet_distance: closed forms, sample statistics, and scipy's numbers on fixtures. */
class FrechetDistanceTest {

    @Test
    void aSetAgainstItselfIsZero() throws Exception {
        FeatureStats s = FeatureStats.of(gaussian(new Random(1), 300, new double[16], identity(16), 1.0));
        FrechetDistance.Result r = FrechetDistance.between(s, s);
        double scale = trace(s.sigma());
        assertTrue(Math.abs(r.value()) < 1e-6 * scale, r.value() + " for a trace of " + scale);
        assertFalse(r.offsetAdded());
        // the rank-deficient statistics too (64 features from 20 rows)
        FeatureStats low = FidGolden.stats("lowrank-a");
        double v = FrechetDistance.between(low, low).value();
        assertTrue(Math.abs(v) < 1e-6 * trace(low.sigma()), v + " for a trace of " + trace(low.sigma()));
    }

    /**
     * Two Gaussians with diagonal covariances: FD = ||mu1 − mu2||² + Σ (√v1 − √v2)². Samples of 20,000 land near the
     * true parameters' distance (loosely, sampling error), and exactly on the distance of their own mu/sigma (the
     * closed form from the symmetric route, {@link #symmetricRoute}).
     */
    @Test
    void diagonalGaussiansAgainstTheClosedForm() {
        int d = 6;
        double[] mu1 = {0, 1, -1, 0.5, 2, 0};
        double[] mu2 = {0.5, 1, -2, 0.5, 1, 0.3};
        double[] v1 = {1, 2, 0.5, 1, 3, 0.25};
        double[] v2 = {2, 1, 0.5, 4, 1, 1};
        double truth = 0;
        for (int i = 0; i < d; i++) {
            truth += (mu1[i] - mu2[i]) * (mu1[i] - mu2[i]) + Math.pow(Math.sqrt(v1[i]) - Math.sqrt(v2[i]), 2);
        }
        Random random = new Random(7);
        FeatureStats a = FeatureStats.of(gaussian(random, 20000, mu1, diag(v1), 1.0));
        FeatureStats b = FeatureStats.of(gaussian(random, 20000, mu2, diag(v2), 1.0));
        double fd = FrechetDistance.between(a, b).value();
        assertEquals(truth, fd, 0.05 * truth, "true parameters' FD " + truth);
        assertEquals(symmetricRoute(a, b), fd, 1e-11 * truth);
    }

    /**
     * Full covariances sharing eigenvectors Q (Σ = Q diag(λ) Qᵀ, not diagonal in the feature basis): the true FD is
     * ||Δmu||² + Σ (√λ1 − √λ2)².
     */
    @Test
    void fullCovarianceGaussiansAgainstTheClosedForm() {
        int d = 5;
        double[][] q = rotation(new Random(3), d);
        double[] l1 = {4, 1, 0.5, 2, 0.1};
        double[] l2 = {1, 1, 2, 0.5, 0.4};
        double[] mu1 = {0, 0, 0, 0, 0};
        double[] mu2 = {1, -0.5, 0, 0.25, 0};
        double truth = 1 + 0.25 + 0.0625;
        for (int i = 0; i < d; i++) {
            truth += Math.pow(Math.sqrt(l1[i]) - Math.sqrt(l2[i]), 2);
        }
        Random random = new Random(11);
        FeatureStats a = FeatureStats.of(gaussian(random, 20000, mu1, conjugate(q, l1), 1.0));
        FeatureStats b = FeatureStats.of(gaussian(random, 20000, mu2, conjugate(q, l2), 1.0));
        FrechetDistance.Result r = FrechetDistance.between(a, b);
        assertEquals(truth, r.value(), 0.05 * truth, "true parameters' FD " + truth);
        assertEquals(symmetricRoute(a, b), r.value(), 1e-11 * truth);
        double dmu = 0;
        for (int i = 0; i < d; i++) {
            dmu += Math.pow(a.mu()[i] - b.mu()[i], 2);
        }
        assertEquals(dmu, r.meanTerm(), 1e-15);
    }

    /** scipy.linalg.sqrtm through pytorch-fid's function (fid_reference.py) on numpy's own .npz files. */
    @Test
    void agreesWithPytorchFidOnTheFixtures() throws Exception {
        for (String name : new String[] {"d8", "d64", "f32"}) {
            FrechetDistance.Result r = FrechetDistance.between(FidGolden.stats(name + "-a"), FidGolden.stats(name + "-b"));
            double expected = FidGolden.number(name);
            assertTrue(FidGolden.relative(r.value(), expected) < 1e-12, name + ": " + r.value() + " vs scipy " + expected);
            assertFalse(r.offsetAdded(), name);
        }
        // rank 19 and 23 of 64: ~45 zero eigenvalues that both methods resolve only to √(rounding) each
        FeatureStats a = FidGolden.stats("lowrank-a");
        FeatureStats b = FidGolden.stats("lowrank-b");
        FrechetDistance.Result r = FrechetDistance.between(a, b);
        double expected = FidGolden.number("lowrank");
        assertTrue(FidGolden.relative(r.value(), expected) < 1e-8, "lowrank: " + r.value() + " vs scipy " + expected);
        assertEquals(FidGolden.expected().getProperty("lowrank.retried"), "false");
        // pytorch-fid's retry arithmetic: sqrtm((Σ1 + εI)(Σ2 + εI)), no longer singular, so tight
        double offset = FrechetDistance.between(a, b, true).value();
        double expectedOffset = FidGolden.number("lowrank.offset");
        assertTrue(FidGolden.relative(offset, expectedOffset) < 1e-12, offset + " vs scipy " + expectedOffset);
    }

    /**
     * The low-rank route (features of one side at hand, N &lt; D + 1) against scipy's sqrtm on the rank-deficient
     * fixture (20 and 24 rows of 64 features), and against the general route on Gaussian samples of 30 rows of 200
     * features, both ways round; a mean that is not the features' is refused.
     */
    @Test
    void theLowRankRouteGivesTheSameDistance() throws Exception {
        FeatureStats a = FidGolden.stats("lowrank-a");
        double[][] actB = FidGolden.rows(FidGolden.arrays("lowrank-act2").get("act"));
        FeatureStats b = FeatureStats.of(actB);
        FrechetDistance.Result r = FrechetDistance.between(a, b, actB);
        double expected = FidGolden.number("lowrank");
        // scipy's sqrtm resolves the ~45 zero eigenvalues of Σ1Σ2 only to √(rounding) each and lands 2.4e-8 (relative)
        // from the exact low-rank sum, which numpy's eigvalsh of the same N×N matrix reproduces to 1e-10
        assertTrue(FidGolden.relative(r.value(), expected) < 1e-7, "lowrank: " + r.value() + " vs scipy " + expected);
        assertFalse(r.offsetAdded());

        Random random = new Random(11);
        int d = 200;
        double[] mu2 = new double[d];
        for (int i = 0; i < d; i++) {
            mu2[i] = 0.1 * i % 3;
        }
        double[][] x = gaussian(random, 30, new double[d], identity(d), 1.0);
        double[][] y = gaussian(random, 45, mu2, identity(d), 2.0);
        FeatureStats sx = FeatureStats.of(x);
        FeatureStats sy = FeatureStats.of(y);
        double general = FrechetDistance.between(sx, sy).value();
        double fast = FrechetDistance.between(sx, sy, y).value();
        double fastOther = FrechetDistance.between(sy, sx, x).value();
        // exact: the non-zero eigenvalues of Σ1Σ2 are the squared singular values of X1X2ᵀ / √((N1 − 1)(N2 − 1))
        double exact = 0;
        for (int i = 0; i < d; i++) {
            exact += Math.pow(sx.mu()[i] - sy.mu()[i], 2) + sx.sigma()[i][i] + sy.sigma()[i][i];
        }
        exact -= 2 * nuclearNorm(centred(x), centred(y)) / Math.sqrt((x.length - 1.0) * (y.length - 1.0));
        // G = XΣ1Xᵀ is 45×45 of rank 29 here: its 16 zero eigenvalues come out at rounding level and add their roots
        // (measured 5.5e-10 relative); the other way round G is 30×30 of rank 29 (one such root)
        assertTrue(FidGolden.relative(fast, exact) < 5e-9, fast + " vs the singular values' " + exact);
        assertTrue(FidGolden.relative(fastOther, exact) < 5e-9, fastOther + " vs the singular values' " + exact);
        // the general route resolves the ~170 zero eigenvalues of the product only to √(rounding) each
        assertTrue(FidGolden.relative(general, exact) < 1e-7, general + " vs the singular values' " + exact);
        // a set against itself
        assertTrue(Math.abs(FrechetDistance.between(sy, sy, y).value()) < 1e-9 * trace(sy.sigma()));

        double[][] shifted = new double[y.length][];
        for (int i = 0; i < y.length; i++) {
            shifted[i] = y[i].clone();
            shifted[i][3] += 1;
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FrechetDistance.between(sx, sy, shifted));
        assertTrue(e.getMessage().contains("do not have its statistics' mean (feature 3"), e.getMessage());
    }

    @Test
    void notACovarianceIsRefusedLikePytorchFid() throws Exception {
        // diag(−1, 1)·I: the root has imaginary part 1 on its diagonal; pytorch-fid raises "Imaginary component 1.0"
        assertTrue(FidGolden.expected().getProperty("negative.error").startsWith("Imaginary component 1.0"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FrechetDistance.between(FidGolden.stats("negative-a"), FidGolden.stats("negative-b")));
        assertTrue(e.getMessage().contains("Imaginary component 1.0"), e.getMessage());
    }

    @Test
    void mismatchedDimensionsAndOverflowAreRefused() {
        FeatureStats big = new FeatureStats(new double[2048], identity(2048));
        FeatureStats small = new FeatureStats(new double[64], identity(64));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> FrechetDistance.between(big, small));
        assertTrue(e.getMessage().contains("2048 and 64") && e.getMessage().contains("same network"), e.getMessage());

        double[][] huge = identity(3);
        for (double[] row : huge) {
            java.util.Arrays.fill(row, 1e200);
        }
        FeatureStats h = new FeatureStats(new double[3], huge);
        e = assertThrows(IllegalArgumentException.class, () -> FrechetDistance.between(h, h));
        assertTrue(e.getMessage().contains("not finite, even with 1.0E-6·I added"), e.getMessage());
    }

    @Test
    void tinyAndZeroCovariancesKeepTheirScale() {
        // covariances of 1e-20·I and 4e-20·I: FD = d·(1e-10 − 2e-10)² = d·1e-20; the eigenvalues are rescaled first
        int d = 4;
        double[][] s1 = identity(d);
        double[][] s2 = identity(d);
        for (int i = 0; i < d; i++) {
            s1[i][i] = 1e-20;
            s2[i][i] = 4e-20;
        }
        double v = FrechetDistance.between(new FeatureStats(new double[d], s1), new FeatureStats(new double[d], s2))
                .value();
        assertEquals(4e-20, v, 1e-32);
        FeatureStats zero = new FeatureStats(new double[] {1, 2}, new double[2][2]);
        FeatureStats other = new FeatureStats(new double[] {0, 0}, new double[2][2]);
        assertEquals(5, FrechetDistance.between(zero, other).value(), 0);
    }

    /**
     * The same distance by the symmetric route, independent of the class under test: tr sqrtm(Σ1Σ2) =
     * tr sqrtm(Σ1^½ Σ2 Σ1^½), a symmetric positive semi-definite matrix, through EJML's symmetric eigensolver.
     */
    static double symmetricRoute(FeatureStats a, FeatureStats b) {
        int d = a.dimension();
        DMatrixRMaj s1 = new DMatrixRMaj(a.sigma());
        DMatrixRMaj s2 = new DMatrixRMaj(b.sigma());
        EigenDecomposition_F64<DMatrixRMaj> e1 = DecompositionFactory_DDRM.eig(d, true, true);
        assertTrue(e1.decompose(s1.copy()));
        DMatrixRMaj root1 = new DMatrixRMaj(d, d);
        for (int k = 0; k < d; k++) {
            double r = Math.sqrt(Math.max(e1.getEigenvalue(k).real, 0));
            DMatrixRMaj v = e1.getEigenVector(k);
            for (int i = 0; i < d; i++) {
                for (int j = 0; j < d; j++) {
                    root1.add(i, j, r * v.get(i) * v.get(j));
                }
            }
        }
        DMatrixRMaj t = new DMatrixRMaj(d, d);
        DMatrixRMaj m = new DMatrixRMaj(d, d);
        CommonOps_DDRM.mult(root1, s2, t);
        CommonOps_DDRM.mult(t, root1, m);
        DMatrixRMaj sym = new DMatrixRMaj(d, d);
        CommonOps_DDRM.transpose(m, sym);
        CommonOps_DDRM.add(0.5, m, 0.5, sym, sym);
        EigenDecomposition_F64<DMatrixRMaj> e = DecompositionFactory_DDRM.eig(d, false, true);
        assertTrue(e.decompose(sym));
        double tr = 0;
        for (int k = 0; k < d; k++) {
            tr += Math.sqrt(Math.max(e.getEigenvalue(k).real, 0));
        }
        double dmu = 0;
        for (int i = 0; i < d; i++) {
            dmu += Math.pow(a.mu()[i] - b.mu()[i], 2);
        }
        return dmu + CommonOps_DDRM.trace(s1) + CommonOps_DDRM.trace(s2) - 2 * tr;
    }

    /** n rows of mu + L z with L Lᵀ = cov (Cholesky), z standard normal. */
    static double[][] gaussian(Random random, int n, double[] mu, double[][] cov, double scale) {
        int d = mu.length;
        var chol = DecompositionFactory_DDRM.chol(d, true);
        assertTrue(chol.decompose(new DMatrixRMaj(cov)));
        DMatrixRMaj lower = chol.getT(null);
        double[][] l = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j <= i; j++) {
                l[i][j] = lower.get(i, j);
            }
        }
        double[][] x = new double[n][d];
        double[] z = new double[d];
        for (int r = 0; r < n; r++) {
            for (int j = 0; j < d; j++) {
                z[j] = random.nextGaussian();
            }
            for (int i = 0; i < d; i++) {
                double v = mu[i];
                for (int j = 0; j <= i; j++) {
                    v += l[i][j] * z[j];
                }
                x[r][i] = v * scale;
            }
        }
        return x;
    }

    static double[][] identity(int d) {
        double[][] m = new double[d][d];
        for (int i = 0; i < d; i++) {
            m[i][i] = 1;
        }
        return m;
    }

    static double[][] diag(double[] v) {
        double[][] m = new double[v.length][v.length];
        for (int i = 0; i < v.length; i++) {
            m[i][i] = v[i];
        }
        return m;
    }

    static DMatrixRMaj centred(double[][] rows) {
        int n = rows.length;
        int d = rows[0].length;
        DMatrixRMaj m = new DMatrixRMaj(n, d);
        for (int j = 0; j < d; j++) {
            double mean = 0;
            for (double[] r : rows) {
                mean += r[j];
            }
            mean /= n;
            for (int i = 0; i < n; i++) {
                m.set(i, j, rows[i][j] - mean);
            }
        }
        return m;
    }

    /** The sum of the singular values of x yᵀ. */
    static double nuclearNorm(DMatrixRMaj x, DMatrixRMaj y) {
        DMatrixRMaj k = new DMatrixRMaj(x.numRows, y.numRows);
        CommonOps_DDRM.multTransB(x, y, k);
        var svd = DecompositionFactory_DDRM.svd(k.numRows, k.numCols, false, false, true);
        assertTrue(svd.decompose(k));
        double sum = 0;
        for (double v : svd.getSingularValues()) {
            sum += v;
        }
        return sum;
    }

    static double trace(double[][] m) {
        double t = 0;
        for (int i = 0; i < m.length; i++) {
            t += m[i][i];
        }
        return t;
    }

    /** An orthogonal matrix: Q of the QR of a random Gaussian matrix. */
    static double[][] rotation(Random random, int d) {
        double[][] g = new double[d][d];
        for (double[] row : g) {
            for (int j = 0; j < d; j++) {
                row[j] = random.nextGaussian();
            }
        }
        var qr = DecompositionFactory_DDRM.qr(d, d);
        assertTrue(qr.decompose(new DMatrixRMaj(g)));
        DMatrixRMaj q = qr.getQ(null, false);
        double[][] out = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                out[i][j] = q.get(i, j);
            }
        }
        return out;
    }

    /** Q diag(λ) Qᵀ, symmetrised. */
    static double[][] conjugate(double[][] q, double[] l) {
        int d = l.length;
        double[][] m = new double[d][d];
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < d; j++) {
                double v = 0;
                for (int k = 0; k < d; k++) {
                    v += q[i][k] * l[k] * q[j][k];
                }
                m[i][j] = v;
            }
        }
        for (int i = 0; i < d; i++) {
            for (int j = 0; j < i; j++) {
                m[i][j] = m[j][i];
            }
        }
        return m;
    }
}

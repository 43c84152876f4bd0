package io.ldmstudio.eval;

import java.util.Optional;
import org.ejml.data.Complex_F64;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.CommonOps_MT_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_MT_DDRM;
import org.ejml.interfaces.decomposition.EigenDecomposition_F64;
import org.ejml.ops.ComplexMath_F64;

/**
 * The Fréchet distance between two Gaussians — FID when they were fitted to Inception features — as
 * pytorch-fid's {@code calculate_frechet_distance} (src/pytorch_fid/fid_score.py) computes it, in double precision:
 *
 * <pre>  d² = ||mu1 − mu2||² + tr(Σ1) + tr(Σ2) − 2 tr(sqrtm(Σ1 Σ2))</pre>
 *
 * <p><b>The square root.</b> pytorch-fid takes {@code scipy.linalg.sqrtm} of the non-symmetric product Σ1Σ2 (a
 * Schur method) and then only its trace. The trace of the principal square root is the sum of the principal square
 * roots of the eigenvalues, whatever the Jordan structure, so this class computes the eigenvalues of Σ1Σ2 with
 * EJML's general eigenvalue decomposition ({@code DecompositionFactory_DDRM.eig(n, false, false)}: Hessenberg
 * reduction and double-shift QR to the real Schur form, as LAPACK's {@code dgeev}) and sums {@code sqrt(λ)} on the
 * principal branch. (Apache Commons Math 3.6.1's {@code EigenDecomposition} was tried first: its Schur iteration
 * fails to converge on the rank-deficient products that few images give.) For two covariance matrices the eigenvalues are
 * real and non-negative (Σ1Σ2 is similar to Σ1^½ Σ2 Σ1^½); rounding leaves the near-zero ones of a rank-deficient
 * product slightly negative or complex, whose roots add an imaginary part, dropped as pytorch-fid drops it. On the
 * golden fixtures this agrees with scipy to ~1e-15 relative, and to ~1e-9 for rank-deficient statistics, where both
 * methods only resolve the zero eigenvalues to √(rounding) (FrechetDistanceTest). At D = 2048 (Inception) the
 * eigenvalues of the product take about a minute and a half on two cores; {@link #between(FeatureStats, FeatureStats,
 * double[][])} takes a second or two when the features of one side are at hand and fewer than D + 1.
 *
 * <p><b>As pytorch-fid, failure by failure.</b> If the root is not finite (the eigenvalue iteration does not converge
 * or yields non-finite values), ε·I with ε = 1e-6 is added to both covariances and the root taken again; the result
 * then carries pytorch-fid's warning. If a root has an imaginary part above 1e-3 (pytorch-fid:
 * {@code not np.allclose(np.diagonal(covmean).imag, 0, atol=1e-3)}) the distance is refused: Σ1Σ2 then has
 * eigenvalues well off the non-negative reals, which two covariance matrices cannot give. (pytorch-fid tests the
 * diagonal of the root; this class tests the roots of the eigenvalues, i.e. the diagonal in the eigenbasis. For
 * non-covariance input with complex eigenvalue pairs it therefore refuses where scipy would return a real root.)
 */
public final class FrechetDistance {
    /** pytorch-fid's {@code eps}, added to both diagonals when the first root is not finite. */
    public static final double EPS = 1e-6;
    /** pytorch-fid's {@code atol} for the imaginary part of the root. */
    public static final double IMAGINARY_TOLERANCE = 1e-3;

    private FrechetDistance() {}

    /**
     * A distance and how it was reached.
     *
     * @param value the squared Fréchet distance (FID)
     * @param meanTerm {@code ||mu1 − mu2||²}
     * @param traceSqrt {@code tr(sqrtm(Σ1 Σ2))}, real part (with ε·I added when {@code warning} says so)
     * @param warning pytorch-fid's message when ε·I had to be added, else empty
     */
    public record Result(double value, double meanTerm, double traceSqrt, Optional<String> warning) {
        /** Whether ε·I was added to both covariances (pytorch-fid's retry). */
        public boolean offsetAdded() {
            return warning.isPresent();
        }
    }

    /**
     * pytorch-fid's {@code calculate_frechet_distance(mu1, sigma1, mu2, sigma2, eps=1e-6)}.
     *
     * @throws IllegalArgumentException if the dimensions differ, or the root of Σ1Σ2 is not finite even with ε·I
     *     added, or has an imaginary part above {@link #IMAGINARY_TOLERANCE}
     */
    public static Result between(FeatureStats a, FeatureStats b) {
        return between(a, b, false);
    }

    /**
     * {@link #between(FeatureStats, FeatureStats)} when the features behind {@code b} are at hand and fewer than the
     * dimension plus one (a sample set of N &lt; D + 1 images, the usual case for Inception's 2048 features): the same
     * distance, from an N×N symmetric eigenvalue problem instead of a D×D general one (a second or two at N = 1000, D =
     * 2048, where the general route takes about a minute and a half on two cores).
     *
     * <p>With X the N×D centred features of {@code b}, Σ2 = XᵀX / (N − 1), and the non-zero eigenvalues of Σ1Σ2 =
     * Xᵀ(XΣ1)/(N − 1) are those of the symmetric positive semi-definite G = XΣ1Xᵀ / (N − 1) (AB and BA share them), so
     * tr sqrtm(Σ1Σ2) = Σ √λ(G). Its rounding-level negative eigenvalues give the imaginary part checked as
     * {@link #between} checks it. When ε·I has to be added (pytorch-fid's retry) the product is no longer of low rank
     * and the general route is taken.
     *
     * @param bFeatures the N feature rows {@code b} was computed from ({@code FeatureStats.of(bFeatures)}): checked for
     *     count-free consistency by the mean only
     * @throws IllegalArgumentException as {@link #between(FeatureStats, FeatureStats)}, or when {@code bFeatures} do not
     *     have {@code b}'s dimension or mean
     */
    public static Result between(FeatureStats a, FeatureStats b, double[][] bFeatures) {
        int d = Features.checkRows(bFeatures, "the features of the second set");
        Features.checkSameDimension(b.dimension(), d, "the second set's statistics and its features");
        Features.checkSameDimension(a.dimension(), b.dimension(), "the two FID statistics (mu " + a.dimension()
                + " and mu " + b.dimension() + ")");
        int n = bFeatures.length;
        if (n < 2 || n - 1 >= d) {
            return between(a, b);
        }
        double[] mu2 = b.muView();
        double[] mean = new double[d];
        for (double[] row : bFeatures) {
            for (int j = 0; j < d; j++) {
                mean[j] += row[j];
            }
        }
        double scale = 0;
        for (int j = 0; j < d; j++) {
            mean[j] /= n;
            scale = Math.max(scale, Math.abs(mu2[j]));
        }
        for (int j = 0; j < d; j++) {
            if (Math.abs(mean[j] - mu2[j]) > 1e-9 * Math.max(scale, 1e-300)) {
                throw new IllegalArgumentException("the second set's features do not have its statistics' mean (feature "
                        + j + ": " + mean[j] + " vs mu " + mu2[j] + "): pass the features the statistics came from");
            }
        }
        Root root = traceSqrtLowRank(a.sigmaView(), bFeatures, mu2);
        if (!root.finite()) {
            return between(a, b);
        }
        if (root.maxImaginary > IMAGINARY_TOLERANCE) {
            throw imaginary(root.maxImaginary);
        }
        double[] terms = meanAndTraces(a, b);
        return new Result(terms[0] + terms[1] + terms[2] - 2 * root.real, terms[0], root.real, Optional.empty());
    }

    /** Σ √λ(XΣ1Xᵀ / (N − 1)) for the N centred rows X of {@code features}; negative λ count as imaginary roots. */
    static Root traceSqrtLowRank(double[][] s1, double[][] features, double[] mu) {
        int n = features.length;
        int d = mu.length;
        DMatrixRMaj x = new DMatrixRMaj(n, d);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < d; j++) {
                x.unsafe_set(i, j, features[i][j] - mu[j]);
            }
        }
        DMatrixRMaj xs = new DMatrixRMaj(n, d);
        CommonOps_MT_DDRM.mult(x, new DMatrixRMaj(s1), xs);
        DMatrixRMaj g = new DMatrixRMaj(n, n);
        CommonOps_MT_DDRM.multTransB(xs, x, g);
        double maxAbs = 0;
        for (int i = 0; i < n; i++) {
            for (int j = 0; j <= i; j++) {
                double v = (g.unsafe_get(i, j) + g.unsafe_get(j, i)) / (2.0 * (n - 1));
                if (!Double.isFinite(v)) {
                    return new Root(Double.NaN, Double.NaN, "the product holds " + v);
                }
                g.unsafe_set(i, j, v);
                g.unsafe_set(j, i, v);
                maxAbs = Math.max(maxAbs, Math.abs(v));
            }
        }
        if (maxAbs == 0) {
            return new Root(0, 0, null);
        }
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_MT_DDRM.eig(n, false, true);
        if (!eig.decompose(g)) {
            return new Root(Double.NaN, Double.NaN, "the symmetric eigenvalue iteration did not converge");
        }
        double sum = 0;
        double maxIm = 0;
        for (int i = 0; i < eig.getNumberOfEigenvalues(); i++) {
            double l = eig.getEigenvalue(i).real;
            if (l >= 0) {
                sum += Math.sqrt(l);
            } else {
                maxIm = Math.max(maxIm, Math.sqrt(-l));
            }
        }
        return new Root(sum, maxIm, null);
    }

    private static IllegalArgumentException imaginary(double maxImaginary) {
        return new IllegalArgumentException("FID: Imaginary component " + maxImaginary + " in sqrtm(sigma1·sigma2)"
                + " (above " + IMAGINARY_TOLERANCE + "): the product has eigenvalues well off the non-negative reals,"
                + " which two covariance matrices cannot give; are both sigmas covariances (symmetric, positive"
                + " semi-definite)?");
    }

    /** {@link #between}; with {@code offsetFirst} ε·I is added from the start (the arithmetic of the retry, for tests). */
    static Result between(FeatureStats a, FeatureStats b, boolean offsetFirst) {
        Features.checkSameDimension(a.dimension(), b.dimension(), "the two FID statistics (mu " + a.dimension()
                + " and mu " + b.dimension() + ")");
        double[][] s1 = a.sigmaView();
        double[][] s2 = b.sigmaView();
        double[] terms = meanAndTraces(a, b);
        double meanTerm = terms[0];
        double tr1 = terms[1];
        double tr2 = terms[2];
        Optional<String> warning = Optional.empty();
        Root root = offsetFirst ? null : traceSqrtProduct(s1, s2, 0);
        if (root == null || !root.finite()) {
            if (!offsetFirst) {
                warning = Optional.of("fid calculation produces singular product; adding " + EPS
                        + " to diagonal of cov estimates");
            }
            root = traceSqrtProduct(s1, s2, EPS);
            if (!root.finite()) {
                throw new IllegalArgumentException("FID: the square root of sigma1·sigma2 is not finite, even with " + EPS
                        + "·I added to both covariances (" + root.why + ")");
            }
        }
        if (root.maxImaginary > IMAGINARY_TOLERANCE) {
            throw imaginary(root.maxImaginary);
        }
        double value = meanTerm + tr1 + tr2 - 2 * root.real;
        return new Result(value, meanTerm, root.real, warning);
    }

    /** {@code ||mu1 − mu2||²}, tr(Σ1) and tr(Σ2). */
    private static double[] meanAndTraces(FeatureStats a, FeatureStats b) {
        double[] mu1 = a.muView();
        double[] mu2 = b.muView();
        double[][] s1 = a.sigmaView();
        double[][] s2 = b.sigmaView();
        double meanTerm = 0;
        double tr1 = 0;
        double tr2 = 0;
        for (int i = 0; i < mu1.length; i++) {
            double diff = mu1[i] - mu2[i];
            meanTerm += diff * diff;
            tr1 += s1[i][i];
            tr2 += s2[i][i];
        }
        return new double[] {meanTerm, tr1, tr2};
    }

    /** The trace of the principal square root of a product: its real part, largest |imaginary| of a root, or why not. */
    record Root(double real, double maxImaginary, String why) {
        boolean finite() {
            return why == null && Double.isFinite(real) && Double.isFinite(maxImaginary);
        }
    }

    /** tr(sqrtm((s1 + offset·I)(s2 + offset·I))) from the eigenvalues of the product. */
    static Root traceSqrtProduct(double[][] s1, double[][] s2, double offset) {
        int d = s1.length;
        DMatrixRMaj a = new DMatrixRMaj(s1);
        DMatrixRMaj b = new DMatrixRMaj(s2);
        for (int i = 0; i < d; i++) {
            a.add(i, i, offset);
            b.add(i, i, offset);
        }
        DMatrixRMaj p = new DMatrixRMaj(d, d);
        CommonOps_MT_DDRM.mult(a, b, p);
        double maxAbs = 0;
        for (int k = 0; k < p.data.length; k++) {
            double v = p.data[k];
            if (!Double.isFinite(v)) {
                return new Root(Double.NaN, Double.NaN, "the product holds " + v + " at (" + k / d + ", " + k % d + ")");
            }
            maxAbs = Math.max(maxAbs, Math.abs(v));
        }
        if (maxAbs == 0) {
            return new Root(0, 0, null); // the zero matrix: its root is zero
        }
        // Scale by a power of two (exact) so that the decomposition's thresholds see entries near 1;
        // tr sqrtm(c·M) = √c · tr sqrtm(M), and an even exponent keeps √c exact too.
        int e = Math.getExponent(maxAbs);
        e -= e % 2 == 0 ? 0 : 1;
        for (int k = 0; k < p.data.length; k++) {
            p.data[k] = Math.scalb(p.data[k], -e);
        }
        EigenDecomposition_F64<DMatrixRMaj> eig = DecompositionFactory_MT_DDRM.eig(d, false, false);
        if (!eig.decompose(p)) {
            return new Root(Double.NaN, Double.NaN, "the eigenvalue iteration did not converge");
        }
        double sum = 0;
        double maxIm = 0;
        Complex_F64 root = new Complex_F64();
        for (int i = 0; i < eig.getNumberOfEigenvalues(); i++) {
            Complex_F64 l = eig.getEigenvalue(i);
            if (l.real == 0 && l.imaginary == 0) {
                continue;
            }
            ComplexMath_F64.sqrt(l, root);
            sum += root.real;
            maxIm = Math.max(maxIm, Math.abs(root.imaginary));
        }
        double c = Math.scalb(1.0, e / 2);
        return new Root(sum * c, maxIm * c, null);
    }
}

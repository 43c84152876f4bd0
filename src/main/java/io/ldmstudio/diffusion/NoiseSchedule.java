package io.ldmstudio.diffusion;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.config.BetaSchedule;
import io.ldmstudio.config.RunConfig;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.IntToDoubleFunction;

/**
 * The forward process q(x_t | x0) of a DDPM (Ho et al. 2020), precomputed once into tables of plain
 * doubles, plus the tensor maths that uses them.
 *
 * <p>Timesteps are 0-based: table index {@code t ∈ [0, T)} is the paper's step t+1, as in diffusers.
 * So {@code alphasCumprod[t] = ∏_{s ≤ t} (1 − β_s)} and {@code alphasCumprodPrev[0] = 1}.
 *
 * <p>The tensor methods take a batch {@code x} of shape (B, …) and timesteps either as an
 * {@code int[]} or as a float32 (B) array of integer values; a single timestep broadcasts over the
 * batch. Per-sample coefficients are gathered from the tables into a (B, 1, …, 1) array created from
 * {@code x.getManager()}, so every result lives in the manager of its first tensor argument and no
 * intermediate is left behind.
 */
public final class NoiseSchedule {
    /** Offset s of the cosine schedule (Nichol &amp; Dhariwal 2021, eq. 17). */
    public static final double COSINE_S = 0.008;
    /** Largest β the cosine schedule allows, "to prevent singularities at the end" (ibid.). */
    public static final double MAX_BETA = 0.999;
    public static final double DEFAULT_BETA_START = 1e-4;
    public static final double DEFAULT_BETA_END = 0.02;

    private final String name;
    private final Prediction prediction;
    private final int numTimesteps;

    private final double[] betas;
    private final double[] alphas;
    private final double[] alphasCumprod;
    private final double[] alphasCumprodPrev;
    private final double[] sqrtAlphasCumprod;
    private final double[] sqrtOneMinusAlphasCumprod;
    private final double[] posteriorVariance;
    private final double[] posteriorLogVarianceClipped;
    private final double[] posteriorMeanCoef1;
    private final double[] posteriorMeanCoef2;

    private NoiseSchedule(String name, double[] betas, Prediction prediction) {
        if (betas.length < 1) {
            throw new IllegalArgumentException("diffusion.timesteps: must be at least 1");
        }
        for (int i = 0; i < betas.length; i++) {
            if (!(betas[i] > 0 && betas[i] < 1)) {
                throw new IllegalArgumentException(
                        "betas must lie in (0, 1); beta[" + i + "] = " + betas[i]);
            }
        }
        this.name = name;
        this.prediction = prediction;
        int n = betas.length;
        this.numTimesteps = n;
        this.betas = betas.clone();
        alphas = new double[n];
        alphasCumprod = new double[n];
        alphasCumprodPrev = new double[n];
        sqrtAlphasCumprod = new double[n];
        sqrtOneMinusAlphasCumprod = new double[n];
        posteriorVariance = new double[n];
        posteriorLogVarianceClipped = new double[n];
        posteriorMeanCoef1 = new double[n];
        posteriorMeanCoef2 = new double[n];
        double prod = 1;
        for (int t = 0; t < n; t++) {
            alphas[t] = 1 - betas[t];
            alphasCumprodPrev[t] = prod;
            prod *= alphas[t];
            alphasCumprod[t] = prod;
            sqrtAlphasCumprod[t] = Math.sqrt(prod);
            sqrtOneMinusAlphasCumprod[t] = Math.sqrt(1 - prod);
            // q(x_{t-1} | x_t, x0) = N(μ̃_t, β̃_t I), DDPM eq. 6-7
            double oneMinus = 1 - prod;
            posteriorVariance[t] = betas[t] * (1 - alphasCumprodPrev[t]) / oneMinus;
            posteriorMeanCoef1[t] = betas[t] * Math.sqrt(alphasCumprodPrev[t]) / oneMinus;
            posteriorMeanCoef2[t] = (1 - alphasCumprodPrev[t]) * Math.sqrt(alphas[t]) / oneMinus;
        }
        // β̃_0 = 0, so the log is clipped with β̃_1 as in improved-DDPM; with T = 1 there is no β̃_1
        // and it is clamped at 1e-20 instead (as lucidrains does).
        for (int t = 0; t < n; t++) {
            double v = posteriorVariance[t];
            if (t == 0) {
                v = n > 1 ? posteriorVariance[1] : 1e-20;
            }
            posteriorLogVarianceClipped[t] = Math.log(Math.max(v, 1e-20));
        }
    }

    // ---------------------------------------------------------------- factories

    /** Linear betas from 1e-4 to 0.02 (Ho et al. 2020, §4). */
    public static NoiseSchedule linear(int numTimesteps) {
        return linear(numTimesteps, DEFAULT_BETA_START, DEFAULT_BETA_END);
    }

    /** β_t = linspace(betaStart, betaEnd, T)[t]; with T = 1 the single β is betaStart (as numpy). */
    public static NoiseSchedule linear(int numTimesteps, double betaStart, double betaEnd) {
        checkRange(numTimesteps, betaStart, betaEnd);
        double[] b = linspace(betaStart, betaEnd, numTimesteps);
        return new NoiseSchedule("linear", b, Prediction.EPSILON);
    }

    /**
     * The cosine schedule (Nichol &amp; Dhariwal 2021, eq. 17): ᾱ(u) = f(u)/f(0) with
     * f(u) = cos²((u + s)/(1 + s) · π/2), s = 0.008, and β_t = min(1 − f((t+1)/T)/f(t/T), 0.999).
     * Where the clip does not bite, {@code alphasCumprod[t] = f((t+1)/T)/f(0)}.
     */
    public static NoiseSchedule cosine(int numTimesteps) {
        checkT(numTimesteps);
        double[] b = new double[numTimesteps];
        for (int t = 0; t < numTimesteps; t++) {
            double f1 = cosineF((double) t / numTimesteps);
            double f2 = cosineF((double) (t + 1) / numTimesteps);
            b[t] = Math.min(1 - f2 / f1, MAX_BETA);
        }
        return new NoiseSchedule("cosine", b, Prediction.EPSILON);
    }

    /** f(u) = cos²((u + s)/(1 + s) · π/2) of the cosine schedule. */
    public static double cosineF(double u) {
        double c = Math.cos((u + COSINE_S) / (1 + COSINE_S) * Math.PI / 2);
        return c * c;
    }

    /** Quadratic betas from 1e-4 to 0.02. */
    public static NoiseSchedule quadratic(int numTimesteps) {
        return quadratic(numTimesteps, DEFAULT_BETA_START, DEFAULT_BETA_END);
    }

    /**
     * β_t = linspace(√betaStart, √betaEnd, T)[t]² (diffusers' {@code scaled_linear}, the schedule of
     * Stable Diffusion with 0.00085 → 0.012).
     */
    public static NoiseSchedule quadratic(int numTimesteps, double betaStart, double betaEnd) {
        checkRange(numTimesteps, betaStart, betaEnd);
        double[] b = linspace(Math.sqrt(betaStart), Math.sqrt(betaEnd), numTimesteps);
        for (int t = 0; t < b.length; t++) {
            b[t] = b[t] * b[t];
        }
        return new NoiseSchedule("quadratic", b, Prediction.EPSILON);
    }

    /** Any betas in (0, 1), e.g. read from a diffusers {@code trained_betas}. */
    public static NoiseSchedule fromBetas(double[] betas, Prediction prediction) {
        return new NoiseSchedule("custom", betas, prediction);
    }

    /**
     * The schedule a run config asks for. Rejects with the field name: {@code diffusion.timesteps}
     * below 1, an unknown {@code diffusion.schedule} (linear | cosine | quadratic), betas outside
     * (0, 1) or decreasing ({@code diffusion.beta_start}, {@code diffusion.beta_end}), and an unknown
     * {@code diffusion.prediction} (epsilon | v_prediction).
     */
    public static NoiseSchedule fromConfig(RunConfig.Diffusion d) {
        if (d == null) {
            throw new IllegalArgumentException("diffusion: missing");
        }
        Prediction p = Prediction.parse(d.prediction());
        NoiseSchedule s = switch (BetaSchedule.parse(d.schedule(), "diffusion.schedule")) {
            case LINEAR -> linear(d.timesteps(), d.betaStart(), d.betaEnd());
            case COSINE -> cosine(d.timesteps());
            case QUADRATIC -> quadratic(d.timesteps(), d.betaStart(), d.betaEnd());
        };
        return s.withPrediction(p);
    }

    /** The same tables, with the network's output read as {@code prediction}. */
    public NoiseSchedule withPrediction(Prediction p) {
        if (p == null) {
            throw new IllegalArgumentException("diffusion.prediction: missing");
        }
        return p == prediction ? this : new NoiseSchedule(name, betas, p);
    }

    private static void checkT(int numTimesteps) {
        if (numTimesteps < 1) {
            throw new IllegalArgumentException(
                    "diffusion.timesteps: must be at least 1, got " + numTimesteps);
        }
    }

    private static void checkRange(int numTimesteps, double betaStart, double betaEnd) {
        checkT(numTimesteps);
        if (!(betaStart > 0 && betaStart < 1)) {
            throw new IllegalArgumentException(
                    "diffusion.beta_start: must lie in (0, 1), got " + betaStart);
        }
        if (!(betaEnd > 0 && betaEnd < 1)) {
            throw new IllegalArgumentException(
                    "diffusion.beta_end: must lie in (0, 1), got " + betaEnd);
        }
        if (betaEnd < betaStart) {
            throw new IllegalArgumentException("diffusion.beta_end: must be at least beta_start ("
                    + betaStart + "), got " + betaEnd);
        }
    }

    /** numpy's linspace(start, stop, n) including stop; n = 1 gives [start]. */
    static double[] linspace(double start, double stop, int n) {
        double[] out = new double[n];
        if (n == 1) {
            out[0] = start;
            return out;
        }
        double step = (stop - start) / (n - 1);
        for (int i = 0; i < n; i++) {
            out[i] = start + i * step;
        }
        out[n - 1] = stop;
        return out;
    }

    // ---------------------------------------------------------------- tables

    /** linear | cosine | quadratic | custom. */
    public String name() {
        return name;
    }

    public Prediction prediction() {
        return prediction;
    }

    /** T, the number of training timesteps. */
    public int numTimesteps() {
        return numTimesteps;
    }

    public double[] betas() {
        return betas.clone();
    }

    public double[] alphas() {
        return alphas.clone();
    }

    /** ᾱ_t. */
    public double[] alphasCumprod() {
        return alphasCumprod.clone();
    }

    /** ᾱ_{t−1}, with ᾱ_{−1} = 1. */
    public double[] alphasCumprodPrev() {
        return alphasCumprodPrev.clone();
    }

    public double[] sqrtAlphasCumprod() {
        return sqrtAlphasCumprod.clone();
    }

    public double[] sqrtOneMinusAlphasCumprod() {
        return sqrtOneMinusAlphasCumprod.clone();
    }

    /** β̃_t = β_t (1 − ᾱ_{t−1}) / (1 − ᾱ_t) (DDPM eq. 7). */
    public double[] posteriorVariance() {
        return posteriorVariance.clone();
    }

    /** log β̃_t with β̃_0 replaced by β̃_1 (improved-DDPM). */
    public double[] posteriorLogVarianceClipped() {
        return posteriorLogVarianceClipped.clone();
    }

    /** Coefficient of x0 in μ̃_t: β_t √ᾱ_{t−1} / (1 − ᾱ_t) (DDPM eq. 7). */
    public double[] posteriorMeanCoef1() {
        return posteriorMeanCoef1.clone();
    }

    /** Coefficient of x_t in μ̃_t: (1 − ᾱ_{t−1}) √α_t / (1 − ᾱ_t) (DDPM eq. 7). */
    public double[] posteriorMeanCoef2() {
        return posteriorMeanCoef2.clone();
    }

    public double beta(int t) {
        return betas[check(t)];
    }

    /** ᾱ_t. */
    public double alphaBar(int t) {
        return alphasCumprod[check(t)];
    }

    /** ᾱ_t for t in [0, T), and 1 for t &lt; 0: the "previous" of the last sampling step. */
    public double alphaBarOrOne(int t) {
        return t < 0 ? 1.0 : alphasCumprod[check(t)];
    }

    /** Signal-to-noise ratio ᾱ_t / (1 − ᾱ_t) (Kingma et al. 2021). */
    public double snr(int t) {
        double a = alphasCumprod[check(t)];
        return a / (1 - a);
    }

    /** log(α_t/σ_t) with α_t = √ᾱ_t and σ_t = √(1−ᾱ_t): half the log-SNR (DPM-Solver's λ_t). */
    public double lambda(int t) {
        return 0.5 * Math.log(snr(t));
    }

    private int check(int t) {
        if (t < 0 || t >= numTimesteps) {
            throw new IllegalArgumentException(
                    "timestep " + t + " outside [0, " + numTimesteps + ")");
        }
        return t;
    }

    // ---------------------------------------------------------------- tensor maths

    /** Forward process (DDPM eq. 4): x_t = √ᾱ_t x0 + √(1−ᾱ_t) ε. */
    public NDArray qSample(NDArray x0, int[] t, NDArray noise) {
        return combine(x0, i -> sqrtAlphasCumprod[i], noise, i -> sqrtOneMinusAlphasCumprod[i], t);
    }

    public NDArray qSample(NDArray x0, NDArray t, NDArray noise) {
        return qSample(x0, steps(t), noise);
    }

    /** x̂0 = (x_t − √(1−ᾱ_t) ε) / √ᾱ_t (DDPM eq. 15 solved for x0). */
    public NDArray predictX0FromEps(NDArray xt, int[] t, NDArray eps) {
        return combine(xt, i -> 1 / sqrtAlphasCumprod[i],
                eps, i -> -sqrtOneMinusAlphasCumprod[i] / sqrtAlphasCumprod[i], t);
    }

    public NDArray predictX0FromEps(NDArray xt, NDArray t, NDArray eps) {
        return predictX0FromEps(xt, steps(t), eps);
    }

    /** ε = (x_t − √ᾱ_t x0) / √(1−ᾱ_t). */
    public NDArray predictEpsFromX0(NDArray xt, int[] t, NDArray x0) {
        return combine(xt, i -> 1 / sqrtOneMinusAlphasCumprod[i],
                x0, i -> -sqrtAlphasCumprod[i] / sqrtOneMinusAlphasCumprod[i], t);
    }

    public NDArray predictEpsFromX0(NDArray xt, NDArray t, NDArray x0) {
        return predictEpsFromX0(xt, steps(t), x0);
    }

    /** v = √ᾱ_t ε − √(1−ᾱ_t) x0 (Salimans &amp; Ho 2022, §4). Lives in {@code x0}'s manager. */
    public NDArray velocity(NDArray x0, NDArray noise, int[] t) {
        return combine(x0, i -> -sqrtOneMinusAlphasCumprod[i], noise, i -> sqrtAlphasCumprod[i], t);
    }

    public NDArray velocity(NDArray x0, NDArray noise, NDArray t) {
        return velocity(x0, noise, steps(t));
    }

    /** x0 = √ᾱ_t x_t − √(1−ᾱ_t) v. */
    public NDArray predictX0FromV(NDArray xt, int[] t, NDArray v) {
        return combine(xt, i -> sqrtAlphasCumprod[i], v, i -> -sqrtOneMinusAlphasCumprod[i], t);
    }

    public NDArray predictX0FromV(NDArray xt, NDArray t, NDArray v) {
        return predictX0FromV(xt, steps(t), v);
    }

    /** ε = √(1−ᾱ_t) x_t + √ᾱ_t v. */
    public NDArray predictEpsFromV(NDArray xt, int[] t, NDArray v) {
        return combine(xt, i -> sqrtOneMinusAlphasCumprod[i], v, i -> sqrtAlphasCumprod[i], t);
    }

    public NDArray predictEpsFromV(NDArray xt, NDArray t, NDArray v) {
        return predictEpsFromV(xt, steps(t), v);
    }

    /** x̂0 from the network's output, read as this schedule's {@link #prediction()}. */
    public NDArray predictX0(NDArray xt, int t, NDArray modelOutput) {
        int[] ts = {t};
        switch (prediction) {
            case EPSILON:
                return predictX0FromEps(xt, ts, modelOutput);
            case V_PREDICTION:
                return predictX0FromV(xt, ts, modelOutput);
            case SAMPLE:
                return modelOutput.duplicate();
            default:
                throw new AssertionError(prediction);
        }
    }

    /** ε̂ from the network's output, read as this schedule's {@link #prediction()}. */
    public NDArray predictEps(NDArray xt, int t, NDArray modelOutput) {
        switch (prediction) {
            case EPSILON:
                return modelOutput.duplicate();
            case V_PREDICTION:
                return predictEpsFromV(xt, new int[] {t}, modelOutput);
            case SAMPLE:
                return predictEpsFromX0(xt, new int[] {t}, modelOutput);
            default:
                throw new AssertionError(prediction);
        }
    }

    /**
     * What the network should output for (x0, ε, t): ε itself for {@link Prediction#EPSILON} (the
     * {@code noise} array, not a copy), v for {@link Prediction#V_PREDICTION}, x0 itself (not a copy)
     * for {@link Prediction#SAMPLE}.
     */
    public NDArray trainingTarget(NDArray x0, NDArray noise, int[] t, Prediction p) {
        if (p == Prediction.SAMPLE) {
            return x0;
        }
        return p == Prediction.EPSILON ? noise : velocity(x0, noise, t);
    }

    public NDArray trainingTarget(NDArray x0, NDArray noise, NDArray t, Prediction p) {
        return trainingTarget(x0, noise, steps(t), p);
    }

    /** μ̃_t(x_t, x0) = coef1 x0 + coef2 x_t, the mean of q(x_{t−1} | x_t, x0) (DDPM eq. 7). */
    public NDArray posteriorMean(NDArray x0, NDArray xt, int[] t) {
        return combine(x0, i -> posteriorMeanCoef1[i], xt, i -> posteriorMeanCoef2[i], t);
    }

    /** SNR per sample, a float32 (B) array in {@code t}'s manager. */
    public NDArray snr(NDArray t) {
        int[] ts = steps(t);
        float[] out = new float[ts.length];
        for (int i = 0; i < ts.length; i++) {
            out[i] = (float) snr(ts[i]);
        }
        return t.getManager().create(out, new Shape(ts.length));
    }

    /** Integer timesteps from a (B) array of integer values (any numeric type). */
    public int[] steps(NDArray t) {
        float[] f;
        if (t.getDataType() == DataType.FLOAT32) {
            f = t.toFloatArray();
        } else {
            try (NDArray cast = t.toType(DataType.FLOAT32, false)) {
                f = cast.toFloatArray();
            }
        }
        int[] out = new int[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = check(Math.round(f[i]));
        }
        return out;
    }

    /** a_t·x + b_t·y with per-sample coefficients; the result lives in {@code x}'s manager. */
    private NDArray combine(NDArray x, IntToDoubleFunction a, NDArray y, IntToDoubleFunction b,
            int[] t) {
        try (NDArray ca = coefficients(a, t, x);
                NDArray cb = coefficients(b, t, x)) {
            NDArray out = x.mul(ca);
            try (NDArray by = y.mul(cb)) {
                out.addi(by);
            }
            return out;
        }
    }

    /** Gathers f(t_i) into a (B, 1, …, 1) array shaped to broadcast against {@code like}. */
    private NDArray coefficients(IntToDoubleFunction f, int[] t, NDArray like) {
        Shape shape = like.getShape();
        if (t.length == 0 || shape.dimension() == 0
                || (t.length != 1 && t.length != shape.get(0))) {
            throw new IllegalArgumentException("timesteps " + Arrays.toString(t)
                    + " do not match a batch of shape " + shape);
        }
        float[] c = new float[t.length];
        for (int i = 0; i < t.length; i++) {
            c[i] = (float) f.applyAsDouble(check(t[i]));
        }
        long[] dims = new long[shape.dimension()];
        Arrays.fill(dims, 1);
        dims[0] = t.length;
        NDArray arr = like.getManager().create(c, new Shape(dims));
        if (like.getDataType() != DataType.FLOAT32 && like.getDataType().isFloating()) {
            NDArray cast = arr.toType(like.getDataType(), false);
            arr.close();
            arr = cast;
        }
        return arr;
    }

    @Override
    public String toString() {
        return "NoiseSchedule[" + name + ", T=" + numTimesteps + ", " + prediction + "]";
    }
}

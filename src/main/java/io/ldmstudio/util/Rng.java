package io.ldmstudio.util;

/**
 * A small deterministic random generator (SplitMix64) whose whole state is two longs and a flag,
 * so a run can save it in a checkpoint and continue the exact same stream after a resume.
 *
 * <p>Not thread-safe: one generator per thread of work. Gaussian numbers use the polar Box-Muller
 * method and keep the spare value in the state.
 */
public final class Rng {
    private long state;
    private boolean hasSpare;
    private double spare;

    public Rng(long seed) {
        this.state = seed;
    }

    private Rng(long state, boolean hasSpare, double spare) {
        this.state = state;
        this.hasSpare = hasSpare;
        this.spare = spare;
    }

    /** A generator for a derived stream: the same (seed, stream) always gives the same numbers. */
    public static Rng of(long seed, long stream) {
        Rng r = new Rng(seed ^ (0x9E3779B97F4A7C15L * (stream + 1)));
        r.nextLong();
        return r;
    }

    public long nextLong() {
        long z = (state += 0x9E3779B97F4A7C15L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Uniform in [0, 1). */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    /** Uniform in [0, bound). */
    public int nextInt(int bound) {
        if (bound <= 0) {
            throw new IllegalArgumentException("bound must be positive: " + bound);
        }
        long r = (nextLong() >>> 1) % bound;
        return (int) r;
    }

    public double nextGaussian() {
        if (hasSpare) {
            hasSpare = false;
            return spare;
        }
        double u;
        double v;
        double s;
        do {
            u = 2 * nextDouble() - 1;
            v = 2 * nextDouble() - 1;
            s = u * u + v * v;
        } while (s >= 1 || s == 0);
        double mul = Math.sqrt(-2 * Math.log(s) / s);
        spare = v * mul;
        hasSpare = true;
        return u * mul;
    }

    /** Fills a new array with standard normal floats. */
    public float[] gaussians(int n) {
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) nextGaussian();
        }
        return out;
    }

    /** Fisher-Yates shuffle of {@code 0..n-1}. */
    public int[] permutation(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) {
            p[i] = i;
        }
        for (int i = n - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int tmp = p[i];
            p[i] = p[j];
            p[j] = tmp;
        }
        return p;
    }

    /** The whole state, for a checkpoint. */
    public long[] state() {
        return new long[] {state, hasSpare ? 1 : 0, Double.doubleToRawLongBits(spare)};
    }

    public static Rng fromState(long[] s) {
        if (s == null || s.length != 3) {
            throw new IllegalArgumentException("Rng state must have 3 values");
        }
        return new Rng(s[0], s[1] != 0, Double.longBitsToDouble(s[2]));
    }

    public Rng copy() {
        return new Rng(state, hasSpare, spare);
    }
}

package io.ldmstudio.data;

import io.ldmstudio.util.Rng;
import java.util.List;

/**
 * The built-in dataset that needs no files: one coloured shape on a smooth two-colour gradient.
 * Five classes, taken in turn ({@code label = index mod 5}): {@code disc}, {@code square},
 * {@code triangle}, {@code ring}, {@code stripes}. Position (centre in the middle 40%), size, rotation
 * and colours are drawn from {@code Rng.of(seed, index)}, so image {@code i} is always the same; the
 * shape's colour is chosen to differ in luma from the background by at least 0.3 so it reads clearly
 * in a sample grid.
 *
 * <p>Images are rendered directly at the requested resolution from signed distance functions, with
 * one-pixel analytic anti-aliasing — no resampling. The shapes are simple enough for a small
 * diffusion model to learn in a few thousand steps, and distinct enough to tell at a glance whether
 * samples have the right structure. Thread-safe (no shared mutable state).
 */
public final class ProceduralSource implements ImageSource {
    public static final int DEFAULT_COUNT = 10_000;
    /** The seed of the built-in dataset: fixed, so every run sees the same images. */
    public static final long DEFAULT_SEED = 20_221_220L;
    /** The size {@link #pixels(int)} renders at (for previews); training renders at its own resolution. */
    public static final int NATIVE_RESOLUTION = 64;
    public static final List<String> CLASSES = List.of("disc", "square", "triangle", "ring", "stripes");

    private final int count;
    private final long seed;

    public ProceduralSource() {
        this(DEFAULT_COUNT, DEFAULT_SEED);
    }

    public ProceduralSource(int count, long seed) {
        if (count <= 0) {
            throw new IllegalArgumentException("procedural image count must be positive: " + count);
        }
        this.count = count;
        this.seed = seed;
    }

    @Override
    public int size() {
        return count;
    }

    @Override
    public int channels() {
        return 3;
    }

    @Override
    public String describe() {
        return "procedural shapes: " + count + " images, " + CLASSES.size() + " classes (" + String.join(", ", CLASSES)
                + "), seed " + seed;
    }

    @Override
    public List<String> classNames() {
        return CLASSES;
    }

    @Override
    public int label(int i) {
        check(i);
        return i % CLASSES.size();
    }

    @Override
    public Pixels pixels(int i) {
        return new Pixels(NATIVE_RESOLUTION, NATIVE_RESOLUTION, 3, render(i, NATIVE_RESOLUTION));
    }

    /** Rendered at the transform's resolution, so the transform has nothing to resample. */
    @Override
    public float[] load(int i, Transform tf, boolean flip) {
        int r = tf.resolution();
        return tf.apply(new Pixels(r, r, 3, render(i, r)), flip);
    }

    private void check(int i) {
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException("image " + i + " of " + count);
        }
    }

    /** Image {@code i} at {@code res × res}: RGB, CHW, values in [0, 1]. */
    public float[] render(int i, int res) {
        check(i);
        Rng rng = Rng.of(seed, i);
        int shape = label(i);

        // background: two related colours along a random direction
        double h0 = rng.nextDouble();
        double s0 = 0.2 + 0.4 * rng.nextDouble();
        double v0 = 0.25 + 0.7 * rng.nextDouble();
        double h1 = h0 + 0.3 * (rng.nextDouble() - 0.5);
        double v1 = clamp(v0 + 0.6 * (rng.nextDouble() - 0.5), 0.1, 1.0);
        double[] c0 = hsv(h0, s0, v0);
        double[] c1 = hsv(h1, s0, v1);
        double ga = 2 * Math.PI * rng.nextDouble();
        double gx = Math.cos(ga);
        double gy = Math.sin(ga);
        double bgLuma = 0.5 * (luma(c0) + luma(c1));

        // foreground: a saturated colour that stands out from the background
        double[] fg = null;
        for (int tries = 0; tries < 16 && fg == null; tries++) {
            double[] c = hsv(rng.nextDouble(), 0.6 + 0.4 * rng.nextDouble(), 0.15 + 0.85 * rng.nextDouble());
            if (Math.abs(luma(c) - bgLuma) >= 0.3) {
                fg = c;
            }
        }
        if (fg == null) {
            fg = bgLuma < 0.5 ? new double[] {1, 1, 1} : new double[] {0, 0, 0};
        }

        double cx = 0.3 + 0.4 * rng.nextDouble();
        double cy = 0.3 + 0.4 * rng.nextDouble();
        double size = 0.16 + 0.12 * rng.nextDouble();
        double angle = 2 * Math.PI * rng.nextDouble();
        double cos = Math.cos(angle);
        double sin = Math.sin(angle);
        double period = 0.18 + 0.12 * rng.nextDouble();

        int plane = res * res;
        float[] out = new float[3 * plane];
        for (int y = 0; y < res; y++) {
            double py = (y + 0.5) / res;
            for (int x = 0; x < res; x++) {
                double px = (x + 0.5) / res;
                double t = clamp(0.5 + (px - 0.5) * gx + (py - 0.5) * gy, 0, 1);
                double dx = px - cx;
                double dy = py - cy;
                double qx = cos * dx + sin * dy;
                double qy = -sin * dx + cos * dy;
                double d = switch (shape) {
                    case 0 -> Math.hypot(qx, qy) - size;
                    case 1 -> box(qx, qy, 0.8 * size);
                    case 2 -> triangle(qx, qy, 1.4 * size);
                    case 3 -> Math.abs(Math.hypot(qx, qy) - 0.8 * size) - 0.22 * size;
                    default -> stripes(qx, period);
                };
                double a = clamp(0.5 - d * res, 0, 1);
                int k = y * res + x;
                for (int c = 0; c < 3; c++) {
                    double bg = c0[c] + (c1[c] - c0[c]) * t;
                    out[c * plane + k] = (float) (bg + (fg[c] - bg) * a);
                }
            }
        }
        return out;
    }

    private static double box(double x, double y, double half) {
        double ax = Math.abs(x) - half;
        double ay = Math.abs(y) - half;
        double outside = Math.hypot(Math.max(ax, 0), Math.max(ay, 0));
        return outside + Math.min(Math.max(ax, ay), 0);
    }

    /** Equilateral triangle of half-side {@code r} centred on the origin (Inigo Quilez's exact SDF). */
    private static double triangle(double x, double y, double r) {
        double k = Math.sqrt(3.0);
        double px = Math.abs(x) - r;
        double py = y + r / k;
        if (px + k * py > 0) {
            double nx = (px - k * py) / 2;
            double ny = (-k * px - py) / 2;
            px = nx;
            py = ny;
        }
        px -= clamp(px, -2 * r, 0);
        return -Math.hypot(px, py) * Math.signum(py);
    }

    /** Bands half a period wide across the whole image. */
    private static double stripes(double x, double period) {
        double u = x / period;
        double f = u - Math.floor(u);
        return (Math.abs(f - 0.5) - 0.25) * period;
    }

    private static double luma(double[] c) {
        return 0.299 * c[0] + 0.587 * c[1] + 0.114 * c[2];
    }

    private static double clamp(double v, double lo, double hi) {
        return v < lo ? lo : (v > hi ? hi : v);
    }

    private static double[] hsv(double h, double s, double v) {
        h = h - Math.floor(h);
        double f = h * 6;
        int sector = (int) Math.floor(f) % 6;
        double frac = f - Math.floor(f);
        double p = v * (1 - s);
        double q = v * (1 - s * frac);
        double t = v * (1 - s * (1 - frac));
        return switch (sector) {
            case 0 -> new double[] {v, t, p};
            case 1 -> new double[] {q, v, p};
            case 2 -> new double[] {p, v, t};
            case 3 -> new double[] {p, q, v};
            case 4 -> new double[] {t, p, v};
            default -> new double[] {v, p, q};
        };
    }
}

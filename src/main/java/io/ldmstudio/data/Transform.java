package io.ldmstudio.data;

import io.ldmstudio.config.RunConfig;
import java.awt.image.BufferedImage;

/**
 * Shapes a decoded image for training: centre crop to a square (when {@code centerCrop}), resize to
 * {@code resolution × resolution}, convert to {@code channels}, optionally mirror left–right, and
 * scale from [0, 1] to [-1, 1]. The result is a CHW {@code float[]} of
 * {@code channels · resolution²} values.
 *
 * <p>Resizing is separable, each axis on its own: shrinking averages the exact area each output
 * pixel covers (a box filter with fractional edges, so a 2×2 block becomes its mean); enlarging is
 * bilinear with pixel centres at half-integers (as PIL and {@code align_corners=False}); an axis
 * whose size already matches is copied. Without {@code centerCrop} a non-square image is stretched
 * to the square. RGB → gray uses BT.601 luma (0.299, 0.587, 0.114); gray → RGB repeats the plane.
 *
 * <p>Immutable and thread-safe.
 */
public record Transform(int resolution, int channels, boolean centerCrop) {

    /**
     * The shape of already-encoded data (e.g. latents with 4 channels): a loader uses it for batch
     * shapes only; {@link #apply} accepts images with 1 or 3 channels.
     */
    public static Transform shapeOnly(int resolution, int channels) {
        return new Transform(resolution, channels, false);
    }

    public Transform {
        if (resolution <= 0) {
            throw new IllegalArgumentException("resolution must be positive: " + resolution);
        }
        if (channels < 1) {
            throw new IllegalArgumentException("channels must be positive: " + channels);
        }
    }

    public static Transform of(RunConfig.Data d) {
        return new Transform(d.resolution(), d.channels(), d.centerCrop());
    }

    /** Values per transformed image: {@code channels · resolution²}. */
    public int length() {
        return channels * resolution * resolution;
    }

    /** The transformed image as CHW floats in [-1, 1]. */
    public float[] apply(Pixels p, boolean flip) {
        float[] out = new float[length()];
        apply(p, flip, out, 0);
        return out;
    }

    /** Writes the transformed image into {@code out} from {@code offset} (a batch slot). */
    public void apply(Pixels p, boolean flip, float[] out, int offset) {
        int w = p.width();
        int h = p.height();
        int x0 = 0;
        int y0 = 0;
        int cw = w;
        int ch = h;
        if (centerCrop && w != h) {
            int s = Math.min(w, h);
            x0 = (w - s) / 2;
            y0 = (h - s) / 2;
            cw = s;
            ch = s;
        }
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("images convert to 1 or 3 channels, not " + channels
                    + " (a shape-only transform describes encoded data)");
        }
        int res = resolution;
        int plane = res * res;
        float[] src = p.data();
        int srcPlanes = p.channels();
        int srcPlaneLen = w * h;
        float[] gray = null;
        if (srcPlanes == 3 && channels == 1) {
            // luma first: one plane to resize instead of three (the two steps commute)
            gray = new float[cw * ch];
            for (int y = 0; y < ch; y++) {
                int row = (y0 + y) * w + x0;
                for (int x = 0; x < cw; x++) {
                    int i = row + x;
                    gray[y * cw + x] = Pixels.LUMA_R * src[i] + Pixels.LUMA_G * src[srcPlaneLen + i]
                            + Pixels.LUMA_B * src[2 * srcPlaneLen + i];
                }
            }
        }
        int planesToResize = gray != null ? 1 : srcPlanes;
        Axis ax = Axis.of(cw, res);
        Axis ay = Axis.of(ch, res);
        float[] tmp = new float[ch * res];
        float[] plane1 = new float[plane];
        for (int c = 0; c < planesToResize; c++) {
            float[] data;
            int base;
            int stride;
            int ox;
            int oy;
            if (gray != null) {
                data = gray;
                base = 0;
                stride = cw;
                ox = 0;
                oy = 0;
            } else {
                data = src;
                base = c * srcPlaneLen;
                stride = w;
                ox = x0;
                oy = y0;
            }
            // horizontal pass: ch rows of res values
            for (int y = 0; y < ch; y++) {
                int row = base + (oy + y) * stride + ox;
                for (int j = 0; j < res; j++) {
                    int[] idx = ax.index[j];
                    float[] wt = ax.weight[j];
                    float s = 0f;
                    for (int k = 0; k < idx.length; k++) {
                        s += wt[k] * data[row + idx[k]];
                    }
                    tmp[y * res + j] = s;
                }
            }
            // vertical pass: res rows of res values
            for (int j = 0; j < res; j++) {
                int[] idx = ay.index[j];
                float[] wt = ay.weight[j];
                for (int x = 0; x < res; x++) {
                    float s = 0f;
                    for (int k = 0; k < idx.length; k++) {
                        s += wt[k] * tmp[idx[k] * res + x];
                    }
                    plane1[j * res + x] = s;
                }
            }
            int outPlanes = (planesToResize == 1) ? channels : 1;
            int firstOut = (planesToResize == 1) ? 0 : c;
            for (int o = 0; o < outPlanes; o++) {
                int dst = offset + (firstOut + o) * plane;
                for (int y = 0; y < res; y++) {
                    int row = y * res;
                    for (int x = 0; x < res; x++) {
                        float v = plane1[row + (flip ? res - 1 - x : x)];
                        out[dst + row + x] = Pixels.clamp01(v) * 2f - 1f;
                    }
                }
            }
        }
    }

    /**
     * The centre {@code width × height} of {@code p}, unscaled, as CHW floats in [-1, 1] with
     * {@code channels} channels (RGB to gray by luma, gray to RGB by repetition).
     */
    public static float[] centerCrop(Pixels p, int channels, int width, int height) {
        if (width > p.width() || height > p.height() || width < 1 || height < 1) {
            throw new IllegalArgumentException("cannot crop " + width + "x" + height + " out of " + p.width() + "x"
                    + p.height());
        }
        if (channels != 1 && channels != 3) {
            throw new IllegalArgumentException("images convert to 1 or 3 channels, not " + channels);
        }
        int x0 = (p.width() - width) / 2;
        int y0 = (p.height() - height) / 2;
        int plane = p.width() * p.height();
        float[] src = p.data();
        float[] out = new float[channels * width * height];
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int i = (y0 + y) * p.width() + x0 + x;
                int o = y * width + x;
                if (p.channels() == channels) {
                    for (int c = 0; c < channels; c++) {
                        out[c * width * height + o] = Pixels.clamp01(src[c * plane + i]) * 2f - 1f;
                    }
                } else if (channels == 1) {
                    float v = Pixels.LUMA_R * src[i] + Pixels.LUMA_G * src[plane + i] + Pixels.LUMA_B * src[2 * plane + i];
                    out[o] = Pixels.clamp01(v) * 2f - 1f;
                } else {
                    float v = Pixels.clamp01(src[i]) * 2f - 1f;
                    for (int c = 0; c < 3; c++) {
                        out[c * width * height + o] = v;
                    }
                }
            }
        }
        return out;
    }

    /** The transformed image as a picture (for previews): 8-bit gray or RGB. */
    public BufferedImage applyToImage(Pixels p, boolean flip) {
        return Grids.toImage(apply(p, flip), channels, resolution, resolution);
    }

    /** Source-index lists and weights for one axis of a resize from {@code n} to {@code m}. */
    private record Axis(int[][] index, float[][] weight) {
        static Axis of(int n, int m) {
            int[][] index = new int[m][];
            float[][] weight = new float[m][];
            if (m == n) {
                for (int j = 0; j < m; j++) {
                    index[j] = new int[] {j};
                    weight[j] = new float[] {1f};
                }
            } else if (m < n) {
                // area average: output j covers [j·n/m, (j+1)·n/m) of the input
                double scale = (double) n / m;
                for (int j = 0; j < m; j++) {
                    double lo = j * scale;
                    double hi = (j + 1) * scale;
                    int i0 = (int) Math.floor(lo);
                    int i1 = Math.min(n, (int) Math.ceil(hi - 1e-9));
                    int k = i1 - i0;
                    index[j] = new int[k];
                    weight[j] = new float[k];
                    for (int t = 0; t < k; t++) {
                        int i = i0 + t;
                        double overlap = Math.min(hi, i + 1) - Math.max(lo, i);
                        index[j][t] = i;
                        weight[j][t] = (float) (overlap / scale);
                    }
                }
            } else {
                // bilinear, pixel centres at i + 0.5
                double scale = (double) n / m;
                for (int j = 0; j < m; j++) {
                    double x = (j + 0.5) * scale - 0.5;
                    x = Math.max(0, Math.min(n - 1, x));
                    int i0 = (int) Math.floor(x);
                    int i1 = Math.min(i0 + 1, n - 1);
                    float f = (float) (x - i0);
                    if (i1 == i0 || f == 0f) {
                        index[j] = new int[] {i0};
                        weight[j] = new float[] {1f};
                    } else {
                        index[j] = new int[] {i0, i1};
                        weight[j] = new float[] {1f - f, f};
                    }
                }
            }
            return new Axis(index, weight);
        }
    }
}

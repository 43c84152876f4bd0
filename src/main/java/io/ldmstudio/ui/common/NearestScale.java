package io.ldmstudio.ui.common;

import javafx.scene.image.Image;
import javafx.scene.image.PixelFormat;
import javafx.scene.image.WritableImage;

/**
 * Nearest-neighbour enlarging, so each image pixel shows as a crisp block whatever the rendering
 * pipeline does: {@code ImageView.setSmooth(false)} asks the same of the renderer, but the software
 * pipeline (headless, some VMs) smooths regardless. Safe off the FX thread.
 */
public final class NearestScale {
    /** Copies larger than this many pixels are not made (the caller scales with the renderer instead). */
    public static final long MAX_PIXELS = 4_000_000L;

    private NearestScale() {}

    /** Whether {@link #enlarge} would make a copy of {@code img} at factor {@code k}. */
    public static boolean fits(Image img, int k) {
        return img != null && k >= 1 && (long) img.getWidth() * k * (long) img.getHeight() * k <= MAX_PIXELS;
    }

    /** The largest whole factor (at least 1) at which {@code img} still fits in {@code box × box}. */
    public static int factorToFit(Image img, double box) {
        double s = Math.min(box / img.getWidth(), box / img.getHeight());
        return Math.max(1, (int) Math.floor(s + 1e-9));
    }

    /**
     * {@code img} with every pixel repeated {@code k × k} times ({@code img} itself when {@code k ≤ 1}).
     * Cost: one pass over the output; a 500×500 result takes about a millisecond.
     *
     * @throws IllegalArgumentException when the copy would exceed {@link #MAX_PIXELS}
     */
    public static Image enlarge(Image img, int k) {
        if (k <= 1) {
            return img;
        }
        if (!fits(img, k)) {
            throw new IllegalArgumentException("a " + k + "x copy of a " + (int) img.getWidth() + "x"
                    + (int) img.getHeight() + " image would exceed " + MAX_PIXELS + " pixels");
        }
        return resample(img, (int) img.getWidth() * k, (int) img.getHeight() * k);
    }

    /**
     * {@code img} resampled to {@code ow × oh}, each output pixel taking the source pixel under its
     * centre: whole factors give equal squares, other sizes blocks one screen pixel apart in size.
     * Nothing is blended.
     */
    public static WritableImage resample(Image img, int ow, int oh) {
        int w = (int) img.getWidth();
        int h = (int) img.getHeight();
        int[] src = new int[w * h];
        img.getPixelReader().getPixels(0, 0, w, h, PixelFormat.getIntArgbInstance(), src, 0, w);
        int[] col = new int[ow];
        for (int x = 0; x < ow; x++) {
            col[x] = Math.min(w - 1, (int) ((x + 0.5) * w / ow));
        }
        int[] out = new int[ow * oh];
        for (int y = 0; y < oh; y++) {
            int from = Math.min(h - 1, (int) ((y + 0.5) * h / oh)) * w;
            int to = y * ow;
            for (int x = 0; x < ow; x++) {
                out[to + x] = src[from + col[x]];
            }
        }
        WritableImage result = new WritableImage(ow, oh);
        result.getPixelWriter().setPixels(0, 0, ow, oh, PixelFormat.getIntArgbInstance(), out, 0, ow);
        return result;
    }

    /** {@code img} enlarged by the largest whole factor that fits {@code box × box}. */
    public static Image toFit(Image img, double box) {
        return enlarge(img, factorToFit(img, box));
    }
}

package io.ldmstudio.ui.dataset;

import io.ldmstudio.data.ImageFolderSource;
import io.ldmstudio.data.ImageSource;
import io.ldmstudio.data.Pixels;
import io.ldmstudio.data.ProceduralSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What a dataset holds, in numbers: images per class, and image sizes and channel kinds. Pure
 * computation (no FX); runs on a background thread.
 */
public final class DatasetStats {
    private DatasetStats() {}

    /** Images per class; {@code names} is empty when the source has no labels. */
    public record Histogram(List<String> names, int[] counts) {
        public Histogram {
            names = List.copyOf(names);
            counts = counts.clone();
        }

        @Override
        public int[] counts() {
            return counts.clone();
        }

        public int total() {
            return Arrays.stream(counts).sum();
        }

        public boolean labelled() {
            return !names.isEmpty();
        }
    }

    /**
     * Sizes of the images.
     *
     * @param measured images measured (all of them; 0 for an empty source)
     * @param width    min, median and max width in pixels
     * @param height   min, median and max height
     * @param distinct number of distinct width × height pairs
     * @param kinds    channel kinds ("gray", "gray + alpha", "RGB", "RGB + alpha", "palette") and how many images have each
     * @param note     what else a user should know (procedural images render at any size), or null
     */
    public record Sizes(int measured, int[] width, int[] height, int distinct, Map<String, Integer> kinds,
            String note) {
        public Sizes {
            width = width.clone();
            height = height.clone();
            kinds = Map.copyOf(kinds);
        }

        @Override
        public int[] width() {
            return width.clone();
        }

        @Override
        public int[] height() {
            return height.clone();
        }

        public boolean uniform() {
            return distinct == 1;
        }

        /** A few lines for the statistics section. */
        public List<String> lines() {
            List<String> out = new ArrayList<>();
            if (measured == 0) {
                out.add("sizes: no image could be measured");
                return out;
            }
            if (uniform()) {
                out.add(String.format(Locale.ROOT, "size: all %,d image%s are %d×%d px", measured,
                        measured == 1 ? "" : "s", width[0], height[0]));
            } else {
                out.add(String.format(Locale.ROOT, "width  min %d · median %d · max %d px", width[0], width[1], width[2]));
                out.add(String.format(Locale.ROOT, "height min %d · median %d · max %d px", height[0], height[1],
                        height[2]));
                out.add(String.format(Locale.ROOT, "%,d distinct sizes among %,d images", distinct, measured));
            }
            StringBuilder k = new StringBuilder("channels: ");
            boolean first = true;
            for (Map.Entry<String, Integer> e : new TreeMap<>(kinds).entrySet()) {
                if (!first) {
                    k.append(" · ");
                }
                first = false;
                k.append(e.getKey()).append(' ').append(String.format(Locale.ROOT, "%,d", e.getValue()));
                if (kinds.size() > 1) {
                    k.append(String.format(Locale.ROOT, " (%.0f%%)", 100.0 * e.getValue() / measured));
                }
            }
            out.add(k.toString());
            if (note != null) {
                out.add(note);
            }
            return out;
        }
    }

    /** Counts the labels of every image. */
    public static Histogram histogram(ImageSource source) {
        List<String> names = source.classNames();
        int n = source.size();
        int[] counts = new int[Math.max(1, names.size())];
        if (names.isEmpty()) {
            counts[0] = n;
            return new Histogram(List.of(), counts);
        }
        for (int i = 0; i < n; i++) {
            int l = source.label(i);
            if (l >= 0 && l < counts.length) {
                counts[l]++;
            }
        }
        return new Histogram(names, counts);
    }

    /**
     * Sizes and channel kinds. A folder's come from the headers {@link ImageFolderSource} read while
     * scanning (no file is read again); the other sources have one size for all images.
     */
    public static Sizes sizes(ImageSource source) {
        int n = source.size();
        if (source instanceof ImageFolderSource folder) {
            int[] w = new int[n];
            int[] h = new int[n];
            Map<String, Integer> kinds = new TreeMap<>();
            Set<Long> sizes = new HashSet<>();
            for (int i = 0; i < n; i++) {
                w[i] = folder.width(i);
                h[i] = folder.height(i);
                kinds.merge(folder.colorKind(i).toString(), 1, Integer::sum);
                sizes.add(((long) w[i] << 32) | h[i]);
            }
            return new Sizes(n, minMedMax(w, n), minMedMax(h, n), sizes.size(), kinds, null);
        }
        if (n == 0) {
            return new Sizes(0, new int[3], new int[3], 0, Map.of(), null);
        }
        Pixels p = source.pixels(0);
        String kind = p.channels() == 1 ? "gray" : "RGB";
        String note = source instanceof ProceduralSource
                ? "procedural images are drawn at the training resolution; " + p.width() + "×" + p.height()
                        + " is the preview size"
                : null;
        return new Sizes(n, new int[] {p.width(), p.width(), p.width()}, new int[] {p.height(), p.height(), p.height()},
                1, Map.of(kind, n), note);
    }

    private static int[] minMedMax(int[] v, int m) {
        if (m == 0) {
            return new int[3];
        }
        int[] s = Arrays.copyOf(v, m);
        Arrays.sort(s);
        return new int[] {s[0], s[(m - 1) / 2], s[m - 1]};
    }
}

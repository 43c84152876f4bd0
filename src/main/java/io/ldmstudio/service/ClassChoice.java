package io.ldmstudio.service;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Which classes a class-conditional model is sampled for, as {@code sample --class} and the Denoising pane ask:
 * {@code all} — one row per class of {@code perClass} images — or a list of classes by label or name, cycled
 * over the n images.
 *
 * @param labels    one class label per image
 * @param perClass  images per row for {@code all}; 0 for a list (no rows)
 * @param rowLabels the class names of the rows for {@code all}; empty for a list
 */
public record ClassChoice(int[] labels, int perClass, List<String> rowLabels) {
    public static final int DEFAULT_PER_CLASS = 4;
    /** The most images {@code all} may ask for. */
    public static final int MAX_IMAGES = 1024;
    /** The keyword of one row per class. */
    public static final String ALL = "all";

    public ClassChoice {
        labels = labels.clone();
        rowLabels = List.copyOf(rowLabels);
    }

    /**
     * Parses {@code arg} for a model of {@code classes} classes named {@code names} (may be empty: labels only);
     * {@code n} the images asked for (null: per class for {@code all} 4, for a list its length). Messages name the
     * option as {@code sample} spells it ({@code --class}, {@code --n}).
     */
    public static ClassChoice parse(String arg, int classes, List<String> names, Integer n, String source) {
        return parse(arg, classes, names, n, source, "--class", "--n");
    }

    /**
     * As {@link #parse(String, int, List, Integer, String)}, messages naming the class option {@code option} and
     * the image count {@code nOption}.
     */
    public static ClassChoice parse(String arg, int classes, List<String> names, Integer n, String source, String option,
            String nOption) {
        if (classes == 0) {
            throw new IllegalArgumentException(option + " " + arg + ": " + source + " is unconditional (it takes no class)");
        }
        String a = arg == null ? "" : arg.trim();
        if (a.isEmpty()) {
            throw new IllegalArgumentException(option + ": expected " + ALL + ", a class label 0.." + (classes - 1)
                    + (names.isEmpty() ? "" : " or a name (" + String.join(", ", names) + ")") + ", or a list of them");
        }
        if (a.equalsIgnoreCase(ALL)) {
            int per = n == null ? DEFAULT_PER_CLASS : n;
            if (per < 1 || (long) per * classes > MAX_IMAGES) {
                throw new IllegalArgumentException(nOption + " " + per + " per class for " + option + " " + ALL + " of "
                        + classes + " classes: expected 1.." + MAX_IMAGES / classes);
            }
            int[] labels = new int[classes * per];
            List<String> rows = new ArrayList<>();
            for (int k = 0; k < classes; k++) {
                rows.add(name(k, names));
                for (int j = 0; j < per; j++) {
                    labels[k * per + j] = k;
                }
            }
            return new ClassChoice(labels, per, rows);
        }
        List<Integer> chosen = new ArrayList<>();
        for (String token : a.split(",")) {
            chosen.add(label(token.trim(), classes, names, option));
        }
        int count = n == null ? chosen.size() : n;
        if (count < 1) {
            throw new IllegalArgumentException(nOption + " " + count + ": expected at least 1 image");
        }
        int[] labels = new int[count];
        for (int i = 0; i < count; i++) {
            labels[i] = chosen.get(i % chosen.size());
        }
        return new ClassChoice(labels, 0, List.of());
    }

    /** Class {@code k}'s name, or {@code class K} when the model names none. */
    public static String name(int k, List<String> names) {
        return k >= 0 && k < names.size() ? names.get(k) : "class " + k;
    }

    /** Whether this is one row per class. */
    public boolean rows() {
        return perClass > 0;
    }

    /**
     * The classes in words: {@code one row per class}, {@code ring}, {@code 3, 7, sneaker} (the distinct labels in
     * order of first use, by name).
     */
    public String describe(List<String> names) {
        if (rows()) {
            return "one row per class";
        }
        return String.join(", ", distinct().stream().map(k -> name(k, names)).toList());
    }

    /** For file names: {@code all}, {@code ring}, {@code 3-7-sneaker} (lower case, no blanks). */
    public String slug(List<String> names) {
        String s = rows() ? ALL : String.join("-", distinct().stream().map(k -> name(k, names)).toList());
        return s.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9._-]+", "_");
    }

    private List<Integer> distinct() {
        List<Integer> out = new ArrayList<>();
        for (int l : labels) {
            if (!out.contains(l)) {
                out.add(l);
            }
        }
        return out;
    }

    /** A guidance scale as a label writes it: {@code 2}, {@code 1.5}. */
    public static String formatScale(double v) {
        return v == Math.rint(v) && Math.abs(v) < 1e15 ? Long.toString((long) v) : Double.toString(v);
    }

    private static int label(String token, int classes, List<String> names, String option) {
        try {
            int k = Integer.parseInt(token);
            if (k < 0 || k >= classes) {
                throw new IllegalArgumentException(option + " " + k + ": the model has classes 0.." + (classes - 1)
                        + (names.isEmpty() ? "" : " (" + String.join(", ", names) + ")"));
            }
            return k;
        } catch (NumberFormatException e) {
            for (int k = 0; k < names.size(); k++) {
                if (names.get(k).equalsIgnoreCase(token)) {
                    return k;
                }
            }
            throw new IllegalArgumentException(option + " " + (token.isEmpty() ? "\"\"" : token)
                    + ": not a class of this model; expected a label 0.." + (classes - 1)
                    + (names.isEmpty() ? "" : " or a name: " + String.join(", ", names).toLowerCase(Locale.ROOT)));
        }
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClassChoice c && java.util.Arrays.equals(labels, c.labels) && perClass == c.perClass
                && rowLabels.equals(c.rowLabels);
    }

    @Override
    public int hashCode() {
        return java.util.Arrays.hashCode(labels) * 31 + perClass;
    }

    @Override
    public String toString() {
        return "ClassChoice" + java.util.Arrays.toString(labels) + (rows() ? " rows " + rowLabels : "");
    }
}

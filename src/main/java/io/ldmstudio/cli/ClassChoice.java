package io.ldmstudio.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What {@code sample --class} asks of a class-conditional model: {@code all} — one row per class of
 * {@code perClass} images — or a list of classes by label or name, cycled over the n images.
 *
 * @param labels    one class label per image
 * @param perClass  images per row for {@code all}; 0 for a list (no rows)
 * @param rowLabels the class names of the rows for {@code all}; empty for a list
 */
record ClassChoice(int[] labels, int perClass, List<String> rowLabels) {
    static final int DEFAULT_PER_CLASS = 4;

    /**
     * Parses {@code arg} for a model of {@code classes} classes named {@code names} (may be empty: labels only);
     * {@code n} the images asked for (null: per class for {@code all} 4, for a list its length).
     */
    static ClassChoice parse(String arg, int classes, List<String> names, Integer n, String source) {
        if (classes == 0) {
            throw new IllegalArgumentException("--class " + arg + ": " + source + " is unconditional (it takes no class)");
        }
        String a = arg.trim();
        if (a.equalsIgnoreCase("all")) {
            int per = n == null ? DEFAULT_PER_CLASS : n;
            if (per < 1 || (long) per * classes > 1024) {
                throw new IllegalArgumentException("--n " + per + " per class for --class all of " + classes
                        + " classes: expected 1.." + 1024 / classes);
            }
            int[] labels = new int[classes * per];
            List<String> rows = new ArrayList<>();
            for (int k = 0; k < classes; k++) {
                rows.add(k < names.size() ? names.get(k) : "class " + k);
                for (int j = 0; j < per; j++) {
                    labels[k * per + j] = k;
                }
            }
            return new ClassChoice(labels, per, rows);
        }
        List<Integer> chosen = new ArrayList<>();
        for (String token : a.split(",")) {
            chosen.add(label(token.trim(), classes, names));
        }
        int count = n == null ? chosen.size() : n;
        int[] labels = new int[count];
        for (int i = 0; i < count; i++) {
            labels[i] = chosen.get(i % chosen.size());
        }
        return new ClassChoice(labels, 0, List.of());
    }

    private static int label(String token, int classes, List<String> names) {
        try {
            int k = Integer.parseInt(token);
            if (k < 0 || k >= classes) {
                throw new IllegalArgumentException("--class " + k + ": the model has classes 0.." + (classes - 1)
                        + (names.isEmpty() ? "" : " (" + String.join(", ", names) + ")"));
            }
            return k;
        } catch (NumberFormatException e) {
            for (int k = 0; k < names.size(); k++) {
                if (names.get(k).equalsIgnoreCase(token)) {
                    return k;
                }
            }
            throw new IllegalArgumentException("--class " + token + ": not a class of this model; expected a label 0.."
                    + (classes - 1) + (names.isEmpty() ? "" : " or a name: " + String.join(", ", names).toLowerCase(Locale.ROOT)));
        }
    }
}

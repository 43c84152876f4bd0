package io.ldmstudio.eval;

import java.util.Arrays;

/**
 * For a class-conditional run: the share of samples a classifier puts in the class each was generated for, over all
 * samples and per requested class.
 *
 * @param share    correct / total (NaN for no samples)
 * @param correct  samples classified as the requested class
 * @param total    samples
 * @param perClass for each class, the share of the samples requested as that class classified as it (NaN where none
 *                 was requested)
 * @param counts   samples requested per class
 */
public record ClassShare(double share, int correct, int total, double[] perClass, int[] counts) {

    /**
     * From predicted and requested labels, one pair per sample, both in [0, classes).
     *
     * @throws IllegalArgumentException for arrays of different lengths or a label outside [0, classes)
     */
    public static ClassShare of(int[] predicted, int[] requested, int classes) {
        if (predicted.length != requested.length) {
            throw new IllegalArgumentException(predicted.length + " predictions for " + requested.length
                    + " requested classes");
        }
        if (classes < 1) {
            throw new IllegalArgumentException("classes must be positive: " + classes);
        }
        int[] counts = new int[classes];
        int[] hits = new int[classes];
        int correct = 0;
        for (int i = 0; i < predicted.length; i++) {
            int r = requested[i];
            if (r < 0 || r >= classes || predicted[i] < 0 || predicted[i] >= classes) {
                throw new IllegalArgumentException("sample " + i + ": class " + (r < 0 || r >= classes ? r : predicted[i])
                        + " is outside [0, " + classes + ")");
            }
            counts[r]++;
            if (predicted[i] == r) {
                hits[r]++;
                correct++;
            }
        }
        double[] per = new double[classes];
        for (int c = 0; c < classes; c++) {
            per[c] = counts[c] == 0 ? Double.NaN : (double) hits[c] / counts[c];
        }
        int n = predicted.length;
        return new ClassShare(n == 0 ? Double.NaN : (double) correct / n, correct, n, per, counts);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClassShare c && correct == c.correct && total == c.total && Arrays.equals(perClass, c.perClass)
                && Arrays.equals(counts, c.counts);
    }

    @Override
    public int hashCode() {
        return 31 * Arrays.hashCode(counts) + correct;
    }

    @Override
    public String toString() {
        return "ClassShare[" + correct + "/" + total + ", per class " + Arrays.toString(perClass) + "]";
    }
}

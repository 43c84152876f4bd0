package io.ldmstudio.eval;

/** Checks shared by {@link FeatureStats} and {@link KernelDistance}: a feature matrix is N rows of D finite values. */
final class Features {
    private Features() {}

    /** The common row length; refuses an empty matrix, ragged rows and rows with NaN or ±∞, naming how many. */
    static int checkRows(double[][] rows, String what) {
        if (rows == null || rows.length == 0) {
            throw new IllegalArgumentException(what + ": no feature rows were given");
        }
        int d = rows[0].length;
        if (d == 0) {
            throw new IllegalArgumentException(what + ": feature rows have no values (dimension 0)");
        }
        int bad = 0;
        int first = -1;
        for (int r = 0; r < rows.length; r++) {
            if (rows[r].length != d) {
                throw new IllegalArgumentException(what + ": row " + r + " has " + rows[r].length
                        + " features where row 0 has " + d);
            }
            for (double v : rows[r]) {
                if (!Double.isFinite(v)) {
                    if (first < 0) {
                        first = r;
                    }
                    bad++;
                    break;
                }
            }
        }
        if (bad > 0) {
            throw new IllegalArgumentException(what + ": " + bad + " of " + rows.length
                    + " feature rows hold NaN or infinite values (the first is row " + first + "); "
                    + "the statistics of such features mean nothing");
        }
        return d;
    }

    static void checkSameDimension(int d1, int d2, String what) {
        if (d1 != d2) {
            throw new IllegalArgumentException(what + " have different feature dimensions: " + d1 + " and " + d2
                    + "; compute both with the same network and layer (Inception's pool features are 2048)");
        }
    }
}

package io.ldmstudio.eval;

/** Argument checks shared by the metrics: CHW sizes and array lengths. */
final class Shapes {
    private Shapes() {}

    /** {@code channels · height · width}, after checking each is positive. */
    static int length(int channels, int height, int width) {
        if (channels <= 0 || height <= 0 || width <= 0) {
            throw new IllegalArgumentException("image shape must be positive: " + channels + "x" + height
                    + "x" + width + " (channels x height x width)");
        }
        long n = (long) channels * height * width;
        if (n > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("image too large: " + channels + "x" + height + "x" + width);
        }
        return (int) n;
    }

    /** Checks that both images hold exactly one CHW image of the given shape. */
    static int checkPair(float[] a, float[] b, int channels, int height, int width) {
        int n = length(channels, height, width);
        if (a == null || b == null) {
            throw new IllegalArgumentException("images must not be null");
        }
        if (a.length != n || b.length != n) {
            throw new IllegalArgumentException("images have " + a.length + " and " + b.length
                    + " values, expected " + channels + "x" + height + "x" + width + " = " + n);
        }
        return n;
    }

    static PixelRange checkRange(PixelRange range) {
        if (range == null) {
            throw new IllegalArgumentException("pixel range must not be null");
        }
        return range;
    }
}

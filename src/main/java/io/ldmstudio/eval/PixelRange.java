package io.ldmstudio.eval;

/**
 * The value range of the float images handed to the metrics. Every metric is computed on the
 * [0, 1] scale (data range 1), so an image in [-1, 1] is first mapped by {@code (v + 1) / 2}: a
 * difference of 0.2 in [-1, 1] is a difference of 0.1 for the metrics.
 *
 * <p>Values outside the range are used as they are (not clamped); clamp a decoder's output first
 * if the metrics should describe the picture as it would be saved.
 */
public enum PixelRange {
    /** [-1, 1]: the studio's convention for transformed images, model inputs and outputs. */
    MINUS_ONE_TO_ONE,
    /** [0, 1]: decoded pictures ({@link io.ldmstudio.data.Pixels}). */
    ZERO_TO_ONE;

    /** {@code v} on the [0, 1] scale (exact in double for every float {@code v}). */
    public double toUnit(float v) {
        return this == ZERO_TO_ONE ? v : (v + 1.0) * 0.5;
    }

    /** A value on the [0, 1] scale expressed in this range. */
    public double fromUnit(double u) {
        return this == ZERO_TO_ONE ? u : u * 2.0 - 1.0;
    }
}

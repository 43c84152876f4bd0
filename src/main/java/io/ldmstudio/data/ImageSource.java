package io.ldmstudio.data;

import java.awt.image.BufferedImage;
import java.util.List;

/**
 * A fixed, indexed collection of labelled images. Implementations are safe to call from several
 * decoding threads at once.
 */
public interface ImageSource {

    /** A file that was left out, and why (shown to the user and written to the run's log). */
    record Skipped(String path, String reason) {}

    /** Number of usable images; indices run {@code 0..size()-1}. */
    int size();

    /** Channels the images have natively after decoding: 1 (gray) or 3 (RGB). */
    int channels();

    /** One line for the UI and the run log, e.g. {@code "CIFAR-10 binary: 50000 images, 10 classes"}. */
    String describe();

    /** Class names by label; empty when the source has no classes (every label is then 0). */
    List<String> classNames();

    int label(int i);

    /**
     * Image {@code i} decoded at its own size, values in [0, 1].
     *
     * @throws UnreadableImageException when image {@code i}'s file turns out not to decode; it is then
     *         listed in {@link #skipped()}. No other image is returned in its place.
     */
    Pixels pixels(int i);

    /**
     * Image {@code i} through the transform: CHW floats in [-1, 1], {@code tf.length()} values,
     * mirrored left–right when {@code flip}. Sources that can render at the target size directly
     * override this.
     */
    default float[] load(int i, Transform tf, boolean flip) {
        return tf.apply(pixels(i), flip);
    }

    default float[] load(int i, Transform tf) {
        return load(i, tf, false);
    }

    /** Image {@code i} through the transform, as a picture for previews. */
    default BufferedImage preview(int i, Transform tf) {
        return Grids.toImage(load(i, tf, false), tf.channels(), tf.resolution(), tf.resolution());
    }

    /**
     * Files left out so far, with the reason. A source may add entries when a file fails at load time
     * (its image then throws {@link UnreadableImageException}); entries are never removed. Safe to call
     * while other threads load.
     */
    default List<Skipped> skipped() {
        return List.of();
    }
}

package io.ldmstudio.eval;

import io.ldmstudio.data.Pixels;
import java.util.function.IntConsumer;
import java.util.function.IntFunction;

/**
 * A network that turns images into feature rows for a Fréchet or kernel distance: FID's Inception (2048-d pool3) or
 * another extractor. Images are handed over one at a time, so a large set never has to be held in memory at once.
 */
public interface FeatureExtractor {
    /** A short name for messages and cache file names, e.g. {@code inception}. */
    String name();

    /**
     * What identifies the extractor's weights, for caches: statistics computed with another fingerprint are not
     * reused. By default the name.
     */
    default String fingerprint() {
        return name();
    }

    /** D, the length of each feature row. */
    int dimension();

    /**
     * The features of {@code n} images, row i from {@code image.apply(i)} (RGB or gray, values in [0, 1], any size).
     *
     * @param progress told the number of images done after each batch (may be null)
     */
    double[][] features(int n, IntFunction<Pixels> image, IntConsumer progress);
}

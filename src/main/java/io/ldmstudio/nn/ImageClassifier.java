package io.ldmstudio.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.nn.Layers.Conv2d;
import io.ldmstudio.nn.Layers.GroupNorm;
import io.ldmstudio.nn.Layers.Linear;
import java.util.ArrayList;
import java.util.List;

/**
 * A small CNN classifier whose penultimate features stand in for Inception's pool3 on a dataset of the studio's
 * own (the {@code FD_<dataset>} metric): {@code conv_in} (3×3) at full resolution, then one stage per further width,
 * each a stride-2 3×3 convolution and a 3×3 convolution, every convolution followed by GroupNorm (8 groups) and
 * SiLU; a global average pool gives the features (the last width), and {@code head} (Linear) the class logits.
 * No BatchNorm and no dropout: the forward pass is the same function in training and evaluation, and on the CPU the
 * same images give the same bits.
 *
 * <p>Images go in as the studio holds them: (B, channels, resolution, resolution) in [−1, 1]. Parameter names:
 * {@code conv_in.*}, {@code norm_in.*}, {@code stages.i.down.*}, {@code stages.i.norm1.*}, {@code stages.i.conv.*},
 * {@code stages.i.norm2.*}, {@code head.*}.
 */
public final class ImageClassifier extends Module {
    /** Groups of every GroupNorm. */
    public static final int GROUPS = 8;
    private static final float EPS = 1e-5f;

    /**
     * The network's shape.
     *
     * @param channels   image channels (1 or 3)
     * @param resolution image side in pixels
     * @param classes    number of classes (≥ 2)
     * @param widths     channels of {@code conv_in} and of each stage; the last is the feature dimension
     */
    public record Config(int channels, int resolution, int classes, List<Integer> widths) {
        public Config {
            if (channels != 1 && channels != 3) {
                throw new IllegalArgumentException("the classifier takes 1 or 3 channels, not " + channels);
            }
            if (resolution < 4) {
                throw new IllegalArgumentException("the classifier needs images of at least 4 px, not " + resolution);
            }
            if (classes < 2) {
                throw new IllegalArgumentException("a classifier needs at least 2 classes, not " + classes);
            }
            widths = List.copyOf(widths);
            if (widths.isEmpty()) {
                throw new IllegalArgumentException("the classifier needs at least one width");
            }
            for (int w : widths) {
                if (w <= 0 || w % GROUPS != 0) {
                    throw new IllegalArgumentException("classifier widths are positive multiples of " + GROUPS + ": "
                            + widths);
                }
            }
        }

        /**
         * The studio's default: widths 32, 64, 128 (128-d features), with a further 128-wide stage while the map
         * after the last stage would be larger than 8×8 (64 px: one more, 256 px: three more).
         */
        public static Config defaults(int channels, int resolution, int classes) {
            List<Integer> w = new ArrayList<>(List.of(32, 64, 128));
            int side = resolution;
            for (int i = 1; i < w.size(); i++) {
                side = (side + 1) / 2;
            }
            while (side > 8) {
                w.add(128);
                side = (side + 1) / 2;
            }
            return new Config(channels, resolution, classes, w);
        }

        public int featureDim() {
            return widths.get(widths.size() - 1);
        }
    }

    /** One stride-2 downsampling stage. */
    private static final class Stage extends Module {
        private final Conv2d down;
        private final GroupNorm norm1;
        private final Conv2d conv;
        private final GroupNorm norm2;

        Stage(int in, int out) {
            down = child("down", new Conv2d(in, out, 3, 2, 1));
            norm1 = child("norm1", new GroupNorm(GROUPS, out, EPS));
            conv = child("conv", new Conv2d(out, out, 3, 1, 1));
            norm2 = child("norm2", new GroupNorm(GROUPS, out, EPS));
        }

        NDArray forward(NDArray x) {
            NDArray h = Ops.silu(norm1.forward(down.forward(x)));
            return Ops.silu(norm2.forward(conv.forward(h)));
        }
    }

    private final Config config;
    private final Conv2d convIn;
    private final GroupNorm normIn;
    private final List<Stage> stages = new ArrayList<>();
    private final Linear head;

    public ImageClassifier(Config config) {
        this.config = config;
        List<Integer> w = config.widths();
        convIn = child("conv_in", new Conv2d(config.channels(), w.get(0), 3, 1, 1));
        normIn = child("norm_in", new GroupNorm(GROUPS, w.get(0), EPS));
        ModuleList<Stage> list = child("stages", new ModuleList<>());
        for (int i = 1; i < w.size(); i++) {
            stages.add(list.add(new Stage(w.get(i - 1), w.get(i))));
        }
        head = child("head", new Linear(config.featureDim(), config.classes()));
    }

    public Config config() {
        return config;
    }

    /**
     * The penultimate features (B, {@link Config#featureDim()}) of images (B, channels, resolution, resolution) in
     * [−1, 1], on the images' manager.
     *
     * @throws IllegalArgumentException for images of another shape
     */
    public NDArray features(NDArray images) {
        Shape s = images.getShape();
        if (s.dimension() != 4 || s.get(1) != config.channels() || s.get(2) != config.resolution()
                || s.get(3) != config.resolution()) {
            throw new IllegalArgumentException("the classifier takes (B, " + config.channels() + ", "
                    + config.resolution() + ", " + config.resolution() + ") images, got " + s);
        }
        NDArray h = Ops.silu(normIn.forward(convIn.forward(images)));
        for (Stage st : stages) {
            h = st.forward(h);
        }
        Shape hs = h.getShape();
        return h.reshape(hs.get(0), hs.get(1), hs.get(2) * hs.get(3)).mean(new int[] {2});
    }

    /** The class logits (B, classes) of features from {@link #features}. */
    public NDArray logits(NDArray features) {
        return head.forward(features);
    }

    /** The class logits of images: {@code logits(features(images))}. */
    public NDArray forward(NDArray images) {
        return logits(features(images));
    }
}

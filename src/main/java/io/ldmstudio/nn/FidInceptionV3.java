package io.ldmstudio.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.ldmstudio.nn.Layers.Linear;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;

/**
 * The Inception-v3 of FID as pytorch-fid computes it ({@code pytorch_fid.inception.InceptionV3} with
 * {@code resize_input=True}, {@code normalize_input=True}, output block 3, over {@code fid_inception_v3()}):
 * torchvision's {@code Inception3(num_classes=1008, aux_logits=False)} layout and parameter names
 * ({@code Conv2d_1a_3x3.conv.weight}, {@code Mixed_5b.branch1x1.bn.running_var}, …, {@code fc.weight}) with
 * pytorch-fid's patched blocks:
 * <ul>
 *   <li>{@code Mixed_5b}–{@code 5d} FIDInceptionA, {@code Mixed_6b}–{@code 6e} FIDInceptionC and {@code Mixed_7b}
 *       FIDInceptionE_1: the pool branch averages 3×3 windows (stride 1, padding 1) over the pixels inside the
 *       image only ({@code count_include_pad=False}, as TensorFlow's pool that the weights come from);</li>
 *   <li>{@code Mixed_7c} FIDInceptionE_2: a 3×3 max pool (stride 1, padding 1) there instead;</li>
 *   <li>{@code Mixed_6a} InceptionB and {@code Mixed_7a} InceptionD as torchvision has them.</li>
 * </ul>
 * Every convolution is torchvision's {@code BasicConv2d}: a convolution without bias, BatchNorm (eps 0.001, running
 * statistics: inference only) and ReLU. The features are pytorch-fid's {@code pool3}: the 2048 channels of
 * {@code Mixed_7c} averaged over the 8×8 map; {@link #logits} applies {@code fc} (2048 → 1008) to them.
 *
 * <p>Images go in as pytorch-fid takes them: RGB in [0, 1], any size; {@link #preprocess} replicates one channel to
 * three, resizes to 299×299 (bilinear, {@code align_corners=False}, as {@code F.interpolate}) and maps to [−1, 1].
 * Weights come from a safetensors file ({@code io.ldmstudio.weights.InceptionWeights}); nothing here reads files.
 */
public final class FidInceptionV3 extends Module {
    /** The side images are resized to. */
    public static final int INPUT_SIZE = 299;
    /** The dimension of the pool3 features. */
    public static final int FEATURES = 2048;
    /** The classes of {@code fc} in pytorch-fid's weights (TensorFlow's 1008-way ImageNet head). */
    public static final int CLASSES = 1008;
    /** torchvision's {@code BatchNorm2d(eps=0.001)} in {@code BasicConv2d}. */
    public static final double BN_EPS = 0.001;
    /** libtorch's {@code InterpolateFuncOptions} mode for bilinear ({@code torch::kBilinear}) in DJL's JNI. */
    private static final int TORCH_BILINEAR = 2;

    private final List<UnaryOperator<NDArray>> stages = new ArrayList<>();
    private final Linear fc;

    public FidInceptionV3() {
        BasicConv2d c1a = child("Conv2d_1a_3x3", new BasicConv2d(3, 32, 3, 3, 2, 0, 0));
        BasicConv2d c2a = child("Conv2d_2a_3x3", new BasicConv2d(32, 32, 3, 3, 1, 0, 0));
        BasicConv2d c2b = child("Conv2d_2b_3x3", new BasicConv2d(32, 64, 3, 3, 1, 1, 1));
        BasicConv2d c3b = child("Conv2d_3b_1x1", new BasicConv2d(64, 80, 1, 1, 1, 0, 0));
        BasicConv2d c4a = child("Conv2d_4a_3x3", new BasicConv2d(80, 192, 3, 3, 1, 0, 0));
        stages.add(x -> maxPool(c2b.forward(c2a.forward(c1a.forward(x))), 3, 2, 0)); // pytorch-fid's block 0
        stages.add(x -> maxPool(c4a.forward(c3b.forward(x)), 3, 2, 0));              // block 1
        stages.add(child("Mixed_5b", new InceptionA(192, 32))::forward);
        stages.add(child("Mixed_5c", new InceptionA(256, 64))::forward);
        stages.add(child("Mixed_5d", new InceptionA(288, 64))::forward);
        stages.add(child("Mixed_6a", new InceptionB(288))::forward);
        stages.add(child("Mixed_6b", new InceptionC(768, 128))::forward);
        stages.add(child("Mixed_6c", new InceptionC(768, 160))::forward);
        stages.add(child("Mixed_6d", new InceptionC(768, 160))::forward);
        stages.add(child("Mixed_6e", new InceptionC(768, 192))::forward);
        stages.add(child("Mixed_7a", new InceptionD(768))::forward);
        stages.add(child("Mixed_7b", new InceptionE(1280, false))::forward);
        stages.add(child("Mixed_7c", new InceptionE(2048, true))::forward);
        stages.add(x -> x.getNDArrayInternal().globalAvgPool()); // (B, 2048, 8, 8) -> (B, 2048)
        fc = child("fc", new Linear(FEATURES, CLASSES));
    }

    /**
     * pytorch-fid's input transform: (B, 1 or 3, H, W) images in [0, 1] (any float type) to (B, 3, 299, 299) float32
     * in [−1, 1]: one channel replicated to three, {@code F.interpolate(x, size=(299, 299), mode='bilinear',
     * align_corners=False)} (skipped at 299×299, where it is the identity), then {@code 2x − 1}. The result lives on
     * the images' manager.
     *
     * @throws IllegalArgumentException for anything but a batch of 1- or 3-channel images
     */
    public static NDArray preprocess(NDArray images) {
        Shape s = images.getShape();
        if (s.dimension() != 4 || (s.get(1) != 1 && s.get(1) != 3) || s.get(2) < 1 || s.get(3) < 1) {
            throw new IllegalArgumentException("the FID network takes a batch of 1- or 3-channel images (B, C, H, W), got "
                    + s);
        }
        NDArray x = images.toType(DataType.FLOAT32, false);
        if (s.get(2) != INPUT_SIZE || s.get(3) != INPUT_SIZE) {
            x = JniUtils.interpolate((PtNDArray) x, new long[] {INPUT_SIZE, INPUT_SIZE}, TORCH_BILINEAR, false);
        }
        if (s.get(1) == 1) {
            x = NDArrays.concat(new NDList(x, x, x), 1);
        }
        return x.mul(2).sub(1);
    }

    /**
     * The 2048-d pool3 features of images in [0, 1] ({@link #preprocess}, then the network), as (B, 2048) float32 on
     * the images' manager. Each stage runs in a manager of its own, so no more than a stage's intermediates are held at
     * once. Deterministic: the same images give the same bits.
     */
    public NDArray features(NDArray images) {
        NDManager caller = images.getManager();
        try (NDManager work = caller.newSubManager()) {
            images.tempAttach(work); // what preprocess makes lands in work; images go back to caller with it
            NDArray h = preprocess(images);
            h = runStages(h, work);
            h.attach(caller);
            return h;
        }
    }

    /** The pool3 features (B, 2048) of an already preprocessed batch (B, 3, 299, 299) in [−1, 1], on its manager. */
    public NDArray pool3(NDArray preprocessed) {
        Shape s = preprocessed.getShape();
        if (s.dimension() != 4 || s.get(1) != 3) {
            throw new IllegalArgumentException("pool3 takes preprocessed (B, 3, 299, 299) images, got " + s);
        }
        NDManager caller = preprocessed.getManager();
        try (NDManager work = caller.newSubManager()) {
            NDArray h = preprocessed.duplicate();
            h.attach(work);
            h = runStages(h, work);
            h.attach(caller);
            return h;
        }
    }

    /** The 1008 logits of {@code fc} for pool3 features (B, 2048), on the features' manager. */
    public NDArray logits(NDArray features) {
        return fc.forward(features);
    }

    /** Runs every stage on {@code h} (owned by {@code work}), freeing each stage's input and intermediates. */
    private NDArray runStages(NDArray h, NDManager work) {
        for (UnaryOperator<NDArray> stage : stages) {
            try (NDManager step = work.newSubManager()) {
                h.attach(step);
                NDArray out = stage.apply(h);
                out.attach(work);
                h = out;
            }
        }
        return h;
    }

    static NDArray relu(NDArray x) {
        return JniUtils.relu((PtNDArray) x);
    }

    static NDArray maxPool(NDArray x, int kernel, int stride, int padding) {
        return x.getNDArrayInternal().maxPool(new Shape(kernel, kernel), new Shape(stride, stride),
                new Shape(padding, padding), false);
    }

    /**
     * {@code F.avg_pool2d(x, 3, stride=1, padding=1, count_include_pad=False)}: the mean of each 3×3 window over the
     * pixels inside the image (9 inside, 6 on an edge, 4 in a corner). Computed as the zero-padded mean (sum / 9) times
     * 9 / count: DJL 0.36's average pool does not pass {@code count_include_pad} on to libtorch (with false, a corner of
     * ones still averages to 4/9).
     */
    static NDArray avgPool3x3ExcludingPadding(NDArray x) {
        Shape s = x.getShape();
        int h = Math.toIntExact(s.get(2));
        int w = Math.toIntExact(s.get(3));
        NDArray mean9 = x.getNDArrayInternal().avgPool(new Shape(3, 3), new Shape(1, 1), new Shape(1, 1), false, true);
        float[] factor = new float[h * w];
        for (int i = 0; i < h; i++) {
            int rows = 3 - (i == 0 ? 1 : 0) - (i == h - 1 ? 1 : 0);
            for (int j = 0; j < w; j++) {
                int cols = 3 - (j == 0 ? 1 : 0) - (j == w - 1 ? 1 : 0);
                factor[i * w + j] = 9f / (rows * cols);
            }
        }
        NDArray f = x.getManager().create(factor, new Shape(1, 1, h, w)).toType(x.getDataType(), false);
        return mean9.mul(f);
    }

    static NDArray cat(NDArray... parts) {
        return NDArrays.concat(new NDList(parts), 1);
    }

    /** A convolution without bias ({@code nn.Conv2d(..., bias=False)}), kernel kh×kw, one stride, padding (ph, pw). */
    static final class ConvNoBias extends Module {
        private final Param weight;
        private final int stride;
        private final int padH;
        private final int padW;

        ConvNoBias(int in, int out, int kh, int kw, int stride, int padH, int padW) {
            this.weight = param("weight", (long) in * kh * kw, out, in, kh, kw);
            this.stride = stride;
            this.padH = padH;
            this.padW = padW;
        }

        NDArray forward(NDArray x) {
            return Ops.conv2d(x, weight.array(), null, stride, padH, padW);
        }
    }

    /** {@code nn.BatchNorm2d} in eval mode: weight, bias, running_mean, running_var (num_batches_tracked is not kept). */
    static final class BatchNorm2d extends Module {
        private final Param weight;
        private final Param bias;
        private final Param runningMean;
        private final Param runningVar;

        BatchNorm2d(int channels) {
            weight = ones("weight", channels);
            bias = zeros("bias", channels);
            runningMean = zeros("running_mean", channels);
            runningVar = ones("running_var", channels);
        }

        NDArray forward(NDArray x) {
            return JniUtils.batchNorm((PtNDArray) x, (PtNDArray) runningMean.array(), (PtNDArray) runningVar.array(),
                    (PtNDArray) weight.array(), (PtNDArray) bias.array(), false, 0.1, BN_EPS);
        }
    }

    /** torchvision's {@code BasicConv2d}: {@code relu(bn(conv(x)))}. */
    static final class BasicConv2d extends Module {
        private final ConvNoBias conv;
        private final BatchNorm2d bn;

        BasicConv2d(int in, int out, int kh, int kw, int stride, int padH, int padW) {
            conv = child("conv", new ConvNoBias(in, out, kh, kw, stride, padH, padW));
            bn = child("bn", new BatchNorm2d(out));
        }

        /** A square kernel with stride 1. */
        BasicConv2d(int in, int out, int kernel, int padding) {
            this(in, out, kernel, kernel, 1, padding, padding);
        }

        NDArray forward(NDArray x) {
            return relu(bn.forward(conv.forward(x)));
        }
    }

    /** pytorch-fid's {@code FIDInceptionA} (torchvision's InceptionA with the count_include_pad=False pool). */
    static final class InceptionA extends Module {
        private final BasicConv2d branch1x1;
        private final BasicConv2d branch5x5_1;
        private final BasicConv2d branch5x5_2;
        private final BasicConv2d branch3x3dbl_1;
        private final BasicConv2d branch3x3dbl_2;
        private final BasicConv2d branch3x3dbl_3;
        private final BasicConv2d branchPool;

        InceptionA(int in, int poolFeatures) {
            branch1x1 = child("branch1x1", new BasicConv2d(in, 64, 1, 0));
            branch5x5_1 = child("branch5x5_1", new BasicConv2d(in, 48, 1, 0));
            branch5x5_2 = child("branch5x5_2", new BasicConv2d(48, 64, 5, 2));
            branch3x3dbl_1 = child("branch3x3dbl_1", new BasicConv2d(in, 64, 1, 0));
            branch3x3dbl_2 = child("branch3x3dbl_2", new BasicConv2d(64, 96, 3, 1));
            branch3x3dbl_3 = child("branch3x3dbl_3", new BasicConv2d(96, 96, 3, 1));
            branchPool = child("branch_pool", new BasicConv2d(in, poolFeatures, 1, 0));
        }

        NDArray forward(NDArray x) {
            NDArray b1 = branch1x1.forward(x);
            NDArray b5 = branch5x5_2.forward(branch5x5_1.forward(x));
            NDArray b3 = branch3x3dbl_3.forward(branch3x3dbl_2.forward(branch3x3dbl_1.forward(x)));
            NDArray bp = branchPool.forward(avgPool3x3ExcludingPadding(x));
            return cat(b1, b5, b3, bp);
        }
    }

    /** torchvision's {@code InceptionB} (Mixed_6a: 35×35 → 17×17). */
    static final class InceptionB extends Module {
        private final BasicConv2d branch3x3;
        private final BasicConv2d branch3x3dbl_1;
        private final BasicConv2d branch3x3dbl_2;
        private final BasicConv2d branch3x3dbl_3;

        InceptionB(int in) {
            branch3x3 = child("branch3x3", new BasicConv2d(in, 384, 3, 3, 2, 0, 0));
            branch3x3dbl_1 = child("branch3x3dbl_1", new BasicConv2d(in, 64, 1, 0));
            branch3x3dbl_2 = child("branch3x3dbl_2", new BasicConv2d(64, 96, 3, 1));
            branch3x3dbl_3 = child("branch3x3dbl_3", new BasicConv2d(96, 96, 3, 3, 2, 0, 0));
        }

        NDArray forward(NDArray x) {
            NDArray b3 = branch3x3.forward(x);
            NDArray bd = branch3x3dbl_3.forward(branch3x3dbl_2.forward(branch3x3dbl_1.forward(x)));
            return cat(b3, bd, maxPool(x, 3, 2, 0));
        }
    }

    /** pytorch-fid's {@code FIDInceptionC} (torchvision's InceptionC with the count_include_pad=False pool). */
    static final class InceptionC extends Module {
        private final BasicConv2d branch1x1;
        private final BasicConv2d branch7x7_1;
        private final BasicConv2d branch7x7_2;
        private final BasicConv2d branch7x7_3;
        private final BasicConv2d branch7x7dbl_1;
        private final BasicConv2d branch7x7dbl_2;
        private final BasicConv2d branch7x7dbl_3;
        private final BasicConv2d branch7x7dbl_4;
        private final BasicConv2d branch7x7dbl_5;
        private final BasicConv2d branchPool;

        InceptionC(int in, int c7) {
            branch1x1 = child("branch1x1", new BasicConv2d(in, 192, 1, 0));
            branch7x7_1 = child("branch7x7_1", new BasicConv2d(in, c7, 1, 0));
            branch7x7_2 = child("branch7x7_2", new BasicConv2d(c7, c7, 1, 7, 1, 0, 3));
            branch7x7_3 = child("branch7x7_3", new BasicConv2d(c7, 192, 7, 1, 1, 3, 0));
            branch7x7dbl_1 = child("branch7x7dbl_1", new BasicConv2d(in, c7, 1, 0));
            branch7x7dbl_2 = child("branch7x7dbl_2", new BasicConv2d(c7, c7, 7, 1, 1, 3, 0));
            branch7x7dbl_3 = child("branch7x7dbl_3", new BasicConv2d(c7, c7, 1, 7, 1, 0, 3));
            branch7x7dbl_4 = child("branch7x7dbl_4", new BasicConv2d(c7, c7, 7, 1, 1, 3, 0));
            branch7x7dbl_5 = child("branch7x7dbl_5", new BasicConv2d(c7, 192, 1, 7, 1, 0, 3));
            branchPool = child("branch_pool", new BasicConv2d(in, 192, 1, 0));
        }

        NDArray forward(NDArray x) {
            NDArray b1 = branch1x1.forward(x);
            NDArray b7 = branch7x7_3.forward(branch7x7_2.forward(branch7x7_1.forward(x)));
            NDArray bd = branch7x7dbl_2.forward(branch7x7dbl_1.forward(x));
            bd = branch7x7dbl_5.forward(branch7x7dbl_4.forward(branch7x7dbl_3.forward(bd)));
            NDArray bp = branchPool.forward(avgPool3x3ExcludingPadding(x));
            return cat(b1, b7, bd, bp);
        }
    }

    /** torchvision's {@code InceptionD} (Mixed_7a: 17×17 → 8×8). */
    static final class InceptionD extends Module {
        private final BasicConv2d branch3x3_1;
        private final BasicConv2d branch3x3_2;
        private final BasicConv2d branch7x7x3_1;
        private final BasicConv2d branch7x7x3_2;
        private final BasicConv2d branch7x7x3_3;
        private final BasicConv2d branch7x7x3_4;

        InceptionD(int in) {
            branch3x3_1 = child("branch3x3_1", new BasicConv2d(in, 192, 1, 0));
            branch3x3_2 = child("branch3x3_2", new BasicConv2d(192, 320, 3, 3, 2, 0, 0));
            branch7x7x3_1 = child("branch7x7x3_1", new BasicConv2d(in, 192, 1, 0));
            branch7x7x3_2 = child("branch7x7x3_2", new BasicConv2d(192, 192, 1, 7, 1, 0, 3));
            branch7x7x3_3 = child("branch7x7x3_3", new BasicConv2d(192, 192, 7, 1, 1, 3, 0));
            branch7x7x3_4 = child("branch7x7x3_4", new BasicConv2d(192, 192, 3, 3, 2, 0, 0));
        }

        NDArray forward(NDArray x) {
            NDArray b3 = branch3x3_2.forward(branch3x3_1.forward(x));
            NDArray b7 = branch7x7x3_4.forward(branch7x7x3_3.forward(branch7x7x3_2.forward(branch7x7x3_1.forward(x))));
            return cat(b3, b7, maxPool(x, 3, 2, 0));
        }
    }

    /**
     * pytorch-fid's {@code FIDInceptionE_1} ({@code maxPool} false: the count_include_pad=False average pool) and
     * {@code FIDInceptionE_2} ({@code maxPool} true: a 3×3 max pool, stride 1, padding 1).
     */
    static final class InceptionE extends Module {
        private final BasicConv2d branch1x1;
        private final BasicConv2d branch3x3_1;
        private final BasicConv2d branch3x3_2a;
        private final BasicConv2d branch3x3_2b;
        private final BasicConv2d branch3x3dbl_1;
        private final BasicConv2d branch3x3dbl_2;
        private final BasicConv2d branch3x3dbl_3a;
        private final BasicConv2d branch3x3dbl_3b;
        private final BasicConv2d branchPool;
        private final boolean maxPool;

        InceptionE(int in, boolean maxPool) {
            branch1x1 = child("branch1x1", new BasicConv2d(in, 320, 1, 0));
            branch3x3_1 = child("branch3x3_1", new BasicConv2d(in, 384, 1, 0));
            branch3x3_2a = child("branch3x3_2a", new BasicConv2d(384, 384, 1, 3, 1, 0, 1));
            branch3x3_2b = child("branch3x3_2b", new BasicConv2d(384, 384, 3, 1, 1, 1, 0));
            branch3x3dbl_1 = child("branch3x3dbl_1", new BasicConv2d(in, 448, 1, 0));
            branch3x3dbl_2 = child("branch3x3dbl_2", new BasicConv2d(448, 384, 3, 1));
            branch3x3dbl_3a = child("branch3x3dbl_3a", new BasicConv2d(384, 384, 1, 3, 1, 0, 1));
            branch3x3dbl_3b = child("branch3x3dbl_3b", new BasicConv2d(384, 384, 3, 1, 1, 1, 0));
            branchPool = child("branch_pool", new BasicConv2d(in, 192, 1, 0));
            this.maxPool = maxPool;
        }

        NDArray forward(NDArray x) {
            NDArray b1 = branch1x1.forward(x);
            NDArray b3 = branch3x3_1.forward(x);
            b3 = cat(branch3x3_2a.forward(b3), branch3x3_2b.forward(b3));
            NDArray bd = branch3x3dbl_2.forward(branch3x3dbl_1.forward(x));
            bd = cat(branch3x3dbl_3a.forward(bd), branch3x3dbl_3b.forward(bd));
            NDArray pooled = maxPool ? FidInceptionV3.maxPool(x, 3, 1, 1) : avgPool3x3ExcludingPadding(x);
            return cat(b1, b3, bd, branchPool.forward(pooled));
        }
    }
}

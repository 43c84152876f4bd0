package io.ldmstudio.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.training.GradientCollector;
import io.ldmstudio.nn.Blocks.AttentionBlock;
import io.ldmstudio.util.Rng;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link Ops#conv2d}'s gradients against float64 (which libtorch computes without oneDNN), for the
 * channel counts the networks use and the ones the CPU kernels block by (8 on AVX2, 16 on AVX-512),
 * the first backward pass in the process included.
 *
 * <p>Before the fix, on an AVX-512 (and AVX2) CPU, the input gradient of every convolution with a
 * kernel larger than 1×1 whose output channels were not a multiple of 16 (8) was wrong: NaN in the
 * first pass, finite garbage 10–50 % off afterwards; the weight and bias gradients were right.
 */
class ConvolutionGradientTest {
    static final int BATCH = 8;
    static final int SIZE = 16;

    static Stream<Arguments> shapes() {
        List<Arguments> out = new ArrayList<>();
        int[] ins = {1, 3, 8, 32};
        int[] outs = {1, 2, 3, 4, 8, 12, 16, 24, 32};
        for (int[] ks : new int[][] {{3, 1}, {3, 2}, {1, 1}}) {
            for (int in : ins) {
                for (int oc : outs) {
                    out.add(Arguments.of(ks[0], ks[1], in, oc));
                }
            }
        }
        return out.stream();
    }

    record Grads(double[] dx, double[] dw, double[] db, double[] y) {}

    /** y = conv(x), loss = Σ y·r for a fixed random r: every gradient is a plain function of the inputs. */
    static Grads grads(NDManager parent, DataType type, int kernel, int stride, int in, int out) {
        Rng rng = new Rng(1000L * in + 10L * out + kernel + stride);
        int outSize = (SIZE + 2 * (kernel / 2) - kernel) / stride + 1;
        float[] xv = rng.gaussians(BATCH * in * SIZE * SIZE);
        float[] wv = rng.gaussians(out * in * kernel * kernel);
        float[] bv = rng.gaussians(out);
        float[] rv = rng.gaussians(BATCH * out * outSize * outSize);
        try (NDManager m = parent.newSubManager()) {
            NDArray x = m.create(xv, new Shape(BATCH, in, SIZE, SIZE)).toType(type, false);
            NDArray w = m.create(wv, new Shape(out, in, kernel, kernel)).muli(0.2f).toType(type, false);
            NDArray b = m.create(bv, new Shape(out)).toType(type, false);
            NDArray r = m.create(rv, new Shape(BATCH, out, outSize, outSize)).toType(type, false);
            for (NDArray leaf : new NDArray[] {x, w, b}) {
                leaf.setRequiresGradient(true);
            }
            NDArray y;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                y = Ops.conv2d(x, w, b, stride, kernel / 2);
                gc.backward(y.mul(r).sum());
            }
            return new Grads(doubles(x.getGradient()), doubles(w.getGradient()), doubles(b.getGradient()), doubles(y));
        }
    }

    static double[] doubles(NDArray a) {
        return a.toType(DataType.FLOAT64, false).toDoubleArray();
    }

    /** ‖a − ref‖ / ‖ref‖, infinite when a holds NaN or Inf. */
    static double relativeError(double[] a, double[] ref) {
        double d = 0;
        double n = 0;
        for (int i = 0; i < a.length; i++) {
            if (!Double.isFinite(a[i])) {
                return Double.POSITIVE_INFINITY;
            }
            d += (a[i] - ref[i]) * (a[i] - ref[i]);
            n += ref[i] * ref[i];
        }
        return Math.sqrt(d / n);
    }

    @ParameterizedTest(name = "{0}x{0} stride {1}, {2} -> {3} channels")
    @MethodSource("shapes")
    void everyGradientOfAConvolutionAgreesWithFloat64FromTheFirstPassOn(int kernel, int stride, int in, int out) {
        try (NDManager m = NDManager.newBaseManager()) {
            Grads ref = grads(m, DataType.FLOAT64, kernel, stride, in, out);
            Grads first = null;
            for (int pass = 0; pass < 2; pass++) {
                Grads g = grads(m, DataType.FLOAT32, kernel, stride, in, out);
                String where = String.format(Locale.ROOT, "%dx%d stride %d, %d -> %d, pass %d", kernel, kernel, stride,
                        in, out, pass);
                assertTrue(relativeError(g.y(), ref.y()) < 1e-5, where + ": output " + relativeError(g.y(), ref.y()));
                assertTrue(relativeError(g.dx(), ref.dx()) < 1e-5, where + ": input gradient " + relativeError(g.dx(), ref.dx()));
                assertTrue(relativeError(g.dw(), ref.dw()) < 1e-5, where + ": weight gradient " + relativeError(g.dw(), ref.dw()));
                assertTrue(relativeError(g.db(), ref.db()) < 1e-5, where + ": bias gradient " + relativeError(g.db(), ref.db()));
                if (first == null) {
                    first = g;
                } else {
                    assertEquals(0.0, relativeError(g.dx(), first.dx()), where + ": input gradient changed between passes");
                    assertEquals(0.0, relativeError(g.dw(), first.dw()), where + ": weight gradient changed between passes");
                }
            }
        }
    }

    @Test
    void withoutGradientsTheConvolutionIsComputedAsItIs() throws ReflectiveOperationException {
        // the padding is only for backward passes: sampling and encoding (grad mode off) run the plain convolution
        GradMode.disable();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(new Rng(3).gaussians(2 * 8 * 6 * 6), new Shape(2, 8, 6, 6));
            NDArray w = m.create(new Rng(4).gaussians(3 * 8 * 9), new Shape(3, 8, 3, 3));
            NDArray y = Ops.conv2d(x, w, null, 1, 1);
            assertEquals(new Shape(2, 3, 6, 6), y.getShape());
            assertTrue(isContiguous(y), "a plain convolution's own output, not a slice");
            NDArray ref = Ops.conv2d(x.toType(DataType.FLOAT64, false), w.toType(DataType.FLOAT64, false), null, 1, 1);
            assertTrue(relativeError(doubles(y), doubles(ref)) < 1e-6);
        }
    }

    @Test
    void anAttentionBlockHandsOnAPlainNchwTensor() throws ReflectiveOperationException {
        // Its (B, HW, C) → (B, C, H, W) view has channels-last strides; let through, it sent every later
        // convolution to other oneDNN kernels, one of which crashed the process (SIGFPE) in celeba-hq-256.
        try (NDManager m = NDManager.newBaseManager()) {
            AttentionBlock attention = new AttentionBlock(32, 4, 8, 1e-5f);
            attention.initialize(m, new Rng(1), false);
            NDArray x = m.create(new Rng(2).gaussians(2 * 32 * 4 * 4), new Shape(2, 32, 4, 4));
            NDArray y = attention.forward(x);
            assertEquals(x.getShape(), y.getShape());
            assertTrue(isContiguous(y), "the attention block's output is not contiguous NCHW");
        }
    }

    /** libtorch's {@code is_contiguous()}, which DJL does not make public. */
    static boolean isContiguous(NDArray a) throws ReflectiveOperationException {
        Class<?> lib = Class.forName("ai.djl.pytorch.jni.PyTorchLibrary");
        Field instance = lib.getDeclaredField("LIB");
        instance.setAccessible(true);
        Method check = lib.getDeclaredMethod("torchIsContiguous", long.class);
        check.setAccessible(true);
        return (Boolean) check.invoke(instance.get(null), ((PtNDArray) a).getHandle());
    }
}

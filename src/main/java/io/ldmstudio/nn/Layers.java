package io.ldmstudio.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Map;

/** The leaf layers, named as in PyTorch ({@code weight}, {@code bias}). */
public final class Layers {
    private Layers() {}

    /** {@code nn.Conv2d} with square kernel, stride and padding. */
    public static final class Conv2d extends Module {
        private final Param weight;
        private final Param bias;
        private final int stride;
        private final int padding;

        public Conv2d(int in, int out, int kernel, int stride, int padding) {
            long fanIn = (long) in * kernel * kernel;
            this.weight = param("weight", fanIn, out, in, kernel, kernel);
            this.bias = param("bias", fanIn, out);
            this.stride = stride;
            this.padding = padding;
        }

        public NDArray forward(NDArray x) {
            return Ops.conv2d(x, weight.array(), bias.array(), stride, padding);
        }
    }

    /** {@code nn.Linear}. */
    public static final class Linear extends Module {
        private final Param weight;
        private final Param bias;

        public Linear(int in, int out) {
            this.weight = param("weight", in, out, in);
            this.bias = param("bias", in, out);
        }

        public NDArray forward(NDArray x) {
            return Ops.linear(x, weight.array(), bias.array());
        }
    }

    /** {@code nn.GroupNorm(groups, channels, eps, affine=True)}. */
    public static final class GroupNorm extends Module {
        private final Param weight;
        private final Param bias;
        private final int groups;
        private final float eps;
        private final Map<ConstantsKey, NDArray[]> constants = new ConcurrentHashMap<>();

        /** Which ones and zeros for {@link Ops#groupNorm}: {@code n} values of {@code type}. */
        private record ConstantsKey(long n, DataType type) {}

        public GroupNorm(int groups, int channels, float eps) {
            if (channels % groups != 0) {
                throw new IllegalArgumentException(channels + " channels cannot be split into " + groups + " groups");
            }
            this.weight = ones("weight", channels);
            this.bias = zeros("bias", channels);
            this.groups = groups;
            this.eps = eps;
        }

        public NDArray forward(NDArray x) {
            Shape s = x.getShape();
            long n = s.size() / (s.get(0) * groups);
            NDArray[] c = constants.computeIfAbsent(new ConstantsKey(n, x.getDataType()), k -> {
                NDManager m = weight.master().getManager();
                NDArray[] pair = {m.ones(new Shape(k.n()), k.type()), m.zeros(new Shape(k.n()), k.type())};
                NDScope.unregister(pair); // kept across steps, closed with the model
                return pair;
            });
            return Ops.groupNorm(x, groups, weight.array(), bias.array(), eps, c[0], c[1]);
        }

        @Override
        public void close() {
            for (NDArray[] c : constants.values()) {
                c[0].close();
                c[1].close();
            }
            constants.clear();
            super.close();
        }
    }
}

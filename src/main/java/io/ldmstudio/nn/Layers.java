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

    /**
     * {@code nn.Embedding(num, dim)}: a table {@code weight} (num, dim) initialised N(0, 1) as PyTorch does;
     * row i is the vector of index i. The lookup is differentiable: the rows looked up get the gradient,
     * the others zero.
     */
    public static final class Embedding extends Module {
        private final Param weight;
        private final int num;
        private final int dim;

        public Embedding(int num, int dim) {
            if (num <= 0 || dim <= 0) {
                throw new IllegalArgumentException("an embedding needs rows and columns, got " + num + " × " + dim);
            }
            this.weight = normal("weight", num, dim);
            this.num = num;
            this.dim = dim;
        }

        public int size() {
            return num;
        }

        public int dim() {
            return dim;
        }

        /**
         * The rows of integer indices (B) as (B, dim), in the table's type.
         *
         * @throws IllegalArgumentException for an index outside [0, num) or indices that are not 1-D integers
         */
        public NDArray forward(NDArray indices) {
            if (indices.getShape().dimension() != 1 || !indices.getDataType().isInteger()) {
                throw new IllegalArgumentException("embedding indices are 1-D integers, got " + indices.getDataType()
                        + " " + indices.getShape());
            }
            NDArray idx = indices.toType(DataType.INT64, false);
            for (long i : idx.toLongArray()) {
                if (i < 0 || i >= num) {
                    throw new IllegalArgumentException("embedding index " + i + " is outside [0, " + num + ")");
                }
            }
            NDArray table = weight.array().reshape(num, dim);
            table.attach(indices.getManager()); // a view of the parameter: freed with the caller's step
            return table.get(idx);
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

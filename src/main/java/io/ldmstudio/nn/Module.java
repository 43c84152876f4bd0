package io.ldmstudio.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.util.Rng;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A network part with named parameters and named children, as in PyTorch's {@code nn.Module}: the
 * dotted names ({@code down_blocks.1.resnets.0.conv1.weight}) are exactly diffusers' names, so a
 * state dict maps one to one onto a safetensors file.
 *
 * <p>Parameters live in the model's {@link NDManager}; forward passes create their results on the
 * input's manager, so a caller that runs a step inside a sub-manager or an {@code NDScope} frees
 * everything the step made. Parameters are never the first operand of an op for that reason.
 */
public abstract class Module {
    /** One trainable tensor; the array may be replaced when weights are loaded. */
    public static final class Param {
        private final Shape shape;
        private NDArray array;
        private NDArray standIn;

        private final long fanIn; // > 0: U(-1/sqrt(fanIn), 1/sqrt(fanIn)); -1: ones; 0: zeros; NORMAL: N(0, 1)

        Param(Shape shape, long fanIn) {
            this.shape = shape;
            this.fanIn = fanIn;
        }

        public Shape shape() {
            return shape;
        }

        /** The values forward passes use: the stand-in while one is installed, else the weights. */
        public NDArray array() {
            return standIn != null ? standIn : array;
        }

        /** The weights themselves (float32 masters under mixed precision), whatever stands in. */
        public NDArray master() {
            return array;
        }

        /**
         * Makes forward passes use {@code other} (e.g. a half-precision copy) until
         * {@link #clearStandIn()}; the weights are kept, untouched. Not closed here: the caller owns it.
         */
        public void standIn(NDArray other) {
            if (!other.getShape().equals(shape)) {
                throw new IllegalArgumentException("shape " + other.getShape() + " where " + shape + " was expected");
            }
            standIn = other;
        }

        public void clearStandIn() {
            standIn = null;
        }

        /** Replaces the values, keeping the gradient flag; the old array is closed. */
        public void set(NDArray newArray) {
            if (!newArray.getShape().equals(shape)) {
                throw new IllegalArgumentException("shape " + newArray.getShape() + " where " + shape + " was expected");
            }
            NDArray old = array;
            array = newArray;
            if (old != null && old != newArray) {
                boolean grad = old.hasGradient();
                old.close();
                if (grad) {
                    array.setRequiresGradient(true);
                }
            }
        }
    }

    /** {@link Param#fanIn} of a parameter drawn from N(0, 1). */
    private static final long NORMAL = -2;

    private final Map<String, Param> params = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();

    /**
     * Registers a parameter initialised as PyTorch does for conv and linear layers:
     * U(−1/√fan_in, 1/√fan_in) for weight and bias alike (kaiming_uniform with a = √5 gives that bound).
     */
    protected Param param(String name, long fanIn, long... shape) {
        Param p = new Param(new Shape(shape), fanIn);
        params.put(name, p);
        return p;
    }

    /** Registers a parameter initialised to ones (norm weights). */
    protected Param ones(String name, long... shape) {
        Param p = new Param(new Shape(shape), -1);
        params.put(name, p);
        return p;
    }

    /** Registers a parameter initialised to zeros (norm biases). */
    protected Param zeros(String name, long... shape) {
        Param p = new Param(new Shape(shape), 0);
        params.put(name, p);
        return p;
    }

    /** Registers a parameter initialised N(0, 1), as PyTorch's {@code nn.Embedding}. */
    protected Param normal(String name, long... shape) {
        Param p = new Param(new Shape(shape), NORMAL);
        params.put(name, p);
        return p;
    }

    protected <M extends Module> M child(String name, M module) {
        children.put(name, module);
        return module;
    }

    /** Every parameter under its full dotted name, in registration order. */
    public Map<String, Param> namedParameters() {
        Map<String, Param> out = new LinkedHashMap<>();
        collect("", out);
        return out;
    }

    private void collect(String prefix, Map<String, Param> out) {
        for (Map.Entry<String, Param> e : params.entrySet()) {
            out.put(prefix + e.getKey(), e.getValue());
        }
        for (Map.Entry<String, Module> e : children.entrySet()) {
            e.getValue().collect(prefix + e.getKey() + ".", out);
        }
    }

    public List<Param> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    public long parameterCount() {
        long n = 0;
        for (Param p : namedParameters().values()) {
            n += p.shape().size();
        }
        return n;
    }

    /**
     * Allocates every parameter in {@code manager} with PyTorch's default initialisation for its
     * kind (uniform by fan-in, ones, zeros, or N(0, 1) for embeddings), drawn from {@code rng} so a seed
     * gives the same network.
     */
    public void initialize(NDManager manager, Rng rng, boolean requiresGrad) {
        for (Map.Entry<String, Param> e : namedParameters().entrySet()) {
            Param p = e.getValue();
            float[] v = new float[Math.toIntExact(p.shape().size())];
            if (p.fanIn == NORMAL) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) rng.nextGaussian();
                }
            } else if (p.fanIn < 0) {
                Arrays.fill(v, 1f);
            } else if (p.fanIn > 0) {
                double bound = 1.0 / Math.sqrt(p.fanIn);
                for (int i = 0; i < v.length; i++) {
                    v[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
                }
            }
            NDArray a = manager.create(v, p.shape());
            NDScope.unregister(a); // parameters outlive any step scope
            if (requiresGrad) {
                a.setRequiresGradient(true);
            }
            if (p.array != null) {
                p.array.close();
            }
            p.array = a;
        }
    }

    /** Closes every parameter array, and whatever constants the modules keep. */
    public void close() {
        for (Param p : params.values()) {
            if (p.array != null) {
                p.array.close();
                p.array = null;
            }
        }
        for (Module c : children.values()) {
            c.close();
        }
    }

    /** Values of every parameter as float32 arrays, by name (a copy; parameters are float32). */
    public Map<String, float[]> stateDict() {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Param> e : namedParameters().entrySet()) {
            out.put(e.getKey(), e.getValue().array().toFloatArray());
        }
        return out;
    }

    /**
     * Copies values into the parameters. Every name must be present with the right size; the
     * caller (a weight loader) has checked names and shapes and reports all mismatches at once.
     */
    public void loadStateDict(Map<String, float[]> values, NDManager manager) {
        for (Map.Entry<String, Param> e : namedParameters().entrySet()) {
            float[] v = values.get(e.getKey());
            if (v == null) {
                throw new IllegalArgumentException("missing tensor " + e.getKey());
            }
            Param p = e.getValue();
            boolean grad = p.array != null && p.array.hasGradient();
            NDArray a = manager.create(v, p.shape());
            NDScope.unregister(a);
            if (grad) {
                a.setRequiresGradient(true);
            }
            if (p.array != null) {
                p.array.close();
            }
            p.array = a;
        }
    }
}

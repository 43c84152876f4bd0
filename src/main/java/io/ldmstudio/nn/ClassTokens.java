package io.ldmstudio.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.SparseFormat;

/**
 * A class label as a condition for cross-attention: one learned token per class, looked up in a table
 * {@code weight} [classes + 1, cross_attention_dim] (an {@code nn.Embedding}); the last row is the null
 * class ({@link DiffusionNetwork#nullClass()}) that classifier-free guidance drops labels to. The result,
 * (B, 1, D), is the {@code encoder_hidden_states} of a {@link UNet2DConditionModel}.
 *
 * <p>Initialisation: U(−1, 1) per entry (the studio's uniform initialiser with fan-in 1), where PyTorch's
 * {@code nn.Embedding} draws N(0, 1); both give tokens of order one, which the LayerNorm-free {@code to_k}
 * and {@code to_v} projections of the cross-attention then scale.
 */
public final class ClassTokens extends Module {
    private final Param weight;
    private final int classes;
    private final int dim;

    /**
     * @param classes the real classes, labelled 0 … classes − 1 (the table has one more row, the null class)
     * @param dim     cross_attention_dim
     */
    public ClassTokens(int classes, int dim) {
        if (classes < 1 || dim < 1) {
            throw new IllegalArgumentException("classes " + classes + " and dim " + dim + " must be positive");
        }
        this.weight = param("weight", 1, classes + 1L, dim);
        this.classes = classes;
        this.dim = dim;
    }

    public int classes() {
        return classes;
    }

    /** The null class's label: the table's last row. */
    public int nullClass() {
        return classes;
    }

    public int dim() {
        return dim;
    }

    /**
     * @param labels (B) class labels in 0 … classes (classes = the null class), any integer type
     * @return (B, 1, dim) tokens, on the labels' manager; differentiable with respect to the table
     */
    public NDArray forward(NDArray labels) {
        if (labels.getShape().dimension() != 1) {
            throw new IllegalArgumentException("labels " + labels.getShape() + ": expected (B)");
        }
        NDArray idx = labels.getDataType() == DataType.INT64 ? labels : labels.toType(DataType.INT64, false);
        long lo;
        long hi;
        try (NDArray min = idx.min(); NDArray max = idx.max()) {
            lo = min.getLong();
            hi = max.getLong();
        }
        if (lo < 0 || hi > classes) {
            throw new IllegalArgumentException("labels from " + lo + " to " + hi + ": expected 0 … " + classes
                    + " (" + classes + " is the null class)");
        }
        NDArray rows = idx.getNDArrayInternal().embedding(idx, weight.array(), SparseFormat.DENSE).singletonOrThrow();
        return rows.reshape(labels.getShape().get(0), 1, dim);
    }
}

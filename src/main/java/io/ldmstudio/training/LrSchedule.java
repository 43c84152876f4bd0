package io.ldmstudio.training;

import io.ldmstudio.config.RunConfig;

/**
 * Learning rate as a function of the optimizer step (1-based: the first update uses {@code lr(1)}).
 *
 * <ul>
 *   <li>{@code constant}: lr.
 *   <li>{@code warmup_constant}: lr·s/W for s ≤ W, then lr (PyTorch's LambdaLR warmup as in LDM).
 *   <li>{@code cosine}: optional linear warmup, then min_lr + (lr − min_lr)·(1 + cos(π·k/T_max))/2 with
 *       k = s − W counted from the end of warmup, as {@code CosineAnnealingLR} (k is capped at T_max).
 * </ul>
 */
public final class LrSchedule {
    private final String kind;
    private final double lr;
    private final int warmup;
    private final int tMax;
    private final double minLr;

    public LrSchedule(String kind, double lr, int warmup, int tMax, double minLr) {
        if (!kind.equals("constant") && !kind.equals("warmup_constant") && !kind.equals("cosine")) {
            throw new IllegalArgumentException("optim.lr_schedule: '" + kind
                    + "' is not one of constant, warmup_constant, cosine");
        }
        this.kind = kind;
        this.lr = lr;
        this.warmup = Math.max(0, warmup);
        this.tMax = tMax;
        this.minLr = minLr;
    }

    /** From the run's optimiser config; T_max = 0 means "the rest of the run after warmup". */
    public static LrSchedule of(RunConfig.Optim o) {
        int tMax = o.tMax() > 0 ? o.tMax() : Math.max(1, o.steps() - o.warmupSteps());
        int warmup = o.lrSchedule().equals("constant") ? 0 : o.warmupSteps();
        return new LrSchedule(o.lrSchedule(), o.lr(), warmup, tMax, o.minLr());
    }

    public double lr(long step) {
        if (kind.equals("constant")) {
            return lr;
        }
        if (warmup > 0 && step <= warmup) {
            return lr * step / warmup;
        }
        if (kind.equals("warmup_constant")) {
            return lr;
        }
        long k = Math.min(step - warmup, tMax);
        return minLr + (lr - minLr) * (1 + Math.cos(Math.PI * k / tMax)) / 2;
    }
}

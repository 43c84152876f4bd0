package io.ldmstudio.diffusion;

import ai.djl.ndarray.NDArray;
import io.ldmstudio.util.Rng;
import java.util.Arrays;
import java.util.Objects;
import java.util.function.IntFunction;

/** Timesteps bookkeeping and x̂0 handling shared by the samplers. */
abstract class BaseSampler implements Sampler {
    protected final NoiseSchedule schedule;
    protected final TimestepSpacing spacing;
    protected final boolean clipSample;
    /** x̂0 is clipped to [−clipRange, clipRange] (diffusers' {@code clip_sample_range}). */
    protected final double clipRange;
    /** Dynamic thresholding of x̂0 (diffusers' {@code thresholding}), taking the place of clipping; or null. */
    protected final Thresholding thresholding;
    /**
     * Timesteps for n inference steps as a diffusers scheduler's {@code set_timesteps} gives them,
     * or null to use {@link #spacing} (the studio's own rule).
     */
    private final IntFunction<int[]> timestepRule;
    /** The run's timesteps, descending. */
    protected int[] timesteps = new int[0];
    /** position of each training timestep in {@link #timesteps}, or −1. */
    private int[] indexOf = new int[0];

    BaseSampler(NoiseSchedule schedule, TimestepSpacing spacing, boolean clipSample) {
        this(schedule, spacing, clipSample, 1.0, null, null);
    }

    /** From a diffusers config: its timesteps rule, clip range and thresholding (null: none). */
    BaseSampler(NoiseSchedule schedule, TimestepSpacing spacing, boolean clipSample,
            double clipRange, Thresholding thresholding, IntFunction<int[]> timestepRule) {
        this.schedule = Objects.requireNonNull(schedule, "schedule");
        this.spacing = Objects.requireNonNull(spacing, "spacing");
        this.clipSample = clipSample;
        if (!(clipRange > 0)) {
            throw new IllegalArgumentException("clip_sample_range: must be positive, got " + clipRange);
        }
        this.clipRange = clipRange;
        this.thresholding = thresholding;
        this.timestepRule = timestepRule;
    }

    @Override
    public void setTimesteps(int numInferenceSteps) {
        int[] ts = timestepRule == null
                ? spacing.timesteps(schedule.numTimesteps(), numInferenceSteps)
                : timestepRule.apply(numInferenceSteps);
        int[] idx = new int[schedule.numTimesteps()];
        Arrays.fill(idx, -1);
        for (int i = 0; i < ts.length; i++) {
            if (ts[i] < 0 || ts[i] >= idx.length || (timestepRule != null && idx[ts[i]] >= 0)) {
                // diffusers itself would index out of range or revisit a timestep here
                throw new IllegalArgumentException(name() + ": " + numInferenceSteps
                        + " steps give the timesteps " + Arrays.toString(ts) + ", which are not "
                        + "distinct values in [0, " + idx.length + "); choose another number of steps"
                        + " or timestep_spacing");
            }
            idx[ts[i]] = i;
        }
        timesteps = ts;
        indexOf = idx;
        reset();
    }

    @Override
    public int[] timesteps() {
        return timesteps.clone();
    }

    @Override
    public NoiseSchedule schedule() {
        return schedule;
    }

    public TimestepSpacing spacing() {
        return spacing;
    }

    public boolean clipSample() {
        return clipSample;
    }

    /** The dynamic thresholding of x̂0, or null. */
    public Thresholding thresholding() {
        return thresholding;
    }

    /** Whether x̂0 may differ from the network's own: clipped or thresholded. */
    protected boolean altersX0() {
        return clipSample || thresholding != null;
    }

    /** Position of t in the run's timesteps; rejects a t the run does not visit. */
    protected int indexOf(int t) {
        if (timesteps.length == 0) {
            throw new IllegalStateException(name() + ": call setTimesteps(n) before step()");
        }
        int i = t >= 0 && t < indexOf.length ? indexOf[t] : -1;
        if (i < 0) {
            throw new IllegalArgumentException(name() + ": timestep " + t
                    + " is not one of this run's timesteps " + Arrays.toString(timesteps));
        }
        return i;
    }

    /** The timestep after t in the run, or −1 after the last one (where ᾱ = 1). */
    protected int prevTimestep(int t) {
        int i = indexOf(t);
        return i + 1 < timesteps.length ? timesteps[i + 1] : -1;
    }

    /**
     * x̂0 from the network's output: dynamically thresholded when {@link #thresholding} is set, else clipped
     * to [−clipRange, clipRange] when asked (diffusers' order: {@code thresholding} before
     * {@code clip_sample}). A new array.
     */
    protected NDArray predictX0(NDArray modelOutput, int t, NDArray sample) {
        NDArray x0 = schedule.predictX0(sample, t, modelOutput);
        if (thresholding != null) {
            NDArray th = thresholding.apply(x0);
            x0.close();
            x0 = th;
        } else if (clipSample) {
            NDArray clipped = x0.clip(-clipRange, clipRange);
            x0.close();
            x0 = clipped;
        }
        return x0;
    }

    /** a·x + b·y for scalars; the result lives in {@code x}'s manager. */
    protected static NDArray lin(double a, NDArray x, double b, NDArray y) {
        NDArray out = x.mul((float) a);
        if (b != 0) {
            try (NDArray by = y.mul((float) b)) {
                out.addi(by);
            }
        }
        return out;
    }

    /** Standard normal noise shaped like {@code like}, from the Java-side generator. */
    protected static NDArray gaussian(Rng rng, NDArray like) {
        if (rng == null) {
            throw new IllegalArgumentException("a stochastic step needs an Rng");
        }
        return like.getManager().create(rng.gaussians(Math.toIntExact(like.size())),
                like.getShape());
    }

    @Override
    public String toString() {
        return name() + "[" + schedule + ", " + spacing + ", steps=" + timesteps.length + "]";
    }
}

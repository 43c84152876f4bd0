package io.ldmstudio.nn;

import ai.djl.ndarray.NDArray;
import io.ldmstudio.nn.Blocks.Downsample2D;
import io.ldmstudio.nn.Blocks.ResnetBlock2D;
import io.ldmstudio.nn.Blocks.Upsample2D;
import io.ldmstudio.nn.Layers.Conv2d;
import io.ldmstudio.nn.Layers.GroupNorm;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.function.BiFunction;

/**
 * What diffusers' {@code UNet2DModel} and {@code UNet2DConditionModel} share: their blocks' layout (resnets, an
 * attention after each resnet at some levels, a resampler) and the walk from {@code conv_in} down, through the
 * middle and up to {@code conv_out}, pushing every resnet's output (and every downsample's) as a skip that the up
 * path concatenates in reverse. The two differ only in the attention ({@link A}: self-attention, or a
 * {@link Transformer2DModel} that also attends to the condition's tokens) and in how it is called.
 *
 * <p>Registration order is the caller's (it fixes the parameter names' order and so the initialisation): a level
 * registers {@code resnets} when built and {@code attentions} and the resampler in {@link Level#registerRest};
 * a middle block registers nothing itself.
 */
final class UNetWalk {
    private UNetWalk() {}

    /** One down or up block: resnets, optional attentions (one per resnet), optional resampler. */
    static final class Level<A extends Module> extends Module {
        final ModuleList<ResnetBlock2D> resnets;
        final ModuleList<A> attentions = new ModuleList<>();
        final ModuleList<Module> resamplers = new ModuleList<>();
        private final boolean up;

        Level(boolean up) {
            resnets = child("resnets", new ModuleList<>());
            this.up = up;
        }

        /** Registers the attentions and the resampler, when there are any (as diffusers' state dict names them). */
        void registerRest() {
            if (attentions.size() > 0) {
                child("attentions", attentions);
            }
            if (resamplers.size() > 0) {
                child(up ? "upsamplers" : "downsamplers", resamplers);
            }
        }
    }

    /** The middle block: resnet, then per attention the attention and a resnet. */
    static final class MidBlock<A extends Module> extends Module {
        final ModuleList<ResnetBlock2D> resnets = new ModuleList<>();
        final ModuleList<A> attentions = new ModuleList<>();

        /** Registers {@code attentions} (when {@code withAttentions}), then {@code resnets}: diffusers' order. */
        void register(boolean withAttentions) {
            if (withAttentions) {
                child("attentions", attentions);
            }
            child("resnets", resnets);
        }
    }

    /**
     * The walk from {@code convIn} to {@code convOut}; {@code tembAct} is SiLU of the time embedding (every
     * resnet applies SiLU first: once for all), {@code attend} applies one attention to the hidden states.
     */
    static <A extends Module> NDArray forward(NDArray x, NDArray tembAct, boolean training, Conv2d convIn,
            ModuleList<Level<A>> downBlocks, MidBlock<A> midBlock, ModuleList<Level<A>> upBlocks, GroupNorm convNormOut,
            Conv2d convOut, BiFunction<A, NDArray, NDArray> attend) {
        NDArray h = convIn.forward(x);
        Deque<NDArray> skips = new ArrayDeque<>();
        skips.push(h);
        for (Level<A> level : downBlocks.items()) {
            for (int j = 0; j < level.resnets.size(); j++) {
                h = level.resnets.get(j).forward(h, tembAct, training);
                if (level.attentions.size() > 0) {
                    h = attend.apply(level.attentions.get(j), h);
                }
                skips.push(h);
            }
            if (level.resamplers.size() > 0) {
                h = ((Downsample2D) level.resamplers.get(0)).forward(h);
                skips.push(h);
            }
        }

        h = midBlock.resnets.get(0).forward(h, tembAct, training);
        for (int j = 1; j < midBlock.resnets.size(); j++) {
            if (j - 1 < midBlock.attentions.size()) {
                h = attend.apply(midBlock.attentions.get(j - 1), h);
            }
            h = midBlock.resnets.get(j).forward(h, tembAct, training);
        }

        for (Level<A> level : upBlocks.items()) {
            for (int j = 0; j < level.resnets.size(); j++) {
                h = h.concat(skips.pop(), 1);
                h = level.resnets.get(j).forward(h, tembAct, training);
                if (level.attentions.size() > 0) {
                    h = attend.apply(level.attentions.get(j), h);
                }
            }
            if (level.resamplers.size() > 0) {
                h = ((Upsample2D) level.resamplers.get(0)).forward(h);
            }
        }
        return convOut.forward(Ops.silu(convNormOut.forward(h)));
    }
}

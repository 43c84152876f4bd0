package io.ldmstudio.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

@Command(name = "train", description = "Train a model from a preset into a new run folder: a diffusion model, or a KL "
        + "autoencoder when the preset's task is autoencoder (see also: vae train).")
final class TrainCommand implements Callable<Integer> {
    @Mixin
    TrainOptions options;

    @Mixin
    Common common;

    @Override
    public Integer call() throws Exception {
        return options.train(common, null);
    }
}

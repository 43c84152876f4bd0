package io.ldmstudio.cli;

import io.ldmstudio.weights.VaeWeights;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** How a single autoencoder file without a config is read: what its tensor shapes cannot tell. */
final class VaeLoading {
    @Option(names = "--config", paramLabel = "FILE", description = "a diffusers AutoencoderKL config.json (or its folder) "
            + "for a single .safetensors file, instead of the config inferred from its tensor shapes")
    Path config;

    @Option(names = "--norm-groups", paramLabel = "N", description = "GroupNorm groups of a single file without a config "
            + "(default: LDM's 32)")
    Integer normGroups;

    VaeWeights.Options options() {
        if (normGroups != null && normGroups < 1) {
            throw new IllegalArgumentException("--norm-groups " + normGroups + ": expected a positive number of groups");
        }
        return new VaeWeights.Options(null, normGroups, Common.existing(config, "--config"));
    }
}

package io.ldmstudio.cli;

import io.ldmstudio.service.DatasetFd;
import picocli.CommandLine.Option;

/**
 * The options of an {@code eval} command that samples a run before scoring it ({@code eval fd}, {@code eval fid}):
 * sampler, steps, guidance, the seed of the first chunk, the device, and {@code --json}.
 */
final class RunSamplingOptions {
    @Option(names = "--sampler", defaultValue = "ddim", description = "ddpm, ddim or dpmpp (default: ${DEFAULT-VALUE})")
    String sampler;

    @Option(names = "--steps", defaultValue = "50", description = "sampling steps (default: ${DEFAULT-VALUE})")
    int steps;

    /** The help of {@code --guidance}, here and in {@code eval sweep}. */
    static final String GUIDANCE_HELP = "guidance scale for a class-conditional model (default: a run's"
            + " conditioning.guidance; for a pipeline folder the one its weights name, else 3, or 1 without a null"
            + " class)";
    /** The help of {@code --device}, here and in {@code eval sweep}. */
    static final String DEVICE_HELP = "auto|cpu|cuda[:N]|mps for sampling (default: the run's; auto for a pipeline"
            + " folder)";

    @Option(names = "--guidance", paramLabel = "W", description = GUIDANCE_HELP)
    Double guidance;

    @Option(names = "--seed", defaultValue = "0", description = "seed of the first " + DatasetFd.CHUNK_TEXT
            + " samples; the next chunks take the next seeds (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--device", description = DEVICE_HELP)
    String device;

    @Option(names = "--json", description = "print the result as one JSON object")
    boolean json;

    @picocli.CommandLine.Mixin
    PipelineSets pipelineSets;
}

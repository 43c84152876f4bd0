package io.ldmstudio.cli;

import io.ldmstudio.pipeline.Pipeline;
import io.ldmstudio.service.SampleSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Option;

/**
 * {@code --set} for a diffusers pipeline folder: {@code vqvae.scaling_factor=X} (the latent scale to decode with)
 * and {@code scheduler.KEY=VALUE} (a sampling key of its scheduler config, as diffusers'
 * {@code from_config(config, KEY=VALUE)}, e.g. {@code scheduler.timestep_spacing=trailing}). A run takes none: its
 * config says how it samples.
 */
final class PipelineSets {
    static final String DESCRIPTION = "for a pipeline folder, repeatable: vqvae.scaling_factor=X decodes with latent"
            + " scale X instead of its config's (CompVis/ldm-celebahq-256 needs 1.0); scheduler.KEY=VALUE sets a"
            + " sampling key of its scheduler config as diffusers' from_config(config, KEY=VALUE) does, e.g."
            + " scheduler.timestep_spacing=trailing (keys: timestep_spacing, steps_offset, set_alpha_to_one,"
            + " clip_sample, clip_sample_range, thresholding, dynamic_thresholding_ratio, sample_max_value,"
            + " variance_type, solver_order, lower_order_final, euler_at_final, final_sigmas_type)";

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = DESCRIPTION)
    List<String> sets = new java.util.ArrayList<>();

    /** {@code p} with the settings applied; a key or value it cannot take is refused naming it. */
    static Pipeline apply(Pipeline p, List<String> sets) {
        Map<String, String> scheduler = new LinkedHashMap<>();
        Pipeline out = p;
        for (String s : sets) {
            int eq = s.indexOf('=');
            String key = eq < 0 ? s.strip() : s.substring(0, eq).strip();
            String value = eq < 0 ? "" : s.substring(eq + 1).strip();
            if (eq < 0 || value.isEmpty()) {
                throw new IllegalArgumentException("--set " + s + ": expected KEY=VALUE, e.g."
                        + " scheduler.timestep_spacing=trailing or vqvae.scaling_factor=1.0");
            }
            if (key.equals("vqvae.scaling_factor")) {
                try {
                    out = out.withLatentScale(Double.parseDouble(value));
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("--set " + s + ": expected a number, e.g."
                            + " vqvae.scaling_factor=1.0");
                }
            } else if (key.startsWith("scheduler.")) {
                scheduler.put(key.substring("scheduler.".length()), value);
            } else {
                throw new IllegalArgumentException("--set " + s + ": expected vqvae.scaling_factor=X or"
                        + " scheduler.KEY=VALUE (a sampling key of the pipeline's scheduler config)");
            }
        }
        if (!scheduler.isEmpty()) {
            out = out.withScheduler(out.scheduler().withOverrides(scheduler, "--set scheduler"));
        }
        return out;
    }

    /** What to sample: a run, or a pipeline folder with the settings applied; a run given settings is refused. */
    SampleSource source(String nameOrPath, SampleSource.RunOpener runs) throws IOException {
        SampleSource src = SampleSource.parse(nameOrPath, runs);
        if (sets.isEmpty()) {
            return src;
        }
        if (!(src instanceof SampleSource.OfPipeline op)) {
            throw new IllegalArgumentException("--set " + sets.get(0) + ": --set is for a pipeline folder; a run"
                    + " samples as its config says (sampling.* keys)");
        }
        Path dir = op.dir();
        return new SampleSource.OfPipeline(dir, apply(op.pipeline(), sets), sets);
    }
}

package io.ldmstudio.service;

import java.nio.file.Path;

/**
 * A diffusers pipeline the studio knows of, as listed by {@link Models}: its display name, its folder, the
 * pipeline class and a one-line summary ("LDMPipeline · VQModel f=4 · 3×64×64 latents → 256 px RGB ·
 * DDIMScheduler, T=1000"). A folder that does not open is listed {@link Status#BROKEN} with the reason in
 * {@link #problem()} (naming the file); a remembered folder that has gone is {@link Status#MISSING}.
 *
 * @param pipelineClass   {@code DDPMPipeline}, {@code DDIMPipeline}, {@code LDMPipeline}; null unless OK
 * @param remembered      opened from elsewhere with "Open model…" (not a folder under {@code models/})
 * @param autoencoderClass {@code VQModel} or {@code AutoencoderKL} for an LDMPipeline, else null
 * @param autoencoderDir  the autoencoder component's folder (its {@code config.json}'s), else null
 */
public record ModelInfo(String name, Path dir, String pipelineClass, String summary, Status status, String problem,
        boolean remembered, String autoencoderClass, Path autoencoderDir) {

    public enum Status {
        OK, BROKEN, MISSING
    }

    public boolean ok() {
        return status == Status.OK;
    }

    /** Whether the pipeline decodes with an autoencoder the Autoencoder pane can open. */
    public boolean hasAutoencoder() {
        return ok() && autoencoderDir != null;
    }

    /** A short word for the list: the pipeline class, or {@code broken} / {@code missing}. */
    public String label() {
        return switch (status) {
            case OK -> pipelineClass;
            case BROKEN -> "broken";
            case MISSING -> "missing";
        };
    }
}

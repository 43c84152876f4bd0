package io.ldmstudio.pipeline;

import ai.djl.ndarray.NDManager;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.nn.AutoencoderKL;
import io.ldmstudio.nn.LatentAutoencoder;
import io.ldmstudio.nn.VQConfig;
import io.ldmstudio.nn.VQModel;
import io.ldmstudio.nn.VaeConfig;
import io.ldmstudio.runs.Checkpoint;
import io.ldmstudio.runs.Run;
import io.ldmstudio.weights.VaeWeights;
import io.ldmstudio.weights.WeightFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * The one way in to every autoencoder the studio opens, KL or VQ, whatever the path the user gave:
 *
 * <ul>
 *   <li>a diffusers {@code AutoencoderKL} folder, or a diffusers {@code VQModel} folder;
 *   <li>a pipeline folder holding {@code vae/} or {@code vqvae/};
 *   <li>a {@code .safetensors} file, with its {@code config.json} beside it or its config inferred
 *       from the tensor shapes ({@link VaeWeights#resolve});
 *   <li>a studio autoencoder run folder ({@code vae train}): its {@code exports/vae/}, or its newest
 *       checkpoint while it trains ({@link #runWeights}).
 * </ul>
 *
 * <p>{@link #resolve} reads configs and headers only; {@link #load} builds and fills the model. The
 * file formats themselves (configs, names, safetensors) are {@link VaeWeights}'s.
 */
public final class Autoencoders {
    private Autoencoders() {}

    /**
     * What a path holds: exactly one of a KL autoencoder ({@code kl}) or a VQ model ({@code vq}).
     *
     * @param path the path it was resolved from (a run folder stays the run folder)
     * @param kl   a KL autoencoder's weights file, config and naming; null for a VQ model
     * @param vq   a VQ model's weights file, config and naming; null for a KL autoencoder
     */
    public record Source(Path path, VaeWeights.Source kl, VaeWeights.VqSource vq) {
        public Source {
            if ((kl == null) == (vq == null)) {
                throw new IllegalArgumentException("an autoencoder source is either KL or VQ");
            }
        }

        /** A KL autoencoder as {@link VaeWeights#resolve} found it. */
        public static Source of(VaeWeights.Source kl) {
            return new Source(kl.weightsFile(), kl, null);
        }

        /** Whether this is a VQ model (diffusers' {@code VQModel}). */
        public boolean isVq() {
            return vq != null;
        }

        /** diffusers' class: {@code AutoencoderKL} or {@code VQModel}. */
        public String kind() {
            return isVq() ? VaeWeights.VQ_CLASS : VaeWeights.KL_CLASS;
        }

        public Path weightsFile() {
            return isVq() ? vq.weightsFile() : kl.weightsFile();
        }

        /** The {@code config.json} read, or null when the config was inferred from a single file. */
        public Path configFile() {
            return isVq() ? vq.configFile() : kl.configFile();
        }

        public VaeWeights.Layout layout() {
            return isVq() ? vq.layout() : kl.layout();
        }

        /** Whether the config was inferred from tensor shapes (a single file without config); never for VQ. */
        public boolean configInferred() {
            return !isVq() && kl.configInferred();
        }

        /** The encoder/decoder shape as a KL config (a VQ model's {@link VQConfig#backbone}). */
        public VaeConfig backbone() {
            return isVq() ? vq.config().backbone() : kl.config();
        }

        /** Spatial downsampling f. */
        public int downFactor() {
            return isVq() ? vq.config().downFactor() : kl.config().downFactor();
        }

        /** Channels of the latents the denoiser sees: a VQ model's are its vq_embed_dim channels. */
        public int latentChannels() {
            return isVq() ? vq.config().vqEmbedDim() : kl.config().latentChannels();
        }

        /** Channels of the images it encodes ({@code in_channels}). */
        public int inChannels() {
            return backbone().inChannels();
        }

        /** Channels of the images it decodes ({@code out_channels}). */
        public int imageChannels() {
            return backbone().outChannels();
        }

        /** The latent scale (the config's, or the override it was resolved with). */
        public double scalingFactor() {
            return isVq() ? vq.config().scalingFactor() : kl.config().scalingFactor();
        }

        /** The latent shape (channels, h/f, w/f) for images of {@code height} × {@code width}. */
        public long[] latentShape(int height, int width) {
            return isVq() ? vq.config().latentShape(height, width) : kl.config().latentShape(height, width);
        }

        /** The number of parameters (builds the modules; no tensors are allocated). */
        public long parameterCount() {
            return isVq() ? new VQModel(vq.config()).parameterCount() : new AutoencoderKL(kl.config()).parameterCount();
        }
    }

    /** {@link #resolve(Path, VaeWeights.Options)} with only a scaling factor override (null: the autoencoder's own). */
    public static Source resolve(Path path, Double scalingFactorOverride) throws IOException {
        return resolve(path, scalingFactorOverride == null ? VaeWeights.Options.DEFAULTS
                : VaeWeights.Options.scalingFactor(scalingFactorOverride));
    }

    /**
     * Resolves what {@code path} holds (see the class comment), reading configs and headers only.
     * {@code options} (null: none) override the scaling factor of either kind; the norm groups and a
     * config file given for a single file concern KL single files only.
     *
     * @throws WeightFiles.WeightFileException naming the file or folder and what was expected
     */
    public static Source resolve(Path path, VaeWeights.Options options) throws IOException {
        VaeWeights.Options opts = options == null ? VaeWeights.Options.DEFAULTS : options;
        Path target = Files.isDirectory(path) && Run.isRunFolder(path) ? runWeights(path) : path;
        if (VaeWeights.isVq(target)) {
            VaeWeights.VqSource vq = VaeWeights.resolveVq(target);
            if (opts.scalingFactor() != null) {
                vq = new VaeWeights.VqSource(vq.weightsFile(), vq.configFile(), vq.layout(),
                        vq.config().withScalingFactor(opts.scalingFactor()));
            }
            return new Source(path, null, vq);
        }
        return new Source(path, VaeWeights.resolve(target, opts), null);
    }

    /**
     * The autoencoder a KL {@link VaeWeights.Source} was made from, or the VQ model when its weights
     * file has a diffusers {@code VQModel} config beside it (a description of a VQ model carries its
     * backbone as a KL config), with that source's scaling factor.
     */
    public static Source of(VaeWeights.Source source) throws IOException {
        if (VaeWeights.isVq(source.weightsFile())) {
            return resolve(source.weightsFile(), source.config().scalingFactor());
        }
        return Source.of(source);
    }

    /** Loads what {@link #resolve} found, every parameter checked by name and shape. */
    public static LatentAutoencoder load(Source source, NDManager manager) throws IOException {
        if (source.isVq()) {
            VQModel vq = new VQModel(source.vq().config());
            vq.loadStateDict(VaeWeights.readFor(vq, source.vq().weightsFile()), manager);
            return vq;
        }
        return VaeWeights.load(source.kl(), manager);
    }

    /** Resolves and loads {@code path} with an optional scaling factor override (null: the autoencoder's own). */
    public static LatentAutoencoder load(Path path, Double scalingFactorOverride, NDManager manager) throws IOException {
        return load(resolve(path, scalingFactorOverride), manager);
    }

    /** Resolves and loads {@code path} with {@code options} (null: none). */
    public static LatentAutoencoder load(Path path, VaeWeights.Options options, NDManager manager) throws IOException {
        return load(resolve(path, options), manager);
    }

    /** The lines {@code vae info} shows: config, parameters, f and the latent shape for {@code imageSize}. */
    public static java.util.List<String> infoLines(Source source, int imageSize) {
        return source.isVq() ? VaeWeights.vqInfo(source.vq(), imageSize).lines()
                : VaeWeights.info(source.kl(), imageSize).lines();
    }

    /**
     * The diffusers folder holding an autoencoder run's weights: {@code exports/vae/} (written when the
     * run ends), else the newest checkpoint (its {@code config.json} and {@code model.safetensors}).
     * A diffusion run, or an autoencoder run without weights yet, is an error saying so.
     */
    public static Path runWeights(Path runDir) throws IOException {
        Run run = Run.at(runDir);
        RunConfig config;
        try {
            config = run.config();
        } catch (IOException | RuntimeException e) {
            throw new WeightFiles.WeightFileException(run.configFile(), "is a run's config.json but cannot be read ("
                    + e.getMessage() + ")", e);
        }
        if (!config.trainsAutoencoder()) {
            throw new WeightFiles.WeightFileException(runDir, "is a " + config.task() + " run (preset "
                    + config.preset() + "), not an autoencoder run; expected a run made with `vae train`, a diffusers"
                    + " AutoencoderKL folder or a .safetensors file");
        }
        Path export = run.autoencoderExportDir();
        if (Files.isRegularFile(export.resolve(VaeWeights.CONFIG))) {
            return export;
        }
        Optional<Checkpoint> latest = run.latestCheckpoint();
        if (latest.isPresent() && Files.isRegularFile(latest.get().dir().resolve(VaeWeights.CONFIG))) {
            return latest.get().dir();
        }
        throw new WeightFiles.WeightFileException(runDir, "is an autoencoder run without weights yet (no "
                + Run.EXPORTS + "/" + Run.AUTOENCODER_EXPORT + "/ and no checkpoint): let it train, or continue it with"
                + " `resume " + run.name() + "`");
    }
}

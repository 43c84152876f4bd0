package io.ldmstudio.service;

import io.ldmstudio.config.Presets;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.config.TrainedOn;
import io.ldmstudio.diffusion.StepListener;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.pipeline.Pipeline;
import io.ldmstudio.pipeline.PipelineFolder;
import io.ldmstudio.runs.Run;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.BooleanSupplier;

/**
 * What an evaluation samples from: a run (the EMA weights of its newest checkpoint, sampled with the scheduler config
 * the studio gives each sampler) or a diffusers pipeline folder (its weights, sampled with its own scheduler config
 * as diffusers' {@code from_config} would build the sampler asked for). Both give the same {@link Generator}, so
 * {@code eval fd}, {@code eval fid}, {@code eval sweep} and the studio's Evaluate window take either.
 */
public sealed interface SampleSource permits SampleSource.OfRun, SampleSource.OfPipeline {
    /** A run's name or a pipeline folder's name. */
    String name();

    /** "run NAME" or "model NAME": for titles and messages. */
    String describe();

    /** The run's folder or the pipeline folder. */
    Path dir();

    /** Channels of the images made. */
    int channels();

    /** Size in pixels of the (square) images made. */
    int size();

    /** The most sampling steps (the training timesteps). */
    int maxSteps();

    /** Classes of a class-conditional denoiser; 0 when it is unconditional. */
    int classes();

    /** The guidance scale used when none is given (NaN when unconditional). */
    double defaultGuidance();

    /** The device spec to sample on when none is given. */
    String defaultDevice();

    /**
     * The data its samples are scored against when no dataset is named: a run's own data, a pipeline's as its
     * weights' metadata names it ({@link TrainedOn}); empty when nothing says.
     */
    Optional<RunConfig.Data> trainedOn();

    /**
     * Where a sweep is written by default: {@code RUN/eval/sweep-<UTC>} for a run, {@code WORKSPACE/eval/<model
     * name>/sweep-<UTC>} for a pipeline (its folder, perhaps another library's, is left as it is).
     */
    Path defaultSweepFolder(Path workspaceRoot, Instant now);

    /** Loads the weights once onto {@code device}, for many {@link Generator#generate} calls. */
    Generator open(Devices.DeviceInfo device) throws IOException;

    /** A run. */
    static SampleSource of(Run run) throws IOException {
        return new OfRun(run, run.config());
    }

    /** The pipeline folder {@code dir}, opened and checked ({@link Pipeline#open}). */
    static SampleSource pipeline(Path dir) throws IOException {
        return new OfPipeline(dir, Pipeline.open(dir));
    }

    /**
     * {@code nameOrPath} as a command line names what to sample: a run folder, a pipeline folder, or a run's name
     * ({@code runs} opens it).
     */
    static SampleSource parse(String nameOrPath, RunOpener runs) throws IOException {
        Path p = Path.of(nameOrPath);
        if (Files.isDirectory(p) && Run.isRunFolder(p)) {
            return of(Run.at(p));
        }
        if (Files.isDirectory(p) && PipelineFolder.looksLike(p)) {
            return pipeline(p);
        }
        if (Files.isDirectory(p) || nameOrPath.contains("/") || nameOrPath.contains(java.io.File.separator)) {
            throw new IllegalArgumentException(nameOrPath + ": " + (Files.isDirectory(p) ? "neither a run folder (with "
                    + Run.CONFIG + ") nor a diffusers pipeline folder (with " + PipelineFolder.INDEX + ", or "
                    + PipelineFolder.MODEL_CONFIG + " beside " + PipelineFolder.SCHEDULER_CONFIG + ")"
                    : "no such folder") + "; a run is named by its name or its folder");
        }
        return of(runs.open(nameOrPath));
    }

    /** Opens a run by name. */
    @FunctionalInterface
    interface RunOpener {
        Run open(String name) throws IOException;
    }

    /** The weights loaded once: images from any sampler at any step count. Used from one thread. */
    interface Generator extends AutoCloseable {
        /** What is sampled. */
        SampleSource source();

        /** The checkpoint's step; 0 for a pipeline folder. */
        long checkpointStep();

        /**
         * {@code n} images from the seed's x_T with {@code sampler} (a key, parsed as {@code --sampler}) in
         * {@code steps} steps; {@code condition} the class labels and guidance of a class-conditional denoiser (null:
         * unconditional).
         */
        SamplingService.Result generate(String sampler, int steps, double eta, long seed, int n,
                Pipeline.Condition condition, StepListener listener, BooleanSupplier cancelled) throws IOException;

        @Override
        void close();
    }

    /** A run, with its config read once. */
    record OfRun(Run run, RunConfig config) implements SampleSource {
        @Override
        public String name() {
            return run.name();
        }

        @Override
        public String describe() {
            return "run " + run.name();
        }

        @Override
        public Path dir() {
            return run.dir();
        }

        @Override
        public int channels() {
            return config.data().channels();
        }

        @Override
        public int size() {
            return config.data().resolution();
        }

        @Override
        public int maxSteps() {
            return config.diffusion().timesteps();
        }

        @Override
        public int classes() {
            return config.conditioning().conditional() ? config.conditioning().classes() : 0;
        }

        @Override
        public double defaultGuidance() {
            return config.conditioning().conditional() ? config.conditioning().guidance() : Double.NaN;
        }

        @Override
        public String defaultDevice() {
            return config.device();
        }

        @Override
        public Optional<RunConfig.Data> trainedOn() {
            return Optional.of(TrainedOn.of(config).data());
        }

        @Override
        public Path defaultSweepFolder(Path workspaceRoot, Instant now) {
            return SamplerSweep.unused(SamplerSweep.defaultFolder(run.dir(), now));
        }

        @Override
        public Generator open(Devices.DeviceInfo device) throws IOException {
            return RunGenerator.open(run, 0, true, device);
        }
    }

    /**
     * A diffusers pipeline folder.
     *
     * @param settings what was set on it for sampling ({@code scheduler.timestep_spacing=trailing}, …), for the
     *                 record; {@code pipeline} already has them
     */
    record OfPipeline(Path dir, Pipeline pipeline, List<String> settings) implements SampleSource {
        public OfPipeline {
            settings = List.copyOf(settings);
        }

        /** The folder as it is. */
        public OfPipeline(Path dir, Pipeline pipeline) {
            this(dir, pipeline, List.of());
        }

        /** The folder's name; a run's own export ({@code RUN/exports/diffusers}) is {@code RUN-export}. */
        @Override
        public String name() {
            Path abs = dir.toAbsolutePath().normalize();
            Path f = abs.getFileName();
            if (f == null) {
                return dir.toString();
            }
            Path exports = abs.getParent();
            Path runDir = exports == null ? null : exports.getParent();
            if (runDir != null && runDir.getFileName() != null && exports.getFileName().toString().equals(Run.EXPORTS)
                    && Run.isRunFolder(runDir)) {
                return runDir.getFileName() + "-export";
            }
            return f.toString();
        }

        @Override
        public String describe() {
            return "model " + name() + (settings.isEmpty() ? "" : " (" + String.join(", ", settings) + ")");
        }

        @Override
        public int channels() {
            return pipeline.imageChannels();
        }

        @Override
        public int size() {
            return pipeline.imageSize();
        }

        @Override
        public int maxSteps() {
            return pipeline.scheduler().numTrainTimesteps();
        }

        @Override
        public int classes() {
            return pipeline.classes();
        }

        /** {@link Pipeline#defaultGuidance}: what its weights name, else 3 with a null class and 1 without. */
        @Override
        public double defaultGuidance() {
            return pipeline.defaultGuidance();
        }

        @Override
        public String defaultDevice() {
            return "auto";
        }

        /**
         * The data its U-Net's weights name ({@link TrainedOn}: the data section, or a shipped preset's when only the
         * preset is named); empty for a folder the studio did not write. A malformed entry is refused naming the file.
         */
        @Override
        public Optional<RunConfig.Data> trainedOn() {
            java.util.Map<String, String> meta = pipeline.metadata();
            String file = pipeline.metadataFile();
            Optional<TrainedOn> t = TrainedOn.fromMetadata(meta, file);
            if (t.isPresent()) {
                return Optional.of(t.get().data());
            }
            String preset = meta.get(TrainedOn.PRESET_KEY);
            if (preset != null && Presets.standard().names().contains(preset)) {
                return Optional.of(EvalDatasets.named(preset, file + ": metadata " + TrainedOn.PRESET_KEY));
            }
            return Optional.empty();
        }

        @Override
        public Path defaultSweepFolder(Path workspaceRoot, Instant now) {
            return SamplerSweep.unused(workspaceRoot.resolve("eval").resolve(name()).resolve(SamplerSweep.folderName(now)));
        }

        @Override
        public Generator open(Devices.DeviceInfo device) throws IOException {
            return PipelineGenerator.open(this, device);
        }
    }
}

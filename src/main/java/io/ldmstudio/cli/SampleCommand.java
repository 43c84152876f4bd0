package io.ldmstudio.cli;

import io.ldmstudio.data.ImageWriter;
import io.ldmstudio.diffusion.StepListener;
import io.ldmstudio.runs.Run;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.service.ClassChoice;
import io.ldmstudio.service.SamplingService;
import io.ldmstudio.service.TrajectoryWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "sample", description = "Sample images from a run's checkpoint (EMA weights by default), or from a "
        + "diffusers pipeline folder (DDPMPipeline, DDIMPipeline, LDMPipeline; subfolders or the flat layout).")
final class SampleCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "SOURCE", description = "a run name, a run folder or a pipeline folder")
    String runName;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = PipelineSets.DESCRIPTION)
    java.util.List<String> sets = new java.util.ArrayList<>();

    @Option(names = "--sampler", completionCandidates = SamplerKeys.class,
            description = "${COMPLETION-CANDIDATES} (default: ddim; for a pipeline, its scheduler's)")
    String sampler;

    @Option(names = "--steps", defaultValue = "50", description = "sampling steps (default: ${DEFAULT-VALUE})")
    int steps;

    @Option(names = "--eta", defaultValue = "0", description = "DDIM η in [0,1] (default: ${DEFAULT-VALUE})")
    double eta;

    @Option(names = "--seed", defaultValue = "0", description = "noise seed (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--n", description = "number of images (default: 16, or as many as --noise holds)")
    Integer n;

    @Option(names = "--noise", paramLabel = "FILE.npy", description = "start from this x_T instead of the seed's: a NumPy "
            + "float32 array [n, C, H, W] of the denoiser's input (latents for a latent run); sample i is image i")
    Path noise;

    @Option(names = "--out", required = true, description = "a .png gets one grid; any other path is a folder of PNGs")
    Path out;

    @Option(names = "--trajectory", description = "folder for a grid of x_t, x̂0 and ε̂ at every step (x_t and x̂0 decoded for a latent source)")
    Path trajectory;

    @Option(names = "--checkpoint", defaultValue = "0", description = "checkpoint step (default: the newest)")
    long checkpoint;

    @Option(names = "--no-ema", description = "use the raw weights instead of the EMA weights")
    boolean noEma;

    @Option(names = "--device", description = "auto|cpu|cuda[:N]|mps (default: the run's config)")
    String device;

    @Option(names = "--class", paramLabel = "K|NAME[,…]|all", description = "for a class-conditional model: the classes"
            + " to sample, by label or name, cycled over the images (--n defaults to their count); all = one row per"
            + " class of --n images (default 4). Without it a conditional model samples its null class")
    String classArg;

    @Option(names = "--guidance", paramLabel = "W", description = "classifier-free guidance scale with --class (1 = none;"
            + " default: the run's conditioning.guidance, 3 for a pipeline folder, 1 for one without a null class)")
    Double guidance;

    @Option(names = "--guidance-rescale", paramLabel = "PHI", defaultValue = "0", description = "guidance rescale φ in"
            + " [0, 1] (Lin et al.; diffusers' guidance_rescale; default: ${DEFAULT-VALUE})")
    double guidanceRescale;

    @Option(names = "--guidance-sweep", paramLabel = "W[,W…]", split = ",", description = "with --class: the same x_T at"
            + " each guidance scale; a .png OUT gets one labelled row per scale, a folder sample-w<W>-0000.png, …")
    java.util.List<Double> sweep;

    @Mixin
    Common common;

    @Override
    public Integer call() throws Exception {
        io.ldmstudio.data.Npy.Array xT = null;
        if (noise != null) {
            xT = io.ldmstudio.data.Npy.read(noise);
            long[] shape = xT.shape();
            if (shape.length != 4) {
                throw new IllegalArgumentException(noise + ": shape " + xT.shapeText() + " where [n, C, H, W] was expected");
            }
            if (n != null && n != shape[0]) {
                throw new IllegalArgumentException("--n " + n + " but " + noise + " holds " + shape[0] + " images' x_T");
            }
        }
        Path asPath = Path.of(runName);
        io.ldmstudio.pipeline.Pipeline pipeline = null;
        Run run = null;
        if (Files.isDirectory(asPath) && Run.isRunFolder(asPath)) {
            run = Run.at(asPath);
        } else if (Files.isDirectory(asPath) && io.ldmstudio.pipeline.PipelineFolder.looksLike(asPath)) {
            pipeline = io.ldmstudio.pipeline.Pipeline.open(asPath);
        } else {
            run = common.openRun(runName);
        }
        if (!sets.isEmpty()) {
            if (pipeline == null) {
                throw new IllegalArgumentException("--set " + sets.get(0) + ": --set is for a pipeline folder; a run"
                        + " samples as its config says (its latent scale is autoencoder.scaling_factor)");
            }
            pipeline = PipelineSets.apply(pipeline, sets);
        }
        int classes = pipeline != null ? pipeline.classes()
                : run.config().conditioning().conditional() ? run.config().conditioning().classes() : 0;
        ClassChoice choice = classArg == null ? null
                : ClassChoice.parse(classArg, classes, run != null ? run.classNames() : pipeline.classNames(), n, runName);
        if (choice == null && (guidance != null || sweep != null)) {
            throw new IllegalArgumentException((sweep != null ? "--guidance-sweep" : "--guidance") + " needs --class: guidance"
                    + " pushes samples towards a class" + (classes == 0 ? ", and " + runName + " is unconditional" : ""));
        }
        if (choice != null) {
            n = choice.labels().length;
        } else if (n == null) {
            n = xT != null ? Math.toIntExact(xT.shape()[0]) : 16;
        }
        if (xT != null && xT.shape()[0] != n) {
            throw new IllegalArgumentException(noise + " holds " + xT.shape()[0] + " images' x_T, but " + n + " are asked for"
                    + (choice != null ? " by --class" : " (--n)"));
        }
        double w = guidance != null ? guidance : run != null ? run.config().conditioning().guidance()
                : pipeline.defaultGuidance();
        java.util.List<Double> scales = sweep != null ? sweep : java.util.List.of(w);
        String samplerName = sampler != null ? sampler.toLowerCase(Locale.ROOT)
                : pipeline != null ? pipeline.defaultSampler().key : "ddim";
        sampler = samplerName;
        io.ldmstudio.config.SamplerKind kind = io.ldmstudio.config.SamplerKind.parse(samplerName, "--sampler");
        final int count = n;
        Devices.DeviceInfo info = Common.device(device != null ? device : run != null ? run.config().device() : "auto");
        Progress bar = new Progress(System.out, sampler, steps, "step", Progress.isTerminal());
        StepListener progress = new StepListener() {
            @Override
            public void onStep(int stepIndex, int t, ai.djl.ndarray.NDArray xt, ai.djl.ndarray.NDArray predX0,
                    ai.djl.ndarray.NDArray predEps) {}

            @Override
            public void onProgress(int completed, int total) {
                bar.update(completed, "");
            }
        };
        StepListener listener = progress;
        TrajectoryWriter tw = null;
        boolean latent = pipeline != null ? pipeline.hasAutoencoder() : !run.config().pixelSpace();
        // one decoder for the trajectory's frames and the samples: the autoencoder loads once
        try (io.ldmstudio.service.LatentDecoder decoder = trajectory == null || !latent ? null
                : pipeline != null ? new io.ldmstudio.service.LatentDecoder(pipeline, info)
                : new io.ldmstudio.service.LatentDecoder(run.config(), info)) {
            if (trajectory != null) {
                tw = new TrajectoryWriter(trajectory, progress, decoder);
                listener = tw;
            }
            if (pipeline != null && xT != null && !java.util.Arrays.equals(xT.shape(), pipeline.noiseShape(n))) {
                throw new IllegalArgumentException(noise + ": shape " + xT.shapeText() + " where " + asPath + "'s denoiser"
                        + " takes [n, C, H, W] = " + java.util.Arrays.toString(pipeline.noiseShape(n)));
            }
            java.util.List<SamplingService.Result> results = new java.util.ArrayList<>();
            for (double scale : scales) { // the same seed and x_T at every scale
                io.ldmstudio.pipeline.Pipeline.Condition condition = choice == null ? null
                        : new io.ldmstudio.pipeline.Pipeline.Condition(choice.labels(), scale, guidanceRescale);
                if (pipeline != null) {
                    results.add(SamplingService.sample(pipeline, kind, steps, kind.usesEta ? eta : 0, seed, count,
                            xT == null ? null : xT.data(), condition, info, listener, () -> false, decoder));
                } else {
                    results.add(SamplingService.sample(run, new SamplingService.Request(samplerName, steps, eta, seed, count,
                            !noEma, checkpoint, condition), info, listener, () -> false, decoder, xT, noise));
                }
            }
            SamplingService.Result r = results.get(0);
            bar.finish();
            write(results, scales, choice);
            if (tw != null) {
                System.out.println("wrote the trajectory (" + tw.stepsWritten() + " steps, x_t, x̂0 and ε̂"
                        + (latent ? "; x_t and x̂0 decoded, ε̂ in latent space" : "") + ") to " + trajectory);
            }
            if (pipeline != null) {
                System.out.printf(Locale.ROOT, "%s-%d from %s%s in %.1f s%n", sampler, steps, r.weights(),
                        pipeline.latentScale().map(s -> String.format(Locale.ROOT, " (latent scale %s)", s)).orElse(""), r.seconds());
            } else {
                System.out.printf(Locale.ROOT, "%s-%d from %s of step %d in %.1f s%n", sampler, steps, r.weights(),
                        r.checkpointStep(), r.seconds());
            }
        }
        return 0;
    }

    /**
     * Writes the samples: a .png OUT gets one grid — for a guidance sweep one labelled row per scale, for
     * {@code --class all} one labelled row per class — any other OUT a folder of PNGs.
     */
    private void write(java.util.List<SamplingService.Result> results, java.util.List<Double> scales, ClassChoice choice)
            throws java.io.IOException {
        SamplingService.Result r0 = results.get(0);
        int c = r0.channels();
        int h = r0.height();
        int w = r0.width();
        boolean sweeping = sweep != null;
        if (out.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".png")) {
            if (out.toAbsolutePath().getParent() != null) {
                Files.createDirectories(out.toAbsolutePath().getParent());
            }
            if (sweeping) {
                java.util.List<float[]> all = new java.util.ArrayList<>();
                java.util.List<String> rows = new java.util.ArrayList<>();
                for (int k = 0; k < results.size(); k++) {
                    all.addAll(results.get(k).images());
                    rows.add("w = " + fmt(scales.get(k)));
                }
                ImageWriter.writePng(io.ldmstudio.data.Grids.labelledRows(all, c, h, w, r0.images().size(), rows), out);
            } else if (choice != null && choice.perClass() > 0) {
                ImageWriter.writePng(io.ldmstudio.data.Grids.labelledRows(r0.images(), c, h, w, choice.perClass(),
                        choice.rowLabels()), out);
            } else {
                ImageWriter.writeGrid(r0.images(), c, h, w, out);
            }
            System.out.println("wrote a grid of " + results.size() * r0.images().size() + " samples to " + out);
            return;
        }
        Files.createDirectories(out);
        for (int k = 0; k < results.size(); k++) {
            String prefix = sweeping ? "sample-w" + fmt(scales.get(k)) + "-" : "sample-";
            for (int i = 0; i < results.get(k).images().size(); i++) {
                ImageWriter.writePng(results.get(k).images().get(i), c, h, w,
                        out.resolve(String.format(Locale.ROOT, "%s%04d.png", prefix, i)));
            }
        }
        System.out.println("wrote " + results.size() * r0.images().size() + " samples (" + w + "x" + h + ") to " + out);
    }

    private static String fmt(double v) {
        return ClassChoice.formatScale(v);
    }

    /** The sampler names, from the one registry ({@link io.ldmstudio.config.SamplerKind}). */
    static final class SamplerKeys implements Iterable<String> {
        @Override
        public java.util.Iterator<String> iterator() {
            return io.ldmstudio.config.SamplerKind.keys().iterator();
        }
    }
}

package io.ldmstudio.cli;

import io.ldmstudio.config.ConfigResolver;
import io.ldmstudio.config.Presets;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.eval.MetricSummary;
import io.ldmstudio.eval.MetricTable;
import io.ldmstudio.nn.VQModel;
import io.ldmstudio.nn.VaeConfig;
import io.ldmstudio.pipeline.Autoencoders;
import io.ldmstudio.runs.Run;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.service.ReconstructionService;
import io.ldmstudio.service.VaeBenchmark;
import io.ldmstudio.weights.VaeWeights;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "vae", description = "Train, inspect, measure and time KL autoencoders; info, recon and eval also take a diffusers VQModel folder.",
        subcommands = {VaeCommand.Train.class, VaeCommand.Info.class, VaeCommand.Recon.class, VaeCommand.Eval.class,
            VaeCommand.Bench.class, HelpCommand.class})
final class VaeCommand implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** Where an autoencoder can come from, for option descriptions. */
    static final String VAE_PATH = "studio autoencoder run folder (or the name of a run in the workspace), diffusers "
            + "AutoencoderKL or VQModel folder (or a pipeline folder with vae/ or vqvae/), or safetensors file";

    @Command(name = "train", description = "Train a KL autoencoder from a preset (task = autoencoder, e.g. "
            + "vae-fashion-mnist) into a new run folder; it ends exported to the run's exports/vae in diffusers layout.")
    static final class Train implements Callable<Integer> {
        @Mixin
        TrainOptions options;

        @Mixin
        Common common;

        @Override
        public Integer call() throws Exception {
            return options.train(common, RunConfig.AUTOENCODER);
        }
    }

    @Command(name = "info", description = "Config, parameters, f and the latent shape for an image size.")
    static final class Info implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "PATH", description = VAE_PATH)
        Path path;

        @Option(names = "--size", defaultValue = "256", description = "image size for the latent shape (default: ${DEFAULT-VALUE})")
        int size;

        @Mixin
        VaeLoading loading;

        @Mixin
        Common common;

        @Override
        public Integer call() throws Exception {
            Path p = common.vaeOrRun(path, "PATH");
            Autoencoders.infoLines(Autoencoders.resolve(p, loading.options()), size).forEach(System.out::println);
            return 0;
        }
    }

    @Command(name = "recon", description = "Reconstruct a folder of images; write each reconstruction, grid.png and PSNR/SSIM.")
    static final class Recon implements Callable<Integer> {
        @Option(names = "--vae", required = true, description = VAE_PATH)
        Path vae;

        @Option(names = "--images", required = true, description = "folder of images")
        Path images;

        @Option(names = "--out", required = true, description = "output folder")
        Path out;

        @Option(names = "--size", paramLabel = "N", description = "center-crop every image to a square and resize it to "
                + "N x N (default: each image at its own size, cropped to a multiple of the autoencoder's f)")
        Integer size;

        @Option(names = "--device", defaultValue = "auto", description = "auto|cpu|cuda[:N]|mps")
        String device;

        @Mixin
        VaeLoading loading;

        @Mixin
        Common common;

        @Override
        public Integer call() throws Exception {
            Path vae = common.vaeOrRun(this.vae, "--vae");
            Common.existing(images, "--images");
            VaeWeights.Options options = loading.options();
            Devices.DeviceInfo info = Common.device(device);
            ReconstructionService.Result r = ReconstructionService.reconstruct(vae, options, images, out, size, info,
                    Common.imageCount(50));
            for (String s : r.skipped()) {
                System.out.println("skipped " + s);
            }
            if (size == null) {
                System.out.println("each image at its own size" + (r.cropped() == 0 ? ""
                        : ", centre-cropped to a multiple of f = " + r.f() + " (" + r.cropped() + " of " + r.images()
                        + " images)") + "; sizes: " + sizes(r.sizes()));
            }
            System.out.println("latent shape for " + r.sizes().keySet().iterator().next() + " px: "
                    + Arrays.toString(r.latentShape()));
            System.out.print(MetricTable.format(r.summary()));
            if (r.usage() != null) {
                System.out.println(usageLine(r.usage(), r.images()));
            }
            System.out.println("wrote " + r.images() + " reconstructions and " + r.grid());
            return 0;
        }

        private static String sizes(Map<String, Integer> sizes) {
            List<String> parts = new ArrayList<>();
            sizes.forEach((wh, n) -> parts.add(wh + (n > 1 ? " (" + n + ")" : "")));
            return String.join(", ", parts);
        }
    }

    /** "codebook usage: U of K entries used (N images, V latent vectors)". */
    static String usageLine(VQModel.CodebookUsage usage, long images) {
        return String.format(Locale.ROOT, "codebook usage: %d of %d entries used (%.1f%%) over %d images, %d latent vectors",
                usage.used(), usage.size(), 100.0 * usage.used() / usage.size(), images, usage.total());
    }

    @Command(name = "eval", description = "Reconstruct a dataset (its test split by default) and report mean PSNR, SSIM "
            + "and MSE. The data settings default to the run's when --vae is a studio run.")
    static final class Eval implements Callable<Integer> {
        @Option(names = "--vae", required = true, description = VAE_PATH)
        Path vae;

        @Option(names = "--data-source", description = "idx|cifar10|folder|procedural (default: the run's data.source)")
        String source;

        @Option(names = "--data-path", description = "the dataset's folder or file (default: the run's data.path)")
        String path;

        @Option(names = "--resolution", description = "image size (default: the run's data.resolution)")
        Integer resolution;

        @Option(names = "--channels", description = "1 or 3 (default: the run's data.channels)")
        Integer channels;

        @Option(names = "--split", defaultValue = "test", description = "test|train (default: ${DEFAULT-VALUE}); a folder has no split")
        String split;

        @Option(names = "--limit", defaultValue = "0", description = "at most this many images, 0 = all (default: ${DEFAULT-VALUE})")
        int limit;

        @Option(names = "--batch", defaultValue = "64", description = "images a batch (default: ${DEFAULT-VALUE})")
        int batch;

        @Option(names = "--grid", description = "write input | reconstruction | 5x difference of the first 8 images here (.png)")
        Path grid;

        @Option(names = "--device", defaultValue = "auto", description = "auto|cpu|cuda[:N]|mps")
        String device;

        @Mixin
        VaeLoading loading;

        @Mixin
        Common common;

        @Override
        public Integer call() throws Exception {
            Path vae = common.vaeOrRun(this.vae, "--vae");
            if (!split.equals("test") && !split.equals("train")) {
                throw new IllegalArgumentException("--split " + split + ": expected test or train");
            }
            if (batch < 1 || limit < 0) {
                throw new IllegalArgumentException("--batch must be ≥ 1 and --limit ≥ 0");
            }
            RunConfig.Data base = Run.isRunFolder(vae) ? Run.at(vae).config().data() : null;
            if (base == null && source == null) {
                throw new IllegalArgumentException("--data-source is required when --vae is not a studio run (" + vae
                        + "): give --data-source, --data-path, --resolution and --channels");
            }
            RunConfig.Data d = base != null ? base : RunConfig.defaults().data();
            String src = source != null ? source : d.source();
            // the run's path only goes with the run's source
            String where = path != null ? path : base != null && src.equals(base.source()) ? base.path() : null;
            RunConfig.Data data = new RunConfig.Data(src, where, resolution != null ? resolution : d.resolution(),
                    channels != null ? channels : d.channels(), d.centerCrop(), false, 0, d.workers());
            VaeWeights.Options options = loading.options();
            Devices.DeviceInfo info = Common.device(device);
            ReconstructionService.Evaluation e = ReconstructionService.evaluate(vae, options, data, split.equals("test"),
                    limit, batch, grid, info, Common.imageCount(2000));
            MetricSummary s = e.summary();
            for (String k : e.skipped()) {
                System.out.println("skipped " + k);
            }
            System.out.println("autoencoder: " + e.weights());
            System.out.println("dataset: " + e.dataset() + ", " + s.count() + " images at " + data.resolution() + " px");
            System.out.printf(Locale.ROOT, "PSNR  mean %.2f dB  (std %.2f, min %.2f, max %.2f; pooled %.2f dB)%n",
                    s.psnr().mean(), s.psnr().std(), s.psnr().min(), s.psnr().max(), s.pooledPsnr());
            System.out.printf(Locale.ROOT, "SSIM  mean %.4f     (std %.4f, min %.4f, max %.4f)%n", s.ssim().mean(),
                    s.ssim().std(), s.ssim().min(), s.ssim().max());
            System.out.printf(Locale.ROOT, "MSE   mean %.3e  (images in [-1, 1] measured on [0, 1])%n", s.mse().mean());
            if (e.usage() != null) {
                System.out.println(usageLine(e.usage(), s.count()));
            }
            System.out.printf(Locale.ROOT, "%.1f s, %.0f images/s%n", e.seconds(), s.count() / Math.max(e.seconds(), 1e-9));
            if (e.grid() != null) {
                System.out.println("wrote " + e.grid());
            }
            return 0;
        }
    }

    @Command(name = "bench", description = "Time encoding images into latents (as a latent cache does, batch 16) and "
            + "decoding one latent into an image, for a model (--vae) or random weights of a shape (--arch).")
    static final class Bench implements Callable<Integer> {
        @Option(names = "--vae", description = VAE_PATH)
        Path vae;

        @Option(names = "--arch", description = "random weights of this shape: sd-vae-ft-mse, or a preset with task = "
                + "autoencoder (e.g. vae-fashion-mnist)")
        String arch;

        @Option(names = "--size", defaultValue = "256", description = "image size (default: ${DEFAULT-VALUE})")
        int size;

        @Option(names = "--encode-images", defaultValue = "256", description = "images to encode, 0 = skip (default: ${DEFAULT-VALUE})")
        int encodeImages;

        @Option(names = "--batch", defaultValue = "16", description = "encoding batch (default: ${DEFAULT-VALUE}, the latent cache's)")
        int batch;

        @Option(names = "--decode-repeats", defaultValue = "3", description = "timed single-image decodes, 0 = skip (default: ${DEFAULT-VALUE})")
        int decodeRepeats;

        @Option(names = "--device", defaultValue = "auto", description = "auto|cpu|cuda[:N]|mps")
        String device;

        @Option(names = "--json", description = "print one JSON object instead of lines")
        boolean json;

        @Mixin
        Common common;

        @Override
        public Integer call() throws Exception {
            if ((vae == null) == (arch == null)) {
                throw new IllegalArgumentException("give either --vae PATH or --arch sd-vae-ft-mse|PRESET");
            }
            Path vae = common.vaeOrRun(this.vae, "--vae");
            VaeConfig config = null;
            if (arch != null) {
                config = arch.equals("sd-vae-ft-mse") ? VaeConfig.sdVaeFtMse() : presetShape(arch);
            }
            Devices.DeviceInfo info = Devices.resolve(device);
            if (!json) {
                System.out.println("LDM Studio vae bench on " + info.describe());
            }
            Map<String, Object> result = VaeBenchmark.run(new VaeBenchmark.Spec(vae, config, size, encodeImages, batch,
                    decodeRepeats), info, Common.phaseLines(json));
            Common.printResult(result, json);
            return 0;
        }

        private static VaeConfig presetShape(String name) {
            RunConfig c = ConfigResolver.resolve(Presets.standard(), name, List.of());
            if (!c.trainsAutoencoder()) {
                throw new IllegalArgumentException("--arch " + name + ": expected sd-vae-ft-mse or a preset with task ="
                        + " autoencoder; " + name + " has task = " + c.task());
            }
            return VaeConfig.of(c.vae(), c.data().channels(), c.data().resolution());
        }
    }
}

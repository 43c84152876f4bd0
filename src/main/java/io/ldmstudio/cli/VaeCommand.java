package io.ldmstudio.cli;

import io.ldmstudio.eval.MetricTable;
import io.ldmstudio.service.Devices;
import io.ldmstudio.service.ReconstructionService;
import io.ldmstudio.weights.VaeWeights;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(name = "vae", description = "Inspect a KL autoencoder and measure its reconstructions.",
        subcommands = {VaeCommand.Info.class, VaeCommand.Recon.class})
final class VaeCommand implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    @Command(name = "info", description = "Config, parameters, f and the latent shape for an image size.")
    static final class Info implements Callable<Integer> {
        @Parameters(index = "0", paramLabel = "PATH", description = "diffusers folder or safetensors file")
        Path path;

        @Option(names = "--size", defaultValue = "256", description = "image size for the latent shape (default: ${DEFAULT-VALUE})")
        int size;

        @Override
        public Integer call() throws Exception {
            VaeWeights.Info info = VaeWeights.info(path, size, VaeWeights.Options.DEFAULTS);
            info.lines().forEach(System.out::println);
            return 0;
        }
    }

    @Command(name = "recon", description = "Reconstruct a folder of images; write each reconstruction, grid.png and PSNR/SSIM.")
    static final class Recon implements Callable<Integer> {
        @Option(names = "--vae", required = true, description = "diffusers folder or safetensors file")
        Path vae;

        @Option(names = "--images", required = true, description = "folder of images")
        Path images;

        @Option(names = "--out", required = true, description = "output folder")
        Path out;

        @Option(names = "--size", defaultValue = "256", description = "center-crop and resize to this size (default: ${DEFAULT-VALUE})")
        int size;

        @Option(names = "--device", defaultValue = "auto", description = "auto|cpu|cuda[:N]|mps")
        String device;

        @Override
        public Integer call() throws Exception {
            Devices.DeviceInfo info = Common.device(device);
            ReconstructionService.Result r = ReconstructionService.reconstruct(vae, images, out, size, info, n -> {
                if (n % 50 == 0) {
                    System.out.println("  " + n + " images");
                }
            });
            for (String s : r.skipped()) {
                System.out.println("skipped " + s);
            }
            System.out.println("latent shape for " + size + " px: " + Arrays.toString(r.latentShape()));
            System.out.print(MetricTable.format(r.summary()));
            System.out.println("wrote " + r.images() + " reconstructions and " + r.grid());
            return 0;
        }
    }
}

package io.ldmstudio.cli;

import io.ldmstudio.service.Benchmark;
import io.ldmstudio.engine.Devices;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "bench", description = "Train and sample the U-Net a bench file describes and report speed and memory.")
final class BenchCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "bench JSON file, e.g. bench/standard.json")
    Path config;

    @Option(names = "--json", description = "print one JSON object instead of a table")
    boolean json;

    @Option(names = "--device", defaultValue = "auto", description = "auto|cpu|cuda[:N]|mps (default: ${DEFAULT-VALUE})")
    String device;

    @Option(names = "--workspace", description = "accepted as by every command; a benchmark keeps nothing in a workspace")
    Path workspace;

    @Override
    public Integer call() throws Exception {
        Benchmark.Spec spec = Benchmark.Spec.read(Common.existing(config, "--config"));
        if (spec.threads() > 0 && System.getProperty("ai.djl.pytorch.num_threads") == null) {
            System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(spec.threads()));
        }
        Devices.DeviceInfo info = Devices.resolve(device);
        if (!json) {
            System.out.println("LDM Studio bench '" + spec.name() + "' on " + info.describe());
        }
        Map<String, Object> result = Benchmark.run(spec, info, Common.phaseLines(json));
        Common.printResult(result, json);
        return 0;
    }
}

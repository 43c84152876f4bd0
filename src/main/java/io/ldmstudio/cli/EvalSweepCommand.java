package io.ldmstudio.cli;

import io.ldmstudio.config.RunConfig;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.service.DatasetFd;
import io.ldmstudio.service.SampleSource;
import io.ldmstudio.service.SamplerSweep;
import io.ldmstudio.training.FeatureClassifier;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code eval sweep}: a run's quality against sampling time, per sampler and step count ({@link SamplerSweep}),
 * written as a table and a plot.
 */
@Command(name = "sweep", description = "Quality against sampling time: for each sampler × each step count, sample --n"
        + " images with the same seeds (a run: the EMA weights of its newest checkpoint; a diffusers pipeline folder:"
        + " its weights and scheduler config), time the sampling and score FD_<dataset> (and the class share of a"
        + " class-conditional model) as eval fd does. Writes sweep.md, sweep.csv, sweep.json, the plot sweep.png and"
        + " each cell's first 64 samples as samples-<sampler>-<steps>.png into RUN/eval/sweep-<UTC time>/ (a pipeline:"
        + " WORKSPACE/eval/<folder name>/sweep-<UTC time>/; or --out), and prints the table.")
final class EvalSweepCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "RUN|MODEL", description = "what to sweep: a run (name or folder) or a"
            + " diffusers pipeline folder")
    String runName;

    @Option(names = "--samplers", defaultValue = "ddim,dpmpp", paramLabel = "LIST", description = "comma-separated"
            + " samplers: ddpm, ddim, dpmpp (default: ${DEFAULT-VALUE})")
    String samplers;

    @Option(names = "--steps", defaultValue = "10,20,50", paramLabel = "LIST", description = "comma-separated step"
            + " counts (default: ${DEFAULT-VALUE})")
    String steps;

    @Option(names = "--n", defaultValue = "1000", description = "samples a cell, and held-out images at most (default:"
            + " ${DEFAULT-VALUE})")
    int n;

    @Option(names = "--dataset", paramLabel = "PRESET_OR_SOURCE", description = "whose classifier scores the samples: a"
            + " preset or a source, as in eval fd (default: the run's own data; for a pipeline folder the data its"
            + " weights name, which the studio writes into its checkpoints and exports)")
    String dataset;

    @Option(names = "--guidance", paramLabel = "W", description = RunSamplingOptions.GUIDANCE_HELP)
    Double guidance;

    @Option(names = "--seed", defaultValue = "0", description = "seed of the first " + DatasetFd.CHUNK_TEXT
            + " samples of every cell; the next chunks take the next seeds (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--device", description = RunSamplingOptions.DEVICE_HELP)
    String device;

    @Option(names = "--out", paramLabel = "DIR", description = "the folder to write to (default:"
            + " RUN/eval/sweep-<UTC time>, or WORKSPACE/eval/<folder name>/sweep-<UTC time> for a pipeline folder)")
    Path out;

    @Option(names = "--json", description = "print the sweep as one JSON object (with the paths written) and nothing"
            + " else on stdout")
    boolean json;

    @Mixin
    PipelineSets pipelineSets;

    @Mixin
    Common common;

    @Override
    public Integer call() throws Exception {
        SampleSource source = pipelineSets.source(runName, common::openRun);
        List<String> samplerList = SamplerSweep.parseSamplers(samplers, "--samplers");
        List<Integer> stepList = SamplerSweep.parseSteps(steps, "--steps", source.maxSteps());
        RunConfig.Data d;
        if (dataset != null) {
            EvalCommand.DatasetOptions o = new EvalCommand.DatasetOptions();
            o.dataset = dataset;
            d = o.data();
        } else {
            d = source.trainedOn().orElseThrow(() -> new IllegalArgumentException(source.describe() + " ("
                    + source.dir() + ") does not say what it was trained on: name the dataset whose classifier scores"
                    + " its " + source.channels() + " × " + source.size() + " px samples with --dataset"));
        }
        PrintStream log = json ? System.err : System.out;
        String spec = device != null ? device : source.defaultDevice();
        Devices.DeviceInfo dev = json ? Devices.resolve(spec) : Common.device(spec);
        try (FeatureClassifier c = FeatureClassifier.obtain(common.workspace().root(), d,
                FeatureClassifier.Settings.defaults(), false, line -> System.err.println("  " + line))) {
            DatasetFd.check(c, source, n);
            DatasetFd.Real real = DatasetFd.realStats(c, d, n);
            SamplerSweep.Result r = SamplerSweep.run(source, DatasetFd.scorer(c, real), samplerList, stepList, n, guidance,
                    seed, dev, new SamplerSweep.Listener() {
                        @Override
                        public void cellStarted(int index, int total, String sampler, int k) {
                            log.printf(Locale.ROOT, "cell %d/%d: %s, %d steps%n", index + 1, total, sampler, k);
                        }

                        @Override
                        public void line(String text) {
                            log.println("  " + text);
                        }

                        @Override
                        public void cellDone(int index, int total, SamplerSweep.Cell cell) {
                            log.printf(Locale.ROOT, "  %s = %.4f, sampling %.2f s (%.4f s/image)%n", c.info().metricName(),
                                    cell.value(), cell.seconds(), cell.secondsPerImage());
                        }
                    }, () -> Thread.currentThread().isInterrupted());
            Path dir = out != null ? out : source.defaultSweepFolder(common.workspace().root(), Instant.now());
            SamplerSweep.Written w = SamplerSweep.write(r, dir);
            if (json) {
                com.fasterxml.jackson.databind.node.ObjectNode o = SamplerSweep.json(r);
                com.fasterxml.jackson.databind.node.ObjectNode files = o.putObject("files");
                files.put("dir", w.dir().toString());
                files.put("markdown", w.markdown().toString());
                files.put("csv", w.csv().toString());
                files.put("json", w.json().toString());
                files.put("plot", w.plot().toString());
                System.out.println(o.toString());
            } else {
                System.out.println();
                System.out.print(SamplerSweep.markdown(r));
                System.out.println();
                System.out.println("written to " + w.dir() + ":");
                for (Path p : List.of(w.markdown(), w.csv(), w.json(), w.plot())) {
                    System.out.println("  " + p);
                }
                System.out.println("  " + w.grids().size() + " sample grids (samples-<sampler>-<steps>.png, the first "
                        + Math.min(SamplerSweep.GRID_IMAGES, n) + " samples of each cell)");
                System.out.println(c.info().metricName() + " is comparable between runs scored by this classifier, not"
                        + " with published FID");
            }
        }
        return 0;
    }
}

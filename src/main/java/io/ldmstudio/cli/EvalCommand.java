package io.ldmstudio.cli;

import io.ldmstudio.config.ConfigResolver;
import io.ldmstudio.config.Presets;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.data.Sources;
import io.ldmstudio.service.DatasetFd;
import io.ldmstudio.training.FeatureClassifier;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.HelpCommand;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code eval}: measuring generated images. One subcommand per metric or tool; add new ones to {@code subcommands}. */
@Command(name = "eval", description = "Measure generated images: FD_<dataset> and the class share, from the dataset's"
        + " own classifier (no download needed).",
        subcommands = {EvalCommand.Classifier.class, EvalCommand.Fd.class, EvalFidCommand.class,
                EvalSweepCommand.class, HelpCommand.class})
final class EvalCommand implements Runnable {
    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    /** Which data: a preset's data section, or a source kind with its usual size; then the options that override. */
    static final class DatasetOptions {
        @Option(names = "--dataset", required = true, paramLabel = "PRESET_OR_SOURCE", description = "a preset (its data"
                + " section, e.g. fashion-mnist-pixel-cpu) or a source: procedural (32 px RGB), idx (Fashion-MNIST,"
                + " 28 px gray), cifar10 (32 px RGB), folder (one sub-folder per class)")
        String dataset;

        @Option(names = "--data-path", description = "the dataset's folder or file (default: the preset's; idx: "
                + "/usr/share/datasets/fashion-mnist)")
        String path;

        @Option(names = "--resolution", description = "image size in pixels (default: the preset's or the source's)")
        Integer resolution;

        @Option(names = "--channels", description = "1 or 3 (default: the preset's or the source's)")
        Integer channels;

        RunConfig.Data data() {
            RunConfig.Data d = io.ldmstudio.service.EvalDatasets.named(dataset, "--dataset");
            RunConfig.Data out = new RunConfig.Data(d.source(), path != null ? path : d.path(),
                    resolution != null ? resolution : d.resolution(), channels != null ? channels : d.channels(),
                    d.centerCrop(), false, 0, d.workers());
            Sources.check(out);
            return out;
        }
    }

    @Command(name = "classifier", description = "Train (once; then reuse) the small classifier of a labelled dataset"
            + " whose features give FD_<dataset> and whose predictions give the class share; print its held-out"
            + " accuracy and where it is cached (WORKSPACE/cache/classifiers/<dataset>-<resolution>px). FD_<dataset>"
            + " is comparable between runs scored by the same classifier, never with published FID.")
    static final class Classifier implements Callable<Integer> {
        @Mixin
        DatasetOptions dataset;

        @Option(names = "--steps", description = "training steps (default: " + FeatureClassifier.Settings.DEFAULT_STEPS
                + ")")
        Integer steps;

        @Option(names = "--batch", description = "images a step (default: 64)")
        Integer batch;

        @Option(names = "--test-images", description = "held-out images to measure the accuracy on, 0 = the whole"
                + " split (default: 0)")
        Integer testImages;

        @Option(names = "--retrain", description = "train again even when a cached classifier is there (replacing it)")
        boolean retrain;

        @Mixin
        Common common;

        @Override
        public Integer call() throws Exception {
            RunConfig.Data d = dataset.data();
            FeatureClassifier.Settings s = FeatureClassifier.Settings.defaults();
            s = new FeatureClassifier.Settings(steps != null ? steps : s.steps(), batch != null ? batch : s.batchSize(),
                    s.lr(), s.weightDecay(), s.seed(), testImages != null ? testImages : s.testImages());
            try (FeatureClassifier c = FeatureClassifier.obtain(common.workspace().root(), d, s, retrain,
                    line -> System.out.println("  " + line))) {
                FeatureClassifier.Info i = c.info();
                System.out.println((c.trainedNow() ? "trained and cached: " : "cached (reused; --retrain to train"
                        + " again): ") + c.directory());
                System.out.printf(Locale.ROOT, "%s classifier at %d px, %d channel(s), trained on %s; %d classes: %s%n",
                        i.metricName(), i.resolution(), i.channels(), i.description(), i.classes(),
                        String.join(", ", i.classNames()));
                System.out.printf(Locale.ROOT, "test accuracy %.2f%% on %d held-out images; %d steps of %d, seed %d,"
                        + " %.0f s; %d-d features%n", 100 * i.testAccuracy(), i.testImages(), i.steps(), i.batchSize(),
                        i.seed(), i.trainSeconds(), i.featureDim());
                System.out.println(i.metricName() + " is comparable between runs scored by this classifier, not with"
                        + " published FID");
            }
            return 0;
        }
    }

    @Command(name = "fd", description = "FD_<dataset> of a run or a diffusers pipeline folder: sample --n images (a run's"
            + " EMA weights of its newest checkpoint)"
            + " and give the Fréchet distance to the dataset's held-out images in the features of the dataset's"
            + " classifier (trained and cached first if there is none, as eval classifier does); for a class-conditional"
            + " run also the share of samples classified as the class asked for (classes cycled over the samples)."
            + " Comparable between runs scored by the same classifier, never with published FID.")
    static final class Fd implements Callable<Integer> {
        @Mixin
        DatasetOptions dataset;

        @Option(names = "--fake", required = true, paramLabel = "RUN|MODEL", description = "what to score: a run (name or"
                + " folder) or a diffusers pipeline folder")
        String fake;

        @Option(names = "--n", defaultValue = "1000", description = "samples, and held-out images at most (default:"
                + " ${DEFAULT-VALUE})")
        int n;

        @Mixin
        RunSamplingOptions sampling;

        @Mixin
        Common common;

        private io.ldmstudio.service.SampleSource source;

        /** The device to sample on; said on stdout unless --json (whose stdout is the one JSON object). */
        private io.ldmstudio.engine.Devices.DeviceInfo deviceInfo() throws java.io.IOException {
            String spec = sampling.device != null ? sampling.device : source.defaultDevice();
            return sampling.json ? io.ldmstudio.engine.Devices.resolve(spec) : Common.device(spec);
        }

        @Override
        public Integer call() throws Exception {
            RunConfig.Data d = dataset.data();
            source = sampling.pipelineSets.source(fake, common::openRun);
            try (FeatureClassifier c = FeatureClassifier.obtain(common.workspace().root(), d,
                    FeatureClassifier.Settings.defaults(), false, line -> System.err.println("  " + line))) {
                DatasetFd.Real real = DatasetFd.realStats(c, d, n);
                DatasetFd.Result r = DatasetFd.of(c, real, source, sampling.sampler, sampling.steps, sampling.guidance,
                        sampling.seed, n,
                        deviceInfo(),
                        sampling.json ? null : line -> System.out.println("  " + line));
                if (sampling.json) {
                    com.fasterxml.jackson.databind.node.ObjectNode o = new com.fasterxml.jackson.databind.ObjectMapper()
                            .createObjectNode();
                    o.put("metric", r.metric());
                    o.put("value", r.value());
                    o.put(source instanceof io.ldmstudio.service.SampleSource.OfRun ? "run" : "model", source.name());
                    if (source instanceof io.ldmstudio.service.SampleSource.OfPipeline op && !op.settings().isEmpty()) {
                        op.settings().forEach(o.putArray("settings")::add);
                    }
                    if (r.checkpointStep() > 0) {
                        o.put("checkpoint_step", r.checkpointStep());
                    }
                    o.put("sampler", r.sampler());
                    o.put("steps", r.steps());
                    if (!Double.isNaN(r.guidance())) {
                        o.put("guidance", r.guidance());
                    }
                    o.put("real_images", r.realImages());
                    o.put("fake_images", r.fakeImages());
                    if (r.share() != null) {
                        o.put("class_share", r.share().share());
                    }
                    o.put("sample_seconds", r.sampleSeconds());
                    o.put("feature_seconds", r.featureSeconds());
                    r.warning().ifPresent(w -> o.put("warning", w));
                    System.out.println(o.toString());
                } else {
                    System.out.printf(Locale.ROOT, "%s = %.4f  (%s%s, %s-%d%s; %d samples against %d held-out"
                            + " images)%n", r.metric(), r.value(), source.describe(), r.checkpointStep() > 0
                                    ? ", step " + r.checkpointStep() : "", r.sampler(),
                            r.steps(), Double.isNaN(r.guidance()) ? "" : String.format(Locale.ROOT, ", w = %s",
                                    r.guidance()), r.fakeImages(), r.realImages());
                    if (r.share() != null) {
                        System.out.printf(Locale.ROOT, "class share %.2f%% (%d of %d classified as the class asked"
                                + " for)%n", 100 * r.share().share(), r.share().correct(), r.share().total());
                    }
                    r.warning().ifPresent(w -> System.out.println("warning: " + w));
                    System.out.printf(Locale.ROOT, "sampling %.1f s, features and distance %.1f s; comparable between"
                            + " runs scored by this classifier, not with published FID%n", r.sampleSeconds(),
                            r.featureSeconds());
                }
            }
            return 0;
        }
    }
}

package io.ldmstudio.cli;

import io.ldmstudio.config.ConfigResolver;
import io.ldmstudio.config.Presets;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.data.Sources;
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
@Command(name = "eval", description = "Measure generated images: the dataset classifier behind FD_<dataset> and the"
        + " class share (no download needed).",
        subcommands = {EvalCommand.Classifier.class, HelpCommand.class})
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
            String name = dataset.strip();
            RunConfig.Data d;
            String kind = name.toLowerCase(Locale.ROOT);
            if (Sources.KINDS.contains(kind)) {
                boolean gray = kind.equals("idx");
                d = new RunConfig.Data(kind, null, gray ? 28 : 32, gray ? 1 : 3, true, false, 0, 0);
            } else {
                Presets presets = Presets.standard();
                if (!presets.names().contains(name)) {
                    throw new IllegalArgumentException("--dataset " + name + ": neither a preset nor a source; sources: "
                            + String.join(", ", Sources.KINDS) + "; presets: " + String.join(", ", presets.names()));
                }
                d = ConfigResolver.resolve(presets, name, List.of()).data();
            }
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
}

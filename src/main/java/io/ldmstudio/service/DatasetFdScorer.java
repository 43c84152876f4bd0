package io.ldmstudio.service;

import io.ldmstudio.config.RunConfig;
import io.ldmstudio.eval.FeatureStats;
import io.ldmstudio.eval.FrechetDistance;
import io.ldmstudio.runs.Run;
import io.ldmstudio.training.FeatureClassifier;
import io.ldmstudio.training.SampleScorer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * {@code eval.metric auto} while a run trains: {@code FD_<dataset>} ({@link DatasetFd}) of the samples the trainer
 * draws, against the first {@code eval.n} held-out images of the run's dataset, in the features of the dataset's
 * {@link FeatureClassifier} (taken from the workspace's cache, trained there on first use); for a class-conditional
 * run also the share of samples classified as the class they were asked for. The held-out statistics are computed
 * once per process (per classifier, dataset and n) and kept in memory only.
 */
public final class DatasetFdScorer implements SampleScorer {
    private static final Map<String, DatasetFd.Real> REAL = new ConcurrentHashMap<>();

    private final FeatureClassifier classifier;
    private final DatasetFd.Real real;

    private DatasetFdScorer(FeatureClassifier classifier, DatasetFd.Real real) {
        this.classifier = classifier;
        this.real = real;
    }

    /**
     * The factory the trainer is given: {@code eval.metric auto} gives this scorer (the classifier trained with
     * {@code settings} when it is not cached), {@code fid} an {@link InceptionFidScorer}.
     */
    public static SampleScorer.Factory factory(FeatureClassifier.Settings settings) {
        return (config, run, log) -> RunConfig.Eval.FID.equals(config.eval().metric())
                ? InceptionFidScorer.open(config, run, log) : open(config, run, settings, log);
    }

    /** The scorer of {@code run}'s dataset. @throws IllegalStateException when the run cannot be scored so */
    static DatasetFdScorer open(RunConfig config, Run run, FeatureClassifier.Settings settings, Consumer<String> log)
            throws IOException {
        if (!RunConfig.Eval.AUTO.equals(config.eval().metric())) {
            throw new IllegalStateException("only auto (FD_<dataset>) is measured while training");
        }
        RunConfig.Data d = config.data();
        Path workspace = run.dir().toAbsolutePath().getParent().getParent();
        FeatureClassifier c;
        try {
            c = FeatureClassifier.obtain(workspace, d, settings, false,
                    line -> log.accept("evaluation classifier: " + line));
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("FD_<dataset> needs the dataset's classifier, trained on its labels: "
                    + e.getMessage(), e);
        }
        try {
            FeatureClassifier.Info info = c.info();
            if (d.resolution() != info.resolution() || d.channels() != info.channels()) {
                throw new IllegalStateException("the " + info.metricName() + " classifier takes " + info.channels()
                        + " × " + info.resolution() + " px images, the run makes " + d.channels() + " × "
                        + d.resolution());
            }
            RunConfig.Conditioning k = config.conditioning();
            if (k.conditional() && k.classes() != info.classes()) {
                throw new IllegalStateException("the run has " + k.classes() + " classes but the " + info.metricName()
                        + " classifier knows " + info.classes());
            }
            log.accept(String.format(java.util.Locale.ROOT, "evaluation classifier: %s (%s, %.2f%% held-out"
                    + " accuracy)", c.directory(), c.trainedNow() ? "trained now" : "cached", 100 * info.testAccuracy()));
            int n = config.eval().n();
            String key = c.directory().toAbsolutePath().normalize() + "|" + FeatureClassifier.datasetKey(d) + "|"
                    + d.resolution() + "|" + d.channels() + "|" + n;
            DatasetFd.Real real = REAL.get(key);
            if (real == null) {
                long t0 = System.nanoTime();
                real = DatasetFd.realStats(c, d, n);
                REAL.put(key, real);
                log.accept(String.format(java.util.Locale.ROOT, "evaluation reference: %d held-out images in %.1f s",
                        real.images(), (System.nanoTime() - t0) / 1e9));
            }
            return new DatasetFdScorer(c, real);
        } catch (RuntimeException e) {
            c.close();
            throw e;
        }
    }

    @Override
    public String name() {
        return classifier.info().metricName();
    }

    @Override
    public Score score(float[] images, int n, int[] requested) {
        double[][] features = classifier.features(images, n);
        FrechetDistance.Result fd = FrechetDistance.between(real.stats(), FeatureStats.of(features), features);
        double share = requested == null ? Double.NaN : classifier.classShare(images, n, requested).share();
        return new Score(fd.value(), share, fd.warning().orElse(null));
    }

    @Override
    public void close() {
        classifier.close();
    }
}

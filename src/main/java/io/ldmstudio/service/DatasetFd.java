package io.ldmstudio.service;

import io.ldmstudio.config.RunConfig;
import io.ldmstudio.data.ImageSource;
import io.ldmstudio.data.Sources;
import io.ldmstudio.data.Transform;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.eval.ClassShare;
import io.ldmstudio.eval.FeatureStats;
import io.ldmstudio.eval.FrechetDistance;
import io.ldmstudio.pipeline.Pipeline;
import io.ldmstudio.runs.Run;
import io.ldmstudio.training.FeatureClassifier;
import java.io.IOException;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * {@code FD_<dataset>}: the Fréchet distance between a run's samples and the dataset's held-out images, both seen
 * through the penultimate features of the dataset's own small classifier ({@link FeatureClassifier}), with
 * pytorch-fid's formula ({@link FrechetDistance}); for a class-conditional run also the share of samples the
 * classifier puts in the class each was asked for. Comparable between runs scored by the same cached classifier,
 * never with published FID (which uses Inception features of 299-px images).
 */
public final class DatasetFd {
    /** Images sampled per call of the sampler. */
    public static final int CHUNK = 100;
    /** {@link #CHUNK} as text, for help texts. */
    public static final String CHUNK_TEXT = "100";

    /**
     * @param share         for a class-conditional run, the share of samples classified as their requested class
     *                      (classes cycled over the samples, 0, 1, …); null for an unconditional run
     * @param guidance      the guidance scale the samples were drawn with (NaN for an unconditional run)
     * @param sampleSeconds the time spent sampling; {@code featureSeconds} the time spent on features and FD
     */
    public record Result(String metric, double value, Optional<String> warning, int realImages, int fakeImages,
            ClassShare share, String sampler, int steps, double guidance, long checkpointStep, double sampleSeconds,
            double featureSeconds) {}

    /** The classifier's feature statistics of {@code images} held-out images. */
    public record Real(FeatureStats stats, int images) {}

    private DatasetFd() {}

    /**
     * The classifier's feature statistics of the first {@code n} held-out images of {@code d} (all of them when the
     * split has fewer); refuses a split of fewer than two images.
     */
    public static Real realStats(FeatureClassifier c, RunConfig.Data d, int n) {
        if (n < 2) {
            throw new IllegalArgumentException("--n " + n + ": a covariance needs at least 2 images");
        }
        ImageSource test = Sources.open(d, true);
        int k = Math.min(n, test.size());
        if (k < 2) {
            throw new IllegalArgumentException(test.describe() + " holds " + test.size() + " held-out image(s): "
                    + "a covariance needs at least 2");
        }
        Transform tf = Transform.of(d);
        float[] images = new float[k * tf.length()];
        for (int i = 0; i < k; i++) {
            System.arraycopy(test.load(i, tf), 0, images, i * tf.length(), tf.length());
        }
        return new Real(FeatureStats.of(c.features(images, k)), k);
    }

    /**
     * Samples {@code n} images from {@code run} (EMA weights of its newest checkpoint; seeds {@code seed},
     * {@code seed + 1}, … per chunk of {@value #CHUNK}) and scores them against {@code real}.
     *
     * @param guidance the guidance scale for a class-conditional run; null = the run's {@code conditioning.guidance}
     * @param progress a line per chunk sampled (may be null)
     */
    public static Result ofRun(FeatureClassifier c, Real real, Run run, String sampler,
            int steps, Double guidance, long seed, int n, Devices.DeviceInfo device, Consumer<String> progress)
            throws IOException {
        return of(c, real, SampleSource.of(run), sampler, steps, guidance, seed, n, device, progress);
    }

    /** As {@link #ofRun}, for a run or a pipeline folder. */
    public static Result of(FeatureClassifier c, Real real, SampleSource source, String sampler,
            int steps, Double guidance, long seed, int n, Devices.DeviceInfo device, Consumer<String> progress)
            throws IOException {
        check(c, source, n);
        try (SampleSource.Generator g = source.open(device)) {
            Samples s = sample(g, sampler, steps, guidance, seed, n, progress, () -> false);
            long featureStart = System.nanoTime();
            SamplesMetric.Score score = scorer(c, real).score(s);
            return new Result(c.info().metricName(), score.value(), score.warning(), real.images(), n, score.share(),
                    sampler, steps, s.guidance(), s.checkpointStep(), s.seconds(),
                    (System.nanoTime() - featureStart) / 1e9);
        }
    }

    /**
     * Refuses a run whose images the classifier cannot take (another size or channel count, or other classes), and
     * an {@code n} below 2, saying why.
     */
    public static void check(FeatureClassifier c, Run run, int n) throws IOException {
        check(c, SampleSource.of(run), n);
    }

    /** As {@link #check(FeatureClassifier, Run, int)}, for a run or a pipeline folder. */
    public static void check(FeatureClassifier c, SampleSource source, int n) {
        Optional<String> misfit = misfit(c, source);
        if (misfit.isPresent()) {
            throw new IllegalArgumentException(misfit.get());
        }
        if (n < 2) {
            throw new IllegalArgumentException("--n " + n + ": a covariance needs at least 2 samples");
        }
    }

    /** Why {@code c} cannot score {@code run}'s samples (other size, channels or classes), or empty when it can. */
    public static Optional<String> misfit(FeatureClassifier c, Run run) throws IOException {
        return misfit(c, SampleSource.of(run));
    }

    /** As {@link #misfit(FeatureClassifier, Run)}, for a run or a pipeline folder. */
    public static Optional<String> misfit(FeatureClassifier c, SampleSource source) {
        FeatureClassifier.Info info = c.info();
        if (source.size() != info.resolution() || source.channels() != info.channels()) {
            return Optional.of(source.describe() + " makes " + source.channels() + " × " + source.size()
                    + " px images, but the " + info.metricName() + " classifier takes " + info.channels() + " × "
                    + info.resolution() + " px: score it with a classifier of its own dataset");
        }
        if (source.classes() > 0 && source.classes() != info.classes()) {
            return Optional.of(source.describe() + " has " + source.classes() + " classes but the "
                    + info.metricName() + " classifier knows " + info.classes());
        }
        return Optional.empty();
    }

    /**
     * {@code n} samples of a run, as CHW floats in [-1, 1] one after the other, with the class each was asked for
     * (null for an unconditional run), the guidance (NaN when unconditional), the checkpoint and the seconds spent.
     */
    public record Samples(float[] images, int n, int channels, int size, int[] requested, double guidance,
            long checkpointStep, double seconds) {}

    /**
     * {@code n} samples from {@code g} as {@link #ofRun} draws them: seeds {@code seed}, {@code seed + 1}, … per chunk
     * of {@value #CHUNK}; a class-conditional run's classes cycled 0, 1, … over the samples, with {@code guidance}
     * (null = the run's {@code conditioning.guidance}).
     *
     * @param progress  a line per chunk sampled (may be null)
     * @param cancelled polled between sampling steps; when it turns true the sampler stops with its exception
     */
    public static Samples sample(SampleSource.Generator g, String sampler, int steps, Double guidance, long seed,
            int n, Consumer<String> progress, java.util.function.BooleanSupplier cancelled) throws IOException {
        SampleSource src = g.source();
        int classes = src.classes();
        boolean conditional = classes > 0;
        double w = conditional ? (guidance != null ? guidance : src.defaultGuidance()) : Double.NaN;
        int size = src.size();
        int channels = src.channels();
        int len = channels * size * size;
        float[] fake = new float[n * len];
        int[] requested = conditional ? new int[n] : null;
        long sampleStart = System.nanoTime();
        for (int from = 0, chunk = 0; from < n; from += CHUNK, chunk++) {
            int k = Math.min(CHUNK, n - from);
            Pipeline.Condition condition = null;
            if (conditional) {
                int[] labels = new int[k];
                for (int i = 0; i < k; i++) {
                    labels[i] = (from + i) % classes;
                    requested[from + i] = labels[i];
                }
                condition = new Pipeline.Condition(labels, w, 0);
            }
            SamplingService.Result r = g.generate(sampler, steps, 0, seed + chunk, k, condition, null, cancelled);
            for (int i = 0; i < k; i++) {
                System.arraycopy(r.images().get(i), 0, fake, (from + i) * len, len);
            }
            if (progress != null) {
                progress.accept("sampled " + (from + k) + "/" + n);
            }
        }
        return new Samples(fake, n, channels, size, requested, w, g.checkpointStep(),
                (System.nanoTime() - sampleStart) / 1e9);
    }

    /**
     * {@link #sample(SampleSource.Generator, String, int, Double, long, int, Consumer,
     * java.util.function.BooleanSupplier)} from {@code source} (a run: the EMA weights of its newest checkpoint),
     * opened for this call only.
     */
    public static Samples sample(SampleSource source, String sampler, int steps, Double guidance, long seed, int n,
            Devices.DeviceInfo device, Consumer<String> progress) throws IOException {
        if (n < 2) {
            throw new IllegalArgumentException("--n " + n + ": a covariance needs at least 2 samples");
        }
        try (SampleSource.Generator g = source.open(device)) {
            return sample(g, sampler, steps, guidance, seed, n, progress, () -> false);
        }
    }

    /**
     * The {@code FD_<dataset>} of samples against {@code real} in {@code c}'s features, with the class share when the
     * samples were asked for classes.
     */
    public static SamplesMetric scorer(FeatureClassifier c, Real real) {
        return new SamplesMetric() {
            @Override
            public String metric() {
                return c.info().metricName();
            }

            @Override
            public int referenceImages() {
                return real.images();
            }

            @Override
            public Score score(Samples s) {
                double[][] features = c.features(s.images(), s.n());
                FrechetDistance.Result fd = FrechetDistance.between(real.stats(), FeatureStats.of(features), features);
                ClassShare share = s.requested() != null ? c.classShare(s.images(), s.n(), s.requested()) : null;
                return new Score(fd.value(), fd.warning(), share);
            }
        };
    }
}

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
        RunConfig cfg = run.config();
        FeatureClassifier.Info info = c.info();
        if (cfg.data().resolution() != info.resolution() || cfg.data().channels() != info.channels()) {
            throw new IllegalArgumentException("run " + run.name() + " makes " + cfg.data().channels() + " × "
                    + cfg.data().resolution() + " px images, but the " + info.metricName() + " classifier takes "
                    + info.channels() + " × " + info.resolution() + " px: score it with a classifier of its own dataset");
        }
        if (n < 2) {
            throw new IllegalArgumentException("--n " + n + ": a covariance needs at least 2 samples");
        }
        boolean conditional = cfg.conditioning().conditional();
        int classes = conditional ? cfg.conditioning().classes() : 0;
        if (conditional && classes != info.classes()) {
            throw new IllegalArgumentException("run " + run.name() + " has " + classes + " classes but the "
                    + info.metricName() + " classifier knows " + info.classes());
        }
        double w = conditional ? (guidance != null ? guidance : cfg.conditioning().guidance()) : Double.NaN;
        int len = info.channels() * info.resolution() * info.resolution();
        float[] fake = new float[n * len];
        int[] requested = new int[n];
        long sampleStart = System.nanoTime();
        long checkpoint = 0;
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
            SamplingService.Result r = SamplingService.sample(run, new SamplingService.Request(sampler, steps, 0,
                    seed + chunk, k, true, 0, condition), device, null, () -> false);
            checkpoint = r.checkpointStep();
            for (int i = 0; i < k; i++) {
                System.arraycopy(r.images().get(i), 0, fake, (from + i) * len, len);
            }
            if (progress != null) {
                progress.accept("sampled " + (from + k) + "/" + n);
            }
        }
        double sampleSeconds = (System.nanoTime() - sampleStart) / 1e9;
        long featureStart = System.nanoTime();
        FeatureStats fakeStats = FeatureStats.of(c.features(fake, n));
        FrechetDistance.Result fd = FrechetDistance.between(real.stats(), fakeStats);
        ClassShare share = conditional ? c.classShare(fake, n, requested) : null;
        return new Result(info.metricName(), fd.value(), fd.warning(), real.images(), n, share, sampler, steps, w,
                checkpoint, sampleSeconds, (System.nanoTime() - featureStart) / 1e9);
    }
}

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
     * A run's samples: {@code n} images of {@code channels × height × width} values in [−1, 1], one after another.
     *
     * @param requested for a class-conditional run the class asked for each sample (cycled 0, 1, …); null otherwise
     * @param guidance  the guidance scale (NaN for an unconditional run)
     * @param seconds   the time spent sampling
     */
    public record Samples(float[] images, int n, int channels, int height, int width, int[] requested,
            double guidance, long checkpointStep, double seconds) {}

    /** Why {@code c} cannot score {@code run}'s samples (other size, channels or classes), or empty when it can. */
    public static Optional<String> misfit(FeatureClassifier c, Run run) throws IOException {
        RunConfig cfg = run.config();
        FeatureClassifier.Info info = c.info();
        if (cfg.data().resolution() != info.resolution() || cfg.data().channels() != info.channels()) {
            return Optional.of("run " + run.name() + " makes " + cfg.data().channels() + " × "
                    + cfg.data().resolution() + " px images, but the " + info.metricName() + " classifier takes "
                    + info.channels() + " × " + info.resolution() + " px: score it with a classifier of its own dataset");
        }
        if (cfg.conditioning().conditional() && cfg.conditioning().classes() != info.classes()) {
            return Optional.of("run " + run.name() + " has " + cfg.conditioning().classes() + " classes but the "
                    + info.metricName() + " classifier knows " + info.classes());
        }
        return Optional.empty();
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
        Optional<String> misfit = misfit(c, run);
        if (misfit.isPresent()) {
            throw new IllegalArgumentException(misfit.get());
        }
        Samples s = sample(run, sampler, steps, guidance, seed, n, device, progress);
        long featureStart = System.nanoTime();
        Scored sc = score(c, real, s);
        return new Result(c.info().metricName(), sc.value(), sc.warning(), real.images(), n, sc.share(), sampler,
                steps, s.guidance(), s.checkpointStep(), s.seconds(), (System.nanoTime() - featureStart) / 1e9);
    }

    /**
     * {@code n} samples of {@code run} (EMA weights of its newest checkpoint), in chunks of {@value #CHUNK} with seeds
     * {@code seed}, {@code seed + 1}, …; for a class-conditional run the classes cycle 0, 1, … over the samples.
     *
     * @param guidance the guidance scale for a class-conditional run; null = the run's {@code conditioning.guidance}
     * @param progress a line per chunk sampled (may be null)
     */
    public static Samples sample(Run run, String sampler, int steps, Double guidance, long seed, int n,
            Devices.DeviceInfo device, Consumer<String> progress) throws IOException {
        RunConfig cfg = run.config();
        if (n < 2) {
            throw new IllegalArgumentException("--n " + n + ": a covariance needs at least 2 samples");
        }
        boolean conditional = cfg.conditioning().conditional();
        int classes = conditional ? cfg.conditioning().classes() : 0;
        double w = conditional ? (guidance != null ? guidance : cfg.conditioning().guidance()) : Double.NaN;
        float[] fake = null;
        int[] requested = conditional ? new int[n] : null;
        int len = 0;
        int channels = 0;
        int height = 0;
        int width = 0;
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
            if (fake == null) {
                channels = r.channels();
                height = r.height();
                width = r.width();
                len = channels * height * width;
                fake = new float[n * len];
            }
            for (int i = 0; i < k; i++) {
                System.arraycopy(r.images().get(i), 0, fake, (from + i) * len, len);
            }
            if (progress != null) {
                progress.accept("sampled " + (from + k) + "/" + n);
            }
        }
        return new Samples(fake, n, channels, height, width, requested, w, checkpoint,
                (System.nanoTime() - sampleStart) / 1e9);
    }

    /** {@code FD_<dataset>} of samples against {@code real}, and the class share for a conditional run's samples. */
    public record Scored(String metric, double value, Optional<String> warning, ClassShare share) {}

    /** Scores samples the classifier fits (see {@link #misfit}) against {@code real}. */
    public static Scored score(FeatureClassifier c, Real real, Samples s) {
        double[][] features = c.features(s.images(), s.n());
        FrechetDistance.Result fd = FrechetDistance.between(real.stats(), FeatureStats.of(features), features);
        ClassShare share = s.requested() != null ? c.classShare(s.images(), s.n(), s.requested()) : null;
        return new Scored(c.info().metricName(), fd.value(), fd.warning(), share);
    }
}

package io.ldmstudio.service;

import io.ldmstudio.config.RunConfig;
import io.ldmstudio.data.Pixels;
import io.ldmstudio.eval.FeatureStats;
import io.ldmstudio.eval.FrechetDistance;
import io.ldmstudio.runs.Run;
import io.ldmstudio.training.SampleScorer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.function.Consumer;

/**
 * {@code eval.metric fid} while a run trains: FID in the Inception features of pytorch-fid ({@link InceptionFeatures},
 * the workspace's {@code models/pt_inception-2015-12-05.safetensors}) between the samples the trainer draws and the
 * first {@code eval.n} held-out images of the run's dataset, whose statistics come from (or go to) the cache that
 * {@code eval fid} uses ({@link FidEvaluation#cacheFile}). The samples are mapped from [−1, 1] to [0, 1] as
 * {@code eval fid --fake RUN} maps them, so the value is the one {@code eval fid --real DATASET --fake RUN} gives for
 * the same samples.
 */
public final class InceptionFidScorer implements SampleScorer {
    /** The metric's name in {@code metrics.jsonl} and the charts. */
    public static final String NAME = "FID";

    private final InceptionFeatures inception;
    private final FeatureStats real;
    private final int channels;
    private final int size;

    private InceptionFidScorer(InceptionFeatures inception, FeatureStats real, int channels, int size) {
        this.inception = inception;
        this.real = real;
        this.channels = channels;
        this.size = size;
    }

    /**
     * The scorer of {@code run}: the Inception weights of its workspace and its dataset's held-out statistics.
     *
     * @throws IllegalStateException naming {@code eval.metric} when the weights file is missing or unreadable
     */
    public static InceptionFidScorer open(RunConfig config, Run run, Consumer<String> log) throws IOException {
        Path workspace = run.dir().toAbsolutePath().getParent().getParent();
        InceptionFeatures ex;
        try {
            ex = InceptionFeatures.open(workspace, null);
        } catch (IOException e) {
            throw new IllegalStateException("FID needs pytorch-fid's Inception weights: " + e.getMessage(), e);
        }
        try {
            long t0 = System.nanoTime();
            FidEvaluation.Side side = FidEvaluation.real(workspace, ex, new FidEvaluation.RealDataset(config.data(),
                    config.data().source()), config.eval().n(), new FidEvaluation.Listener() {
                        @Override
                        public void progress(String what, int done, int total) {}

                        @Override
                        public void message(String line) {
                            log.accept("evaluation reference: " + line);
                        }
                    });
            log.accept(String.format(Locale.ROOT, "evaluation reference: FID statistics of %d held-out images (%s) in"
                    + " %.1f s", side.images(), side.cacheReused() ? "cached" : "computed", (System.nanoTime() - t0) / 1e9));
            return new InceptionFidScorer(ex, side.stats(), config.data().channels(), config.data().resolution());
        } catch (IOException | RuntimeException e) {
            ex.close();
            throw e;
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public Score score(float[] images, int n, int[] requested) {
        if (n < 2) {
            throw new IllegalArgumentException("eval.n " + n + ": a covariance needs at least 2 samples");
        }
        int len = channels * size * size;
        if (images.length != (long) n * len) {
            throw new IllegalArgumentException(n + " samples of " + channels + " × " + size + " × " + size
                    + " values expected, got " + images.length + " values");
        }
        double[][] features = inception.features(n, i -> {
            float[] x = new float[len];
            for (int j = 0; j < len; j++) {
                x[j] = (images[i * len + j] + 1f) / 2f;
            }
            return new Pixels(size, size, channels, x);
        }, null);
        FrechetDistance.Result fid = FrechetDistance.between(real, FeatureStats.of(features), features);
        return new Score(fid.value(), Double.NaN, fid.warning().orElse(null));
    }

    @Override
    public void close() {
        inception.close();
    }
}

package io.ldmstudio.service;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.data.ImageSource;
import io.ldmstudio.data.Pixels;
import io.ldmstudio.data.Sources;
import io.ldmstudio.data.Transform;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.eval.ClassShare;
import io.ldmstudio.eval.FeatureExtractor;
import io.ldmstudio.eval.FeatureStats;
import io.ldmstudio.eval.FrechetDistance;
import io.ldmstudio.eval.KernelDistance;
import io.ldmstudio.runs.Run;
import io.ldmstudio.training.FeatureClassifier;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ComponentColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;
import javax.imageio.ImageIO;

/**
 * FID and KID between a real and a fake image set, in the features of a {@link FeatureExtractor} (pytorch-fid's
 * Inception): FID with pytorch-fid's formula ({@link FrechetDistance}), KID as clean-fid ({@link KernelDistance}:
 * subsets of min(n, 1000), 100 subsets), and, when the real side is a labelled dataset whose cached classifier fits
 * a run's samples, {@code FD_<dataset>} and the class share ({@link DatasetFd}).
 *
 * <p>Real side: an image folder, a pytorch-fid {@code .npz} ({@code mu}, {@code sigma}, optionally
 * {@code features}), or a dataset's first N held-out images, whose statistics and features are cached under
 * {@value #CACHE_DIR} in the workspace (one {@code .npz} per dataset, resolution, extractor and N, with a
 * {@code .json} beside it naming the extractor's weights) and reused. Fake side: an image folder, or N samples of a
 * run (EMA weights, chunks of {@value DatasetFd#CHUNK}, seeds seed, seed + 1, …) mapped from [−1, 1] to [0, 1].
 *
 * <p>Folders are read as pytorch-fid reads them: every PNG, JPEG and BMP file (here recursively, in sorted order),
 * converted to RGB as PIL's {@code convert('RGB')} does (gray replicated to three channels, alpha dropped, 8 bits
 * per sample) and divided by 255; no resize but the network's own to 299. Degenerate sets (empty, one image, NaN
 * features, statistics of another dimension) are refused with a message naming the set, never turned into numbers.
 */
public final class FidEvaluation {
    /** Images sampled or taken from a dataset when no N is given. */
    public static final int DEFAULT_N = 1000;
    /** Where the reference statistics of datasets are cached, relative to the workspace. */
    public static final String CACHE_DIR = "cache/fid";
    /** The seed of KID's random subsets. */
    public static final long KID_SEED = 0;
    /** Image files read from a folder, as pytorch-fid's IMAGE_EXTENSIONS less the rarer ones. */
    public static final List<String> EXTENSIONS = List.of("png", "jpg", "jpeg", "bmp");

    private FidEvaluation() {}

    /** The real (reference) side. */
    public sealed interface Real permits RealFolder, RealStats, RealDataset {}

    /** Every image in a folder and its sub-folders. */
    public record RealFolder(Path dir) implements Real {}

    /** A pytorch-fid statistics file. */
    public record RealStats(Path file) implements Real {}

    /** A dataset's held-out split; {@code label} is how the user named it (a preset or a source kind). */
    public record RealDataset(RunConfig.Data data, String label) implements Real {}

    /** The generated side. */
    public sealed interface Fake permits FakeFolder, FakeRun {}

    /** Every image in a folder and its sub-folders. */
    public record FakeFolder(Path dir) implements Fake {}

    /** Samples of a run (the EMA weights of its newest checkpoint) or of a diffusers pipeline folder. */
    public record FakeRun(SampleSource source) implements Fake {
        /** Samples of {@code run}. */
        public FakeRun(Run run) throws IOException {
            this(SampleSource.of(run));
        }
    }

    /**
     * @param n        images of a dataset or samples of a run (default {@value #DEFAULT_N}); for a folder the first
     *                 n images in sorted order (default all)
     * @param guidance for a class-conditional run; null = its {@code conditioning.guidance}
     */
    public record Settings(Integer n, String sampler, int steps, Double guidance, long seed,
            Devices.DeviceInfo device) {}

    /** Progress of a long phase, and lines worth showing. */
    public interface Listener {
        /** {@code done} of {@code total} images in phase {@code what} ("real features", "sampled", …). */
        void progress(String what, int done, int total);

        /** A line to show (a cache reused, a note). */
        void message(String line);
    }

    /**
     * One side's statistics.
     *
     * @param features  the feature rows, or null when only statistics were given (a pytorch-fid .npz)
     * @param cacheFile the cache file read or written (datasets only), else null
     * @param seconds   time spent on this side (sampling excluded)
     */
    public record Side(String description, FeatureStats stats, double[][] features, int images, Path cacheFile,
            boolean cacheReused, double seconds) {}

    /**
     * @param kid           KID, or null when a side has no features ({@code kidNote} says why)
     * @param fdMetric      {@code FD_<dataset>} when it was computed, else null ({@code fdNote} may say why)
     * @param share         the class share of a class-conditional run's samples, else null
     * @param sampleSeconds the time spent sampling a run (0 for a folder)
     */
    public record Result(double fid, Optional<String> warning, KernelDistance.Result kid, String kidNote, Side real,
            Side fake, String fdMetric, double fd, ClassShare share, String fdNote, long checkpointStep,
            double sampleSeconds, double distanceSeconds) {}

    /** FID, KID and where possible FD_dataset between {@code real} and {@code fake}. */
    public static Result evaluate(Path workspace, FeatureExtractor ex, Real real, Fake fake, Settings s,
            Listener listener) throws IOException {
        Listener l = listener != null ? listener : new Listener() {
            @Override
            public void progress(String what, int done, int total) {}

            @Override
            public void message(String line) {}
        };
        if (s.n() != null && s.n() < 2) {
            throw new IllegalArgumentException("--n " + s.n() + ": a covariance needs at least 2 images");
        }
        Side r = real(workspace, ex, real, s.n(), l);
        DatasetFd.Samples samples = null;
        Side f;
        if (fake instanceof FakeRun fr) {
            int n = s.n() != null ? s.n() : DEFAULT_N;
            samples = DatasetFd.sample(fr.source(), s.sampler(), s.steps(), s.guidance(), s.seed(), n, s.device(),
                    line -> l.progress("sampled", Integer.parseInt(line.replaceAll(".* (\\d+)/\\d+$", "$1")), n));
            f = featurise("fake set (" + fr.source().describe() + ", " + n + " samples)", ex, n, samples(samples), l);
        } else {
            Path dir = ((FakeFolder) fake).dir();
            List<Path> files = listImages(dir, "fake", s.n());
            f = featurise("fake set (folder " + dir + ")", ex, files.size(), i -> loadRgb(files.get(i)), l);
        }
        if (r.stats().dimension() != f.stats().dimension()) {
            throw new IllegalArgumentException(r.description() + " has " + r.stats().dimension() + "-d statistics but "
                    + f.description() + " has " + f.stats().dimension() + "-d " + ex.name() + " features: compute both"
                    + " with the same network (pytorch-fid's pool3 features are 2048-d)");
        }
        long t0 = System.nanoTime();
        FrechetDistance.Result fid = frechet(r.stats(), f.stats(), f.features());
        KernelDistance.Result kid = null;
        String kidNote = null;
        if (r.features() != null && f.features() != null) {
            kid = KernelDistance.compute(r.features(), f.features(), KID_SEED);
        } else {
            kidNote = "KID needs the features of both sets; " + r.description() + " holds statistics only (mu, sigma)";
        }
        double distanceSeconds = (System.nanoTime() - t0) / 1e9;
        String fdMetric = null;
        double fd = Double.NaN;
        ClassShare share = null;
        String fdNote = null;
        if (real instanceof RealDataset rd && fake instanceof FakeRun fr) {
            Path dir = FeatureClassifier.cacheDir(workspace, rd.data());
            if (!Files.isRegularFile(dir.resolve(FeatureClassifier.WEIGHTS_FILE))) {
                fdNote = "no FD_" + rd.label() + ": the dataset has no cached classifier (" + dir + "); train it with"
                        + " eval classifier --dataset " + rd.label();
            } else {
                try (FeatureClassifier c = FeatureClassifier.open(dir, rd.data())) {
                    Optional<String> misfit = DatasetFd.misfit(c, fr.source());
                    if (misfit.isPresent()) {
                        fdNote = "no " + c.info().metricName() + ": " + misfit.get();
                    } else {
                        DatasetFd.Real cr = DatasetFd.realStats(c, rd.data(), r.images());
                        SamplesMetric.Score sc = DatasetFd.scorer(c, cr).score(samples);
                        fdMetric = c.info().metricName();
                        fd = sc.value();
                        share = sc.share();
                    }
                }
            }
        } else if (real instanceof RealDataset) {
            fdNote = "FD_<dataset> is given for the samples of a run or a pipeline (--fake RUN|MODEL), not for a folder of images";
        }
        return new Result(fid.value(), fid.warning(), kid, kidNote, r, f, fdMetric, fd, share, fdNote,
                samples != null ? samples.checkpointStep() : 0, samples != null ? samples.seconds() : 0,
                distanceSeconds);
    }

    /**
     * The one place the Fréchet distance is computed (so a faster exact overload taking the fake features is a
     * one-line switch).
     */
    private static FrechetDistance.Result frechet(FeatureStats real, FeatureStats fake, double[][] fakeFeatures) {
        return FrechetDistance.between(real, fake, fakeFeatures);
    }

    /** The real side's statistics (and features where there are any), from a folder, a file or a dataset (cached). */
    public static Side real(Path workspace, FeatureExtractor ex, Real real, Integer n, Listener l) throws IOException {
        if (real instanceof RealFolder rf) {
            List<Path> files = listImages(rf.dir(), "real", n);
            return featurise("real set (folder " + rf.dir() + ")", ex, files.size(), i -> loadRgb(files.get(i)), l);
        }
        if (real instanceof RealStats rs) {
            long t0 = System.nanoTime();
            FeatureStats stats = FeatureStats.readNpz(rs.file());
            Optional<double[][]> feats = FeatureStats.readFeatures(rs.file());
            String what = "real statistics " + rs.file();
            if (feats.isPresent() && feats.get()[0].length != stats.dimension()) {
                throw new IOException(rs.file() + ": 'features' rows have " + feats.get()[0].length + " values but 'mu'"
                        + " has " + stats.dimension());
            }
            int images = feats.map(f -> f.length).orElse(0);
            return new Side(what, stats, feats.orElse(null), images, null, false, (System.nanoTime() - t0) / 1e9);
        }
        return dataset(workspace, ex, (RealDataset) real, n != null ? n : DEFAULT_N, l);
    }

    /** The cache file of a dataset's first {@code images} held-out images in {@code ex}'s features. */
    public static Path cacheFile(Path workspace, RunConfig.Data d, FeatureExtractor ex, int images) {
        return workspace.resolve(CACHE_DIR).resolve(FeatureClassifier.datasetKey(d) + "-" + d.resolution() + "px-"
                + ex.name() + "-n" + images + ".npz");
    }

    private static Side dataset(Path workspace, FeatureExtractor ex, RealDataset rd, int n, Listener l)
            throws IOException {
        long t0 = System.nanoTime();
        RunConfig.Data d = rd.data();
        ImageSource test = Sources.open(d, true);
        int k = Math.min(n, test.size());
        String what = "real set (" + rd.label() + ", " + test.describe() + ", first " + k + " held-out images)";
        if (k < 2) {
            throw new IllegalArgumentException(what + ": " + test.size() + " held-out image(s); a covariance needs at"
                    + " least 2");
        }
        Path file = cacheFile(workspace, d, ex, k);
        Path info = file.resolveSibling(file.getFileName().toString().replaceAll("\\.npz$", ".json"));
        ObjectMapper json = new ObjectMapper();
        if (Files.isRegularFile(file) && Files.isRegularFile(info)) {
            String why = null;
            try {
                JsonNode node = json.readTree(info.toFile());
                if (!ex.fingerprint().equals(node.path("extractor").asText())) {
                    why = "computed with other weights (" + node.path("extractor").asText() + ", now "
                            + ex.fingerprint() + ")";
                } else {
                    FeatureStats stats = FeatureStats.readNpz(file);
                    Optional<double[][]> feats = FeatureStats.readFeatures(file);
                    if (feats.isEmpty() || feats.get().length != k || stats.dimension() != ex.dimension()) {
                        why = "it does not hold " + k + " feature rows of " + ex.dimension();
                    } else {
                        l.message("reusing the cached statistics " + file);
                        return new Side(what, stats, feats.get(), k, file, true, (System.nanoTime() - t0) / 1e9);
                    }
                }
            } catch (IOException | IllegalArgumentException e) {
                why = "unreadable: " + e.getMessage();
            }
            l.message("computing the statistics again: the cached " + file + " is " + why);
        }
        Transform tf = Transform.of(d);
        int c = d.channels();
        int res = d.resolution();
        Side side = featurise(what, ex, k, i -> {
            float[] x = test.load(i, tf);
            float[] y = new float[x.length];
            for (int j = 0; j < x.length; j++) {
                y[j] = (x[j] + 1f) / 2f;
            }
            return new Pixels(res, res, c, y);
        }, l);
        side.stats().writeNpz(file, side.features());
        ObjectNode o = json.createObjectNode();
        o.put("extractor", ex.fingerprint());
        o.put("dataset", rd.label());
        o.put("source", test.describe());
        o.put("resolution", res);
        o.put("channels", c);
        o.put("images", k);
        Files.writeString(info, json.writerWithDefaultPrettyPrinter().writeValueAsString(o) + "\n");
        l.message("cached the statistics of " + k + " held-out images in " + file);
        return new Side(what, side.stats(), side.features(), k, file, false, (System.nanoTime() - t0) / 1e9);
    }

    /** Features and statistics of n images; a set the statistics refuse is named in the message. */
    private static Side featurise(String what, FeatureExtractor ex, int n,
            java.util.function.IntFunction<Pixels> image, Listener l) {
        if (n < 2) {
            throw new IllegalArgumentException(what + " holds " + n + " image" + (n == 1 ? "" : "s")
                    + "; a covariance needs at least 2");
        }
        long t0 = System.nanoTime();
        String phase = what.startsWith("real") ? "real features" : "fake features";
        double[][] feats = ex.features(n, image, done -> l.progress(phase, done, n));
        FeatureStats stats;
        try {
            stats = FeatureStats.of(feats);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + ": " + e.getMessage()
                    + (e.getMessage().contains("NaN") ? " (a run that diverged samples NaN images)" : ""), e);
        }
        return new Side(what, stats, feats, n, null, false, (System.nanoTime() - t0) / 1e9);
    }

    private static java.util.function.IntFunction<Pixels> samples(DatasetFd.Samples s) {
        int len = s.channels() * s.size() * s.size();
        return i -> {
            float[] y = new float[len];
            for (int j = 0; j < len; j++) {
                y[j] = (s.images()[i * len + j] + 1f) / 2f;
            }
            return new Pixels(s.size(), s.size(), s.channels(), y);
        };
    }

    // ---- image folders, as pytorch-fid reads them ----------------------------------------------------------------

    /**
     * The PNG, JPEG and BMP files under {@code dir} (recursively, hidden ones skipped), sorted by path; the first
     * {@code n} when n is given.
     */
    public static List<Path> listImages(Path dir, String side, Integer n) throws IOException {
        if (!Files.isDirectory(dir)) {
            throw new IllegalArgumentException(side + " folder " + dir + (Files.exists(dir) ? " is not a folder"
                    : " does not exist"));
        }
        List<Path> files;
        try (Stream<Path> walk = Files.walk(dir)) {
            files = new ArrayList<>(walk.filter(Files::isRegularFile)
                    .filter(p -> !p.getFileName().toString().startsWith("."))
                    .filter(p -> EXTENSIONS.contains(extension(p)))
                    .sorted()
                    .toList());
        }
        if (files.isEmpty()) {
            throw new IllegalArgumentException(side + " folder " + dir + " holds no images (" + String.join(", ",
                    EXTENSIONS) + ", in any sub-folder)");
        }
        if (n != null && files.size() > n) {
            files = new ArrayList<>(files.subList(0, n));
        }
        return files;
    }

    private static String extension(Path p) {
        String name = p.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot < 0 ? "" : name.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    /**
     * An image as PIL's {@code Image.open(f).convert('RGB')} then {@code / 255}: gray samples replicated to three
     * channels, alpha dropped (not composited), palettes looked up; 16-bit samples rounded to 8 bits.
     *
     * @throws UncheckedIOException naming the file when it cannot be decoded
     */
    public static Pixels loadRgb(Path file) {
        BufferedImage img;
        try {
            img = ImageIO.read(file.toFile());
        } catch (IOException | RuntimeException e) {
            throw new UncheckedIOException(new IOException(file + ": not a readable image: " + e.getMessage(), e));
        }
        if (img == null) {
            throw new UncheckedIOException(new IOException(file + ": not a readable image (no decoder for it)"));
        }
        int w = img.getWidth();
        int h = img.getHeight();
        int plane = w * h;
        float[] d = new float[3 * plane];
        Raster r = img.getRaster();
        if (img.getColorModel() instanceof ComponentColorModel cm
                && cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY && cm.getNumColorComponents() == 1) {
            int bits = cm.getComponentSize(0);
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                r.getSamples(r.getMinX(), r.getMinY() + y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    int v = bits == 8 ? row[x] : (int) Math.round(row[x] * 255.0 / ((1L << bits) - 1));
                    float f = v / 255f;
                    int i = y * w + x;
                    d[i] = f;
                    d[plane + i] = f;
                    d[2 * plane + i] = f;
                }
            }
        } else {
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                img.getRGB(0, y, w, 1, row, 0, w);
                for (int x = 0; x < w; x++) {
                    int p = row[x];
                    int i = y * w + x;
                    d[i] = ((p >> 16) & 0xFF) / 255f;
                    d[plane + i] = ((p >> 8) & 0xFF) / 255f;
                    d[2 * plane + i] = (p & 0xFF) / 255f;
                }
            }
        }
        return new Pixels(w, h, 3, d);
    }
}

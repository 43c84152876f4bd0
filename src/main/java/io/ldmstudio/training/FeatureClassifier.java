package io.ldmstudio.training;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.data.Batch;
import io.ldmstudio.data.DataException;
import io.ldmstudio.data.DataLoader;
import io.ldmstudio.data.ImageSource;
import io.ldmstudio.data.Pixels;
import io.ldmstudio.data.Sources;
import io.ldmstudio.data.Transform;
import io.ldmstudio.eval.ClassShare;
import io.ldmstudio.nn.GradMode;
import io.ldmstudio.nn.ImageClassifier;
import io.ldmstudio.nn.Module;
import io.ldmstudio.runs.AtomicFiles;
import io.ldmstudio.util.Rng;
import io.ldmstudio.weights.SafeTensors;
import io.ldmstudio.weights.TensorData;
import io.ldmstudio.weights.WeightFiles.WeightFileException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;

/**
 * A small classifier the studio trains on a labelled dataset, for a metric that needs no download: its penultimate
 * features give a Fréchet distance {@code FD_<dataset>} (computed elsewhere from {@link #features}), its predictions
 * the share of samples a conditional run put in the class it was asked for ({@link #classShare}). The numbers are
 * comparable between runs scored by the same cached classifier, never with published FID (a different network,
 * trained here, on one dataset).
 *
 * <p>Trained on the CPU with AdamW from a fixed seed ({@link ImageClassifier}: GroupNorm, no BatchNorm, no dropout),
 * so the same settings give bit-identical weights; its accuracy is measured on the dataset's held-out split (IDX
 * {@code t10k}, CIFAR-10's test batch, procedural shapes of another seed; for a folder every tenth image is held out).
 * The result is cached in {@code <workspace>/cache/classifiers/<dataset-key>-<resolution>px/}: {@value #WEIGHTS_FILE}
 * and {@value #INFO_FILE} ({@link Info}); {@link #obtain} reuses it when present and refuses, naming the file, a cache
 * that is corrupt or was made for other data.
 *
 * <p>One thread owns an open classifier (its weights live in its own manager); {@link #close} frees them.
 */
public final class FeatureClassifier implements AutoCloseable {
    public static final String WEIGHTS_FILE = "classifier.safetensors";
    public static final String INFO_FILE = "classifier.json";
    /** Where classifiers are cached, relative to the workspace. */
    public static final String CACHE_DIR = "cache/classifiers";
    /** The version of {@value #INFO_FILE}'s layout. */
    public static final int FORMAT = 1;
    /** Images a forward batch when scoring. */
    static final int EVAL_BATCH = 256;

    /**
     * How to train.
     *
     * @param steps       optimiser steps
     * @param batchSize   images a step
     * @param lr          AdamW's peak learning rate (linear warmup over 5% of the steps, then cosine to lr/100)
     * @param weightDecay AdamW's decoupled weight decay
     * @param seed        initial weights and the data order
     * @param testImages  held-out images the accuracy is measured on (0: the whole split)
     */
    public record Settings(int steps, int batchSize, double lr, double weightDecay, long seed, int testImages) {
        public Settings {
            if (steps < 1 || batchSize < 1 || !(lr > 0) || weightDecay < 0 || testImages < 0) {
                throw new IllegalArgumentException("classifier training needs steps ≥ 1, batch ≥ 1, lr > 0, weight"
                        + " decay ≥ 0 and test images ≥ 0; got steps " + steps + ", batch " + batchSize + ", lr " + lr
                        + ", weight decay " + weightDecay + ", test images " + testImages);
            }
        }

        public static final int DEFAULT_STEPS = 1500;

        /** 1500 steps of 64 images, lr 2e-3, weight decay 1e-4, seed 0, the whole held-out split. */
        public static Settings defaults() {
            return new Settings(DEFAULT_STEPS, 64, 2e-3, 1e-4, 0, 0);
        }

        public Settings withSteps(int n) {
            return new Settings(n, batchSize, lr, weightDecay, seed, testImages);
        }
    }

    /** What {@value #INFO_FILE} holds. */
    public record Info(int format, String dataset, String source, String path, String description, int resolution,
            int channels, int classes, List<String> classNames, List<Integer> widths, int featureDim,
            double testAccuracy, int testImages, int steps, int batchSize, double lr, double weightDecay, long seed,
            double trainSeconds) {
        /** The metric's name: {@code FD_<dataset>}. */
        public String metricName() {
            return "FD_" + dataset;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper()
            .setPropertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(SerializationFeature.INDENT_OUTPUT)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    private final NDManager manager;
    private final ImageClassifier net;
    private final Info info;
    private final Path dir;
    private final boolean trainedNow;

    private FeatureClassifier(NDManager manager, ImageClassifier net, Info info, Path dir, boolean trainedNow) {
        this.manager = manager;
        this.net = net;
        this.info = info;
        this.dir = dir;
        this.trainedNow = trainedNow;
    }

    public Info info() {
        return info;
    }

    /** The cache folder it was read from or written to. */
    public Path directory() {
        return dir;
    }

    /** Whether {@link #obtain} trained it (rather than reading the cache). */
    public boolean trainedNow() {
        return trainedNow;
    }

    public int featureDim() {
        return info.featureDim();
    }

    // ---- naming ----

    /**
     * The dataset's short name, used in the cache folder and the metric's name: {@code procedural} for the shapes,
     * else the last part of {@code data.path} (the default Fashion-MNIST folder gives {@code fashion-mnist}),
     * lower case, without {@code .gz} and the IDX suffix, other characters than {@code a-z 0-9 . _ -} made {@code _}.
     */
    public static String datasetKey(RunConfig.Data d) {
        String kind = d.source() == null ? "" : d.source().strip().toLowerCase(Locale.ROOT);
        if (kind.equals("procedural")) {
            return "procedural";
        }
        Path p = d.path() == null || d.path().isBlank() ? (kind.equals("idx") ? Sources.DEFAULT_FASHION_MNIST : null)
                : Sources.expand(d.path()).toAbsolutePath().normalize();
        String name = p == null || p.getFileName() == null ? kind : p.getFileName().toString().toLowerCase(Locale.ROOT);
        name = name.replaceAll("\\.gz$", "").replaceAll("-idx\\d-ubyte$", "").replaceAll("[^a-z0-9._-]", "_");
        return name.isEmpty() || name.startsWith(".") ? kind + "_" + name : name;
    }

    /** {@code <workspace>/cache/classifiers/<dataset-key>-<resolution>px}. */
    public static Path cacheDir(Path workspace, RunConfig.Data d) {
        return workspace.resolve(CACHE_DIR).resolve(datasetKey(d) + "-" + d.resolution() + "px");
    }

    /** The absolute path the cache records for {@code d} (null for the procedural shapes). */
    static String recordedPath(RunConfig.Data d) {
        String kind = d.source().strip().toLowerCase(Locale.ROOT);
        if (kind.equals("procedural")) {
            return null;
        }
        Path p = d.path() == null || d.path().isBlank() ? Sources.DEFAULT_FASHION_MNIST : Sources.expand(d.path());
        return p.toAbsolutePath().normalize().toString();
    }

    // ---- obtaining ----

    /**
     * The cached classifier for {@code d} in {@code workspace}, trained with {@code settings} and cached first when
     * there is none (or when {@code retrain}). A cache that is there but corrupt or made for other data (another
     * resolution, channels, source, path or classes) is refused unless {@code retrain}.
     *
     * @param progress lines about the training as it goes (may be null)
     * @throws WeightFileException naming the cache file that is corrupt or does not match, and saying how to retrain
     * @throws DataException       when the dataset cannot be read or has no classes
     */
    public static FeatureClassifier obtain(Path workspace, RunConfig.Data d, Settings settings, boolean retrain,
            Consumer<String> progress) throws IOException {
        Path dir = cacheDir(workspace, d);
        if (!retrain && (Files.exists(dir.resolve(INFO_FILE)) || Files.exists(dir.resolve(WEIGHTS_FILE)))) {
            return open(dir, d);
        }
        return train(d, settings, dir, progress);
    }

    /**
     * Reads the classifier cached in {@code dir} and checks that it was made for {@code expected} (source, path,
     * resolution, channels); null {@code expected} checks the files only.
     *
     * @throws WeightFileException naming the file that is missing, corrupt or made for other data
     */
    public static FeatureClassifier open(Path dir, RunConfig.Data expected) throws IOException {
        Path infoFile = dir.resolve(INFO_FILE);
        Path weightsFile = dir.resolve(WEIGHTS_FILE);
        String retrain = "; delete the folder or train it again (ldm-studio eval classifier ... --retrain)";
        if (!Files.isRegularFile(infoFile)) {
            throw new WeightFileException(infoFile, "is missing: the classifier cache is incomplete" + retrain);
        }
        Info info;
        try {
            info = JSON.readValue(infoFile.toFile(), Info.class);
        } catch (JsonProcessingException e) {
            throw new WeightFileException(infoFile, "is not a classifier description (" + e.getOriginalMessage() + ")"
                    + retrain, e);
        }
        if (info.format() != FORMAT || info.widths() == null || info.classNames() == null || info.dataset() == null
                || info.source() == null) {
            throw new WeightFileException(infoFile, "is not a classifier description of format " + FORMAT + retrain);
        }
        ImageClassifier.Config config;
        try {
            config = new ImageClassifier.Config(info.channels(), info.resolution(), info.classes(), info.widths());
        } catch (IllegalArgumentException e) {
            throw new WeightFileException(infoFile, "describes no valid classifier: " + e.getMessage() + retrain, e);
        }
        if (expected != null) {
            List<String> wrong = new ArrayList<>();
            if (info.resolution() != expected.resolution()) {
                wrong.add("resolution " + info.resolution() + " px where " + expected.resolution() + " px was asked for");
            }
            if (info.channels() != expected.channels()) {
                wrong.add(info.channels() + " channels where " + expected.channels() + " were asked for");
            }
            String source = expected.source().strip().toLowerCase(Locale.ROOT);
            if (!info.source().equals(source)) {
                wrong.add("source " + info.source() + " where " + source + " was asked for");
            } else if (!String.valueOf(info.path()).equals(String.valueOf(recordedPath(expected)))) {
                wrong.add("dataset " + info.path() + " where " + recordedPath(expected) + " was asked for");
            }
            if (!wrong.isEmpty()) {
                throw new WeightFileException(infoFile, "the cached classifier was made for other data: "
                        + String.join("; ", wrong) + retrain);
            }
        }
        if (!Files.isRegularFile(weightsFile)) {
            throw new WeightFileException(weightsFile, "is missing: the classifier cache is incomplete" + retrain);
        }
        ImageClassifier net = new ImageClassifier(config);
        Map<String, float[]> values = readWeights(net, weightsFile, retrain);
        NDManager m = NDManager.newBaseManager(Device.cpu());
        try {
            net.loadStateDict(values, m);
        } catch (RuntimeException e) {
            m.close();
            throw e;
        }
        return new FeatureClassifier(m, net, info, dir, false);
    }

    private static Map<String, float[]> readWeights(ImageClassifier net, Path file, String retrain) throws IOException {
        SafeTensors.Contents contents;
        try {
            contents = SafeTensors.read(file);
        } catch (WeightFileException e) {
            String m = String.valueOf(e.getMessage());
            String prefix = file + ": ";
            throw new WeightFileException(file, (m.startsWith(prefix) ? m.substring(prefix.length()) : m) + retrain, e);
        }
        Map<String, float[]> values = new LinkedHashMap<>();
        List<String> problems = new ArrayList<>();
        for (Map.Entry<String, Module.Param> e : net.namedParameters().entrySet()) {
            TensorData t = contents.tensors().get(e.getKey());
            if (t == null) {
                problems.add("missing " + e.getKey());
            } else if (!Arrays.equals(t.shape(), e.getValue().shape().getShape())) {
                problems.add(e.getKey() + " " + Arrays.toString(t.shape()) + " (expected "
                        + Arrays.toString(e.getValue().shape().getShape()) + ")");
            } else {
                values.put(e.getKey(), contents.finiteValues(e.getKey()));
            }
        }
        for (String name : contents.tensors().keySet()) {
            if (!net.namedParameters().containsKey(name)) {
                problems.add("unexpected " + name);
            }
        }
        if (!problems.isEmpty()) {
            throw new WeightFileException(file, "does not fit the classifier " + INFO_FILE + " describes: "
                    + String.join(", ", problems) + retrain);
        }
        return values;
    }

    // ---- training ----

    /**
     * Trains a classifier on {@code d}'s training split with {@code settings}, measures its accuracy on the held-out
     * split and writes it to {@code dir} (replacing what is there). On the CPU, one thread.
     *
     * @throws DataException when the dataset cannot be read or has fewer than two classes
     */
    public static FeatureClassifier train(RunConfig.Data d, Settings settings, Path dir, Consumer<String> progress)
            throws IOException {
        Consumer<String> say = progress == null ? s -> { } : progress;
        ImageSource trainSource = Sources.open(d);
        List<String> classes = trainSource.classNames();
        if (classes.size() < 2) {
            throw new DataException("a classifier needs a labelled dataset, but " + trainSource.describe()
                    + " has " + (classes.isEmpty() ? "no classes" : "one class")
                    + " (for a folder: one sub-folder per class)");
        }
        ImageSource testSource;
        if (d.source().strip().equalsIgnoreCase("folder")) {
            testSource = new Subset(trainSource, true);
            trainSource = new Subset(trainSource, false);
        } else {
            testSource = Sources.open(d, true);
        }
        Transform tf = Transform.of(d);
        ImageClassifier.Config config = ImageClassifier.Config.defaults(d.channels(), d.resolution(), classes.size());
        ImageClassifier net = new ImageClassifier(config);
        NDManager m = NDManager.newBaseManager(Device.cpu());
        try {
            long start = System.nanoTime();
            net.initialize(m, new Rng(settings.seed()), true);
            say.accept("training a classifier on " + trainSource.describe() + " at " + d.resolution() + " px: "
                    + net.parameterCount() + " parameters, " + settings.steps() + " steps of " + settings.batchSize());
            fit(net, m, trainSource, tf, settings, say, start);
            GradMode.disable();
            int n = settings.testImages() > 0 ? Math.min(settings.testImages(), testSource.size()) : testSource.size();
            double accuracy = accuracy(net, m, testSource, tf, n);
            double seconds = (System.nanoTime() - start) / 1e9;
            Info info = new Info(FORMAT, datasetKey(d), d.source().strip().toLowerCase(Locale.ROOT), recordedPath(d),
                    trainSource.describe(), d.resolution(), d.channels(), classes.size(), List.copyOf(classes),
                    config.widths(), config.featureDim(), accuracy, n, settings.steps(), settings.batchSize(),
                    settings.lr(), settings.weightDecay(), settings.seed(), seconds);
            say.accept(String.format(Locale.ROOT, "test accuracy %.2f%% on %d held-out images (%.0f s)", 100 * accuracy,
                    n, seconds));
            write(dir, net, info);
            return new FeatureClassifier(m, net, info, dir, true);
        } catch (IOException | RuntimeException e) {
            net.close();
            m.close();
            throw e;
        }
    }

    private static void fit(ImageClassifier net, NDManager m, ImageSource source, Transform tf, Settings s,
            Consumer<String> say, long start) {
        AdamW optimizer = new AdamW(net, m, 0.9, 0.999, 1e-8, s.weightDecay());
        ParameterUpdate update = new ParameterUpdate(net, optimizer, null, 0);
        int warmup = Math.max(1, s.steps() / 20);
        LrSchedule schedule = new LrSchedule("cosine", s.lr(), warmup, Math.max(1, s.steps() - warmup), s.lr() / 100);
        int every = Math.max(1, Math.min(100, s.steps() / 10));
        double lossSum = 0;
        int correct = 0;
        int seen = 0;
        try (DataLoader loader = new DataLoader(source, tf, s.batchSize(), s.seed(), false, 1, 0, 0)) {
            for (int step = 1; step <= s.steps(); step++) {
                Batch b = loader.next();
                int[] predicted = new int[b.size()];
                StepResult r;
                try (NDManager sm = m.newSubManager(); NDScope scope = new NDScope()) {
                    scope.suppressNotUsedWarning();
                    NDArray x = sm.create(b.data(), new Shape(b.size(), b.channels(), b.height(), b.width()));
                    NDArray y = sm.create(b.labels()).oneHot(net.config().classes());
                    NDArray[] logits = new NDArray[1];
                    r = update.apply(cast -> {
                        logits[0] = net.forward(cast.apply(x));
                        return new ParameterUpdate.Loss(crossEntropy(logits[0], y), logits[0]);
                    }, schedule.lr(step));
                    int[] p = argmax(logits[0]);
                    System.arraycopy(p, 0, predicted, 0, p.length);
                }
                if (!r.applied()) {
                    throw new IllegalStateException("classifier training: step " + step + " was not finite (loss "
                            + r.loss() + "); lower the learning rate");
                }
                lossSum += r.loss();
                for (int i = 0; i < b.size(); i++) {
                    correct += predicted[i] == b.labels()[i] ? 1 : 0;
                }
                seen += b.size();
                if (step % every == 0 || step == s.steps()) {
                    say.accept(String.format(Locale.ROOT, "step %d/%d  loss %.4f  train accuracy %.1f%%  (%.0f s)",
                            step, s.steps(), lossSum / every, 100.0 * correct / seen,
                            (System.nanoTime() - start) / 1e9));
                    lossSum = 0;
                    correct = 0;
                    seen = 0;
                }
            }
        } finally {
            optimizer.close();
        }
    }

    /** Mean over the batch of −log softmax(logits)[label], with one-hot labels (B, K). */
    static NDArray crossEntropy(NDArray logits, NDArray oneHot) {
        return logits.logSoftmax(1).mul(oneHot).sum(new int[] {1}).mean().neg();
    }

    private static int[] argmax(NDArray logits) {
        try (NDArray a = logits.argMax(1)) {
            long[] v = a.toType(DataType.INT64, false).toLongArray();
            int[] out = new int[v.length];
            for (int i = 0; i < v.length; i++) {
                out[i] = (int) v[i];
            }
            return out;
        }
    }

    private static double accuracy(ImageClassifier net, NDManager m, ImageSource source, Transform tf, int n) {
        int correct = 0;
        int len = tf.length();
        for (int from = 0; from < n; from += EVAL_BATCH) {
            int k = Math.min(EVAL_BATCH, n - from);
            float[] x = new float[k * len];
            int[] labels = new int[k];
            for (int i = 0; i < k; i++) {
                System.arraycopy(source.load(from + i, tf), 0, x, i * len, len);
                labels[i] = source.label(from + i);
            }
            int[] p = predict(net, m, x, k);
            for (int i = 0; i < k; i++) {
                correct += p[i] == labels[i] ? 1 : 0;
            }
        }
        return (double) correct / n;
    }

    private static void write(Path dir, ImageClassifier net, Info info) throws IOException {
        Files.createDirectories(dir);
        Map<String, SafeTensors.Source> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, float[]> e : net.stateDict().entrySet()) {
            tensors.put(e.getKey(), SafeTensors.Source.of(e.getValue(),
                    net.namedParameters().get(e.getKey()).shape().getShape()));
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "ldm-studio feature classifier");
        meta.put("dataset", info.dataset());
        meta.put("resolution", Integer.toString(info.resolution()));
        SafeTensors.write(dir.resolve(WEIGHTS_FILE), tensors, meta, "F32");
        AtomicFiles.writeString(dir.resolve(INFO_FILE), JSON.writeValueAsString(info) + "\n");
    }

    // ---- scoring ----

    /**
     * The penultimate features of {@code n} images (NCHW floats in [−1, 1] at the classifier's channels and
     * resolution, as data loaders and samplers give them) as an N×D array, for a Fréchet distance.
     */
    public double[][] features(float[] images, int n) {
        checkImages(images, n);
        GradMode.disable();
        int len = imageLength();
        double[][] out = new double[n][];
        for (int from = 0; from < n; from += EVAL_BATCH) {
            int k = Math.min(EVAL_BATCH, n - from);
            try (NDManager sm = manager.newSubManager()) {
                NDArray x = sm.create(Arrays.copyOfRange(images, from * len, (from + k) * len), imageShape(k));
                float[] f = net.features(x).toFloatArray();
                int d = info.featureDim();
                for (int i = 0; i < k; i++) {
                    double[] row = new double[d];
                    for (int j = 0; j < d; j++) {
                        row[j] = f[i * d + j];
                    }
                    out[from + i] = row;
                }
            }
        }
        return out;
    }

    /** The predicted class of each of {@code n} images (as {@link #features} takes them). */
    public int[] predict(float[] images, int n) {
        checkImages(images, n);
        GradMode.disable();
        int len = imageLength();
        int[] out = new int[n];
        for (int from = 0; from < n; from += EVAL_BATCH) {
            int k = Math.min(EVAL_BATCH, n - from);
            int[] p = predict(net, manager, Arrays.copyOfRange(images, from * len, (from + k) * len), k);
            System.arraycopy(p, 0, out, from, k);
        }
        return out;
    }

    private static int[] predict(ImageClassifier net, NDManager m, float[] x, int k) {
        try (NDManager sm = m.newSubManager()) {
            int c = net.config().channels();
            int r = net.config().resolution();
            return argmax(net.forward(sm.create(x, new Shape(k, c, r, r))));
        }
    }

    /**
     * The share of {@code n} images the classifier puts in the class each was asked for ({@code requested[i]} for
     * image i), with the share per class.
     */
    public ClassShare classShare(float[] images, int n, int[] requested) {
        if (requested.length != n) {
            throw new IllegalArgumentException(n + " images but " + requested.length + " requested classes");
        }
        return ClassShare.of(predict(images, n), requested, info.classes());
    }

    private int imageLength() {
        return info.channels() * info.resolution() * info.resolution();
    }

    private Shape imageShape(int k) {
        return new Shape(k, info.channels(), info.resolution(), info.resolution());
    }

    private void checkImages(float[] images, int n) {
        if (n < 0 || images.length != (long) n * imageLength()) {
            throw new IllegalArgumentException("the " + info.metricName() + " classifier takes images of "
                    + info.channels() + " × " + info.resolution() + " × " + info.resolution() + " values; got "
                    + images.length + " values for " + n + " images");
        }
    }

    @Override
    public void close() {
        net.close();
        manager.close();
    }

    /** A folder's split: every tenth image held out ({@code i mod 10 == 0}), the rest for training. */
    private static final class Subset implements ImageSource {
        private final ImageSource base;
        private final boolean heldOut;
        private final int size;

        Subset(ImageSource base, boolean heldOut) {
            this.base = base;
            this.heldOut = heldOut;
            int tenths = (base.size() + 9) / 10;
            this.size = heldOut ? tenths : base.size() - tenths;
            if (size == 0) {
                throw new DataException(base.describe() + " is too small to hold images out for testing");
            }
        }

        private int index(int i) {
            return heldOut ? 10 * i : i + i / 9 + 1;
        }

        @Override
        public int size() {
            return size;
        }

        @Override
        public int channels() {
            return base.channels();
        }

        @Override
        public String describe() {
            return base.describe() + (heldOut ? " (every tenth image, held out)" : " (but every tenth image)");
        }

        @Override
        public List<String> classNames() {
            return base.classNames();
        }

        @Override
        public int label(int i) {
            return base.label(index(i));
        }

        @Override
        public Pixels pixels(int i) {
            return base.pixels(index(i));
        }

        @Override
        public float[] load(int i, Transform tf, boolean flip) {
            return base.load(index(i), tf, flip);
        }

        @Override
        public List<Skipped> skipped() {
            return base.skipped();
        }
    }
}

package io.ldmstudio.service;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.data.Pixels;
import io.ldmstudio.eval.FeatureExtractor;
import io.ldmstudio.nn.FidInceptionV3;
import io.ldmstudio.weights.InceptionWeights;
import io.ldmstudio.weights.WeightFiles;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import java.util.function.IntFunction;

/**
 * FID's feature extractor: pytorch-fid's Inception ({@link FidInceptionV3}) opened from its safetensors file, giving
 * the 2048-d pool3 features of images in [0, 1] (1 or 3 channels, any size; resized to 299 by the network) as
 * double rows. Images go through in batches of at most {@value #BATCH} consecutive images of one shape, each batch
 * in a sub-manager of its own that is closed before the next. Not thread-safe; close it to free the weights.
 *
 * <p>It lives in {@code service} rather than {@code weights}: it takes {@code data.Pixels} through
 * {@code eval.FeatureExtractor}, and {@code data} already uses {@code weights}.
 */
public final class InceptionFeatures implements FeatureExtractor, AutoCloseable {
    /** Images per forward pass (a 299-px image takes ~0.3 s and ~50 MB of intermediates on the CPU). */
    public static final int BATCH = 8;
    /** The name used in messages and cache file names. */
    public static final String NAME = "inception";
    /** Where the README tells how to convert pytorch-fid's weights. */
    public static final String README_SECTION = "README.md, section \"FID and KID\"";

    private final NDManager manager;
    private final FidInceptionV3 net;
    private final Path file;
    private String fingerprint;

    private InceptionFeatures(NDManager manager, FidInceptionV3 net, Path file) {
        this.manager = manager;
        this.net = net;
        this.file = file;
    }

    /**
     * The network from {@code file}, or from {@link InceptionWeights#DEFAULT_FILE} under {@code workspace} when
     * {@code file} is null.
     *
     * @throws WeightFiles.WeightFileException naming the path looked at, with the conversion to make the file
     *     ({@value InceptionWeights#CONVERTER}, {@value #README_SECTION})
     */
    public static InceptionFeatures open(Path workspace, Path file) throws IOException {
        Path f = file != null ? file : InceptionWeights.defaultFile(workspace);
        NDManager m = NDManager.newBaseManager();
        try {
            FidInceptionV3 net = InceptionWeights.open(f, m);
            return new InceptionFeatures(m, net, f);
        } catch (WeightFiles.WeightFileException e) {
            m.close();
            throw new WeightFiles.WeightFileException(f, stripPath(e.getMessage(), f) + " (looked for "
                    + (file != null ? "the file given with --inception" : "the default file; name another with"
                    + " --inception") + "; see " + README_SECTION + ")", e);
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    private static String stripPath(String message, Path f) {
        String prefix = f + ": ";
        return message.startsWith(prefix) ? message.substring(prefix.length()) : message;
    }

    /** The weights file the network was read from. */
    public Path file() {
        return file;
    }

    @Override
    public String name() {
        return NAME;
    }

    /** {@code inception:} and the first 16 hex digits of the weights file's SHA-256 (read once). */
    @Override
    public synchronized String fingerprint() {
        if (fingerprint == null) {
            try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
                java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
                byte[] buf = new byte[1 << 20];
                for (int r; (r = in.read(buf)) > 0; ) {
                    sha.update(buf, 0, r);
                }
                fingerprint = NAME + ":" + java.util.HexFormat.of().formatHex(sha.digest()).substring(0, 16);
            } catch (IOException | java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException(file + ": cannot be read again to fingerprint it: " + e.getMessage(), e);
            }
        }
        return fingerprint;
    }

    @Override
    public int dimension() {
        return FidInceptionV3.FEATURES;
    }

    @Override
    public double[][] features(int n, IntFunction<Pixels> image, IntConsumer progress) {
        double[][] out = new double[n][];
        int done = 0;
        Pixels pending = n > 0 ? image.apply(0) : null;
        int loaded = 1;
        while (done < n) {
            List<Pixels> batch = new ArrayList<>(BATCH);
            Pixels first = pending;
            batch.add(first);
            pending = null;
            while (loaded < n && batch.size() < BATCH) {
                Pixels next = image.apply(loaded++);
                if (next.channels() != first.channels() || next.width() != first.width()
                        || next.height() != first.height()) {
                    pending = next; // starts the next batch
                    break;
                }
                batch.add(next);
            }
            if (pending == null && loaded < n) {
                pending = image.apply(loaded++);
            }
            double[][] rows = forward(batch);
            System.arraycopy(rows, 0, out, done, rows.length);
            done += rows.length;
            if (progress != null) {
                progress.accept(done);
            }
        }
        return out;
    }

    /** One forward pass over images of one shape, in a manager closed before returning. */
    private double[][] forward(List<Pixels> batch) {
        Pixels p0 = batch.get(0);
        int len = p0.data().length;
        float[] flat = new float[batch.size() * len];
        for (int k = 0; k < batch.size(); k++) {
            System.arraycopy(batch.get(k).data(), 0, flat, k * len, len);
        }
        try (NDManager work = manager.newSubManager()) {
            NDArray x = work.create(flat, new Shape(batch.size(), p0.channels(), p0.height(), p0.width()));
            NDArray f = net.features(x);
            float[] v = f.toFloatArray();
            int d = FidInceptionV3.FEATURES;
            double[][] rows = new double[batch.size()][d];
            for (int k = 0; k < batch.size(); k++) {
                for (int c = 0; c < d; c++) {
                    rows[k][c] = v[k * d + c];
                }
            }
            return rows;
        }
    }

    @Override
    public void close() {
        manager.close();
    }

}

package io.ldmstudio.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.function.IntConsumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The dataset encoded once into latents, in a memory-mapped file that every run with the same data,
 * transform, resolution and autoencoder weights reuses.
 *
 * <p>File: the 8 bytes {@code LDMLAT01}, a little-endian int with the header length, the header (UTF-8
 * JSON: the {@link Key}, count, shape, dtype), padding to 64 bytes, then count × C × H × W values
 * (float16 or float32, little-endian). It is written under a temporary name and moved into place
 * when complete, so a file at the cache's name is either whole or was damaged afterwards; a file
 * whose header does not match the key, or whose length is not what the header says, is stale or
 * truncated and is rebuilt — never used. With flip on, entries n..2n−1 hold the latents of the
 * mirrored images, so training can flip latents exactly as it flips images.
 *
 * <p><b>Unreadable images.</b> An image that does not decode while the cache is built
 * ({@link UnreadableImageException}) is not encoded: its entries hold zeros and the header lists it
 * ({@code "skipped"}: index, path, reason). {@link #asSource} throws {@link UnreadableImageException}
 * for it and lists it in its {@link ImageSource#skipped()}, so the {@link DataLoader} leaves it out
 * as it would the image itself.
 *
 * <p><b>Temporary files.</b> The temporary name ends in {@code .tmp-<pid>} of the writing process. A
 * build that was killed leaves its temporary file behind; opening a cache in the same folder deletes
 * those whose process is no longer running — and says so through the log — and leaves alone those of
 * a live process (another run encoding now).
 */
public final class LatentCache implements AutoCloseable {
    /** The batch a training run encodes its dataset with. */
    public static final int ENCODE_BATCH = 16;

    private static final byte[] MAGIC = "LDMLAT01".getBytes(StandardCharsets.US_ASCII);
    private static final ObjectMapper JSON = new ObjectMapper();
    /** A build's temporary file: the cache's name, {@code .tmp-}, the writer's pid, maybe a suffix. */
    private static final Pattern TEMP = Pattern.compile(".+\\.latents\\.tmp-(\\d{1,18})(\\..*)?");

    /** What the latents depend on. {@code autoencoder} identifies the weights (e.g. a content hash). */
    public record Key(String dataset, String transform, int resolution, String autoencoder, boolean flip,
            String dtype) {
        public Key {
            if (!dtype.equals("float16") && !dtype.equals("float32")) {
                throw new IllegalArgumentException("autoencoder.cache_dtype: '" + dtype
                        + "' is not one of float16, float32");
            }
        }

        /** A file name derived from the whole key. */
        public String fileName() {
            return sha256(toJson().toString()).substring(0, 24) + ".latents";
        }

        ObjectNode toJson() {
            ObjectNode n = JSON.createObjectNode();
            n.put("dataset", dataset);
            n.put("transform", transform);
            n.put("resolution", resolution);
            n.put("autoencoder", autoencoder);
            n.put("flip", flip);
            n.put("dtype", dtype);
            return n;
        }
    }

    /** Encodes a batch of images (N, C, H, W in [-1, 1]) into scaled latents (N, L, h, w). */
    public interface Encoder {
        int latentChannels();

        int latentSize(int resolution);

        float[] encode(float[] images, int n, int channels, int resolution);
    }

    /** Why a cache was (re)built, or that it was reused. */
    public enum Origin { REUSED, BUILT, REBUILT_STALE, REBUILT_TRUNCATED }

    private final Path file;
    private final Key key;
    private final int count;
    private final int channels;
    private final int size;
    private final boolean half;
    private final long dataStart;
    private final MappedByteBuffer buffer;
    private final FileChannel channel;
    private final Origin origin;
    private final Map<Integer, ImageSource.Skipped> left; // image index → why it was not encoded

    private LatentCache(Path file, Key key, int count, int channels, int size, long dataStart, FileChannel ch,
            MappedByteBuffer buffer, Origin origin, Map<Integer, ImageSource.Skipped> left) {
        this.file = file;
        this.key = key;
        this.count = count;
        this.channels = channels;
        this.size = size;
        this.half = key.dtype().equals("float16");
        this.dataStart = dataStart;
        this.channel = ch;
        this.buffer = buffer;
        this.origin = origin;
        this.left = left;
    }

    /**
     * Opens the cache for {@code key} in {@code dir}, building it first when it is missing, stale or
     * truncated.
     *
     * @param progress told the number of images encoded so far (may be null)
     * @param log      told of temporary files of dead builds that were deleted (may be null)
     */
    public static LatentCache openOrBuild(Path dir, Key key, ImageSource source, Transform tf, Encoder encoder,
            int batchSize, IntConsumer progress, Consumer<String> log) throws IOException {
        Files.createDirectories(dir);
        removeDeadTemporaries(dir, log);
        Path file = dir.resolve(key.fileName());
        Origin origin = Origin.BUILT;
        if (Files.exists(file)) {
            String problem = check(file, key);
            if (problem == null) {
                return open(file, key, Origin.REUSED);
            }
            origin = problem.startsWith("truncated") ? Origin.REBUILT_TRUNCATED : Origin.REBUILT_STALE;
            Files.delete(file);
        }
        build(file, key, source, tf, encoder, batchSize, progress);
        return open(file, key, origin);
    }

    /**
     * Deletes the temporary files in {@code dir} whose writing process (the pid in the name) is no
     * longer running, telling {@code log} of each; those of live processes are left alone.
     *
     * @return how many were deleted
     */
    static int removeDeadTemporaries(Path dir, Consumer<String> log) throws IOException {
        List<Path> dead = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                Matcher m = TEMP.matcher(f.getFileName().toString());
                if (m.matches() && !alive(Long.parseLong(m.group(1))) && Files.isRegularFile(f)) {
                    dead.add(f);
                }
            }
        }
        dead.sort(null);
        int removed = 0;
        for (Path f : dead) {
            Matcher m = TEMP.matcher(f.getFileName().toString());
            m.matches();
            try {
                long bytes = Files.size(f);
                if (Files.deleteIfExists(f)) {
                    removed++;
                    if (log != null) {
                        log.accept("latent cache: deleted " + f + " (" + bytes + " bytes), left by an interrupted "
                                + "encoding in process " + m.group(1) + ", which is no longer running");
                    }
                }
            } catch (IOException e) {
                if (log != null) {
                    log.accept("latent cache: cannot delete " + f + ", left by process " + m.group(1)
                            + ", which is no longer running: " + e);
                }
            }
        }
        return removed;
    }

    private static boolean alive(long pid) {
        try {
            return ProcessHandle.of(pid).isPresent();
        } catch (RuntimeException e) {
            return true; // cannot tell: keep the file
        }
    }

    /** Null when the file is a complete cache for {@code key}; otherwise what is wrong with it. */
    public static String check(Path file, Key key) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            Header h = readHeader(ch, file);
            if (!h.key.equals(key.toJson())) {
                return "stale: built for " + h.key + ", wanted " + key.toJson();
            }
            long expected = h.dataStart + (long) h.count * h.channels * h.size * h.size * (key.dtype().equals("float16") ? 2 : 4);
            if (ch.size() != expected) {
                return "truncated: " + ch.size() + " bytes where the header says " + expected;
            }
            return null;
        } catch (IOException e) {
            return "truncated or unreadable: " + e.getMessage();
        }
    }

    private record Header(JsonNode key, int count, int channels, int size, long dataStart, JsonNode skipped) {}

    private static Header readHeader(FileChannel ch, Path file) throws IOException {
        ByteBuffer head = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
        if (ch.read(head, 0) < 12) {
            throw new IOException(file + ": shorter than a latent cache header");
        }
        head.flip();
        byte[] magic = new byte[8];
        head.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new IOException(file + ": not a latent cache (bad magic)");
        }
        int len = head.getInt();
        if (len <= 0 || len > 1 << 20 || 12 + len > ch.size()) {
            throw new IOException(file + ": header length " + len + " does not fit the file");
        }
        ByteBuffer json = ByteBuffer.allocate(len);
        ch.read(json, 12);
        JsonNode n = JSON.readTree(new String(json.array(), StandardCharsets.UTF_8));
        long dataStart = align(12 + len);
        return new Header(n.get("key"), n.path("count").asInt(), n.path("channels").asInt(), n.path("size").asInt(),
                dataStart, n.path("skipped"));
    }

    private static long align(long v) {
        return (v + 63) / 64 * 64;
    }

    private static LatentCache open(Path file, Key key, Origin origin) throws IOException {
        FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
        Header h = readHeader(ch, file);
        long len = ch.size() - h.dataStart;
        if (len > Integer.MAX_VALUE) {
            ch.close();
            throw new IOException(file + ": latent caches over 2 GiB are not supported yet (" + len + " bytes)");
        }
        MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, h.dataStart, len);
        buf.order(ByteOrder.LITTLE_ENDIAN);
        Map<Integer, ImageSource.Skipped> left = new TreeMap<>();
        for (JsonNode s : h.skipped) {
            left.put(s.path("index").asInt(), new ImageSource.Skipped(s.path("path").asText(),
                    s.path("reason").asText()));
        }
        return new LatentCache(file, key, h.count, h.channels, h.size, h.dataStart, ch, buf, origin, Map.copyOf(left));
    }

    private static byte[] header(Key key, int total, int channels, int size, int images, ArrayNode skipped)
            throws IOException {
        ObjectNode header = JSON.createObjectNode();
        header.set("key", key.toJson());
        header.put("count", total);
        header.put("channels", channels);
        header.put("size", size);
        header.put("images", images);
        header.set("skipped", skipped);
        byte[] hb = JSON.writeValueAsBytes(header);
        ByteBuffer head = ByteBuffer.allocate((int) align(12 + hb.length)).order(ByteOrder.LITTLE_ENDIAN);
        head.put(MAGIC).putInt(hb.length).put(hb);
        return head.array();
    }

    private static void build(Path file, Key key, ImageSource source, Transform tf, Encoder encoder, int batchSize,
            IntConsumer progress) throws IOException {
        int n = source.size();
        int total = key.flip() ? 2 * n : n;
        int lc = encoder.latentChannels();
        int ls = encoder.latentSize(tf.resolution());
        int per = lc * ls * ls;
        int len = tf.length();
        boolean half = key.dtype().equals("float16");
        byte[] head = header(key, total, lc, ls, n, JSON.createArrayNode());
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp-" + ProcessHandle.current().pid());
        Path withSkips = file.resolveSibling(tmp.getFileName() + ".skips");
        ArrayNode skipped = JSON.createArrayNode();
        try {
            try (FileChannel out = FileChannel.open(tmp, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                writeFully(out, ByteBuffer.wrap(head));
                boolean[] unreadable = new boolean[n];
                int done = 0;
                for (int pass = 0; pass < (key.flip() ? 2 : 1); pass++) {
                    boolean flip = pass == 1;
                    for (int start = 0; start < n; start += batchSize) {
                        int b = Math.min(batchSize, n - start);
                        float[] images = new float[b * len];
                        int good = 0;
                        for (int k = 0; k < b; k++) {
                            int i = start + k;
                            if (unreadable[i]) {
                                continue;
                            }
                            try {
                                System.arraycopy(source.load(i, tf, flip), 0, images, good * len, len);
                                good++;
                            } catch (UnreadableImageException e) {
                                unreadable[i] = true;
                                skipped.addObject().put("index", i).put("path", e.path()).put("reason", e.reason());
                            }
                        }
                        float[] z = good == 0 ? new float[0]
                                : encoder.encode(good == b ? images : Arrays.copyOf(images, good * len), good,
                                        tf.channels(), tf.resolution());
                        if (z.length != good * per) {
                            throw new IOException("the encoder returned " + z.length + " values for " + good
                                    + " images, expected " + good * per);
                        }
                        ByteBuffer bb = ByteBuffer.allocate(b * per * (half ? 2 : 4)).order(ByteOrder.LITTLE_ENDIAN);
                        int from = 0;
                        for (int k = 0; k < b; k++) {
                            boolean zeros = unreadable[start + k];
                            for (int q = 0; q < per; q++) {
                                float v = zeros ? 0f : z[from + q];
                                if (half) {
                                    bb.putShort(io.ldmstudio.weights.Half.floatToHalf(v));
                                } else {
                                    bb.putFloat(v);
                                }
                            }
                            from += zeros ? 0 : per;
                        }
                        bb.flip();
                        writeFully(out, bb);
                        done += b;
                        if (progress != null) {
                            progress.accept(done);
                        }
                    }
                }
                out.force(true);
            }
            if (!skipped.isEmpty()) {
                // the header lists them: write it again, in front of the same data
                byte[] listed = header(key, total, lc, ls, n, skipped);
                try (FileChannel in = FileChannel.open(tmp, StandardOpenOption.READ);
                        FileChannel out = FileChannel.open(withSkips, StandardOpenOption.CREATE,
                                StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                    writeFully(out, ByteBuffer.wrap(listed));
                    long pos = head.length;
                    while (pos < in.size()) {
                        pos += in.transferTo(pos, in.size() - pos, out);
                    }
                    out.force(true);
                }
                Files.move(withSkips, tmp, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            }
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            Files.deleteIfExists(withSkips);
            throw e;
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    private static void writeFully(FileChannel out, ByteBuffer bb) throws IOException {
        while (bb.hasRemaining()) {
            out.write(bb);
        }
    }

    /**
     * The images that were not encoded because they did not decode when the cache was built (their
     * entries hold zeros), by index.
     */
    public Map<Integer, ImageSource.Skipped> unreadable() {
        return left;
    }

    /** Entries: images, or twice the images when flip is on (mirrored ones after the originals). */
    public int size() {
        return count;
    }

    public int channels() {
        return channels;
    }

    /** Latent height = width. */
    public int latentSize() {
        return size;
    }

    public Origin origin() {
        return origin;
    }

    public Path file() {
        return file;
    }

    public Key key() {
        return key;
    }

    /** Latent {@code i} as float32 CHW. Thread-safe (absolute reads of a read-only mapping). */
    public float[] get(int i) {
        if (i < 0 || i >= count) {
            throw new IndexOutOfBoundsException("latent " + i + " of " + count);
        }
        int per = channels * size * size;
        float[] out = new float[per];
        long base = (long) i * per * (half ? 2 : 4);
        for (int k = 0; k < per; k++) {
            out[k] = half ? io.ldmstudio.weights.Half.halfToFloat(buffer.getShort((int) (base + 2L * k)))
                    : buffer.getFloat((int) (base + 4L * k));
        }
        return out;
    }

    /**
     * The cache as an {@link ImageSource} of latents over the original {@code images} (labels and
     * names from there): {@code load(i, tf, flip)} returns the latent of image i, mirrored when
     * flip is on and the cache holds mirrored latents, or throws {@link UnreadableImageException} for
     * an image that was left out when the cache was built. The transform passed in is ignored.
     */
    public ImageSource asSource(ImageSource images) {
        LatentCache cache = this;
        int n = images.size();
        return new ImageSource() {
            @Override
            public int size() {
                return n;
            }

            @Override
            public int channels() {
                return cache.channels;
            }

            @Override
            public String describe() {
                return "latents of " + images.describe();
            }

            @Override
            public java.util.List<String> classNames() {
                return images.classNames();
            }

            @Override
            public int label(int i) {
                return images.label(i);
            }

            @Override
            public Pixels pixels(int i) {
                throw new UnsupportedOperationException("a latent source has no pixels");
            }

            @Override
            public float[] load(int i, Transform tf, boolean flip) {
                ImageSource.Skipped bad = cache.left.get(i);
                if (bad != null) {
                    throw new UnreadableImageException(i, bad.path(), bad.reason());
                }
                return cache.get(flip && cache.key.flip() ? n + i : i);
            }

            /** The images' skipped files, then those the cache left out that the images do not list. */
            @Override
            public List<Skipped> skipped() {
                List<Skipped> all = new ArrayList<>(images.skipped());
                Set<String> listed = new HashSet<>();
                all.forEach(s -> listed.add(s.path()));
                cache.left.values().forEach(s -> {
                    if (!listed.contains(s.path())) {
                        all.add(s);
                    }
                });
                return all;
            }
        };
    }

    /** SHA-256 of a file's bytes, hex (to identify autoencoder weights). */
    public static String sha256(Path file) throws IOException {
        try (var in = Files.newInputStream(file)) {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            int r;
            while ((r = in.read(buf)) > 0) {
                md.update(buf, 0, r);
            }
            return HexFormat.of().formatHex(md.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String sha256(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        try {
            channel.close();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}

package io.ldmstudio.ui.denoising;

import io.ldmstudio.config.SamplerKind;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.diffusion.Trajectory;
import io.ldmstudio.service.LatentDecoder;
import io.ldmstudio.service.SamplingService;
import java.awt.image.BufferedImage;
import java.io.IOException;
import io.ldmstudio.pipeline.Pipeline;
import io.ldmstudio.service.ClassChoice;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * One generated trajectory, kept whole in memory: the settings it was made with, x_t, x̂0 and ε̂ of
 * every step as float arrays ({@link Trajectory}, filled on the sampling thread while it runs), and —
 * once finished — the final samples. Frames come out as tiled pictures in image space: for a latent
 * run x_t and x̂0 are decoded through the autoencoder on request (then cached), while ε̂ stays in
 * latent space (decoding noise through a decoder trained on data latents shows nothing meaningful) and
 * is shown as its first three channels, enlarged to the image size. Safe to read from any thread;
 * {@link #frame} may block on decoding, so never call it on the FX thread.
 */
public final class Generation {
    /** Decoded frames kept per generation, in floats (64 MB). */
    static final long CACHE_FLOATS = 16L << 20;

    /**
     * The classes and guidance of a class-conditional source's samples: {@code choice} one label per image (and
     * the rows of one row per class), guidance scale w, rescale φ, and the source's class names (may be empty).
     */
    public record Conditioning(ClassChoice choice, double guidance, double rescale, List<String> classNames) {
        public Conditioning {
            classNames = List.copyOf(classNames);
        }

        /** The condition the pipeline takes. */
        public Pipeline.Condition condition() {
            return new Pipeline.Condition(choice.labels(), guidance, rescale);
        }

        /** The same classes at guidance scale {@code w}. */
        public Conditioning withGuidance(double w) {
            return new Conditioning(choice, w, rescale, classNames);
        }

        /** {@code w = 2}, with {@code  · φ = 0.7} when rescaled. */
        public String guidanceLabel() {
            return "w = " + ClassChoice.formatScale(guidance)
                    + (rescale > 0 ? " · φ = " + ClassChoice.formatScale(rescale) : "");
        }

        /** {@code class ring}, {@code classes 3, 7, sneaker}, {@code one row per class}. */
        public String classLabel() {
            String d = choice.describe(classNames);
            return choice.rows() ? d : (d.contains(",") ? "classes " : "class ") + d;
        }

        /** {@code ring-w2}, for file names. */
        public String slug() {
            return choice.slug(classNames) + "-w" + ClassChoice.formatScale(guidance)
                    + (rescale > 0 ? "-phi" + ClassChoice.formatScale(rescale) : "");
        }
    }

    /**
     * What to sample; {@code checkpointStep} 0 means the newest; {@code conditioning} the classes and guidance of a
     * class-conditional source (null: unconditional).
     */
    public record Settings(String sampler, int steps, double eta, long seed, int n, boolean ema, long checkpointStep,
            Conditioning conditioning) {
        public Settings(String sampler, int steps, double eta, long seed, int n, boolean ema, long checkpointStep) {
            this(sampler, steps, eta, seed, n, ema, checkpointStep, null);
        }

        public SamplingService.Request request() {
            return new SamplingService.Request(sampler, steps, usesEta(sampler) ? eta : 0, seed, n, ema,
                    checkpointStep, conditioning == null ? null : conditioning.condition());
        }

        /** {@code DDIM · 8 steps · η 0}, and {@code · w = 2} for a class-conditional source. */
        public String title() {
            String s = samplerLine();
            return conditioning == null ? s : s + " · " + conditioning.guidanceLabel();
        }

        /** {@code DDIM · 8 steps · η 0}: the sampler alone. */
        public String samplerLine() {
            String s = samplerTitle(sampler) + " · " + steps + (steps == 1 ? " step" : " steps");
            return usesEta(sampler) ? s + String.format(Locale.ROOT, " · η %s", fmt(eta)) : s;
        }

        /** {@code ddim-8}, for file names; {@code ddim-8-ring-w2} for a class-conditional source. */
        public String slug() {
            return sampler + "-" + steps + (conditioning == null ? "" : "-" + conditioning.slug());
        }

        /** The same at guidance scale {@code w} (a sweep's column). */
        public Settings withGuidance(double w) {
            return new Settings(sampler, steps, eta, seed, n, ema, checkpointStep,
                    conditioning == null ? null : conditioning.withGuidance(w));
        }
    }

    /** What the image side looks like. */
    public record Geometry(int n, int latentChannels, int latentSize, int imageChannels, int imageSize,
            boolean latent, int columns) {
        public Geometry(int n, int latentChannels, int latentSize, int imageChannels, int imageSize, boolean latent) {
            this(n, latentChannels, latentSize, imageChannels, imageSize, latent, 0);
        }

        /** The same, its frames tiled in {@code columns} columns (0: ⌈√n⌉). */
        public Geometry withColumns(int columns) {
            return new Geometry(n, latentChannels, latentSize, imageChannels, imageSize, latent, columns);
        }

        /** How much ε̂ of a latent run is enlarged to match the decoded images. */
        public int factor() {
            return latent ? Math.max(1, imageSize / latentSize) : 1;
        }
    }

    private final String runName;
    private final java.nio.file.Path exportsDir;
    private volatile java.nio.file.Path noiseFile;
    private final Settings settings;
    private final Geometry geometry;
    private final Trajectory trajectory = new Trajectory();
    private final LatentDecoder decoder;
    private final Map<Long, float[]> decoded = new LinkedHashMap<>(64, 0.75f, true);
    private long decodedFloats;
    private volatile SamplingService.Result result;
    private volatile long checkpointStep;
    private volatile String weights;

    Generation(String runName, Settings settings, Geometry geometry, LatentDecoder decoder) {
        this(runName, null, settings, geometry, decoder);
    }

    /**
     * A trajectory of the source called {@code name} (a run, or a model), whose figures go to
     * {@code exportsDir} (null: the run's exports folder).
     */
    Generation(String runName, java.nio.file.Path exportsDir, Settings settings, Geometry geometry, LatentDecoder decoder) {
        this.runName = runName;
        this.exportsDir = exportsDir;
        this.settings = settings;
        this.geometry = geometry;
        this.decoder = decoder;
        if (geometry.latent() && decoder == null) {
            throw new IllegalArgumentException("a latent run needs a decoder");
        }
    }

    /** The geometry of a run's samples. */
    public static Geometry geometry(RunConfig config, int n) {
        return new Geometry(n, config.unetChannels(), config.unetResolution(), config.data().channels(),
                config.data().resolution(), !config.pixelSpace());
    }

    /** The geometry of a pipeline's samples. */
    public static Geometry geometry(io.ldmstudio.pipeline.Pipeline p, int n) {
        long[] x = p.noiseShape(n);
        return new Geometry(n, (int) x[1], (int) x[2], p.imageChannels(), p.imageSize(), p.hasAutoencoder());
    }

    /** The file its x_T was read from; null when x_T was drawn from the seed. */
    public java.nio.file.Path noiseFile() {
        return noiseFile;
    }

    void noiseFile(java.nio.file.Path file) {
        this.noiseFile = file;
    }

    /** Where its figures go by default; null for a run's (its exports folder). */
    public java.nio.file.Path exportsDir() {
        return exportsDir;
    }

    /** Whether the sampler of this key has a η (DDIM). */
    static boolean usesEta(String sampler) {
        for (SamplerKind c : SamplerKind.values()) {
            if (c.key.equals(sampler)) {
                return c.usesEta;
            }
        }
        return false;
    }

    /** "DDPM", "DDIM", "DPM-Solver++" for a sampler key; the key itself when unknown. */
    public static String samplerTitle(String sampler) {
        for (SamplerKind c : SamplerKind.values()) {
            if (c.key.equals(sampler)) {
                return c.title;
            }
        }
        return sampler;
    }

    static String fmt(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.2f", v).replaceAll("0+$", "");
    }

    /**
     * Step {@code i} of a trajectory of {@code n} steps mapped to the same fraction of one of
     * {@code m} steps: 0 ↦ 0, n−1 ↦ m−1, rounded in between.
     */
    public static int mapStep(int i, int n, int m) {
        if (m <= 1) {
            return 0;
        }
        if (n <= 1) {
            return m - 1;
        }
        return (int) Math.round((double) i * (m - 1) / (n - 1));
    }

    /** The name of what it was sampled from: a run's, or a model's. */
    public String runName() {
        return runName;
    }

    public Settings settings() {
        return settings;
    }

    public Geometry geometry() {
        return geometry;
    }

    /** What decodes this latent run's frames (also its final samples), or null for a pixel-space run. */
    LatentDecoder decoder() {
        return decoder;
    }

    /** The recorder handed to the sampler. */
    public Trajectory trajectory() {
        return trajectory;
    }

    /** Steps recorded so far. */
    public int size() {
        return trajectory.size();
    }

    /** Whether every requested step is recorded. */
    public boolean complete() {
        return trajectory.size() == settings.steps();
    }

    /** The timestep of recorded step {@code i}. */
    public int t(int i) {
        return trajectory.get(i).t();
    }

    /** The final samples, once sampling finished (null before, or when cancelled). */
    public SamplingService.Result result() {
        return result;
    }

    void finish(SamplingService.Result r) {
        this.result = r;
        this.checkpointStep = r.checkpointStep();
        this.weights = r.weights();
    }

    /** The checkpoint step the samples came from (0 until known). */
    public long checkpointStep() {
        return checkpointStep;
    }

    public String weights() {
        return weights;
    }

    /** {@code step 3/8 · t = 624}. */
    public String stepLabel(int i) {
        return "step " + i + "/" + settings.steps() + " · t = " + t(i);
    }

    /** Width of a tiled frame in image pixels. */
    public int frameWidth() {
        return Frames.tiledWidth(geometry.n(), geometry.columns(), geometry.imageSize(), 1);
    }

    public int frameHeight() {
        return Frames.tiledHeight(geometry.n(), geometry.columns(), geometry.imageSize(), 1);
    }

    /**
     * The batch of step {@code i} as (n, C, H, W) floats in image space (ε̂ of a latent run: in latent
     * space). May block while a latent frame is decoded.
     */
    public float[] values(int i, FrameKind kind) throws IOException {
        Trajectory.Step s = trajectory.get(i);
        float[] raw = switch (kind) {
            case XT -> s.xt();
            case X0 -> s.predX0();
            case EPS -> s.predEps();
        };
        if (!geometry.latent() || kind == FrameKind.EPS) {
            return raw;
        }
        long key = (long) i * 4 + kind.ordinal();
        synchronized (decoded) {
            float[] hit = decoded.get(key);
            if (hit != null) {
                return hit;
            }
        }
        float[] img = decoder.decode(raw, geometry.n(), geometry.latentSize());
        synchronized (decoded) {
            if (decoded.put(key, img) == null) {
                decodedFloats += img.length;
            }
            var it = decoded.entrySet().iterator();
            while (decodedFloats > CACHE_FLOATS && decoded.size() > 1 && it.hasNext()) {
                decodedFloats -= it.next().getValue().length;
                it.remove();
            }
        }
        return img;
    }

    /** Channels of {@link #values} for {@code kind}. */
    public int channels(FrameKind kind) {
        return geometry.latent() && kind != FrameKind.EPS ? geometry.imageChannels()
                : geometry.latent() ? geometry.latentChannels() : geometry.imageChannels();
    }

    /**
     * Step {@code i} as one picture: the n images tiled ({@link Frames}), all kinds the same size.
     * May block while a latent frame is decoded.
     */
    public BufferedImage frame(int i, FrameKind kind) throws IOException {
        return frame(i, kind, 0, geometry.n(), geometry.columns());
    }

    /**
     * Images {@code from} to {@code from + count − 1} of step {@code i} in one row — one class's row of a sample
     * made one row per class. May block while a latent frame is decoded.
     */
    public BufferedImage frameRow(int i, FrameKind kind, int from, int count) throws IOException {
        if (from < 0 || count < 1 || from + count > geometry.n()) {
            throw new IllegalArgumentException("images " + from + ".." + (from + count - 1) + " of " + geometry.n());
        }
        return frame(i, kind, from, count, count);
    }

    private BufferedImage frame(int i, FrameKind kind, int from, int count, int columns) throws IOException {
        float[] v = values(i, kind);
        boolean latentEps = geometry.latent() && kind == FrameKind.EPS;
        int size = latentEps ? geometry.latentSize() : geometry.imageSize();
        int up = latentEps ? geometry.factor() : 1;
        int c = channels(kind);
        if (from != 0 || count != geometry.n()) {
            int per = c * size * size;
            v = java.util.Arrays.copyOfRange(v, from * per, (from + count) * per);
        }
        BufferedImage img = Frames.tile(v, count, c, size, size, kind.gain(), up, columns);
        int fw = Frames.tiledWidth(count, columns, geometry.imageSize(), 1);
        int fh = Frames.tiledHeight(count, columns, geometry.imageSize(), 1);
        if (img.getWidth() != fw || img.getHeight() != fh) { // f does not divide the size
            BufferedImage fit = new BufferedImage(fw, fh, BufferedImage.TYPE_INT_ARGB);
            java.awt.Graphics2D g = fit.createGraphics();
            g.drawImage(img, 0, 0, fw, fh, null);
            g.dispose();
            return fit;
        }
        return img;
    }

    /** Frees the decoded frames. */
    void clearCache() {
        synchronized (decoded) {
            decoded.clear();
            decodedFloats = 0;
        }
    }

    @Override
    public String toString() {
        return runName + " " + settings.title();
    }
}

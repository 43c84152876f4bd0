package io.ldmstudio.data;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.IndexColorModel;
import java.io.IOException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.stream.ImageInputStream;

/**
 * A folder of image files, searched recursively (symbolic links followed).
 *
 * <p><b>Files.</b> Extensions {@value #EXTENSIONS_TEXT} in any case; what ImageIO decodes (PNG, JPEG,
 * BMP, GIF — first frame — and TIFF). The format is taken from the content, not the extension. JPEGs
 * go through TwelveMonkeys' reader (on the class path, registered through ServiceLoader ahead of the
 * JDK's), which decodes CMYK and YCCK JPEGs — Adobe's inverted samples — to their colours; the JDK's
 * reader gets those colours wrong.
 * Conversion to floats is {@link Pixels#fromImage}: palette, 16-bit and gray images are handled, and
 * <b>alpha is composited on white</b>.
 *
 * <p><b>Labels.</b> Class names are the sorted names of the first-level sub-folders that hold usable
 * images; an image's label is the index of the sub-folder it lies under (at any depth). When every
 * image lies directly in the root there are no classes and every label is 0; when some do and some
 * don't, the root's own images form a class named {@value #ROOT_CLASS}.
 *
 * <p><b>Order.</b> Images are indexed in the order of their relative paths ('/'-separated,
 * string-sorted), so the same folder always gives the same indices.
 *
 * <p><b>Sizes.</b> The width, height and colour type each header states are kept from the scan
 * ({@link #width}, {@link #height}, {@link #colorKind}): statistics need not read the files again.
 *
 * <p><b>Bad files.</b> Scanning reads each file's header (format, width, height): files with other
 * extensions, empty files, unrecognised content, unreadable headers and images whose declared
 * width × height exceeds the decoding budget {@link #MAX_IMAGE_PIXELS} (a "decompression bomb": refused
 * by its declared size, never decoded) are left out and listed in {@link #skipped()} with the reason;
 * hidden files (names starting with '.') are ignored silently. With {@code verify} every image is
 * fully decoded at scan time instead. A file that passes the header check but fails to decode later
 * (truncated data, or any decoder warning but a note about colour profiles, which is treated as
 * failure) is <b>skipped at load</b>: it
 * is added to {@link #skipped()} once, with the reason, and {@link #pixels(int)} (and so
 * {@link #load}) throws an {@link UnreadableImageException} for it — then and on every later call,
 * without decoding again. No other image ever stands in for it: callers leave it out (the
 * {@link DataLoader} takes the next image of its order instead; statistics and reconstructions skip
 * and count it). Its index stays in {@link #size()}, as the scan found it.
 *
 * <p>A folder with no usable image at all is a {@link DataException} naming the folder, the expected
 * extensions, and how many files were skipped.
 */
public final class ImageFolderSource implements ImageSource {
    public static final List<String> EXTENSIONS = List.of("png", "jpg", "jpeg", "bmp", "gif", "tif", "tiff");
    static final String EXTENSIONS_TEXT = ".png, .jpg, .jpeg, .bmp, .gif, .tif, .tiff";
    public static final String ROOT_CLASS = "(root)";
    /**
     * The decoding budget: an image whose header declares more pixels (width × height) is refused
     * without being decoded. Pillow's {@code Image.MAX_IMAGE_PIXELS}, 89,478,485 (a quarter of a
     * gigabyte of 24-bit pixels).
     */
    public static final long MAX_IMAGE_PIXELS = 89_478_485L;

    /** An image's colour type as its header states it (what the file stores, before conversion). */
    public enum ColorKind {
        GRAY("gray"),
        GRAY_ALPHA("gray + alpha"),
        RGB("RGB"),
        RGB_ALPHA("RGB + alpha"),
        PALETTE("palette");

        private final String label;

        ColorKind(String label) {
            this.label = label;
        }

        static ColorKind of(ColorModel cm) {
            if (cm instanceof IndexColorModel) {
                return PALETTE;
            }
            boolean gray = cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY;
            return gray ? (cm.hasAlpha() ? GRAY_ALPHA : GRAY) : (cm.hasAlpha() ? RGB_ALPHA : RGB);
        }

        /** "gray", "gray + alpha", "RGB", "RGB + alpha" or "palette". */
        @Override
        public String toString() {
            return label;
        }
    }

    private final Path root;
    private final List<Path> files;
    private final int[] labels;
    private final int[] widths;
    private final int[] heights;
    private final ColorKind[] kinds;
    private final List<String> classNames;
    private final int channels;
    private final List<Skipped> skipped;
    private final Map<Integer, String> failed = new ConcurrentHashMap<>(); // index → reason

    private ImageFolderSource(Path root, List<Path> files, int[] labels, int[] widths, int[] heights,
            ColorKind[] kinds, List<String> classNames, int channels, List<Skipped> scanSkipped) {
        this.root = root;
        this.files = files;
        this.labels = labels;
        this.widths = widths;
        this.heights = heights;
        this.kinds = kinds;
        this.classNames = classNames;
        this.channels = channels;
        this.skipped = new CopyOnWriteArrayList<>(scanSkipped);
    }

    /** Scans with header checks only. */
    public static ImageFolderSource open(Path root) {
        return open(root, false);
    }

    /** With {@code verify}, decodes every image while scanning (slow, but finds truncated files up front). */
    public static ImageFolderSource open(Path root, boolean verify) {
        if (!Files.exists(root)) {
            throw new DataException("image folder does not exist: " + root);
        }
        if (!Files.isDirectory(root)) {
            throw new DataException("not a folder: " + root + " (data.source = folder expects a folder of "
                    + EXTENSIONS_TEXT + " images, optionally in one sub-folder per class)");
        }
        TreeMap<String, Path> candidates = new TreeMap<>();
        List<Skipped> skipped = new ArrayList<>();
        try {
            Files.walkFileTree(root, EnumSet.of(FileVisitOption.FOLLOW_LINKS), Integer.MAX_VALUE,
                    new SimpleFileVisitor<>() {
                        @Override
                        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                            if (!dir.equals(root) && isHidden(dir)) {
                                return FileVisitResult.SKIP_SUBTREE;
                            }
                            return FileVisitResult.CONTINUE;
                        }

                        @Override
                        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                            if (attrs.isRegularFile() && !isHidden(file)) {
                                candidates.put(relative(root, file), file);
                            }
                            return FileVisitResult.CONTINUE;
                        }

                        @Override
                        public FileVisitResult visitFileFailed(Path file, IOException e) {
                            skipped.add(new Skipped(file.toString(), "cannot be read: " + e));
                            return FileVisitResult.CONTINUE;
                        }
                    });
        } catch (IOException e) {
            throw new DataException("cannot scan image folder " + root + ": " + e.getMessage(), e);
        }

        List<Path> good = new ArrayList<>();
        List<String> rel = new ArrayList<>();
        List<Probe> headers = new ArrayList<>();
        boolean allGray = true;
        for (var entry : candidates.entrySet()) {
            Path file = entry.getValue();
            String ext = extension(file);
            if (!EXTENSIONS.contains(ext)) {
                skipped.add(new Skipped(file.toString(), "not an image file (extension "
                        + (ext.isEmpty() ? "none" : "." + ext) + "; expected " + EXTENSIONS_TEXT + ")"));
                continue;
            }
            Probe probe = verify ? verify(file) : probe(file);
            if (probe.problem != null) {
                skipped.add(new Skipped(file.toString(), probe.problem));
                continue;
            }
            allGray &= probe.gray;
            good.add(file);
            rel.add(entry.getKey());
            headers.add(probe);
        }
        skipped.sort((a, b) -> a.path().compareTo(b.path()));
        if (good.isEmpty()) {
            throw new DataException("no usable images in " + root + ": expected files ending in "
                    + EXTENSIONS_TEXT + " (any case), directly in the folder or in one sub-folder per class"
                    + (skipped.isEmpty() ? "; the folder has no files"
                            : "; " + skipped.size() + " file" + (skipped.size() == 1 ? " was" : "s were")
                                    + " skipped, e.g. " + skipped.get(0).path() + ": " + skipped.get(0).reason()));
        }

        TreeSet<String> classes = new TreeSet<>();
        boolean anyRoot = false;
        for (String r : rel) {
            int slash = r.indexOf('/');
            if (slash < 0) {
                anyRoot = true;
            } else {
                classes.add(r.substring(0, slash));
            }
        }
        List<String> names = new ArrayList<>();
        if (!classes.isEmpty()) {
            if (anyRoot) {
                names.add(ROOT_CLASS);
            }
            names.addAll(classes);
        }
        int[] labels = new int[good.size()];
        for (int i = 0; i < rel.size(); i++) {
            String r = rel.get(i);
            int slash = r.indexOf('/');
            labels[i] = names.isEmpty() ? 0 : names.indexOf(slash < 0 ? ROOT_CLASS : r.substring(0, slash));
        }
        int[] widths = new int[good.size()];
        int[] heights = new int[good.size()];
        ColorKind[] kinds = new ColorKind[good.size()];
        for (int i = 0; i < headers.size(); i++) {
            widths[i] = headers.get(i).width;
            heights[i] = headers.get(i).height;
            kinds[i] = headers.get(i).kind;
        }
        return new ImageFolderSource(root, List.copyOf(good), labels, widths, heights, kinds, List.copyOf(names),
                allGray ? 1 : 3, skipped);
    }

    private static boolean isHidden(Path p) {
        Path name = p.getFileName();
        return name != null && name.toString().startsWith(".");
    }

    private static String relative(Path root, Path file) {
        StringBuilder sb = new StringBuilder();
        for (Path part : root.relativize(file)) {
            if (sb.length() > 0) {
                sb.append('/');
            }
            sb.append(part);
        }
        return sb.toString();
    }

    static String extension(Path file) {
        String n = file.getFileName().toString();
        int dot = n.lastIndexOf('.');
        return dot < 0 ? "" : n.substring(dot + 1).toLowerCase(Locale.ROOT);
    }

    /**
     * What a header says, or the problem that leaves the file out; {@code gray} decides
     * {@link #channels()} (the raw type's colour space is gray).
     */
    private record Probe(String problem, boolean gray, int width, int height, ColorKind kind) {
        static Probe bad(String problem) {
            return new Probe(problem, false, 0, 0, null);
        }
    }

    private static Probe probe(Path file) {
        try {
            if (Files.size(file) == 0) {
                return Probe.bad("empty file (0 bytes)");
            }
        } catch (IOException e) {
            return Probe.bad("cannot be read: " + e);
        }
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) {
                return Probe.bad("cannot be opened");
            }
            Iterator<ImageReader> it = ImageIO.getImageReaders(in);
            if (!it.hasNext()) {
                return Probe.bad("not a recognised image format (content is not PNG, JPEG, BMP, GIF or TIFF)");
            }
            ImageReader reader = it.next();
            try {
                reader.setInput(in, true, true);
                int w = reader.getWidth(0);
                int h = reader.getHeight(0);
                if (w <= 0 || h <= 0) {
                    return Probe.bad("image has no pixels (" + w + "x" + h + ")");
                }
                String tooLarge = overBudget(w, h);
                if (tooLarge != null) {
                    return Probe.bad(tooLarge);
                }
                boolean gray = false;
                ColorKind kind = ColorKind.RGB;
                try {
                    ImageTypeSpecifier t = reader.getRawImageType(0);
                    gray = t != null && t.getColorModel().getColorSpace().getType() == ColorSpace.TYPE_GRAY;
                    if (t == null) {
                        Iterator<ImageTypeSpecifier> types = reader.getImageTypes(0);
                        t = types.hasNext() ? types.next() : null;
                    }
                    if (t != null) {
                        kind = ColorKind.of(t.getColorModel());
                    }
                } catch (IOException | RuntimeException e) {
                    // type unknown: treat as colour
                }
                return new Probe(null, gray, w, h, kind);
            } finally {
                reader.dispose();
            }
        } catch (IOException | RuntimeException e) {
            return Probe.bad("unreadable " + reader(file) + "header: " + message(e));
        }
    }

    private static Probe verify(Path file) {
        Probe p = probe(file);
        if (p.problem != null) {
            return p;
        }
        try {
            Pixels px = decode(file);
            return new Probe(null, px.channels() == 1, p.width, p.height, p.kind);
        } catch (DecodeException e) {
            return Probe.bad(e.getMessage());
        }
    }

    /**
     * Whether a decoder warning is only about colour management — the pixels are all there. The JPEG
     * reader warns so when a CMYK JPEG has no (or a bad) embedded ICC profile and it converts with
     * its built-in CMYK → RGB formula.
     */
    static boolean colourNote(String warning) {
        return warning != null && warning.contains("ICC");
    }

    /** Null when a declared size is within {@link #MAX_IMAGE_PIXELS}, else the reason to refuse it. */
    static String overBudget(int width, int height) {
        long pixels = (long) width * height;
        if (pixels <= MAX_IMAGE_PIXELS) {
            return null;
        }
        return String.format(Locale.ROOT, "declared size %dx%d (%,d pixels) exceeds the decoding budget of %,d pixels;"
                + " not decoded (a decompression bomb, or an image too large to train on)", width, height, pixels,
                MAX_IMAGE_PIXELS);
    }

    private static String reader(Path file) {
        String ext = extension(file);
        return ext.isEmpty() ? "" : ext.toUpperCase(Locale.ROOT) + " ";
    }

    private static String message(Throwable e) {
        String m = e.getMessage();
        return m == null ? e.getClass().getSimpleName() : m;
    }

    /** A decode failure; the message is the reason shown to the user. */
    static final class DecodeException extends Exception {
        DecodeException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /**
     * Decodes the first image of a file; decoder warnings count as failures (except notes about the
     * colour profile, see {@link #colourNote}), and so does a declared
     * size over {@link #MAX_IMAGE_PIXELS} (checked again: the file may have changed since the scan).
     */
    static Pixels decode(Path file) throws DecodeException {
        try (ImageInputStream in = ImageIO.createImageInputStream(file.toFile())) {
            if (in == null) {
                throw new DecodeException("cannot be opened", null);
            }
            Iterator<ImageReader> it = ImageIO.getImageReaders(in);
            if (!it.hasNext()) {
                throw new DecodeException("not a recognised image format", null);
            }
            ImageReader reader = it.next();
            List<String> warnings = new ArrayList<>();
            try {
                reader.setInput(in, true, true);
                String tooLarge = overBudget(reader.getWidth(0), reader.getHeight(0));
                if (tooLarge != null) {
                    throw new DecodeException(tooLarge, null);
                }
                reader.addIIOReadWarningListener((src, warning) -> {
                    if (!colourNote(warning)) {
                        warnings.add(warning);
                    }
                });
                BufferedImage img = reader.read(0);
                if (!warnings.isEmpty()) {
                    throw new DecodeException("decoder warning: " + warnings.get(0), null);
                }
                return Pixels.fromImage(img);
            } finally {
                reader.dispose();
            }
        } catch (DecodeException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new DecodeException("failed to decode: " + message(e), e);
        }
    }

    @Override
    public int size() {
        return files.size();
    }

    /** 1 when every image's header says gray, else 3. */
    @Override
    public int channels() {
        return channels;
    }

    @Override
    public String describe() {
        return "image folder " + root + ": " + files.size() + " images"
                + (classNames.isEmpty() ? "" : " in " + classNames.size() + " classes")
                + (skipped.isEmpty() ? "" : ", " + skipped.size() + " files skipped");
    }

    @Override
    public List<String> classNames() {
        return classNames;
    }

    @Override
    public int label(int i) {
        return labels[i];
    }

    public Path root() {
        return root;
    }

    public Path file(int i) {
        return files.get(i);
    }

    /** Width of image {@code i} in pixels, from the header read while scanning. */
    public int width(int i) {
        return widths[i];
    }

    /** Height of image {@code i} in pixels, from the header read while scanning. */
    public int height(int i) {
        return heights[i];
    }

    /** The colour type image {@code i}'s header states (read while scanning). */
    public ColorKind colorKind(int i) {
        return kinds[i];
    }

    @Override
    public List<Skipped> skipped() {
        return List.copyOf(skipped);
    }

    /**
     * Decodes image {@code i}. When its file does not decode, lists it in {@link #skipped()} (once) and
     * throws an {@link UnreadableImageException} naming it — on this and every later call; another
     * image's pixels are never returned.
     */
    @Override
    public Pixels pixels(int i) {
        int n = files.size();
        if (i < 0 || i >= n) {
            throw new IndexOutOfBoundsException("image " + i + " of " + n);
        }
        String known = failed.get(i);
        if (known != null) {
            throw new UnreadableImageException(i, files.get(i).toString(), known);
        }
        try {
            return decode(files.get(i));
        } catch (DecodeException e) {
            if (failed.putIfAbsent(i, e.getMessage()) == null) {
                skipped.add(new Skipped(files.get(i).toString(), e.getMessage()));
            }
            throw new UnreadableImageException(i, files.get(i).toString(), failed.get(i));
        }
    }
}

package io.ldmstudio.ui.common;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferInt;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.IntBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.DoubleFunction;
import java.util.function.Function;
import javafx.application.Platform;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.SimpleObjectProperty;
import javafx.geometry.Insets;
import javafx.scene.control.ContextMenu;
import javafx.scene.control.Label;
import javafx.scene.control.MenuItem;
import javafx.scene.control.SeparatorMenuItem;
import javafx.scene.image.ImageView;
import javafx.scene.image.PixelBuffer;
import javafx.scene.image.PixelFormat;
import javafx.scene.image.WritableImage;
import javafx.scene.input.Clipboard;
import javafx.scene.input.ClipboardContent;
import javafx.scene.input.MouseButton;
import javafx.scene.input.MouseEvent;
import javafx.scene.input.ScrollEvent;
import javafx.scene.layout.Region;
import javafx.scene.shape.Line;
import javafx.scene.shape.Rectangle;
import javafx.stage.FileChooser;
import javafx.stage.Window;
import org.jfree.chart.ChartRenderingInfo;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.LogAxis;
import org.jfree.chart.axis.ValueAxis;
import org.jfree.chart.plot.XYPlot;

/**
 * A JFreeChart drawn off the FX thread and shown as an image, with the interactions of a chart viewer:
 * drag a rectangle to zoom, scroll to zoom the steps around the pointer, double-click (or the menu) to
 * reset, a readout of the values under the pointer, and copy or save as PNG from the right-click menu.
 *
 * <p>Why not JFreeChart-FX's {@code ChartViewer}: its canvas records every line and label of the
 * chart on the FX thread, and the render thread then rasterises them; with live training charts on a
 * machine whose cores the trainer keeps busy, that made single pulses 60–80 ms long. Here the chart
 * is drawn with Java2D into a bitmap on one shared {@code chart-renderer} thread; the FX thread only
 * copies the finished pixels (a few hundred microseconds) and the render thread blits them.
 *
 * <p>Threading: the {@link JFreeChart} belongs to the renderer thread once the view is built — change
 * it only through {@link #update} (or the {@link #setBeforeDraw} hook) and read it only through
 * {@link #read}. Everything else here is used on the FX thread. While the view is hidden (its tab is
 * not in front) nothing is drawn; {@link #shown} catches up.
 */
public final class ChartView extends Region {
    private static final ExecutorService RENDERER = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "chart-renderer");
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        return t;
    });
    /** A drag shorter than this (pixels) is a click, not a zoom. */
    static final double MIN_DRAG = 6;

    /** What one draw produced: the pixels and where the plot's data area and axes were. */
    record Frame(long seq, int[] argb, int pixelWidth, int pixelHeight, double width, double height,
            Rectangle2D dataArea, double xLo, double xHi, double yLo, double yHi, boolean yLog) {}

    /** A step range (x axis); {@code null} in {@link #windowProperty()} means the full, automatic range. */
    public record Range(double lower, double upper) {}

    private final JFreeChart chart;
    private final ConcurrentLinkedQueue<Consumer<JFreeChart>> changes = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    private final AtomicLong requested = new AtomicLong();
    private volatile double requestWidth;
    private volatile double requestHeight;
    private volatile double requestScale = 1;
    private BufferedImage canvas; // renderer thread
    private volatile Consumer<JFreeChart> beforeDraw;
    private boolean deferred; // FX thread

    private final ImageView view = new ImageView();
    private final Rectangle band = new Rectangle();
    private final Line guide = new Line();
    private final Label readout = new Label();
    private final ReadOnlyObjectWrapper<Range> window = new ReadOnlyObjectWrapper<>(this, "window");
    private final ObjectProperty<DoubleFunction<String>> readoutText = new SimpleObjectProperty<>(this, "readoutText");
    private final List<Waiter> waiters = new ArrayList<>();
    private final ContextMenu menu = new ContextMenu();
    private WritableImage image;
    private PixelBuffer<IntBuffer> pixels;
    private Frame shown;
    private long frames;
    private double pressX = Double.NaN;
    private double pressY = Double.NaN;
    private Consumer<Throwable> onError = e -> {};

    private record Waiter(long seq, CompletableFuture<Void> done) {}

    public ChartView(JFreeChart chart) {
        this.chart = chart;
        getStyleClass().add("chart-view");
        view.setManaged(false);
        view.setSmooth(false);
        band.setManaged(false);
        band.setVisible(false);
        band.setMouseTransparent(true);
        band.setStyle("-fx-fill: rgba(31, 91, 196, 0.12); -fx-stroke: rgba(31, 91, 196, 0.8); -fx-stroke-width: 1;");
        guide.setManaged(false);
        guide.setVisible(false);
        guide.setMouseTransparent(true);
        guide.setStyle("-fx-stroke: rgba(48, 53, 60, 0.45); -fx-stroke-dash-array: 3 3;");
        readout.setManaged(false);
        readout.setVisible(false);
        readout.setMouseTransparent(true);
        readout.getStyleClass().add("chart-readout");
        readout.setStyle("-fx-background-color: rgba(255, 255, 255, 0.92); -fx-border-color: #c6ccd4; "
                + "-fx-font-size: 11px; -fx-text-fill: #30353c;");
        readout.setPadding(new Insets(2, 6, 2, 6));
        getChildren().addAll(view, band, guide, readout);
        setMinSize(50, 50);

        MenuItem reset = new MenuItem("Reset zoom");
        reset.setOnAction(e -> resetZoom());
        MenuItem copy = new MenuItem("Copy image");
        copy.setOnAction(e -> copyImage());
        MenuItem save = new MenuItem("Save as PNG…");
        save.setOnAction(e -> saveAsPng());
        menu.getItems().addAll(reset, new SeparatorMenuItem(), copy, save);

        setOnMousePressed(this::pressed);
        setOnMouseDragged(this::dragged);
        setOnMouseReleased(this::released);
        setOnMouseMoved(this::moved);
        setOnMouseExited(e -> hideReadout());
        setOnScroll(this::scrolled);
        setOnContextMenuRequested(e -> menu.show(this, e.getScreenX(), e.getScreenY()));
        widthProperty().addListener((o, a, b) -> resized());
        heightProperty().addListener((o, a, b) -> resized());
        sceneProperty().addListener((o, a, s) -> resized());
    }

    // ---- the renderer side ----

    /** Changes the chart on the renderer thread, then redraws it (coalesced with other changes). */
    public void update(Consumer<JFreeChart> change) {
        changes.add(change);
        requested.incrementAndGet(); // after adding: a draw that sees this number has the change
        schedule();
    }

    /** Reads from the chart on the renderer thread, after the changes asked for so far. */
    public <T> CompletableFuture<T> read(Function<JFreeChart, T> reader) {
        CompletableFuture<T> result = new CompletableFuture<>();
        update(c -> {
            try {
                result.complete(reader.apply(c));
            } catch (RuntimeException e) {
                result.completeExceptionally(e);
            }
        });
        return result;
    }

    /**
     * Completes on the FX thread once a frame with every change asked for so far is on screen (tests,
     * screenshots).
     */
    public CompletableFuture<Void> rendered() {
        CompletableFuture<Void> done = new CompletableFuture<>();
        long seq = requested.get();
        if (shown != null && shown.seq() >= seq) {
            done.complete(null);
        } else {
            waiters.add(new Waiter(seq, done));
            // a draw that covers every request is queued or under way, unless the view held it back
            if (deferred || shown == null) {
                deferred = false;
                schedule(true);
            }
        }
        return done;
    }

    /**
     * Redraws with whatever {@link #setBeforeDraw} hands the chart then, without queueing a change: for
     * data that arrives faster than frames are drawn, only the newest of which matters.
     */
    public void redraw() {
        requested.incrementAndGet();
        schedule();
    }

    /**
     * Called on the renderer thread before each draw, after the queued changes: where live data is
     * put into the chart ({@code null} for nothing).
     */
    public void setBeforeDraw(Consumer<JFreeChart> beforeDraw) {
        this.beforeDraw = beforeDraw;
    }

    /** Draws what was held back while the view was hidden (call when its pane comes to the front). */
    public void shown() {
        if (deferred) {
            deferred = false;
            schedule(true);
        }
    }

    private void schedule() {
        schedule(false);
    }

    /** Queues a draw, unless the view is hidden (another tab is in front): then at {@link #shown}. */
    private void schedule(boolean evenIfHidden) {
        if (!evenIfHidden && Platform.isFxApplicationThread() && !showing()) {
            deferred = true;
            return;
        }
        if (scheduled.compareAndSet(false, true)) {
            RENDERER.execute(this::render);
        }
    }

    /** Whether the view is on screen: in a showing window, with it and every parent visible. */
    private boolean showing() {
        for (javafx.scene.Node n = this; n != null; n = n.getParent()) {
            if (!n.isVisible()) {
                return false;
            }
        }
        return getScene() != null && getScene().getWindow() != null && getScene().getWindow().isShowing();
    }

    private void render() {
        scheduled.set(false); // a change from now on schedules another draw
        long seq = requested.get();
        for (Consumer<JFreeChart> c; (c = changes.poll()) != null;) {
            try {
                c.accept(chart);
            } catch (RuntimeException e) {
                Platform.runLater(() -> onError.accept(e));
            }
        }
        Consumer<JFreeChart> before = beforeDraw;
        if (before != null) {
            try {
                before.accept(chart);
            } catch (RuntimeException e) {
                Platform.runLater(() -> onError.accept(e));
            }
        }
        double w = requestWidth;
        double h = requestHeight;
        double scale = requestScale;
        int pw = (int) Math.ceil(w * scale);
        int ph = (int) Math.ceil(h * scale);
        if (pw < 1 || ph < 1) {
            Frame empty = new Frame(seq, null, 0, 0, w, h, new Rectangle2D.Double(), 0, 1, 0, 1, false);
            Platform.runLater(() -> show(empty));
            return;
        }
        try {
            if (canvas == null || canvas.getWidth() != pw || canvas.getHeight() != ph) {
                canvas = new BufferedImage(pw, ph, BufferedImage.TYPE_INT_ARGB_PRE);
            }
            Graphics2D g = canvas.createGraphics();
            try {
                g.setRenderingHint(RenderingHints.KEY_STROKE_CONTROL, RenderingHints.VALUE_STROKE_PURE);
                g.scale(scale, scale);
                g.setBackground(chart.getBackgroundPaint() instanceof Color c ? c : Color.WHITE);
                g.clearRect(0, 0, (int) Math.ceil(w), (int) Math.ceil(h));
                ChartRenderingInfo info = new ChartRenderingInfo();
                chart.draw(g, new Rectangle2D.Double(0, 0, w, h), info);
                XYPlot plot = chart.getXYPlot();
                ValueAxis x = plot.getDomainAxis();
                ValueAxis y = plot.getRangeAxis();
                int[] argb = ((DataBufferInt) canvas.getRaster().getDataBuffer()).getData().clone();
                Frame f = new Frame(seq, argb, pw, ph, w, h, (Rectangle2D) info.getPlotInfo().getDataArea().clone(),
                        x.getLowerBound(), x.getUpperBound(), y.getLowerBound(), y.getUpperBound(), y instanceof LogAxis);
                Platform.runLater(() -> show(f));
            } finally {
                g.dispose();
            }
        } catch (RuntimeException e) {
            Frame empty = new Frame(seq, null, 0, 0, w, h, new Rectangle2D.Double(), 0, 1, 0, 1, false);
            Platform.runLater(() -> {
                show(empty);
                onError.accept(e);
            });
        }
    }

    // ---- the FX side ----

    private void show(Frame f) {
        if (shown != null && f.seq() < shown.seq()) {
            return; // an older draw overtaken by a newer one
        }
        if (f.argb() != null) {
            if (image == null || (int) image.getWidth() != f.pixelWidth() || (int) image.getHeight() != f.pixelHeight()) {
                // the image shares this buffer in the renderer's own pixel format: showing a frame is one
                // block copy, with no per-pixel conversion on the FX thread
                pixels = new PixelBuffer<>(f.pixelWidth(), f.pixelHeight(), IntBuffer.allocate(f.pixelWidth() * f.pixelHeight()),
                        PixelFormat.getIntArgbPreInstance());
                image = new WritableImage(pixels);
                view.setImage(image);
            }
            pixels.updateBuffer(b -> {
                IntBuffer buffer = b.getBuffer();
                buffer.clear();
                buffer.put(f.argb());
                return null; // all of it changed
            });
            view.setFitWidth(f.width());
            view.setFitHeight(f.height());
            frames++;
        }
        shown = f;
        for (Iterator<Waiter> it = waiters.iterator(); it.hasNext();) {
            Waiter w = it.next();
            if (w.seq() <= f.seq()) {
                it.remove();
                w.done().complete(null);
            }
        }
    }

    private void resized() {
        double w = Math.floor(getWidth());
        double h = Math.floor(getHeight());
        Window win = getScene() == null ? null : getScene().getWindow();
        double scale = win == null ? 1 : Math.max(1, win.getRenderScaleX());
        if (w != requestWidth || h != requestHeight || scale != requestScale) {
            requestWidth = w;
            requestHeight = h;
            requestScale = scale;
            redraw();
        }
    }

    @Override
    protected void layoutChildren() {
        view.relocate(0, 0);
        if (readout.isVisible()) {
            readout.autosize();
        }
    }

    /** The last frame shown, {@code null} before the first (tests). */
    Frame frame() {
        return shown;
    }

    /** The picture on screen (tests). */
    WritableImage image() {
        return image;
    }

    /** Frames shown so far (tests). */
    public long frames() {
        return frames;
    }

    /**
     * The step range shown when zoomed in, {@code null} when the chart shows everything. Follows drag,
     * scroll and reset; whoever feeds the chart may thin its data to this window.
     */
    public ReadOnlyObjectProperty<Range> windowProperty() {
        return window.getReadOnlyProperty();
    }

    /** How the values under the pointer at step {@code x} read; {@code null} shows none. */
    public ObjectProperty<DoubleFunction<String>> readoutTextProperty() {
        return readoutText;
    }

    /** Where drawing errors go (FX thread); the chart keeps showing its last good frame. */
    public void setOnError(Consumer<Throwable> onError) {
        this.onError = onError;
    }

    /** Shows steps {@code lower..upper}; the values axis fits what is there, or {@code yLower..yUpper} if given. */
    public void zoom(double lower, double upper, double yLower, double yUpper) {
        if (!(upper > lower)) {
            return;
        }
        window.set(new Range(lower, upper));
        boolean fitY = Double.isNaN(yLower) || !(yUpper > yLower);
        update(c -> {
            XYPlot p = c.getXYPlot();
            p.getDomainAxis().setRange(lower, upper);
            if (fitY) {
                p.getRangeAxis().setAutoRange(true);
            } else {
                p.getRangeAxis().setRange(yLower, yUpper);
            }
        });
    }

    /** Back to the full range on both axes. */
    public void resetZoom() {
        window.set(null);
        update(c -> {
            XYPlot p = c.getXYPlot();
            p.getDomainAxis().setAutoRange(true);
            p.getRangeAxis().setAutoRange(true);
        });
    }

    /** The step at {@code px} pixels from the view's left edge, in the last frame shown (NaN before one). */
    public double stepAt(double px) {
        Frame f = shown;
        if (f == null || f.dataArea().getWidth() <= 0) {
            return Double.NaN;
        }
        Rectangle2D a = f.dataArea();
        return f.xLo() + (px - a.getMinX()) / a.getWidth() * (f.xHi() - f.xLo());
    }

    /** The value at {@code py} pixels from the view's top edge, in the last frame shown (NaN before one). */
    public double valueAt(double py) {
        Frame f = shown;
        if (f == null || f.dataArea().getHeight() <= 0) {
            return Double.NaN;
        }
        Rectangle2D a = f.dataArea();
        double t = (a.getMaxY() - py) / a.getHeight();
        if (f.yLog() && f.yLo() > 0 && f.yHi() > 0) {
            return Math.exp(Math.log(f.yLo()) + t * (Math.log(f.yHi()) - Math.log(f.yLo())));
        }
        return f.yLo() + t * (f.yHi() - f.yLo());
    }

    private boolean inData(double x, double y) {
        return shown != null && shown.dataArea().contains(x, y);
    }

    private void pressed(MouseEvent e) {
        menu.hide();
        if (e.getButton() != MouseButton.PRIMARY) {
            return;
        }
        if (e.getClickCount() == 2) {
            resetZoom();
            return;
        }
        if (inData(e.getX(), e.getY())) {
            pressX = e.getX();
            pressY = e.getY();
        }
    }

    private void dragged(MouseEvent e) {
        if (Double.isNaN(pressX)) {
            return;
        }
        Rectangle2D a = shown.dataArea();
        double x = clamp(e.getX(), a.getMinX(), a.getMaxX());
        double y = clamp(e.getY(), a.getMinY(), a.getMaxY());
        band.setX(Math.min(pressX, x));
        band.setY(Math.min(pressY, y));
        band.setWidth(Math.abs(x - pressX));
        band.setHeight(Math.abs(y - pressY));
        band.setVisible(true);
        hideReadout();
    }

    private void released(MouseEvent e) {
        if (Double.isNaN(pressX)) {
            return;
        }
        band.setVisible(false);
        Rectangle2D a = shown.dataArea();
        double x = clamp(e.getX(), a.getMinX(), a.getMaxX());
        double y = clamp(e.getY(), a.getMinY(), a.getMaxY());
        double x0 = pressX;
        double y0 = pressY;
        pressX = Double.NaN;
        pressY = Double.NaN;
        if (Math.abs(x - x0) < MIN_DRAG) {
            return;
        }
        double lo = stepAt(Math.min(x0, x));
        double hi = stepAt(Math.max(x0, x));
        if (Math.abs(y - y0) < MIN_DRAG) {
            zoom(lo, hi, Double.NaN, Double.NaN);
        } else {
            zoom(lo, hi, valueAt(Math.max(y0, y)), valueAt(Math.min(y0, y)));
        }
    }

    private void scrolled(ScrollEvent e) {
        if (e.getDeltaY() == 0 || !inData(e.getX(), e.getY())) {
            return;
        }
        double at = stepAt(e.getX());
        double lo = shown.xLo();
        double hi = shown.xHi();
        double factor = e.getDeltaY() > 0 ? 0.8 : 1.25;
        zoom(at - (at - lo) * factor, at + (hi - at) * factor, Double.NaN, Double.NaN);
        e.consume();
    }

    private void moved(MouseEvent e) {
        DoubleFunction<String> text = readoutText.get();
        if (text == null || !inData(e.getX(), e.getY())) {
            hideReadout();
            return;
        }
        String s = text.apply(stepAt(e.getX()));
        if (s == null || s.isEmpty()) {
            hideReadout();
            return;
        }
        Rectangle2D a = shown.dataArea();
        guide.setStartX(e.getX());
        guide.setEndX(e.getX());
        guide.setStartY(a.getMinY());
        guide.setEndY(a.getMaxY());
        guide.setVisible(true);
        readout.setText(s);
        readout.setVisible(true);
        readout.autosize();
        double w = readout.getWidth();
        double left = e.getX() + 12 + w <= a.getMaxX() ? e.getX() + 12 : e.getX() - 12 - w;
        readout.relocate(Math.max(a.getMinX(), left), a.getMinY() + 6);
    }

    private void hideReadout() {
        guide.setVisible(false);
        readout.setVisible(false);
    }

    /** The readout's text now, or empty when hidden (tests). */
    public String readoutShown() {
        return readout.isVisible() ? readout.getText() : "";
    }

    private void copyImage() {
        if (image != null) {
            ClipboardContent c = new ClipboardContent();
            c.putImage(image);
            Clipboard.getSystemClipboard().setContent(c);
        }
    }

    private void saveAsPng() {
        FileChooser chooser = new FileChooser();
        chooser.setTitle("Save chart as PNG");
        chooser.getExtensionFilters().add(new FileChooser.ExtensionFilter("PNG image", "*.png"));
        chooser.setInitialFileName("chart.png");
        java.io.File file = chooser.showSaveDialog(getScene() == null ? null : getScene().getWindow());
        if (file != null) {
            savePng(file.toPath(), 2).whenComplete((v, e) -> {
                if (e != null) {
                    Platform.runLater(() -> onError.accept(e));
                }
            });
        }
    }

    /**
     * Writes the chart as it is now to {@code file} as a PNG of the view's size times {@code scale}
     * (sharp for reports), through a temporary file so a failure leaves nothing half-written.
     */
    public CompletableFuture<Path> savePng(Path file, double scale) {
        int w = (int) Math.max(1, requestWidth);
        int h = (int) Math.max(1, requestHeight);
        CompletableFuture<Path> done = new CompletableFuture<>();
        update(c -> {
            Path tmp = file.resolveSibling(file.getFileName() + ".part");
            try {
                try (OutputStream out = Files.newOutputStream(tmp)) {
                    ChartUtils.writeScaledChartAsPNG(out, c, w, h, (int) Math.round(scale), (int) Math.round(scale));
                }
                Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
                done.complete(file);
            } catch (IOException | RuntimeException e) {
                try {
                    Files.deleteIfExists(tmp);
                } catch (IOException ignored) {
                    // the first failure is the one to report
                }
                done.completeExceptionally(new IOException(String.format(Locale.ROOT, "could not write the chart to %s: %s",
                        file, e.getMessage()), e));
            }
        });
        return done;
    }

    private static double clamp(double v, double lo, double hi) {
        return Math.max(lo, Math.min(hi, v));
    }
}

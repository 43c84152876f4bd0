package io.ldmstudio.ui.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.ui.StudioFixture;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.geom.Rectangle2D;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import javafx.geometry.Bounds;
import javafx.scene.Scene;
import javafx.scene.image.WritableImage;
import javafx.scene.input.MouseButton;
import javafx.scene.layout.StackPane;
import javafx.stage.Stage;
import javax.imageio.ImageIO;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.NumberAxis;
import org.jfree.chart.plot.PlotRenderingInfo;
import org.jfree.chart.plot.PlotState;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/** The off-thread chart: what it draws where, and the zoom, readout and export a chart viewer offers. */
@ExtendWith(ApplicationExtension.class)
class ChartViewTest {
    static final int W = 600;
    static final int H = 400;
    /** Threads {@code XYPlot.draw} ran on. */
    final Set<String> drawnOn = ConcurrentHashMap.newKeySet();
    final XYSeries series = new XYSeries("flat");
    ChartView view;
    Stage stage;

    @Start
    void start(Stage stage) {
        this.stage = stage;
        // a flat red line at 5 from step 0 to 100, and a blue one rising: where they are is known
        for (int x = 0; x <= 100; x++) {
            series.add(x, 5.0);
        }
        XYSeries rising = new XYSeries("rising");
        for (int x = 0; x <= 100; x++) {
            rising.add(x, x / 10.0);
        }
        XYSeriesCollection data = new XYSeriesCollection();
        data.addSeries(series);
        data.addSeries(rising);
        XYLineAndShapeRenderer r = new XYLineAndShapeRenderer(true, false);
        r.setSeriesPaint(0, Color.RED);
        r.setSeriesStroke(0, new java.awt.BasicStroke(3f));
        r.setSeriesPaint(1, Color.BLUE);
        NumberAxis x = new NumberAxis("step");
        NumberAxis y = new NumberAxis("value");
        XYPlot plot = new XYPlot(data, x, y, r) {
            @Override
            public void draw(Graphics2D g2, Rectangle2D area, java.awt.geom.Point2D anchor, PlotState parentState,
                    PlotRenderingInfo info) {
                drawnOn.add(Thread.currentThread().getName());
                super.draw(g2, area, anchor, parentState, info);
            }
        };
        JFreeChart chart = new JFreeChart(null, JFreeChart.DEFAULT_TITLE_FONT, plot, false);
        chart.setBackgroundPaint(Color.WHITE);
        plot.setBackgroundPaint(Color.WHITE);
        plot.setDomainGridlinesVisible(false);
        plot.setRangeGridlinesVisible(false);
        view = new ChartView(chart);
        view.readoutTextProperty().set(step -> String.format(java.util.Locale.ROOT, "step %.1f", step));
        stage.setScene(new Scene(new StackPane(view), W, H));
        stage.show();
    }

    static <T> T fx(Supplier<T> s) {
        AtomicReference<T> out = new AtomicReference<>();
        StudioFixture.onFx(() -> out.set(s.get()));
        return out.get();
    }

    static <T> T get(CompletableFuture<T> f) {
        try {
            return f.get(30, TimeUnit.SECONDS);
        } catch (InterruptedException | java.util.concurrent.TimeoutException e) {
            throw new AssertionError(e);
        } catch (ExecutionException e) {
            throw new AssertionError(e.getCause());
        }
    }

    private ChartView.Frame rendered() {
        get(fx(view::rendered));
        WaitForAsyncUtils.waitForFxEvents();
        return fx(view::frame);
    }

    /** The image's colour at (x, y) as 0xRRGGBB. */
    private int rgb(int x, int y) {
        return fx(() -> view.image().getPixelReader().getArgb(x, y)) & 0xFFFFFF;
    }

    private static boolean reddish(int rgb) {
        return ((rgb >> 16) & 0xFF) > 180 && ((rgb >> 8) & 0xFF) < 120 && (rgb & 0xFF) < 120;
    }

    /** The pixel row (in the view) where the value {@code v} is drawn, from the frame's mapping. */
    private static double rowOf(ChartView.Frame f, double v) {
        Rectangle2D a = f.dataArea();
        return a.getMaxY() - (v - f.yLo()) / (f.yHi() - f.yLo()) * a.getHeight();
    }

    private static double columnOf(ChartView.Frame f, double step) {
        Rectangle2D a = f.dataArea();
        return a.getMinX() + (step - f.xLo()) / (f.xHi() - f.xLo()) * a.getWidth();
    }

    @Test
    void drawsOffTheFxThreadAndShowsThePictureTheMappingDescribes() {
        ChartView.Frame f = rendered();
        assertEquals(Set.of("chart-renderer"), drawnOn, "XYPlot.draw ran only on the renderer thread");
        WritableImage img = fx(view::image);
        assertEquals(W, (int) img.getWidth());
        assertEquals(H, (int) img.getHeight());
        // the axes cover the data: 0..100 steps, 0..10 values (with JFreeChart's margins)
        assertTrue(f.xLo() <= 0 && f.xHi() >= 100 && f.xHi() < 110, f.xLo() + ".." + f.xHi());
        assertTrue(f.yLo() <= 0 && f.yHi() >= 10 && f.yHi() < 12, f.yLo() + ".." + f.yHi());
        // the red line at value 5 is where the mapping puts 5, across the plot
        for (double step : new double[] {10, 50, 90}) {
            int col = (int) Math.round(columnOf(f, step));
            int row = (int) Math.round(rowOf(f, 5));
            boolean found = false;
            for (int dy = -2; dy <= 2 && !found; dy++) {
                found = reddish(rgb(col, row + dy));
            }
            assertTrue(found, "red line at step " + step + " near row " + row);
            assertFalse(reddish(rgb(col, row + 20)), "nothing red 20 px below the line");
            // the inverse mapping reads the same numbers back
            assertEquals(step, fx(() -> view.stepAt(col)), (f.xHi() - f.xLo()) / f.dataArea().getWidth());
            assertEquals(5.0, fx(() -> view.valueAt(row)), (f.yHi() - f.yLo()) / f.dataArea().getHeight());
        }
    }

    @Test
    void aChangeRedrawsAndTheFrameFollows() {
        ChartView.Frame before = rendered();
        long frames = fx(view::frames);
        StudioFixture.onFx(() -> view.update(c -> series.add(200, 5.0)));
        ChartView.Frame after = rendered();
        assertTrue(after.seq() > before.seq());
        assertTrue(fx(view::frames) > frames);
        assertTrue(after.xHi() >= 200, "the new point widened the axis: " + after.xHi());
        // reads see every change asked for before them
        int items = get(fx(() -> view.read(c -> c.getXYPlot().getDataset().getItemCount(0))));
        assertEquals(102, items);
    }

    @Test
    void nothingIsDrawnWhileHiddenAndTheLatestDataOnceShown() throws Exception {
        rendered();
        long frames = fx(view::frames);
        StudioFixture.onFx(() -> view.getParent().setVisible(false)); // as a tab not in front
        int[] fed = {0};
        view.setBeforeDraw(c -> {
            fed[0]++;
            XYSeries s = ((XYSeriesCollection) c.getXYPlot().getDataset()).getSeries(0);
            s.add(100 + fed[0], 5.0);
        });
        for (int i = 0; i < 20; i++) {
            StudioFixture.onFx(view::redraw);
        }
        Thread.sleep(300);
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals(frames, fx(view::frames), "no frame while hidden");
        assertEquals(0, fed[0], "not even the data hook ran");
        StudioFixture.onFx(() -> {
            view.getParent().setVisible(true);
            view.shown();
        });
        ChartView.Frame f = rendered();
        assertEquals(1, fed[0], "twenty redraws asked for while hidden make one draw");
        assertTrue(f.xHi() >= 101, "the data handed in shows: " + f.xHi());
        view.setBeforeDraw(null);
    }

    @Test
    void resizingDrawsAFrameOfTheNewSize() {
        rendered();
        // the view narrows (not the stage: TestFX shares it with the test classes after this one)
        StudioFixture.onFx(() -> view.setMaxWidth(420));
        WaitForAsyncUtils.waitForFxEvents();
        ChartView.Frame f = rendered();
        assertEquals(fx(() -> Math.floor(view.getWidth())), f.width());
        assertEquals(420.0, f.width());
        assertEquals((int) f.width(), (int) fx(view::image).getWidth());
        StudioFixture.onFx(() -> view.setMaxWidth(Double.MAX_VALUE));
    }

    @Test
    void draggingZoomsDoubleClickResets(FxRobot robot) {
        ChartView.Frame f = rendered();
        Bounds b = fx(() -> view.localToScreen(view.getBoundsInLocal()));
        double y = f.dataArea().getCenterY();
        double x0 = columnOf(f, 20);
        double x1 = columnOf(f, 60);
        // a horizontal drag: steps 20..60, values fitted to what is there
        robot.moveTo(new javafx.geometry.Point2D(b.getMinX() + x0, b.getMinY() + y));
        robot.press(MouseButton.PRIMARY);
        robot.moveTo(new javafx.geometry.Point2D(b.getMinX() + (x0 + x1) / 2, b.getMinY() + y + 1));
        robot.moveTo(new javafx.geometry.Point2D(b.getMinX() + x1, b.getMinY() + y + 2));
        robot.release(MouseButton.PRIMARY);
        WaitForAsyncUtils.waitForFxEvents();
        ChartView.Range w = fx(() -> view.windowProperty().get());
        assertNotNull(w, "zoomed");
        double pixel = (f.xHi() - f.xLo()) / f.dataArea().getWidth();
        assertEquals(20, w.lower(), 2 * pixel);
        assertEquals(60, w.upper(), 2 * pixel);
        ChartView.Frame zoomed = rendered();
        assertEquals(w.lower(), zoomed.xLo(), 1e-9);
        assertEquals(w.upper(), zoomed.xHi(), 1e-9);
        org.jfree.data.Range axis = get(fx(() -> view.read(c -> c.getXYPlot().getDomainAxis().getRange())));
        assertEquals(w.lower(), axis.getLowerBound(), 1e-9);
        // a double-click goes back to everything
        robot.moveTo(new javafx.geometry.Point2D(b.getMinX() + x0, b.getMinY() + y));
        robot.doubleClickOn(MouseButton.PRIMARY);
        WaitForAsyncUtils.waitForFxEvents();
        assertNull(fx(() -> view.windowProperty().get()));
        ChartView.Frame reset = rendered();
        assertEquals(f.xLo(), reset.xLo(), 1e-9);
        assertEquals(f.xHi(), reset.xHi(), 1e-9);
    }

    @Test
    void aRectangleZoomsBothAxesAndAClickDoesNotZoom(FxRobot robot) {
        ChartView.Frame f = rendered();
        Bounds b = fx(() -> view.localToScreen(view.getBoundsInLocal()));
        robot.moveTo(new javafx.geometry.Point2D(b.getMinX() + columnOf(f, 30), b.getMinY() + rowOf(f, 8)));
        robot.press(MouseButton.PRIMARY);
        robot.moveTo(new javafx.geometry.Point2D(b.getMinX() + columnOf(f, 70), b.getMinY() + rowOf(f, 2)));
        robot.release(MouseButton.PRIMARY);
        ChartView.Frame z = rendered();
        double py = (f.yHi() - f.yLo()) / f.dataArea().getHeight();
        assertEquals(2, z.yLo(), 2 * py);
        assertEquals(8, z.yHi(), 2 * py);
        // a click (no drag) leaves it as it is
        ChartView.Range before = fx(() -> view.windowProperty().get());
        robot.clickOn(new javafx.geometry.Point2D(b.getMinX() + columnOf(z, 50), b.getMinY() + rowOf(z, 5)), MouseButton.PRIMARY);
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals(before, fx(() -> view.windowProperty().get()));
    }

    @Test
    void theReadoutNamesTheStepUnderThePointer(FxRobot robot) {
        ChartView.Frame f = rendered();
        Bounds b = fx(() -> view.localToScreen(view.getBoundsInLocal()));
        robot.moveTo(new javafx.geometry.Point2D(b.getMinX() + columnOf(f, 40), b.getMinY() + f.dataArea().getCenterY()));
        WaitForAsyncUtils.waitForFxEvents();
        String text = fx(view::readoutShown);
        assertTrue(text.startsWith("step "), text);
        double step = Double.parseDouble(text.substring(5));
        assertEquals(40, step, 2 * (f.xHi() - f.xLo()) / f.dataArea().getWidth());
        // outside the data area there is none
        robot.moveTo(new javafx.geometry.Point2D(b.getMinX() + 2, b.getMinY() + 2));
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals("", fx(view::readoutShown));
    }

    @Test
    void savesAPngAtTwiceTheSizeAndReportsAFailureByFile(@TempDir Path dir) throws Exception {
        rendered();
        Path png = dir.resolve("loss.png");
        get(fx(() -> view.savePng(png, 2)));
        BufferedImage img = ImageIO.read(png.toFile());
        assertEquals(2 * W, img.getWidth());
        assertEquals(2 * H, img.getHeight());
        assertFalse(Files.exists(dir.resolve("loss.png.part")));
        Path bad = dir.resolve("missing").resolve("loss.png");
        ExecutionException e = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class,
                () -> fx(() -> view.savePng(bad, 2)).get(30, TimeUnit.SECONDS));
        assertTrue(e.getCause().getMessage().contains(bad.toString()), e.getCause().getMessage());
        assertFalse(Files.exists(bad));
    }
}

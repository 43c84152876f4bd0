package io.ldmstudio.ui.training;

import static io.ldmstudio.ui.training.TrainingTestSupport.await;
import static io.ldmstudio.ui.training.TrainingTestSupport.fx;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.runs.MetricsLog;
import io.ldmstudio.runs.MetricsRow;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.RunStatus;
import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioFixture;
import java.io.BufferedWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javafx.scene.Scene;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/** The Training pane over a fresh workspace holding copies of the fixture's trained run. */
@ExtendWith(ApplicationExtension.class)
class TrainingPaneTest {
    static final String SECOND = "tiny-shapes-again";
    Path root;
    Studio studio;
    TrainingPane pane;
    TrainingViewModel vm;
    Scene scene;

    @Start
    void start(Stage stage) throws Exception {
        root = TrainingTestSupport.workspaceWithFixtureRun(SECOND);
        studio = StudioFixture.studio(root);
        pane = new TrainingPane(studio);
        vm = pane.viewModel();
        scene = StudioFixture.show(stage, pane);
    }

    @AfterEach
    void stopTraining() {
        studio.training().stopAll(60_000);
        StudioFixture.onFx(pane::dispose);
        TrainingTestSupport.deleteQuietly(root);
    }

    private void select(String name) {
        StudioFixture.onFx(() -> studio.select(name));
        await(30, "run '" + name + "' opened", () -> name.equals(vm.runNameProperty().get()) && !vm.loadingProperty().get());
    }

    private int items(TrainingViewModel.Chart chart, String key) {
        return fx(() -> {
            CurveDataset d = vm.dataset(chart);
            int i = d.indexOf(key);
            return i < 0 ? -1 : d.getItemCount(i);
        });
    }

    @Test
    void aRunThatIsNotTrainingShowsItsHistoryAndLog() {
        select(StudioFixture.RUN);
        assertEquals(StudioFixture.STEPS, items(TrainingViewModel.Chart.LOSS, StudioFixture.RUN + " (raw)"));
        assertEquals(StudioFixture.STEPS, items(TrainingViewModel.Chart.LOSS, StudioFixture.RUN + " (smoothed)"));
        assertEquals(StudioFixture.STEPS, items(TrainingViewModel.Chart.LR, StudioFixture.RUN + " learning rate"));
        assertEquals(StudioFixture.STEPS, items(TrainingViewModel.Chart.GRAD_NORM, StudioFixture.RUN + " gradient norm"));
        assertEquals("finished", fx(() -> vm.statusTextProperty().get()));
        assertEquals("step 24 / 24", fx(() -> ((Label) scene.lookup("#training-steps")).getText()));
        assertTrue(fx(() -> vm.deviceProperty().get()).startsWith("cpu"), fx(() -> vm.deviceProperty().get()));
        List<String> log = fx(() -> List.copyOf(vm.log()));
        assertTrue(log.stream().anyMatch(l -> l.matches("\\d\\d:\\d\\d:\\d\\d finished at step 24")), log.toString());
        // a finished run can be neither started nor resumed; nothing is live to pause or stop
        for (String id : List.of("#training-start", "#training-pause", "#training-resume", "#training-stop")) {
            assertTrue(fx(() -> scene.lookup(id).isDisabled()), id + " should be disabled");
        }
        // the smoothed curve is the bias-corrected EMA (weight 0.6 on the past) of the raw one
        CurveDataset loss = fx(() -> vm.dataset(TrainingViewModel.Chart.LOSS));
        int raw = fx(() -> loss.indexOf(StudioFixture.RUN + " (raw)"));
        int smooth = fx(() -> loss.indexOf(StudioFixture.RUN + " (smoothed)"));
        double acc = 0;
        double weight = 0;
        for (int i = 0; i < StudioFixture.STEPS; i++) {
            int item = i;
            acc = 0.6 * acc + 0.4 * fx(() -> loss.getYValue(raw, item));
            weight = 0.6 * weight + 0.4;
            assertEquals(acc / weight, fx(() -> loss.getYValue(smooth, item)), 1e-12, "smoothed at " + i);
        }
        // no smoothing: one curve, named after the run
        StudioFixture.onFx(() -> vm.smoothingProperty().set(0));
        assertEquals(1, fx(loss::getSeriesCount));
        assertEquals(StudioFixture.RUN, fx(() -> loss.getSeriesKey(0)));
    }

    @Test
    void theLogScaleOptionPutsTheLossOnALogarithmicAxis(FxRobot robot) {
        select(StudioFixture.RUN);
        io.ldmstudio.ui.common.ChartView view = fx(() -> pane.viewer(TrainingViewModel.Chart.LOSS));
        assertTrue(chartRead(view, c -> c.getXYPlot().getRangeAxis()) instanceof org.jfree.chart.axis.NumberAxis);
        robot.clickOn("#training-log-scale");
        WaitForAsyncUtils.waitForFxEvents();
        assertTrue(fx(() -> vm.logScaleProperty().get()));
        org.jfree.chart.axis.ValueAxis axis = chartRead(view, c -> c.getXYPlot().getRangeAxis());
        assertTrue(axis instanceof org.jfree.chart.axis.LogAxis, axis.getClass().toString());
        // the axis spans the data: the smallest and largest losses are inside it
        CurveDataset loss = fx(() -> vm.dataset(TrainingViewModel.Chart.LOSS));
        int raw = fx(() -> loss.indexOf(StudioFixture.RUN + " (raw)"));
        double lo = Double.MAX_VALUE;
        double hi = 0;
        for (int i = 0; i < StudioFixture.STEPS; i++) {
            int item = i;
            double y = fx(() -> loss.getYValue(raw, item));
            lo = Math.min(lo, y);
            hi = Math.max(hi, y);
        }
        org.jfree.data.Range span = chartRead(view, c -> c.getXYPlot().getRangeAxis().getRange());
        assertTrue(span.getLowerBound() <= lo && span.getUpperBound() >= hi, span + " vs " + lo + ".." + hi);
        TrainingTestSupport.chartsRendered(pane);
        StudioFixture.onFx(() -> StudioFixture.screenshot(scene, "training-log-scale"));
        robot.clickOn("#training-log-scale");
        WaitForAsyncUtils.waitForFxEvents();
        assertTrue(chartRead(view, c -> c.getXYPlot().getRangeAxis()) instanceof org.jfree.chart.axis.NumberAxis);
    }

    static <T> T chartRead(io.ldmstudio.ui.common.ChartView view, java.util.function.Function<org.jfree.chart.JFreeChart, T> f) {
        try {
            return fx(() -> view.read(f)).get(30, java.util.concurrent.TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void theOverlayAddsASecondRunsSeriesWithItsName(FxRobot robot) {
        select(StudioFixture.RUN);
        assertEquals(2, fx(() -> vm.dataset(TrainingViewModel.Chart.LOSS).getSeriesCount()));
        robot.clickOn("#training-compare");
        robot.clickOn(SECOND);
        await(30, "the overlay loaded", () -> vm.dataset(TrainingViewModel.Chart.LOSS).indexOf(SECOND) >= 0);
        CurveDataset loss = fx(() -> vm.dataset(TrainingViewModel.Chart.LOSS));
        assertEquals(3, fx(loss::getSeriesCount));
        assertEquals(SECOND, fx(() -> loss.getSeriesKey(2)));
        assertEquals(StudioFixture.STEPS, items(TrainingViewModel.Chart.LOSS, SECOND));
        assertEquals(TrainingViewModel.Role.OVERLAY, fx(() -> vm.role(SECOND)));
        assertEquals("Compare with (1)", fx(() -> ((javafx.scene.control.MenuButton) scene.lookup("#training-compare")).getText()));
        // the legend names it too, once the chart's renderer thread has taken the new curves
        boolean named = false;
        for (long end = System.nanoTime() + 30_000_000_000L; !named && System.nanoTime() < end; ) {
            org.jfree.chart.LegendItemCollection legend = chartRead(fx(() -> pane.viewer(TrainingViewModel.Chart.LOSS)),
                    c -> c.getXYPlot().getLegendItems());
            named = java.util.stream.IntStream.range(0, legend.getItemCount())
                    .anyMatch(i -> legend.get(i).getLabel().equals(SECOND));
            if (!named) {
                WaitForAsyncUtils.sleep(100, java.util.concurrent.TimeUnit.MILLISECONDS);
            }
        }
        assertTrue(named, "the legend names the overlay");
        // unchecking removes it
        StudioFixture.onFx(() -> vm.overlays().remove(SECOND));
        assertEquals(-1, items(TrainingViewModel.Chart.LOSS, SECOND));
    }

    @Test
    void aFailedRunShowsItsStateMessage() throws Exception {
        Run run = studio.workspace().create("diverged", StudioFixture.tinyConfig().withPreset("quickstart"));
        for (int s = 1; s <= 6; s++) {
            run.appendMetrics(new MetricsRow(s, 1.0 / s, 1e-3, 0.5, 100, s));
        }
        String why = "non-finite loss at step 7 (lr 0.100, loss NaN, grad norm NaN): the run stopped without applying it; "
                + "the last good checkpoint is none yet — start it again with gradient clipping (optim.grad_clip=1.0) or a lower "
                + "learning rate (optim.lr=0.0100)";
        run.setState(RunStatus.FAILED, why);
        StudioFixture.onFx(studio::refreshRuns);
        await(30, "listing", () -> studio.runs().size() == 3);
        select("diverged");
        Label message = fx(() -> (Label) scene.lookup("#training-message"));
        assertEquals(why, fx(message::getText));
        assertTrue(fx(() -> message.getStyleClass().contains("field-error")));
        assertEquals("failed", fx(() -> ((Label) scene.lookup("#training-status")).getText()));
        assertEquals(6, items(TrainingViewModel.Chart.LOSS, "diverged (raw)"));
        assertFalse(fx(() -> scene.lookup("#training-resume").isDisabled()), "a failed run can be continued");
    }

    @Test
    void aRunThatDivergesWhileTrainingSaysWhereInTheMessageBarAndItsState(FxRobot robot) throws Exception {
        Run run = studio.workspace().create("wild", StudioFixture.tinyConfig("optim.steps=50", "optim.lr=1e30",
                "optim.lr_schedule=constant", "optim.grad_clip=0").withPreset("quickstart"));
        StudioFixture.onFx(studio::refreshRuns);
        await(30, "listing", () -> studio.runs().size() == 3);
        select("wild");
        robot.clickOn("#training-start");
        await(180, "the run failed", () -> vm.statusProperty().get() == RunStatus.FAILED);
        String state = run.state().message();
        assertTrue(state.startsWith("non-finite") && state.contains("nearest the loss: conv_out.bias"), state);
        // the state arrives from the run's folder first; the error when the training process has ended
        await(30, "the message bar", () -> studio.messageProperty().get() != null && studio.messageProperty().get().error());
        Studio.Message bar = fx(() -> studio.messageProperty().get());
        assertTrue(bar.error(), "shown as an error");
        assertTrue(bar.text().contains(state), "the message bar says what the run's state says: " + bar.text());
        await(30, "the pane's state line", () -> state.equals(fx(() -> ((Label) scene.lookup("#training-message")).getText())));
        StudioFixture.onFx(() -> StudioFixture.screenshot(scene, "training-diverged"));
    }

    @Test
    void aLongHistoryIsThinnedForTheCharts() throws Exception {
        Run run = studio.workspace().create("long", StudioFixture.tinyConfig("optim.steps=200000").withPreset("quickstart"));
        int n = 200_000;
        try (BufferedWriter w = Files.newBufferedWriter(run.metricsFile(), StandardCharsets.UTF_8)) {
            java.util.Random r = new java.util.Random(3);
            for (int s = 1; s <= n; s++) {
                double loss = 0.05 + Math.exp(-s / 30_000.0) + 0.02 * r.nextGaussian();
                w.write(MetricsLog.format(new MetricsRow(s, s == 150_000 ? 7.5 : loss, 1e-4, 0.3 + 0.1 * r.nextDouble(),
                        200, s * 0.05)));
                w.newLine();
            }
        }
        run.setState(RunStatus.STOPPED, "stopped at step 200000");
        StudioFixture.onFx(studio::refreshRuns);
        await(30, "listing", () -> studio.runs().size() == 3);
        select("long");
        assertEquals(n, fx(() -> vm.rowsProperty().get()));
        int bound = fx(vm::pointBound);
        assertTrue(bound <= 2 * TrainingViewModel.MAX_BUCKETS + 2, "bound " + bound);
        CurveDataset loss = fx(() -> vm.dataset(TrainingViewModel.Chart.LOSS));
        for (int s = 0; s < fx(loss::getSeriesCount); s++) {
            int series = s;
            int count = fx(() -> loss.getItemCount(series));
            assertTrue(count <= bound && count > 100, "series " + s + " has " + count + " points, bound " + bound);
            assertEquals(1.0, fx(() -> loss.getXValue(series, 0)));
            assertEquals((double) n, fx(() -> loss.getXValue(series, count - 1)));
        }
        int raw = fx(() -> loss.indexOf("long (raw)"));
        double max = fx(() -> java.util.stream.IntStream.range(0, loss.getItemCount(raw)).mapToDouble(i -> loss.getYValue(raw, i))
                .max().orElseThrow());
        assertEquals(7.5, max, "the spike survives thinning");
        // zooming into steps 1000..2000 thins only that window: every point is kept there
        StudioFixture.onFx(() -> pane.viewer(TrainingViewModel.Chart.LOSS).zoom(1000, 2000, Double.NaN, Double.NaN));
        int zoomed = fx(() -> loss.getItemCount(loss.indexOf("long (raw)")));
        assertTrue(zoomed <= bound, "zoomed " + zoomed);
        assertEquals(999.0, fx(() -> loss.getXValue(raw, 0)));
        StudioFixture.onFx(() -> pane.viewer(TrainingViewModel.Chart.LOSS).resetZoom());
        assertEquals(1.0, fx(() -> loss.getXValue(raw, 0)));
    }

    @Test
    void startPauseResumeAndStopFromThePane(FxRobot robot) throws Exception {
        Run run = studio.workspace().create("live", StudioFixture.tinyConfig("optim.steps=2000").withPreset("quickstart"));
        StudioFixture.onFx(studio::refreshRuns);
        await(30, "listing", () -> studio.runs().size() == 3);
        select("live");
        assertTrue(fx(() -> vm.canStartProperty().get()));
        assertTrue(fx(() -> scene.lookup("#training-pause").isDisabled()));
        robot.clickOn("#training-start");
        await(180, "loss points on the chart", () -> items(TrainingViewModel.Chart.LOSS, "live (raw)") >= 3);
        int early = items(TrainingViewModel.Chart.LOSS, "live (raw)");
        await(120, "more loss points", () -> items(TrainingViewModel.Chart.LOSS, "live (raw)") > early);
        assertTrue(fx(() -> scene.lookup("#training-start").isDisabled()));
        assertFalse(fx(() -> scene.lookup("#training-pause").isDisabled()));

        robot.clickOn("#training-pause");
        await(60, "paused", () -> vm.statusProperty().get() == RunStatus.PAUSED);
        // the pane shows the step the trainer paused at ("paused at step N" in its state)
        String message = run.state().message();
        assertTrue(message.startsWith("paused at step "), message);
        long pausedAt = Long.parseLong(message.substring("paused at step ".length()).trim());
        await(10, "the step it paused at", () -> vm.stepProperty().get() == pausedAt);
        int rowsAtPause = run.metrics().size();
        Thread.sleep(1500);
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals(pausedAt, fx(() -> vm.stepProperty().get()), "the step count stands still while paused");
        assertEquals(rowsAtPause, run.metrics().size());
        assertEquals("paused", fx(() -> ((Label) scene.lookup("#training-status")).getText()));
        assertTrue(fx(() -> scene.lookup("#training-pause").isDisabled()));
        assertFalse(fx(() -> scene.lookup("#training-resume").isDisabled()));

        robot.clickOn("#training-resume");
        await(120, "steps after resuming", () -> vm.stepProperty().get() >= pausedAt + 3);
        assertEquals(RunStatus.RUNNING, fx(() -> vm.statusProperty().get()));

        robot.clickOn("#training-stop");
        await(120, "stopped", () -> vm.statusProperty().get() == RunStatus.STOPPED
                && studio.training().job("live").isEmpty());
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals(RunStatus.STOPPED, run.state().status());
        List<MetricsRow> rows = run.metrics();
        long last = rows.get(rows.size() - 1).step();
        assertTrue(last < 2000, "stopped early");
        assertEquals(last, run.latestCheckpoint().orElseThrow().step(), "stop writes a checkpoint at the last step");
        await(10, "every row on the chart", () -> vm.rowsProperty().get() == rows.size());
        StudioFixture.onFx(() -> vm.bucketsProperty().set(4000)); // room for every point; redraws the charts now
        await(10, "every row drawn", () -> items(TrainingViewModel.Chart.LOSS, "live (raw)") == rows.size()
                && items(TrainingViewModel.Chart.LR, "live learning rate") == rows.size());
        assertEquals(rows.size(), items(TrainingViewModel.Chart.LOSS, "live (raw)"));
        assertEquals(rows.size(), items(TrainingViewModel.Chart.LR, "live learning rate"));
        assertEquals(rows.get(rows.size() - 1).loss(), fx(() -> {
            CurveDataset d = vm.dataset(TrainingViewModel.Chart.LOSS);
            int i = d.indexOf("live (raw)");
            return d.getYValue(i, d.getItemCount(i) - 1);
        }));
        assertEquals(String.format(Locale.ROOT, "step %,d / %,d", last, 2000),
                fx(() -> ((Label) scene.lookup("#training-steps")).getText()));
        await(10, "the stop in the log", () -> vm.log().stream().anyMatch(l -> l.endsWith("stopped at step " + last)));
        List<String> log = fx(() -> List.copyOf(vm.log()));
        assertTrue(log.stream().anyMatch(l -> l.endsWith("stopped at step " + last)), log.toString());
        assertEquals(1, log.stream().filter(l -> l.contains("LDM Studio training 'live'")).count(), "no line twice");
        // a stopped run can be continued, not started afresh
        assertTrue(fx(() -> scene.lookup("#training-start").isDisabled()));
        assertFalse(fx(() -> scene.lookup("#training-resume").isDisabled()));
        assertTrue(fx(() -> ((Button) scene.lookup("#training-stop")).isDisabled()));
    }
}

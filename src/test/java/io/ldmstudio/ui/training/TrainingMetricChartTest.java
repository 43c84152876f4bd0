package io.ldmstudio.ui.training;

import static io.ldmstudio.ui.training.TrainingTestSupport.await;
import static io.ldmstudio.ui.training.TrainingTestSupport.fx;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.runs.Checkpoint;
import io.ldmstudio.runs.EvalRow;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.RunInfo;
import io.ldmstudio.ui.MainWindow;
import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioFixture;
import java.nio.file.Path;
import java.util.List;
import javafx.scene.Scene;
import javafx.scene.control.ListCell;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;

/**
 * The quality measured while training in the Training pane: the run's evaluation rows charted on an axis of their own
 * named for the metric, the best one marked and stated, another run's overlaid; the sidebar's tooltip states the last
 * and best values.
 */
@ExtendWith(ApplicationExtension.class)
class TrainingMetricChartTest {
    static final String SECOND = "tiny-shapes-again";
    static final String FD = "FD_procedural";
    Path root;
    Studio studio;
    MainWindow window;
    TrainingViewModel vm;
    Scene scene;

    @org.junit.jupiter.api.BeforeAll
    static void trainTheFixtureOutsideTheFxSetup() {
        StudioFixture.trainedWorkspace(); // the FX setup has a timeout that a loaded machine's training exceeds
    }

    @Start
    void start(Stage stage) throws Exception {
        root = TrainingTestSupport.workspaceWithFixtureRun(SECOND);
        studio = StudioFixture.studio(root);
        Run run = studio.workspace().open(StudioFixture.RUN);
        // as the trainer writes them (eval.every 8 over the fixture's 24 steps): 8, 16, 24; the best at 16
        run.appendEval(new EvalRow(8, FD, 41.5, 40, "ddim", 8, 2.5, Double.NaN));
        run.appendEval(new EvalRow(16, FD, 27.25, 40, "ddim", 8, 2.4, Double.NaN));
        run.appendEval(new EvalRow(24, FD, 30.0, 40, "ddim", 8, 2.6, Double.NaN));
        run.saveBest(run.latestCheckpoint().orElseThrow(), new Run.Best(FD, 27.25, 16));
        Run second = studio.workspace().open(SECOND);
        second.appendEval(new EvalRow(12, FD, 35.0, 40, "ddim", 8, 2.5, Double.NaN));
        second.appendEval(new EvalRow(24, FD, 33.0, 40, "ddim", 8, 2.5, Double.NaN));
        window = new MainWindow(studio, () -> { });
        scene = StudioFixture.show(stage, window);
        studio.refreshRuns();
        vm = ((TrainingPane) window.pane("training")).viewModel();
        window.show("training");
    }

    @AfterEach
    void tearDown() {
        StudioFixture.onFx(window::dispose);
        studio.training().close();
        TrainingTestSupport.deleteQuietly(root);
    }

    private static double[][] points(CurveDataset d, int series) {
        int n = d.getItemCount(series);
        double[][] out = new double[n][];
        for (int i = 0; i < n; i++) {
            out[i] = new double[] {d.getXValue(series, i), d.getYValue(series, i)};
        }
        return out;
    }

    @Test
    void theMetricIsChartedBesideTheLossWithItsBestMarkedAndOtherRunsOverlaid(FxRobot robot) {
        await(30, "listing", () -> fx(() -> studio.runs().size()) == 2);
        StudioFixture.onFx(() -> studio.select(StudioFixture.RUN));
        await(30, "history read", () -> StudioFixture.RUN.equals(vm.runNameProperty().get())
                && !vm.loadingProperty().get() && vm.dataset(TrainingViewModel.Chart.METRIC).getSeriesCount() > 0);
        CurveDataset m = fx(() -> vm.dataset(TrainingViewModel.Chart.METRIC));
        assertEquals(List.of(StudioFixture.RUN + " " + FD, "best 27.25 (step 16)"),
                fx(() -> m.curves().stream().map(CurveDataset.Curve::key).toList()));
        double[][] own = fx(() -> points(m, 0));
        assertEquals(3, own.length);
        assertEquals(8, own[0][0]);
        assertEquals(41.5, own[0][1]);
        assertEquals(16, own[1][0]);
        assertEquals(27.25, own[1][1]);
        assertEquals(30.0, own[2][1]);
        double[][] best = fx(() -> points(m, 1));
        assertEquals(1, best.length);
        assertEquals(16, best[0][0]);
        assertEquals(27.25, best[0][1]);
        assertEquals(TrainingViewModel.Role.BEST, fx(() -> m.role(1)));
        assertEquals(FD, fx(() -> vm.metricNameProperty().get()));
        assertEquals("last 30 (step 24) · best 27.25 (step 16)", fx(() -> vm.metricSummaryProperty().get()));
        // the loss chart is untouched by the evaluation rows
        CurveDataset loss = fx(() -> vm.dataset(TrainingViewModel.Chart.LOSS));
        assertEquals(StudioFixture.STEPS, fx(() -> loss.getItemCount(loss.indexOf(StudioFixture.RUN + " (raw)"))));

        // the metric's own axis is named for it, once the chart's renderer thread has taken the change
        io.ldmstudio.ui.common.ChartView view = fx(() -> ((TrainingPane) window.pane("training")).viewer(TrainingViewModel.Chart.METRIC));
        await(30, "the axis label", () -> TrainingPaneTest.chartRead(view,
                c -> c.getXYPlot().getRangeAxis().getLabel()).equals(FD));
        assertEquals(FD + " (lower is better): last 30 (step 24) · best 27.25 (step 16)",
                fx(() -> ((javafx.scene.control.Label) scene.lookup("#training-metric-summary")).getText()));

        StudioFixture.onFx(() -> vm.overlays().add(SECOND));
        await(30, "the overlay", () -> fx(() -> m.indexOf(SECOND + " " + FD)) >= 0);
        int k = fx(() -> m.indexOf(SECOND + " " + FD));
        assertEquals(TrainingViewModel.Role.OVERLAY, fx(() -> m.role(k)));
        double[][] theirs = fx(() -> points(m, k));
        assertEquals(2, theirs.length);
        assertEquals(33.0, theirs[1][1]);
        TrainingTestSupport.chartsRendered(((TrainingPane) window.pane("training")));
        StudioFixture.onFx(() -> StudioFixture.screenshot(scene, "training-metric"));

        // the sidebar's tooltip states the last and best values
        ListCell<?> cell = fx(() -> robot.lookup("#runs-list").lookup(".list-cell").queryAllAs(ListCell.class).stream()
                .filter(c -> c.getItem() instanceof RunInfo r && r.name().equals(StudioFixture.RUN)).findFirst()
                .orElseThrow());
        String tip = fx(() -> cell.getTooltip().getText());
        assertTrue(tip.contains(FD + " 30.0000 at step 24 (best 27.2500 at step 16)"), tip);
        StudioFixture.onFx(() -> cell.getTooltip().show(cell, 400, 300));
        StudioFixture.onFx(() -> StudioFixture.screenshot(scene, cell.getTooltip(), "runs-tooltip-metric"));
        StudioFixture.onFx(() -> cell.getTooltip().hide());
    }
}

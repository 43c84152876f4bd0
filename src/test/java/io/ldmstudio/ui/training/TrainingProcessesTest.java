package io.ldmstudio.ui.training;

import static io.ldmstudio.ui.training.TrainingTestSupport.await;
import static io.ldmstudio.ui.training.TrainingTestSupport.fx;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.runs.MetricsRow;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.RunStatus;
import io.ldmstudio.ui.MainWindow;
import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioFixture;
import java.nio.file.Path;
import java.util.List;
import java.util.OptionalLong;
import javafx.scene.Scene;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;

/**
 * Every run trains in a process of its own: a second Start queues instead of breaking the first run,
 * a closed studio leaves its run training and the next one follows and steers it, and a training
 * process killed outright leaves a failed run with the reason — and the window.
 */
@ExtendWith(ApplicationExtension.class)
class TrainingProcessesTest {
    Path root;
    Stage stage;
    Studio studio;
    MainWindow window;
    Scene scene;

    @Start
    void start(Stage stage) throws Exception {
        this.stage = stage;
        root = StudioFixture.emptyWorkspace();
        studio = StudioFixture.studio(root);
        window = new MainWindow(studio, () -> {});
        scene = StudioFixture.show(stage, window);
    }

    @AfterEach
    void tearDown() {
        studio.training().stopAll(60_000);
        StudioFixture.onFx(window::dispose);
        studio.training().close();
        TrainingTestSupport.deleteQuietly(root);
    }

    private TrainingViewModel vm() {
        return fx(() -> ((TrainingPane) window.pane("training")).viewModel());
    }

    private void create(String name, long steps, String... more) throws Exception {
        List<String> o = new java.util.ArrayList<>(List.of("optim.steps=" + steps, "logging.checkpoint_every=1000",
                "logging.sample_every=1000"));
        o.addAll(List.of(more));
        studio.workspace().create(name, StudioFixture.tinyConfig(o.toArray(String[]::new)).withPreset("quickstart"));
        StudioFixture.onFx(studio::refreshRuns);
        await(30, "listing", () -> fx(() -> studio.runs().stream().anyMatch(r -> r.name().equals(name))));
    }

    private void startFromThePane(FxRobot robot, String name) {
        StudioFixture.onFx(() -> {
            studio.select(name);
            window.show("training");
        });
        await(30, name + " shown", () -> fx(() -> name.equals(vm().runNameProperty().get()) && vm().canStartProperty().get()));
        robot.clickOn("#training-start");
    }

    private static boolean oneHistory(Run run) throws Exception {
        List<MetricsRow> rows = run.metrics();
        for (int i = 0; i < rows.size(); i++) {
            if (rows.get(i).step() != i + 1) {
                return false;
            }
        }
        return true;
    }

    @Test
    void aSecondStartWhileARunTrainsWaitsInTheQueueAndBothRunsFinish(FxRobot robot) throws Exception {
        create("first", 150);
        create("second", 20);
        startFromThePane(robot, "first");
        await(180, "first training", () -> fx(() -> vm().stepProperty().get() >= 3));
        startFromThePane(robot, "second");
        await(30, "second queued", () -> studio.training().queued().equals(List.of("second")));
        assertEquals(List.of("first"), studio.training().active(), "the first run goes on");
        await(30, "the pane says so", () -> fx(() -> vm().statusTextProperty().get()).startsWith("queued: waiting for first"));
        StudioFixture.onFx(() -> StudioFixture.screenshot(scene, "training-queued"));
        // the sidebar's menu on the queued run offers to start it beside the other
        javafx.scene.control.ListView<?> list = fx(() -> (javafx.scene.control.ListView<?>) scene.lookup("#runs-list"));
        javafx.scene.control.ContextMenu menu = fx(list::getContextMenu);
        StudioFixture.onFx(() -> {
            javafx.geometry.Point2D at = list.localToScreen(60, 70);
            menu.show(list, at.getX(), at.getY());
        });
        await(10, "the menu", () -> fx(menu::isShowing));
        javafx.scene.control.MenuItem now = fx(() -> menu.getItems().stream().filter(i -> "run-start-now".equals(i.getId()))
                .findFirst().orElseThrow());
        assertTrue(fx(now::isVisible), "Start now is offered for a queued run");
        StudioFixture.onFx(() -> StudioFixture.screenshot(scene, menu, "runs-sidebar-menu"));
        StudioFixture.onFx(menu::hide);
        Run first = studio.workspace().open("first");
        Run second = studio.workspace().open("second");
        await(300, "both finished", () -> {
            try {
                return first.state().status() == RunStatus.FINISHED && second.state().status() == RunStatus.FINISHED
                        && studio.training().job("second").isEmpty();
            } catch (Exception e) {
                return false;
            }
        });
        assertEquals(150, first.lastMetrics().orElseThrow().step());
        assertTrue(oneHistory(first) && oneHistory(second), "each run's metrics hold one history");
        assertTrue(first.state().updatedAt().isBefore(second.state().updatedAt()));
    }

    @Test
    void aStudioClosedWhileTrainingLeavesTheRunTrainingAndTheNextStudioFollowsAndStopsIt(FxRobot robot) throws Exception {
        create("overnight", 1_000_000);
        startFromThePane(robot, "overnight");
        await(180, "training", () -> fx(() -> vm().stepProperty().get() >= 3));
        Run run = studio.workspace().open("overnight");
        long pid = run.trainerPid().orElseThrow();

        // close this studio as the window's close does, keeping the run training
        StudioFixture.onFx(window::dispose);
        studio.training().close();
        long before = run.lastMetrics().orElseThrow().step();
        await(60, "still training with no studio", () -> {
            try {
                return run.lastMetrics().orElseThrow().step() > before + 5;
            } catch (Exception e) {
                return false;
            }
        });
        assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false));

        // a new studio over the same workspace
        StudioFixture.onFx(() -> {
            studio = StudioFixture.studio(root);
            window = new MainWindow(studio, () -> {});
            scene = StudioFixture.show(stage, window);
            studio.refreshRuns();
        });
        await(30, "re-attached", () -> studio.training().active().equals(List.of("overnight")));
        StudioFixture.onFx(() -> {
            studio.select("overnight");
            window.show("training");
        });
        await(30, "shown live", () -> fx(() -> "training".equals(vm().statusTextProperty().get())));
        long seen = fx(() -> vm().stepProperty().get());
        await(60, "live steps", () -> fx(() -> vm().stepProperty().get()) > seen + 3);
        await(30, "live chart rows", () -> fx(() -> vm().rowsProperty().get()) > seen);
        assertFalse(fx(() -> scene.lookup("#training-stop").isDisabled()), "Stop works on a re-attached run");
        StudioFixture.onFx(() -> StudioFixture.screenshot(scene, "training-reattached"));
        robot.clickOn("#training-stop");
        await(120, "stopped", () -> fx(() -> vm().statusProperty().get()) == RunStatus.STOPPED
                && studio.training().job("overnight").isEmpty());
        assertEquals(RunStatus.STOPPED, run.state().status());
        assertEquals(run.lastMetrics().orElseThrow().step(), run.latestCheckpoint().orElseThrow().step(),
                "stopped with a checkpoint at its last step");
        assertTrue(ProcessHandle.of(pid).map(p -> !p.isAlive()).orElse(true));
        assertTrue(oneHistory(run));
    }

    @Test
    void aTrainingProcessKilledOutrightShowsFailedWithTheReasonAndTheWindowStays(FxRobot robot) throws Exception {
        create("victim", 1_000_000, "device=auto");
        startFromThePane(robot, "victim");
        await(180, "training", () -> fx(() -> vm().stepProperty().get() >= 3));
        // the header names the device the trainer resolved, not the config's "auto"
        await(10, "the device", () -> fx(() -> vm().deviceProperty().get()).startsWith("cpu ("));
        Run run = studio.workspace().open("victim");
        OptionalLong pid = run.trainerPid();
        assertTrue(ProcessHandle.of(pid.orElseThrow()).orElseThrow().destroyForcibly()); // kill -9
        await(60, "failed", () -> fx(() -> vm().statusProperty().get()) == RunStatus.FAILED);
        String message = fx(() -> vm().statusMessageProperty().get());
        assertTrue(message.contains("SIGKILL") && message.contains("Resume"), message);
        await(30, "the message bar", () -> fx(() -> studio.messageProperty().get() != null
                && studio.messageProperty().get().error() && studio.messageProperty().get().text().contains("SIGKILL")));
        assertTrue(fx(stage::isShowing), "the window stays");
        assertEquals(RunStatus.FAILED, run.state().status());
        assertFalse(fx(() -> scene.lookup("#training-resume").isDisabled()), "a killed run can be resumed");
        StudioFixture.onFx(() -> StudioFixture.screenshot(scene, "training-killed"));
    }
}

package io.ldmstudio.ui.training;

import static io.ldmstudio.ui.training.TrainingTestSupport.await;
import static io.ldmstudio.ui.training.TrainingTestSupport.fx;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.RunStatus;
import io.ldmstudio.ui.MainWindow;
import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioFixture;
import java.nio.file.Path;
import javafx.scene.Scene;
import javafx.scene.input.KeyCode;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/** The Training pane's keyboard shortcuts inside the main window: they act only while the pane is in front. */
@ExtendWith(ApplicationExtension.class)
class TrainingShortcutsTest {
    Path root;
    Studio studio;
    MainWindow window;
    Scene scene;

    @Start
    void start(Stage stage) throws Exception {
        root = TrainingTestSupport.workspaceWithFixtureRun();
        studio = StudioFixture.studio(root);
        studio.workspace().create("keys", StudioFixture.tinyConfig("optim.steps=2000").withPreset("quickstart"));
        window = new MainWindow(studio, () -> {});
        scene = StudioFixture.show(stage, window);
        studio.refreshRuns();
    }

    @AfterEach
    void tearDown() {
        studio.training().stopAll(60_000);
        StudioFixture.onFx(window::dispose);
        TrainingTestSupport.deleteQuietly(root);
    }

    private void press(FxRobot robot, KeyCode... keys) {
        robot.press(keys);
        for (int i = keys.length - 1; i >= 0; i--) {
            robot.release(keys[i]);
        }
        WaitForAsyncUtils.waitForFxEvents();
    }

    @Test
    void startPauseAndStopByKeyboardOnlyWhileThePaneIsInFront(FxRobot robot) throws Exception {
        await(30, "listing", () -> studio.runs().size() == 2);
        StudioFixture.onFx(() -> studio.select("keys"));
        TrainingViewModel vm = ((TrainingPane) window.pane("training")).viewModel();
        await(30, "run opened", () -> vm.canStartProperty().get());

        StudioFixture.onFx(() -> window.show("dataset"));
        press(robot, KeyCode.CONTROL, KeyCode.T);
        Thread.sleep(500);
        assertTrue(studio.training().active().isEmpty(), "Ctrl+T does nothing while another pane is in front");

        StudioFixture.onFx(() -> window.show("training"));
        press(robot, KeyCode.CONTROL, KeyCode.T);
        await(180, "training by Ctrl+T", () -> vm.stepProperty().get() >= 2);
        press(robot, KeyCode.CONTROL, KeyCode.P);
        await(60, "paused by Ctrl+P", () -> vm.statusProperty().get() == RunStatus.PAUSED);
        press(robot, KeyCode.CONTROL, KeyCode.SHIFT, KeyCode.P);
        await(60, "resumed by Ctrl+Shift+P", () -> vm.statusProperty().get() == RunStatus.RUNNING);
        press(robot, KeyCode.CONTROL, KeyCode.PERIOD);
        await(120, "stopped by Ctrl+.", () -> vm.statusProperty().get() == RunStatus.STOPPED
                && studio.training().job("keys").isEmpty());
        Run run = studio.workspace().open("keys");
        assertEquals(RunStatus.STOPPED, run.state().status());
        assertEquals("stopped", fx(() -> vm.statusTextProperty().get()));
        StudioFixture.onFx(() -> StudioFixture.screenshot(scene, "training-window"));
    }
}

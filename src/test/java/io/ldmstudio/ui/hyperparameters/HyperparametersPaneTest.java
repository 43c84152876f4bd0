package io.ldmstudio.ui.hyperparameters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.runs.RunStatus;
import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioFixture;
import java.nio.file.Files;
import java.util.concurrent.TimeUnit;
import javafx.scene.Scene;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.TextField;
import javafx.stage.Stage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/** The property sheet driven like a user: type, see the message, start a run. */
@ExtendWith(ApplicationExtension.class)
class HyperparametersPaneTest {
    Studio studio;
    HyperparametersPane pane;
    Scene scene;

    @Start
    void start(Stage stage) throws Exception {
        studio = StudioFixture.studio(StudioFixture.emptyWorkspace());
        pane = new HyperparametersPane(studio);
        scene = StudioFixture.show(stage, pane);
    }

    TextField field(FxRobot robot, String path) {
        return robot.lookup("#field-" + path.replace(".", "-")).queryAs(TextField.class);
    }

    void expand(FxRobot robot, String group) {
        robot.clickOn(group);
        WaitForAsyncUtils.waitForFxEvents();
    }

    @Test
    void aBadValueShowsItsMessageAtTheFieldAndBlocksStart(FxRobot robot) {
        Button start = robot.lookup("#start-training").queryAs(Button.class);
        assertFalse(start.isDisabled(), "a valid preset can start");
        expand(robot, "Optimisation");
        TextField lr = field(robot, "optim.lr");
        robot.doubleClickOn(lr).eraseText(lr.getText().length()).write("fast");
        WaitForAsyncUtils.waitForFxEvents();
        Label error = robot.lookup("#error-optim-lr").queryAs(Label.class);
        try { // a loaded machine can lag the typed keys behind the FX events flushed above
            WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, error::isVisible);
        } catch (java.util.concurrent.TimeoutException e) {
            // asserted below, with the field's text
        }
        assertTrue(error.isVisible(), "typed: " + lr.getText());
        assertTrue(error.getText().contains("must be a number"), error.getText());
        assertTrue(start.isDisabled(), "start is blocked while a field is wrong");
        Label problems = robot.lookup("#config-problems").queryAs(Label.class);
        assertTrue(problems.getText().startsWith("optim.lr must be a number"), problems.getText());
        StudioFixture.onFx(() -> StudioFixture.screenshot(scene, "hyperparameters-error"));

        robot.doubleClickOn(lr).eraseText(lr.getText().length()).write("3e-4");
        WaitForAsyncUtils.waitForFxEvents();
        assertFalse(error.isVisible());
        assertFalse(start.isDisabled());
        assertTrue(lr.getStyleClass().contains("changed-from-preset"));
    }

    @Test
    void startCreatesTheRunWithTheEditedConfigAndTrainsIt(FxRobot robot) throws Exception {
        StudioFixture.onFx(() -> studio.editConfig(StudioFixture.tinyConfig("optim.steps=6", "logging.sample_every=1000",
                "logging.checkpoint_every=1000").withPreset("quickstart")));
        TextField name = robot.lookup("#run-name").queryAs(TextField.class);
        StudioFixture.onFx(() -> name.setText("from-the-sheet"));
        robot.clickOn("#start-training");
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> Files.exists(
                studio.workspace().runsDir().resolve("from-the-sheet").resolve("config.json")));
        var run = studio.workspace().open("from-the-sheet");
        assertEquals(6, run.config().optim().steps());
        assertEquals(16, run.config().data().resolution());
        WaitForAsyncUtils.waitFor(120, TimeUnit.SECONDS, () -> run.state().status() == RunStatus.FINISHED);
        assertEquals(6, run.metrics().size());
    }

    @Test
    void rendersTheSheetToAScreenshot(FxRobot robot) throws Exception {
        expand(robot, "Model");
        TextField ch = field(robot, "model.model_channels");
        robot.doubleClickOn(ch).eraseText(ch.getText().length()).write("48");
        WaitForAsyncUtils.waitForFxEvents();
        var file = new java.nio.file.Path[1];
        StudioFixture.onFx(() -> file[0] = StudioFixture.screenshot(scene, "hyperparameters"));
        assertTrue(Files.size(file[0]) > 10_000);
        assertTrue(robot.lookup("#unet-parameters").queryAs(Label.class).getText().contains("U-Net parameters"));
    }
}

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

    private static void waitFor(String what, java.util.concurrent.Callable<Boolean> condition) throws Exception {
        try {
            WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, condition);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("timed out waiting for " + what, e);
        }
        WaitForAsyncUtils.waitForFxEvents();
    }

    @Test
    void aMissingDataPathIsRefusedAtTheFieldAndNoRunIsCreated(FxRobot robot) throws Exception {
        java.nio.file.Path missing = StudioFixture.emptyWorkspace().resolve("no-such-images");
        StudioFixture.onFx(() -> {
            pane.viewModel().field("data.source").orElseThrow().textProperty().set("folder");
            pane.viewModel().field("data.path").orElseThrow().textProperty().set(missing.toString());
        });
        expand(robot, "Data");
        Label error = robot.lookup("#error-data-path").queryAs(Label.class);
        assertTrue(error.isVisible(), "the field shows why");
        assertTrue(error.getText().contains("does not exist") && error.getText().contains(missing.toString()),
                error.getText());
        assertTrue(field(robot, "data.path").getStyleClass().contains("invalid"));
        Button start = robot.lookup("#start-training").queryAs(Button.class);
        assertTrue(start.isDisabled(), "a run that can't read its data is not started");
        // Browse… sits beside the path, and File… too where one file is allowed (not for a folder source)
        assertFalse(robot.lookup("#browse-data-path").queryAs(Button.class).isDisabled());
        assertFalse(robot.lookup("#file-data-path").queryAs(Button.class).isVisible());
        StudioFixture.onFx(() -> StudioFixture.screenshot(scene, "hyperparameters-data-path"));

        // neither Ctrl+Enter nor a direct start creates a run folder
        robot.clickOn(field(robot, "data.path")).press(javafx.scene.input.KeyCode.CONTROL)
                .press(javafx.scene.input.KeyCode.ENTER).release(javafx.scene.input.KeyCode.ENTER)
                .release(javafx.scene.input.KeyCode.CONTROL);
        StudioFixture.onFx(pane::startRun);
        Thread.sleep(300);
        WaitForAsyncUtils.waitForFxEvents();
        java.nio.file.Path runs = studio.workspace().runsDir();
        try (var list = Files.exists(runs) ? Files.list(runs) : java.util.stream.Stream.<java.nio.file.Path>empty()) {
            assertEquals(0, list.count(), "no run folder under " + runs);
        }
        assertTrue(studio.messageProperty().get() != null && studio.messageProperty().get().error());

        // the folder made, the same path is taken
        Files.createDirectories(missing);
        StudioFixture.onFx(() -> pane.viewModel().field("data.path").orElseThrow().textProperty().set(missing + "/"));
        assertFalse(error.isVisible());
        assertFalse(start.isDisabled());
    }

    @Test
    void anAbsurdBatchSizeIsRefusedShowingTheMemoryTheMachineHas(FxRobot robot) throws Exception {
        expand(robot, "Optimisation");
        TextField batch = field(robot, "optim.batch_size");
        robot.doubleClickOn(batch).eraseText(batch.getText().length()).write("lots");
        Label error = robot.lookup("#error-optim-batch_size").queryAs(Label.class);
        waitFor("the integer message", () -> error.isVisible() && batch.getText().equals("lots"));
        assertTrue(error.getText().contains("must be an integer, e.g. 32"), error.getText());
        assertFalse(error.getText().contains("1500"), error.getText());

        robot.doubleClickOn(batch).eraseText(batch.getText().length()).write("100000000");
        // the device's memory is read once the engine is up
        waitFor("the memory refusal", () -> batch.getText().equals("100000000") && error.getText().contains("the CPU has"));
        long total = ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory
                .getOperatingSystemMXBean()).getTotalMemorySize();
        String shown = HyperparametersViewModel.bytes(total);
        assertTrue(error.getText().contains("the CPU has " + shown), error.getText() + " — expected " + shown);
        assertTrue(error.getText().contains("optim.batch_size 100,000,000 needs"), error.getText());
        assertTrue(robot.lookup("#start-training").queryAs(Button.class).isDisabled());
        StudioFixture.onFx(() -> StudioFixture.screenshot(scene, "hyperparameters-batch-memory"));

        robot.doubleClickOn(batch).eraseText(batch.getText().length()).write("64");
        waitFor("the batch of 64 to be taken", () -> batch.getText().equals("64") && !error.isVisible());
        assertFalse(robot.lookup("#start-training").queryAs(Button.class).isDisabled());
    }
}

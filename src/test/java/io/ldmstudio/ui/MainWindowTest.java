package io.ldmstudio.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.runs.RunInfo;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javafx.scene.Scene;
import javafx.scene.control.Label;
import javafx.scene.control.ListView;
import javafx.scene.control.TabPane;
import javafx.scene.input.KeyCode;
import javafx.stage.Stage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/** The main window over a workspace with one trained run. */
@ExtendWith(ApplicationExtension.class)
class MainWindowTest {
    Studio studio;
    MainWindow window;
    Scene scene;

    @Start
    void start(Stage stage) {
        studio = StudioFixture.studio(StudioFixture.trainedWorkspace());
        window = new MainWindow(studio, () -> {});
        scene = StudioFixture.show(stage, window);
        studio.refreshRuns();
    }

    @Test
    void sidebarListsTheTrainedRunWithItsStepAndLoss(FxRobot robot) throws Exception {
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> !studio.runs().isEmpty());
        RunInfo info = studio.runs().get(0);
        assertEquals(StudioFixture.RUN, info.name());
        assertEquals(StudioFixture.STEPS, info.step());
        assertTrue(Double.isFinite(info.lastLoss()) && info.lastLoss() > 0, "last loss " + info.lastLoss());
        ListView<?> list = robot.lookup("#runs-list").queryAs(ListView.class);
        assertEquals(1, list.getItems().size());
        robot.clickOn(StudioFixture.RUN);
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals(StudioFixture.RUN, studio.selectedRunProperty().get().name());
    }

    @Test
    void shortcutsBringEachPaneToTheFront(FxRobot robot) {
        TabPane tabs = robot.lookup(".tab-pane").queryAs(TabPane.class);
        assertEquals(List.of("Dataset", "Autoencoder", "Hyperparameters", "Training", "Gallery", "Denoising"),
                tabs.getTabs().stream().map(t -> t.getText()).toList());
        for (int i = 0; i < 6; i++) {
            robot.press(KeyCode.CONTROL, KeyCode.getKeyCode(String.valueOf(i + 1))).release(KeyCode.getKeyCode(
                    String.valueOf(i + 1)), KeyCode.CONTROL);
            WaitForAsyncUtils.waitForFxEvents();
            assertEquals(window.paneIds().get(i), window.current());
        }
    }

    @Test
    void errorsShowAsOneLineInTheMessageBarAndCanBeDismissed(FxRobot robot) {
        StudioFixture.onFx(() -> studio.error(new java.io.IOException("metrics.jsonl line 3: expected a number")));
        WaitForAsyncUtils.waitForFxEvents();
        Label message = robot.lookup("#message").queryAs(Label.class);
        assertTrue(message.isVisible());
        assertEquals("metrics.jsonl line 3: expected a number", message.getText());
        robot.press(KeyCode.ESCAPE).release(KeyCode.ESCAPE);
        WaitForAsyncUtils.waitForFxEvents();
        assertTrue(!robot.lookup("#message-bar").query().isVisible());
    }

    @Test
    void rendersTheWindowToAScreenshot(FxRobot robot) throws Exception {
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> !studio.runs().isEmpty());
        StudioFixture.onFx(() -> studio.selectedRunProperty().set(studio.runs().get(0)));
        WaitForAsyncUtils.waitForFxEvents();
        Path[] file = new Path[1];
        StudioFixture.onFx(() -> file[0] = StudioFixture.screenshot(scene, "main-window"));
        assertTrue(Files.size(file[0]) > 5_000, "screenshot " + file[0] + " is " + Files.size(file[0]) + " bytes");
        java.awt.image.BufferedImage img = javax.imageio.ImageIO.read(file[0].toFile());
        assertEquals(1400, img.getWidth());
        assertEquals(900, img.getHeight());
    }

    @Test
    void aMessageLiesOverThePanesAndMovesNothing(FxRobot robot) {
        TabPane tabs = robot.lookup(".tab-pane").queryAs(TabPane.class);
        javafx.geometry.Bounds before = io.ldmstudio.ui.training.TrainingTestSupport.fx(() -> tabs.localToScene(tabs.getBoundsInLocal()));
        StudioFixture.onFx(() -> studio.error("a long message that names a file and says what was expected of it, "
                .repeat(12)));
        org.testfx.util.WaitForAsyncUtils.waitForFxEvents(); // a layout pass
        javafx.scene.Node bar = robot.lookup("#message-bar").query();
        org.junit.jupiter.api.Assertions.assertTrue(io.ldmstudio.ui.training.TrainingTestSupport.fx(bar::isVisible));
        javafx.geometry.Bounds during = io.ldmstudio.ui.training.TrainingTestSupport.fx(() -> tabs.localToScene(tabs.getBoundsInLocal()));
        org.junit.jupiter.api.Assertions.assertEquals(before, during, "the panes stay where they were");
        javafx.geometry.Bounds barBounds = io.ldmstudio.ui.training.TrainingTestSupport.fx(() -> bar.localToScene(bar.getBoundsInLocal()));
        javafx.scene.Node text = robot.lookup("#message").query();
        javafx.geometry.Bounds textBounds = io.ldmstudio.ui.training.TrainingTestSupport.fx(
                () -> text.localToScene(text.getBoundsInLocal()));
        org.junit.jupiter.api.Assertions.assertTrue(textBounds.getHeight() > 40, "the long message wraps: " + textBounds);
        org.junit.jupiter.api.Assertions.assertTrue(barBounds.getMaxY() >= textBounds.getMaxY(),
                "the bar holds every line: " + barBounds + " " + textBounds);
        StudioFixture.onFx(() -> StudioFixture.screenshot(scene, "message-overlay"));
        StudioFixture.onFx(() -> studio.messageProperty().set(null));
        org.junit.jupiter.api.Assertions.assertEquals(before,
                io.ldmstudio.ui.training.TrainingTestSupport.fx(() -> tabs.localToScene(tabs.getBoundsInLocal())));
    }
}

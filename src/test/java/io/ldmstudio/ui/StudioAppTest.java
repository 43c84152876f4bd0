package io.ldmstudio.ui;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.RunStatus;
import io.ldmstudio.service.TrainingJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import javafx.scene.control.ButtonType;
import javafx.scene.control.DialogPane;
import javafx.stage.Stage;
import javafx.stage.WindowEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.api.FxToolkit;
import org.testfx.util.WaitForAsyncUtils;

/** The application as a user opens and closes it: remembered settings, closing during training. */
class StudioAppTest {
    @TempDir
    Path tmp;
    Path settings;
    String oldSettings;
    StudioApp app;

    @BeforeEach
    void open() throws Exception {
        oldSettings = System.getProperty("ldm.studio.settings");
        settings = tmp.resolve("settings.json");
        System.setProperty("ldm.studio.settings", settings.toString());
        Files.createDirectories(tmp.resolve("ws"));
        StudioApp.request(tmp.resolve("ws"), "cpu");
        FxToolkit.registerPrimaryStage();
        app = (StudioApp) FxToolkit.setupApplication(StudioApp.class);
        WaitForAsyncUtils.waitForFxEvents();
    }

    @AfterEach
    void close() throws Exception {
        FxToolkit.cleanupStages();
        if (oldSettings != null) {
            System.setProperty("ldm.studio.settings", oldSettings);
        }
    }

    /** Asks the window to close as the title bar's button does; returns at once (a dialog may be open). */
    void requestClose() {
        Stage stage = app.stage();
        javafx.application.Platform.runLater(() -> stage.fireEvent(new WindowEvent(stage, WindowEvent.WINDOW_CLOSE_REQUEST)));
    }

    @Test
    void windowSizeLastPaneAndWorkspaceAreRememberedOnClose() throws Exception {
        StudioFixture.onFx(() -> {
            app.stage().setWidth(1234);
            app.stage().setHeight(777);
            app.window().show("gallery");
        });
        requestClose();
        WaitForAsyncUtils.waitForFxEvents();
        StudioSettings saved = StudioSettings.load(settings);
        assertEquals(1234, saved.width, 0.5);
        assertEquals(777, saved.height, 0.5);
        assertEquals("gallery", saved.lastPane);
        assertEquals(tmp.resolve("ws").toAbsolutePath().normalize().toString(), saved.lastWorkspace);

        // the next start opens where the user left off
        FxToolkit.cleanupStages();
        StudioApp.request(null, "cpu");
        app = (StudioApp) FxToolkit.setupApplication(StudioApp.class);
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals("gallery", app.window().current());
        assertEquals(1234, app.stage().getWidth(), 0.5);
        assertEquals(tmp.resolve("ws").toAbsolutePath().normalize(), app.studio().workspace().root().toAbsolutePath());
    }

    @Test
    void closingDuringTrainingAsksAndStopWritesACheckpoint() throws Exception {
        Studio studio = app.studio();
        Run run = studio.workspace().create("long", StudioFixture.tinyConfig("optim.steps=100000",
                "logging.checkpoint_every=100000", "logging.sample_every=100000").withPreset("quickstart"));
        TrainingJob job = studio.training().start(run, 0);
        WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, () -> !run.metrics().isEmpty());
        requestClose();
        FxRobot robot = new FxRobot();
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> robot.lookup(".dialog-pane").tryQuery().isPresent());
        DialogPane dialog = robot.lookup(".dialog-pane").queryAs(DialogPane.class);
        assertTrue(dialog.getContentText().contains("long"), dialog.getContentText());
        ButtonType stop = dialog.getButtonTypes().stream().filter(b -> b.getText().startsWith("Stop")).findFirst()
                .orElseThrow();
        robot.clickOn(dialog.lookupButton(stop));
        WaitForAsyncUtils.waitFor(120, TimeUnit.SECONDS, () -> job.done().isDone());
        assertEquals(RunStatus.STOPPED, run.state().status());
        assertTrue(run.latestCheckpoint().isPresent(), "stopping writes a checkpoint");
        assertTrue(run.latestCheckpoint().get().step() > 0);
    }
}

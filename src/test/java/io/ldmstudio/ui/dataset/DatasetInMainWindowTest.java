package io.ldmstudio.ui.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.data.ProceduralSource;
import io.ldmstudio.ui.MainWindow;
import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioFixture;
import io.ldmstudio.ui.autoencoder.AutoencoderPane;
import io.ldmstudio.ui.common.CurrentDataset;
import java.util.concurrent.TimeUnit;
import javafx.scene.Scene;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/** The Dataset pane in the main window follows the selected run and hands its dataset to the Autoencoder pane. */
@ExtendWith(ApplicationExtension.class)
class DatasetInMainWindowTest {
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

    @AfterEach
    void dispose() {
        StudioFixture.onFx(window::dispose);
    }

    @Test
    void selectingARunShowsItsDataAndTheAutoencoderPaneUsesIt(FxRobot robot) throws Exception {
        DatasetViewModel vm = ((DatasetPane) window.pane("dataset")).viewModel();
        // nothing selected: the built-in shapes at the default 32 px
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> vm.sourceProperty().get() != null && !studio.runs().isEmpty());
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals(32, vm.resolutionProperty().get());
        assertTrue(vm.originProperty().get().contains("no run selected"), vm.originProperty().get());

        StudioFixture.onFx(() -> studio.selectedRunProperty().set(studio.runs().get(0)));
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> vm.resolutionProperty().get() == 16
                && vm.originProperty().get().contains(StudioFixture.RUN) && !vm.loadingProperty().get());
        WaitForAsyncUtils.waitForFxEvents();
        assertTrue(vm.sourceProperty().get() instanceof ProceduralSource);
        CurrentDataset.Choice shared = CurrentDataset.of(studio).get();
        assertEquals(16, shared.transform().resolution());
        assertEquals(vm.sourceProperty().get(), shared.source());
        var ae = ((AutoencoderPane) window.pane("autoencoder")).viewModel();
        assertEquals(16, ae.resolutionProperty().get());
        assertEquals(vm.sourceProperty().get(), ae.source());

        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> vm.previewProperty().get() != null
                && vm.previewProperty().get().transformed().getWidth() == 16 && vm.thumbnails().pendingCount() == 0);
        Thread.sleep(200);
        WaitForAsyncUtils.waitForFxEvents();
        StudioFixture.onFx(() -> StudioFixture.screenshot(scene, "main-window-dataset"));
    }
}

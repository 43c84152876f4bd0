package io.ldmstudio.ui.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioFixture;
import io.ldmstudio.ui.StudioStyle;
import io.ldmstudio.ui.hyperparameters.HyperparametersPane;
import io.ldmstudio.ui.hyperparameters.HyperparametersViewModel;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import javafx.scene.Scene;
import javafx.scene.control.Button;
import javafx.scene.control.TextField;
import javafx.scene.layout.HBox;
import javafx.stage.Stage;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/** "Train on this dataset": the Dataset pane's open folder becomes a new run's draft in the Hyperparameters pane. */
@ExtendWith(ApplicationExtension.class)
class TrainOnDatasetTest {
    Studio studio;
    DatasetPane dataset;
    HyperparametersPane hyper;

    @TempDir
    Path tmp;

    @Start
    void start(Stage stage) throws Exception {
        studio = StudioFixture.studio(StudioFixture.emptyWorkspace());
        hyper = new HyperparametersPane(studio);
        dataset = new DatasetPane(studio);
        Scene scene = new Scene(new HBox(dataset.view(), hyper.view()), 1600, 860);
        scene.getStylesheets().add(StudioStyle.stylesheet());
        stage.setScene(scene);
        stage.show();
    }

    @AfterEach
    void dispose() {
        StudioFixture.onFx(dataset::dispose);
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
    void theOpenFolderBecomesADraftNamedAfterIt(FxRobot robot) throws Exception {
        Path faces = tmp.resolve("faces");
        for (int i = 0; i < 7; i++) {
            BufferedImage img = new BufferedImage(40, 40, BufferedImage.TYPE_INT_RGB);
            img.setRGB(i, i, 0xFFFFFF);
            Path f = faces.resolve(i < 4 ? "smiling" : "serious").resolve("f" + i + ".png");
            Files.createDirectories(f.getParent());
            ImageIO.write(img, "png", f.toFile());
        }
        DatasetViewModel vm = dataset.viewModel();
        waitFor("the default source", () -> vm.sourceProperty().get() != null && !vm.loadingProperty().get());
        StudioFixture.onFx(() -> {
            vm.choose(DatasetViewModel.Kind.FOLDER, faces.toString());
            vm.resolutionProperty().set(16);
            vm.flipProperty().set(true);
        });
        waitFor("the folder", () -> vm.countProperty().get() == 7 && !vm.loadingProperty().get());

        robot.clickOn("#dataset-train");
        WaitForAsyncUtils.waitForFxEvents();

        HyperparametersViewModel h = hyper.viewModel();
        java.util.function.Function<String, String> text = k -> h.field(k).orElseThrow().textProperty().get();
        assertEquals("folder", text.apply("data.source"));
        assertEquals(faces.toAbsolutePath().toString(), text.apply("data.path"));
        assertEquals("16", text.apply("data.resolution"));
        assertEquals("3", text.apply("data.channels"));
        assertEquals("true", text.apply("data.flip"));
        assertEquals("trained on " + faces.toAbsolutePath() + " (7 images), from preset quickstart",
                text.apply("description"));
        assertEquals("quickstart", h.basePresetProperty().get());
        String name = robot.lookup("#run-name").queryAs(TextField.class).getText();
        assertTrue(name.startsWith("faces-quickstart-"), name);
        assertTrue(h.validProperty().get(), "the folder exists: the draft can start — " + h.summaryProperty().get());
        assertFalse(robot.lookup("#start-training").queryAs(Button.class).isDisabled());
        assertEquals("", h.field("data.path").orElseThrow().errorProperty().get());

        // a gray dataset starts from the gray CPU preset
        StudioFixture.onFx(() -> vm.channelsProperty().set(1));
        assertEquals("fashion-mnist-pixel-cpu", vm.trainingPreset());
        StudioFixture.onFx(() -> StudioFixture.screenshot(robot.lookup("#dataset-pane").query(), "dataset-train-button"));
    }
}

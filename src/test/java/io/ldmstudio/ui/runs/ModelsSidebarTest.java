package io.ldmstudio.ui.runs;

import static io.ldmstudio.ui.training.TrainingTestSupport.await;
import static io.ldmstudio.ui.training.TrainingTestSupport.fx;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.service.ModelFixtures;
import io.ldmstudio.service.ModelInfo;
import io.ldmstudio.service.Models;
import io.ldmstudio.ui.MainWindow;
import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioFixture;
import io.ldmstudio.ui.training.TrainingTestSupport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javafx.scene.Scene;
import javafx.scene.control.Labeled;
import javafx.scene.control.ListCell;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;

/** The sidebar's Models section: the pipelines under models/, Open model… (driven through the studio). */
@ExtendWith(ApplicationExtension.class)
class ModelsSidebarTest {
    Path root;
    Path elsewhere;
    Studio studio;
    MainWindow window;
    Scene scene;

    @Start
    void start(Stage stage) throws Exception {
        root = StudioFixture.emptyWorkspace();
        elsewhere = Files.createTempDirectory("ldm-models-elsewhere-");
        studio = StudioFixture.studio(root);
        studio.workspace().create("alpha", StudioFixture.tinyConfig().withPreset("quickstart"));
        ModelFixtures.ldm(studio.workspace().modelsDir().resolve("vq-ldm"));
        window = new MainWindow(studio, () -> {});
        scene = StudioFixture.show(stage, window);
        studio.refreshRuns();
    }

    @AfterEach
    void tearDown() {
        StudioFixture.onFx(window::dispose);
        studio.training().close();
        TrainingTestSupport.deleteQuietly(root);
        TrainingTestSupport.deleteQuietly(elsewhere);
    }

    private List<String> modelNames() {
        return fx(() -> studio.models().stream().map(ModelInfo::name).toList());
    }

    /** The texts of the labels in the models list's cells that show something. */
    private String shownText(FxRobot robot) {
        return fx(() -> robot.lookup("#models-list").lookup(".list-cell").queryAll().stream()
                .filter(n -> n instanceof ListCell<?> c && c.getItem() != null)
                .flatMap(n -> n.lookupAll(".label").stream())
                .map(n -> ((Labeled) n).getText())
                .reduce("", (a, b) -> a + " | " + b));
    }

    @Test
    void theSidebarListsTheModelsUnderTheRunsWithTheirClass(FxRobot robot) throws Exception {
        await(30, "the model listed", () -> modelNames().equals(List.of("vq-ldm")));
        await(10, "the runs listed too", () -> studio.runs().size() == 1);
        String shown = shownText(robot);
        assertTrue(shown.contains("vq-ldm") && shown.contains("LDMPipeline")
                && shown.contains("VQModel f=2 · 3×8×8 latents → 16 px RGB"), shown);
        // the Models section sits under the runs list
        double runsBottom = fx(() -> robot.lookup("#runs-list").query().localToScene(
                robot.lookup("#runs-list").query().getBoundsInLocal()).getMaxY());
        double modelsTop = fx(() -> robot.lookup("#models-list").query().localToScene(
                robot.lookup("#models-list").query().getBoundsInLocal()).getMinY());
        assertTrue(modelsTop > runsBottom, modelsTop + " vs " + runsBottom);

        // choosing it in the list is what the Denoising pane follows
        StudioFixture.onFx(() -> window.sidebar().modelsList().getSelectionModel().select(0));
        assertEquals(studio.workspace().modelsDir().resolve("vq-ldm"), fx(() -> studio.selectedModelProperty().get().dir()));
        StudioFixture.onFx(() -> StudioFixture.screenshot(scene, "models-sidebar"));
    }

    @Test
    void openingANonPipelineFolderSaysWhichAndAPipelineIsAddedAndRemembered(FxRobot robot) throws Exception {
        await(30, "the model listed", () -> modelNames().equals(List.of("vq-ldm")));
        Path photos = Files.createDirectories(elsewhere.resolve("photos"));
        StudioFixture.onFx(() -> studio.openModel(photos));
        await(30, "the error", () -> studio.messageProperty().get() != null && studio.messageProperty().get().error());
        String text = fx(() -> studio.messageProperty().get().text());
        assertTrue(text.contains(photos.toString()) && text.contains("model_index.json"), text);
        assertEquals(List.of("vq-ldm"), modelNames());
        assertTrue(new Models(studio.workspace()).remembered().isEmpty());

        Path ddpm = ModelFixtures.ddpm(elsewhere.resolve("pixel-ddpm"));
        StudioFixture.onFx(() -> studio.openModel(ddpm));
        await(30, "the opened model listed and chosen", () -> modelNames().equals(List.of("vq-ldm", "pixel-ddpm"))
                && studio.selectedModelProperty().get() != null
                && studio.selectedModelProperty().get().name().equals("pixel-ddpm"));
        assertEquals("pixel-ddpm", fx(() -> window.sidebar().modelsList().getSelectionModel().getSelectedItem().name()));
        assertTrue(fx(() -> !studio.messageProperty().get().error()
                && studio.messageProperty().get().text().contains("DDPMPipeline")));
        // there at the next start
        assertEquals(List.of(ddpm.toAbsolutePath().normalize()), new Models(studio.workspace()).remembered());

        // gone: listed as missing after a refresh, not an error; a folder in models/ that is no pipeline: broken
        TrainingTestSupport.deleteQuietly(ddpm);
        Files.createDirectories(studio.workspace().modelsDir().resolve("half-copied"));
        StudioFixture.onFx(studio::refreshRuns);
        await(30, "missing", () -> studio.models().size() == 3
                && studio.models().get(2).status() == ModelInfo.Status.MISSING);
        assertEquals(List.of("half-copied", "vq-ldm", "pixel-ddpm"), modelNames());
        assertEquals(ModelInfo.Status.BROKEN, fx(() -> studio.models().get(0).status()));
        await(10, "shown as missing and broken", () -> shownText(robot).contains("missing")
                && shownText(robot).contains("broken") && shownText(robot).contains("model_index.json"));
        String shown = shownText(robot);
        assertTrue(shown.contains("| not a diffusers pipeline folder") && shown.contains("| the folder is gone"), shown);
        StudioFixture.onFx(() -> StudioFixture.screenshot(window.sidebar().view(), "models-sidebar-missing"));
    }

    @Test
    void evaluateOnAModelOpensItsWindowAndAModelOfNoKnownDatasetIsAskedForOne(FxRobot robot) throws Exception {
        await(30, "the model listed", () -> modelNames().equals(List.of("vq-ldm")));
        StudioFixture.onFx(() -> window.sidebar().modelsList().getSelectionModel().select(0));
        javafx.scene.control.MenuItem evaluate = fx(() -> window.sidebar().modelsList().getContextMenu().getItems()
                .stream().filter(i -> "model-evaluate".equals(i.getId())).findFirst().orElseThrow());
        assertEquals("Evaluate…", evaluate.getText());
        StudioFixture.onFx(evaluate::fire);
        await(60, "the Evaluate window", () -> fx(() -> javafx.stage.Window.getWindows().stream()
                .anyMatch(w -> w instanceof Stage st && "Evaluate model vq-ldm".equals(st.getTitle()))));
        Stage stage = fx(() -> (Stage) javafx.stage.Window.getWindows().stream().filter(w -> w instanceof Stage st
                && "Evaluate model vq-ldm".equals(st.getTitle())).findFirst().orElseThrow());
        javafx.scene.Parent content = fx(() -> stage.getScene().getRoot());
        // the fixture's 16-px RGB LDM names no training data, and no preset or source makes 16-px RGB images
        assertTrue(fx(() -> ((javafx.scene.control.ComboBox<?>) content.lookup("#evaluate-dataset")).getItems()
                .isEmpty()));
        StudioFixture.onFx(() -> ((javafx.scene.control.Button) content.lookup("#evaluate-start")).fire());
        String status = fx(() -> ((javafx.scene.control.Label) content.lookup("#evaluate-status")).getText());
        assertTrue(status.startsWith("Dataset: choose the dataset") && status.contains("model vq-ldm"), status);
        StudioFixture.onFx(stage::close);
    }
}

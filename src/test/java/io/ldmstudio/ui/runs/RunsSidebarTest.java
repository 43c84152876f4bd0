package io.ldmstudio.ui.runs;

import static io.ldmstudio.ui.training.TrainingTestSupport.await;
import static io.ldmstudio.ui.training.TrainingTestSupport.fx;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.RunInfo;
import io.ldmstudio.ui.MainWindow;
import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioFixture;
import io.ldmstudio.ui.training.TrainingTestSupport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javafx.scene.Scene;
import javafx.scene.control.ListView;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;

/** Managing runs from the sidebar: rename, duplicate, note, delete (asked first), the New run menu. */
@ExtendWith(ApplicationExtension.class)
class RunsSidebarTest {
    Path root;
    Path trash;
    Studio studio;
    MainWindow window;
    Scene scene;

    @Start
    void start(Stage stage) throws Exception {
        root = StudioFixture.emptyWorkspace();
        trash = Files.createTempDirectory("ldm-trash-");
        System.setProperty("ldm.trash.dir", trash.toString());
        studio = StudioFixture.studio(root);
        studio.workspace().create("alpha", StudioFixture.tinyConfig().withPreset("quickstart"));
        window = new MainWindow(studio, () -> {});
        scene = StudioFixture.show(stage, window);
        studio.refreshRuns();
    }

    @AfterEach
    void tearDown() {
        System.clearProperty("ldm.trash.dir");
        StudioFixture.onFx(window::dispose);
        studio.training().close();
        TrainingTestSupport.deleteQuietly(root);
        TrainingTestSupport.deleteQuietly(trash);
    }

    private List<String> names() {
        return fx(() -> studio.runs().stream().map(RunInfo::name).toList());
    }

    @Test
    void renameDuplicateAndNoteKeepTheListAndSelectionRight() throws Exception {
        await(30, "listing", () -> names().equals(List.of("alpha")));
        Run alpha = studio.workspace().open("alpha");
        alpha.appendMetrics(new io.ldmstudio.runs.MetricsRow(1, 0.9, 1e-4, 1, 10, 1));
        RunsSidebar sidebar = window.sidebar();

        StudioFixture.onFx(() -> sidebar.rename("alpha", "beta"));
        await(30, "renamed", () -> names().equals(List.of("beta")));
        await(30, "still selected", () -> fx(() -> studio.selectedRunProperty().get() != null
                && studio.selectedRunProperty().get().name().equals("beta")));
        assertEquals(1, studio.workspace().open("beta").metrics().size(), "the history moved with it");

        StudioFixture.onFx(() -> sidebar.duplicate("beta", "gamma"));
        await(30, "duplicated", () -> names().contains("gamma") && names().contains("beta"));
        assertTrue(studio.workspace().open("gamma").metrics().isEmpty(), "config only");
        assertEquals(studio.workspace().open("beta").config(), studio.workspace().open("gamma").config());

        StudioFixture.onFx(() -> sidebar.setNote("gamma", "the same with a lower lr"));
        await(30, "the note in the listing", () -> fx(() -> studio.runs().stream()
                .anyMatch(r -> r.name().equals("gamma") && r.note().equals("the same with a lower lr"))));
        StudioFixture.onFx(() -> StudioFixture.screenshot(scene, "runs-sidebar-managed"));
    }

    @Test
    void deleteAsksFirstAndMovesTheRunToTheTrash(FxRobot robot) throws Exception {
        await(30, "listing", () -> names().equals(List.of("alpha")));
        StudioFixture.onFx(() -> studio.select("alpha"));
        ListView<?> list = fx(() -> (ListView<?>) scene.lookup("#runs-list"));
        await(30, "selected", () -> fx(() -> list.getSelectionModel().getSelectedItem() != null));
        javafx.scene.control.ContextMenu menu = fx(list::getContextMenu);
        javafx.scene.control.MenuItem delete = fx(() -> menu.getItems().stream()
                .filter(i -> "run-delete".equals(i.getId())).findFirst().orElseThrow());
        StudioFixture.onFx(() -> menu.show(list, javafx.geometry.Side.TOP, 20, 20));
        assertFalse(fx(delete::isDisable), "an idle run can be deleted");
        StudioFixture.onFx(menu::hide);
        javafx.application.Platform.runLater(delete::fire); // the question waits for an answer: not onFx
        await(10, "the question", () -> robot.lookup("Delete 'alpha'?").tryQuery().isPresent());
        robot.clickOn("Cancel");
        Thread.sleep(300);
        assertEquals(List.of("alpha"), names(), "Cancel keeps it");
        javafx.application.Platform.runLater(delete::fire);
        await(10, "the question", () -> robot.lookup("Delete 'alpha'?").tryQuery().isPresent());
        robot.clickOn("OK");
        await(30, "deleted", () -> names().isEmpty());
        assertFalse(Files.exists(root.resolve("runs/alpha")));
        assertTrue(Files.isDirectory(trash.resolve("files")), "in the trash");
        try (var files = Files.list(trash.resolve("files"))) {
            assertTrue(files.anyMatch(p -> p.getFileName().toString().startsWith("alpha-")));
        }
    }

    @Test
    void theNewRunMenuPutsThePresetsForACpuFirstWithTheirDescriptions(FxRobot robot) {
        robot.clickOn("#new-run");
        List<String> ids = fx(() -> ((javafx.scene.control.MenuButton) scene.lookup("#new-run")).getItems().stream()
                .map(javafx.scene.control.MenuItem::getId).filter(id -> id != null).toList());
        int firstGpu = -1;
        for (int i = 0; i < ids.size(); i++) {
            String name = ids.get(i).substring("preset-".length());
            boolean cpu = RunsSidebar.runsOnCpu(studio.presets().list().stream().filter(p -> p.name().equals(name))
                    .findFirst().orElseThrow());
            if (!cpu && firstGpu < 0) {
                firstGpu = i;
            }
            assertTrue(cpu || firstGpu >= 0, "no CPU preset after a GPU one: " + ids);
        }
        assertTrue(ids.contains("preset-quickstart") && ids.indexOf("preset-quickstart") < firstGpu, ids.toString());
        assertTrue(robot.lookup(n -> n instanceof javafx.scene.control.Label l && l.getText() != null
                && l.getText().startsWith("Procedural shapes")).tryQuery().isPresent(), "descriptions are shown");
        StudioFixture.onFx(() -> StudioFixture.screenshot(scene, "runs-new-menu"));
        robot.press(javafx.scene.input.KeyCode.ESCAPE).release(javafx.scene.input.KeyCode.ESCAPE);
    }
}

package io.ldmstudio.ui.denoising;

import io.ldmstudio.config.SamplerKind;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.runs.Workspace;
import io.ldmstudio.ui.MainWindow;
import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioFixture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javafx.scene.Node;
import javafx.scene.Scene;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.TabPane;
import javafx.scene.control.TextField;
import javafx.scene.input.KeyCode;
import javafx.stage.Stage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/**
 * The Denoising pane inside the main window, beside the runs sidebar and the other tabs: the Run box
 * keeps the run a trajectory was generated from when the runs are listed again, and ← → Home End
 * scrub instead of switching tabs.
 */
@ExtendWith(ApplicationExtension.class)
class DenoisingInMainWindowTest {
    /** A second run of the workspace, selected in the sidebar while the Denoising pane samples the trained one. */
    static final String OTHER = "other";

    Studio studio;
    MainWindow window;
    Scene scene;
    DenoisingViewModel vm;
    Workspace workspace;

    @Start
    void start(Stage stage) throws IOException {
        // a copy of the trained workspace, so runs can be added without other tests seeing them
        Path root = StudioFixture.emptyWorkspace();
        copy(StudioFixture.trainedWorkspace(), root);
        workspace = new Workspace(root);
        workspace.create(OTHER, StudioFixture.tinyConfig());
        studio = StudioFixture.studio(root);
        window = new MainWindow(studio, () -> {});
        vm = ((DenoisingPane) window.pane("denoising")).model();
        scene = StudioFixture.show(stage, window);
        studio.refreshRuns();
    }

    private static void copy(Path from, Path to) throws IOException {
        try (Stream<Path> files = Files.walk(from)) {
            for (Path p : files.toList()) {
                Path q = to.resolve(from.relativize(p).toString());
                if (Files.isDirectory(p)) {
                    Files.createDirectories(q);
                } else if (!p.getFileName().toString().startsWith(".")) {
                    try {
                        Files.copy(p, q);
                    } catch (java.nio.file.NoSuchFileException e) {
                        // a temporary file of the fixture's training, renamed meanwhile
                    }
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private void awaitCheckpoints(String run) throws Exception {
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> run.equals(vm.runNameProperty().get())
                && vm.checkpoints().size() == 2 && vm.checkpointProperty().get() != null);
        WaitForAsyncUtils.waitForFxEvents();
    }

    private void generate(SamplerKind sampler, int steps) throws Exception {
        StudioFixture.onFx(() -> {
            vm.samplerProperty().set(sampler);
            vm.stepsProperty().set(steps);
            vm.seedProperty().set(3);
            vm.imagesProperty().set(2);
        });
        Button button = (Button) scene.lookup("#denoise-generate");
        WaitForAsyncUtils.waitFor(10, TimeUnit.SECONDS, () -> !button.isDisabled());
        StudioFixture.onFx(button::fire);
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> vm.primaryProperty().get() != null);
        WaitForAsyncUtils.waitFor(120, TimeUnit.SECONDS, () -> !vm.runningProperty().get());
        WaitForAsyncUtils.waitForFxEvents();
        Studio.Message m = studio.messageProperty().get();
        assertTrue(m != null && !m.error() && m.text().startsWith("Generated"), "message " + m);
        assertEquals(steps, vm.frameCountProperty().get());
    }

    private void press(FxRobot robot, KeyCode key) {
        robot.press(key).release(key);
        WaitForAsyncUtils.waitForFxEvents();
    }

    @Test
    void theRunBoxStaysOnTheGeneratedRunWhenTheRunsAreListedAgain(FxRobot robot) throws Exception {
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> studio.runs().size() == 2);
        StudioFixture.onFx(() -> {
            studio.select(OTHER);
            window.show("denoising");
        });
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> OTHER.equals(vm.runNameProperty().get()));
        @SuppressWarnings("unchecked")
        ComboBox<DenoisingViewModel.SourceChoice> runBox = (ComboBox<DenoisingViewModel.SourceChoice>) scene.lookup("#denoise-run");
        assertEquals(DenoisingViewModel.SourceChoice.of(OTHER), runBox.getValue(), "the Run box follows the sidebar");

        // the trained run picked in the Run box, at its older checkpoint, while the sidebar stays on the other
        StudioFixture.onFx(() -> runBox.setValue(DenoisingViewModel.SourceChoice.of(StudioFixture.RUN)));
        awaitCheckpoints(StudioFixture.RUN);
        StudioFixture.onFx(() -> vm.checkpointProperty().set(vm.checkpoints().get(1)));
        assertEquals(StudioFixture.EVERY, vm.checkpointProperty().get().step());
        generate(SamplerKind.DDIM, 5);
        assertEquals(StudioFixture.RUN, vm.primaryProperty().get().runName());

        List<Object> moved = new ArrayList<>();
        StudioFixture.onFx(() -> {
            vm.runNameProperty().addListener((o, a, b) -> moved.add("run " + b));
            vm.checkpointProperty().addListener((o, a, b) -> moved.add("checkpoint " + b));
        });
        // the list read again (F5; while training, every few seconds) after the sidebar's run logged a
        // step, as a training run does, and a run was made: a new RunInfo of the sidebar's run, and a
        // longer list of names for the Run box
        Files.writeString(workspace.runsDir().resolve(OTHER).resolve("metrics.jsonl"), "{\"step\":1,\"loss\":0.5,"
                + "\"lr\":2.0E-4,\"grad_norm\":0.9,\"images_per_s\":200.0,\"time\":0.1,\"wall\":1.0E9,\"epoch\":0.0}\n");
        workspace.create("made-meanwhile", StudioFixture.tinyConfig());
        press(robot, KeyCode.F5);
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> vm.runNames().size() == 3);
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals(OTHER, studio.selectedRunProperty().get().name());
        assertEquals(1, studio.selectedRunProperty().get().step(), "the sidebar's run as listed anew");
        assertEquals(DenoisingViewModel.SourceChoice.of(StudioFixture.RUN), runBox.getValue());
        assertEquals(StudioFixture.RUN, vm.runNameProperty().get());
        assertEquals(StudioFixture.EVERY, vm.checkpointProperty().get().step(), "the checkpoint chosen stays");
        assertEquals(List.of(), moved, "nothing reloaded or reset");
        assertEquals("", vm.settingsErrorProperty().get());
        assertTrue(vm.canGenerate().get());

        // choosing another run in the sidebar still moves the Run box
        StudioFixture.onFx(() -> studio.select("made-meanwhile"));
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> "made-meanwhile".equals(vm.runNameProperty().get()));
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals(DenoisingViewModel.SourceChoice.of("made-meanwhile"), runBox.getValue());
    }

    @Test
    void arrowsHomeAndEndScrubInsideThePaneAndNeverSwitchTabs(FxRobot robot) throws Exception {
        WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> studio.runs().size() == 2);
        StudioFixture.onFx(() -> studio.select(StudioFixture.RUN));
        robot.press(KeyCode.CONTROL, KeyCode.DIGIT6).release(KeyCode.DIGIT6, KeyCode.CONTROL);
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals("denoising", window.current());
        awaitCheckpoints(StudioFixture.RUN);
        generate(SamplerKind.DDIM, 8);

        // a click on a picture: no control takes it, and the tab pane must not get the focus
        robot.clickOn("#denoise-frame-0-x0");
        Node pane = scene.lookup("#denoising-pane");
        Node focus = scene.getFocusOwner();
        assertFalse(focus instanceof TabPane, "focus " + focus);
        assertTrue(inside(focus, pane), "focus " + focus + " is in the Denoising pane");
        StudioFixture.onFx(() -> vm.indexProperty().set(3));
        press(robot, KeyCode.LEFT);
        assertEquals(2, vm.indexProperty().get());
        assertEquals("denoising", window.current());
        press(robot, KeyCode.RIGHT);
        press(robot, KeyCode.RIGHT);
        assertEquals(4, vm.indexProperty().get());
        press(robot, KeyCode.HOME);
        assertEquals(0, vm.indexProperty().get());
        press(robot, KeyCode.LEFT);
        assertEquals(0, vm.indexProperty().get(), "the first step is as far back as it goes");
        press(robot, KeyCode.END);
        assertEquals(7, vm.indexProperty().get());
        assertEquals("denoising", window.current());

        // in a text field the keys move the caret: no scrubbing, no tab switch
        robot.clickOn("#denoise-export-steps");
        TextField steps = (TextField) scene.lookup("#denoise-export-steps");
        assertSame(steps, scene.getFocusOwner());
        press(robot, KeyCode.HOME);
        assertEquals(0, steps.getCaretPosition());
        press(robot, KeyCode.RIGHT);
        assertEquals(1, steps.getCaretPosition());
        press(robot, KeyCode.LEFT);
        assertEquals(7, vm.indexProperty().get());
        assertEquals("denoising", window.current());

        // in an editable spinner too
        robot.clickOn("#denoise-seed");
        press(robot, KeyCode.END);
        press(robot, KeyCode.LEFT);
        assertEquals(7, vm.indexProperty().get());
        assertEquals("denoising", window.current());

        // a closed combo box has no use for them: they scrub
        StudioFixture.onFx(() -> scene.lookup("#denoise-checkpoint").requestFocus());
        press(robot, KeyCode.LEFT);
        assertEquals(6, vm.indexProperty().get());
        press(robot, KeyCode.HOME);
        assertEquals(0, vm.indexProperty().get());
        assertEquals("denoising", window.current());
        StudioFixture.onFx(() -> StudioFixture.screenshot(scene, "denoising-in-main-window"));
    }

    private static boolean inside(Node n, Node ancestor) {
        for (Node p = n; p != null; p = p.getParent()) {
            if (p == ancestor) {
                return true;
            }
        }
        return false;
    }
}

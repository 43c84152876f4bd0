package io.ldmstudio.ui.gallery;

import static io.ldmstudio.ui.training.TrainingTestSupport.await;
import static io.ldmstudio.ui.training.TrainingTestSupport.fx;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.runs.Run;
import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioFixture;
import io.ldmstudio.ui.common.PixelView;
import io.ldmstudio.ui.gallery.GalleryViewModel.Side;
import io.ldmstudio.ui.training.TrainingTestSupport;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javafx.scene.Scene;
import javafx.scene.control.Label;
import javafx.scene.control.Slider;
import javafx.scene.image.Image;
import javafx.scene.image.PixelReader;
import javafx.scene.input.KeyCode;
import javafx.scene.input.MouseButton;
import javafx.stage.Stage;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/** The Gallery pane over a copy of the fixture's trained run (grids at steps 12 and 24). */
@ExtendWith(ApplicationExtension.class)
class GalleryPaneTest {
    Path root;
    Studio studio;
    GalleryPane pane;
    GalleryViewModel vm;
    Scene scene;

    @Start
    void start(Stage stage) throws Exception {
        root = TrainingTestSupport.workspaceWithFixtureRun();
        studio = StudioFixture.studio(root);
        pane = new GalleryPane(studio);
        vm = pane.viewModel();
        scene = StudioFixture.show(stage, pane);
    }

    @AfterEach
    void tearDown() {
        studio.training().stopAll(60_000);
        StudioFixture.onFx(pane::dispose);
        TrainingTestSupport.deleteQuietly(root);
    }

    private void openFixtureRun() {
        StudioFixture.onFx(() -> studio.select(StudioFixture.RUN));
        await(30, "the grids listed and the newest decoded", () -> vm.steps().size() == 2
                && vm.imageProperty(Side.PRIMARY).get() != null);
    }

    private Slider slider(String id) {
        return fx(() -> (Slider) scene.lookup(id));
    }

    /** Asserts {@code shown} has exactly the pixels of the PNG on disk. */
    private static void assertSamePixels(Path png, Image shown) throws Exception {
        BufferedImage expected = ImageIO.read(png.toFile());
        assertNotNull(shown, "no image shown");
        assertEquals(expected.getWidth(), (int) shown.getWidth());
        assertEquals(expected.getHeight(), (int) shown.getHeight());
        PixelReader r = shown.getPixelReader();
        for (int y = 0; y < expected.getHeight(); y++) {
            for (int x = 0; x < expected.getWidth(); x++) {
                assertEquals(expected.getRGB(x, y), r.getArgb(x, y), png.getFileName() + " pixel " + x + "," + y);
            }
        }
    }

    private static boolean samePixels(Image a, Image b) {
        for (int y = 0; y < (int) a.getHeight(); y++) {
            for (int x = 0; x < (int) a.getWidth(); x++) {
                if (a.getPixelReader().getArgb(x, y) != b.getPixelReader().getArgb(x, y)) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Whether the node and all its parents are visible. */
    private boolean showing(String id) {
        return fx(() -> {
            for (javafx.scene.Node n = scene.lookup(id); n != null; n = n.getParent()) {
                if (!n.isVisible()) {
                    return false;
                }
            }
            return true;
        });
    }

    private Image shownImage(Side side) {
        PixelView view = fx(() -> (PixelView) scene.lookup(side == Side.PRIMARY ? "#gallery-image" : "#gallery-second-image"));
        StudioFixture.onFx(() -> scene.getRoot().layout()); // as the next pulse would
        Image source = fx(() -> view.imageProperty().get());
        if (source != null) { // what is on screen is a whole-factor nearest-neighbour copy of it
            Image onScreen = fx(() -> view.imageView().getImage());
            int k = (int) Math.round(fx(view::scale));
            assertEquals(source.getWidth() * k, onScreen.getWidth(), "on-screen width");
            for (int y = 0; y < (int) source.getHeight(); y += 3) {
                for (int x = 0; x < (int) source.getWidth(); x += 3) {
                    int argb = source.getPixelReader().getArgb(x, y);
                    assertEquals(argb, onScreen.getPixelReader().getArgb(x * k, y * k));
                    assertEquals(argb, onScreen.getPixelReader().getArgb(x * k + k - 1, y * k + k - 1));
                }
            }
        }
        return source;
    }

    @Test
    void theFixtureRunsGridsAreTheSliderStepsAndTheNewestIsShown() throws Exception {
        openFixtureRun();
        assertEquals(List.of(12L, 24L), fx(() -> List.copyOf(vm.steps())));
        Slider s = slider("#gallery-slider");
        assertEquals(12.0, fx(s::getMin));
        assertEquals(24.0, fx(s::getMax));
        assertEquals(24.0, fx(s::getValue));
        assertEquals("step 24  (2 of 2)", fx(() -> ((Label) scene.lookup("#gallery-step")).getText()));
        Run run = studio.workspace().open(StudioFixture.RUN);
        assertSamePixels(run.sampleGrid(24), shownImage(Side.PRIMARY));
    }

    @Test
    void theSliderSnapsToStepsWithAGridAndMovingItChangesTheImage() throws Exception {
        openFixtureRun();
        Run run = studio.workspace().open(StudioFixture.RUN);
        Slider s = slider("#gallery-slider");
        Image at24 = shownImage(Side.PRIMARY);
        StudioFixture.onFx(() -> s.setValue(17));
        assertEquals(12.0, fx(s::getValue), "17 snaps to the nearer step 12");
        assertEquals(12L, fx(() -> vm.stepProperty(Side.PRIMARY).get()));
        await(30, "step 12 decoded", () -> shownImage(Side.PRIMARY) != at24);
        assertSamePixels(run.sampleGrid(12), shownImage(Side.PRIMARY));
        assertFalse(samePixels(at24, shownImage(Side.PRIMARY)), "the grids of steps 12 and 24 differ");
        assertEquals("step 12  (1 of 2)", fx(() -> ((Label) scene.lookup("#gallery-step")).getText()));
        StudioFixture.onFx(() -> s.setValue(19));
        assertEquals(24.0, fx(s::getValue), "19 snaps to the nearer step 24");
        await(30, "step 24 decoded again", () -> vm.imageProperty(Side.PRIMARY).get() != null
                && samePixels(at24, vm.imageProperty(Side.PRIMARY).get()));
        assertSamePixels(run.sampleGrid(24), shownImage(Side.PRIMARY));
        // the arrow keys step through the grids when the slider has the focus
        StudioFixture.onFx(s::requestFocus);
        new FxRobot().press(KeyCode.LEFT).release(KeyCode.LEFT);
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals(12L, fx(() -> vm.stepProperty(Side.PRIMARY).get()));
    }

    @Test
    void compareModeShowsTwoStepsSideBySide(FxRobot robot) throws Exception {
        openFixtureRun();
        assertFalse(showing("#gallery-second-image"));
        robot.clickOn("#gallery-compare");
        await(30, "the second grid decoded", () -> vm.imageProperty(Side.SECOND).get() != null);
        assertTrue(showing("#gallery-second-image"));
        assertTrue(showing("#gallery-image"));
        Run run = studio.workspace().open(StudioFixture.RUN);
        assertSamePixels(run.sampleGrid(24), shownImage(Side.PRIMARY));
        assertSamePixels(run.sampleGrid(12), shownImage(Side.SECOND));
        assertEquals("step 12  (1 of 2)", fx(() -> ((Label) scene.lookup("#gallery-second-step")).getText()));
        // both are shown as large as fits, magnified by the same whole factor
        double scale = fx(() -> ((PixelView) scene.lookup("#gallery-image")).scale());
        assertTrue(scale >= 4 && scale == Math.floor(scale), "scale " + scale);
        assertEquals(scale, fx(() -> ((PixelView) scene.lookup("#gallery-second-image")).scale()));
        StudioFixture.onFx(() -> StudioFixture.screenshot(scene, "gallery"));
    }

    @Test
    void clickingAGridZoomsAndScrollingZoomsFurther(FxRobot robot) {
        openFixtureRun();
        assertFalse(fx(() -> scene.lookup("#gallery-zoom").isVisible()));
        robot.clickOn("#gallery-image", MouseButton.PRIMARY);
        await(10, "zoom view", () -> scene.lookup("#gallery-zoom").isVisible());
        int z = fx(() -> vm.zoomProperty().get());
        assertTrue(z >= 8, "opens at the largest whole magnification that fits: " + z);
        robot.scroll(1, javafx.geometry.VerticalDirection.UP);
        WaitForAsyncUtils.waitForFxEvents();
        int z2 = fx(() -> vm.zoomProperty().get());
        assertTrue(z2 != z, "scrolling changes the magnification: " + z + " → " + z2);
        assertTrue(java.util.Arrays.stream(GalleryViewModel.ZOOMS).anyMatch(v -> v == z2));
        assertTrue(fx(() -> ((Label) scene.lookup("#gallery-zoom-caption")).getText()).contains("step 24 · " + z2 + "×"));
        StudioFixture.onFx(() -> StudioFixture.screenshot(scene, "gallery-zoom"));
        robot.press(KeyCode.ESCAPE).release(KeyCode.ESCAPE);
        WaitForAsyncUtils.waitForFxEvents();
        assertFalse(fx(() -> scene.lookup("#gallery-zoom").isVisible()));
    }

    @Test
    void gridsWrittenByALiveRunAppear() throws Exception {
        Run run = studio.workspace().create("live-grids", StudioFixture.tinyConfig().withPreset("quickstart"));
        StudioFixture.onFx(studio::refreshRuns);
        await(30, "listing", () -> studio.runs().size() == 2);
        StudioFixture.onFx(() -> studio.select("live-grids"));
        await(30, "an empty gallery", () -> "live-grids".equals(vm.runNameProperty().get())
                && !vm.placeholderProperty().get().startsWith("Reading"));
        assertTrue(fx(() -> vm.steps().isEmpty()));
        assertTrue(fx(() -> vm.placeholderProperty().get()).startsWith("No sample grids yet"));
        StudioFixture.onFx(() -> studio.training().start(run, 0));
        await(300, "both grids of the live run", () -> vm.steps().equals(List.of(12L, 24L)));
        await(30, "following the newest grid", () -> vm.stepProperty(Side.PRIMARY).get() == 24
                && vm.imageProperty(Side.PRIMARY).get() != null);
        // the step moves to 24 before its grid is decoded off the FX thread: give the decoder time, then compare
        for (long end = System.nanoTime() + 30_000_000_000L; System.nanoTime() < end; ) {
            try {
                assertSamePixels(run.sampleGrid(24), shownImage(Side.PRIMARY));
                break;
            } catch (AssertionError stillTheOldGrid) {
                Thread.sleep(100);
            }
        }
        assertSamePixels(run.sampleGrid(24), shownImage(Side.PRIMARY));
        assertEquals(24.0, fx(slider("#gallery-slider")::getValue));
    }
}

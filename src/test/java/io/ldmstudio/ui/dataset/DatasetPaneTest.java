package io.ldmstudio.ui.dataset;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.config.RunConfig;
import io.ldmstudio.data.ImageSource;
import io.ldmstudio.data.ProceduralSource;
import io.ldmstudio.data.Transform;
import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioFixture;
import io.ldmstudio.ui.StudioStyle;
import io.ldmstudio.ui.common.CurrentDataset;
import java.awt.image.BufferedImage;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javafx.scene.Node;
import javafx.scene.Scene;
import javafx.scene.control.Label;
import javafx.scene.control.TableView;
import javafx.scene.image.Image;
import javafx.scene.image.PixelReader;
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

/** The Dataset pane over an empty workspace (so its default is the built-in procedural dataset). */
@ExtendWith(ApplicationExtension.class)
class DatasetPaneTest {
    Studio studio;
    DatasetPane pane;
    DatasetViewModel vm;
    Scene scene;

    @TempDir
    Path tmp;

    @Start
    void start(Stage stage) throws IOException {
        studio = StudioFixture.studio(StudioFixture.emptyWorkspace());
        pane = new DatasetPane(studio);
        vm = pane.viewModel();
        scene = new Scene(new javafx.scene.layout.StackPane(pane.view()), 1100, 860);
        scene.getStylesheets().add(StudioStyle.stylesheet());
        stage.setScene(scene);
        stage.show();
    }

    @AfterEach
    void dispose() {
        StudioFixture.onFx(pane::dispose);
    }

    private void waitFor(String what, java.util.concurrent.Callable<Boolean> condition) throws Exception {
        try {
            WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, condition);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("timed out waiting for " + what, e);
        }
        WaitForAsyncUtils.waitForFxEvents();
    }

    private void waitForSource(ImageSource[] previous) throws Exception {
        waitFor("the source to open", () -> vm.sourceProperty().get() != null && vm.sourceProperty().get() != previous[0]
                && vm.histogramProperty().get() != null && vm.sizesProperty().get() != null);
    }

    /** A gray-to-colour PNG of the given size. */
    private static void png(Path file, int w, int h, int seed) throws IOException {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                img.setRGB(x, y, ((x * 8 + seed * 40) & 0xFF) << 16 | ((y * 8) & 0xFF) << 8 | (seed * 70 & 0xFF));
            }
        }
        Files.createDirectories(file.getParent());
        ImageIO.write(img, "png", file.toFile());
    }

    @Test
    void aFolderShowsItsCountSizesClassesAndTheBrokenFileAmongTheSkipped(FxRobot robot) throws Exception {
        ImageSource[] before = {null};
        waitFor("the default source", () -> vm.sourceProperty().get() != null);
        before[0] = vm.sourceProperty().get();
        // 10 + 8 + 5 = 23 images in three class folders, widths 20..42, plus one broken file
        String[] classes = {"cats", "dogs", "owls"};
        int[] per = {10, 8, 5};
        int k = 0;
        for (int c = 0; c < 3; c++) {
            for (int i = 0; i < per[c]; i++, k++) {
                png(tmp.resolve(classes[c]).resolve("img" + i + ".png"), 20 + k, 30, k);
            }
        }
        Path broken = tmp.resolve("dogs").resolve("broken.png");
        Files.write(broken, new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12});

        StudioFixture.onFx(() -> vm.choose(DatasetViewModel.Kind.FOLDER, tmp.toString()));
        waitForSource(before);

        assertEquals(23, vm.countProperty().get());
        assertEquals("23 images", robot.lookup("#dataset-count").queryAs(Label.class).getText());
        DatasetStats.Histogram h = vm.histogramProperty().get();
        assertEquals(List.of("cats", "dogs", "owls"), h.names());
        assertArrayEquals(new int[] {10, 8, 5}, h.counts());
        assertEquals(23, h.total());
        DatasetStats.Sizes sizes = vm.sizesProperty().get();
        assertEquals(23, sizes.measured());
        assertArrayEquals(new int[] {20, 31, 42}, sizes.width(), "min / median / max width");
        assertArrayEquals(new int[] {30, 30, 30}, sizes.height());
        assertEquals(23, sizes.distinct());

        TableView<?> skippedTable = robot.lookup("#dataset-skipped").queryAs(TableView.class);
        assertEquals(1, skippedTable.getItems().size());
        ImageSource.Skipped s = vm.skipped().get(0);
        assertEquals(broken.toString(), s.path());
        assertTrue(s.reason().contains("not a recognised image format"), s.reason());
        assertTrue(robot.lookup(".section-title").queryAllAs(Label.class).stream()
                .anyMatch(l -> l.getText().equals("Skipped files (1)")));
        // the histogram shows one bar per class
        assertEquals(3, robot.lookup(".histogram-bar").queryAll().size());
        // image 0 is 20×30: the default transform crops its centre square, then enlarges it to 32 px
        waitFor("the preview of image 0", () -> vm.previewProperty().get() != null && vm.previewProperty().get().index() == 0);
        DatasetViewModel.Preview p = vm.previewProperty().get();
        assertEquals(20, p.originalWidth());
        assertEquals(30, p.originalHeight());
        assertEquals(32, (int) p.transformed().getWidth());
        assertEquals("20×30 RGB → centre crop 20×20 → resize 32×32 (bilinear) → [-1, 1]", p.steps());
    }

    @Test
    void anIdxSourceShowsItsCountAndAHistogramSummingToIt(FxRobot robot) throws Exception {
        waitFor("the default source", () -> vm.sourceProperty().get() != null);
        ImageSource[] before = {vm.sourceProperty().get()};
        int n = 57;
        try (DataOutputStream img = new DataOutputStream(Files.newOutputStream(tmp.resolve("train-images-idx3-ubyte")));
                DataOutputStream lab = new DataOutputStream(Files.newOutputStream(tmp.resolve("train-labels-idx1-ubyte")))) {
            img.writeInt(0x803);
            img.writeInt(n);
            img.writeInt(28);
            img.writeInt(28);
            lab.writeInt(0x801);
            lab.writeInt(n);
            for (int i = 0; i < n; i++) {
                for (int p = 0; p < 28 * 28; p++) {
                    img.writeByte((p * 7 + i * 13) & 0xFF);
                }
                lab.writeByte(i % 10 == 9 ? 3 : i % 10); // no 9s: class 3 gets twice as many
            }
        }
        StudioFixture.onFx(() -> vm.choose(DatasetViewModel.Kind.IDX, tmp.toString()));
        waitForSource(before);

        assertEquals(n, vm.countProperty().get());
        DatasetStats.Histogram h = vm.histogramProperty().get();
        assertEquals(10, h.names().size());
        assertEquals(n, h.total());
        int[] expected = new int[10];
        for (int i = 0; i < n; i++) {
            expected[i % 10 == 9 ? 3 : i % 10]++;
        }
        assertArrayEquals(expected, h.counts());
        assertEquals(10, robot.lookup(".histogram-bar").queryAll().size());
        assertTrue(vm.sizesProperty().get().uniform());
        assertTrue(vm.sizesProperty().get().lines().get(0).contains("all 57 images are 28×28"),
                vm.sizesProperty().get().lines().get(0));
        assertTrue(vm.skipped().isEmpty());
    }

    @Test
    void aMissingPathIsNamedInThePathError(FxRobot robot) throws Exception {
        waitFor("the default source", () -> vm.sourceProperty().get() != null);
        Path missing = tmp.resolve("no-such-folder");
        StudioFixture.onFx(() -> vm.choose(DatasetViewModel.Kind.FOLDER, missing.toString()));
        waitFor("the folder's error", () -> !vm.pathErrorProperty().get().isEmpty());
        String folderError = vm.pathErrorProperty().get();
        assertTrue(folderError.contains(missing.toString()) && folderError.contains("does not exist"), folderError);

        // the test split goes through the same checks, with the Fashion-MNIST hint
        Path missingIdx = tmp.resolve("no-such-idx");
        StudioFixture.onFx(() -> {
            vm.testSplitProperty().set(true);
            vm.choose(DatasetViewModel.Kind.IDX, missingIdx.toString());
        });
        waitFor("the IDX error", () -> !vm.pathErrorProperty().get().isEmpty());
        String idxError = vm.pathErrorProperty().get();
        assertTrue(idxError.contains(missingIdx.toString()) && idxError.contains("does not exist")
                && idxError.contains("dataset-fashion-mnist"), idxError);
    }

    @Test
    void scrollingTheGridToTheEndDecodesOnlyTheVisibleThumbnails(FxRobot robot) throws Exception {
        waitFor("the procedural source", () -> vm.sourceProperty().get() instanceof ProceduralSource);
        int n = vm.countProperty().get();
        assertEquals(ProceduralSource.DEFAULT_COUNT, n);
        ThumbnailGrid grid = pane.grid();
        waitFor("the first thumbnails", () -> grid.shownImage(0) != null);
        int onScreen = grid.shownIndices().size();
        assertTrue(onScreen >= 20 && onScreen < 400, "tiles on screen: " + onScreen);

        // scroll through the middle, then to the very end
        for (int target : new int[] {2_000, 5_000, 8_000, n - 1}) {
            StudioFixture.onFx(() -> grid.reveal(target));
            WaitForAsyncUtils.waitForFxEvents();
        }
        waitFor("the last thumbnail", () -> grid.shownImage(n - 1) != null);
        waitFor("the decoders to go idle", () -> vm.thumbnails().pendingCount() == 0);
        int decoded = vm.thumbnailsDecodedProperty().get();
        assertEquals(vm.thumbnails().decodedCount(), decoded);
        assertTrue(grid.shownIndices().contains(n - 1));
        // at most five screens of tiles (start, three stops, the end) were ever decoded: far below 10,000
        assertTrue(decoded <= 5 * onScreen, "decoded " + decoded + " thumbnails for " + onScreen + " tiles on screen");
        assertTrue(decoded < n / 20, "decoded " + decoded + " of " + n);
        assertTrue(vm.thumbnails().cachedCount() <= DatasetViewModel.THUMBNAIL_CACHE);
    }

    @Test
    void selectingAnImageShowsItsTransformAtTheOutputSize(FxRobot robot) throws Exception {
        waitFor("the procedural source", () -> vm.sourceProperty().get() instanceof ProceduralSource);
        ThumbnailGrid grid = pane.grid();
        waitFor("the thumbnails", () -> grid.shownImage(7) != null);
        StudioFixture.onFx(() -> vm.resolutionProperty().set(24));
        Node tile = robot.lookup(".thumb-caption").queryAllAs(Label.class).stream()
                .filter(l -> l.getText().equals("7 triangle")).findFirst().orElseThrow().getParent();
        robot.clickOn(tile);
        waitFor("the preview of image 7", () -> vm.previewProperty().get() != null
                && vm.previewProperty().get().index() == 7 && vm.previewProperty().get().transformed().getWidth() == 24);
        DatasetViewModel.Preview p = vm.previewProperty().get();
        assertEquals(24, (int) p.transformed().getHeight());
        assertEquals(ProceduralSource.NATIVE_RESOLUTION, p.originalWidth());
        assertMirrored(p.transformed(), p.flipped());
        assertEquals("image 7 · triangle", robot.lookup("#dataset-selected").queryAs(Label.class).getText());

        // a new resolution re-renders the selected image at that size
        StudioFixture.onFx(() -> vm.resolutionProperty().set(40));
        waitFor("the preview at 40 px", () -> vm.previewProperty().get().transformed().getWidth() == 40);
        assertEquals(7, vm.previewProperty().get().index());
        // and the arrow keys move the selection
        robot.type(javafx.scene.input.KeyCode.RIGHT);
        waitFor("image 8", () -> vm.previewProperty().get().index() == 8);
    }

    @Test
    void applyingAConfigToTheOpenSourcePublishesItsTransformOnce(FxRobot robot) throws Exception {
        waitFor("the procedural source", () -> vm.sourceProperty().get() instanceof ProceduralSource
                && !vm.loadingProperty().get());
        CurrentDataset current = CurrentDataset.of(studio);
        List<CurrentDataset.Choice> published = new java.util.concurrent.CopyOnWriteArrayList<>();
        StudioFixture.onFx(() -> {
            current.choiceProperty().addListener((o, a, b) -> published.add(b));
            // all four transform values differ from the default's
            vm.apply(new RunConfig.Data("procedural", null, 24, 1, false, true, 0, 0), "a test config");
        });
        assertEquals(1, published.size(), "publishes: " + published);
        CurrentDataset.Choice c = published.get(0);
        assertEquals(new Transform(24, 1, false), c.transform());
        assertTrue(c.flip());
        assertEquals("a test config", c.origin());
        waitFor("the preview at 24 px", () -> vm.previewProperty().get() != null
                && vm.previewProperty().get().transformed().getWidth() == 24);

        // the same transform again: one publish for the new origin, no transform change
        StudioFixture.onFx(() -> vm.apply(new RunConfig.Data("procedural", null, 24, 1, false, true, 0, 0),
                "the same config"));
        assertEquals(2, published.size(), "publishes: " + published);
        assertEquals("the same config", published.get(1).origin());
    }

    private static void assertMirrored(Image a, Image b) {
        int w = (int) a.getWidth();
        int h = (int) a.getHeight();
        PixelReader ra = a.getPixelReader();
        PixelReader rb = b.getPixelReader();
        boolean asymmetric = false;
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                assertEquals(ra.getArgb(x, y), rb.getArgb(w - 1 - x, y), "pixel " + x + "," + y);
                asymmetric |= ra.getArgb(x, y) != ra.getArgb(w - 1 - x, y);
            }
        }
        assertTrue(asymmetric, "the test image should not be symmetric");
    }

    @Test
    void rendersFashionMnistToAScreenshot(FxRobot robot) throws Exception {
        waitFor("the default source", () -> vm.sourceProperty().get() != null);
        ImageSource[] before = {vm.sourceProperty().get()};
        Path fashion = io.ldmstudio.data.Sources.DEFAULT_FASHION_MNIST;
        boolean haveFashion = Files.isDirectory(fashion);
        if (haveFashion) {
            StudioFixture.onFx(() -> {
                vm.choose(DatasetViewModel.Kind.IDX, fashion.toString());
                vm.resolutionProperty().set(32);
                vm.channelsProperty().set(1);
                vm.flipProperty().set(true);
            });
            waitForSource(before);
            assertEquals(60_000, vm.countProperty().get());
        }
        StudioFixture.onFx(() -> vm.select(12));
        ThumbnailGrid grid = pane.grid();
        waitFor("the preview and the thumbnails", () -> vm.previewProperty().get() != null
                && vm.previewProperty().get().index() == 12 && grid.shownImage(0) != null
                && vm.thumbnails().pendingCount() == 0);
        Thread.sleep(300);
        WaitForAsyncUtils.waitForFxEvents();
        Path[] file = new Path[1];
        StudioFixture.onFx(() -> file[0] = StudioFixture.screenshot(scene, "dataset"));
        BufferedImage img = ImageIO.read(file[0].toFile());
        assertEquals(1100, img.getWidth());
        assertNotNull(img);
    }

    @Test
    void arrowingThroughTheSourcesOpensNoChooserButEnterOnOneDoes(FxRobot robot) throws Exception {
        waitFor("the default source", () -> vm.sourceProperty().get() != null && !vm.loadingProperty().get());
        List<DatasetViewModel.Kind> opened = new java.util.concurrent.CopyOnWriteArrayList<>();
        StudioFixture.onFx(() -> pane.setFolderChooser(opened::add));
        robot.clickOn("#dataset-kind"); // opens the list (its own cell is not an entry: no chooser)
        WaitForAsyncUtils.waitForFxEvents();
        List<DatasetViewModel.Kind> passed = new java.util.ArrayList<>();
        for (int i = 0; i < 2; i++) {
            robot.type(javafx.scene.input.KeyCode.DOWN);
            WaitForAsyncUtils.waitForFxEvents();
            passed.add(vm.kindProperty().get());
        }
        assertEquals(List.of(DatasetViewModel.Kind.FOLDER, DatasetViewModel.Kind.CIFAR10), passed,
                "the arrows pass the entries");
        assertEquals(List.of(), opened, "no chooser while arrowing");
        assertTrue(vm.pathErrorProperty().get().contains("Browse…"), vm.pathErrorProperty().get());

        robot.type(javafx.scene.input.KeyCode.UP); // back to the image folder, then Enter on it
        robot.type(javafx.scene.input.KeyCode.ENTER);
        waitFor("the chooser", () -> !opened.isEmpty());
        assertEquals(List.of(DatasetViewModel.Kind.FOLDER), opened);
    }

    @Test
    void aThumbnailsTooltipNamesItsFileSizeAndClass(FxRobot robot) throws Exception {
        waitFor("the default source", () -> vm.sourceProperty().get() != null);
        ImageSource[] before = {vm.sourceProperty().get()};
        png(tmp.resolve("cats").resolve("tabby.png"), 20, 30, 1);
        png(tmp.resolve("cats").resolve("siamese.png"), 24, 24, 2);
        png(tmp.resolve("dogs").resolve("small").resolve("pug.png"), 16, 12, 3);
        StudioFixture.onFx(() -> vm.choose(DatasetViewModel.Kind.FOLDER, tmp.toString()));
        waitForSource(before);
        ThumbnailGrid grid = pane.grid();
        waitFor("the tiles", () -> grid.tooltipText(2) != null);
        // images are ordered by relative path: cats/siamese, cats/tabby, dogs/small/pug
        assertEquals("cats/siamese.png · 24×24 px · class cats — click to preview its training transform",
                grid.tooltipText(0));
        assertEquals("cats/tabby.png · 20×30 px · class cats — click to preview its training transform",
                grid.tooltipText(1));
        assertTrue(grid.tooltipText(2).startsWith("dogs/small/pug.png · 16×12 px"), grid.tooltipText(2));
        // the class table's counts keep their percentages however narrow the side panel is made
        StudioFixture.onFx(() -> ((javafx.scene.control.SplitPane) robot.lookup(".split-pane").query())
                .setDividerPositions(0.62));
        WaitForAsyncUtils.waitForFxEvents();
        List<Label> counts = robot.lookup("#dataset-histogram .figure").queryAllAs(Label.class).stream().toList();
        assertEquals(2, counts.size());
        for (Label l : counts) {
            assertTrue(l.getText().endsWith("%)"), l.getText());
            assertTrue(l.getWidth() >= l.prefWidth(-1) - 0.5, "clipped: " + l.getText() + " " + l.getWidth());
            var right = l.localToScene(l.getLayoutBounds()).getMaxX();
            var viewport = robot.lookup(".scroll-pane").queryAllAs(javafx.scene.control.ScrollPane.class).stream()
                    .filter(sp -> sp.getContent() != null && sp.getContent().lookup("#dataset-histogram") != null)
                    .findFirst().orElseThrow();
            double edge = viewport.localToScene(viewport.getLayoutBounds()).getMaxX();
            assertTrue(right <= edge, l.getText() + " ends at " + right + ", past the panel's edge " + edge);
        }
        StudioFixture.onFx(() -> StudioFixture.screenshot(scene, "dataset-folder-classes"));
    }
}

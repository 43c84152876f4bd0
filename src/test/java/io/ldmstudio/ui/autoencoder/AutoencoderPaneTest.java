package io.ldmstudio.ui.autoencoder;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.config.ConfigResolver;
import io.ldmstudio.config.Presets;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.data.ImageSource;
import io.ldmstudio.data.Transform;
import io.ldmstudio.eval.ImageMetrics;
import io.ldmstudio.nn.AutoencoderKL;
import io.ldmstudio.nn.GradMode;
import io.ldmstudio.nn.VaeConfig;
import io.ldmstudio.runs.RunInfo;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioFixture;
import io.ldmstudio.ui.StudioStyle;
import io.ldmstudio.ui.common.FxBackground;
import io.ldmstudio.ui.common.PixelView;
import io.ldmstudio.ui.common.Viewport;
import io.ldmstudio.util.Rng;
import io.ldmstudio.weights.VaeWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javafx.geometry.VerticalDirection;
import javafx.scene.Scene;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.Labeled;
import javafx.scene.control.ListCell;
import javafx.scene.control.TableView;
import javafx.stage.Stage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/** The Autoencoder pane with a tiny random AutoencoderKL (diffusers layout) written to a temp folder. */
@ExtendWith(ApplicationExtension.class)
class AutoencoderPaneTest {
    /** Three levels (f = 4), one resnet per level, 4 latent channels: random weights, real shapes. */
    static final VaeConfig TINY = VaeConfig.of(3, 3, List.of(16, 32, 32), 1, 4, 8, 32);
    static Path vaeDir;
    static Path presetsDir;

    Studio studio;
    AutoencoderPane pane;
    AutoencoderViewModel vm;
    Scene scene;
    List<RunConfig> edited = new ArrayList<>();
    List<String> navigated = new ArrayList<>();

    @BeforeAll
    static void writeTinyVae() throws IOException {
        vaeDir = Files.createTempDirectory("ldm-ui-vae-").resolve("tiny-vae");
        try (NDManager m = NDManager.newBaseManager()) {
            GradMode.disable();
            AutoencoderKL vae = new AutoencoderKL(TINY);
            vae.initialize(m, new Rng(7), false);
            VaeWeights.save(vae, vaeDir);
            vae.close();
        }
        presetsDir = Files.createTempDirectory("ldm-ui-presets-");
    }

    @Start
    void start(Stage stage) throws IOException {
        Presets presets = new Presets(presetsDir);
        studio = new Studio(new Workspace(StudioFixture.emptyWorkspace()), presets, new FxBackground(2), "cpu");
        studio.setConfigEditor(edited::add);
        pane = new AutoencoderPane(studio);
        vm = pane.viewModel();
        scene = new Scene(new javafx.scene.layout.StackPane(pane.view()), 1100, 860);
        scene.getStylesheets().add(StudioStyle.stylesheet());
        stage.setScene(scene);
        stage.show();
    }

    @AfterEach
    void dispose() throws IOException {
        StudioFixture.onFx(pane::dispose);
        try (var files = Files.list(presetsDir)) {
            for (Path p : files.toList()) {
                Files.delete(p);
            }
        }
    }

    private void waitFor(String what, java.util.concurrent.Callable<Boolean> condition) throws Exception {
        try {
            WaitForAsyncUtils.waitFor(60, TimeUnit.SECONDS, condition);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("timed out waiting for " + what, e);
        }
        WaitForAsyncUtils.waitForFxEvents();
    }

    private void loadTiny() throws Exception {
        StudioFixture.onFx(() -> {
            vm.pathProperty().set(vaeDir.toString());
            vm.load();
        });
        waitFor("the autoencoder", () -> vm.weightsProperty().get() != null);
    }

    private void reconstruct(int n) throws Exception {
        StudioFixture.onFx(() -> {
            vm.countProperty().set(n);
            vm.reconstruct();
        });
        waitFor(n + " reconstructions", () -> vm.rows().size() == n && !vm.runningProperty().get());
    }

    @Test
    void loadingShowsFAndTheLatentShapeForTheChosenSize(FxRobot robot) throws Exception {
        loadTiny();
        assertEquals(4, vm.downFactor());
        assertArrayEquals(new long[] {4, 8, 8}, vm.latentShapeProperty().get());
        assertTrue(robot.lookup("#ae-f").queryAs(Label.class).getText().startsWith("f = 4"));
        assertTrue(robot.lookup("#ae-latent").queryAs(Label.class).getText().startsWith("4 × 8 × 8  for 32×32×3"),
                robot.lookup("#ae-latent").queryAs(Label.class).getText());
        long params = new AutoencoderKL(TINY).parameterCount();
        assertEquals(params, vm.parametersProperty().get());
        assertEquals(String.format(java.util.Locale.ROOT, "%,d", params),
                robot.lookup("#ae-params").queryAs(Label.class).getText());

        StudioFixture.onFx(() -> vm.resolutionProperty().set(48));
        assertArrayEquals(new long[] {4, 12, 12}, vm.latentShapeProperty().get());
        assertTrue(robot.lookup("#ae-latent").queryAs(Label.class).getText().startsWith("4 × 12 × 12"));
        StudioFixture.onFx(() -> vm.resolutionProperty().set(30));
        assertEquals(null, vm.latentShapeProperty().get());
        String err = robot.lookup("#ae-resolution-error").queryAs(Label.class).getText();
        assertTrue(err.contains("f = 4") && err.contains("30"), err);
        assertTrue(robot.lookup("#ae-reconstruct").queryAs(Button.class).isDisabled());
    }

    @Test
    void reconstructionFillsTheTableWithPsnrAsImageMetricsComputesIt(FxRobot robot) throws Exception {
        loadTiny();
        reconstruct(5);
        TableView<?> table = robot.lookup("#ae-table").queryAs(TableView.class);
        assertEquals(5, table.getItems().size());

        // the same images through the same weights, independently of the pane
        ImageSource source = vm.source();
        Transform tf = new Transform(32, 3, true);
        double sum = 0;
        try (NDManager m = NDManager.newBaseManager()) {
            GradMode.disable();
            AutoencoderKL vae = VaeWeights.load(vaeDir, m);
            List<Integer> seen = new ArrayList<>();
            for (Reconstruction r : vm.rows()) {
                assertFalse(seen.contains(r.index()), "images of a sample are distinct");
                seen.add(r.index());
                float[] x = source.load(r.index(), tf, false);
                assertArrayEquals(x, r.input(), "input of image " + r.index());
                float[] y;
                try (NDManager s = m.newSubManager()) {
                    NDArray in = s.create(x, new Shape(1, 3, 32, 32));
                    y = vae.decodeLatents(vae.encodeLatents(in)).clip(-1, 1).toFloatArray();
                }
                double psnr = ImageMetrics.psnr(x, y, 3, 32, 32);
                double ssim = ImageMetrics.ssim(x, y, 3, 32, 32);
                assertTrue(Double.isFinite(psnr) && psnr > 0 && psnr < 40, "PSNR " + psnr);
                assertEquals(psnr, r.psnr(), 1e-3, "PSNR of image " + r.index());
                assertEquals(ssim, r.ssim(), 1e-3, "SSIM of image " + r.index());
                assertEquals(4 * 8 * 8, r.latents().length);
                assertEquals(4, r.latentChannels().size());
                sum += r.psnr();
            }
            vae.close();
        }
        assertEquals(sum / 5, vm.summaryProperty().get().psnr().mean(), 1e-9);
        String mean = robot.lookup("#ae-mean").queryAs(Label.class).getText();
        assertTrue(mean.contains(String.format(java.util.Locale.ROOT, "PSNR %.2f dB", sum / 5)), mean);
        // each latent channel is shown normalised between its own min and max
        Reconstruction first = vm.rows().get(0);
        for (Reconstruction.LatentChannel c : first.latentChannels()) {
            float lo = Float.POSITIVE_INFINITY;
            float hi = Float.NEGATIVE_INFINITY;
            for (int j = 0; j < 64; j++) {
                lo = Math.min(lo, first.latents()[c.channel() * 64 + j]);
                hi = Math.max(hi, first.latents()[c.channel() * 64 + j]);
            }
            assertEquals(lo, c.min());
            assertEquals(hi, c.max());
        }
        assertEquals(4, robot.lookup(".latent-tile").queryAll().size());
    }

    @Test
    void zoomingOneViewZoomsTheOthersToTheSameScale(FxRobot robot) throws Exception {
        loadTiny();
        reconstruct(2);
        AutoencoderView ui = pane.ui();
        PixelView in = ui.input();
        PixelView out = ui.output();
        PixelView diff = ui.difference();
        waitFor("the images", () -> in.rendered() != null && out.imageProperty().get() != null);
        double fit = in.viewport().scale();
        assertTrue(fit >= 1, "fit scale " + fit);
        // (which wheel direction zooms in depends on the platform's robot; either way the views follow)
        robot.moveTo(in).scroll(2, VerticalDirection.UP);
        WaitForAsyncUtils.waitForFxEvents();
        if (in.viewport().scale() < fit) {
            robot.scroll(4, VerticalDirection.DOWN);
            WaitForAsyncUtils.waitForFxEvents();
        }
        double zoomed = in.viewport().scale();
        assertEquals(fit * Viewport.STEP * Viewport.STEP, zoomed, 1e-9, "two wheel steps in");
        assertEquals(zoomed, out.viewport().scale());
        assertEquals(zoomed, diff.viewport().scale());
        // the views show the same part: one image pixel spans the same screen pixels in each
        assertSamePixelGrid(in, out);
        assertSamePixelGrid(in, diff);

        // dragging the reconstruction pans all three
        double cx = in.viewport().centerXProperty().get();
        robot.drag(out).dropBy(-40, 0);
        WaitForAsyncUtils.waitForFxEvents();
        double moved = in.viewport().centerXProperty().get();
        assertTrue(moved > cx, "centre x " + cx + " → " + moved);
        assertEquals(moved, diff.viewport().centerXProperty().get());
        assertSamePixelGrid(in, out);

        // zooming the difference view changes the input's scale too
        robot.moveTo(diff).scroll(1, VerticalDirection.DOWN);
        WaitForAsyncUtils.waitForFxEvents();
        assertNotEquals(zoomed, in.viewport().scale());
        assertEquals(in.viewport().scale(), diff.viewport().scale());
        assertTrue(robot.lookup("#ae-zoom").queryAs(Label.class).getText().startsWith(
                String.format(java.util.Locale.ROOT, "zoom %.0f%%", in.viewport().scale() * 100)));
    }

    /**
     * Both views draw the same image pixel at the same view point, and what they draw there is that
     * pixel of their own image (nearest neighbour, no smoothing).
     */
    private static void assertSamePixelGrid(PixelView a, PixelView b) {
        assertEquals(a.getWidth(), b.getWidth());
        assertEquals(a.getHeight(), b.getHeight());
        int inside = 0;
        for (double vx = 3; vx < a.getWidth(); vx += 17) {
            for (double vy = 5; vy < a.getHeight(); vy += 23) {
                int[] pa = a.imagePixelAt(vx, vy);
                assertArrayEquals(pa, b.imagePixelAt(vx, vy), "image pixel under " + vx + "," + vy);
                for (PixelView v : new PixelView[] {a, b}) {
                    javafx.scene.image.Image img = v.imageProperty().get();
                    if (pa[0] >= 0 && pa[1] >= 0 && pa[0] < img.getWidth() && pa[1] < img.getHeight()) {
                        assertEquals(img.getPixelReader().getArgb(pa[0], pa[1]),
                                v.rendered().getPixelReader().getArgb((int) vx, (int) vy));
                        inside++;
                    }
                }
            }
        }
        assertTrue(inside > 20, "points inside the image: " + inside);
    }

    @Test
    void aVqFolderOpensAndTheSidePanelShowsItsCodebookUsage(FxRobot robot) throws Exception {
        Path golden = Path.of("src/test/resources/golden/vq").toAbsolutePath(); // 16 px RGB, f = 2, K = 16
        StudioFixture.onFx(() -> {
            vm.pathProperty().set(golden.toString());
            vm.load();
        });
        waitFor("the VQ model", () -> vm.weightsProperty().get() != null);
        assertEquals("VQModel", vm.weightsProperty().get().kind());
        assertEquals(2, vm.downFactor());
        StudioFixture.onFx(() -> vm.resolutionProperty().set(16));
        WaitForAsyncUtils.waitForFxEvents();
        Label codebook = robot.lookup("#ae-codebook").queryAs(Label.class);
        assertEquals("16 entries × 3", codebook.getText());
        assertTrue(codebook.isVisible());

        reconstruct(3);
        // the usage counted here: the same images through the same model, their distinct indices
        java.util.Set<Long> seen = new java.util.HashSet<>();
        try (NDManager m = NDManager.newBaseManager()) {
            GradMode.disable();
            io.ldmstudio.nn.VQModel vq = VaeWeights.loadVq(golden, m);
            for (Reconstruction r : vm.rows()) {
                ai.djl.ndarray.NDArray x = m.create(r.input(), new ai.djl.ndarray.types.Shape(1, 3, 16, 16));
                for (long k : vq.quantize(vq.encode(x)).indices().toType(ai.djl.ndarray.types.DataType.INT64, false)
                        .toLongArray()) {
                    seen.add(k);
                }
            }
        }
        assertEquals("16 entries × 3; " + seen.size() + " of 16 entries used over 3 images (192 latent vectors)",
                codebook.getText());
        StudioFixture.onFx(() -> StudioFixture.screenshot(scene, "autoencoder-vq"));

        // a KL autoencoder has no codebook row
        StudioFixture.onFx(() -> {
            vm.pathProperty().set(vaeDir.toString());
            vm.load();
        });
        waitFor("the KL autoencoder", () -> "AutoencoderKL".equals(vm.weightsProperty().get().kind()));
        assertEquals("", codebook.getText());
        assertFalse(codebook.isVisible());
    }

    @Test
    void aBadPathShowsAMessageNamingIt(FxRobot robot) throws Exception {
        Path missing = vaeDir.getParent().resolve("no-such-vae");
        StudioFixture.onFx(() -> {
            vm.pathProperty().set(missing.toString());
            vm.load();
        });
        waitFor("the error", () -> !vm.pathErrorProperty().get().isEmpty());
        String shown = robot.lookup("#ae-path-error").queryAs(Label.class).getText();
        assertTrue(shown.contains(missing.toString()), shown);
        assertTrue(studio.messageProperty().get().error());
        assertTrue(studio.messageProperty().get().text().contains(missing.toString()));
        assertEquals(null, vm.weightsProperty().get());

        // a folder that is not an autoencoder (say, a run that has no weights yet) names the folder too
        Path empty = Files.createDirectories(vaeDir.getParent().resolve("vae-run-without-weights"));
        Files.writeString(empty.resolve("notes.txt"), "not a model");
        StudioFixture.onFx(() -> {
            vm.pathProperty().set(empty.toString());
            vm.load();
        });
        waitFor("the second error", () -> vm.pathErrorProperty().get().contains(empty.toString())
                && !vm.loadingProperty().get());
        assertTrue(vm.pathErrorProperty().get().contains("safetensors"), vm.pathErrorProperty().get());
    }

    private static RunConfig vaeConfig() {
        return ConfigResolver.resolve(Presets.classpath(), "vae-procedural", List.of());
    }

    private void listRuns(int n) throws Exception {
        StudioFixture.onFx(studio::refreshRuns);
        waitFor(n + " runs", () -> studio.runs().size() == n);
    }

    @Test
    void theRunListHoldsOnlyAutoencoderRuns(FxRobot robot) throws Exception {
        Workspace ws = studio.workspace();
        ws.create("pixel-diffusion", StudioFixture.tinyConfig());
        ws.create("vae-a", vaeConfig());
        listRuns(2);
        @SuppressWarnings("unchecked")
        ComboBox<RunInfo> box = robot.lookup("#ae-run").queryAs(ComboBox.class);
        assertEquals(List.of("vae-a"), box.getItems().stream().map(RunInfo::name).toList());

        // runs made later: the autoencoder one joins, the diffusion one does not
        ws.create("vae-b", vaeConfig());
        ws.create("latent-diffusion", StudioFixture.tinyConfig());
        listRuns(4);
        assertEquals(java.util.Set.of("vae-a", "vae-b"),
                box.getItems().stream().map(RunInfo::name).collect(java.util.stream.Collectors.toSet()));

        // the open list shows those two, and picking one loads its folder
        robot.clickOn("#ae-run");
        WaitForAsyncUtils.waitForFxEvents();
        List<String> shown = robot.lookup(".combo-box-popup .list-cell").queryAllAs(ListCell.class).stream()
                .map(c -> c.getText()).filter(t -> t != null && !t.isEmpty()).sorted().toList();
        assertEquals(List.of("vae-a  (vae-procedural)", "vae-b  (vae-procedural)"), shown);
        robot.clickOn("vae-a  (vae-procedural)");
        waitFor("the run's error", () -> !vm.pathErrorProperty().get().isEmpty() && !vm.loadingProperty().get());
        assertEquals(ws.runsDir().resolve("vae-a").toString(), vm.pathProperty().get());
        assertTrue(vm.pathErrorProperty().get().contains("autoencoder run without weights yet"),
                vm.pathErrorProperty().get());
    }

    private static int occurrences(String text, String part) {
        int n = 0;
        for (int i = text.indexOf(part); i >= 0; i = text.indexOf(part, i + 1)) {
            n++;
        }
        return n;
    }

    /** Loads {@code path} as the Folder… and File… choosers do, and returns the error shown under the path. */
    private String pick(FxRobot robot, Path path) throws Exception {
        StudioFixture.onFx(() -> {
            vm.pathErrorProperty().set("");
            vm.pathProperty().set(path.toString());
            vm.load();
        });
        waitFor("the error of " + path, () -> !vm.pathErrorProperty().get().isEmpty() && !vm.loadingProperty().get());
        String shown = robot.lookup("#ae-path-error").queryAs(Label.class).getText();
        assertEquals(shown, studio.messageProperty().get().text(), "the message bar says the same");
        assertTrue(studio.messageProperty().get().error());
        assertEquals(1, occurrences(shown, path.toString()), "the path named once: " + shown);
        assertFalse(shown.startsWith("reading"), shown);
        return shown;
    }

    @Test
    void aPickThatIsNoAutoencoderNamesItsPathOnceAndPointsAtTrainOne(FxRobot robot) throws Exception {
        waitFor("the preset search", () -> vm.trainPresetProperty().get() != null);
        Path diffusion = studio.workspace().create("pixel-diffusion", StudioFixture.tinyConfig()).dir();
        String shown = pick(robot, diffusion);
        assertEquals(diffusion + " is a diffusion run (preset quickstart), not an autoencoder: pick an autoencoder"
                + " run, a diffusers AutoencoderKL folder or a .safetensors file; to make one, press Train one…", shown);
        assertEquals(null, vm.weightsProperty().get());
        StudioFixture.onFx(() -> StudioFixture.screenshot(scene, "autoencoder-wrong-pick"));

        // a folder of something else
        Path images = Files.createDirectories(vaeDir.getParent().resolve("some-images"));
        Files.writeString(images.resolve("readme.txt"), "not a model");
        shown = pick(robot, images);
        assertTrue(shown.startsWith(images + ": "), shown);
        assertTrue(shown.contains("safetensors") && shown.endsWith("; to make one, press Train one…"), shown);

        // a typo is not a reason to train one, and an autoencoder run without weights says what it lacks
        shown = pick(robot, images.resolveSibling("no-such-folder"));
        assertFalse(shown.contains("Train one"), shown);
        Path vaeRun = studio.workspace().create("vae-untrained", vaeConfig()).dir();
        shown = pick(robot, vaeRun);
        assertTrue(shown.contains("autoencoder run without weights yet"), shown);
        assertFalse(shown.contains("Train one"), shown);
    }

    @Test
    void theSidePanelCaptionsTheLatentAsTheEncodersOutput(FxRobot robot) throws Exception {
        loadTiny();
        Label caption = robot.lookup("#ae-latent-caption").queryAs(Label.class);
        assertTrue(caption.isVisible());
        assertTrue(caption.getText().startsWith("the encoder's output"), caption.getText());
        assertTrue(caption.getText().contains("what a latent diffusion U-Net trains on"), caption.getText());
        // it wraps inside the panel rather than widening it
        javafx.scene.Node info = robot.lookup("#ae-info").query();
        assertTrue(caption.getBoundsInParent().getMaxX() <= info.getLayoutBounds().getWidth() + 0.5,
                caption.getBoundsInParent() + " in " + info.getLayoutBounds());
        assertTrue(caption.getHeight() > 1.5 * caption.getFont().getSize() * 1.2, "on more than one line");
        // an autoencoder is not a U-Net's input: nothing in the pane says so
        for (Labeled l : robot.from(pane.view()).lookup((javafx.scene.Node n) -> n instanceof Labeled).queryAllAs(Labeled.class)) {
            assertFalse(l.getText() != null && l.getText().contains("Input of the U-Net"), l.toString());
        }
    }

    @Test
    void trainingOneIsOfferedOnlyWhenAVaePresetExists(FxRobot robot) throws Exception {
        // the shipped presets include vae-fashion-mnist and vae-procedural: the first is offered
        waitFor("the preset search", () -> !vm.trainWhyNotProperty().get().startsWith("looking"));
        assertEquals("vae-fashion-mnist", vm.trainPresetProperty().get());
        List<String> pages = new ArrayList<>();
        StudioFixture.onFx(() -> {
            try {
                java.lang.reflect.Method m = Studio.class.getDeclaredMethod("setNavigator", java.util.function.Consumer.class);
                m.setAccessible(true);
                m.invoke(studio, (java.util.function.Consumer<String>) pages::add);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException(e);
            }
        });
        Button enabled = pane.ui().trainButton();
        assertFalse(enabled.isDisabled());
        assertTrue(enabled.getTooltip().getText().contains("vae-fashion-mnist"), enabled.getTooltip().getText());
        StudioFixture.onFx(enabled::fire);
        waitFor("the config editor", () -> !edited.isEmpty());
        assertEquals("vae-fashion-mnist", edited.get(0).preset());
        assertEquals(List.of("hyperparameters"), pages);

        // with no vae-* preset anywhere the button is disabled and says why
        Path none = Files.createTempDirectory("ldm-ui-no-presets-");
        Studio bare = new Studio(new Workspace(StudioFixture.emptyWorkspace()),
                new Presets(none, new java.net.URLClassLoader(new java.net.URL[0], null)), new FxBackground(1), "cpu");
        AutoencoderPane second = new AutoencoderPane(bare);
        waitFor("the preset search", () -> !second.viewModel().trainWhyNotProperty().get().startsWith("looking"));
        Button train = second.ui().trainButton();
        assertTrue(train.isDisabled());
        assertTrue(train.getTooltip().getText().contains("no preset named vae-*"), train.getTooltip().getText());
        StudioFixture.onFx(second::dispose);
    }

    @Test
    void anLdmPipelinesAutoencoderOpensFromTheModelsList(FxRobot robot) throws Exception {
        // a VQModel pipeline under models/, and an AutoencoderKL one opened from elsewhere
        Path vqPipeline = io.ldmstudio.service.ModelFixtures.ldm(studio.workspace().modelsDir().resolve("vq-ldm"));
        Path klPipeline = Files.createTempDirectory("ldm-ui-kl-pipeline-").resolve("kl-ldm");
        Files.createDirectories(klPipeline.resolve("unet"));
        com.fasterxml.jackson.databind.node.ObjectNode unet = (com.fasterxml.jackson.databind.node.ObjectNode)
                new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                        Path.of("src/test/resources/golden/unet-defaults/config.json").toFile());
        unet.put("in_channels", TINY.latentChannels()).put("out_channels", TINY.latentChannels());
        Files.writeString(klPipeline.resolve("unet/config.json"), unet.toPrettyString());
        Files.copy(Path.of("src/test/resources/golden/unet-defaults/diffusion_pytorch_model.safetensors"),
                klPipeline.resolve("unet/diffusion_pytorch_model.safetensors"));
        Files.createDirectories(klPipeline.resolve("vqvae"));
        for (String f : new String[] {"config.json", "diffusion_pytorch_model.safetensors"}) {
            Files.copy(vaeDir.resolve(f), klPipeline.resolve("vqvae").resolve(f));
        }
        Files.createDirectories(klPipeline.resolve("scheduler"));
        Files.writeString(klPipeline.resolve("scheduler/scheduler_config.json"),
                "{\"_class_name\": \"DDIMScheduler\", \"num_train_timesteps\": 1000}");
        java.util.Map<String, String> c = new java.util.LinkedHashMap<>();
        c.put("vqvae", "AutoencoderKL");
        c.put("unet", "UNet2DModel");
        c.put("scheduler", "DDIMScheduler");
        Files.writeString(klPipeline.resolve("model_index.json"),
                io.ldmstudio.pipeline.PipelineFolder.index("LDMPipeline", c).toPrettyString());
        // a pixel-space pipeline has no autoencoder: not offered
        io.ldmstudio.service.ModelFixtures.ddpm(studio.workspace().modelsDir().resolve("pixels"));

        StudioFixture.onFx(() -> studio.openModel(klPipeline));
        waitFor("the models", () -> studio.models().size() == 3 && vm.autoencoderModels().size() == 2);
        assertEquals(List.of("vq-ldm", "kl-ldm"), vm.autoencoderModels().stream().map(m -> m.name()).toList());
        WaitForAsyncUtils.waitForFxEvents();
        // opening the KL one selected it in the studio: the pane followed (the sidebar's choice)
        waitFor("the KL autoencoder of the selected model",
                () -> vm.weightsProperty().get() != null && "AutoencoderKL".equals(vm.weightsProperty().get().kind()));
        assertEquals(klPipeline.resolve("vqvae").toString(), vm.pathProperty().get());
        assertEquals(4, vm.downFactor());

        // the pane's own model chooser: the VQModel pipeline's vqvae folder opens as that folder does
        @SuppressWarnings("unchecked")
        ComboBox<io.ldmstudio.service.ModelInfo> chooser = robot.lookup("#ae-model").queryAs(ComboBox.class);
        StudioFixture.onFx(() -> chooser.getSelectionModel().select(0));
        waitFor("the VQ model", () -> vm.weightsProperty().get() != null && "VQModel".equals(vm.weightsProperty().get().kind()));
        assertEquals(vqPipeline.resolve("vqvae").toString(), vm.pathProperty().get());
        assertEquals(2, vm.downFactor());
        assertEquals("16 entries × 3", vm.codebookProperty().get());
        assertEquals("", vm.pathErrorProperty().get());
        waitFor("the message", () -> studio.messageProperty().get() != null
                && studio.messageProperty().get().text().startsWith("autoencoder vq-ldm/vqvae: f = 2"));
        StudioFixture.onFx(() -> StudioFixture.screenshot(scene, "autoencoder-from-model"));
    }

    @Test
    void rendersReconstructionsToAScreenshot(FxRobot robot) throws Exception {
        loadTiny();
        reconstruct(AutoencoderViewModel.DEFAULT_COUNT);
        TableView<?> table = robot.lookup("#ae-table").queryAs(TableView.class);
        StudioFixture.onFx(() -> table.getSelectionModel().select(2));
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals(vm.rows().get(2), vm.selectedProperty().get());
        Thread.sleep(200);
        WaitForAsyncUtils.waitForFxEvents();
        Path[] file = new Path[1];
        StudioFixture.onFx(() -> file[0] = StudioFixture.screenshot(scene, "autoencoder"));
        assertNotNull(javax.imageio.ImageIO.read(file[0].toFile()));
        assertNotEquals(0, Files.size(file[0]));
    }
}

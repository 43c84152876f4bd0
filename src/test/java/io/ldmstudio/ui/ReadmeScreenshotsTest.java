package io.ldmstudio.ui;

import io.ldmstudio.config.SamplerKind;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.runs.RunInfo;
import io.ldmstudio.ui.autoencoder.AutoencoderPane;
import io.ldmstudio.ui.dataset.DatasetPane;
import io.ldmstudio.ui.denoising.DenoisingPane;
import io.ldmstudio.ui.denoising.DenoisingViewModel;
import io.ldmstudio.ui.gallery.GalleryPane;
import io.ldmstudio.ui.training.TrainingPane;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javafx.scene.Scene;
import javafx.stage.Stage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/**
 * The README's pictures: every pane of the real window over a workspace with trained runs, driven as a
 * user would. Not part of the normal suite (it needs those runs); run it with
 *
 * <pre>
 * mvn -B -ntp test -Dtest=ReadmeScreenshotsTest -Dldm.readme.workspace=PATH -Dldm.readme.run=RUN \
 *     -Dldm.readme.vae=VAE_RUN -Dldm.screenshots.dir=docs/screenshots
 * </pre>
 */
@EnabledIfSystemProperty(named = "ldm.readme.workspace", matches = ".+")
@ExtendWith(ApplicationExtension.class)
class ReadmeScreenshotsTest {
    Studio studio;
    MainWindow window;
    Scene scene;

    @Start
    void start(Stage stage) {
        studio = StudioFixture.studio(Path.of(System.getProperty("ldm.readme.workspace")));
        window = new MainWindow(studio, () -> {});
        scene = StudioFixture.show(stage, window);
    }

    static <T> T fx(Callable<T> c) {
        AtomicReference<T> out = new AtomicReference<>();
        StudioFixture.onFx(() -> {
            try {
                out.set(c.call());
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        return out.get();
    }

    static void await(long seconds, Callable<Boolean> condition) throws Exception {
        WaitForAsyncUtils.waitFor(seconds, TimeUnit.SECONDS, () -> fx(condition));
        WaitForAsyncUtils.sleep(1500, TimeUnit.MILLISECONDS); // let thumbnails, charts and images settle
        WaitForAsyncUtils.waitForFxEvents();
    }

    Path shoot(String name) {
        StudioFixture.onFx(() -> studio.messageProperty().set(null));
        WaitForAsyncUtils.waitForFxEvents();
        return fx(() -> StudioFixture.screenshot(scene, name));
    }

    void select(String run) throws Exception {
        StudioFixture.onFx(studio::refreshRuns);
        await(30, () -> studio.runs().stream().anyMatch(r -> r.name().equals(run)));
        StudioFixture.onFx(() -> studio.select(run));
        await(10, () -> {
            RunInfo r = studio.selectedRunProperty().get();
            return r != null && r.name().equals(run);
        });
    }

    @Test
    void everyPaneWithRealContent() throws Exception {
        String run = System.getProperty("ldm.readme.run");
        String vae = System.getProperty("ldm.readme.vae");
        select(run);

        StudioFixture.onFx(() -> window.show("dataset"));
        DatasetPane dataset = (DatasetPane) window.pane("dataset");
        await(120, () -> dataset.viewModel().sourceProperty().get() != null && !dataset.viewModel().loadingProperty().get());
        StudioFixture.onFx(() -> dataset.viewModel().select(3));
        await(30, () -> true);
        shoot("dataset");

        if (vae != null && !vae.isBlank()) {
            StudioFixture.onFx(() -> window.show("autoencoder"));
            AutoencoderPane ae = (AutoencoderPane) window.pane("autoencoder");
            StudioFixture.onFx(() -> {
                ae.viewModel().pathProperty().set(studio.workspace().runsDir().resolve(vae).toString());
                ae.viewModel().load();
            });
            await(120, () -> ae.viewModel().weightsProperty().get() != null && !ae.viewModel().loadingProperty().get());
            StudioFixture.onFx(() -> ae.viewModel().reconstruct());
            await(300, () -> ae.viewModel().rows().size() == ae.viewModel().countProperty().get()
                    && !ae.viewModel().runningProperty().get());
            shoot("autoencoder");
        }

        StudioFixture.onFx(() -> {
            window.show("hyperparameters");
            studio.editConfig(studio.presets().load(studio.presetNames().contains("fashion-mnist-latent-cpu")
                    ? "fashion-mnist-latent-cpu" : "quickstart").withPreset(studio.presetNames().contains(
                    "fashion-mnist-latent-cpu") ? "fashion-mnist-latent-cpu" : "quickstart"));
        });
        StudioFixture.onFx(() -> {
            var hp = (io.ldmstudio.ui.hyperparameters.HyperparametersPane) window.pane("hyperparameters");
            hp.viewModel().field("optim.steps").orElseThrow().textProperty().set("3000");
            hp.viewModel().field("optim.lr").orElseThrow().textProperty().set("fast");
            scene.getRoot().lookupAll(".titled-pane").stream().map(n -> (javafx.scene.control.TitledPane) n)
                    .filter(t -> "Optimisation".equals(t.getText())).findFirst().ifPresent(t -> t.setExpanded(true));
        });
        await(10, () -> true);
        shoot("hyperparameters");

        StudioFixture.onFx(() -> window.show("training"));
        TrainingPane training = (TrainingPane) window.pane("training");
        await(120, () -> training.viewModel().rowsProperty().get() > 0 && !training.viewModel().loadingProperty().get());
        fx(training::chartsRendered).get(30, TimeUnit.SECONDS);
        WaitForAsyncUtils.waitForFxEvents();
        shoot("training");
        shoot("main-window");

        StudioFixture.onFx(() -> window.show("gallery"));
        GalleryPane gallery = (GalleryPane) window.pane("gallery");
        await(60, () -> gallery.viewModel().steps().size() > 1);
        StudioFixture.onFx(() -> {
            gallery.viewModel().compareProperty().set(true);
            var steps = gallery.viewModel().steps();
            gallery.viewModel().stepProperty(io.ldmstudio.ui.gallery.GalleryViewModel.Side.PRIMARY).set(steps.get(0));
            gallery.viewModel().stepProperty(io.ldmstudio.ui.gallery.GalleryViewModel.Side.SECOND)
                    .set(steps.get(steps.size() - 1));
        });
        await(30, () -> gallery.viewModel().imageProperty(io.ldmstudio.ui.gallery.GalleryViewModel.Side.SECOND)
                .get() != null);
        shoot("gallery");

        StudioFixture.onFx(() -> window.show("denoising"));
        DenoisingPane denoising = (DenoisingPane) window.pane("denoising");
        DenoisingViewModel dm = denoising.model();
        await(60, () -> dm.canGenerate().get());
        StudioFixture.onFx(() -> {
            dm.samplerProperty().set(SamplerKind.DDIM);
            dm.stepsProperty().set(50);
            dm.imagesProperty().set(16);
            dm.seedProperty().set(3);
            dm.exportStepsProperty().set("0,10,20,30,40,49");
            dm.generate();
        });
        await(600, () -> !dm.runningProperty().get() && dm.frameCountProperty().get() == 50);
        StudioFixture.onFx(() -> dm.indexProperty().set(30));
        await(30, () -> true);
        Path last = shoot("denoising");
        Path strip = StudioFixture.screenshotsDir().resolve("denoising-strip.png");
        assertTrue(fx(() -> dm.exportStrip(strip)));
        await(120, () -> !dm.exportingProperty().get());
        assertTrue(Files.size(last) > 20_000);
    }

    /**
     * The Evaluate window of a real model folder ({@code -Dldm.readme.model=DIR}), swept with
     * {@code -Dldm.readme.evaluate=SAMPLERS/STEPS/N} (default {@code ddim,dpmpp,ddpm/10,20/300}), shot when done.
     */
    @Test
    @EnabledIfSystemProperty(named = "ldm.readme.model", matches = ".+")
    void theEvaluateWindowOfARealModel() throws Exception {
        Path model = Path.of(System.getProperty("ldm.readme.model"));
        String[] form = System.getProperty("ldm.readme.evaluate", "ddim,dpmpp,ddpm/10,20/300").split("/");
        StudioFixture.onFx(() -> io.ldmstudio.ui.runs.EvaluateWindow.open(studio,
                () -> io.ldmstudio.service.SampleSource.pipeline(model), null));
        String title = "Evaluate model " + model.getFileName();
        WaitForAsyncUtils.waitFor(120, TimeUnit.SECONDS, () -> fx(() -> javafx.stage.Window.getWindows().stream()
                .anyMatch(w -> w instanceof Stage st && title.equals(st.getTitle()))));
        Stage stage = fx(() -> (Stage) javafx.stage.Window.getWindows().stream()
                .filter(w -> w instanceof Stage st && title.equals(st.getTitle())).findFirst().orElseThrow());
        javafx.scene.Parent root = fx(() -> stage.getScene().getRoot());
        StudioFixture.onFx(() -> {
            ((javafx.scene.control.TextField) root.lookup("#evaluate-samplers")).setText(form[0]);
            ((javafx.scene.control.TextField) root.lookup("#evaluate-steps")).setText(form[1]);
            ((javafx.scene.control.TextField) root.lookup("#evaluate-n")).setText(form[2]);
            ((javafx.scene.control.Button) root.lookup("#evaluate-start")).fire();
        });
        await(7200, () -> !((javafx.scene.control.Label) root.lookup("#evaluate-metric")).getText().isEmpty()
                || ((javafx.scene.control.Label) root.lookup("#evaluate-status")).getText().startsWith("evaluation failed"));
        String status = fx(() -> ((javafx.scene.control.Label) root.lookup("#evaluate-status")).getText());
        assertTrue(status.startsWith("written to "), status);
        Path shot = fx(() -> StudioFixture.screenshot(stage.getScene(), "evaluate-model"));
        assertTrue(Files.size(shot) > 20_000);
    }
}

package io.ldmstudio.ui.runs;

import static io.ldmstudio.ui.training.TrainingTestSupport.await;
import static io.ldmstudio.ui.training.TrainingTestSupport.fx;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.config.RunConfig;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.runs.Run;
import io.ldmstudio.service.EvaluationJob;
import io.ldmstudio.service.SampleSource;
import io.ldmstudio.service.SamplerSweep;
import io.ldmstudio.training.FeatureClassifier;
import io.ldmstudio.training.Trainer;
import io.ldmstudio.training.TrainingControl;
import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioFixture;
import io.ldmstudio.ui.StudioStyle;
import io.ldmstudio.ui.training.TrainingTestSupport;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import javafx.scene.Scene;
import java.util.List;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.TextField;
import javafx.scene.control.TableView;
import javafx.scene.image.ImageView;
import javafx.stage.Stage;
import javafx.stage.Window;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.api.FxRobot;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;

/** The Evaluate window: the form starts the sweep in the background; the metric, table, plot and grid appear. */
@ExtendWith(ApplicationExtension.class)
class EvaluateWindowTest {
    Path root;
    Studio studio;
    Run run;
    EvaluateWindow window;
    Scene scene;

    @Start
    void start(Stage stage) throws Exception {
        root = StudioFixture.emptyWorkspace();
        // a quickly trained classifier, cached where the job looks for it
        RunConfig.Data shapes = new RunConfig.Data("procedural", null, 16, 3, false, false, 0, 0);
        FeatureClassifier.obtain(root, shapes, new FeatureClassifier.Settings(30, 16, 2e-3, 1e-4, 0, 32), false, null)
                .close();
        studio = StudioFixture.studio(root);
        run = studio.workspace().create("tiny", StudioFixture.tinyConfig("optim.steps=2", "logging.sample_every=2",
                "logging.checkpoint_every=2"));
        Trainer t = new Trainer(run, Devices.resolve("cpu"));
        assertEquals(Trainer.Outcome.FINISHED, t.run(new TrainingControl()), t.failure());
        window = new EvaluateWindow(studio, run);
        scene = new Scene(window.view(), 1180, 820);
        scene.getStylesheets().add(StudioStyle.stylesheet());
        stage.setScene(scene);
        stage.show();
    }

    @AfterEach
    void tearDown() {
        window.cancel();
        studio.training().close();
        TrainingTestSupport.deleteQuietly(root);
    }

    @Test
    void evaluatingShowsTheMetricTheTableThePlotAndTheSamples(FxRobot robot) throws Exception {
        StudioFixture.onFx(() -> window.setForm("ddim,foo", "2,3", 12));
        robot.clickOn("#evaluate-start");
        String refused = fx(() -> ((Label) robot.lookup("#evaluate-status").query()).getText());
        assertTrue(refused.contains("Samplers") && refused.contains("ddpm, ddim, dpmpp"), refused);

        StudioFixture.onFx(() -> window.setForm("ddim,dpmpp", "2,3", 12));
        robot.clickOn("#evaluate-start");
        await(240, "the evaluation", () -> fx(() -> window.shownProperty().get() != null));
        SamplerSweep.Result r = fx(() -> window.shownProperty().get().outcome().sweep());
        assertEquals(4, r.cells().size());
        double best = r.cells().stream().mapToDouble(SamplerSweep.Cell::value).min().orElseThrow();
        String metric = fx(() -> ((Label) robot.lookup("#evaluate-metric").query()).getText());
        assertTrue(metric.startsWith(String.format(Locale.ROOT, "FD_procedural = %.4f at best", best)), metric);
        assertEquals(4, (int) fx(() -> ((TableView<?>) robot.lookup("#evaluate-table").query()).getItems().size()));
        ImageView plot = robot.lookup("#evaluate-plot").query();
        assertEquals(SamplerSweep.PLOT_WIDTH, fx(() -> plot.getImage().getWidth()), 0.0);
        ImageView grid = robot.lookup("#evaluate-grid").query();
        assertNotNull(fx(grid::getImage), "the sample grid of the best cell is shown");
        String status = fx(() -> ((Label) robot.lookup("#evaluate-status").query()).getText());
        Path dir = fx(() -> window.shownProperty().get().outcome().files().dir());
        assertTrue(status.contains(dir.toString()), status);
        assertTrue(dir.startsWith(run.dir().resolve("eval")), dir.toString());
        assertTrue(Files.isRegularFile(dir.resolve("sweep.csv")));
        StudioFixture.onFx(() -> StudioFixture.screenshot(scene, "evaluate-window"));
        Files.createDirectories(StudioFixture.screenshotsDir());
        Files.copy(dir.resolve("sweep.png"), StudioFixture.screenshotsDir().resolve("evaluate-sweep-plot.png"),
                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }

    @Test
    void aModelFolderIsEvaluatedAgainstTheDataItsWeightsNameAndWrittenUnderTheWorkspace(FxRobot robot)
            throws Exception {
        Path export = run.exportsDir().resolve("diffusers");
        // opened as the Models list opens it: its folder read off the FX thread, then the window
        StudioFixture.onFx(() -> EvaluateWindow.open(studio, () -> SampleSource.pipeline(export), null));
        await(60, "the model's Evaluate window", () -> fx(() -> Window.getWindows().stream()
                .anyMatch(w -> w instanceof Stage st && "Evaluate model tiny-export".equals(st.getTitle()))));
        Stage stage = fx(() -> (Stage) Window.getWindows().stream().filter(w -> w instanceof Stage st
                && "Evaluate model tiny-export".equals(st.getTitle())).findFirst().orElseThrow());
        javafx.scene.Parent content = fx(() -> stage.getScene().getRoot());
        @SuppressWarnings("unchecked")
        ComboBox<EvaluateWindow.DatasetChoice> dataset = (ComboBox<EvaluateWindow.DatasetChoice>) fx(
                () -> content.lookup("#evaluate-dataset"));
        EvaluateWindow.DatasetChoice own = fx(dataset::getValue);
        assertEquals("its own data: procedural, 16 px", own.label());
        assertEquals(EvaluationJob.scoringData(run.config()), own.data());
        StudioFixture.onFx(() -> {
            ((TextField) content.lookup("#evaluate-samplers")).setText("dpmpp");
            ((TextField) content.lookup("#evaluate-steps")).setText("2");
            ((TextField) content.lookup("#evaluate-n")).setText("8");
            ((javafx.scene.control.Button) content.lookup("#evaluate-start")).fire();
        });
        assertEquals(EvaluateWindow.FOLDERS_SPACING, fx(() -> ((ComboBox<?>) content.lookup("#evaluate-spacing"))
                .getValue()));
        await(240, "the model's evaluation", () -> fx(() -> !((Label) content.lookup("#evaluate-metric")).getText()
                .isEmpty()));
        String status = fx(() -> ((Label) content.lookup("#evaluate-status")).getText());
        Path dir = Path.of(status.substring("written to ".length()));
        assertTrue(dir.startsWith(root.resolve("eval").resolve("tiny-export")), dir.toString());
        assertTrue(Files.isRegularFile(dir.resolve("sweep.json")));
        String metric = fx(() -> ((Label) content.lookup("#evaluate-metric")).getText());
        assertTrue(metric.startsWith("FD_procedural = ") && metric.endsWith("model " + export), metric);
        assertFalse(Files.readString(dir.resolve("sweep.json")).contains("settings"));

        // again with the run's DPM-Solver++ spacing: trailing, recorded with the sweep, other images
        StudioFixture.onFx(() -> {
            @SuppressWarnings("unchecked")
            ComboBox<String> spacing = (ComboBox<String>) content.lookup("#evaluate-spacing");
            spacing.getSelectionModel().select("trailing");
            ((javafx.scene.control.Button) content.lookup("#evaluate-start")).fire();
        });
        await(240, "the trailing evaluation", () -> fx(() -> !((Label) content.lookup("#evaluate-metric")).getText()
                .equals(metric) && ((Label) content.lookup("#evaluate-status")).getText().startsWith("written to ")));
        String status2 = fx(() -> ((Label) content.lookup("#evaluate-status")).getText());
        Path dir2 = Path.of(status2.substring("written to ".length()));
        assertTrue(!dir2.equals(dir) && dir2.startsWith(root.resolve("eval").resolve("tiny-export")), dir2.toString());
        com.fasterxml.jackson.databind.JsonNode j = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                dir2.resolve("sweep.json").toFile());
        assertEquals("[\"scheduler.timestep_spacing=trailing\"]", j.get("settings").toString());
        assertTrue(Files.readString(dir2.resolve("sweep.md")).contains("model tiny-export"
                + " (scheduler.timestep_spacing=trailing)"));
        StudioFixture.onFx(stage::close);
    }

    @Test
    void aConditionalRunIsEvaluatedAtTheGuidanceOfTheFormWithItsClassShare(FxRobot robot) throws Exception {
        assertEquals(null, robot.lookup("#evaluate-guidance").tryQuery().orElse(null), "no guidance: unconditional");
        Run cond = studio.workspace().create("cond", StudioFixture.tinyConfig("conditioning.type=class",
                "conditioning.guidance=2", "optim.steps=2", "logging.sample_every=2", "logging.checkpoint_every=2"));
        Trainer t = new Trainer(cond, Devices.resolve("cpu"));
        assertEquals(Trainer.Outcome.FINISHED, t.run(new TrainingControl()), t.failure());
        EvaluateWindow w = fx(() -> {
            try {
                return new EvaluateWindow(studio, cond);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        Scene s2 = fx(() -> new Scene(w.view(), 1180, 820));
        TextField g = fx(() -> (TextField) s2.lookup("#evaluate-guidance"));
        assertEquals("2", fx(g::getText), "the run's conditioning.guidance");
        StudioFixture.onFx(() -> {
            w.setForm("ddim", "2", 10);
            g.setText("-1");
            w.start();
        });
        String refused = fx(() -> ((Label) s2.lookup("#evaluate-status")).getText());
        assertTrue(refused.startsWith("Guidance '-1': a number of at least 0"), refused);
        StudioFixture.onFx(() -> {
            g.setText("1.5");
            w.start();
        });
        await(240, "the conditional evaluation", () -> fx(() -> w.shownProperty().get() != null));
        SamplerSweep.Result r = fx(() -> w.shownProperty().get().outcome().sweep());
        assertEquals(1.5, r.guidance(), 0.0);
        assertNotNull(r.cells().get(0).share(), "a conditional run's class share");
        String metric = fx(() -> {
            s2.getRoot().applyCss(); // the scroll pane's content joins the scene graph with its skin
            return ((Label) s2.lookup("#evaluate-metric")).getText();
        });
        assertTrue(metric.contains("class share") && metric.contains("guidance 1.5"), metric);
        StudioFixture.onFx(() -> StudioFixture.screenshot(s2, "evaluate-window-conditional"));
        w.cancel();
    }

    @Test
    void aModelThatDoesNotSayItsDataAndHasNoDatasetOfItsSizeIsNotStarted(FxRobot robot) throws Exception {
        // the export with its U-Net's metadata emptied, as another library would write it
        Path export = run.exportsDir().resolve("diffusers");
        Path foreign = root.resolve("foreign");
        TrainingTestSupport.copyTree(export, foreign);
        Path weights = foreign.resolve("unet/diffusion_pytorch_model.safetensors");
        io.ldmstudio.weights.SafeTensors.Contents c = io.ldmstudio.weights.SafeTensors.read(
                export.resolve("unet/diffusion_pytorch_model.safetensors"));
        Files.delete(weights);
        io.ldmstudio.weights.SafeTensors.writeTensors(weights, List.copyOf(c.tensors().values()), java.util.Map.of());
        SampleSource source = SampleSource.pipeline(foreign);
        assertTrue(source.trainedOn().isEmpty());
        // 3 × 16 px: no preset or source makes such images, so nothing to offer
        List<EvaluateWindow.DatasetChoice> offered = EvaluateWindow.datasets(source);
        assertTrue(offered.isEmpty(), offered.toString());
        EvaluateWindow w = fx(() -> new EvaluateWindow(studio, source, offered));
        Scene s2 = fx(() -> new Scene(w.view(), 900, 500));
        StudioFixture.onFx(() -> {
            ((TextField) s2.lookup("#evaluate-steps")).setText("2");
            w.start();
        });
        String refused = fx(() -> ((Label) s2.lookup("#evaluate-status")).getText());
        assertTrue(refused.startsWith("Dataset: choose the dataset") && refused.contains("model foreign")
                && refused.contains("does not say what it was trained on"), refused);
        assertEquals(null, fx(() -> w.shownProperty().get()));
    }
}

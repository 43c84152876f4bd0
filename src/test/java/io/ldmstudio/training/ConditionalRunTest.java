package io.ldmstudio.training;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.config.SamplerKind;
import io.ldmstudio.data.Sources;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.pipeline.Pipeline;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.service.SamplingService;
import io.ldmstudio.ui.StudioFixture;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A class-conditional run end to end: the dataset's classes recorded in the run, labels through training,
 * a sample grid of one labelled row per class, sampling by class with guidance, and an export that diffusers
 * reads as a class-conditional UNet2DModel and that gives the run's images.
 */
class ConditionalRunTest {
    @TempDir
    Path tmp;

    static final Devices.DeviceInfo CPU = Devices.resolve("cpu");

    @Test
    void aClassConditionalRunRecordsItsClassesAndSamplesByClass() throws Exception {
        Run run = new Workspace(tmp.resolve("ws")).create("cond", StudioFixture.tinyConfig("conditioning.type=class",
                "optim.steps=4", "logging.sample_every=4", "logging.checkpoint_every=4", "sampling.n=4", "sampling.steps=3"));
        Trainer trainer = new Trainer(run, CPU);
        assertEquals(Trainer.Outcome.FINISHED, trainer.run(new TrainingControl()), trainer.failure());

        List<String> shapes = List.of("disc", "square", "triangle", "ring", "stripes");
        assertEquals(shapes, run.classNames(), "the procedural shapes' classes, by label");
        assertEquals(5, run.config().conditioning().classes());
        assertTrue(Files.readString(run.logFile()).contains("conditioning: 5 classes"), "logged");

        // one labelled row per class of ⌈4 / 5⌉ = 1 image of 16 px: 5 rows of 18 px + 2
        BufferedImage grid = ImageIO.read(run.sampleGrid(4).toFile());
        assertEquals(5 * (16 + 2) + 2, grid.getHeight());
        assertTrue(grid.getWidth() > 16 + 2 * 2, "a margin for the class names: " + grid.getWidth());

        int[] labels = {0, 4};
        SamplingService.Result a = SamplingService.sample(run, new SamplingService.Request("ddim", 3, 0, 1, 2, true, 0,
                new Pipeline.Condition(labels, 3.0, 0)), CPU, null, () -> false);
        SamplingService.Result b = SamplingService.sample(run, new SamplingService.Request("ddim", 3, 0, 1, 2, true, 0,
                new Pipeline.Condition(new int[] {4, 0}, 3.0, 0)), CPU, null, () -> false);
        assertFalse(java.util.Arrays.equals(a.images().get(0), b.images().get(0)), "another class, another image");
        SamplingService.Result none = SamplingService.sample(run, new SamplingService.Request("ddim", 3, 0, 1, 2, true, 0),
                CPU, null, () -> false);
        assertEquals(2, none.images().size(), "no labels: the null class");

        // the export: a UNet2DModel with num_class_embeds = 6 that gives the run's images for the same classes
        Path export = run.exportsDir().resolve("diffusers");
        assertTrue(Files.readString(export.resolve("unet/config.json")).contains("\"num_class_embeds\" : 6"),
                Files.readString(export.resolve("unet/config.json")));
        Pipeline p = Pipeline.open(export);
        assertEquals(5, p.classes());
        assertEquals(shapes, p.classNames(), "the class names go along as id2label");
        SamplingService.Result fromExport = SamplingService.sample(p, SamplerKind.DDIM, 3, 0, 1, 2, null,
                new Pipeline.Condition(labels, 3.0, 0), CPU, null, () -> false, null);
        for (int i = 0; i < 2; i++) {
            assertArrayEquals(a.images().get(i), fromExport.images().get(i), "image " + i);
        }
        assertThrows(IllegalArgumentException.class, () -> SamplingService.sample(run, new SamplingService.Request("ddim", 3,
                0, 1, 1, true, 0, new Pipeline.Condition(new int[] {5}, 3.0, 0)), CPU, null, () -> false));
    }

    @Test
    void aDatasetWithoutClassesIsRefusedNamingIt() throws Exception {
        Path images = Files.createDirectories(tmp.resolve("flat"));
        for (int i = 0; i < 3; i++) {
            BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
            img.setRGB(i, i, 0xffffff);
            ImageIO.write(img, "png", images.resolve("img" + i + ".png").toFile());
        }
        Run run = new Workspace(tmp.resolve("ws")).create("flat", StudioFixture.tinyConfig("conditioning.type=class",
                "data.source=folder", "data.path=" + images, "optim.steps=2"));
        Trainer trainer = new Trainer(run, CPU);
        assertEquals(Trainer.Outcome.FAILED, trainer.run(new TrainingControl()));
        assertTrue(trainer.failure().contains("needs labelled images") && trainer.failure().contains(images.toString()),
                trainer.failure());
        assertTrue(Sources.open(run.config().data()).classNames().isEmpty());
    }
}

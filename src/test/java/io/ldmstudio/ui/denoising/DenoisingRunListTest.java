package io.ldmstudio.ui.denoising;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ldmstudio.config.ConfigResolver;
import io.ldmstudio.config.Presets;
import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioFixture;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javafx.stage.Stage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.framework.junit5.Start;
import org.testfx.util.WaitForAsyncUtils;

/** The Denoising pane's Run box holds the runs that denoise: an autoencoder run is the Autoencoder pane's. */
@ExtendWith(ApplicationExtension.class)
class DenoisingRunListTest {
    Studio studio;
    DenoisingViewModel vm;

    @Start
    void start(Stage stage) throws Exception {
        Path root = StudioFixture.emptyWorkspace();
        studio = StudioFixture.studio(root);
        studio.workspace().create("vae-a", ConfigResolver.resolve(Presets.classpath(), "vae-procedural", List.of())
                .withPreset("vae-procedural"));
        studio.workspace().create("diffusion-b", StudioFixture.tinyConfig().withPreset("quickstart"));
        DenoisingPane pane = new DenoisingPane(studio);
        vm = pane.model();
        StudioFixture.show(stage, pane);
        studio.refreshRuns();
    }

    @Test
    void autoencoderRunsAreNotListedNorPickedFromTheSidebar() throws Exception {
        WaitForAsyncUtils.waitFor(30, TimeUnit.SECONDS, () -> studio.runs().size() == 2 && !vm.runNames().isEmpty());
        assertEquals(List.of("diffusion-b"), io.ldmstudio.ui.training.TrainingTestSupport.fx(() -> List.copyOf(vm.runNames())));
        assertEquals("diffusion-b", vm.runNameProperty().get());
        StudioFixture.onFx(() -> studio.select("vae-a"));
        WaitForAsyncUtils.waitForFxEvents();
        assertEquals("vae-a", studio.selectedRunNameProperty().get());
        assertEquals("diffusion-b", vm.runNameProperty().get(), "the Run box stays on a run it can denoise");
    }
}

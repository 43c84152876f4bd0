package io.ldmstudio.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.diffusion.SchedulerConfig;
import io.ldmstudio.nn.UNet2DModel;
import io.ldmstudio.nn.UNetConfig;
import io.ldmstudio.util.Rng;
import io.ldmstudio.weights.UNetWeights;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An export says whether diffusers computes the network as the studio does: a {@code head_dim} network
 * always (its config carries {@code attention_head_dim} = head_dim), a {@code num_heads} one only when
 * every attention layer is as wide as the middle block.
 */
class PipelineExportHeadsTest {
    static final SchedulerConfig SCHEDULER = SchedulerConfig.forStudio(
            new RunConfig.Diffusion(1000, "linear", 1e-4, 0.02, "epsilon"), "ddim", true);

    @TempDir
    Path tmp;

    List<String> export(RunConfig.Model m, Path dir) throws Exception {
        try (NDManager manager = NDManager.newBaseManager()) {
            UNet2DModel unet = new UNet2DModel(UNetConfig.of(m, 3, 8));
            unet.initialize(manager, new Rng(3), false);
            return Pipeline.of(unet, SCHEDULER, null, "test").save(dir, Map.of(), manager);
        }
    }

    @Test
    void aHeadDimNetworkExportsWithoutAHeadsNote() throws Exception {
        // attention at 32 and 64 channels: 1 and 2 heads of 32 channels
        List<String> notes = export(new RunConfig.Model(32, List.of(1, 2), 1, List.of(1, 2), 0, 32, 8, 0.0),
                tmp.resolve("head-dim"));
        assertEquals(List.of(), notes);
        UNetConfig back = UNetWeights.readConfig(tmp.resolve("head-dim").resolve("unet"));
        assertEquals(1, back.headsFor(32));
        assertEquals(2, back.headsFor(64));
    }

    @Test
    void aNumHeadsNetworkWithNarrowerAttentionLevelsIsNoted() throws Exception {
        List<String> notes = export(new RunConfig.Model(32, List.of(1, 2), 1, List.of(1, 2), 2, 8, 0.0),
                tmp.resolve("num-heads"));
        assertEquals(1, notes.size(), notes.toString());
        assertTrue(notes.get(0).contains("[32 channels 1 heads]"), notes.get(0));
        assertTrue(notes.get(0).contains("model.head_dim"), notes.get(0));
    }
}

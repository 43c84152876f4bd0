package io.ldmstudio.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.config.SamplerKind;
import io.ldmstudio.diffusion.SchedulerConfig;
import io.ldmstudio.nn.UNet2DModel;
import io.ldmstudio.nn.UNetConfig;
import io.ldmstudio.util.Rng;
import io.ldmstudio.weights.UNetWeights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A diffusers class-conditional {@code UNet2DModel} checkpoint trained with a label for every class-embedding row
 * (no null class) opens with all its rows as classes and samples them without guidance; guidance, which needs the
 * null class, is refused with a message saying what to do. The studio's own exports say which row is null.
 */
class PipelineNullClassTest {
    private static final RunConfig.Model SMALL = new RunConfig.Model(16, List.of(1, 2), 1, List.of(2), 2, 0, 8, 0.0);

    @TempDir
    Path tmp;

    private Path export(UNetConfig c, NDManager m) throws Exception {
        UNet2DModel unet = new UNet2DModel(c);
        unet.initialize(m, new Rng(5), false);
        Path dir = tmp.resolve(c.nullClass() ? "with-null" : "without-null");
        Pipeline.of(unet, SchedulerConfig.forStudio(RunConfig.defaults().diffusion(), "ddim", true), null, "test")
                .save(dir, Map.of(), m);
        return dir;
    }

    private static Pipeline.Request request(int[] labels, double w) {
        return new Pipeline.Request(SamplerKind.DDIM, 4, 0, 11, labels.length, null,
                new Pipeline.Condition(labels, w, 0));
    }

    @Test
    void aCheckpointWithoutANullClassSamplesEveryRowWithoutGuidance() throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            UNetConfig c = UNetConfig.of(SMALL, 1, 8).withNumClassEmbeds(3).withNullClass(false);
            Path dir = export(c, m);
            String json = Files.readString(dir.resolve("unet/config.json"));
            assertTrue(json.contains("\"studio_null_class\" : false"), json);
            {
                Pipeline p = Pipeline.open(dir);
                assertEquals(3, p.classes());
                assertFalse(p.hasNullClass());
                // row 2, which the studio's own reading would take for the null class, is a class here
                float[] two = p.generate(request(new int[] {2}, 1.0), m, null, () -> false).images().get(0);
                float[] zero = p.generate(request(new int[] {0}, 1.0), m, null, () -> false).images().get(0);
                double diff = 0;
                for (int i = 0; i < two.length; i++) {
                    diff = Math.max(diff, Math.abs(two[i] - zero[i]));
                }
                assertTrue(diff > 1e-3, "the same x_T with class 2 and class 0 differs by " + diff);
                String e = assertThrows(IllegalArgumentException.class,
                        () -> p.generate(request(new int[] {1}, 2.0), m, null, () -> false)).getMessage();
                assertTrue(e.contains("needs a null class") && e.contains("studio_null_class"), e);
                String u = assertThrows(IllegalArgumentException.class, () -> p.generate(
                        new Pipeline.Request(SamplerKind.DDIM, 4, 0, 11, 1, null, null), m, null, () -> false))
                        .getMessage();
                assertTrue(u.contains("no null class"), u);
            }
        }
    }

    @Test
    void theNullRowIsReadFromStudioNullClassElseFromId2label() throws Exception {
        UNetConfig c = UNetConfig.of(SMALL, 1, 8).withNumClassEmbeds(4);
        Path f = tmp.resolve("config.json");
        var json = UNetWeights.diffusersConfig(c);
        assertTrue(json.get("studio_null_class").asBoolean());
        assertEquals(3, UNetWeights.fromDiffusersConfig(json, f).classes());
        json.remove("studio_null_class"); // as diffusers writes it: every row a class
        assertEquals(4, UNetWeights.fromDiffusersConfig(json, f).classes());
        var names = json.putObject("id2label");
        for (int k = 0; k < 3; k++) {
            names.put(Integer.toString(k), "c" + k);
        }
        assertEquals(3, UNetWeights.fromDiffusersConfig(json, f).classes()); // names for 3 of 4 rows: the last is null
        names.put("3", "c3");
        assertEquals(4, UNetWeights.fromDiffusersConfig(json, f).classes());
        json.put("studio_null_class", "yes");
        String e = assertThrows(java.io.IOException.class, () -> UNetWeights.fromDiffusersConfig(json, f)).getMessage();
        assertTrue(e.startsWith(f + ": studio_null_class \"yes\""), e);
    }
}

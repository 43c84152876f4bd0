package io.ldmstudio.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The training data as weights' metadata: written, read back the same, a broken entry named. */
class TrainedOnTest {
    @Test
    void theDataSectionRoundTripsThroughTheMetadata() {
        RunConfig.Data d = new RunConfig.Data("idx", "/usr/share/datasets/fashion-mnist", 28, 1, false, false, 0, 0);
        TrainedOn t = new TrainedOn("fashion-mnist-pixel-cpu", d);
        Map<String, String> m = t.addTo(Map.of("step", "7"));
        assertEquals("7", m.get("step"));
        assertEquals("fashion-mnist-pixel-cpu", m.get(TrainedOn.PRESET_KEY));
        assertEquals(t, TrainedOn.fromMetadata(m, "f").orElseThrow());
        // no path, no preset
        TrainedOn bare = new TrainedOn(null, new RunConfig.Data("procedural", null, 16, 3, true, false, 0, 0));
        assertEquals(bare, TrainedOn.fromMetadata(bare.metadata(), "f").orElseThrow());
        assertTrue(TrainedOn.fromMetadata(Map.of("step", "1"), "f").isEmpty());
        // a class-conditional run's guidance
        TrainedOn cond = new TrainedOn("p", d, 2.5);
        assertEquals("2.5", cond.metadata().get(TrainedOn.GUIDANCE_KEY));
        assertEquals(cond, TrainedOn.fromMetadata(cond.metadata(), "f").orElseThrow());
        assertEquals(2.5, TrainedOn.guidanceFrom(cond.metadata(), "f").orElseThrow(), 0.0);
        assertTrue(TrainedOn.guidanceFrom(t.metadata(), "f").isEmpty());
        for (String bad : new String[] {"-1", "lots", "NaN", "Infinity"}) {
            String e = assertThrows(IllegalArgumentException.class, () -> TrainedOn.guidanceFrom(
                    Map.of(TrainedOn.GUIDANCE_KEY, bad), "w.safetensors")).getMessage();
            assertTrue(e.startsWith("w.safetensors: metadata " + TrainedOn.GUIDANCE_KEY + " '" + bad + "'"), e);
        }
    }

    @Test
    void aBrokenEntryNamesTheFileAndTheKey() {
        for (String bad : new String[] {"not json", "{\"source\": 3, \"resolution\": 28, \"channels\": 1}",
            "{\"source\": \"idx\", \"resolution\": 0, \"channels\": 1}", "{\"source\": \"idx\", \"resolution\": 28}"}) {
            String e = assertThrows(IllegalArgumentException.class,
                    () -> TrainedOn.fromMetadata(Map.of(TrainedOn.DATA_KEY, bad), "w.safetensors")).getMessage();
            assertTrue(e.startsWith("w.safetensors: metadata " + TrainedOn.DATA_KEY), e);
        }
    }
}

package io.ldmstudio.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class RunConfigTest {

    @Test
    void roundTripsThroughJsonExactly() throws Exception {
        RunConfig d = RunConfig.defaults();
        String json = Configs.MAPPER.writeValueAsString(d);
        assertEquals(d, Configs.MAPPER.readValue(json, RunConfig.class));
        assertFalse(json.contains("unet_channels") || json.contains("pixel_space"), "derived values are not saved");
    }

    @Test
    void theFourPartAutoencoderConstructorMeansTheSdVae() {
        RunConfig.Autoencoder a = new RunConfig.Autoencoder("pretrained", "m", 0.18215, "float16");
        assertEquals(8, a.downsampleFactor());
        assertEquals(4, a.latentChannels());
    }

    @Test
    void aConfigWrittenBeforeHeadDimReadsWithItsNumHeads() throws Exception {
        com.fasterxml.jackson.databind.node.ObjectNode tree = Configs.MAPPER.valueToTree(RunConfig.defaults());
        ((com.fasterxml.jackson.databind.node.ObjectNode) tree.get("model")).remove("head_dim");
        RunConfig old = Configs.MAPPER.treeToValue(tree, RunConfig.class);
        assertEquals(0, old.model().headDim());
        assertEquals(4, old.model().numHeads());
        assertEquals(RunConfig.defaults(), old);
        assertEquals(new RunConfig.Model(16, List.of(1, 2), 1, List.of(2), 2, 0, 8, 0.0),
                new RunConfig.Model(16, List.of(1, 2), 1, List.of(2), 2, 8, 0.0), "the seven-part form has no head_dim");
    }

    @Test
    void unknownKeysAreRejected() {
        assertThrows(UnrecognizedPropertyException.class,
                () -> Configs.MAPPER.readValue("{\"devise\": \"cpu\"}", RunConfig.class));
    }

    @Test
    void schemaHasExactlyTheKeysOfTheJson() {
        List<String> json = new ArrayList<>();
        collect(Configs.MAPPER.valueToTree(RunConfig.defaults()), "", json);
        assertEquals(json, ConfigSchema.keys().stream().map(ConfigSchema.Key::path).toList());
    }

    private static void collect(JsonNode node, String prefix, List<String> out) {
        node.fields().forEachRemaining(e -> {
            out.add(prefix + e.getKey());
            if (e.getValue().isObject()) {
                collect(e.getValue(), prefix + e.getKey() + ".", out);
            }
        });
    }
}

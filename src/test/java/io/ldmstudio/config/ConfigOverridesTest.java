package io.ldmstudio.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ConfigOverridesTest {
    private static RunConfig set(String... overrides) {
        return ConfigOverrides.apply(RunConfig.defaults(), List.of(overrides));
    }

    private static ConfigException fails(String override) {
        ConfigException e = assertThrows(ConfigException.class, () -> set(override));
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
        assertTrue(e.getMessage().startsWith("--set " + override + ": "), e.getMessage());
        return e;
    }

    @Test
    void eachTypeIsParsedByItsField() {
        RunConfig c = set("optim.lr=1e-4", "optim.steps=100_000", "optim.seed=1234567890123",
                "data.flip=true", "data.path=/x", "model.channel_mult=1,2,2,4", "model.attention_resolutions=[2, 4]",
                "sampling.eta=0.5", "logging.sample_every=1e3", "device=cuda:1");
        assertEquals(1e-4, c.optim().lr());
        assertEquals(100_000, c.optim().steps());
        assertEquals(1234567890123L, c.optim().seed());
        assertTrue(c.data().flip());
        assertEquals("/x", c.data().path());
        assertEquals(List.of(1, 2, 2, 4), c.model().channelMult());
        assertEquals(List.of(2, 4), c.model().attentionResolutions());
        assertEquals(0.5, c.sampling().eta());
        assertEquals(1000, c.logging().sampleEvery());
        assertEquals("cuda:1", c.device());
    }

    @Test
    void laterOverridesWinAndEmptyClearsAString() {
        RunConfig c = set("data.path=/a", "data.path=/b", "optim.lr=1", "optim.lr=0.5");
        assertEquals("/b", c.data().path());
        assertEquals(0.5, c.optim().lr());
        assertNull(set("data.path=/a", "data.path=").data().path());
        assertEquals(List.of(), set("model.attention_resolutions=[]").model().attentionResolutions());
        assertFalse(set("data.flip=FALSE").data().flip());
    }

    @Test
    void badKeysAndValuesGiveOneLineNamingKeyValueAndWhatIsAllowed() {
        ConfigException e = fails("optim.learning_rate=1e-4");
        assertTrue(e.getMessage().contains("unknown key optim.learning_rate (did you mean optim.lr?)"), e.getMessage());
        assertEquals("optim.learning_rate", e.errors().get(0).field());
        assertEquals("1e-4", e.errors().get(0).value());
        assertTrue(fails("model.attention_head_dim=32").getMessage().contains("(did you mean model.head_dim?)"));

        assertTrue(fails("optim.lr=fast").getMessage().contains("optim.lr must be a number"));
        assertTrue(fails("optim.steps=1.5").getMessage().contains("optim.steps must be an integer"));
        assertTrue(fails("optim.steps=99999999999").getMessage().contains("optim.steps must be an integer"));
        assertTrue(fails("data.flip=yes").getMessage().contains("data.flip must be true or false"));
        assertTrue(fails("model.channel_mult=1,two").getMessage().contains("must be a list of integers"));
        assertTrue(fails("data.source=foldr").getMessage()
                .contains("data.source must be one of procedural, folder, cifar10, idx (did you mean folder?)"));
        assertTrue(fails("optim=1").getMessage().contains("optim is a group; set one of its keys: optim.lr"));
        assertTrue(fails("optim.nesterov=true").getMessage().contains("keys under optim: lr, beta1"));
        assertTrue(fails("optim.lr").getMessage().contains("expected key=value"));
        assertTrue(fails("data.batch_size=4").getMessage().contains("did you mean optim.batch_size?"));
    }

    @Test
    void rangesAreLeftToTheValidator() {
        RunConfig c = set("optim.lr=-1");
        assertEquals("optim.lr", ConfigValidator.validate(c).get(0).field());
    }
}

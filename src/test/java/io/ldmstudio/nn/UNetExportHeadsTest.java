package io.ldmstudio.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ldmstudio.config.ConfigResolver;
import io.ldmstudio.config.Presets;
import io.ldmstudio.config.RunConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Where a studio network's fixed head count cannot be said in diffusers' config: attention levels
 * narrower than the middle block get C / attention_head_dim heads in diffusers.
 */
class UNetExportHeadsTest {
    static UNetConfig of(String preset) {
        RunConfig c = ConfigResolver.resolve(Presets.classpath(), preset, List.of());
        return UNetConfig.of(c.model(), c.unetChannels(), c.unetResolution());
    }

    @Test
    void presetsWhoseAttentionLevelsAreNarrowerThanTheMiddleAreNamed() {
        assertEquals(List.of(), of("quickstart").widthsWithOtherHeadsInDiffusers(), "attention only at the middle width");
        assertEquals(List.of(128), of("cifar10-latent-64").widthsWithOtherHeadsInDiffusers());
        assertEquals(List.of(256, 384), of("celeba-hq-256").widthsWithOtherHeadsInDiffusers());
        UNetConfig diffusers = new UNetConfig(3, 3, 8, List.of(32, 64), List.of(true, true), 1, 0, 16, 8, 1e-5f, 0f,
                true, 0, true, 1);
        assertEquals(List.of(), diffusers.widthsWithOtherHeadsInDiffusers(), "diffusers' own head semantics");
        assertEquals(2, diffusers.headsFor(32));
        assertEquals(4, diffusers.headsFor(64));
    }
}

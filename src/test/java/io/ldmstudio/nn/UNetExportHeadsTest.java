package io.ldmstudio.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import com.fasterxml.jackson.databind.JsonNode;
import io.ldmstudio.config.ConfigResolver;
import io.ldmstudio.config.ConfigValidator;
import io.ldmstudio.config.Presets;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.weights.UNetWeights;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Where a studio network's fixed head count cannot be said in diffusers' config: attention levels
 * narrower than the middle block get C / attention_head_dim heads in diffusers. A {@code head_dim}
 * network says its heads in diffusers' own terms, so it has no such widths.
 */
class UNetExportHeadsTest {
    @TempDir
    Path tmp;

    static UNetConfig of(String preset) {
        RunConfig c = ConfigResolver.resolve(Presets.classpath(), preset, List.of());
        return UNetConfig.of(c.model(), c.unetChannels(), c.unetResolution());
    }

    /** Heads of each attention layer: down levels with attention, then the middle block. */
    static List<Integer> heads(UNetConfig c) {
        List<Integer> out = new java.util.ArrayList<>();
        for (int i = 0; i < c.levels(); i++) {
            if (c.attention().get(i)) {
                out.add(c.headsFor(c.blockOutChannels().get(i)));
            }
        }
        out.add(c.headsFor(c.blockOutChannels().get(c.levels() - 1)));
        return out;
    }

    @Test
    void presetsWhoseAttentionLevelsAreNarrowerThanTheMiddleAreNamed() {
        assertEquals(List.of(), of("quickstart").widthsWithOtherHeadsInDiffusers(), "attention only at the middle width");
        UNetConfig diffusers = new UNetConfig(3, 3, 8, List.of(32, 64), List.of(true, true), 1, 0, 16, 8, 1e-5f, 0f,
                true, 0, true, 1);
        assertEquals(List.of(), diffusers.widthsWithOtherHeadsInDiffusers(), "diffusers' own head semantics");
        assertEquals(2, diffusers.headsFor(32));
        assertEquals(4, diffusers.headsFor(64));
    }

    @Test
    void presetsWithHeadDimExportFaithfully() {
        UNetConfig latent64 = of("cifar10-latent-64");
        assertEquals(List.of(), latent64.widthsWithOtherHeadsInDiffusers());
        assertEquals(List.of(2, 4, 4), heads(latent64)); // 128 / 64, 256 / 64, middle 256 / 64
        UNetConfig hq = of("celeba-hq-256");
        assertEquals(List.of(), hq.widthsWithOtherHeadsInDiffusers());
        assertEquals(List.of(4, 6, 8, 8), heads(hq)); // 256, 384, 512 channels / 64; middle 512 / 64
        UNetConfig f4 = of("celeba-hq-128-f4"); // inherits the U-Net (on 3 latent channels)
        assertEquals(List.of(), f4.widthsWithOtherHeadsInDiffusers());
        assertEquals(List.of(4, 6, 8, 8), heads(f4));
    }

    @Test
    void numHeadsAtDifferentWidthsIsStillReported() {
        // cifar10-latent-64's former shape: 4 heads at 128 and at 256 channels
        RunConfig c = ConfigResolver.resolve(Presets.classpath(), "cifar10-latent-64",
                List.of("model.num_heads=4", "model.head_dim=0"));
        UNetConfig u = UNetConfig.of(c.model(), c.unetChannels(), c.unetResolution());
        assertEquals(List.of(4, 4, 4), heads(u));
        assertEquals(List.of(128), u.widthsWithOtherHeadsInDiffusers());
        RunConfig hq = ConfigResolver.resolve(Presets.classpath(), "celeba-hq-256",
                List.of("model.num_heads=8", "model.head_dim=0"));
        assertEquals(List.of(256, 384), UNetConfig.of(hq.model(), hq.unetChannels(), hq.unetResolution())
                .widthsWithOtherHeadsInDiffusers());
    }

    @Test
    void headDimIsWrittenAsAttentionHeadDimAndReadsBackToTheSameHeads() throws Exception {
        // attention at 32 and 64 channels and in the 64-channel middle block: 1, 2 and 2 heads of 32 channels
        RunConfig.Model m = new RunConfig.Model(32, List.of(1, 2), 1, List.of(1, 2), 0, 32, 8, 0.0);
        RunConfig run = new RunConfig(RunConfig.defaults().preset(), "", RunConfig.defaults().data(),
                RunConfig.defaults().autoencoder(), m, RunConfig.defaults().diffusion(), RunConfig.defaults().optim(),
                RunConfig.defaults().sampling(), RunConfig.defaults().logging(), "cpu");
        assertEquals(List.of(), ConfigValidator.validate(run));
        UNetConfig c = UNetConfig.of(m, 3, 8);
        assertEquals(0, c.numHeads());
        assertEquals(32, c.attentionHeadDim());
        assertEquals(List.of(1, 2, 2), heads(c));
        assertEquals(List.of(), c.widthsWithOtherHeadsInDiffusers());

        UNetWeights.writeConfig(c, tmp);
        JsonNode written = new com.fasterxml.jackson.databind.ObjectMapper().readTree(
                Files.readString(tmp.resolve("config.json")));
        assertEquals(32, written.get("attention_head_dim").asInt());
        assertFalse(written.has("studio_num_heads"), "diffusers' own head semantics need no studio key");
        UNetConfig back = UNetWeights.readConfig(tmp);
        assertEquals(List.of(1, 2, 2), heads(back));
        assertEquals(c, back);

        // the same widths with num_heads 2: written as attention_head_dim 64 / 2 = 32 plus studio_num_heads,
        // which diffusers ignores, so it would give the 32-channel level 1 head where the studio has 2
        UNetConfig fixed = UNetConfig.of(new RunConfig.Model(32, List.of(1, 2), 1, List.of(1, 2), 2, 8, 0.0), 3, 8);
        assertEquals(List.of(2, 2, 2), heads(fixed));
        assertEquals(List.of(32), fixed.widthsWithOtherHeadsInDiffusers());
        JsonNode fixedJson = UNetWeights.diffusersConfig(fixed);
        assertEquals(32, fixedJson.get("attention_head_dim").asInt());
        assertEquals(2, fixedJson.get("studio_num_heads").asInt());
    }
}

package io.ldmstudio.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.config.ConfigOverrides;
import io.ldmstudio.config.ConfigResolver;
import io.ldmstudio.config.Presets;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.nn.AutoencoderKL;
import io.ldmstudio.nn.UNet2DModel;
import io.ldmstudio.nn.UNetConfig;
import io.ldmstudio.nn.VaeConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Parameter counts and memory figures of the network a config trains. */
class ModelSizesTest {
    static RunConfig quickstart() {
        return ConfigResolver.resolve(Presets.classpath(), "quickstart", List.of());
    }

    static RunConfig autoencoder(String blockOutChannels) {
        return ConfigOverrides.apply(quickstart(), List.of("task=autoencoder", "vae.block_out_channels=" + blockOutChannels));
    }

    @Test
    void theMemoryEstimateGrowsWithTheBatch() {
        RunConfig c = quickstart();
        UNetConfig u = UNetConfig.of(c.model(), c.unetChannels(), c.unetResolution());
        double a = ModelSizes.activationBytes(c, u);
        RunConfig doubled = ConfigOverrides.apply(c, List.of("optim.batch_size=64"));
        assertEquals(2 * a, ModelSizes.activationBytes(doubled, u), 1e-6 * a);
        assertEquals(20.0 * 1000, ModelSizes.stateBytes(1000));
    }

    @Test
    void aUNetRunCountsItsUNet() {
        RunConfig c = quickstart();
        UNetConfig u = UNetConfig.of(c.model(), c.unetChannels(), c.unetResolution());
        long expected = new UNet2DModel(u).parameterCount();
        ModelSizes sizes = new ModelSizes();
        ModelSizes.Size s = sizes.of(c);
        assertEquals(ModelSizes.Network.UNET, s.network());
        assertEquals(expected, s.parameters());
        assertEquals(ModelSizes.stateBytes(expected), s.stateBytes());
        assertEquals(ModelSizes.activationBytes(c, u), s.activationBytes().orElseThrow());

        assertEquals(s, sizes.of(c), "asked again with the same shape");
        RunConfig bigger = ConfigOverrides.apply(c, List.of("optim.batch_size=64"));
        assertEquals(expected, sizes.of(bigger).parameters(), "the batch does not change the network");
        assertEquals(2 * s.activationBytes().orElseThrow(), sizes.of(bigger).activationBytes().orElseThrow(),
                1e-6 * s.activationBytes().orElseThrow());

        RunConfig wider = ConfigOverrides.apply(c, List.of("model.model_channels=64"));
        UNetConfig uw = UNetConfig.of(wider.model(), wider.unetChannels(), wider.unetResolution());
        long widerExpected = new UNet2DModel(uw).parameterCount();
        assertNotEquals(expected, widerExpected);
        assertEquals(widerExpected, sizes.of(wider).parameters());
        assertEquals(expected, sizes.of(c).parameters(), "and back");
    }

    /** A conditional run counts the network it will train: the class embedding, or LDM's cross-attention U-Net. */
    @Test
    void aConditionalRunCountsItsConditionalNetwork() {
        RunConfig c = quickstart();
        ModelSizes sizes = new ModelSizes();
        long plain = sizes.of(c).parameters();
        int temb = 4 * c.model().modelChannels();
        RunConfig cls = ConfigOverrides.apply(c, List.of("conditioning.type=class", "conditioning.classes=9"));
        assertEquals(plain + 10L * temb, sizes.of(cls).parameters(), "10 rows of the time embedding's width");
        RunConfig xattn = ConfigOverrides.apply(c, List.of("conditioning.type=cross_attention", "conditioning.classes=9",
                "conditioning.cross_attention_dim=64"));
        var k = xattn.conditioning();
        long expected = new io.ldmstudio.nn.ClassConditionalUNet(io.ldmstudio.nn.UNet2DConditionConfig.of(xattn.model(),
                xattn.unetChannels(), xattn.unetResolution(), 64, 1), 9).parameterCount();
        assertEquals(expected, sizes.of(xattn).parameters());
        assertTrue(expected > plain, "transformers where the U-Net had self-attention: " + expected + " vs " + plain);
        assertEquals(64, k.crossAttentionDim());
        RunConfig unknown = ConfigOverrides.apply(c, List.of("conditioning.type=cross_attention"));
        assertTrue(sizes.of(unknown).parameters() > plain, "counted with one class before the dataset says how many");
    }

    @Test
    void anAutoencoderRunCountsItsAutoencoder() {
        RunConfig c = autoencoder("[32,64]");
        VaeConfig vc = VaeConfig.of(c.vae(), c.data().channels(), c.data().resolution());
        long expected = new AutoencoderKL(vc).parameterCount();
        ModelSizes sizes = new ModelSizes();
        ModelSizes.Size s = sizes.of(c);
        assertEquals(ModelSizes.Network.AUTOENCODER, s.network());
        assertEquals(expected, s.parameters());
        assertEquals(ModelSizes.stateBytes(expected), s.stateBytes());
        assertTrue(s.activationBytes().isEmpty(), "no activation estimate for the autoencoder");

        assertEquals(s, sizes.of(c), "asked again with the same shape");
        assertEquals(s, sizes.of(autoencoder("[32,64]")), "an equal config read again");

        RunConfig other = autoencoder("[32,64,64]");
        VaeConfig vo = VaeConfig.of(other.vae(), other.data().channels(), other.data().resolution());
        long otherExpected = new AutoencoderKL(vo).parameterCount();
        assertNotEquals(expected, otherExpected);
        assertEquals(otherExpected, sizes.of(other).parameters());
        assertEquals(expected, sizes.of(c).parameters(), "and back");
    }
}

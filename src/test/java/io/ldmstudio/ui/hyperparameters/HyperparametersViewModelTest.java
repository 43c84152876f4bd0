package io.ldmstudio.ui.hyperparameters;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.config.ConfigResolver;
import io.ldmstudio.config.Presets;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.nn.UNet2DModel;
import io.ldmstudio.nn.UNetConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The config editor's logic, without any controls. */
class HyperparametersViewModelTest {
    @TempDir
    Path tmp;

    HyperparametersViewModel vm() {
        HyperparametersViewModel vm = new HyperparametersViewModel(Presets.classpath());
        vm.loadPreset("quickstart");
        return vm;
    }

    void set(HyperparametersViewModel vm, String path, String text) {
        vm.field(path).orElseThrow().textProperty().set(text);
    }

    @Test
    void aPresetLoadsUnchangedAndValidAndEqualToTheResolvedConfig() {
        HyperparametersViewModel vm = vm();
        assertTrue(vm.validProperty().get());
        assertTrue(vm.changes().isEmpty());
        assertEquals(ConfigResolver.resolve(Presets.classpath(), "quickstart", List.of()),
                vm.config().orElseThrow());
        assertTrue(vm.fields().stream().noneMatch(f -> f.changedProperty().get()));
        assertEquals("Optimisation", vm.field("optim.lr").orElseThrow().group());
        assertEquals("Run", vm.field("device").orElseThrow().group());
        assertFalse(vm.field("preset").isPresent(), "the preset name is the base, not a field");
        assertTrue(vm.relevantFields().stream().noneMatch(f -> f.path().startsWith("vae.")),
                "a diffusion run shows no autoencoder-training keys");
        assertTrue(vm.relevantFields().stream().anyMatch(f -> f.path().equals("model.model_channels")));
    }

    @Test
    void anEditIsMarkedChangedAndReachesTheConfig() {
        HyperparametersViewModel vm = vm();
        set(vm, "optim.batch_size", "16");
        set(vm, "model.channel_mult", "1, 2, 4");
        assertTrue(vm.field("optim.batch_size").orElseThrow().changedProperty().get());
        assertEquals(List.of("model.channel_mult=1, 2, 4", "optim.batch_size=16"), vm.changes());
        RunConfig c = vm.config().orElseThrow();
        assertEquals(16, c.optim().batchSize());
        assertEquals(List.of(1, 2, 4), c.model().channelMult());
        assertTrue(vm.summaryProperty().get().startsWith("2 changes from quickstart"), vm.summaryProperty().get());
    }

    @Test
    void theConditioningGroupOffersTheCrossAttentionRoute() {
        HyperparametersViewModel vm = vm();
        var type = vm.field("conditioning.type").orElseThrow();
        assertEquals("Conditioning", type.group());
        assertEquals(List.of("none", "class", "cross_attention"), type.choices().orElseThrow());
        var dim = vm.field("conditioning.cross_attention_dim").orElseThrow();
        var guidance = vm.field("conditioning.guidance").orElseThrow();
        // quickstart is unconditional: every conditioning key but the type is said to be unused
        assertEquals("used with conditioning.type class or cross_attention only", guidance.unusedProperty().get());
        assertEquals("used with conditioning.type cross_attention only", dim.unusedProperty().get());
        set(vm, "conditioning.type", "class");
        assertEquals("", guidance.unusedProperty().get());
        assertEquals("used with conditioning.type cross_attention only", dim.unusedProperty().get());
        assertEquals("", type.unusedProperty().get());
        set(vm, "conditioning.type", "cross_attention");
        assertEquals("", dim.unusedProperty().get());
        set(vm, "conditioning.cross_attention_dim", "64");
        set(vm, "conditioning.transformer_layers_per_block", "2");
        RunConfig c = vm.config().orElseThrow();
        assertTrue(c.conditioning().crossAttention());
        assertEquals(64, c.conditioning().crossAttentionDim());
        assertEquals(2, c.conditioning().transformerLayersPerBlock());
        assertEquals("Conditioning", vm.field("conditioning.cross_attention_dim").orElseThrow().group());
    }

    @Test
    void theSameValueWrittenDifferentlyIsNotAChange() {
        HyperparametersViewModel vm = vm();
        set(vm, "optim.lr", "0.0002"); // the preset says 2e-4
        set(vm, "model.channel_mult", "[1,2,2]");
        assertTrue(vm.changes().isEmpty(), vm.changes().toString());
    }

    @Test
    void aWrongTypeShowsItsMessageAtTheFieldAndBlocksTheConfig() {
        HyperparametersViewModel vm = vm();
        set(vm, "optim.lr", "fast");
        var lr = vm.field("optim.lr").orElseThrow();
        assertTrue(lr.errorProperty().get().contains("must be a number"), lr.errorProperty().get());
        assertFalse(vm.validProperty().get());
        assertTrue(vm.config().isEmpty());
        assertTrue(vm.summaryProperty().get().endsWith("1 error"), vm.summaryProperty().get());
        set(vm, "optim.lr", "1e-4");
        assertEquals("", lr.errorProperty().get());
        assertTrue(vm.validProperty().get());
    }

    @Test
    void aValueTheValidatorRefusesIsReportedAtItsField() {
        HyperparametersViewModel vm = vm();
        set(vm, "model.norm_groups", "7"); // 32 channels are not divisible by 7
        String error = vm.field("model.norm_groups").orElseThrow().errorProperty().get();
        assertFalse(error.isEmpty(), "norm_groups=7 should be refused");
        assertFalse(vm.validProperty().get());
        for (var f : vm.fields()) {
            if (!f.path().equals("model.norm_groups")) {
                assertEquals("", f.errorProperty().get(), f.path() + " should have no error");
            }
        }
    }

    @Test
    void derivedFiguresFollowTheConfig() {
        HyperparametersViewModel vm = vm();
        RunConfig c = vm.config().orElseThrow();
        long expected = new UNet2DModel(UNetConfig.of(c.model(), c.unetChannels(), c.unetResolution())).parameterCount();
        assertTrue(vm.parametersProperty().get().startsWith(String.format(java.util.Locale.ROOT, "%,d", expected)),
                vm.parametersProperty().get());
        assertEquals("pixel space: 32×32×3", vm.latentShapeProperty().get());
        String before = vm.memoryProperty().get();
        set(vm, "model.model_channels", "64");
        assertTrue(vm.parametersProperty().get().length() > 0);
        long bigger = Long.parseLong(vm.parametersProperty().get().split(" ")[0].replace(",", ""));
        assertTrue(bigger > 3 * expected, bigger + " vs " + expected);
        assertFalse(before.equals(vm.memoryProperty().get()));
        set(vm, "autoencoder.kind", "pretrained");
        set(vm, "autoencoder.path", "/models/sd-vae-ft-mse");
        set(vm, "data.resolution", "256");
        assertEquals("256 px / f=8 → 32×32×4 latents", vm.latentShapeProperty().get());
    }

    @Test
    void saveAsPresetWritesOnlyTheChangesOverItsBaseAndResolvesToTheSameConfig() throws Exception {
        HyperparametersViewModel vm = vm();
        set(vm, "optim.steps", "300");
        set(vm, "sampling.sampler", "dpmpp");
        Path file = vm.saveAsPreset(tmp, "quick-300", null, false);
        String json = Files.readString(file);
        assertTrue(json.contains("\"extends\" : \"quickstart\""), json);
        assertFalse(json.contains("model_channels"), "only changes are written: " + json);
        Presets withDir = new Presets(tmp);
        RunConfig reloaded = ConfigResolver.resolve(withDir, "quick-300", List.of());
        assertEquals(vm.config().orElseThrow().withPreset("quick-300").optim(), reloaded.optim());
        assertEquals("dpmpp", reloaded.sampling().sampler());
        assertThrows(IllegalArgumentException.class, () -> vm.saveAsPreset(tmp, "quick-300", null, false));
        assertThrows(IllegalArgumentException.class, () -> vm.saveAsPreset(tmp, "bad name!", null, false));
    }

    @Test
    void anAutoencoderPresetShowsItsLatentShapeAndSize() {
        HyperparametersViewModel vm = new HyperparametersViewModel(Presets.classpath());
        vm.loadPreset("vae-fashion-mnist");
        assertTrue(vm.validProperty().get());
        RunConfig c = vm.config().orElseThrow();
        int f = 1 << (c.vae().blockOutChannels().size() - 1);
        int side = c.data().resolution() / f;
        assertEquals("autoencoder: " + c.data().resolution() + " px / f=" + f + " → " + side + "×" + side + "×"
                + c.vae().latentChannels() + " latents", vm.latentShapeProperty().get());
        assertFalse(vm.latentCaptionProperty().get().contains("U-Net's input")
                || vm.latentCaptionProperty().get().startsWith("Input of the U-Net"), "an autoencoder has no U-Net input");
        vm.loadPreset("quickstart");
        assertEquals("Input of the U-Net", vm.latentCaptionProperty().get());
        vm.loadPreset("vae-fashion-mnist");
        long params = new io.ldmstudio.nn.AutoencoderKL(io.ldmstudio.nn.VaeConfig.of(c.vae(), c.data().channels(),
                c.data().resolution())).parameterCount();
        assertTrue(vm.parametersProperty().get().startsWith(String.format(java.util.Locale.ROOT, "%,d autoencoder", params)),
                vm.parametersProperty().get());
        List<String> shown = vm.relevantFields().stream().map(HyperparametersViewModel.Field::path).toList();
        assertTrue(shown.contains("vae.kl_weight") && shown.contains("optim.lr") && shown.contains("data.resolution"));
        assertTrue(shown.stream().noneMatch(p -> p.startsWith("model.") || p.startsWith("diffusion.")), shown.toString());
        set(vm, "vae.block_out_channels", "32, 64, 64, 64, 64");
        assertFalse(vm.validProperty().get(), "f = 16 is refused");
        assertFalse(vm.field("vae.block_out_channels").orElseThrow().errorProperty().get().isEmpty());
    }

    @Test
    void aDataPathThatCannotBeReadIsRefusedAtItsField() throws Exception {
        HyperparametersViewModel vm = vm();
        var path = vm.field("data.path").orElseThrow();
        Path missing = tmp.resolve("no-such-images");
        set(vm, "data.source", "folder");
        set(vm, "data.path", missing.toString());
        assertTrue(path.errorProperty().get().contains("does not exist") && path.errorProperty().get()
                .contains(missing.toString()), path.errorProperty().get());
        assertFalse(vm.validProperty().get());
        assertTrue(vm.config().isEmpty());

        // a file where the folder source wants a folder
        Path file = Files.writeString(tmp.resolve("notes.txt"), "x");
        set(vm, "data.path", file.toString());
        assertTrue(path.errorProperty().get().contains("not a folder"), path.errorProperty().get());

        Files.createDirectories(missing);
        set(vm, "data.path", missing.toString());
        assertEquals("", path.errorProperty().get());
        assertTrue(vm.validProperty().get());

        // an IDX folder without its training images is refused; with them it is taken
        set(vm, "data.source", "idx");
        assertTrue(path.errorProperty().get().contains("train-images-idx3-ubyte"), path.errorProperty().get());
        Files.write(missing.resolve("train-images-idx3-ubyte.gz"), new byte[] {1});
        set(vm, "data.path", missing + "/");
        assertEquals("", path.errorProperty().get());

        // procedural reads no path: whatever it says is not checked
        set(vm, "data.source", "procedural");
        set(vm, "data.path", tmp.resolve("nowhere").toString());
        assertEquals("", path.errorProperty().get());
        assertTrue(vm.validProperty().get());
    }

    @Test
    void aBatchThatCannotFitInTheDevicesMemoryIsRefusedWithWhatTheDeviceHas() {
        HyperparametersViewModel vm = vm();
        var batch = vm.field("optim.batch_size").orElseThrow();
        set(vm, "optim.batch_size", "100000");
        assertTrue(vm.validProperty().get(), "no memory check while the device's memory is unknown");

        vm.setDeviceMemory(() -> new HyperparametersViewModel.DeviceMemory("the CPU", 8_000_000_000L, 3_000_000_000L));
        String error = batch.errorProperty().get();
        assertTrue(error.contains("the CPU has 8.0 GB (3.0 GB free now)"), error);
        assertFalse(vm.validProperty().get());
        // the batch it says fits does fit, and one more does not
        long fits = Long.parseLong(error.replaceAll(".*at most ≈ ([0-9,]+) fits.*", "$1").replace(",", ""));
        assertTrue(fits > 32 && fits < 100_000, error);
        set(vm, "optim.batch_size", Long.toString(fits));
        assertEquals("", batch.errorProperty().get());
        assertTrue(vm.validProperty().get());
        set(vm, "optim.batch_size", Long.toString(fits + 1));
        assertFalse(batch.errorProperty().get().isEmpty());
        // the figures still show what the refused batch would take
        assertTrue(vm.memoryProperty().get().contains("at batch " + (fits + 1)), vm.memoryProperty().get());
    }

    @Test
    void anIntegerFieldsMessageGivesAnExampleThatFitsTheField() {
        HyperparametersViewModel vm = vm();
        set(vm, "optim.batch_size", "lots");
        String error = vm.field("optim.batch_size").orElseThrow().errorProperty().get();
        assertTrue(error.contains("must be an integer, e.g. 32"), error);
        assertFalse(error.contains("1500"), error);
    }
}

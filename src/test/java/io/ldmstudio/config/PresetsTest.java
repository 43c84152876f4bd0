package io.ldmstudio.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PresetsTest {
    static final List<String> SHIPPED = List.of("quickstart", "fashion-mnist-pixel-cpu", "celeba-hq-256",
            "celeba-hq-128-f4", "cifar10-latent-64", "cifar10-pixel-32", "vae-procedural", "vae-fashion-mnist",
            "fashion-mnist-latent-cpu", "fashion-mnist-class-cpu", "cifar10-class-32", "cifar10-latent-crossattn-64");

    @TempDir
    Path dir;

    private void write(String name, String json) throws IOException {
        Files.writeString(dir.resolve(name + ".json"), json);
    }

    @Test
    void listHasEveryShippedPresetWithADescription() {
        Map<String, String> listed = Presets.classpath().list().stream()
                .collect(Collectors.toMap(Presets.PresetInfo::name, Presets.PresetInfo::description));
        assertTrue(listed.keySet().containsAll(SHIPPED), () -> "listed: " + listed.keySet());
        for (String name : SHIPPED) {
            String d = listed.get(name);
            assertFalse(d.isBlank() || d.startsWith("(broken"), name + ": " + d);
            assertFalse(d.contains("\n"), name + " description is one line");
        }
    }

    @Test
    void everyShippedPresetResolvesAndValidates() {
        for (String name : SHIPPED) {
            RunConfig c = ConfigResolver.resolve(Presets.classpath(), name, List.of());
            assertEquals(name, c.preset());
            assertEquals(List.of(), ConfigValidator.validate(c), name);
            // the resolved config round-trips through JSON exactly
            assertEquals(c, Configs.MAPPER.convertValue(Configs.MAPPER.valueToTree(c), RunConfig.class), name);
        }
    }

    @Test
    void shippedPresetsHaveTheirKeyValues() {
        Presets p = Presets.classpath();
        RunConfig quick = p.load("quickstart");
        assertEquals("procedural", quick.data().source());
        assertTrue(quick.pixelSpace());
        assertEquals(32, quick.data().resolution());
        assertEquals(32, quick.model().modelChannels());

        RunConfig fashion = p.load("fashion-mnist-pixel-cpu");
        assertEquals("idx", fashion.data().source());
        assertEquals("/usr/share/datasets/fashion-mnist", fashion.data().path());
        assertEquals(1, fashion.data().channels());
        assertEquals(1, fashion.unetChannels());
        assertEquals(0.995, fashion.optim().emaDecay());
        assertEquals("cosine", fashion.optim().lrSchedule());

        RunConfig hq = p.load("celeba-hq-256");
        assertEquals(32, hq.unetResolution());
        assertEquals(4, hq.unetChannels());
        assertEquals("ddpm", hq.sampling().sampler());
        assertEquals(1000, hq.sampling().steps());
        assertEquals(100_000, hq.optim().tMax());

        RunConfig f4 = p.load("celeba-hq-128-f4");
        assertEquals(128, f4.data().resolution());
        assertEquals(4, f4.autoencoder().downsampleFactor());
        assertEquals(32, f4.unetResolution());
        assertEquals("warmup_constant", f4.optim().lrSchedule());
        assertEquals(5000, f4.optim().warmupSteps());
        assertEquals("ddim", f4.sampling().sampler());
        assertEquals(hq.model(), f4.model(), "the U-Net is inherited");
        // head_dim 64 (diffusers' attention_head_dim): 4, 6, 8 heads at 256, 384, 512 channels, the
        // middle block's 8 as num_heads 8 gave before
        assertEquals(0, hq.model().numHeads());
        assertEquals(64, hq.model().headDim());
        assertEquals(List.of(256, 384, 512, 512), hq.model().attentionWidths());
        assertTrue(f4.data().flip(), "data keys not mentioned are inherited");

        RunConfig latent64 = p.load("cifar10-latent-64");
        assertEquals(8, latent64.unetResolution());
        // head_dim 64: 2 heads at 128 channels, 4 at 256 (the middle block's, as num_heads 4 gave)
        assertEquals(0, latent64.model().numHeads());
        assertEquals(64, latent64.model().headDim());
        assertEquals(List.of(128, 256, 256), latent64.model().attentionWidths());
        for (String name : List.of("quickstart", "fashion-mnist-pixel-cpu", "fashion-mnist-latent-cpu", "cifar10-pixel-32")) {
            assertEquals(0, p.load(name).model().headDim(), name + " keeps num_heads");
        }
        RunConfig ddpm = p.load("cifar10-pixel-32");
        assertEquals(List.of(1, 2, 2, 2), ddpm.model().channelMult());
        assertEquals("linear", ddpm.diffusion().schedule());
        assertEquals(RunConfig.DIFFUSION, ddpm.task());

        // the class routes: CIFAR-10's DDPM recipe with a class embedding, LDM's latent one with a class token
        RunConfig cls = p.load("cifar10-class-32");
        assertEquals(ddpm.model(), cls.model(), "the DDPM CIFAR-10 network");
        assertEquals(ddpm.optim(), cls.optim(), "and its recipe");
        assertEquals(RunConfig.Conditioning.CLASS, cls.conditioning().type());
        assertEquals(0.1, cls.conditioning().dropProb());
        assertEquals(40, cls.sampling().n(), "4 images per class");
        RunConfig xattn = p.load("cifar10-latent-crossattn-64");
        assertTrue(xattn.conditioning().crossAttention());
        assertEquals(512, xattn.conditioning().crossAttentionDim(), "LDM's class-conditional context_dim");
        assertEquals(latent64.model(), xattn.model());
        assertEquals(latent64.autoencoder(), xattn.autoencoder(), "the SD VAE");
        assertEquals("models/sd-vae-ft-mse", xattn.autoencoder().path());
        assertEquals(8, xattn.unetResolution());
    }

    @Test
    void autoencoderPresetsTrainAnF4VaeAndTheLatentPresetUsesItsRun() {
        Presets p = Presets.classpath();
        RunConfig shapes = p.load("vae-procedural");
        assertTrue(shapes.trainsAutoencoder());
        assertEquals("procedural", shapes.data().source());
        assertEquals(4, shapes.vae().downFactor());
        assertEquals(1e-6, shapes.vae().klWeight());

        RunConfig vae = p.load("vae-fashion-mnist");
        assertTrue(vae.trainsAutoencoder());
        assertEquals("idx", vae.data().source());
        assertEquals(32, vae.data().resolution());
        assertEquals(1, vae.data().channels());
        assertEquals(4, vae.vae().downFactor());
        assertEquals("none", vae.autoencoder().kind());

        RunConfig latent = p.load("fashion-mnist-latent-cpu");
        assertFalse(latent.trainsAutoencoder());
        assertEquals("studio", latent.autoencoder().kind());
        assertEquals("workspace/runs/vae-fashion-mnist", latent.autoencoder().path());
        assertEquals(0.0, latent.autoencoder().scalingFactor(), "the scale comes from the autoencoder's config.json");
        // the latent run sees the VAE's images: same data, resolution and transform, f and latent channels
        assertEquals(vae.data(), latent.data());
        assertEquals(vae.vae().downFactor(), latent.autoencoder().downsampleFactor());
        assertEquals(vae.vae().latentChannels(), latent.autoencoder().latentChannels());
        assertEquals(8, latent.unetResolution());
    }

    @Test
    void extendsDeepMergesObjectsAndReplacesArrays() throws IOException {
        write("base", """
                {"description": "base", "data": {"resolution": 64, "flip": true},
                 "model": {"channel_mult": [1, 2, 2, 2], "attention_resolutions": [2, 4]}}""");
        write("child", """
                {"extends": "base", "description": "child",
                 "data": {"resolution": 128}, "model": {"channel_mult": [1, 2], "attention_resolutions": [2]}}""");
        RunConfig c = new Presets(dir).load("child");
        assertEquals("child", c.preset());
        assertEquals("child", c.description());
        assertEquals(128, c.data().resolution(), "the child's value wins");
        assertTrue(c.data().flip(), "a sibling key from the parent survives: objects merge key by key");
        assertEquals(List.of(1, 2), c.model().channelMult(), "arrays are replaced, not merged");
        assertEquals(List.of(2), c.model().attentionResolutions());
        RunConfig d = RunConfig.defaults();
        assertEquals(d.optim(), c.optim(), "whatever neither says comes from the defaults");
        assertEquals(d.data().source(), c.data().source());
        assertEquals(d.model().modelChannels(), c.model().modelChannels());
    }

    @Test
    void directoryPresetHidesTheShippedOneOfTheSameName() throws IOException {
        write("quickstart", """
                {"extends": "cifar10-pixel-32", "description": "mine", "optim": {"steps": 7}}""");
        Presets p = new Presets(dir);
        RunConfig c = p.load("quickstart");
        assertEquals(7, c.optim().steps());
        assertEquals("cifar10", c.data().source(), "a directory preset may extend a shipped one");
        assertTrue(p.list().stream().anyMatch(i -> i.name().equals("quickstart") && i.description().equals("mine")));
    }

    @Test
    void cycleIsRejectedNamingTheChain() throws IOException {
        write("a", "{\"extends\": \"b\"}");
        write("b", "{\"extends\": \"c\"}");
        write("c", "{\"extends\": \"a\"}");
        ConfigException e = assertThrows(ConfigException.class, () -> new Presets(dir).resolveTree("a"));
        assertTrue(e.getMessage().contains("preset cycle: a -> b -> c -> a"), e.getMessage());

        write("self", "{\"extends\": \"self\"}");
        e = assertThrows(ConfigException.class, () -> new Presets(dir).resolveTree("self"));
        assertTrue(e.getMessage().contains("preset cycle: self -> self"), e.getMessage());
    }

    @Test
    void unknownKeyNamesFileKeyPathAndSuggestion() throws IOException {
        write("foo", "{\"optim\": {\"learning_rate\": 1e-4}}");
        ConfigException e = assertThrows(ConfigException.class, () -> new Presets(dir).resolveTree("foo"));
        String file = dir.resolve("foo.json").normalize().toString();
        assertEquals(file + ": unknown key optim.learning_rate (did you mean optim.lr?)", e.getMessage());
        assertEquals("optim.learning_rate", e.errors().get(0).field());

        write("typo", "{\"model\": {\"chanel_mult\": [1, 2]}, \"loging\": {}}");
        e = assertThrows(ConfigException.class, () -> new Presets(dir).resolveTree("typo"));
        assertTrue(e.getMessage().contains("unknown key model.chanel_mult (did you mean model.channel_mult?)"), e.getMessage());
        assertTrue(e.getMessage().contains("unknown key loging (did you mean logging?)"), e.getMessage());
    }

    @Test
    void unknownKeyInAParentNamesTheParentsFile() throws IOException {
        write("parent", "{\"data\": {\"colour\": true}}");
        write("kid", "{\"extends\": \"parent\"}");
        ConfigException e = assertThrows(ConfigException.class, () -> new Presets(dir).resolveTree("kid"));
        assertTrue(e.getMessage().startsWith(dir.resolve("parent.json").normalize() + ": unknown key data.colour"),
                e.getMessage());
    }

    @Test
    void wrongTypesBadJsonAndMissingParentsAreNamed() throws IOException {
        write("types", "{\"optim\": {\"lr\": \"fast\"}, \"model\": {\"channel_mult\": [1, 2.5]}, \"data\": 3}");
        ConfigException e = assertThrows(ConfigException.class, () -> new Presets(dir).resolveTree("types"));
        assertTrue(e.getMessage().contains("optim.lr = \"fast\" — must be a number"), e.getMessage());
        assertTrue(e.getMessage().contains("model.channel_mult = [1, 2.5] — must be a list of integers"), e.getMessage());
        assertTrue(e.getMessage().contains("data = 3 — must be an object"), e.getMessage());

        write("broken", "{\"optim\": {\"lr\": 1e-4,}}");
        e = assertThrows(ConfigException.class, () -> new Presets(dir).resolveTree("broken"));
        assertTrue(e.getMessage().startsWith(dir.resolve("broken.json").normalize() + ": not valid JSON at line 1"),
                e.getMessage());

        write("orphan", "{\"extends\": \"quikstart\"}");
        e = assertThrows(ConfigException.class, () -> new Presets(dir).resolveTree("orphan"));
        assertTrue(e.getMessage().contains("extends unknown preset 'quikstart' (did you mean quickstart?)"), e.getMessage());

        e = assertThrows(ConfigException.class, () -> new Presets(dir).resolveTree("../etc/passwd"));
        assertTrue(e.getMessage().contains("invalid preset name"), e.getMessage());

        // a broken preset is listed with the reason, never thrown
        assertTrue(new Presets(dir).list().stream()
                .anyMatch(i -> i.name().equals("broken") && i.description().startsWith("(broken:")));
    }

    @Test
    void listsPresetsInsideAJar() throws IOException {
        Path jar = dir.resolve("app.jar");
        try (var out = new java.util.jar.JarOutputStream(Files.newOutputStream(jar))) {
            for (String name : List.of("quickstart", "extra")) { // no directory entries, as some tools write jars
                out.putNextEntry(new java.util.jar.JarEntry("presets/" + name + ".json"));
                out.write(("{\"description\": \"" + name + " from the jar\"}").getBytes());
                out.closeEntry();
            }
        }
        try (var loader = new java.net.URLClassLoader(new java.net.URL[] {jar.toUri().toURL()}, null)) {
            Presets p = new Presets(null, loader);
            assertEquals(List.of("extra", "quickstart"), p.names());
            assertEquals("extra from the jar", p.list().get(0).description());
            assertTrue(p.list().get(0).origin().equals("classpath:presets/extra.json"));
            assertEquals(RunConfig.defaults().optim(), p.load("extra").optim());
        }
    }

    @Test
    void unknownPresetListsWhatIsAvailable() {
        ConfigException e = assertThrows(ConfigException.class, () -> Presets.classpath().resolveTree("nope"));
        assertTrue(e.getMessage().startsWith("unknown preset 'nope'"), e.getMessage());
        assertTrue(e.getMessage().contains("quickstart"), e.getMessage());
    }

    /** Presets {@code prefix0 -> prefix1 -> ... -> prefix(n-1)}, the last extending the shipped quickstart. */
    private void chain(String prefix, int n) throws IOException {
        for (int i = 0; i < n; i++) {
            String parent = i == n - 1 ? "quickstart" : prefix + (i + 1);
            write(prefix + i, "{\"extends\": \"" + parent + "\", \"optim\": {\"steps\": " + (1000 + i) + "}}");
        }
    }

    @Test
    void aChainDeeperThanTheLimitIsRefusedNamingItsStartAndFileWithoutOverflowingTheStack() throws IOException {
        chain("deep", 3000);
        ConfigException e = assertThrows(ConfigException.class, () -> new Presets(dir).resolveTree("deep0"));
        int limit = Presets.MAX_EXTENDS_DEPTH;
        String last = dir.resolve("deep" + (limit - 1) + ".json").normalize().toString();
        assertTrue(e.getMessage().startsWith(last + ": the extends chain of preset 'deep0' is more than " + limit
                + " presets long (deep0 -> deep1 -> deep2 -> ... -> deep" + (limit - 1) + " -> deep" + limit + ")"),
                e.getMessage());
        assertEquals(1, e.getMessage().lines().count(), e.getMessage());

        // a chain of exactly the limit (quickstart at its root) resolves, each level over its parent
        chain("ok", limit - 1);
        assertEquals(1000, new Presets(dir).load("ok0").optim().steps());
        assertEquals("procedural", new Presets(dir).load("ok0").data().source(), "the root's data reaches the start");
        assertEquals(1000 + limit - 2, new Presets(dir).load("ok" + (limit - 2)).optim().steps());
        chain("over", limit);
        assertThrows(ConfigException.class, () -> new Presets(dir).resolveTree("over0"));
    }

    @Test
    void listShowsCyclesAndTooDeepChainsAsBrokenEvenWithTheirOwnDescription() throws IOException {
        write("self", "{\"extends\": \"self\", \"description\": \"looks fine\"}");
        write("ping", "{\"extends\": \"pong\", \"description\": \"looks fine\"}");
        write("pong", "{\"extends\": \"ping\"}");
        chain("deep", Presets.MAX_EXTENDS_DEPTH); // deep0 and 32 ancestors, with quickstart
        write("fine", "{\"extends\": \"quickstart\", \"description\": \"mine\"}");
        Map<String, String> listed = new Presets(dir).list().stream()
                .collect(Collectors.toMap(Presets.PresetInfo::name, Presets.PresetInfo::description));
        assertTrue(listed.get("self").startsWith("(broken: preset cycle: self -> self"), listed.get("self"));
        assertTrue(listed.get("ping").startsWith("(broken: preset cycle: ping -> pong -> ping"), listed.get("ping"));
        assertTrue(listed.get("pong").startsWith("(broken: preset cycle: pong -> ping -> pong"), listed.get("pong"));
        assertTrue(listed.get("deep0").contains("the extends chain of preset 'deep0' is more than"), listed.get("deep0"));
        assertEquals("mine", listed.get("fine"));
        assertTrue(!listed.get("deep1").startsWith("(broken"), "one level less is within the limit: " + listed.get("deep1"));
    }
}

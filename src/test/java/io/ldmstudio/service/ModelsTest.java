package io.ldmstudio.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.runs.Workspace;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelsTest {
    @TempDir
    Path tmp;

    private Workspace workspace() {
        return new Workspace(tmp.resolve("ws"));
    }

    private static ModelInfo named(List<ModelInfo> list, String name) {
        return list.stream().filter(m -> m.name().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no model " + name + " in " + list));
    }

    @Test
    void theModelsFolderIsBesideTheRuns() {
        Workspace ws = workspace();
        assertEquals(ws.root().resolve("models"), ws.modelsDir());
        assertEquals(ws.runsDir().getParent(), ws.modelsDir().getParent());
    }

    @Test
    void listsTheValidFoldersUnderModelsWithWhatTheyMake() throws Exception {
        Workspace ws = workspace();
        ModelFixtures.ldm(ws.modelsDir().resolve("vq-ldm"));
        ModelFixtures.ddpm(ws.modelsDir().resolve("pixels"));
        Files.createDirectories(ws.runsDir().resolve("not-a-model")); // runs are not models

        List<ModelInfo> list = new Models(ws).list();
        assertEquals(List.of("pixels", "vq-ldm"), list.stream().map(ModelInfo::name).toList());
        ModelInfo ldm = named(list, "vq-ldm");
        assertTrue(ldm.ok());
        assertEquals("LDMPipeline", ldm.pipelineClass());
        assertEquals("LDMPipeline · VQModel f=2 · 3×8×8 latents → 16 px RGB · DDIMScheduler, T=1000", ldm.summary());
        assertEquals("VQModel", ldm.autoencoderClass());
        assertEquals(ws.modelsDir().resolve("vq-ldm").resolve("vqvae"), ldm.autoencoderDir());
        assertTrue(ldm.hasAutoencoder());
        assertFalse(ldm.remembered());

        ModelInfo ddpm = named(list, "pixels");
        assertEquals("DDPMPipeline", ddpm.pipelineClass());
        assertEquals("DDPMPipeline · 8 px RGB in pixel space · DDPMScheduler, T=1000", ddpm.summary());
        assertFalse(ddpm.hasAutoencoder());
        assertNull(ddpm.autoencoderDir());
    }

    @Test
    void aClassConditionalModelSaysItsClassesAndRoute() throws Exception {
        Workspace ws = workspace();
        ModelFixtures.crossAttention(ws.modelsDir().resolve("xattn"));
        ModelInfo x = named(new Models(ws).list(), "xattn");
        assertTrue(x.ok(), String.valueOf(x.problem()));
        assertEquals("DDPMPipeline · 8 px RGB in pixel space · DDPMScheduler, T=1000 · 3 classes by cross-attention",
                x.summary());
    }

    @Test
    void aBrokenFolderIsListedWithTheFileThatIsWrong() throws Exception {
        Workspace ws = workspace();
        ModelFixtures.ldm(ws.modelsDir().resolve("good"));
        Path bad = ModelFixtures.ldm(ws.modelsDir().resolve("bad"));
        Files.writeString(bad.resolve("unet").resolve("config.json"), "{ not json");
        Files.createDirectories(ws.modelsDir().resolve("empty"));

        List<ModelInfo> list = new Models(ws).list();
        assertEquals(List.of("bad", "empty", "good"), list.stream().map(ModelInfo::name).toList());
        assertTrue(named(list, "good").ok());
        ModelInfo broken = named(list, "bad");
        assertEquals(ModelInfo.Status.BROKEN, broken.status());
        assertEquals("broken", broken.label());
        assertTrue(broken.problem().contains(bad.resolve("unet").resolve("config.json").toString()), broken.problem());
        assertFalse(broken.hasAutoencoder());
        ModelInfo empty = named(list, "empty");
        assertEquals(ModelInfo.Status.BROKEN, empty.status());
        assertTrue(empty.problem().contains(ws.modelsDir().resolve("empty").toString())
                && empty.problem().contains("model_index.json"), empty.problem());
    }

    @Test
    void aFolderOpenedElsewhereIsRememberedByTheNextInstance() throws Exception {
        Workspace ws = workspace();
        Path elsewhere = ModelFixtures.ldm(tmp.resolve("downloads").resolve("ldm-vq"));
        ModelInfo opened = new Models(ws).open(elsewhere);
        assertTrue(opened.ok() && opened.remembered());
        assertTrue(Files.isRegularFile(ws.modelsDir().resolve(Models.OPENED)));

        Models fresh = new Models(new Workspace(tmp.resolve("ws")));
        List<ModelInfo> list = fresh.list();
        assertEquals(1, list.size(), list.toString());
        assertEquals("ldm-vq", list.get(0).name());
        assertEquals(elsewhere.toAbsolutePath().normalize(), list.get(0).dir());
        assertTrue(list.get(0).remembered());
        assertEquals("LDMPipeline", list.get(0).pipelineClass());

        // opened twice: remembered once; a folder inside models/ is listed there, not remembered
        fresh.open(elsewhere);
        Path inside = ModelFixtures.ddpm(ws.modelsDir().resolve("inside"));
        fresh.open(inside);
        assertEquals(List.of(elsewhere.toAbsolutePath().normalize()), fresh.remembered());
        assertEquals(List.of("inside", "ldm-vq"), fresh.list().stream().map(ModelInfo::name).toList());

        assertTrue(fresh.forget(elsewhere));
        assertEquals(List.of("inside"), new Models(ws).list().stream().map(ModelInfo::name).toList());
    }

    @Test
    void aRememberedFolderThatHasGoneIsMissingNotAnError() throws Exception {
        Workspace ws = workspace();
        Path elsewhere = ModelFixtures.ddpm(tmp.resolve("elsewhere").resolve("gone"));
        new Models(ws).open(elsewhere);
        io.ldmstudio.runs.AtomicFiles.deleteTree(elsewhere);

        List<ModelInfo> list = new Models(ws).list();
        assertEquals(1, list.size());
        ModelInfo gone = list.get(0);
        assertEquals(ModelInfo.Status.MISSING, gone.status());
        assertEquals("missing", gone.label());
        assertTrue(gone.problem().contains(elsewhere.toAbsolutePath().normalize().toString()), gone.problem());
        assertFalse(gone.hasAutoencoder());
    }

    @Test
    void openingANonPipelineFolderNamesItAndRemembersNothing() throws Exception {
        Workspace ws = workspace();
        Path notOne = Files.createDirectories(tmp.resolve("photos"));
        Files.writeString(notOne.resolve("a.txt"), "x");
        Models models = new Models(ws);
        IOException e = assertThrows(IOException.class, () -> models.open(notOne));
        assertTrue(e.getMessage().contains(notOne.toString()), e.getMessage());
        assertTrue(models.remembered().isEmpty());
        assertTrue(models.list().isEmpty());
    }

    @Test
    void twoRememberedFoldersOfOneNameGetTheirParentsNames() throws Exception {
        Workspace ws = workspace();
        Models models = new Models(ws);
        models.open(ModelFixtures.ddpm(tmp.resolve("a").resolve("model")));
        models.open(ModelFixtures.ddpm(tmp.resolve("b").resolve("model")));
        assertEquals(List.of("a/model", "b/model"), models.list().stream().map(ModelInfo::name).toList());
    }
}

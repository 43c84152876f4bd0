package io.ldmstudio.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.weights.WeightFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pipeline folders of both layouts, and each way one can be wrong, named in one message. */
class PipelineFolderTest {
    @TempDir
    Path tmp;

    static void write(Path file, String text) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, text);
    }

    static void model(Path folder, String cls) throws IOException {
        write(folder.resolve("config.json"), "{\"_class_name\": \"" + cls + "\", \"sample_size\": 32}");
        write(folder.resolve("diffusion_pytorch_model.safetensors"), "not read here");
    }

    static void scheduler(Path folder, String cls) throws IOException {
        write(folder.resolve("scheduler_config.json"), "{\"_class_name\": \"" + cls + "\", \"num_train_timesteps\": 1000}");
    }

    static void index(Path dir, String pipeline, String... pairs) throws IOException {
        Map<String, String> c = new LinkedHashMap<>();
        for (int i = 0; i < pairs.length; i += 2) {
            c.put(pairs[i], pairs[i + 1]);
        }
        write(dir.resolve("model_index.json"), PipelineFolder.index(pipeline, c).toPrettyString());
    }

    Path ldm() throws IOException {
        Path dir = tmp.resolve("ldm");
        index(dir, "LDMPipeline", "vqvae", "VQModel", "unet", "UNet2DModel", "scheduler", "DDIMScheduler");
        model(dir.resolve("vqvae"), "VQModel");
        model(dir.resolve("unet"), "UNet2DModel");
        scheduler(dir.resolve("scheduler"), "DDIMScheduler");
        return dir;
    }

    @Test
    void aSubfolderPipelineNamesEachComponentsFiles() throws Exception {
        Path dir = ldm();
        PipelineFolder p = PipelineFolder.open(dir);
        assertEquals("LDMPipeline", p.pipelineClass());
        assertEquals(PipelineFolder.Layout.SUBFOLDERS, p.layout());
        assertEquals(List.of("vqvae", "unet", "scheduler"), List.copyOf(p.components().keySet()));
        assertEquals(dir.resolve("vqvae/diffusion_pytorch_model.safetensors"), p.component("vqvae").orElseThrow().weights());
        assertEquals("VQModel", p.component("vqvae").orElseThrow().className());
        assertTrue(p.component("scheduler").orElseThrow().isScheduler());
        assertNull(p.component("scheduler").orElseThrow().weights());
        assertTrue(PipelineFolder.looksLike(dir));
    }

    @Test
    void anLdmPipelineMayHoldAKlAutoencoder() throws Exception {
        Path dir = ldm();
        index(dir, "LDMPipeline", "vqvae", "AutoencoderKL", "unet", "UNet2DModel", "scheduler", "DDPMScheduler");
        model(dir.resolve("vqvae"), "AutoencoderKL");
        assertEquals("AutoencoderKL", PipelineFolder.open(dir).component("vqvae").orElseThrow().className());
    }

    /** google/ddpm-cifar10-32: the U-Net and the scheduler at the root, with or without model_index.json. */
    @Test
    void aFlatFolderIsADdpmPipelineWithItsFilesAtTheRoot() throws Exception {
        Path dir = tmp.resolve("flat");
        model(dir, "UNet2DModel");
        scheduler(dir, "DDPMScheduler");
        PipelineFolder p = PipelineFolder.open(dir);
        assertEquals("DDPMPipeline", p.pipelineClass());
        assertEquals(PipelineFolder.Layout.FLAT, p.layout());
        assertEquals(dir.resolve("config.json"), p.component("unet").orElseThrow().config());
        assertEquals(dir.resolve("scheduler_config.json"), p.component("scheduler").orElseThrow().config());
        assertEquals("DDPMScheduler", p.component("scheduler").orElseThrow().className());

        index(dir, "DDIMPipeline", "unet", "UNet2DModel", "scheduler", "DDIMScheduler");
        PipelineFolder q = PipelineFolder.open(dir);
        assertEquals("DDIMPipeline", q.pipelineClass());
        assertEquals(PipelineFolder.Layout.FLAT, q.layout());
        // the class the index names is the one instantiated; the config's writer is kept beside it
        assertEquals("DDIMScheduler", q.component("scheduler").orElseThrow().className());
        assertEquals("DDPMScheduler", q.component("scheduler").orElseThrow().configClass());
    }

    @Test
    void aMissingComponentIsNamedWithWhatWasExpected() throws Exception {
        Path dir = ldm();
        Files.delete(dir.resolve("vqvae/config.json"));
        IOException e = assertThrows(IOException.class, () -> PipelineFolder.open(dir));
        assertTrue(e.getMessage().contains("vqvae component (VQModel) is missing") && e.getMessage().contains("config.json"),
                e.getMessage());

        index(dir, "LDMPipeline", "unet", "UNet2DModel", "scheduler", "DDIMScheduler");
        e = assertThrows(IOException.class, () -> PipelineFolder.open(dir));
        assertTrue(e.getMessage().contains("model_index.json") && e.getMessage().contains("needs the component vqvae"),
                e.getMessage());

        Path w = ldm();
        Files.delete(w.resolve("unet/diffusion_pytorch_model.safetensors"));
        e = assertThrows(IOException.class, () -> PipelineFolder.open(w));
        assertTrue(e.getMessage().contains("unet component has no weights"), e.getMessage());
    }

    @Test
    void aWrongClassIsNamedWithTheClassesTheStudioOpens() throws Exception {
        Path dir = ldm();
        model(dir.resolve("unet"), "UNet2DConditionModel");
        IOException e = assertThrows(IOException.class, () -> PipelineFolder.open(dir));
        assertTrue(e.getMessage().contains("unet/config.json") && e.getMessage().contains("UNet2DConditionModel")
                && e.getMessage().contains("names unet a UNet2DModel"), e.getMessage());

        model(dir.resolve("unet"), "UNet2DModel");
        index(dir, "LDMPipeline", "vqvae", "VQModel", "unet", "UNet2DModel", "scheduler", "PNDMScheduler");
        e = assertThrows(IOException.class, () -> PipelineFolder.open(dir));
        assertTrue(e.getMessage().contains("PNDMScheduler") && e.getMessage().contains("DDIMScheduler"), e.getMessage());

        Files.writeString(dir.resolve("model_index.json"), "{\"_class_name\": \"StableDiffusionPipeline\"}");
        e = assertThrows(IOException.class, () -> PipelineFolder.open(dir));
        assertTrue(e.getMessage().contains("'StableDiffusionPipeline' is not a pipeline the studio opens")
                && e.getMessage().contains("LDMPipeline"), e.getMessage());
    }

    /** LDMTextToImagePipeline's bert and tokenizer would be silently ignored: refused instead. */
    @Test
    void aComponentTheStudioWouldIgnoreIsRefused() throws Exception {
        Path dir = ldm();
        String text = Files.readString(dir.resolve("model_index.json")).replaceFirst("\\{",
                "{\"bert\": [\"latent_diffusion\", \"LDMBertModel\"], \"safety_checker\": [null, null],");
        Files.writeString(dir.resolve("model_index.json"), text);
        IOException e = assertThrows(IOException.class, () -> PipelineFolder.open(dir));
        assertTrue(e.getMessage().contains("has no component bert (LDMBertModel)"), e.getMessage());
        assertFalse(e.getMessage().contains("safety_checker"), "a [null, null] component is absent, not unexpected");
    }

    /** LDM's cross-attention class route: a UNet2DConditionModel beside its class-token table. */
    @Test
    void aClassEmbedderIsAComponentAnyPipelineMayHold() throws Exception {
        Path dir = tmp.resolve("xattn");
        index(dir, "DDPMPipeline", "unet", "UNet2DConditionModel", "class_embedder", "ClassEmbedder", "scheduler",
                "DDIMScheduler");
        model(dir.resolve("unet"), "UNet2DConditionModel");
        model(dir.resolve("class_embedder"), "ClassEmbedder");
        scheduler(dir.resolve("scheduler"), "DDIMScheduler");
        PipelineFolder p = PipelineFolder.open(dir);
        assertEquals(List.of("unet", "scheduler", "class_embedder"), List.copyOf(p.components().keySet()));
        assertEquals(dir.resolve("class_embedder/diffusion_pytorch_model.safetensors"),
                p.component("class_embedder").orElseThrow().weights());
        assertTrue(Files.readString(dir.resolve("model_index.json")).contains("\"ldm_studio\""),
                "not a diffusers class: " + Files.readString(dir.resolve("model_index.json")));

        // Pipeline.open needs the table beside a UNet2DConditionModel
        index(dir, "DDPMPipeline", "unet", "UNet2DConditionModel", "scheduler", "DDIMScheduler");
        IOException e = assertThrows(IOException.class, () -> Pipeline.open(dir));
        assertTrue(e.getMessage().contains("class_embedder (a ClassEmbedder) is missing"), e.getMessage());
        index(dir, "DDPMPipeline", "unet", "UNet2DConditionModel", "class_embedder", "LDMBertModel", "scheduler",
                "DDIMScheduler");
        e = assertThrows(IOException.class, () -> PipelineFolder.open(dir));
        assertTrue(e.getMessage().contains("class_embedder is a LDMBertModel"), e.getMessage());
    }

    @Test
    void pickleWeightsGetTheConversionHint() throws Exception {
        Path dir = tmp.resolve("pickled");
        write(dir.resolve("config.json"), "{\"_class_name\": \"UNet2DModel\"}");
        write(dir.resolve("diffusion_pytorch_model.bin"), "PK\u0003\u0004 a zip");
        scheduler(dir, "DDPMScheduler");
        IOException e = assertThrows(WeightFiles.WeightFileException.class, () -> PipelineFolder.open(dir));
        assertTrue(e.getMessage().contains("diffusion_pytorch_model.bin") && e.getMessage().contains("safetensors"),
                e.getMessage());
    }

    @Test
    void notAPipelineAtAllSaysWhatAPipelineFolderHolds() throws Exception {
        Path dir = Files.createDirectories(tmp.resolve("empty"));
        assertFalse(PipelineFolder.looksLike(dir));
        IOException e = assertThrows(IOException.class, () -> PipelineFolder.open(dir));
        assertTrue(e.getMessage().contains("no model_index.json"), e.getMessage());
        write(dir.resolve("model_index.json"), "{\"_class_name\": ");
        e = assertThrows(IOException.class, () -> PipelineFolder.open(dir));
        assertTrue(e.getMessage().contains("model_index.json: not valid JSON"), e.getMessage());
        write(dir.resolve("model_index.json"), "{\"_class_name\": \"DDPMPipeline\", \"unet\": \"UNet2DModel\"}");
        e = assertThrows(IOException.class, () -> PipelineFolder.open(dir));
        assertTrue(e.getMessage().contains("component 'unet' must be [library, class]"), e.getMessage());
        assertThrows(IOException.class, () -> PipelineFolder.open(tmp.resolve("nowhere")));
    }
}

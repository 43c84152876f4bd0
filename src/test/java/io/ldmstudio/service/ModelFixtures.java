package io.ldmstudio.service;

import io.ldmstudio.pipeline.PipelineFolder;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Tiny diffusers pipeline folders made of the golden test models: an LDMPipeline whose vqvae is the golden
 * VQModel (16 px RGB, f = 2, 3 latent channels) over the 8 px U-Net, and a flat DDPM pipeline.
 */
public final class ModelFixtures {
    static final Path GOLDEN = Path.of("src/test/resources/golden").toAbsolutePath();

    private ModelFixtures() {}

    private static void copyModel(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        for (String f : new String[] {"config.json", "diffusion_pytorch_model.safetensors"}) {
            Files.copy(from.resolve(f), to.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
    }

    private static void scheduler(Path file, String cls) throws IOException {
        Files.createDirectories(file.getParent());
        Files.writeString(file, "{\"_class_name\": \"" + cls + "\", \"num_train_timesteps\": 1000}");
    }

    /** An LDMPipeline (subfolder layout) at {@code dir}: VQModel vqvae f=2, 3×8×8 latents → 16 px RGB, DDIMScheduler. */
    public static Path ldm(Path dir) throws IOException {
        copyModel(GOLDEN.resolve("unet-defaults"), dir.resolve("unet"));
        copyModel(GOLDEN.resolve("vq"), dir.resolve("vqvae"));
        scheduler(dir.resolve("scheduler").resolve("scheduler_config.json"), "DDIMScheduler");
        Map<String, String> c = new LinkedHashMap<>();
        c.put("vqvae", "VQModel");
        c.put("unet", "UNet2DModel");
        c.put("scheduler", "DDIMScheduler");
        Files.writeString(dir.resolve("model_index.json"), PipelineFolder.index("LDMPipeline", c).toPrettyString());
        return dir;
    }

    /** A flat DDPM pipeline at {@code dir}: config.json + weights + scheduler_config.json, 8 px RGB. */
    public static Path ddpm(Path dir) throws IOException {
        copyModel(GOLDEN.resolve("unet-ddpm-cifar10"), dir);
        scheduler(dir.resolve("scheduler_config.json"), "DDPMScheduler");
        return dir;
    }

    /**
     * A cross-attention export at {@code dir} (a DDPMPipeline in pixel space): the golden unet-cond shape (8 px RGB,
     * tokens of 16) with random weights, attending to a class-token table of 3 classes named a, b, c.
     */
    public static Path crossAttention(Path dir) throws IOException {
        var config = io.ldmstudio.weights.UNetConditionWeights.readConfig(GOLDEN.resolve("unet-cond"));
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            io.ldmstudio.nn.ClassConditionalUNet net = new io.ldmstudio.nn.ClassConditionalUNet(config, 3);
            net.initialize(m, new io.ldmstudio.util.Rng(4), false);
            io.ldmstudio.pipeline.Pipeline.of(net, io.ldmstudio.diffusion.SchedulerConfig.forStudio(
                    new io.ldmstudio.config.RunConfig.Diffusion(1000, "linear", 1e-4, 0.02, "epsilon"), "ddim", true),
                    null, "fixture").withClassNames(java.util.List.of("a", "b", "c")).save(dir, Map.of(), m);
        }
        return dir;
    }

    /** A DDIMPipeline (subfolder layout) at {@code dir}: the 8 px U-Net and a DDIMScheduler, in pixel space. */
    public static Path ddim(Path dir) throws IOException {
        copyModel(GOLDEN.resolve("unet-defaults"), dir.resolve("unet"));
        scheduler(dir.resolve("scheduler").resolve("scheduler_config.json"), "DDIMScheduler");
        Map<String, String> c = new LinkedHashMap<>();
        c.put("unet", "UNet2DModel");
        c.put("scheduler", "DDIMScheduler");
        Files.writeString(dir.resolve("model_index.json"), PipelineFolder.index("DDIMPipeline", c).toPrettyString());
        return dir;
    }
}

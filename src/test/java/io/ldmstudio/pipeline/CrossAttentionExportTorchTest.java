package io.ldmstudio.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.nn.ClassConditionalUNet;
import io.ldmstudio.nn.GradMode;
import io.ldmstudio.nn.UNet2DConditionConfig;
import io.ldmstudio.util.Rng;
import io.ldmstudio.weights.SafeTensors;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cross-attention export read by PyTorch without the studio: {@code src/test/python/crossattn_export_check.py}
 * loads {@code unet/} into a line-by-line copy of diffusers' {@code UNet2DConditionModel} and
 * {@code class_embedder/} into LDM's {@code ClassEmbedder}, both strictly (every name and shape), and computes the
 * studio's output for the same x, t and labels (the null class among them). Skipped where {@code /usr/bin/python3}
 * has no torch.
 */
class CrossAttentionExportTorchTest {
    static final Path PYTHON = Path.of("/usr/bin/python3");

    @TempDir
    Path tmp;

    static boolean torchAvailable() {
        if (!Files.isExecutable(PYTHON)) {
            return false;
        }
        try {
            Process p = new ProcessBuilder(PYTHON.toString(), "-c", "import torch").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (Exception e) {
            return false;
        }
    }

    @Test
    void pyTorchReadsTheExportAsDiffusersAndLdmNameItAndComputesTheSame() throws Exception {
        assumeTrue(torchAvailable(), "no torch for /usr/bin/python3");
        GradMode.disable();
        // two levels, cross-attention at the second and in the middle; head_dim 8: 2 and 4 heads
        RunConfig.Model model = new RunConfig.Model(16, List.of(1, 2), 1, List.of(2), 0, 8, 8, 0.0);
        UNet2DConditionConfig config = UNet2DConditionConfig.of(model, 3, 8, 12, 2);
        Path export = tmp.resolve("export");
        Path io = tmp.resolve("io.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            ClassConditionalUNet net = new ClassConditionalUNet(config, 3);
            net.initialize(m, new Rng(21), false);
            List<String> notes = Pipeline.of(net, PipelineExportHeadsTest.SCHEDULER, null, "test")
                    .withClassNames(List.of("a", "b", "c")).save(export, Map.of(), m);
            assertEquals(1, notes.size(), notes.toString());
            assertTrue(notes.get(0).contains("encoder_hidden_states"), notes.get(0));
            NDArray x = m.randomNormal(new Shape(4, 3, 8, 8));
            float[] t = {3, 250, 611, 999};
            float[] labels = {0, 2, 3, 1}; // 3: the null class
            float[] y = net.forward(x, m.create(new long[] {3, 250, 611, 999}), m.create(new long[] {0, 2, 3, 1}), false)
                    .toFloatArray();
            Map<String, SafeTensors.Source> tensors = new LinkedHashMap<>();
            tensors.put("x", SafeTensors.Source.of(x.toFloatArray(), 4, 3, 8, 8));
            tensors.put("t", SafeTensors.Source.of(t, 4));
            tensors.put("labels", SafeTensors.Source.of(labels, 4));
            tensors.put("y", SafeTensors.Source.of(y, 4, 3, 8, 8));
            SafeTensors.write(io, tensors, Map.of(), "F32");
        }
        Process p = new ProcessBuilder(PYTHON.toString(), "src/test/python/crossattn_export_check.py", export.toString(),
                "--io", io.toString()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(300, TimeUnit.SECONDS), "the check finishes");
        assertEquals(0, p.exitValue(), out);
        assertTrue(out.contains("\"n_classes\": 4") && out.contains("max_abs_diff"), out);
        System.err.println("crossattn_export_check: " + out.strip());
    }
}

package io.ldmstudio.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.ldmstudio.config.SamplerKind;
import io.ldmstudio.service.ModelFixtures;
import io.ldmstudio.util.Rng;
import io.ldmstudio.weights.SafeTensors;
import io.ldmstudio.weights.TensorData;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Published pipelines ship half-precision weights (fp16 variants, bf16 checkpoints): a pipeline whose U-Net
 * and VQModel are stored as F16 or BF16 opens and samples (BF16 is widened to float32 as it is read, never
 * made a DJL bfloat16 array, which aborts the process), and gives the float32 pipeline's images up to the
 * rounding of its weights (bit for bit the images of float32 weights holding the rounded values).
 */
class PipelineHalfWeightsTest {
    @TempDir
    Path tmp;

    /** Stores the file's tensors as {@code dtype}; with {@code widen}, as float32 of the values {@code dtype} rounds to. */
    static void rewrite(Path file, String dtype, boolean widen) throws Exception {
        List<TensorData> out = new ArrayList<>();
        for (TensorData t : SafeTensors.read(file).tensors().values()) {
            TensorData half = TensorData.of(t.name(), dtype, t.shape(), t.toFloatArray());
            out.add(widen ? TensorData.ofFloats(t.name(), t.shape(), half.toFloatArray()) : half);
        }
        SafeTensors.writeTensors(file, out, Map.of("format", "pt"));
    }

    static float[] sample(Path dir, float[] xT) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            return Pipeline.open(dir).generate(new Pipeline.Request(SamplerKind.DDIM, 3, 0, 1, 1, xT), m, null, () -> false)
                    .images().get(0);
        }
    }

    @Test
    void f16AndBf16WeightsSampleAsTheirFloat32Values() throws Exception {
        Path f32 = ModelFixtures.ldm(tmp.resolve("f32"));
        float[] xT = new Rng(4).gaussians(3 * 8 * 8);
        float[] reference = sample(f32, xT);
        for (String dtype : List.of("F16", "BF16")) {
            Path dir = ModelFixtures.ldm(tmp.resolve(dtype));
            Path widened = ModelFixtures.ldm(tmp.resolve(dtype + "-as-f32"));
            for (String c : List.of("unet", "vqvae")) {
                rewrite(dir.resolve(c).resolve("diffusion_pytorch_model.safetensors"), dtype, false);
                rewrite(widened.resolve(c).resolve("diffusion_pytorch_model.safetensors"), dtype, true);
            }
            assertEquals(dtype, SafeTensors.readHeader(dir.resolve("unet/diffusion_pytorch_model.safetensors")).tensors()
                    .values().iterator().next().dtype());
            float[] images = sample(dir, xT);
            // read as float32, exactly: the same images as float32 weights holding the rounded values
            assertTrue(Arrays.equals(sample(widened, xT), images), dtype + " weights sample as their float32 values");
            assertFalse(Arrays.equals(images, reference), dtype + " weights are rounded, so the images differ");
            if (dtype.equals("F16")) {
                double max = 0;
                for (int i = 0; i < images.length; i++) {
                    max = Math.max(max, Math.abs(images[i] - reference[i]));
                }
                assertTrue(max < 0.02, "F16 keeps 11 significant bits: the images move little, max " + max);
            }
        }
    }
}

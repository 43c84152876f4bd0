package io.ldmstudio.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.ldmstudio.nn.Ops;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * libtorch writes its warnings to the process's stderr from native code, out of Java's reach, so
 * this runs small convolutions in a child JVM and reads what it printed.
 */
class NnpackTest {
    static final String WARNING = "Could not initialize NNPACK";

    /** The child: starts the engine as the CLI does, then six batch-1 3×3 convolutions (the ones NNPACK is asked about). */
    public static void main(String[] args) {
        Devices.startEngine();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.randomNormal(new Shape(1, 4, 8, 8));
            NDArray w = m.randomNormal(new Shape(4, 4, 3, 3));
            float sum = 0;
            for (int i = 0; i < 6; i++) {
                sum += Ops.conv2d(x, w, null, 1, 1).sum().getFloat();
            }
            System.out.println("convolutions done: " + Float.isFinite(sum));
        }
    }

    @Test
    void theNnpackWarningIsPrintedAtMostOnce() throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(List.of(java.toString(), "-cp", System.getProperty("java.class.path"),
                NnpackTest.class.getName())).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        String err = new String(p.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), err);
        assertTrue(out.contains("convolutions done: true"), out + err);
        long warnings = err.lines().filter(l -> l.contains(WARNING)).count();
        assertTrue(warnings <= 1, warnings + " NNPACK warnings: " + err);
    }
}

package io.ldmstudio.nn;

import io.ldmstudio.weights.SafeTensors;
import io.ldmstudio.weights.TensorData;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The name-seeded FID Inception weights of {@code src/test/python/inception_reference.py} (see
 * {@link FidInceptionGoldenTest}) as a float32 safetensors file with torch's {@code num_batches_tracked} beside
 * them: what tests of the whole FID open in place of pytorch-fid's converted weights.
 */
public final class SeededInception {
    private static final String BATCHES_TRACKED = ".num_batches_tracked";

    private SeededInception() {}

    /** Writes the seeded weights to {@code file} (96 MB; ~2 s) and returns it. */
    public static Path write(Path file) throws Exception {
        List<TensorData> tensors = new ArrayList<>();
        for (Map.Entry<String, long[]> k : FidInceptionGoldenTest.torchKeys()) {
            if (k.getKey().endsWith(BATCHES_TRACKED)) {
                ByteBuffer one = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 1000);
                tensors.add(new TensorData(k.getKey(), "I64", k.getValue(), one));
            } else {
                tensors.add(TensorData.ofFloats(k.getKey(), k.getValue(),
                        FidInceptionGoldenTest.seeded(k.getKey(), k.getValue())));
            }
        }
        Files.createDirectories(file.toAbsolutePath().getParent());
        SafeTensors.writeTensors(file, tensors, Map.of("format", "pt"));
        return file;
    }
}

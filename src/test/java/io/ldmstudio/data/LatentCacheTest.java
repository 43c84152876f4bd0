package io.ldmstudio.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LatentCacheTest {
    @TempDir
    Path tmp;

    /** A stand-in autoencoder: 4×4 average pooling into 2 channels (mean and mean²), times 0.5. */
    static final class PoolEncoder implements LatentCache.Encoder {
        final AtomicInteger calls = new AtomicInteger();

        @Override
        public int latentChannels() {
            return 2;
        }

        @Override
        public int latentSize(int resolution) {
            return resolution / 4;
        }

        @Override
        public float[] encode(float[] images, int n, int channels, int res) {
            calls.incrementAndGet();
            int s = res / 4;
            float[] out = new float[n * 2 * s * s];
            for (int b = 0; b < n; b++) {
                for (int y = 0; y < s; y++) {
                    for (int x = 0; x < s; x++) {
                        double sum = 0;
                        for (int c = 0; c < channels; c++) {
                            for (int dy = 0; dy < 4; dy++) {
                                for (int dx = 0; dx < 4; dx++) {
                                    sum += images[((b * channels + c) * res + y * 4 + dy) * res + x * 4 + dx];
                                }
                            }
                        }
                        double mean = sum / (16 * channels);
                        out[((b * 2) * s + y) * s + x] = (float) (0.5 * mean);
                        out[((b * 2 + 1) * s + y) * s + x] = (float) (0.5 * mean * mean);
                    }
                }
            }
            return out;
        }
    }

    static LatentCache.Key key(String ae, boolean flip, String dtype) {
        return new LatentCache.Key("procedural:24", "crop16", 16, ae, flip, dtype);
    }

    @Test
    void buildsOnceThenReusesAndHoldsTheEncoderOutput() throws Exception {
        ProceduralSource src = new ProceduralSource(24, 5);
        Transform tf = new Transform(16, 3, true);
        PoolEncoder enc = new PoolEncoder();
        AtomicInteger progress = new AtomicInteger();
        try (LatentCache c = LatentCache.openOrBuild(tmp, key("w1", false, "float32"), src, tf, enc, 10, progress::set)) {
            assertEquals(LatentCache.Origin.BUILT, c.origin());
            assertEquals(24, c.size());
            assertEquals(24, progress.get());
            assertEquals(3, enc.calls.get()); // 10 + 10 + 4
            float[] expected = enc.encode(src.load(7, tf, false), 1, 3, 16);
            assertArrayEquals(expected, c.get(7), 0f);
        }
        try (LatentCache again = LatentCache.openOrBuild(tmp, key("w1", false, "float32"), src, tf, enc, 10, null)) {
            assertEquals(LatentCache.Origin.REUSED, again.origin());
            assertEquals(4, enc.calls.get()); // only the expected-value call above
        }
    }

    @Test
    void otherWeightsOrATruncatedFileAreRebuiltNeverUsed() throws Exception {
        ProceduralSource src = new ProceduralSource(12, 5);
        Transform tf = new Transform(16, 3, true);
        PoolEncoder enc = new PoolEncoder();
        Path file;
        try (LatentCache c = LatentCache.openOrBuild(tmp, key("w1", false, "float16"), src, tf, enc, 8, null)) {
            file = c.file();
        }
        // another autoencoder gets its own file
        try (LatentCache other = LatentCache.openOrBuild(tmp, key("w2", false, "float16"), src, tf, enc, 8, null)) {
            assertEquals(LatentCache.Origin.BUILT, other.origin());
            assertTrue(!other.file().equals(file));
        }
        // cut the file short: detected and rebuilt
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 10);
        }
        assertTrue(LatentCache.check(file, key("w1", false, "float16")).startsWith("truncated"));
        try (LatentCache c = LatentCache.openOrBuild(tmp, key("w1", false, "float16"), src, tf, enc, 8, null)) {
            assertEquals(LatentCache.Origin.REBUILT_TRUNCATED, c.origin());
            float[] expected = enc.encode(src.load(3, tf, false), 1, 3, 16);
            float[] got = c.get(3);
            for (int i = 0; i < got.length; i++) {
                assertEquals(expected[i], got[i], 1e-3, "float16 storage");
            }
        }
        // a file whose header names another key (e.g. renamed by hand) is stale
        java.nio.file.Files.copy(LatentCache.openOrBuild(tmp, key("w2", false, "float16"), src, tf, enc, 8, null).file(),
                file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertTrue(LatentCache.check(file, key("w1", false, "float16")).startsWith("stale"));
        try (LatentCache c = LatentCache.openOrBuild(tmp, key("w1", false, "float16"), src, tf, enc, 8, null)) {
            assertEquals(LatentCache.Origin.REBUILT_STALE, c.origin());
        }
    }

    @Test
    void flipCachesBothOrientationsAndTheLoaderServesLatents() throws Exception {
        ProceduralSource src = new ProceduralSource(8, 5);
        Transform tf = new Transform(16, 3, true);
        PoolEncoder enc = new PoolEncoder();
        try (LatentCache c = LatentCache.openOrBuild(tmp, key("w1", true, "float32"), src, tf, enc, 8, null)) {
            assertEquals(16, c.size());
            assertArrayEquals(enc.encode(src.load(2, tf, true), 1, 3, 16), c.get(8 + 2), 0f);
            ImageSource latents = c.asSource(src);
            Transform lt = Transform.shapeOnly(c.latentSize(), c.channels());
            try (DataLoader loader = new DataLoader(latents, lt, 4, 1, true, 0, 0, 0)) {
                Batch b = loader.next();
                assertEquals(2, b.channels());
                assertEquals(4, b.height());
                for (int k = 0; k < 4; k++) {
                    int idx = loader.indexAt(k);
                    float[] want = c.get(loader.flipAt(k) ? 8 + idx : idx);
                    float[] got = java.util.Arrays.copyOfRange(b.data(), k * want.length, (k + 1) * want.length);
                    assertArrayEquals(want, got, 0f);
                }
            }
        }
    }
}

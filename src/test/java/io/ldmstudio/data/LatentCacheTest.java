package io.ldmstudio.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LatentCacheTest {
    @TempDir
    Path tmp;

    /** A stand-in autoencoder: 4×4 average pooling into 2 channels (mean and mean²), times 0.5. */
    static final class PoolEncoder implements LatentCache.Encoder {
        final AtomicInteger calls = new AtomicInteger();
        final AtomicInteger images = new AtomicInteger();

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
            this.images.addAndGet(n);
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
        try (LatentCache c = LatentCache.openOrBuild(tmp, key("w1", false, "float32"), src, tf, enc, 10, progress::set, null)) {
            assertEquals(LatentCache.Origin.BUILT, c.origin());
            assertEquals(24, c.size());
            assertEquals(24, progress.get());
            assertEquals(3, enc.calls.get()); // 10 + 10 + 4
            float[] expected = enc.encode(src.load(7, tf, false), 1, 3, 16);
            assertArrayEquals(expected, c.get(7), 0f);
        }
        try (LatentCache again = LatentCache.openOrBuild(tmp, key("w1", false, "float32"), src, tf, enc, 10, null, null)) {
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
        try (LatentCache c = LatentCache.openOrBuild(tmp, key("w1", false, "float16"), src, tf, enc, 8, null, null)) {
            file = c.file();
        }
        // another autoencoder gets its own file
        try (LatentCache other = LatentCache.openOrBuild(tmp, key("w2", false, "float16"), src, tf, enc, 8, null, null)) {
            assertEquals(LatentCache.Origin.BUILT, other.origin());
            assertTrue(!other.file().equals(file));
        }
        // cut the file short: detected and rebuilt
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 10);
        }
        assertTrue(LatentCache.check(file, key("w1", false, "float16")).startsWith("truncated"));
        try (LatentCache c = LatentCache.openOrBuild(tmp, key("w1", false, "float16"), src, tf, enc, 8, null, null)) {
            assertEquals(LatentCache.Origin.REBUILT_TRUNCATED, c.origin());
            float[] expected = enc.encode(src.load(3, tf, false), 1, 3, 16);
            float[] got = c.get(3);
            for (int i = 0; i < got.length; i++) {
                assertEquals(expected[i], got[i], 1e-3, "float16 storage");
            }
        }
        // a file whose header names another key (e.g. renamed by hand) is stale
        java.nio.file.Files.copy(LatentCache.openOrBuild(tmp, key("w2", false, "float16"), src, tf, enc, 8, null, null).file(),
                file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertTrue(LatentCache.check(file, key("w1", false, "float16")).startsWith("stale"));
        try (LatentCache c = LatentCache.openOrBuild(tmp, key("w1", false, "float16"), src, tf, enc, 8, null, null)) {
            assertEquals(LatentCache.Origin.REBUILT_STALE, c.origin());
        }
    }

    @Test
    void flipCachesBothOrientationsAndTheLoaderServesLatents() throws Exception {
        ProceduralSource src = new ProceduralSource(8, 5);
        Transform tf = new Transform(16, 3, true);
        PoolEncoder enc = new PoolEncoder();
        try (LatentCache c = LatentCache.openOrBuild(tmp, key("w1", true, "float32"), src, tf, enc, 8, null, null)) {
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

    @Test
    void imagesThatDoNotDecodeAreNotEncodedAndTheLatentSourceLeavesThemOut() throws Exception {
        Path images = tmp.resolve("images");
        for (int i = 0; i < 7; i++) {
            BadImageFiles.noisePng(images.resolve("img" + i + ".png"), 16, 16, 30 + i);
        }
        BadImageFiles.truncatedPng(images.resolve("img3t.png"), 64, 64, 5); // index 4, mid-batch of 3
        ImageFolderSource src = ImageFolderSource.open(images);
        int bad = 4;
        assertEquals("img3t.png", src.file(bad).getFileName().toString());
        Transform tf = new Transform(16, 3, true);
        PoolEncoder enc = new PoolEncoder();
        Path dir = tmp.resolve("cache");
        try (LatentCache c = LatentCache.openOrBuild(dir, key("w1", true, "float32"), src, tf, enc, 3, null, null)) {
            assertEquals(16, c.size());
            assertEquals(14, enc.images.get(), "7 images, twice (flip); never the truncated one");
            assertEquals(Set.of(bad), c.unreadable().keySet());
            assertEquals(src.file(bad).toString(), c.unreadable().get(bad).path());
            assertEquals(src.skipped(), List.of(c.unreadable().get(bad)), "the same path and reason");
            for (int i = 0; i < 8; i++) {
                if (i == bad) {
                    assertArrayEquals(new float[c.get(i).length], c.get(i), 0f);
                    assertArrayEquals(new float[c.get(i).length], c.get(8 + i), 0f);
                    continue;
                }
                assertArrayEquals(enc.encode(src.load(i, tf, false), 1, 3, 16), c.get(i), 0f, "image " + i);
                assertArrayEquals(enc.encode(src.load(i, tf, true), 1, 3, 16), c.get(8 + i), 0f, "mirrored " + i);
            }
        }
        // reused by a fresh scan, which has not met the truncated file: the cache still knows it
        ImageFolderSource fresh = ImageFolderSource.open(images);
        assertEquals(List.of(), fresh.skipped());
        try (LatentCache c = LatentCache.openOrBuild(dir, key("w1", true, "float32"), fresh, tf, enc, 3, null, null)) {
            assertEquals(LatentCache.Origin.REUSED, c.origin());
            ImageSource latents = c.asSource(fresh);
            UnreadableImageException e = assertThrows(UnreadableImageException.class,
                    () -> latents.load(bad, Transform.shapeOnly(4, 2), false));
            assertTrue(e.getMessage().contains("img3t.png"), e.getMessage());
            assertEquals(List.of(fresh.file(bad).toString()),
                    latents.skipped().stream().map(ImageSource.Skipped::path).toList());
            try (DataLoader loader = new DataLoader(latents, Transform.shapeOnly(4, 2), 4, 2, true, 1, 0, 0)) {
                int hits = 0;
                for (int n = 0; n < 4; n++) {
                    Batch b = loader.next();
                    for (int k = 0; k < b.size(); k++) {
                        long p = b.position() + k;
                        int idx = loader.indexAt(p);
                        if (idx == bad) {
                            hits++;
                            idx = loader.indexAt(p / 8 * 8 + (p % 8 + 1) % 8);
                        }
                        assertArrayEquals(c.get(loader.flipAt(p) ? 8 + idx : idx), b.image(k), 0f, "position " + p);
                    }
                }
                assertEquals(2, hits, "two epochs, each reaching the left-out image once");
            }
        }
    }

    @Test
    void temporaryFilesOfDeadWritersAreDeletedAndLiveOnesKept() throws Exception {
        long dead = 999_999_999L;
        while (ProcessHandle.of(dead).isPresent()) {
            dead--;
        }
        long live = ProcessHandle.current().pid();
        Path dir = tmp.resolve("cache");
        java.nio.file.Files.createDirectories(dir);
        Path killed = dir.resolve("0123456789abcdef01234567.latents.tmp-" + dead);
        Path killedSkips = dir.resolve("0123456789abcdef01234567.latents.tmp-" + dead + ".skips");
        Path encodingNow = dir.resolve("fedcba9876543210fedcba98.latents.tmp-" + live);
        Path notOurs = dir.resolve("notes.tmp-" + dead);
        for (Path f : List.of(killed, killedSkips, encodingNow, notOurs)) {
            java.nio.file.Files.write(f, new byte[100]);
        }
        List<String> log = new ArrayList<>();
        ProceduralSource src = new ProceduralSource(4, 5);
        try (LatentCache c = LatentCache.openOrBuild(dir, key("w1", false, "float32"), src, new Transform(16, 3, true),
                new PoolEncoder(), 4, null, log::add)) {
            assertEquals(LatentCache.Origin.BUILT, c.origin());
        }
        assertFalse(java.nio.file.Files.exists(killed));
        assertFalse(java.nio.file.Files.exists(killedSkips));
        assertTrue(java.nio.file.Files.exists(encodingNow), "a live process's file is left alone");
        assertTrue(java.nio.file.Files.exists(notOurs), "not a latent cache's temporary file");
        assertEquals(2, log.size(), log.toString());
        for (String line : log) {
            assertTrue(line.contains("process " + dead + ", which is no longer running")
                    && line.contains("100 bytes"), line);
        }
        assertTrue(log.get(0).contains(killed.toString()) && log.get(1).contains(killedSkips.toString()), log.toString());
        // nothing left to delete the next time
        log.clear();
        assertEquals(0, LatentCache.removeDeadTemporaries(dir, log::add));
        assertEquals(List.of(), log);
    }
}

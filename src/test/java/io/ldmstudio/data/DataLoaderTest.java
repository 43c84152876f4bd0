package io.ldmstudio.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.config.RunConfig;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataLoaderTest {
    private static final Transform TF = new Transform(8, 3, true);

    /** Procedural images with random decode delays, so workers finish out of order. */
    static final class JitterySource implements ImageSource {
        final ProceduralSource inner;
        final Set<Thread> threads = ConcurrentHashMap.newKeySet();

        JitterySource(int n) {
            inner = new ProceduralSource(n, 5);
        }

        @Override
        public int size() {
            return inner.size();
        }

        @Override
        public int channels() {
            return 3;
        }

        @Override
        public String describe() {
            return "jittery";
        }

        @Override
        public List<String> classNames() {
            return inner.classNames();
        }

        @Override
        public int label(int i) {
            return inner.label(i);
        }

        @Override
        public Pixels pixels(int i) {
            return inner.pixels(i);
        }

        @Override
        public float[] load(int i, Transform tf, boolean flip) {
            threads.add(Thread.currentThread());
            if (ThreadLocalRandom.current().nextInt(4) == 0) {
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            return inner.load(i, tf, flip);
        }
    }

    private static List<Batch> take(DataLoader l, int n) {
        List<Batch> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(l.next());
        }
        return out;
    }

    private static void assertSame(List<Batch> a, List<Batch> b) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            Batch x = a.get(i);
            Batch y = b.get(i);
            assertEquals(x.position(), y.position(), "batch " + i);
            assertArrayEquals(x.labels(), y.labels(), "labels of batch " + i);
            assertTrue(Arrays.equals(x.data(), y.data()), "data of batch " + i); // bitwise (floatToIntBits)
        }
    }

    @Test
    void sameSeedGivesIdenticalBatchesWhateverTheWorkerCount() {
        JitterySource src = new JitterySource(23);
        List<Batch> ref;
        try (DataLoader l = new DataLoader(src, TF, 7, 42, true, 0, 0, 0)) {
            ref = take(l, 12); // 84 samples: crosses three epoch boundaries of 23
        }
        for (int workers : new int[] {1, 2, 3}) {
            try (DataLoader l = new DataLoader(src, TF, 7, 42, true, workers, 0, 0)) {
                assertSame(ref, take(l, 12));
            }
        }
        Batch b = ref.get(3);
        assertEquals(7, b.size());
        assertEquals(21, b.position());
        assertEquals(3, b.channels());
        assertEquals(8, b.height());
        assertEquals(7 * 3 * 8 * 8, b.data().length);
    }

    @Test
    void aNewLoaderAtASavedPositionContinuesExactly() {
        ProceduralSource src = new ProceduralSource(30, 3);
        List<Batch> all;
        long saved;
        try (DataLoader l = new DataLoader(src, TF, 4, 9, true, 2, 0, 0)) {
            take(l, 5);
            saved = l.position();
            assertEquals(20, saved);
            all = take(l, 10);
        }
        try (DataLoader resumed = new DataLoader(src, TF, 4, 9, true, 3, 0, saved)) {
            assertSame(all, take(resumed, 10));
            assertEquals(60, resumed.position());
            assertEquals(2, resumed.epoch());
        }
    }

    @Test
    void eachEpochIsAPermutationAndEpochsDiffer() {
        ProceduralSource src = new ProceduralSource(20, 3);
        try (DataLoader l = new DataLoader(src, TF, 5, 1, false, 0, 0, 0)) {
            int[] e0 = new int[20];
            int[] e1 = new int[20];
            for (int p = 0; p < 20; p++) {
                e0[p] = l.indexAt(p);
                e1[p] = l.indexAt(20 + p);
            }
            int[] sorted0 = e0.clone();
            Arrays.sort(sorted0);
            int[] sorted1 = e1.clone();
            Arrays.sort(sorted1);
            int[] identity = java.util.stream.IntStream.range(0, 20).toArray();
            assertArrayEquals(identity, sorted0);
            assertArrayEquals(identity, sorted1);
            assertFalse(Arrays.equals(e0, e1), "a new order every epoch");
            assertFalse(Arrays.equals(e0, identity), "shuffled");
            // labels of the batches follow the order
            Batch b = l.next();
            for (int k = 0; k < 5; k++) {
                assertEquals(src.label(e0[k]), b.labels()[k]);
                assertArrayEquals(src.load(e0[k], TF, false), b.image(k), 0f);
            }
        }
        try (DataLoader other = new DataLoader(src, TF, 5, 2, false, 0, 0, 0)) {
            int[] o = new int[20];
            for (int p = 0; p < 20; p++) {
                o[p] = other.indexAt(p);
            }
            int[] e0 = new int[20];
            try (DataLoader l = new DataLoader(src, TF, 5, 1, false, 0, 0, 0)) {
                for (int p = 0; p < 20; p++) {
                    e0[p] = l.indexAt(p);
                }
            }
            assertFalse(Arrays.equals(o, e0), "another seed, another order");
        }
    }

    @Test
    void lastBatchWrapsIntoTheNextEpochAndLimitKeepsTheFirstImages() {
        ProceduralSource src = new ProceduralSource(100, 3);
        try (DataLoader l = new DataLoader(src, TF, 4, 1, false, 1, 10, 0)) {
            assertEquals(10, l.epochSize());
            Set<Integer> seen = new java.util.HashSet<>();
            for (int b = 0; b < 3; b++) {
                Batch batch = l.next();
                assertEquals(4, batch.size());
                assertEquals(4, batch.labels().length);
            }
            for (long p = 0; p < 30; p++) {
                int i = l.indexAt(p);
                assertTrue(i < 10, "index " + i + " beyond the limit");
                seen.add(i);
            }
            assertEquals(10, seen.size());
            assertEquals(12, l.position());
            assertEquals(1, l.epoch());
        }
    }

    @Test
    void flipsAreAboutHalfAndMirrorTheImage() {
        ProceduralSource src = new ProceduralSource(50, 3);
        try (DataLoader l = new DataLoader(src, TF, 10, 4, true, 0, 0, 0)) {
            int flipped = 0;
            for (long p = 0; p < 2000; p++) {
                flipped += l.flipAt(p) ? 1 : 0;
            }
            assertTrue(flipped > 850 && flipped < 1150, "flipped " + flipped + " of 2000");
            Batch b = l.next();
            for (int k = 0; k < 10; k++) {
                float[] expect = src.load(l.indexAt(k), TF, l.flipAt(k));
                assertArrayEquals(expect, b.image(k), 0f);
            }
        }
        try (DataLoader noFlip = new DataLoader(src, TF, 10, 4, false, 0, 0, 0)) {
            for (long p = 0; p < 100; p++) {
                assertFalse(noFlip.flipAt(p));
            }
        }
    }

    @Test
    void closeStopsTheWorkerThreads() throws Exception {
        JitterySource src = new JitterySource(40);
        DataLoader l = new DataLoader(src, TF, 4, 1, false, 3, 0, 0);
        l.next();
        l.next();
        assertFalse(src.threads.isEmpty());
        for (Thread t : src.threads) {
            assertTrue(t.isDaemon(), t.getName());
            assertTrue(t.getName().startsWith("ldm-data-"), t.getName());
        }
        l.close();
        for (Thread t : src.threads) {
            t.join(5000);
            assertFalse(t.isAlive(), t.getName() + " still running");
        }
        assertThrows(IllegalStateException.class, l::next);
    }

    @Test
    void aDecodingErrorReachesTheCallerAndARetryStartsAtTheSameBatch() {
        ProceduralSource inner = new ProceduralSource(12, 3);
        int[] calls = {0};
        ImageSource failingOnce = new ImageSource() {
            @Override
            public int size() {
                return 12;
            }

            @Override
            public int channels() {
                return 3;
            }

            @Override
            public String describe() {
                return "failing";
            }

            @Override
            public List<String> classNames() {
                return List.of();
            }

            @Override
            public int label(int i) {
                return 0;
            }

            @Override
            public Pixels pixels(int i) {
                return inner.pixels(i);
            }

            @Override
            public synchronized float[] load(int i, Transform tf, boolean flip) {
                if (i == 7 && calls[0]++ == 0) {
                    throw new DataException("cannot decode seven.png");
                }
                return inner.load(i, tf, flip);
            }
        };
        // one worker: batches are decoded in order, so the first decode of image 7 is in batch 0
        try (DataLoader l = new DataLoader(failingOnce, TF, 12, 1, false, 1, 0, 0);
                DataLoader ref = new DataLoader(inner, TF, 12, 1, false, 0, 0, 0)) {
            DataException e = assertThrows(DataException.class, l::next);
            assertTrue(e.getMessage().contains("seven.png"));
            assertEquals(0, l.position());
            Batch retry = l.next();
            assertEquals(0, retry.position());
            assertTrue(Arrays.equals(ref.next().data(), retry.data()));
            assertNotEquals(0, l.position());
        }
    }

    /** Six good 8×8 PNGs in classes a and b, a truncated PNG in a, a 60000×60000 "bomb" in b. */
    private static Map<String, BufferedImage> badFolder(Path dir) throws IOException {
        Map<String, BufferedImage> good = new HashMap<>();
        for (int i = 0; i < 6; i++) {
            String rel = (i < 4 ? "a/" : "b/") + "img" + i + ".png";
            good.put(dir.resolve(rel).toString(), BadImageFiles.noisePng(dir.resolve(rel), 8, 8, 50 + i));
        }
        BadImageFiles.truncatedPng(dir.resolve("a/img1t.png"), 64, 64, 9);
        BadImageFiles.declaredSizePng(dir.resolve("b/bomb.png"), 60000, 60000);
        return good;
    }

    @Test
    void anUnreadableImageIsLeftOutAndItsPositionTakesTheNextImageOfTheEpochsOrder(@TempDir Path dir)
            throws IOException {
        Map<String, BufferedImage> good = badFolder(dir);
        ImageFolderSource src = ImageFolderSource.open(dir);
        assertEquals(7, src.size(), "the truncated file passes the header scan, the bomb does not");
        int bad = -1;
        for (int i = 0; i < src.size(); i++) {
            if (src.file(i).getFileName().toString().equals("img1t.png")) {
                bad = i;
            }
        }
        List<Batch> batches;
        try (DataLoader l = new DataLoader(src, TF, 4, 3, true, 2, 0, 0)) {
            batches = take(l, 6); // 24 samples: over three epochs of 7
            int hits = 0;
            for (Batch b : batches) {
                for (int k = 0; k < b.size(); k++) {
                    long p = b.position() + k;
                    long epochStart = p / 7 * 7;
                    int idx = l.indexAt(p);
                    for (int step = 1; idx == bad; step++) {
                        hits++;
                        idx = l.indexAt(epochStart + (p - epochStart + step) % 7);
                    }
                    BufferedImage original = good.get(src.file(idx).toString());
                    float[] want = TF.apply(Pixels.fromImage(original), l.flipAt(p));
                    assertTrue(Arrays.equals(want, b.image(k)), "position " + p + ": " + src.file(idx));
                    assertEquals(src.label(idx), b.labels()[k], "label at position " + p);
                }
            }
            assertTrue(hits >= 3, "the order reached the truncated file " + hits + " times");
        }
        Map<String, String> skipped = src.skipped().stream().collect(
                java.util.stream.Collectors.toMap(k -> Path.of(k.path()).getFileName().toString(), k -> k.reason()));
        assertEquals(Set.of("img1t.png", "bomb.png"), skipped.keySet());
        assertFalse(skipped.get("img1t.png").isBlank());

        // the same batches from a fresh source (the skip found anew), with no workers, and resumed
        try (DataLoader l = new DataLoader(ImageFolderSource.open(dir), TF, 4, 3, true, 0, 0, 0)) {
            assertSame(batches, take(l, 6));
        }
        try (DataLoader l = new DataLoader(ImageFolderSource.open(dir), TF, 4, 3, true, 3, 0, 8)) {
            assertSame(batches.subList(2, 6), take(l, 4));
        }
    }

    @Test
    void whenNoImageDecodesTheLoaderSaysSo(@TempDir Path dir) throws IOException {
        BadImageFiles.truncatedPng(dir.resolve("one.png"), 64, 64, 1);
        BadImageFiles.truncatedPng(dir.resolve("two.png"), 64, 64, 2);
        ImageFolderSource src = ImageFolderSource.open(dir);
        try (DataLoader l = new DataLoader(src, TF, 2, 1, false, 1, 0, 0)) {
            DataException e = assertThrows(DataException.class, l::next);
            assertTrue(e.getMessage().contains("no image of") && e.getMessage().contains(".png"), e.getMessage());
        }
        assertEquals(2, src.skipped().size());
    }

    @Test
    void configuredLoaderUsesDataSettings() {
        RunConfig.Data d = new RunConfig.Data("procedural", null, 16, 1, true, true, 30, 2);
        try (DataLoader l = new DataLoader(new ProceduralSource(), Transform.of(d), 8, 7, d.flip(), d.workers(),
                d.limit(), 0)) {
            Batch b = l.next();
            assertEquals(1, b.channels());
            assertEquals(16, b.width());
            assertEquals(8 * 16 * 16, b.data().length);
            assertEquals(30, l.epochSize());
        }
    }
}

package io.ldmstudio.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.config.RunConfig;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

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

package io.ldmstudio.ui.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.data.ImageSource;
import io.ldmstudio.data.Pixels;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javafx.scene.image.WritableImage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.framework.junit5.ApplicationExtension;
import org.testfx.util.WaitForAsyncUtils;

/** The thumbnail loader: cancelled requests are dropped undecoded, the cache stays bounded. */
@ExtendWith(ApplicationExtension.class)
class ThumbnailLoaderTest {

    /** 8×8 gray images that take {@code millis} to decode, counting the decodes. */
    static final class SlowSource implements ImageSource {
        final int millis;
        final AtomicInteger decodes = new AtomicInteger();

        SlowSource(int millis) {
            this.millis = millis;
        }

        @Override
        public int size() {
            return 1000;
        }

        @Override
        public int channels() {
            return 1;
        }

        @Override
        public String describe() {
            return "slow";
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
            decodes.incrementAndGet();
            try {
                Thread.sleep(millis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            float[] d = new float[64];
            java.util.Arrays.fill(d, (i % 256) / 255f);
            return new Pixels(8, 8, 1, d);
        }
    }

    @Test
    void requestsCancelledBeforeDecodingAreDropped() throws Exception {
        SlowSource src = new SlowSource(25);
        try (ThumbnailLoader loader = new ThumbnailLoader(100, 1)) {
            loader.setSource(src);
            Set<Integer> delivered = ConcurrentHashMap.newKeySet();
            // a fast scroll: 200 cells come and go, each cancelling its request as the next arrives
            ThumbnailLoader.Ticket previous = null;
            for (int i = 0; i < 200; i++) {
                int index = i;
                ThumbnailLoader.Ticket t = loader.request(i, th -> delivered.add(index));
                if (previous != null) {
                    previous.cancel();
                }
                previous = t;
            }
            // the screen the scroll stopped at: these ten stay
            List<ThumbnailLoader.Ticket> kept = new ArrayList<>();
            for (int i = 500; i < 510; i++) {
                int index = i;
                kept.add(loader.request(i, th -> delivered.add(index)));
            }
            previous.cancel();
            WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> delivered.containsAll(
                    java.util.stream.IntStream.range(500, 510).boxed().toList()));
            WaitForAsyncUtils.waitFor(5, TimeUnit.SECONDS, () -> loader.pendingCount() == 0);
            WaitForAsyncUtils.waitForFxEvents();
            // at most the one being decoded when the scroll began slipped through
            assertTrue(src.decodes.get() <= 12, "decoded " + src.decodes.get());
            assertEquals(src.decodes.get(), loader.decodedCount());
            assertTrue(loader.droppedCount() >= 188, "dropped " + loader.droppedCount());
            assertTrue(delivered.stream().filter(i -> i < 200).count() <= 2, "delivered " + delivered);
        }
    }

    @Test
    void theCacheIsBoundedAndCachedThumbnailsComeBackAtOnce() throws Exception {
        SlowSource src = new SlowSource(0);
        try (ThumbnailLoader loader = new ThumbnailLoader(20, 2)) {
            loader.setSource(src);
            AtomicInteger done = new AtomicInteger();
            for (int i = 0; i < 50; i++) {
                loader.request(i, th -> done.incrementAndGet());
            }
            WaitForAsyncUtils.waitFor(20, TimeUnit.SECONDS, () -> done.get() == 50);
            assertEquals(50, loader.decodedCount());
            assertEquals(20, loader.cachedCount());
            // a cached thumbnail is handed over in the same call, without a decode
            int hit = java.util.stream.IntStream.range(0, 50).filter(i -> loader.cached(i) != null).findFirst().orElseThrow();
            ThumbnailLoader.Thumbnail[] got = new ThumbnailLoader.Thumbnail[1];
            assertNull(loader.request(hit, th -> got[0] = th));
            assertNotNull(got[0]);
            assertEquals(hit, got[0].index());
            assertEquals(50, loader.decodedCount());
            // a new source empties the cache
            loader.setSource(new SlowSource(0));
            assertEquals(0, loader.cachedCount());
        }
    }

    @Test
    void shrinkingAveragesTheAreaEachPixelCovers() {
        // 4×4 gray in 2×2 blocks of 0, 0.2, 0.6, 1.0 → 2×2
        float[] d = new float[16];
        float[] blocks = {0f, 0.2f, 0.6f, 1f};
        for (int y = 0; y < 4; y++) {
            for (int x = 0; x < 4; x++) {
                d[y * 4 + x] = blocks[(y / 2) * 2 + x / 2];
            }
        }
        WritableImage img = ThumbnailLoader.shrink(new Pixels(4, 4, 1, d), 2);
        assertEquals(2, (int) img.getWidth());
        int[] want = {0, 51, 153, 255};
        for (int k = 0; k < 4; k++) {
            int argb = img.getPixelReader().getArgb(k % 2, k / 2);
            assertEquals(want[k], argb & 0xFF, "block " + k);
            assertEquals(want[k], (argb >> 16) & 0xFF);
        }
        // a small image keeps its size
        assertEquals(4, (int) ThumbnailLoader.shrink(new Pixels(4, 4, 1, d), 64).getWidth());
    }
}

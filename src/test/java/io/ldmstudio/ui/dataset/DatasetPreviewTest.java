package io.ldmstudio.ui.dataset;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ldmstudio.data.ImageSource;
import io.ldmstudio.data.Pixels;
import io.ldmstudio.data.Transform;
import io.ldmstudio.ui.common.FxImages;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import javafx.scene.image.Image;
import javafx.scene.image.PixelReader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.testfx.framework.junit5.ApplicationExtension;

/** The transform preview decodes the selected image once. */
@ExtendWith(ApplicationExtension.class)
class DatasetPreviewTest {

    /** 12×9 RGB gradients, counting the decodes. */
    static final class CountingSource implements ImageSource {
        final AtomicInteger decodes = new AtomicInteger();

        @Override
        public int size() {
            return 5;
        }

        @Override
        public int channels() {
            return 3;
        }

        @Override
        public String describe() {
            return "counting";
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
            return image(i);
        }

        static Pixels image(int i) {
            int w = 12;
            int h = 9;
            float[] d = new float[3 * w * h];
            for (int c = 0; c < 3; c++) {
                for (int y = 0; y < h; y++) {
                    for (int x = 0; x < w; x++) {
                        d[(c * h + y) * w + x] = ((x * 3 + y * 5 + c * 7 + i * 11) % 17) / 16f;
                    }
                }
            }
            return new Pixels(w, h, 3, d);
        }
    }

    @Test
    void thePreviewDecodesTheImageOnceAndTransformsThosePixels() {
        CountingSource src = new CountingSource();
        Transform tf = new Transform(16, 1, true);
        DatasetViewModel.Preview p = DatasetViewModel.makePreview(src, 3, tf);
        assertEquals(1, src.decodes.get(), "decodes");
        assertEquals(12, p.originalWidth());
        assertEquals(9, p.originalHeight());
        assertEquals("12×9 RGB → centre crop 9×9 → resize 16×16 (bilinear) → gray (BT.601 luma) → [-1, 1]",
                p.steps());
        Pixels px = CountingSource.image(3);
        assertSame(FxImages.fromChw(tf.apply(px, false), 1, 16, 16), p.transformed());
        assertSame(FxImages.fromChw(tf.apply(px, true), 1, 16, 16), p.flipped());
    }

    private static void assertSame(Image expected, Image actual) {
        int w = (int) expected.getWidth();
        int h = (int) expected.getHeight();
        assertEquals(w, (int) actual.getWidth());
        assertEquals(h, (int) actual.getHeight());
        PixelReader re = expected.getPixelReader();
        PixelReader ra = actual.getPixelReader();
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                assertEquals(re.getArgb(x, y), ra.getArgb(x, y), "pixel " + x + "," + y);
            }
        }
    }
}

package io.ldmstudio.ui.common;

import static org.junit.jupiter.api.Assertions.assertEquals;

import javafx.scene.image.PixelFormat;
import javafx.scene.image.WritableImage;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testfx.api.FxToolkit;

/** How a framed view (the scrubber's pictures) enlarges: whole factors where they fill the room, else nearest-neighbour to fit. */
class PixelViewTest {
    @BeforeAll
    static void toolkit() throws Exception {
        FxToolkit.registerPrimaryStage(); // images need the toolkit
    }

    @Test
    void wholeFactorsUnlessTheyWasteMoreThanAThirdOfTheRoom() {
        assertEquals(1.0, PixelView.magnification(1.0));
        assertEquals(1.0, PixelView.magnification(1.4)); // 1/1.4 = 0.71 of the room
        assertEquals(1.6, PixelView.magnification(1.6)); // 1× would leave 37 % empty
        assertEquals(2.0, PixelView.magnification(2.0));
        assertEquals(2.0, PixelView.magnification(2.8));
        assertEquals(2.9, PixelView.magnification(2.9));
        assertEquals(3.0, PixelView.magnification(3.9));
        assertEquals(7.0, PixelView.magnification(7.99));
    }

    @Test
    void resamplingTakesThePixelUnderEachCentre() {
        // a 3×1 image: red, green, blue
        WritableImage img = new WritableImage(3, 1);
        int[] rgb = {0xFFFF0000, 0xFF00FF00, 0xFF0000FF};
        img.getPixelWriter().setPixels(0, 0, 3, 1, PixelFormat.getIntArgbInstance(), rgb, 0, 3);
        WritableImage out = io.ldmstudio.ui.common.NearestScale.resample(img, 5, 2); // 1.67× wide, 2× high
        int[] got = new int[10];
        out.getPixelReader().getPixels(0, 0, 5, 2, PixelFormat.getIntArgbInstance(), got, 0, 5);
        // centres 0.5, 1.5, 2.5, 3.5, 4.5 of 5 map to 0.3, 0.9, 1.5, 2.1, 2.7 of 3
        int[] row = {rgb[0], rgb[0], rgb[1], rgb[2], rgb[2]};
        for (int y = 0; y < 2; y++) {
            for (int x = 0; x < 5; x++) {
                assertEquals(row[x], got[y * 5 + x], "pixel " + x + "," + y);
            }
        }
        // only source colours appear: nothing is blended
        javafx.scene.image.Image whole = io.ldmstudio.ui.common.NearestScale.enlarge(img, 2);
        assertEquals(6, (int) whole.getWidth());
        assertEquals(rgb[1], whole.getPixelReader().getArgb(3, 1));
    }
}

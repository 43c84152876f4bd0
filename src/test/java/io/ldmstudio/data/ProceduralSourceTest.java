package io.ldmstudio.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ProceduralSourceTest {
    private final Transform tf = new Transform(32, 3, true);

    @Test
    void sameSeedAndIndexGiveTheSamePixels() {
        ProceduralSource a = new ProceduralSource();
        ProceduralSource b = new ProceduralSource();
        for (int i : new int[] {0, 1, 7, 4321, 9999}) {
            assertArrayEquals(a.load(i, tf), b.load(i, tf), 0f, "image " + i);
        }
        assertFalse(Arrays.equals(a.load(3, tf), new ProceduralSource(10_000, 99).load(3, tf)),
                "another seed gives another image");
    }

    @Test
    void classesTakeTurnsAndAreNamed() {
        ProceduralSource s = new ProceduralSource(100, 1);
        assertEquals(100, s.size());
        assertEquals(3, s.channels());
        assertEquals(5, s.classNames().size());
        int[] hist = new int[5];
        for (int i = 0; i < s.size(); i++) {
            hist[s.label(i)]++;
        }
        assertArrayEquals(new int[] {20, 20, 20, 20, 20}, hist);
        assertEquals("stripes", s.classNames().get(s.label(9)));
    }

    @Test
    void imagesVaryAndTheShapeStandsOut() {
        ProceduralSource s = new ProceduralSource();
        Set<Integer> distinct = new HashSet<>();
        double[] meanLuma = new double[60];
        for (int i = 0; i < 60; i++) {
            float[] v = s.load(i, new Transform(32, 1, true));
            distinct.add(Arrays.hashCode(v));
            float min = Float.MAX_VALUE;
            float max = -Float.MAX_VALUE;
            double sum = 0;
            for (float f : v) {
                assertTrue(f >= -1f && f <= 1f);
                min = Math.min(min, f);
                max = Math.max(max, f);
                sum += f;
            }
            // luma contrast >= 0.3 between shape and background mean: >= 0.6 in [-1, 1], minus gradient slack
            assertTrue(max - min > 0.45f, "image " + i + " has range " + (max - min));
            meanLuma[i] = sum / v.length;
        }
        assertEquals(60, distinct.size());
        double m = Arrays.stream(meanLuma).average().orElseThrow();
        double sd = Math.sqrt(Arrays.stream(meanLuma).map(x -> (x - m) * (x - m)).average().orElseThrow());
        assertTrue(sd > 0.15, "brightness varies between images: sd " + sd);
    }

    @Test
    void discsAreRoundAndAntiAliased() {
        // a disc image has some pixels strictly between background and shape: the soft edge
        ProceduralSource s = new ProceduralSource();
        float[] rgb = s.render(0, 64);
        assertEquals(3 * 64 * 64, rgb.length);
        Set<Float> levels = new HashSet<>();
        for (int k = 0; k < 64 * 64; k++) {
            levels.add(rgb[k]);
        }
        assertTrue(levels.size() > 50, "gradient and anti-aliasing give many levels: " + levels.size());
    }

    @Test
    void rendersAtTheRequestedResolutionAndFlips() {
        ProceduralSource s = new ProceduralSource();
        Transform t16 = new Transform(16, 3, true);
        float[] a = s.load(5, t16, false);
        float[] b = s.load(5, t16, true);
        assertEquals(3 * 16 * 16, a.length);
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < 16; y++) {
                for (int x = 0; x < 16; x++) {
                    assertEquals(a[c * 256 + y * 16 + x], b[c * 256 + y * 16 + 15 - x], 0f);
                }
            }
        }
        assertEquals(ProceduralSource.NATIVE_RESOLUTION, s.pixels(5).width());
    }
}

package io.ldmstudio.util;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RngTest {
    @Test
    void savedStateContinuesTheSameStream() {
        Rng a = new Rng(7);
        for (int i = 0; i < 5; i++) {
            a.nextGaussian(); // leaves a spare behind on odd counts
        }
        Rng b = Rng.fromState(a.state());
        for (int i = 0; i < 100; i++) {
            assertEquals(a.nextGaussian(), b.nextGaussian());
        }
    }

    @Test
    void gaussiansHaveUnitMomentsAndStreamsDiffer() {
        float[] g = Rng.of(1, 0).gaussians(200_000);
        double mean = 0;
        double sq = 0;
        for (float v : g) {
            mean += v;
            sq += v * v;
        }
        mean /= g.length;
        double var = sq / g.length - mean * mean;
        assertEquals(0.0, mean, 0.01);
        assertEquals(1.0, var, 0.02);
        assertNotEquals(Rng.of(1, 0).nextLong(), Rng.of(1, 1).nextLong());
    }

    @Test
    void permutationIsAPermutationAndDeterministic() {
        int[] p = new Rng(3).permutation(1000);
        assertArrayEquals(p, new Rng(3).permutation(1000));
        int[] sorted = p.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            assertEquals(i, sorted[i]);
        }
    }
}

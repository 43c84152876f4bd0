package io.ldmstudio.weights;

import static io.ldmstudio.weights.Half.bf16ToFloat;
import static io.ldmstudio.weights.Half.floatToBf16;
import static io.ldmstudio.weights.Half.floatToHalf;
import static io.ldmstudio.weights.Half.halfToFloat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SafeTensorsHalfTest {

    private static void assertHalf(int expectedBits, float value) {
        assertEquals(String.format("0x%04X", expectedBits), String.format("0x%04X", floatToHalf(value) & 0xFFFF),
                "floatToHalf(" + value + ")");
    }

    private static void assertBf16(int expectedBits, float value) {
        assertEquals(String.format("0x%04X", expectedBits), String.format("0x%04X", floatToBf16(value) & 0xFFFF),
                "floatToBf16(" + value + ")");
    }

    @Test
    void halfEncodesKnownValues() {
        assertHalf(0x3C00, 1.0f);
        assertHalf(0xC100, -2.5f);
        assertHalf(0x0000, 0.0f);
        assertHalf(0x8000, -0.0f);
        assertHalf(0x7BFF, 65504f); // largest finite
        assertHalf(0xFBFF, -65504f);
        assertHalf(0x0400, 0x1p-14f); // smallest normal, 6.1035e-5
        assertHalf(0x03FF, 6.1e-5f); // just below it: the largest subnormal is nearer
        assertHalf(0x0001, 5.96e-8f); // smallest subnormal, 2^-24 = 5.9604645e-8
        assertHalf(0x0001, 0x1p-24f);
        assertHalf(0x7C00, Float.POSITIVE_INFINITY);
        assertHalf(0xFC00, Float.NEGATIVE_INFINITY);
        assertHalf(0x3555, 1f / 3f);
    }

    @Test
    void halfOverflowRoundsToInfinityFrom65520() {
        assertHalf(0x7BFF, 65519.996f); // below the midpoint between 65504 and 2^16
        assertHalf(0x7C00, 65520f); // the midpoint: ties to even, and "even" is infinity
        assertHalf(0x7C00, 1e6f);
        assertHalf(0xFC00, -1e30f);
        assertHalf(0x7C00, Float.MAX_VALUE);
    }

    @Test
    void halfUnderflowRoundsToZeroOrSmallestSubnormal() {
        assertHalf(0x0000, 0x1p-25f); // exactly half the smallest subnormal: tie to even (0)
        assertHalf(0x8000, -0x1p-25f);
        assertHalf(0x0001, Math.nextUp(0x1p-25f)); // just above the tie
        assertHalf(0x0000, 0x1p-26f);
        assertHalf(0x0000, Float.MIN_VALUE); // float subnormal
        assertHalf(0x8000, -Float.MIN_VALUE);
        assertHalf(0x0002, 1.5f * 0x1p-24f); // tie between 1 and 2 subnormal units: 2 is even
        assertHalf(0x0002, 2.5f * 0x1p-24f); // tie between 2 and 3: 2 is even
    }

    @Test
    void halfRoundsTiesToEvenInTheNormalRange() {
        assertHalf(0x3C00, 1f + 0x1p-11f); // halfway between 0x3C00 and 0x3C01
        assertHalf(0x3C02, 1f + 3 * 0x1p-11f); // halfway between 0x3C01 and 0x3C02
        assertHalf(0x3C01, Math.nextUp(1f + 0x1p-11f));
        assertHalf(0x3C00, Math.nextDown(1f + 0x1p-11f));
        assertHalf(0x4000, Math.nextDown(2f)); // rounding carries into the exponent
    }

    @Test
    void halfNaNStaysNaNAndKeepsItsSign() {
        short h = floatToHalf(Float.NaN);
        assertEquals(0x7C00, h & 0x7C00);
        assertTrue((h & 0x3FF) != 0);
        assertTrue(Float.isNaN(halfToFloat(h)));
        // a NaN whose payload lives only in the low bits must not turn into infinity
        float lowPayloadNaN = Float.intBitsToFloat(0xFF800001);
        short n = floatToHalf(lowPayloadNaN);
        assertTrue(Float.isNaN(halfToFloat(n)));
        assertEquals(0x8000, n & 0x8000);
    }

    @Test
    void halfDecodesKnownValues() {
        assertEquals(1.0f, halfToFloat((short) 0x3C00));
        assertEquals(-2.5f, halfToFloat((short) 0xC100));
        assertEquals(65504f, halfToFloat((short) 0x7BFF));
        assertEquals(0x1p-14f, halfToFloat((short) 0x0400));
        assertEquals(0x1p-24f, halfToFloat((short) 0x0001));
        assertEquals(1023 * 0x1p-24f, halfToFloat((short) 0x03FF));
        assertEquals(Float.floatToRawIntBits(-0.0f), Float.floatToRawIntBits(halfToFloat((short) 0x8000)));
        assertEquals(Float.POSITIVE_INFINITY, halfToFloat((short) 0x7C00));
        assertEquals(Float.NEGATIVE_INFINITY, halfToFloat((short) 0xFC00));
        assertTrue(Float.isNaN(halfToFloat((short) 0x7E00)));
        assertTrue(Float.isNaN(halfToFloat((short) 0x7C01)));
    }

    @Test
    void everyHalfSurvivesARoundTripThroughFloat() {
        for (int bits = 0; bits <= 0xFFFF; bits++) {
            float f = halfToFloat((short) bits);
            assertEquals(Float.floatToRawIntBits(f), Float.floatToRawIntBits(Half.halfToFloatFast((short) bits)));
            short back = floatToHalf(f);
            if (Float.isNaN(f)) {
                assertTrue(Float.isNaN(halfToFloat(back)), "NaN 0x" + Integer.toHexString(bits));
                assertEquals(bits & 0x8000, back & 0x8000);
            } else {
                assertEquals(bits, back & 0xFFFF, "0x" + Integer.toHexString(bits));
            }
        }
    }

    /**
     * Every rounding boundary of binary16, checked against exact arithmetic: the midpoint between
     * two neighbouring halves goes to the even one, and the floats just either side of it go to
     * the nearer one.
     */
    @Test
    void everyMidpointBetweenNeighbouringHalvesRoundsToEven() {
        for (int bits = 0; bits < 0x7C00; bits++) {
            for (int sign : new int[] {0, 0x8000}) {
                int lo = bits | sign;
                int hi = (bits + 1) | sign; // 0x7BFF + 1 is infinity: its midpoint is 65520
                double a = halfToFloat((short) lo);
                double b = bits + 1 == 0x7C00 ? (sign == 0 ? 65536.0 : -65536.0) : halfToFloat((short) hi);
                float mid = (float) ((a + b) / 2); // exact: halves have 11 significant bits
                assertEquals((a + b) / 2, mid, 0.0);
                int even = (lo & 1) == 0 ? lo : hi;
                assertEquals(even, floatToHalf(mid) & 0xFFFF, "midpoint " + mid);
                float towardLo = sign == 0 ? Math.nextDown(mid) : Math.nextUp(mid);
                float towardHi = sign == 0 ? Math.nextUp(mid) : Math.nextDown(mid);
                assertEquals(lo, floatToHalf(towardLo) & 0xFFFF, "just inside " + mid);
                assertEquals(hi, floatToHalf(towardHi) & 0xFFFF, "just outside " + mid);
            }
        }
    }

    @Test
    void bf16EncodesAndRoundsToNearestEven() {
        assertBf16(0x3F80, 1.0f);
        assertBf16(0xC020, -2.5f);
        assertBf16(0x8000, -0.0f);
        assertBf16(0x7F80, Float.POSITIVE_INFINITY);
        assertBf16(0xFF80, Float.NEGATIVE_INFINITY);
        assertBf16(0x3F80, 1f + 0x1p-8f); // tie between 0x3F80 and 0x3F81: even
        assertBf16(0x3F82, 1f + 3 * 0x1p-8f); // tie between 0x3F81 and 0x3F82: even
        assertBf16(0x3F81, Math.nextUp(1f + 0x1p-8f));
        assertBf16(0x7F7F, Float.intBitsToFloat(0x7F7F7FFF)); // just below the overflow midpoint
        assertBf16(0x7F80, Float.MAX_VALUE); // past it: infinity
        assertBf16(0x0001, Float.intBitsToFloat(0x00010000)); // subnormals keep working
        assertBf16(0x0000, Float.MIN_VALUE); // 1 ulp of float32 rounds away
        assertBf16(0x0080, Float.intBitsToFloat(0x007FFFFF)); // largest float subnormal → smallest normal
    }

    @Test
    void bf16NaNStaysNaN() {
        for (int bits : new int[] {0x7FC00000, 0x7F800001, 0xFF800001, 0x7FFFFFFF}) {
            short b = floatToBf16(Float.intBitsToFloat(bits));
            assertTrue(Float.isNaN(bf16ToFloat(b)), Integer.toHexString(bits));
            assertEquals((bits >>> 16) & 0x8000, b & 0x8000);
        }
    }

    @Test
    void everyBf16SurvivesARoundTripThroughFloat() {
        for (int bits = 0; bits <= 0xFFFF; bits++) {
            float f = bf16ToFloat((short) bits);
            assertEquals(bits << 16, Float.floatToRawIntBits(f));
            if (!Float.isNaN(f)) {
                assertEquals(bits, floatToBf16(f) & 0xFFFF);
            }
        }
    }

    @Test
    void float8Decodes() {
        assertEquals(1.0f, Half.f8e5m2ToFloat((byte) 0x3C));
        assertEquals(Float.NEGATIVE_INFINITY, Half.f8e5m2ToFloat((byte) 0xFC));
        assertEquals(1.0f, Half.f8e4m3ToFloat((byte) 0x38));
        assertEquals(448f, Half.f8e4m3ToFloat((byte) 0x7E)); // largest finite e4m3fn
        assertEquals(-0x1p-9f, Half.f8e4m3ToFloat((byte) 0x81)); // smallest subnormal, negative
        assertTrue(Float.isNaN(Half.f8e4m3ToFloat((byte) 0x7F)));
    }
}

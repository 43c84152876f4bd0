package io.ldmstudio.weights;

/**
 * Conversions between float32 and the two 16-bit float formats found in weight files: IEEE 754
 * binary16 ("F16", 1 sign, 5 exponent, 10 mantissa bits) and bfloat16 ("BF16", 1 sign, 8 exponent,
 * 7 mantissa bits — the upper half of a float32).
 *
 * <p>Narrowing rounds to nearest, ties to even, as PyTorch's {@code .half()} and {@code
 * .bfloat16()} do: values past the largest finite half (65504, exactly: anything from 65520 up)
 * become infinity, tiny values become subnormals or signed zero, NaN stays NaN (quiet, sign and top
 * payload bits kept). Widening is exact. Written by hand because {@code Float.floatToFloat16} only
 * arrived in Java 20.
 */
public final class Half {
    /** Largest finite binary16 value. */
    public static final float F16_MAX = 65504f;
    /** Smallest positive normal binary16 value, 2^-14. */
    public static final float F16_MIN_NORMAL = 0x1p-14f;
    /** Smallest positive subnormal binary16 value, 2^-24. */
    public static final float F16_MIN_SUBNORMAL = 0x1p-24f;

    private Half() {}

    /** float32 → binary16 bits, rounding to nearest even. */
    public static short floatToHalf(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int exp = (bits >>> 23) & 0xFF;
        int mant = bits & 0x7F_FFFF;

        if (exp == 0xFF) {
            if (mant == 0) {
                return (short) (sign | 0x7C00); // ±infinity
            }
            // NaN: keep the top payload bits and force the quiet bit so it cannot become infinity
            return (short) (sign | 0x7C00 | 0x0200 | (mant >>> 13));
        }

        int e = exp - 127 + 15; // re-biased exponent
        if (e >= 0x1F) {
            return (short) (sign | 0x7C00); // too large even before rounding: infinity
        }
        if (e <= 0) {
            // Result is a half subnormal (or zero): value = m · 2^-24 with m < 1024.
            if (e < -10) {
                return (short) sign; // below half of the smallest subnormal: rounds to ±0
            }
            int full = mant | 0x80_0000; // restore the implicit leading bit (float normals only
            // reach here: float subnormals have e = -112)
            int shift = 14 - e; // 14 ..24
            int m = full >>> shift;
            int rem = full & ((1 << shift) - 1);
            int half = 1 << (shift - 1);
            if (rem > half || (rem == half && (m & 1) != 0)) {
                m++; // may carry into the exponent field: 0x400 is the smallest normal, correctly
            }
            return (short) (sign | m);
        }

        int h = (e << 10) | (mant >>> 13);
        int rem = mant & 0x1FFF;
        if (rem > 0x1000 || (rem == 0x1000 && (h & 1) != 0)) {
            h++; // a carry out of the mantissa bumps the exponent; 0x7BFF + 1 = 0x7C00 is infinity
        }
        return (short) (sign | h);
    }

    /** binary16 bits → float32, exactly. */
    public static float halfToFloat(short half) {
        int h = half & 0xFFFF;
        int sign = (h & 0x8000) << 16;
        int exp = (h >>> 10) & 0x1F;
        int mant = h & 0x3FF;
        if (exp == 0x1F) {
            return Float.intBitsToFloat(sign | 0x7F80_0000 | (mant << 13)); // inf or NaN (payload kept)
        }
        if (exp == 0) {
            float v = mant * F16_MIN_SUBNORMAL; // exact: zero or subnormal
            return sign == 0 ? v : -v;
        }
        return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
    }

    /** Every binary16 value widened, for bulk conversion (256 KiB, built on first use). */
    private static final class Table {
        static final float[] HALF_TO_FLOAT = new float[1 << 16];

        static {
            for (int i = 0; i < HALF_TO_FLOAT.length; i++) HALF_TO_FLOAT[i] = halfToFloat((short) i);
        }
    }

    /** Same as {@link #halfToFloat} through a lookup table; for converting whole tensors. */
    static float halfToFloatFast(short half) {
        return Table.HALF_TO_FLOAT[half & 0xFFFF];
    }

    /** float32 → bfloat16 bits, rounding to nearest even. */
    public static short floatToBf16(float value) {
        int bits = Float.floatToRawIntBits(value);
        if ((bits & 0x7F80_0000) == 0x7F80_0000 && (bits & 0x7F_FFFF) != 0) {
            return (short) ((bits >>> 16) | 0x0040); // NaN: quiet, so truncation cannot make it inf
        }
        int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
        return (short) (rounded >>> 16); // overflow past the largest finite bf16 gives infinity
    }

    /** bfloat16 bits → float32, exactly. */
    public static float bf16ToFloat(short bf16) {
        return Float.intBitsToFloat((bf16 & 0xFFFF) << 16);
    }

    /** float8 E5M2 bits (the top byte of a binary16) → float32, exactly. */
    public static float f8e5m2ToFloat(byte b) {
        return halfToFloat((short) ((b & 0xFF) << 8));
    }

    /**
     * float8 E4M3 ("fn" variant used by PyTorch's {@code float8_e4m3fn}: bias 7, no infinities,
     * S.1111.111 is NaN) bits → float32, exactly.
     */
    public static float f8e4m3ToFloat(byte b) {
        int v = b & 0xFF;
        boolean negative = (v & 0x80) != 0;
        int exp = (v >>> 3) & 0xF;
        int mant = v & 0x7;
        float r;
        if (exp == 0xF && mant == 0x7) {
            r = Float.NaN;
        } else if (exp == 0) {
            r = mant * 0x1p-9f;
        } else {
            r = Float.intBitsToFloat(((exp - 7 + 127) << 23) | (mant << 20));
        }
        return negative ? -r : r;
    }
}

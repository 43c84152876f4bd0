package io.ldmstudio.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** .npy files as NumPy writes them (fixtures from make-npy.py), and as the studio writes them for NumPy. */
class NpyTest {
    static final Path DIR = Path.of("src/test/resources/npy");

    @TempDir
    Path tmp;

    static float[] expected() {
        float[] a = new float[24];
        for (int i = 0; i < 24; i++) {
            a[i] = (i - 11.5f) / 4;
        }
        return a;
    }

    @Test
    void readsWhatNumpyWrote() throws Exception {
        Npy.Array a = Npy.read(DIR.resolve("f32-2x3x2x2.npy"));
        assertArrayEquals(new long[] {2, 3, 2, 2}, a.shape());
        assertArrayEquals(expected(), a.data());
        assertEquals("(2, 3, 2, 2)", a.shapeText());
        Npy.Array v = Npy.read(DIR.resolve("f32-1d.npy"));
        assertArrayEquals(new long[] {3}, v.shape());
        assertArrayEquals(new float[] {1.5f, -2f, 3f}, v.data());
        assertEquals("(3,)", v.shapeText());
    }

    /** The studio's file is byte for byte the one np.save writes for the same array. */
    @Test
    void writesWhatNumpyWrites() throws Exception {
        Path out = tmp.resolve("sub/x.npy");
        Npy.write(out, new long[] {2, 3, 2, 2}, expected());
        assertArrayEquals(Files.readAllBytes(DIR.resolve("f32-2x3x2x2.npy")), Files.readAllBytes(out));
        Npy.write(out, new long[] {3}, new float[] {1.5f, -2f, 3f});
        assertArrayEquals(Files.readAllBytes(DIR.resolve("f32-1d.npy")), Files.readAllBytes(out));
    }

    @Test
    void otherDtypesFortranOrderAndBrokenFilesAreNamed() throws Exception {
        IOException e = assertThrows(IOException.class, () -> Npy.read(DIR.resolve("f64.npy")));
        assertTrue(e.getMessage().contains("f64.npy") && e.getMessage().contains("'<f8'")
                && e.getMessage().contains("astype(np.float32)"), e.getMessage());
        e = assertThrows(IOException.class, () -> Npy.read(DIR.resolve("fortran.npy")));
        assertTrue(e.getMessage().contains("Fortran order"), e.getMessage());

        byte[] good = Files.readAllBytes(DIR.resolve("f32-2x3x2x2.npy"));
        Path cut = tmp.resolve("cut.npy");
        Files.write(cut, Arrays.copyOf(good, good.length - 5));
        e = assertThrows(IOException.class, () -> Npy.read(cut));
        assertTrue(e.getMessage().contains("cut.npy: truncated") && e.getMessage().contains("needs 24 float32 values"),
                e.getMessage());
        Path png = tmp.resolve("image.npy");
        Files.write(png, new byte[] {(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10, 0, 0, 0, 0});
        e = assertThrows(IOException.class, () -> Npy.read(png));
        assertTrue(e.getMessage().contains("not a NumPy .npy file"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Npy.write(tmp.resolve("y.npy"), new long[] {2, 2}, new float[3]));
    }

    /** float64 in memory (the entries of an .npz): NumPy's f64 file, a float32 file widened, and a round trip. */
    @Test
    void float64ArraysDecodeAndEncode() throws Exception {
        Npy.Float64Array f64 = Npy.decodeFloat64(Files.readAllBytes(DIR.resolve("f64.npy")), "f64.npy");
        assertArrayEquals(new long[] {2, 3, 2, 2}, f64.shape());
        float[] e = expected();
        for (int i = 0; i < e.length; i++) {
            assertEquals(e[i], f64.data()[i], 0);
        }
        Npy.Float64Array widened = Npy.decodeFloat64(Files.readAllBytes(DIR.resolve("f32-2x3x2x2.npy")), "f32");
        assertArrayEquals(f64.data(), widened.data(), 0);
        byte[] encoded = Npy.encodeFloat64(new long[] {2, 3, 2, 2}, f64.data());
        assertArrayEquals(Files.readAllBytes(DIR.resolve("f64.npy")), encoded, "byte for byte what np.save writes");
        double[] third = {1.0 / 3, -2e-300, Math.PI};
        assertArrayEquals(third, Npy.decodeFloat64(Npy.encodeFloat64(new long[] {3}, third), "x").data(), 0);

        IOException ex = assertThrows(IOException.class,
                () -> Npy.decodeFloat64(Arrays.copyOf(encoded, encoded.length - 8), "cut!sigma.npy"));
        assertTrue(ex.getMessage().contains("cut!sigma.npy: truncated") && ex.getMessage().contains("24 float64"),
                ex.getMessage());
        ex = assertThrows(IOException.class, () -> Npy.decodeFloat64(Files.readAllBytes(DIR.resolve("fortran.npy")), "f"));
        assertTrue(ex.getMessage().contains("Fortran order"), ex.getMessage());
    }
}

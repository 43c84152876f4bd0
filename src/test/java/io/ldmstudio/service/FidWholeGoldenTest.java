package io.ldmstudio.service;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ldmstudio.eval.FeatureStats;
import io.ldmstudio.eval.KernelDistance;
import io.ldmstudio.nn.SeededInception;

import io.ldmstudio.weights.InceptionWeights;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The whole FID and KID of {@link FidEvaluation} on two PNG folders against a hand-written PyTorch reference with
 * random weights ({@code src/test/python/fid_whole_reference.py}, which wrote {@code golden/fid-whole/}): five gray
 * 28-px images (real) and six 32-px colour images (fake, one of them RGBA), read as pytorch-fid reads them
 * (PIL's {@code convert('RGB')}, {@code / 255}), through pytorch-fid's Inception with inception_reference.py's
 * name-seeded weights (written here to the workspace's default weights file), pytorch-fid's statistics and
 * {@code calculate_frechet_distance} (scipy's sqrtm; no ε retry was needed), clean-fid's {@code kernel_distance} on
 * the 100 subsets the fixture stores.
 *
 * <p>Tolerances: features within {@value #FEATURE_TOLERANCE} of the largest (as FidInceptionGoldenTest), FID and KID
 * within {@value #FID_TOLERANCE} relative. Measured here: features 4.2e-7 (real) and 2.6e-7 (fake) of the largest;
 * FID 295.230794 against the reference's 295.230643 (5.1e-7 relative to pytorch-fid's arithmetic with its float32
 * mu, 5.2e-7 to the float64 one); KID 71.2451866 against 71.2450986 (1.2e-6), its std 6.8e-7: the float32 features'
 * rounding, carried through. The 2048 × 2048 Fréchet distance takes most of the class's ~80 s (EJML's eigenvalues of
 * Σ1Σ2); the 11 images a few seconds.
 */
class FidWholeGoldenTest {
    static final double FEATURE_TOLERANCE = 1e-4;
    static final double FID_TOLERANCE = 1e-5;

    @TempDir
    static Path ws;

    static InceptionFeatures inception;

    @BeforeAll
    static void openTheSeededNetworkFromTheDefaultFile() throws Exception {
        SeededInception.write(InceptionWeights.defaultFile(ws));
        inception = InceptionFeatures.open(ws, null);
    }

    @AfterAll
    static void close() {
        if (inception != null) {
            inception.close();
        }
    }

    static Path golden() throws Exception {
        return Path.of(FidWholeGoldenTest.class.getResource("/golden/fid-whole").toURI());
    }

    static JsonNode reference() throws Exception {
        return new ObjectMapper().readTree(golden().resolve("reference.json").toFile());
    }

    static int[][] indices(JsonNode a) {
        int[][] out = new int[a.size()][];
        for (int s = 0; s < a.size(); s++) {
            out[s] = new int[a.get(s).size()];
            for (int i = 0; i < out[s].length; i++) {
                out[s][i] = a.get(s).get(i).asInt();
            }
        }
        return out;
    }

    static double maxRelative(double[][] want, double[][] got) {
        double maxAbs = 0;
        double maxDiff = 0;
        assertEquals(want.length, got.length, "feature rows");
        for (int r = 0; r < want.length; r++) {
            assertEquals(want[r].length, got[r].length, "features per row");
            for (int c = 0; c < want[r].length; c++) {
                maxAbs = Math.max(maxAbs, Math.abs(want[r][c]));
                maxDiff = Math.max(maxDiff, Math.abs(want[r][c] - got[r][c]));
            }
        }
        return maxDiff / maxAbs;
    }

    static void assertRelative(double want, double got, double tol, String what) {
        double rel = Math.abs(got - want) / Math.abs(want);
        System.out.printf(java.util.Locale.ROOT, "%s: studio %.9g, reference %.9g, relative %.2g%n", what, got, want,
                rel);
        assertTrue(rel <= tol, what + ": " + got + " vs the reference's " + want + " (" + rel + " relative)");
    }

    @Test
    void foldersGiveTheReferencesFeaturesFidAndKid() throws Exception {
        JsonNode ref = reference();
        List<String> lines = new ArrayList<>();
        List<String> phases = new ArrayList<>();
        FidEvaluation.Result r = FidEvaluation.evaluate(ws, inception,
                new FidEvaluation.RealFolder(golden().resolve("real")),
                new FidEvaluation.FakeFolder(golden().resolve("fake")),
                new FidEvaluation.Settings(null, "ddim", 50, null, 0, null), new FidEvaluation.Listener() {
                    @Override
                    public void progress(String what, int done, int total) {
                        phases.add(what + " " + done + "/" + total);
                    }

                    @Override
                    public void message(String line) {
                        lines.add(line);
                    }
                });
        assertEquals(5, r.real().images());
        assertEquals(6, r.fake().images());
        assertTrue(phases.contains("real features 5/5") && phases.contains("fake features 6/6"), phases.toString());

        double[][] realWant = FeatureStats.readFeatures(golden().resolve("real-features.npz")).orElseThrow();
        double[][] fakeWant = FeatureStats.readFeatures(golden().resolve("fake-features.npz")).orElseThrow();
        double fr = maxRelative(realWant, r.real().features());
        double ff = maxRelative(fakeWant, r.fake().features());
        System.out.printf(java.util.Locale.ROOT, "features: real %.2g, fake %.2g of the largest%n", fr, ff);
        assertTrue(fr <= FEATURE_TOLERANCE && ff <= FEATURE_TOLERANCE, fr + " " + ff);

        assertRelative(ref.get("fid").asDouble(), r.fid(), FID_TOLERANCE, "FID vs pytorch-fid (float32 mu)");
        assertRelative(ref.get("fid64").asDouble(), r.fid(), FID_TOLERANCE, "FID vs float64");
        assertTrue(r.warning().isEmpty(), "pytorch-fid needed no eps retry here: " + r.warning());

        KernelDistance.Result kid = KernelDistance.compute(r.real().features(), r.fake().features(),
                indices(ref.get("idx1")), indices(ref.get("idx2")));
        assertRelative(ref.get("kid").asDouble(), kid.mean(), FID_TOLERANCE, "KID on the reference's subsets");
        assertRelative(ref.get("kid_std").asDouble(), kid.std(), FID_TOLERANCE, "KID std");
        // the service's own KID: clean-fid's defaults (100 subsets of min(5, 6) = 5) from its seed
        assertNotNull(r.kid());
        assertEquals(5, r.kid().subsetSize());
        assertEquals(KernelDistance.SUBSETS, r.kid().subsetValues().length);
        assertEquals(KernelDistance.compute(r.real().features(), r.fake().features(), FidEvaluation.KID_SEED).mean(),
                r.kid().mean());
        assertNull(r.fdMetric(), "no FD_<dataset> between two folders");
    }
}

package io.ldmstudio.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ldmstudio.cli.CliTest.Outcome;
import io.ldmstudio.eval.FeatureStats;
import io.ldmstudio.nn.SeededInception;
import io.ldmstudio.weights.InceptionWeights;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code eval fid} from the command line on the fixture of {@code fid_whole_reference.py} (see FidWholeGoldenTest):
 * {@code --real stats.npz} (pytorch-fid's mu and sigma of the reference's real features, written as np.savez writes
 * them) against the fake PNG folder with the seeded weights given by {@code --inception} gives the reference's FID
 * (measured: 5.1e-7 relative, the float32 features' rounding), says KID needs features, and prints one JSON object on
 * stdout; bad sides are refused (exit 2) naming what was given. The one 2048-d Fréchet distance takes ~90 s.
 */
class EvalFidCommandTest {
    @TempDir
    Path tmp;

    static Path golden() throws Exception {
        return Path.of(EvalFidCommandTest.class.getResource("/golden/fid-whole").toURI());
    }

    @Test
    void statsFileAgainstAFolderGivesTheReferenceFidAsJson() throws Exception {
        Path weights = SeededInception.write(tmp.resolve("seeded.safetensors"));
        Path stats = tmp.resolve("stats.npz");
        FeatureStats.of(FeatureStats.readFeatures(golden().resolve("real-features.npz")).orElseThrow()).writeNpz(stats);
        Outcome o = CliTest.run("eval", "fid", "--real", stats.toString(), "--fake", golden().resolve("fake").toString(),
                "--inception", weights.toString(), "--json", "--workspace", tmp.resolve("ws").toString());
        assertEquals(0, o.code(), o.err());
        assertEquals(1, o.out().strip().lines().count(), "one JSON object: " + o.out());
        JsonNode j = new ObjectMapper().readTree(o.out());
        JsonNode ref = new ObjectMapper().readTree(golden().resolve("reference.json").toFile());
        double want = ref.get("fid").asDouble();
        double rel = Math.abs(j.get("fid").asDouble() - want) / want;
        assertTrue(rel < 1e-5, j.get("fid") + " vs " + want);
        assertTrue(j.get("kid_note").asText().contains("KID needs the features"), o.out());
        assertEquals(6, j.get("fake_images").asInt());
        assertTrue(j.get("distance_seconds").asDouble() > 0, o.out());
        assertTrue(o.err().contains("fake features"), "progress on stderr: " + o.err());
    }

    @Test
    void badSidesAndAMissingInceptionFileAreRefused() throws Exception {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Path ws = tmp.resolve("ws");
        Outcome o = CliTest.run("eval", "fid", "--real", "no-such-thing", "--fake", empty.toString(), "--workspace",
                ws.toString());
        assertEquals(Cli.BAD_VALUE, o.code(), o.out());
        assertTrue(o.err().contains("--real no-such-thing: not an image folder, not a .npz, and not a dataset"), o.err());

        o = CliTest.run("eval", "fid", "--real", golden().resolve("real").toString(), "--fake", empty.toString(),
                "--workspace", ws.toString());
        assertEquals(Cli.BAD_VALUE, o.code(), o.out());
        Path where = InceptionWeights.defaultFile(ws.toAbsolutePath().normalize());
        assertTrue(o.err().contains(where + ": does not exist"), o.err());
        assertTrue(o.err().contains(InceptionWeights.CONVERTER), o.err());
        assertFalse(o.out().contains("FID"), o.out());
    }
}

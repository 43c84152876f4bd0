package io.ldmstudio.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.runs.RacingClock;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.Workspace;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line as a user drives it: exit codes, messages, files. */
class CliTest {
    @TempDir
    Path tmp;

    record Outcome(int code, String out, String err) {}

    static Outcome run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Cli.execute(args);
            return new Outcome(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    static final String[] TINY = {"--set", "data.resolution=16", "--set", "model.model_channels=16",
        "--set", "model.channel_mult=1,2", "--set", "model.num_res_blocks=1", "--set", "model.attention_resolutions=2",
        "--set", "model.num_heads=2", "--set", "model.norm_groups=8", "--set", "optim.batch_size=4",
        "--set", "logging.checkpoint_every=2", "--set", "sampling.n=4", "--set", "sampling.steps=3", "--device", "cpu"};

    private String[] train(String run, int steps) {
        List<String> a = new ArrayList<>(List.of("train", "--preset", "quickstart", "--run", run, "--steps",
                Integer.toString(steps), "--workspace", tmp.toString()));
        a.addAll(List.of(TINY));
        return a.toArray(String[]::new);
    }

    @Test
    void presetsListsAllSix() {
        Outcome o = run("presets");
        assertEquals(0, o.code());
        for (String p : List.of("quickstart", "fashion-mnist-pixel-cpu", "celeba-hq-256", "celeba-hq-128-f4",
                "cifar10-latent-64", "cifar10-pixel-32")) {
            assertTrue(o.out().contains(p), p);
        }
    }

    @Test
    void badValuesGetOneLineNamingTheKeyAndExitStatusTwo() {
        Outcome lr = run("train", "--preset", "quickstart", "--set", "optim.lr=abc", "--workspace", tmp.toString());
        assertEquals(2, lr.code());
        assertEquals(1, lr.err().strip().lines().count(), lr.err());
        assertTrue(lr.err().contains("optim.lr") && lr.err().contains("abc") && lr.err().contains("number"), lr.err());

        Outcome key = run("train", "--preset", "quickstart", "--set", "optim.learning_rate=1", "--workspace",
                tmp.toString());
        assertEquals(2, key.code());
        assertTrue(key.err().contains("optim.learning_rate"), key.err());

        Outcome sampler = run("train", "--preset", "quickstart", "--set", "sampling.sampler=euler", "--workspace",
                tmp.toString());
        assertEquals(2, sampler.code());
        assertTrue(sampler.err().contains("ddpm, ddim, dpmpp"), sampler.err());

        Outcome preset = run("train", "--preset", "nope", "--workspace", tmp.toString());
        assertEquals(2, preset.code());
        assertTrue(preset.err().contains("quickstart"), preset.err());

        Outcome device = run("train", "--preset", "quickstart", "--device", "tpu", "--workspace", tmp.toString());
        assertEquals(2, device.code());
        assertTrue(device.err().contains("device") && device.err().contains("tpu"), device.err());

        Outcome name = run("train", "--preset", "quickstart", "--run", "../escape", "--workspace", tmp.toString());
        assertEquals(2, name.code());
        assertTrue(name.err().contains("../escape"), name.err());
        assertTrue(!Files.exists(tmp.resolve("escape")));
    }

    @Test
    void everyCommandAndSubcommandAnswersHelpWithItsUsage() {
        String[][] commands = {{"train"}, {"resume"}, {"sample"}, {"bench"}, {"presets"}, {"runs"}, {"studio"}, {"vae"},
            {"vae", "train"}, {"vae", "info"}, {"vae", "recon"}, {"vae", "eval"}, {"vae", "bench"}, {"eval"},
            {"eval", "classifier"}};
        for (String[] c : commands) {
            String path = "ldm-studio " + String.join(" ", c);
            List<String> args = new ArrayList<>(List.of(c));
            args.add("--help");
            Outcome help = run(args.toArray(String[]::new));
            assertEquals(0, help.code(), path + " --help: " + help.err());
            assertTrue(help.out().contains("Usage: " + path), path + " --help printed: " + help.out());

            // help COMMAND, from the command above it
            List<String> viaHelp = new ArrayList<>(List.of(c).subList(0, c.length - 1));
            viaHelp.add("help");
            viaHelp.add(c[c.length - 1]);
            Outcome h = run(viaHelp.toArray(String[]::new));
            assertEquals(0, h.code(), String.join(" ", viaHelp) + ": " + h.err());
            assertTrue(h.out().contains("Usage: " + path), String.join(" ", viaHelp) + " printed: " + h.out());
        }
        Outcome sample = run("sample", "--help");
        for (io.ldmstudio.config.SamplerKind k : io.ldmstudio.config.SamplerKind.values()) {
            assertTrue(sample.out().contains(k.key), "sample's help lists the samplers of the registry: " + sample.out());
        }
        Outcome train = run("train", "--help");
        assertTrue(train.out().contains("--preset"), "train's usage names its options: " + train.out());
    }

    @Test
    void aMissingOptionPointsAtTheFullCommandsHelp() {
        Outcome recon = run("vae", "recon", "--vae", tmp.toString());
        assertEquals(2, recon.code());
        assertTrue(recon.err().contains("(see: ldm-studio vae recon --help)"), recon.err());
    }

    @Test
    void aMissingRunPresetOrFileIsABadValueOfOneLine() throws Exception {
        new Workspace(tmp).create("there", io.ldmstudio.config.RunConfig.defaults());
        Outcome sample = run("sample", "no-such-run", "--out", tmp.resolve("x.png").toString(), "--workspace", tmp.toString());
        assertEquals(2, sample.code(), sample.err());
        assertEquals(1, sample.err().strip().lines().count(), sample.err());
        assertTrue(sample.err().contains("no-such-run") && sample.err().contains("there"), "names the runs there are: "
                + sample.err());

        Outcome resume = run("resume", "no-such-run", "--workspace", tmp.toString());
        assertEquals(2, resume.code(), resume.err());
        assertTrue(resume.err().contains("no-such-run"), resume.err());

        Path missing = tmp.resolve("missing");
        for (String[] args : new String[][] {
            {"vae", "info", missing.toString()},
            {"vae", "recon", "--vae", missing.toString(), "--images", tmp.toString(), "--out", tmp.resolve("o").toString()},
            {"vae", "recon", "--vae", tmp.toString(), "--images", missing.toString(), "--out", tmp.resolve("o").toString()},
            {"vae", "eval", "--vae", missing.toString()},
            {"vae", "bench", "--vae", missing.toString()},
            {"bench", "--config", missing.toString()}}) {
            Outcome o = run(args);
            assertEquals(2, o.code(), String.join(" ", args) + ": " + o.err());
            assertEquals(1, o.err().strip().lines().count(), o.err());
            assertTrue(o.err().contains(missing.toString()) && o.err().contains("no such file"), o.err());
        }
    }

    static int[] pixels(Path png) throws java.io.IOException {
        BufferedImage im = ImageIO.read(png.toFile());
        return im.getRGB(0, 0, im.getWidth(), im.getHeight(), null, 0, im.getWidth());
    }

    /** Another tool's x_T: sample i of --noise is image i, and the seed's own x_T gives the seed's samples. */
    @Test
    void samplingFromAGivenXtKeepsItsOrderAndNamesAWrongShape() throws Exception {
        assertEquals(0, run(train("nz", 2)).code());
        Run run = new Workspace(tmp).open("nz");
        int c = run.config().unetChannels();
        int r = run.config().unetResolution();
        int per = c * r * r;
        float[] seeds = new io.ldmstudio.util.Rng(9).gaussians(2 * per);
        Path noise = tmp.resolve("xT.npy");
        io.ldmstudio.data.Npy.write(noise, new long[] {2, c, r, r}, seeds);
        float[] swapped = new float[2 * per];
        System.arraycopy(seeds, per, swapped, 0, per);
        System.arraycopy(seeds, 0, swapped, per, per);
        Path reversed = tmp.resolve("reversed.npy");
        io.ldmstudio.data.Npy.write(reversed, new long[] {2, c, r, r}, swapped);

        String[] common = {"--sampler", "ddim", "--eta", "0", "--steps", "4", "--workspace", tmp.toString()};
        java.util.function.Function<String[], Outcome> sample = extra -> {
            List<String> a = new ArrayList<>(List.of("sample", "nz"));
            a.addAll(List.of(common));
            a.addAll(List.of(extra));
            return run(a.toArray(String[]::new));
        };
        Outcome bySeed = sample.apply(new String[] {"--seed", "9", "--n", "2", "--out", tmp.resolve("seed").toString()});
        assertEquals(0, bySeed.code(), bySeed.err());
        Outcome given = sample.apply(new String[] {"--seed", "1", "--noise", noise.toString(), "--out", tmp.resolve("given").toString()});
        assertEquals(0, given.code(), given.err());
        Outcome rev = sample.apply(new String[] {"--noise", reversed.toString(), "--out", tmp.resolve("rev").toString()});
        assertEquals(0, rev.code(), rev.err());
        for (int i = 0; i < 2; i++) {
            String name = String.format("sample-%04d.png", i);
            assertArrayEquals(pixels(tmp.resolve("seed").resolve(name)), pixels(tmp.resolve("given").resolve(name)), name);
            assertArrayEquals(pixels(tmp.resolve("seed").resolve(name)),
                    pixels(tmp.resolve("rev").resolve(String.format("sample-%04d.png", 1 - i))), "the noise's order: " + name);
        }
        assertFalse(java.util.Arrays.equals(pixels(tmp.resolve("seed/sample-0000.png")), pixels(tmp.resolve("seed/sample-0001.png"))));

        Path wrong = tmp.resolve("wrong.npy");
        io.ldmstudio.data.Npy.write(wrong, new long[] {2, c, r / 2, r / 2}, new float[2 * per / 4]);
        Outcome bad = sample.apply(new String[] {"--noise", wrong.toString(), "--out", tmp.resolve("bad").toString()});
        assertEquals(2, bad.code(), bad.err());
        assertTrue(bad.err().contains("wrong.npy") && bad.err().contains("(2, " + c + ", " + r / 2 + ", " + r / 2 + ")")
                && bad.err().contains("(2, " + c + ", " + r + ", " + r + ")"), bad.err());
        Outcome count = sample.apply(new String[] {"--n", "3", "--noise", noise.toString(), "--out", tmp.resolve("bad").toString()});
        assertEquals(2, count.code(), count.err());
        assertTrue(count.err().contains("--n 3") && count.err().contains("holds 2"), count.err());
    }

    /** A pipeline folder is a SOURCE like a run: its export (subfolders) and the same model laid out flat. */
    @Test
    void samplingFromAPipelineFolderOfEitherLayoutGivesTheRunsImages() throws Exception {
        assertEquals(0, run(train("pl", 2)).code());
        Path export = tmp.resolve("runs/pl/exports/diffusers");
        Path flat = Files.createDirectories(tmp.resolve("flat"));
        Files.copy(export.resolve("unet/config.json"), flat.resolve("config.json"));
        Files.copy(export.resolve("unet/diffusion_pytorch_model.safetensors"), flat.resolve("diffusion_pytorch_model.safetensors"));
        Files.copy(export.resolve("scheduler/scheduler_config.json"), flat.resolve("scheduler_config.json"));
        String[] common = {"--sampler", "ddpm", "--steps", "4", "--seed", "5", "--n", "2", "--workspace", tmp.toString()};
        for (String[] source : new String[][] {{"pl", "byrun"}, {tmp.resolve("runs/pl").toString(), "byfolder"},
            {export.toString(), "export"}, {flat.toString(), "flat"}}) {
            List<String> a = new ArrayList<>(List.of("sample", source[0]));
            a.addAll(List.of(common));
            a.addAll(List.of("--out", tmp.resolve(source[1]).toString()));
            Outcome o = run(a.toArray(String[]::new));
            assertEquals(0, o.code(), source[0] + ": " + o.err());
            if (!source[1].startsWith("by")) {
                assertTrue(o.out().contains("DDPMPipeline"), o.out());
            }
        }
        for (String dir : List.of("byfolder", "export", "flat")) {
            for (int i = 0; i < 2; i++) {
                String name = String.format("sample-%04d.png", i);
                assertArrayEquals(pixels(tmp.resolve("byrun").resolve(name)), pixels(tmp.resolve(dir).resolve(name)), dir + "/" + name);
            }
        }
        Outcome scale = run("sample", export.toString(), "--set", "vqvae.scaling_factor=1.0", "--out", tmp.resolve("x").toString());
        assertEquals(2, scale.code(), scale.err());
        assertTrue(scale.err().contains("no autoencoder to scale for"), scale.err());
        Outcome other = run("sample", export.toString(), "--set", "unet.sample_size=8", "--out", tmp.resolve("x").toString());
        assertEquals(2, other.code(), other.err());
        assertTrue(other.err().contains("vqvae.scaling_factor"), other.err());
        Files.delete(flat.resolve("diffusion_pytorch_model.safetensors"));
        Outcome broken = run("sample", flat.toString(), "--out", tmp.resolve("x").toString());
        assertTrue(broken.code() != 0 && broken.err().contains("has no weights"), broken.err());
    }

    @Test
    void trainSampleResumeAndListARunEndToEnd() throws Exception {
        Outcome t = run(train("t1", 4));
        assertEquals(0, t.code(), t.err());
        assertTrue(t.out().contains("PyTorch"), "device and engine version printed: " + t.out());
        Run run = new Workspace(tmp).open("t1");
        assertEquals(4, run.latestCheckpoint().orElseThrow().step());

        Path grid = tmp.resolve("out/grid.png");
        Outcome s = run("sample", "t1", "--sampler", "ddim", "--steps", "3", "--n", "4", "--seed", "3", "--out",
                grid.toString(), "--trajectory", tmp.resolve("traj").toString(), "--workspace", tmp.toString());
        assertEquals(0, s.code(), s.err());
        BufferedImage g = ImageIO.read(grid.toFile());
        assertEquals(2 * 16 + 3 * 2, g.getWidth());
        try (Stream<Path> files = Files.list(tmp.resolve("traj"))) {
            List<String> names = files.map(p -> p.getFileName().toString()).sorted().toList();
            assertEquals(9, names.size(), names.toString()); // x_t, x̂0 and ε̂ for each of 3 steps
            assertTrue(names.get(0).startsWith("eps-0000-t") && names.get(3).startsWith("x0-0000-t"), names.toString());
        }

        Path folder = tmp.resolve("out/each");
        Outcome each = run("sample", "t1", "--sampler", "dpmpp", "--steps", "3", "--n", "3", "--out", folder.toString(),
                "--workspace", tmp.toString());
        assertEquals(0, each.code(), each.err());
        try (Stream<Path> files = Files.list(folder)) {
            List<Path> pngs = files.toList();
            assertEquals(3, pngs.size());
            assertEquals(16, ImageIO.read(pngs.get(0).toFile()).getWidth());
        }

        Outcome bad = run("sample", "t1", "--sampler", "euler", "--out", grid.toString(), "--workspace", tmp.toString());
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("euler"), bad.err());

        Outcome r = run("resume", "t1", "--steps", "6", "--workspace", tmp.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(6, run.latestCheckpoint().orElseThrow().step());

        Outcome list = run("runs", "--workspace", tmp.toString());
        assertEquals(0, list.code());
        assertTrue(list.out().contains("t1") && list.out().contains("finished"), list.out());
    }

    @Test
    void aMissingDataPathIsABadValueThatLeavesNoRunAndTheNameFree() throws Exception {
        Path images = tmp.resolve("pictures");
        List<String> args = new ArrayList<>(List.of(train("pics", 2)));
        args.addAll(List.of("--set", "data.source=folder", "--set", "data.path=" + images));
        Outcome missing = run(args.toArray(String[]::new));
        assertEquals(2, missing.code(), missing.err());
        assertEquals(1, missing.err().strip().lines().count(), missing.err());
        assertTrue(missing.err().contains("data.path does not exist: " + images), missing.err());
        assertTrue(!Files.exists(tmp.resolve("runs/pics")), "no run folder is left behind");

        Files.createDirectories(images);
        Outcome empty = run(args.toArray(String[]::new));
        assertEquals(2, empty.code(), empty.err());
        assertTrue(empty.err().contains("data.path has no images: " + images), empty.err());
        assertTrue(!Files.exists(tmp.resolve("runs/pics")), "no run folder is left behind");

        for (int i = 0; i < 4; i++) {
            BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
            img.setRGB(i, i, 0xFF8040);
            ImageIO.write(img, "png", images.resolve("img" + i + ".png").toFile());
        }
        Outcome good = run(args.toArray(String[]::new));
        assertEquals(0, good.code(), good.err());
        assertEquals(2, new Workspace(tmp).open("pics").latestCheckpoint().orElseThrow().step());
    }

    @Test
    void theLoserOfTwoTrainsOfOneNameGetsTheRunExistsBadValue() throws Exception {
        // the other `train --run twin` creates the run between this one's check and its create
        RacingClock clock = new RacingClock(1, () -> new Workspace(tmp).create("twin", io.ldmstudio.config.RunConfig.defaults()));
        CommandLine cl = Cli.commandLine();
        TrainCommand train = cl.getSubcommands().get("train").getCommand();
        train.common.clock = clock;
        StringWriter err = new StringWriter();
        cl.setErr(new PrintWriter(err));
        PrintStream oldOut = System.out;
        int code;
        try {
            System.setOut(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
            code = cl.execute(train("twin", 2));
        } finally {
            System.setOut(oldOut);
        }
        assertEquals(1, clock.reads(), "the race happened");
        assertEquals(2, code, err.toString());
        assertEquals("error: --run twin: a run of that name exists in " + tmp.resolve("runs")
                + " (created just now by another process); use `resume twin` or another name", err.toString().strip());
        assertEquals("procedural", new Workspace(tmp).open("twin").config().data().source(), "the winner's run is kept");
        Outcome after = run(train("twin", 2)); // and the ordinary case says the same
        assertEquals(2, after.code());
        assertTrue(after.err().contains("--run twin: a run of that name exists in " + tmp.resolve("runs") + "; use"),
                after.err());
    }

    /** Every command and subcommand but help, with its qualified name. */
    private static void commands(CommandLine cl, List<CommandLine> out) {
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (!(sub.getCommand() instanceof CommandLine.HelpCommand) && !out.contains(sub)) {
                out.add(sub);
                commands(sub, out);
            }
        }
    }

    @Test
    void everyCommandTakesWorkspace() {
        List<CommandLine> all = new ArrayList<>();
        commands(Cli.commandLine(), all);
        assertTrue(all.size() >= 13, "commands found: " + all.size());
        for (CommandLine c : all) {
            String name = c.getCommandSpec().qualifiedName();
            if (c.getSubcommands().values().stream().anyMatch(sub -> !(sub.getCommand() instanceof CommandLine.HelpCommand))) {
                continue; // a group such as vae: its subcommands take the options
            }
            assertTrue(c.getCommandSpec().findOption("--workspace") != null, name + " takes --workspace");
        }
        Outcome presets = run("presets", "--workspace", tmp.toString());
        assertEquals(0, presets.code(), presets.err());
        assertTrue(presets.out().contains("quickstart"), presets.out());
    }

    /** sample --class / --guidance / --guidance-sweep on a class-conditional run (the procedural shapes' 5 classes). */
    @Test
    void samplingAConditionalRunByClassWithGuidanceAndASweep() throws Exception {
        List<String> a = new ArrayList<>(List.of(train("cond", 2)));
        a.addAll(List.of("--set", "conditioning.type=class"));
        Outcome t = run(a.toArray(String[]::new));
        assertEquals(0, t.code(), t.err());
        String[] common = {"--steps", "2", "--workspace", tmp.toString()};

        Path all = tmp.resolve("all.png");
        Outcome o = run(concat(new String[] {"sample", "cond", "--class", "all", "--n", "1", "--out", all.toString()}, common));
        assertEquals(0, o.code(), o.err());
        BufferedImage grid = ImageIO.read(all.toFile());
        assertEquals(5 * (16 + 2) + 2, grid.getHeight(), "one row per class");

        Path two = tmp.resolve("two");
        o = run(concat(new String[] {"sample", "cond", "--class", "Disc,4", "--out", two.toString()}, common));
        assertEquals(0, o.code(), o.err());
        try (Stream<Path> files = Files.list(two)) {
            assertEquals(2, files.count(), "--n defaults to the classes listed");
        }

        Path sweep = tmp.resolve("sweep.png");
        o = run(concat(new String[] {"sample", "cond", "--class", "ring", "--n", "3", "--guidance-sweep", "1,3", "--out",
            sweep.toString()}, common));
        assertEquals(0, o.code(), o.err());
        BufferedImage s = ImageIO.read(sweep.toFile());
        assertEquals(2 * (16 + 2) + 2, s.getHeight(), "one row per guidance scale");
        assertTrue(s.getWidth() > 3 * (16 + 2) + 2, "labelled: " + s.getWidth());
        Path sweepDir = tmp.resolve("sweepdir");
        o = run(concat(new String[] {"sample", "cond", "--class", "ring", "--guidance-sweep", "1,3", "--out",
            sweepDir.toString()}, common));
        assertEquals(0, o.code(), o.err());
        assertTrue(Files.exists(sweepDir.resolve("sample-w1-0000.png")) && Files.exists(sweepDir.resolve("sample-w3-0000.png")));
        // the same x_T at both scales, guidance changes the image
        assertFalse(java.util.Arrays.equals(pixels(sweepDir.resolve("sample-w1-0000.png")),
                pixels(sweepDir.resolve("sample-w3-0000.png"))));

        Outcome bad = run(concat(new String[] {"sample", "cond", "--class", "hexagon", "--out", all.toString()}, common));
        assertEquals(2, bad.code());
        assertTrue(bad.err().contains("hexagon") && bad.err().contains("disc, square, triangle, ring, stripes"), bad.err());
        Outcome noClass = run(concat(new String[] {"sample", "cond", "--guidance", "2", "--out", all.toString()}, common));
        assertEquals(2, noClass.code());
        assertTrue(noClass.err().contains("--guidance needs --class"), noClass.err());

        assertEquals(0, run(train("plain", 2)).code());
        Outcome uncond = run(concat(new String[] {"sample", "plain", "--class", "0", "--out", all.toString()}, common));
        assertEquals(2, uncond.code());
        assertTrue(uncond.err().contains("unconditional"), uncond.err());
    }

    /** sample --class / --guidance on a cross-attention run and on its export: the same images from both. */
    @Test
    void samplingACrossAttentionRunAndItsExportByClass() throws Exception {
        List<String> a = new ArrayList<>(List.of(train("xattn", 2)));
        a.addAll(List.of("--set", "conditioning.type=cross_attention", "--set", "conditioning.cross_attention_dim=16"));
        Outcome t = run(a.toArray(String[]::new));
        assertEquals(0, t.code(), t.err());
        String[] common = {"--sampler", "ddim", "--steps", "2", "--seed", "3", "--workspace", tmp.toString()};

        Path all = tmp.resolve("all.png");
        Outcome o = run(concat(new String[] {"sample", "xattn", "--class", "all", "--n", "1", "--guidance", "2", "--out",
            all.toString()}, common));
        assertEquals(0, o.code(), o.err());
        assertEquals(5 * (16 + 2) + 2, ImageIO.read(all.toFile()).getHeight(), "one row per class");

        Path export = tmp.resolve("runs/xattn/exports/diffusers");
        assertTrue(Files.isDirectory(export.resolve("class_embedder")), "exported with its class tokens");
        Path fromRun = tmp.resolve("run.png");
        Path fromExport = tmp.resolve("export.png");
        o = run(concat(new String[] {"sample", "xattn", "--class", "ring,disc", "--guidance", "2", "--out",
            fromRun.toString()}, common));
        assertEquals(0, o.code(), o.err());
        o = run(concat(new String[] {"sample", export.toString(), "--class", "ring,disc", "--guidance", "2", "--out",
            fromExport.toString()}, common));
        assertEquals(0, o.code(), o.err());
        assertArrayEquals(pixels(fromRun), pixels(fromExport), "the export samples as the run");
    }

    static String[] concat(String[] a, String[] b) {
        String[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}

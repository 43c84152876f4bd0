package io.ldmstudio.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.runs.Run;
import io.ldmstudio.service.DatasetFd;
import io.ldmstudio.service.FidEvaluation;
import io.ldmstudio.service.InceptionFeatures;
import io.ldmstudio.weights.InceptionWeights;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code eval fid}: FID and KID in pytorch-fid's Inception features between a real side (folder, pytorch-fid
 * {@code .npz}, or a dataset whose statistics are cached) and a fake side (folder, or the samples of a run or a
 * diffusers pipeline folder), with {@code FD_<dataset>} where the dataset's classifier fits them. Progress on stderr; {@code --json} prints one
 * JSON object on stdout.
 */
@Command(name = "fid", description = "FID and KID (pytorch-fid's Inception; KID as clean-fid) between --real (an image"
        + " folder, a pytorch-fid .npz with mu and sigma, or a dataset: a preset or source as eval fd --dataset takes"
        + " it, its first --n held-out images, statistics cached under WORKSPACE/" + FidEvaluation.CACHE_DIR + ")"
        + " and --fake (an image folder; a run: --n samples with its EMA weights; or a diffusers pipeline folder: --n"
        + " samples with its weights). With a dataset and a run or pipeline whose size the dataset's cached classifier"
        + " takes, also FD_<dataset> (and the class share of a conditional run),"
        + " which is not comparable with published FID.")
final class EvalFidCommand implements Callable<Integer> {
    @Option(names = "--real", required = true, paramLabel = "DIR|STATS.npz|DATASET", description = "the reference set")
    String real;

    @Option(names = "--fake", required = true, paramLabel = "DIR|RUN|MODEL", description = "the generated set: a"
            + " folder of images, or a run (name or folder) or a diffusers pipeline folder to sample")
    String fake;

    @Option(names = "--inception", paramLabel = "FILE", description = "the converted weights (default: WORKSPACE/"
            + InceptionWeights.DEFAULT_FILE + ")")
    Path inception;

    @Option(names = "--n", description = "samples of a run and images of a dataset (default: "
            + FidEvaluation.DEFAULT_N + "); for a folder its first N images in sorted order (default: all)")
    Integer n;

    @Mixin
    RunSamplingOptions sampling;

    @Mixin
    Common common;

    @Override
    public Integer call() throws Exception {
        Path ws = common.workspace().root();
        FidEvaluation.Real r = realSide();
        FidEvaluation.Fake f = fakeSide();
        Devices.DeviceInfo dev = null;
        if (f instanceof FidEvaluation.FakeRun fr) {
            dev = Devices.resolve(sampling.device != null ? sampling.device : fr.source().defaultDevice());
            System.err.println("Using " + dev.describe());
        }
        long t0 = System.nanoTime();
        FidEvaluation.Result res;
        try (InceptionFeatures ex = InceptionFeatures.open(ws, inception)) {
            res = FidEvaluation.evaluate(ws, ex, r, f, new FidEvaluation.Settings(n, sampling.sampler, sampling.steps,
                    sampling.guidance, sampling.seed,
                    dev), new Bars());
        } catch (UncheckedIOException e) {
            throw new IllegalArgumentException(e.getCause().getMessage(), e);
        }
        double total = (System.nanoTime() - t0) / 1e9;
        if (sampling.json) {
            printJson(res, total);
        } else {
            printText(res, total);
        }
        return 0;
    }

    private FidEvaluation.Real realSide() {
        Path p = Path.of(real);
        if (real.toLowerCase(Locale.ROOT).endsWith(".npz")) {
            return new FidEvaluation.RealStats(Common.existing(p, "--real"));
        }
        if (Files.isDirectory(p)) {
            return new FidEvaluation.RealFolder(p);
        }
        EvalCommand.DatasetOptions d = new EvalCommand.DatasetOptions();
        d.dataset = real;
        try {
            return new FidEvaluation.RealDataset(d.data(), real.strip());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--real " + real + ": not an image folder, not a .npz, and not a dataset"
                    + " (" + e.getMessage().replaceFirst("^--dataset \\S+: ", "") + ")", e);
        }
    }

    private FidEvaluation.Fake fakeSide() throws java.io.IOException {
        Path p = Path.of(fake);
        if (Files.isDirectory(p) && !Run.isRunFolder(p) && !io.ldmstudio.pipeline.PipelineFolder.looksLike(p)) {
            if (!sampling.pipelineSets.sets.isEmpty()) {
                throw new IllegalArgumentException("--set " + sampling.pipelineSets.sets.get(0) + ": --set is for a"
                        + " pipeline folder; --fake " + fake + " is a folder of images");
            }
            return new FidEvaluation.FakeFolder(p);
        }
        return new FidEvaluation.FakeRun(sampling.pipelineSets.source(fake, common::openRun));
    }

    /** One progress bar per phase, on stderr. */
    private static final class Bars implements FidEvaluation.Listener {
        private final Map<String, Progress> bars = new HashMap<>();

        @Override
        public void progress(String what, int done, int total) {
            bars.computeIfAbsent(what, w -> new Progress(System.err, w, total, "img", Progress.isTerminal()))
                    .update(done, "");
        }

        @Override
        public void message(String line) {
            System.err.println("  " + line);
        }
    }

    private static void printText(FidEvaluation.Result r, double total) {
        System.out.printf(Locale.ROOT, "FID = %.4f  (%d real, %d fake images)%n", r.fid(), r.real().images(),
                r.fake().images());
        r.warning().ifPresent(w -> System.out.println("warning: " + w));
        if (r.kid() != null) {
            System.out.printf(Locale.ROOT, "KID = %.6f ± %.6f  (%d subsets of %d)%n", r.kid().mean(), r.kid().std(),
                    r.kid().subsetValues().length, r.kid().subsetSize());
        } else {
            System.out.println("KID: " + r.kidNote());
        }
        if (r.fdMetric() != null) {
            System.out.printf(Locale.ROOT, "%s = %.4f  (not comparable with published FID)%n", r.fdMetric(), r.fd());
            if (r.share() != null) {
                System.out.printf(Locale.ROOT, "class share %.2f%% (%d of %d classified as the class asked for)%n",
                        100 * r.share().share(), r.share().correct(), r.share().total());
            }
        } else if (r.fdNote() != null) {
            System.out.println(r.fdNote());
        }
        System.out.println("real: " + r.real().description() + (r.real().cacheFile() == null ? ""
                : (r.real().cacheReused() ? "; cached statistics reused: " : "; statistics cached: ")
                        + r.real().cacheFile()));
        System.out.println("fake: " + r.fake().description() + (r.checkpointStep() > 0 ? ", checkpoint step "
                + r.checkpointStep() : ""));
        System.out.printf(Locale.ROOT, "time: real %.1f s, sampling %.1f s, fake features %.1f s, distances %.1f s,"
                + " total %.1f s%n", r.real().seconds(), r.sampleSeconds(), r.fake().seconds(), r.distanceSeconds(),
                total);
    }

    private static void printJson(FidEvaluation.Result r, double total) {
        ObjectNode o = new ObjectMapper().createObjectNode();
        o.put("fid", r.fid());
        r.warning().ifPresent(w -> o.put("warning", w));
        if (r.kid() != null) {
            o.put("kid", r.kid().mean());
            o.put("kid_std", r.kid().std());
            o.put("kid_subsets", r.kid().subsetValues().length);
            o.put("kid_subset_size", r.kid().subsetSize());
        } else {
            o.put("kid_note", r.kidNote());
        }
        if (r.fdMetric() != null) {
            o.put("fd_metric", r.fdMetric());
            o.put("fd", r.fd());
            if (r.share() != null) {
                o.put("class_share", r.share().share());
            }
        } else if (r.fdNote() != null) {
            o.put("fd_note", r.fdNote());
        }
        o.put("real", r.real().description());
        o.put("real_images", r.real().images());
        if (r.real().cacheFile() != null) {
            o.put("real_cache", r.real().cacheFile().toString());
            o.put("real_cache_reused", r.real().cacheReused());
        }
        o.put("fake", r.fake().description());
        o.put("fake_images", r.fake().images());
        if (r.checkpointStep() > 0) {
            o.put("checkpoint_step", r.checkpointStep());
        }
        o.put("real_seconds", r.real().seconds());
        o.put("sample_seconds", r.sampleSeconds());
        o.put("fake_feature_seconds", r.fake().seconds());
        o.put("distance_seconds", r.distanceSeconds());
        o.put("total_seconds", total);
        System.out.println(o.toString());
    }
}

package io.ldmstudio.service;

import io.ldmstudio.engine.Devices;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.config.SamplerKind;
import io.ldmstudio.diffusion.SchedulerConfig;
import io.ldmstudio.pipeline.Pipeline;
import io.ldmstudio.diffusion.NoiseSchedule;
import io.ldmstudio.nn.UNet2DModel;
import io.ldmstudio.nn.UNetConfig;
import io.ldmstudio.training.AdamW;
import io.ldmstudio.training.DiffusionTrainStep;
import io.ldmstudio.util.Rng;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The {@code bench} workload: builds the U-Net a bench file describes, trains {@code train_steps}
 * AdamW steps at {@code batch_size} on random latents after a warm-up, then DDIM-samples
 * {@code sample_batch} images with {@code ddim_steps}; reports speed and resident memory.
 */
public final class Benchmark {
    /** The bench file, as in {@code bench/standard.json}. */
    public record Spec(String name, int inChannels, int resolution, int modelChannels, List<Integer> channelMult,
            int numResBlocks, List<Integer> attentionResolutions, int numHeads, int normGroups, int timesteps,
            String schedule, double lr, double gradClip, int batchSize, int trainSteps, int ddimSteps,
            int sampleBatch, int threads) {

        public static Spec read(Path file) throws IOException {
            JsonNode n;
            try {
                n = new ObjectMapper().readTree(file.toFile());
            } catch (IOException e) {
                throw new IOException(file + ": not a readable bench JSON file (" + e.getMessage() + ")", e);
            }
            return new Spec(n.path("name").asText(file.getFileName().toString()),
                    req(n, "in_channels", file).asInt(), req(n, "resolution", file).asInt(),
                    req(n, "model_channels", file).asInt(), ints(req(n, "channel_mult", file)),
                    req(n, "num_res_blocks", file).asInt(), ints(req(n, "attention_resolutions", file)),
                    req(n, "num_heads", file).asInt(), n.path("norm_groups").asInt(32),
                    n.path("timesteps").asInt(1000), n.path("schedule").asText("cosine"), n.path("lr").asDouble(2e-4),
                    n.path("grad_clip").asDouble(1.0), req(n, "batch_size", file).asInt(),
                    req(n, "train_steps", file).asInt(), req(n, "ddim_steps", file).asInt(),
                    req(n, "sample_batch", file).asInt(), n.path("threads").asInt(0));
        }

        private static JsonNode req(JsonNode n, String key, Path file) throws IOException {
            if (!n.hasNonNull(key)) {
                throw new IOException(file + ": missing key '" + key + "'");
            }
            return n.get(key);
        }

        private static List<Integer> ints(JsonNode a) {
            List<Integer> out = new ArrayList<>();
            a.forEach(x -> out.add(x.asInt()));
            return out;
        }

        public RunConfig.Model model() {
            return new RunConfig.Model(modelChannels, channelMult, numResBlocks, attentionResolutions, numHeads,
                    normGroups, 0.0);
        }
    }

    private Benchmark() {}

    /**
     * Runs the workload once on the CPU-or-chosen device and returns the figures.
     *
     * @param progress receives one line per phase (may be a no-op)
     */
    public static Map<String, Object> run(Spec spec, Devices.DeviceInfo device, Consumer<String> progress) {
        UNetConfig uc = UNetConfig.of(spec.model(), spec.inChannels(), spec.resolution());
        UNet2DModel unet = new UNet2DModel(uc);
        RunConfig.Diffusion diffusion = new RunConfig.Diffusion(spec.timesteps(), spec.schedule(), 1e-4, 0.02, "epsilon");
        NoiseSchedule schedule = NoiseSchedule.fromConfig(diffusion);
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("name", spec.name());
        out.put("params", unet.parameterCount());
        out.put("device", device.device().toString());
        out.put("engine", device.engine() + " " + device.engineVersion());
        out.put("threads", device.threads());
        long rssStart = Memory.rssMb();
        try (NDManager manager = NDManager.newBaseManager(device.device())) {
            unet.initialize(manager, new Rng(0), true);
            AdamW opt = new AdamW(unet, manager, 0.9, 0.999, 1e-8, 0.01);
            DiffusionTrainStep step = new DiffusionTrainStep(unet, manager, schedule, opt, null, spec.gradClip(), 0);
            Shape shape = new Shape(spec.batchSize(), spec.inChannels(), spec.resolution(), spec.resolution());
            float[] x0 = new Rng(1).gaussians(Math.toIntExact(shape.size()));
            int warmup = 3;
            progress.accept("warm-up: " + warmup + " steps");
            for (int i = 1; i <= warmup; i++) {
                step.run(i, x0, shape, spec.lr());
            }
            long rssAfterWarmup = Memory.rssMb();
            progress.accept("training: " + spec.trainSteps() + " steps at batch " + spec.batchSize());
            double[] ms = new double[spec.trainSteps()];
            long[] rss = new long[spec.trainSteps()];
            long t0 = System.nanoTime();
            for (int i = 0; i < spec.trainSteps(); i++) {
                long s = System.nanoTime();
                step.run(warmup + 1 + i, x0, shape, spec.lr());
                ms[i] = (System.nanoTime() - s) / 1e6;
                rss[i] = Memory.rssMb();
            }
            double trainSeconds = java.util.Arrays.stream(ms).sum() / 1e3; // step time only, not the RSS reads between
            double wallSeconds = (System.nanoTime() - t0) / 1e9;
            long rssAfterTrain = Memory.rssMb();
            out.put("train_steps", spec.trainSteps());
            out.put("batch_size", spec.batchSize());
            out.put("train_steps_per_s", round(spec.trainSteps() / trainSeconds, 3));
            out.put("train_step_ms_median", round(median(ms), 1));
            out.put("images_per_s", round(spec.trainSteps() * spec.batchSize() / trainSeconds, 1));
            out.put("train_wall_seconds", round(wallSeconds, 2));

            progress.accept("sampling: DDIM-" + spec.ddimSteps() + " of " + spec.sampleBatch() + " images");
            // the pipeline every caller samples through, with the latents left undecoded (no autoencoder)
            Pipeline pipeline = Pipeline.of(unet, SchedulerConfig.forStudio(diffusion, "ddim", false), null, spec.name());
            long s0 = System.nanoTime();
            try {
                pipeline.generate(new Pipeline.Request(SamplerKind.DDIM, spec.ddimSteps(), 0, 7, spec.sampleBatch(), null),
                        manager, null, () -> false);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e); // nothing is read: the network is in memory
            }
            double ddimSeconds = (System.nanoTime() - s0) / 1e9;
            out.put("ddim_steps", spec.ddimSteps());
            out.put("sample_batch", spec.sampleBatch());
            out.put("ddim_seconds", round(ddimSeconds, 3));
            out.put("rss_start_mb", rssStart);
            out.put("rss_after_warmup_mb", rssAfterWarmup);
            out.put("rss_growth_during_training_mb", rssAfterTrain - rssAfterWarmup);
            // flat memory: what the second half of the timed steps added, after allocator caches filled
            int half = spec.trainSteps() / 2;
            out.put("rss_growth_second_half_mb", rss[spec.trainSteps() - 1] - rss[Math.max(0, half - 1)]);
            opt.close();
            unet.close();
        }
        out.put("peak_rss_mb", Memory.peakRssMb());
        return out;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        int n = s.length;
        return n == 0 ? Double.NaN : n % 2 == 1 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    }

    static double round(double v, int places) {
        double f = Math.pow(10, places);
        return Math.round(v * f) / f;
    }

    /** Reads this process's resident set (Linux /proc; -1 elsewhere). */
    public static final class Memory {
        private Memory() {}

        public static long rssMb() {
            return statusKb("VmRSS:") / 1024;
        }

        public static long peakRssMb() {
            return statusKb("VmHWM:") / 1024;
        }

        private static long statusKb(String key) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                    if (line.startsWith(key)) {
                        return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
                    }
                }
            } catch (IOException | RuntimeException e) {
                return -1024;
            }
            return -1024;
        }
    }
}

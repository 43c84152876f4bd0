package io.ldmstudio.training;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ldmstudio.engine.Devices;
import io.ldmstudio.pipeline.Pipeline;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.Workspace;
import io.ldmstudio.service.SamplingService;
import io.ldmstudio.ui.StudioFixture;
import io.ldmstudio.util.Rng;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link ConditioningRoutesLearnTest}'s two-mode toy for the cross-attention route, through the run machinery
 * instead of a hand-made loop: a folder of two classes ({@code dark}: 8×8 grey images at −0.8, {@code light}: at
 * +0.8, each pixel ± 0.05), {@code conditioning.type cross_attention} with the network of that test's route B
 * (cross-attention at the first level and in the middle), trained by the {@link Trainer} (the data loader, label
 * dropping, EMA, checkpoints), then sampled from the run's checkpoint (EMA weights) by {@link SamplingService} at
 * w = 3: ≥ 95 % of a label's samples on its side, the null class giving both. The learning rate decays (cosine)
 * and the EMA averages the last steps: with a constant 2e-3 and the raw weights, the result swung from step to
 * step (38/40 of label 0 on its side after 900 steps, 33/40 and 22/40 of label 1 after 1,500).
 */
class CrossAttentionRunLearnsTest {
    static final int STEPS = ConditioningRoutesLearnTest.STEPS;

    @TempDir
    Path tmp;

    static Path twoModes(Path dir) throws Exception {
        Rng rng = new Rng(3);
        for (String cls : List.of("dark", "light")) {
            Path sub = Files.createDirectories(dir.resolve(cls));
            for (int k = 0; k < 48; k++) {
                BufferedImage img = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
                for (int y = 0; y < 8; y++) {
                    for (int x = 0; x < 8; x++) {
                        double v = (cls.equals("dark") ? -0.8 : 0.8) + 0.05 * rng.nextGaussian();
                        int g = (int) Math.round((v + 1) / 2 * 255);
                        img.getRaster().setSample(x, y, 0, Math.max(0, Math.min(255, g)));
                    }
                }
                ImageIO.write(img, "png", sub.resolve("img" + k + ".png").toFile());
            }
        }
        return dir;
    }

    @Test
    void theCrossAttentionRouteLearnsTheTwoModeToyThroughARun() throws Exception {
        Path data = twoModes(tmp.resolve("data"));
        Run run = new Workspace(tmp.resolve("ws")).create("toy", StudioFixture.tinyConfig(
                "data.source=folder", "data.path=" + data, "data.resolution=8", "data.channels=1", "data.flip=false",
                "model.model_channels=16", "model.channel_mult=1,2", "model.num_res_blocks=1",
                "model.attention_resolutions=1", "model.num_heads=0", "model.head_dim=8", "model.norm_groups=8",
                "diffusion.schedule=cosine", "optim.lr=2e-3", "optim.lr_schedule=cosine", "optim.min_lr=1e-4",
                "optim.warmup_steps=30", "optim.batch_size=32", "optim.steps=" + STEPS,
                "optim.ema_decay=0.99", "optim.weight_decay=0", "logging.log_every=100", "logging.sample_every=100000",
                "logging.checkpoint_every=100000", "conditioning.type=cross_attention", "conditioning.drop_prob=0.1",
                "conditioning.cross_attention_dim=16", "conditioning.guidance=3"));
        Trainer trainer = new Trainer(run, Devices.resolve("cpu"));
        assertEquals(Trainer.Outcome.FINISHED, trainer.run(new TrainingControl()), trainer.failure());
        assertEquals(List.of("dark", "light"), run.classNames());

        int n = 40;
        double[][] means = new double[3][];
        for (int which = 0; which < 3; which++) {
            Pipeline.Condition c = ConditioningRoutesLearnTest.condition(which, n);
            SamplingService.Result r = SamplingService.sample(run, new SamplingService.Request("ddim", 20, 0, 11, n, true,
                    0, c), Devices.resolve("cpu"), null, () -> false);
            means[which] = r.images().stream().mapToDouble(img -> {
                double sum = 0;
                for (float v : img) {
                    sum += v;
                }
                return sum / img.length;
            }).toArray();
        }
        System.err.println(ConditioningRoutesLearnTest.check("cross-attention run", means));
    }
}

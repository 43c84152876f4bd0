package io.ldmstudio.training;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ldmstudio.config.ConfigResolver;
import io.ldmstudio.config.Presets;
import io.ldmstudio.config.RunConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The advice after a non-finite step fits the run: no "add a clip" to a run that clips already. */
class NonFiniteAdviceTest {
    private static RunConfig.Optim optim(String... set) {
        return ConfigResolver.resolve(Presets.classpath(), "quickstart", List.of(set)).optim();
    }

    @Test
    void aRunThatClipsIsToldToLowerItsLearningRate() {
        RunConfig.Optim o = optim("optim.grad_clip=1.0", "optim.lr=2e-4", "optim.warmup_steps=100");
        assertEquals("resume from it with a lower learning rate (optim.lr=2.00e-05; gradients are already clipped at "
                + "norm 1.00) or a longer optim.warmup_steps", Trainer.advice(o, 500));
    }

    @Test
    void aRunWithoutAClipIsToldToClipFirst() {
        RunConfig.Optim o = optim("optim.grad_clip=0", "optim.lr=1e-3");
        assertEquals("start it again with gradient clipping (optim.grad_clip=1.0) or a lower learning rate "
                + "(optim.lr=0.000100)", Trainer.advice(o, 0));
    }
}

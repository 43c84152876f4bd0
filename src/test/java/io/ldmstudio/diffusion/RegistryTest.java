package io.ldmstudio.diffusion;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.ldmstudio.config.BetaSchedule;
import io.ldmstudio.config.ConfigException;
import io.ldmstudio.config.ConfigResolver;
import io.ldmstudio.config.ConfigValidator;
import io.ldmstudio.config.Presets;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.config.SamplerKind;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The one registry of samplers and schedules, and everything that reads it agreeing with it. */
class RegistryTest {
    static RunConfig config(String... o) {
        return ConfigResolver.resolve(Presets.classpath(), "quickstart", List.of(o));
    }

    @Test
    void everySamplerKindIsMadeByTheFactoryAndAcceptedByValidation() {
        NoiseSchedule s = NoiseSchedule.linear(1000);
        for (SamplerKind k : SamplerKind.values()) {
            Sampler sampler = Samplers.create(k.key, s, 0.5, false);
            assertEquals(k.key, sampler.name());
            assertTrue(SchedulerConfig.CLASSES.contains(k.diffusersClass), k.diffusersClass);
            ConfigValidator.check(config("sampling.sampler=" + k.key)); // no exception
        }
        assertEquals(SamplerKind.keys(), Samplers.NAMES);
        assertEquals(SamplerKind.keys(), ConfigValidator.CHOICES.get("sampling.sampler"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Samplers.create("euler", s, 0, false));
        assertEquals("sampling.sampler: unknown sampler 'euler'; expected one of ddpm, ddim, dpmpp", e.getMessage());
        assertThrows(ConfigException.class, () -> ConfigValidator.check(config("sampling.sampler=euler")));
    }

    /** Each schedule's diffusers name gives the betas the studio trains with, read back through a scheduler config. */
    @Test
    void everyBetaScheduleHasTheDiffusersNameOfItsBetas() {
        for (BetaSchedule b : BetaSchedule.values()) {
            RunConfig c = config("diffusion.schedule=" + b.key, "diffusion.timesteps=200");
            NoiseSchedule own = NoiseSchedule.fromConfig(c.diffusion());
            String json = "{\"_class_name\": \"DDPMScheduler\", \"num_train_timesteps\": 200, \"beta_schedule\": \""
                    + b.diffusersName + "\", \"beta_start\": " + c.diffusion().betaStart() + ", \"beta_end\": "
                    + c.diffusion().betaEnd() + "}";
            double[] theirs = SchedulerConfig.parse(json, "test").noiseSchedule().betas();
            assertArrayEquals(own.betas(), theirs, 1e-12, b.key);
        }
        assertEquals(BetaSchedule.keys(), ConfigValidator.CHOICES.get("diffusion.schedule"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> NoiseSchedule.fromConfig(new RunConfig.Diffusion(1000, "sigmoid", 1e-4, 0.02, "epsilon")));
        assertEquals("diffusion.schedule: unknown schedule 'sigmoid'; expected one of linear, cosine, quadratic", e.getMessage());
    }
}

package io.ldmstudio.service;

import io.ldmstudio.engine.Devices;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.ldmstudio.config.RunConfig;
import java.io.IOException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The thread that owns a loaded model, and the two services built on it. */
class ModelThreadTest {
    @Test
    void loadingFreesTheModelHeldAndCloseFreesTheLastOnceEvenWhenCalledAgain() throws Exception {
        List<String> freed = new CopyOnWriteArrayList<>();
        ModelThread<String> t = new ModelThread<>("test-model-thread", Thread.NORM_PRIORITY, freed::add);
        NDManager[] managers = new NDManager[2];
        t.submit(() -> {
            t.load(Device.cpu(), m -> {
                managers[0] = m;
                return "a";
            });
            return null;
        }).get();
        assertEquals("a", t.submit(t::model).get());
        t.submit(() -> t.load(Device.cpu(), m -> {
            managers[1] = m;
            return "b";
        })).get();
        assertEquals(List.of("a"), freed);
        assertTrue(!managers[0].isOpen() && managers[1].isOpen(), "the old model's manager is closed");

        t.close();
        assertDoesNotThrow(t::close);
        assertThrows(RejectedExecutionException.class, () -> t.submit(() -> null));
        for (int i = 0; i < 100 && freed.size() < 2; i++) {
            TimeUnit.MILLISECONDS.sleep(20);
        }
        assertEquals(List.of("a", "b"), freed);
        assertTrue(!managers[1].isOpen());
    }

    @Test
    void aFailedLoadClosesItsManagerAndHoldsNothing() throws Exception {
        ModelThread<String> t = new ModelThread<>("test-model-thread", Thread.NORM_PRIORITY, s -> {});
        NDManager[] manager = new NDManager[1];
        ExecutionException e = assertThrows(ExecutionException.class, () -> t.submit(() -> t.load(Device.cpu(), m -> {
            manager[0] = m;
            throw new IOException("no weights");
        })).get());
        assertEquals("no weights", e.getCause().getMessage());
        assertTrue(!manager[0].isOpen());
        assertNull(t.submit(t::model).get());
        assertNull(t.submit(t::manager).get());
        t.close();
    }

    @Test
    void theSessionAndTheDecoderCloseTwice() {
        AutoencoderSession session = new AutoencoderSession(() -> Devices.resolve("cpu"));
        session.close();
        assertDoesNotThrow(session::close);
        io.ldmstudio.pipeline.Pipeline latent = io.ldmstudio.pipeline.Pipeline.assemble(
                io.ldmstudio.nn.UNetConfig.of(new RunConfig.Model(32, java.util.List.of(1), 1, java.util.List.of(), 1, 8, 0.0), 4, 8),
                null, io.ldmstudio.diffusion.SchedulerConfig.forStudio(
                        new RunConfig.Diffusion(1000, "linear", 1e-4, 0.02, "epsilon"), "ddim", false),
                new io.ldmstudio.pipeline.Pipeline.Autoencoder("AutoencoderKL", 8, 4, 3, 0.18215, m -> {
                    throw new java.io.IOException("never loaded here");
                }), "test");
        LatentDecoder decoder = new LatentDecoder(latent, Devices.resolve("cpu"));
        decoder.close();
        assertDoesNotThrow(decoder::close);
    }
}

package io.ldmstudio.nn;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.ldmstudio.config.RunConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

class UNet2DModelTest {
    @Test
    void standardBenchmarkShapeHasTheReferenceParameterCount() {
        RunConfig.Model m = new RunConfig.Model(64, List.of(1, 2, 2), 2, List.of(2, 4), 4, 32, 0.0);
        UNet2DModel unet = new UNet2DModel(UNetConfig.of(m, 4, 16));
        assertEquals(6_804_868L, unet.parameterCount());
    }
}

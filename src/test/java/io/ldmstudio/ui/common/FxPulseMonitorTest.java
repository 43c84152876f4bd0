package io.ldmstudio.ui.common;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testfx.api.FxToolkit;

class FxPulseMonitorTest {
    @BeforeAll
    static void toolkit() throws Exception {
        FxToolkit.registerPrimaryStage(); // an AnimationTimer needs the FX toolkit
    }

    @Test
    void recordsTheLongestGapAndPercentilesBetweenPulses() {
        FxPulseMonitor m = new FxPulseMonitor();
        long t = 1_000_000_000L;
        m.pulse(t);
        for (int i = 0; i < 98; i++) {
            t += 16_000_000L; // 16 ms
            m.pulse(t);
        }
        t += 250_000_000L; // one 250 ms stall
        m.pulse(t);
        t += 20_000_000L;
        m.pulse(t);
        assertEquals(100, m.count());
        assertEquals(250.0, m.maxGapMillis(), 1e-9);
        assertEquals(16.0, m.percentileMillis(50), 1e-9);
        assertEquals(20.0, m.percentileMillis(99), 1e-9);
        assertEquals(250.0, m.percentileMillis(100), 1e-9);
        assertEquals((98 * 16 + 250 + 20) / 100.0, m.meanGapMillis(), 1e-9);
        assertTrue(m.summary().startsWith("100 pulses: longest gap 250.0 ms, p99 20.0 ms"), m.summary());
    }

    @Test
    void countsRealPulses() throws Exception {
        FxPulseMonitor m = new FxPulseMonitor();
        FxToolkit.setupFixture(m::start);
        Thread.sleep(600);
        FxToolkit.setupFixture(m::stop);
        assertTrue(m.count() >= 5, "pulses in 0.6 s: " + m.count());
        assertTrue(m.percentileMillis(50) >= 5 && m.percentileMillis(50) < 200, "median gap " + m.percentileMillis(50));
    }
}

package io.ldmstudio.ui.common;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.Locale;
import javafx.animation.AnimationTimer;

/**
 * Measures how smoothly the FX thread keeps up: an {@link AnimationTimer} notes the time between
 * consecutive pulses (nominally 1/60 s), so a long gap means the FX thread was busy (or starved) for
 * that long — what a user feels as a frozen window. Start and stop it on the FX thread; read it from
 * any thread.
 */
public final class FxPulseMonitor {
    private static final int KEEP = 1 << 16;

    private final long[] gaps = new long[KEEP];
    private final AnimationTimer timer = new AnimationTimer() {
        @Override
        public void handle(long now) {
            pulse(now);
        }
    };
    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final long[] at = new long[KEEP];
    private long first = -1;
    private long last = -1;
    private long lastCpu = -1;
    private long maxBusy;
    private long count;
    private long max;
    private long total;

    /** Starts listening to pulses (FX thread); counts restart. */
    public void start() {
        synchronized (this) {
            first = -1;
            last = -1;
            lastCpu = -1;
            maxBusy = 0;
            count = 0;
            max = 0;
            total = 0;
        }
        timer.start();
    }

    /** Stops listening (FX thread); the figures stay readable. */
    public void stop() {
        timer.stop();
    }

    /** One pulse at {@code now} (nanoseconds); the timer calls it, tests may too. */
    synchronized void pulse(long now) {
        long cpu = threads.isCurrentThreadCpuTimeSupported() ? threads.getCurrentThreadCpuTime() : -1;
        if (last >= 0 && cpu >= 0 && lastCpu >= 0) {
            maxBusy = Math.max(maxBusy, cpu - lastCpu);
        }
        lastCpu = cpu;
        if (first < 0) {
            first = now;
        }
        if (last >= 0) {
            long gap = now - last;
            gaps[(int) (count % KEEP)] = gap;
            at[(int) (count % KEEP)] = last - first;
            count++;
            total += gap;
            max = Math.max(max, gap);
        }
        last = now;
    }

    /** Gaps measured so far. */
    public synchronized long count() {
        return count;
    }

    /** The longest gap between two pulses, in milliseconds (0 before two pulses). */
    public synchronized double maxGapMillis() {
        return max / 1e6;
    }

    /**
     * The most CPU time the FX thread itself used between two pulses, in milliseconds: how much of
     * a long gap was the application's own work (the rest is waiting — for the renderer, the garbage
     * collector, or a CPU shared with other work). 0 where the JVM cannot measure thread CPU time.
     */
    public synchronized double maxBusyMillis() {
        return maxBusy / 1e6;
    }

    /** The mean gap, in milliseconds. */
    public synchronized double meanGapMillis() {
        return count == 0 ? 0 : total / 1e6 / count;
    }

    /**
     * The {@code p}-th percentile gap (0 &lt; p ≤ 100) in milliseconds, over the last 65,536 gaps
     * (nearest rank).
     */
    public synchronized double percentileMillis(double p) {
        int n = (int) Math.min(count, KEEP);
        if (n == 0) {
            return 0;
        }
        long[] sorted = Arrays.copyOf(gaps, n);
        Arrays.sort(sorted);
        int rank = (int) Math.ceil(Math.max(0, Math.min(100, p)) / 100.0 * n);
        return sorted[Math.max(0, Math.min(n - 1, rank - 1))] / 1e6;
    }

    /**
     * The {@code n} longest gaps (of the last 65,536), longest first, each as "gap ms at t s" where t is
     * when the gap began, in seconds since {@link #start}: to line them up with what the application
     * was doing then.
     */
    public synchronized java.util.List<String> longest(int n) {
        int kept = (int) Math.min(count, KEEP);
        Integer[] order = new Integer[kept];
        for (int i = 0; i < kept; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> Long.compare(gaps[b], gaps[a]));
        java.util.List<String> out = new java.util.ArrayList<>();
        for (int i = 0; i < Math.min(n, kept); i++) {
            out.add(String.format(Locale.ROOT, "%.1f ms at %.2f s", gaps[order[i]] / 1e6, at[order[i]] / 1e9));
        }
        return out;
    }

    /** One line: pulses, longest gap, 99th and 50th percentile, the FX thread's own longest stretch. */
    public String summary() {
        return String.format(Locale.ROOT, "%d pulses: longest gap %.1f ms, p99 %.1f ms, median %.1f ms, mean %.1f ms; "
                + "FX thread's own CPU between two pulses at most %.1f ms",
                count(), maxGapMillis(), percentileMillis(99), percentileMillis(50), meanGapMillis(), maxBusyMillis());
    }
}

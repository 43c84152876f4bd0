package io.ldmstudio.ui.training;

import java.util.ArrayDeque;
import java.util.Locale;

/**
 * Time left for a run from its recent pace: steps per wall-clock second over the last
 * {@code windowSeconds} (so sample grids and checkpoints count, and a pause does not — call
 * {@link #reset()} when the run pauses).
 */
public final class EtaEstimator {
    private record Mark(long nanos, long step) {}

    private final ArrayDeque<Mark> marks = new ArrayDeque<>();
    private final long windowNanos;

    public EtaEstimator(double windowSeconds) {
        this.windowNanos = (long) (windowSeconds * 1e9);
    }

    public void reset() {
        marks.clear();
    }

    /** Notes that {@code step} was reached at {@code nanos} ({@link System#nanoTime()}). */
    public void mark(long step, long nanos) {
        Mark last = marks.peekLast();
        if (last != null && step < last.step()) {
            marks.clear();
        }
        marks.addLast(new Mark(nanos, step));
        while (marks.size() > 2 && nanos - marks.peekFirst().nanos() > windowNanos) {
            marks.removeFirst();
        }
    }

    /** Steps per second lately; NaN until two marks some time apart. */
    public double stepsPerSecond() {
        if (marks.size() < 2) {
            return Double.NaN;
        }
        Mark a = marks.peekFirst();
        Mark b = marks.peekLast();
        double secs = (b.nanos() - a.nanos()) / 1e9;
        return secs > 0 && b.step() > a.step() ? (b.step() - a.step()) / secs : Double.NaN;
    }

    /** Seconds until {@code totalSteps}; NaN if the pace is not known yet. */
    public double secondsLeft(long totalSteps) {
        Mark b = marks.peekLast();
        double rate = stepsPerSecond();
        if (b == null || Double.isNaN(rate)) {
            return Double.NaN;
        }
        return Math.max(0, totalSteps - b.step()) / rate;
    }

    /** {@code 45s}, {@code 3m 12s}, {@code 2h 05m}; an em dash when unknown. */
    public static String format(double seconds) {
        if (!Double.isFinite(seconds) || seconds < 0) {
            return "—";
        }
        long s = Math.round(seconds);
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format(Locale.ROOT, "%dm %02ds", s / 60, s % 60);
        }
        return String.format(Locale.ROOT, "%dh %02dm", s / 3600, (s % 3600) / 60);
    }
}

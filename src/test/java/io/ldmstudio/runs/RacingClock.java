package io.ldmstudio.runs;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A fixed clock that does something once, when it is read for the {@code n}-th time: lets a test
 * act at a known moment inside code that reads the clock (another process creating the same run
 * between a check and a rename, say).
 */
public final class RacingClock extends Clock {
    /** What to do; may throw. */
    @FunctionalInterface
    public interface Action {
        void run() throws Exception;
    }

    private final int n;
    private final Action action;
    private int reads;

    public RacingClock(int n, Action action) {
        this.n = n;
        this.action = action;
    }

    /** How often {@link #instant()} has been called. */
    public int reads() {
        return reads;
    }

    @Override
    public Instant instant() {
        if (++reads == n) {
            try {
                action.run();
            } catch (Exception e) {
                throw new IllegalStateException("the racing action failed", e);
            }
        }
        return Instant.parse("2026-12-01T12:00:00Z");
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        return this;
    }
}

package io.ldmstudio.cli;

import java.io.PrintStream;
import java.util.Locale;

/**
 * A progress display for long work: on a terminal a bar redrawn in place with rate and ETA; otherwise
 * (a pipe, a log file, CI) a plain line at most every few seconds and at the end.
 */
public final class Progress {
    private final PrintStream out;
    private final String label;
    private final long total;
    private final boolean tty;
    private final String unit;
    private final long startNanos = System.nanoTime();
    private long lastPrintNanos;
    private long startCount = -1;
    private int lastWidth;

    public Progress(PrintStream out, String label, long total, String unit, boolean tty) {
        this.out = out;
        this.label = label;
        this.total = Math.max(1, total);
        this.unit = unit;
        this.tty = tty;
    }

    /** True when stdout is an interactive terminal. */
    public static boolean isTerminal() {
        return System.console() != null && System.getenv("CI") == null;
    }

    /** @param done items done so far (may start above 0 after a resume); suffix e.g. "loss 0.031" */
    public synchronized void update(long done, String suffix) {
        long now = System.nanoTime();
        if (startCount < 0) {
            startCount = done;
        }
        boolean last = done >= total;
        long interval = tty ? 100_000_000L : 5_000_000_000L;
        if (!last && now - lastPrintNanos < interval) {
            return;
        }
        lastPrintNanos = now;
        double secs = (now - startNanos) / 1e9;
        double rate = secs > 0 ? (done - startCount) / secs : 0;
        String eta = rate > 0 ? formatDuration((total - done) / rate) : "--:--";
        String text = String.format(Locale.ROOT, "%s %d/%d %.2f %s/s ETA %s%s", label, done, total, rate, unit, eta,
                suffix == null || suffix.isEmpty() ? "" : "  " + suffix);
        if (tty) {
            int width = 30;
            int filled = (int) Math.round(width * Math.min(1.0, (double) done / total));
            String bar = "[" + "#".repeat(filled) + " ".repeat(width - filled) + "] ";
            String line = bar + text;
            int pad = Math.max(0, lastWidth - line.length());
            out.print("\r" + line + " ".repeat(pad));
            lastWidth = line.length();
            if (last) {
                out.println();
            }
        } else {
            out.println(text);
        }
        out.flush();
    }

    /** Prints a line of its own without breaking the bar (which is redrawn on the next update). */
    public synchronized void message(String line) {
        if (tty && lastWidth > 0) {
            out.print("\r" + " ".repeat(lastWidth) + "\r");
            lastWidth = 0;
            lastPrintNanos = 0;
        }
        out.println(line);
        out.flush();
    }

    /** Ends an in-place bar with a newline (so later lines don't overwrite it). */
    public synchronized void finish() {
        if (tty && lastWidth > 0) {
            out.println();
            lastWidth = 0;
        }
    }

    static String formatDuration(double seconds) {
        long s = Math.max(0, Math.round(seconds));
        if (s >= 3600) {
            return String.format(Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
        }
        return String.format(Locale.ROOT, "%02d:%02d", s / 60, s % 60);
    }
}

package io.ldmstudio.ui.denoising;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * Which steps of a trajectory go into a figure, as typed by the user: {@code every 10} (steps 0, 10,
 * 20, … and always the last one, so the figure ends on the finished sample) or a list of step indices
 * {@code 0, 10, 25, 49} (0-based, as the scrubber counts; duplicates are dropped, order kept sorted).
 */
public final class StepSelection {
    /** At most this many frames in one strip. */
    public static final int MAX_FRAMES = 64;

    private StepSelection() {}

    /** The parsed steps, or the one-line reason they cannot be used. */
    public record Result(List<Integer> steps, String error) {
        public boolean ok() {
            return error == null;
        }
    }

    /** Parses {@code text} against a trajectory of {@code frames} steps (indices 0..frames−1). */
    public static Result parse(String text, int frames) {
        String s = text == null ? "" : text.strip().toLowerCase(Locale.ROOT);
        if (s.isEmpty()) {
            return error("type the steps: \"every 10\" or a list such as \"0,10,25,49\"");
        }
        if (frames < 1) {
            return error("generate a trajectory first");
        }
        if (s.startsWith("every")) {
            String k = s.substring(5).strip().replaceAll("(st|nd|rd|th)$", "").strip();
            int every;
            try {
                every = Integer.parseInt(k);
            } catch (NumberFormatException e) {
                return error("\"" + text.strip() + "\": expected \"every K\" with a whole number K ≥ 1");
            }
            if (every < 1) {
                return error("\"every " + every + "\": K must be at least 1");
            }
            TreeSet<Integer> steps = new TreeSet<>();
            for (int i = 0; i < frames; i += every) {
                steps.add(i);
            }
            steps.add(frames - 1);
            if (steps.size() > MAX_FRAMES) {
                return error("every " + every + " gives " + steps.size() + " frames; at most " + MAX_FRAMES
                        + " fit a strip — take a larger K");
            }
            return new Result(List.copyOf(steps), null);
        }
        TreeSet<Integer> steps = new TreeSet<>();
        List<String> bad = new ArrayList<>();
        List<String> outside = new ArrayList<>();
        for (String part : s.split("[,;\\s]+")) {
            if (part.isEmpty()) {
                continue;
            }
            try {
                int i = Integer.parseInt(part);
                if (i < 0 || i >= frames) {
                    outside.add(part);
                } else {
                    steps.add(i);
                }
            } catch (NumberFormatException e) {
                bad.add(part);
            }
        }
        if (!bad.isEmpty()) {
            return error("\"" + String.join("\", \"", bad) + "\" " + (bad.size() == 1 ? "is" : "are")
                    + " not a step number; use \"every K\" or numbers separated by commas");
        }
        if (!outside.isEmpty()) {
            return error("step " + String.join(", ", outside) + " is outside 0–" + (frames - 1) + " (the trajectory has "
                    + frames + " steps)");
        }
        if (steps.isEmpty()) {
            return error("no steps given");
        }
        if (steps.size() > MAX_FRAMES) {
            return error(steps.size() + " steps; at most " + MAX_FRAMES + " fit a strip");
        }
        return new Result(List.copyOf(steps), null);
    }

    private static Result error(String message) {
        return new Result(List.of(), message);
    }
}

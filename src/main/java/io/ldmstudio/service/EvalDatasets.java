package io.ldmstudio.service;

import io.ldmstudio.config.ConfigResolver;
import io.ldmstudio.config.Presets;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.data.Sources;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The datasets an evaluation can score against, named as {@code --dataset} names them: a shipped preset (its data
 * section) or a source kind with its defaults ({@code idx}: Fashion-MNIST, 28 px gray; the others 32 px RGB).
 */
public final class EvalDatasets {
    private EvalDatasets() {}

    /**
     * The data {@code name} stands for; an unknown name is refused naming {@code option} and what is known.
     * The source's own defaults (path, centre crop) are kept; flip, limit and workers are off.
     */
    public static RunConfig.Data named(String name, String option) {
        String n = name == null ? "" : name.strip();
        String kind = n.toLowerCase(Locale.ROOT);
        if (Sources.KINDS.contains(kind)) {
            boolean gray = kind.equals("idx");
            return new RunConfig.Data(kind, null, gray ? 28 : 32, gray ? 1 : 3, true, false, 0, 0);
        }
        Presets presets = Presets.standard();
        if (!presets.names().contains(n)) {
            throw new IllegalArgumentException(option + " " + n + ": neither a preset nor a source; sources: "
                    + String.join(", ", Sources.KINDS) + "; presets: " + String.join(", ", presets.names()));
        }
        RunConfig.Data d = ConfigResolver.resolve(presets, n, List.of()).data();
        return new RunConfig.Data(d.source(), d.path(), d.resolution(), d.channels(), d.centerCrop(), false, 0,
                d.workers());
    }

    /** A dataset by name, with its data. */
    public record Named(String name, RunConfig.Data data) {}

    /**
     * The presets (in their order) and then the source kinds whose data makes {@code channels} × {@code size} px
     * images, so their classifier takes the samples; {@code folder}, which needs a path, is left out.
     */
    public static List<Named> fitting(int channels, int size) {
        List<Named> out = new ArrayList<>();
        Presets presets = Presets.standard();
        for (String p : presets.names()) {
            RunConfig.Data d;
            try {
                d = named(p, "preset");
            } catch (RuntimeException e) {
                continue;
            }
            if (d.channels() == channels && d.resolution() == size) {
                out.add(new Named(p, d));
            }
        }
        for (String k : Sources.KINDS) {
            if (k.equals("folder")) {
                continue;
            }
            RunConfig.Data d = named(k, "source");
            if (d.channels() == channels && d.resolution() == size) {
                out.add(new Named(k, d));
            }
        }
        return out;
    }
}

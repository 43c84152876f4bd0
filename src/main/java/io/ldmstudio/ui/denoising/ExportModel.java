package io.ldmstudio.ui.denoising;

import io.ldmstudio.runs.Run;
import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.common.FxImages;
import io.ldmstudio.ui.common.UiErrors;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import javafx.animation.PauseTransition;
import javafx.beans.binding.Bindings;
import javafx.beans.binding.BooleanBinding;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.beans.value.ObservableBooleanValue;
import javafx.beans.value.ObservableIntegerValue;
import javafx.beans.value.ObservableObjectValue;
import javafx.beans.value.ObservableStringValue;
import javafx.scene.image.Image;
import javafx.util.Duration;

/**
 * The Denoising pane's report exports: which steps ({@link StepSelection}) and rows go into a figure, its scale,
 * a preview of the strip, and writing the strip, the GIF or every frame ({@link Exports}) in the background.
 * Called on the FX thread.
 */
final class ExportModel {
    /** The trajectory shown on the pane, and what it is doing. */
    record Source(ObservableObjectValue<Generation> primary, ObservableObjectValue<Generation> secondary,
            ObservableBooleanValue running, ObservableIntegerValue frameCount, ObservableIntegerValue fps,
            ObservableStringValue runName, ObservableObjectValue<List<Generation>> sweep, ObservableIntegerValue index) {}

    private final Studio studio;
    private final Source source;
    private final ReadOnlyBooleanWrapper exporting;
    private final StringProperty exportSteps = new SimpleStringProperty(this, "exportSteps", "every 10");
    private final ReadOnlyStringWrapper exportStepsError = new ReadOnlyStringWrapper(this, "exportStepsError", "");
    private final BooleanProperty rowXt = new SimpleBooleanProperty(this, "rowXt", true);
    private final BooleanProperty rowX0 = new SimpleBooleanProperty(this, "rowX0", true);
    private final BooleanProperty rowEps = new SimpleBooleanProperty(this, "rowEps", false);
    private final BooleanProperty rowLabels = new SimpleBooleanProperty(this, "rowLabels", true);
    private final IntegerProperty scale = new SimpleIntegerProperty(this, "scale", 4);
    private final ReadOnlyObjectWrapper<Path> lastExport = new ReadOnlyObjectWrapper<>(this, "lastExport");
    private boolean exportStepsEdited;
    private final ReadOnlyObjectWrapper<Image> stripPreview = new ReadOnlyObjectWrapper<>(this, "stripPreview");
    private final ReadOnlyStringWrapper stripPreviewText = new ReadOnlyStringWrapper(this, "stripPreviewText", "");
    private final PauseTransition previewDelay = new PauseTransition(Duration.millis(200));
    private long previewSeq;

    /** {@code exporting} is set while an export is being written. */
    ExportModel(Studio studio, Source source, ReadOnlyBooleanWrapper exporting) {
        this.studio = studio;
        this.source = source;
        this.exporting = exporting;
        exportSteps.addListener((o, a, b) -> {
            exportStepsEdited = true;
            validateExportSteps();
        });
        source.frameCount().addListener((o, a, b) -> validateExportSteps());
        previewDelay.setOnFinished(e -> renderPreview());
        for (var p : List.of(exportSteps, rowXt, rowX0, rowEps, rowLabels, scale)) {
            p.addListener((o, a, b) -> schedulePreview());
        }
        source.index().addListener((o, a, b) -> {
            if (hasSweep()) {
                schedulePreview(); // the sweep figure is of the step scrubbed to
            }
        });
    }

    /** A new trajectory comes: the preview of the old one goes. */
    void clearPreview() {
        previewSeq++;
        stripPreview.set(null);
        stripPreviewText.set("");
    }

    /** A generation ended: a complete one gets steps spread over it (unless the user chose them). */
    void generationEnded(Generation a, boolean complete) {
        if (complete) {
            if (!exportStepsEdited) {
                exportSteps.set("every " + Math.max(1, Math.round((a.size() - 1) / 5.0)));
                exportStepsEdited = false;
            }
            validateExportSteps();
        }
        schedulePreview();
    }

    private void validateExportSteps() {
        Generation a = source.primary().get();
        if (a == null || a.size() == 0) {
            exportStepsError.set("");
            return;
        }
        StepSelection.Result r = StepSelection.parse(exportSteps.get(), a.size());
        exportStepsError.set(r.ok() ? "" : r.error());
    }

    /** The kinds ticked for figures, in order. */
    List<FrameKind> exportKinds() {
        List<FrameKind> out = new ArrayList<>();
        if (rowXt.get()) {
            out.add(FrameKind.XT);
        }
        if (rowX0.get()) {
            out.add(FrameKind.X0);
        }
        if (rowEps.get()) {
            out.add(FrameKind.EPS);
        }
        return out;
    }

    /** Whether there is a finished (or cancelled, non-empty) trajectory to export. */
    BooleanBinding canExport() {
        return Bindings.createBooleanBinding(
                () -> !source.running().get() && !exporting.get() && source.frameCount().get() > 0,
                source.running(), exporting, source.frameCount());
    }

    /** The folder file choosers open in: the run's exports folder, or the workspace's for a model. */
    Path exportsDir() {
        Generation a = source.primary().get();
        if (a != null && a.exportsDir() != null) {
            return a.exportsDir();
        }
        String name = a != null ? a.runName() : source.runName().get();
        return name == null ? studio.runsDir() : studio.runsDir().resolve(name).resolve(Run.EXPORTS);
    }

    /** {@code tiny-shapes-ddim-8-seed0}: the stem of default export names. */
    String exportStem() {
        Generation a = source.primary().get();
        if (a == null) {
            return "trajectory";
        }
        Generation b = source.secondary().get();
        String from = a.noiseFile() == null ? "seed" + a.settings().seed()
                : a.noiseFile().getFileName().toString().replaceFirst("(?i)\\.npy$", "");
        Generation.Conditioning c = a.settings().conditioning();
        if (hasSweep()) { // tiny-shapes-ddim-8-ring-sweep-w1-2-4-8-seed0
            return a.runName() + "-" + a.settings().sampler() + "-" + a.settings().steps() + "-" + c.choice().slug(c.classNames())
                    + "-sweep-w" + String.join("-", source.sweep().get().stream().map(g -> io.ldmstudio.service.ClassChoice
                    .formatScale(g.settings().conditioning().guidance())).toList())
                    + (c.rescale() > 0 ? "-phi" + io.ldmstudio.service.ClassChoice.formatScale(c.rescale()) : "") + "-" + from;
        }
        return a.runName() + "-" + a.settings().slug() + (b == null ? "" : "-vs-" + b.settings().slug()) + "-" + from;
    }

    /** The stem of a strip's name: the primary trajectory's (a sweep's strip shows its first scale alone). */
    String stripStem() {
        Generation a = source.primary().get();
        if (a == null || !hasSweep()) {
            return exportStem();
        }
        String from = a.noiseFile() == null ? "seed" + a.settings().seed()
                : a.noiseFile().getFileName().toString().replaceFirst("(?i)\\.npy$", "");
        return a.runName() + "-" + a.settings().slug() + "-" + from;
    }

    /** Whether the trajectory shown is a guidance sweep. */
    boolean hasSweep() {
        List<Generation> s = source.sweep().get();
        return s != null && !s.isEmpty();
    }

    /** The step the sweep figure shows: the one scrubbed to, within what every scale has. */
    private int sweepStep() {
        int have = source.sweep().get().stream().mapToInt(Generation::size).min().orElse(0);
        return Math.max(0, Math.min(have - 1, source.index().get()));
    }

    /** Writes the guidance sweep at the scrubbed step as one labelled figure to {@code file}; false if blocked. */
    boolean exportSweep(Path file) {
        if (!readyToExport("a sweep figure")) {
            return false;
        }
        if (!hasSweep()) {
            studio.error("tick Sweep w and generate before exporting a sweep figure");
            return false;
        }
        List<FrameKind> kinds = tickedRows("the sweep figure");
        if (kinds == null) {
            return false;
        }
        List<Generation> sweep = List.copyOf(source.sweep().get());
        int i = sweepStep();
        FigureComposer.Style st = style();
        return background("writing the sweep figure " + file, () -> Exports.writeSweep(file, sweep, i, kinds, st),
                img -> done(file, "Saved the guidance sweep at step " + i + " (" + sweep.size() + " scales, "
                        + img.getWidth() + "×" + img.getHeight() + " px) to " + file));
    }

    private boolean readyToExport(String what) {
        Generation a = source.primary().get();
        if (a == null || a.size() == 0) {
            studio.error("generate a trajectory before exporting " + what);
            return false;
        }
        if (source.running().get()) {
            studio.error("wait for the generation to finish before exporting " + what);
            return false;
        }
        if (exporting.get()) {
            studio.error("an export is still being written");
            return false;
        }
        return true;
    }

    /** The rows ticked for {@code what}; null (and an error shown) if none is. */
    private List<FrameKind> tickedRows(String what) {
        List<FrameKind> kinds = exportKinds();
        if (kinds.isEmpty()) {
            studio.error("tick at least one row for " + what + ": x_t, x̂0 or ε̂");
            return null;
        }
        return kinds;
    }

    private FigureComposer.Style style() {
        return FigureComposer.Style.defaults(Math.max(1, Math.min(16, scale.get()))).withRowLabels(rowLabels.get());
    }

    /** The comparison trajectory if it has frames. */
    private Generation exportSecondary() {
        Generation b = source.secondary().get();
        return b != null && b.size() > 0 ? b : null;
    }

    private void schedulePreview() {
        previewDelay.playFromStart();
    }

    /** Renders the strip as Strip PNG… would write it, off the FX thread (the newest request wins). */
    private void renderPreview() {
        long seq = ++previewSeq;
        Generation a = source.primary().get();
        if (a == null || a.size() == 0 || source.running().get()) {
            stripPreview.set(null);
            stripPreviewText.set("");
            return;
        }
        StepSelection.Result sel = StepSelection.parse(exportSteps.get(), a.size());
        List<FrameKind> kinds = exportKinds();
        if (!sel.ok() || kinds.isEmpty()) {
            stripPreview.set(null);
            stripPreviewText.set(!sel.ok() ? "Strip preview: fix the steps" : "Strip preview: tick at least one row");
            return;
        }
        Generation b = exportSecondary();
        FigureComposer.Style st = style();
        List<Generation> sweep = hasSweep() ? List.copyOf(source.sweep().get()) : List.of();
        int si = sweep.isEmpty() ? 0 : sweepStep();
        studio.background().submit("previewing the strip", () -> {
            if (seq != previewSeq) {
                return null;
            }
            return FigureComposer.render(sweep.isEmpty() ? Exports.strip(a, b, sel.steps(), kinds)
                    : Exports.sweep(sweep, si, kinds), st);
        }, img -> {
            if (img != null && seq == previewSeq) {
                stripPreview.set(FxImages.fromBuffered(img));
                stripPreviewText.set((sweep.isEmpty() ? "Strip preview — steps " + sel.steps().stream().map(String::valueOf)
                        .collect(Collectors.joining(", ")) : "Sweep figure preview — step " + si + " (scrub to change)")
                        + " · " + img.getWidth() + " × " + img.getHeight() + " px at scale " + st.scale());
            }
        }, e -> {
            if (seq == previewSeq) {
                stripPreview.set(null);
                stripPreviewText.set("Strip preview failed: " + UiErrors.message(e));
            }
        });
    }

    /** Writes the figure strip of the chosen steps to {@code file} in the background; false if blocked. */
    boolean exportStrip(Path file) {
        validateExportSteps();
        if (!readyToExport("a strip")) {
            return false;
        }
        StepSelection.Result sel = StepSelection.parse(exportSteps.get(), source.primary().get().size());
        if (!sel.ok()) {
            exportStepsError.set(sel.error());
            return false;
        }
        List<FrameKind> kinds = tickedRows("the strip");
        if (kinds == null) {
            return false;
        }
        Generation a = source.primary().get();
        Generation b = exportSecondary();
        FigureComposer.Style st = style();
        return background("writing the strip " + file, () -> Exports.writeStrip(file, a, b, sel.steps(), kinds, st),
                img -> done(file, "Saved a strip of " + sel.steps().size() + " steps (" + img.getWidth() + "×"
                        + img.getHeight() + " px) to " + file));
    }

    /** Writes the whole trajectory as a looping GIF at the playback frame rate; false if blocked. */
    boolean exportGif(Path file) {
        if (!readyToExport("a GIF")) {
            return false;
        }
        List<FrameKind> kinds = tickedRows("the GIF");
        if (kinds == null) {
            return false;
        }
        Generation a = source.primary().get();
        Generation b = exportSecondary();
        FigureComposer.Style st = style();
        int delay = Math.round(1000f / Math.max(1, source.fps().get()));
        if (hasSweep()) { // every scale side by side in each frame
            List<Generation> sweep = List.copyOf(source.sweep().get());
            return background("writing the GIF " + file, () -> Exports.writeSweepGif(file, sweep, kinds, st, delay),
                    n -> done(file, "Saved a GIF of the guidance sweep (" + sweep.size() + " scales, " + n
                            + " frames at " + source.fps().get() + " fps) to " + file));
        }
        return background("writing the GIF " + file, () -> Exports.writeGif(file, a, b, kinds, st, delay),
                n -> done(file, "Saved a GIF of " + n + " frames at " + source.fps().get() + " fps to " + file));
    }

    /** Writes x_t, x̂0 and ε̂ of every step as PNGs into a new folder inside {@code parent}; false if blocked. */
    boolean exportFrames(Path parent) {
        if (!readyToExport("frames")) {
            return false;
        }
        Generation a = source.primary().get();
        Generation b = exportSecondary();
        if (hasSweep()) { // a sub-folder per scale
            List<Generation> sweep = List.copyOf(source.sweep().get());
            int count = sweep.stream().mapToInt(Exports::frameFiles).sum();
            return background("writing the frames into " + parent,
                    () -> Exports.writeSweepFrames(parent, exportStem() + "-frames", sweep),
                    dir -> done(dir, "Saved " + count + " frames (x_t, x̂0, ε̂ of every step at " + sweep.size()
                            + " guidance scales) to " + dir));
        }
        int count = Exports.frameFiles(a) + (b == null ? 0 : Exports.frameFiles(b));
        return background("writing the frames into " + parent,
                () -> Exports.writeFrames(parent, exportStem() + "-frames", a, b),
                dir -> done(dir, "Saved " + count + " frames (x_t, x̂0, ε̂ of every step) to " + dir));
    }

    private <T> boolean background(String what, Callable<T> work, Consumer<T> ok) {
        exporting.set(true);
        studio.background().submit(what, work, v -> {
            exporting.set(false);
            ok.accept(v);
        }, e -> {
            exporting.set(false);
            studio.error(e);
        });
        return true;
    }

    private void done(Path where, String message) {
        lastExport.set(where);
        studio.inform(message);
    }

    StringProperty exportStepsProperty() {
        return exportSteps;
    }

    ReadOnlyStringProperty exportStepsErrorProperty() {
        return exportStepsError.getReadOnlyProperty();
    }

    BooleanProperty rowXtProperty() {
        return rowXt;
    }

    BooleanProperty rowX0Property() {
        return rowX0;
    }

    BooleanProperty rowEpsProperty() {
        return rowEps;
    }

    BooleanProperty rowLabelsProperty() {
        return rowLabels;
    }

    IntegerProperty scaleProperty() {
        return scale;
    }

    ReadOnlyObjectProperty<Image> stripPreviewProperty() {
        return stripPreview.getReadOnlyProperty();
    }

    ReadOnlyStringProperty stripPreviewTextProperty() {
        return stripPreviewText.getReadOnlyProperty();
    }

    ReadOnlyObjectProperty<Path> lastExportProperty() {
        return lastExport.getReadOnlyProperty();
    }
}

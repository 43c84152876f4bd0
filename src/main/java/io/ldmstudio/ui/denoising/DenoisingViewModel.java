package io.ldmstudio.ui.denoising;

import io.ldmstudio.config.SamplerKind;
import io.ldmstudio.service.ModelInfo;
import io.ldmstudio.ui.Studio;
import java.nio.file.Path;
import java.util.List;
import javafx.beans.binding.Bindings;
import javafx.beans.binding.BooleanBinding;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyDoubleProperty;
import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.ObservableList;
import javafx.scene.image.Image;

/**
 * The Denoising pane's state and logic, as the view sees it: a façade over the parts that do the work —
 * {@link SamplingSettings} (which run, checkpoint and sampler(s)), {@link GenerationModel} (generating a whole
 * trajectory on a sampling thread of its own), {@link Scrubber} (the step shown and playback), {@link FrameCache}
 * (the pictures of that step, rendered off the FX thread and cached) and {@link ExportModel} (the report
 * exports). Touches no controls; everything here is called on the FX thread.
 */
public final class DenoisingViewModel {
    /** What to sample from: a run (by name) or a model (a diffusers pipeline folder the studio knows). */
    public record SourceChoice(String run, ModelInfo model) {
        public static SourceChoice of(String run) {
            return new SourceChoice(run, null);
        }

        public static SourceChoice of(ModelInfo model) {
            return new SourceChoice(null, model);
        }

        /** The same choice: the same run, or a model of the same folder (its listing may be newer). */
        @Override
        public boolean equals(Object o) {
            return o instanceof SourceChoice c && java.util.Objects.equals(run, c.run)
                    && java.util.Objects.equals(model == null ? null : model.dir(), c.model == null ? null : c.model.dir());
        }

        @Override
        public int hashCode() {
            return java.util.Objects.hash(run, model == null ? null : model.dir());
        }

        public String name() {
            return model == null ? run : model.name();
        }

        @Override
        public String toString() {
            return model == null ? run : model.name() + " · " + model.pipelineClass();
        }
    }

    /** A checkpoint of the chosen run. */
    public record CheckpointChoice(long step, boolean hasEma, boolean newest) {
        @Override
        public String toString() {
            return "step " + step + (newest ? " (newest)" : "") + (hasEma ? "" : " — no EMA");
        }
    }

    private final ReadOnlyBooleanWrapper exporting = new ReadOnlyBooleanWrapper(this, "exporting");
    private final GenerationModel generation;
    private final SamplingSettings settings;
    private final FrameCache frameCache;
    private final Scrubber scrubber;
    private final ExportModel exports;

    public DenoisingViewModel(Studio studio) {
        generation = new GenerationModel(studio, exporting);
        settings = generation.settings();
        frameCache = new FrameCache(studio, generation.primaryProperty());
        scrubber = new Scrubber(generation.primaryProperty(), generation.secondaryProperty(),
                generation.sweepProperty(), frameCache);
        exports = new ExportModel(studio, new ExportModel.Source(generation.primaryProperty(),
                generation.secondaryProperty(), generation.runningProperty(), scrubber.frameCountProperty(),
                scrubber.fpsProperty(), settings.runName, generation.sweepProperty(), scrubber.indexProperty()), exporting);
        generation.setListener(new GenerationModel.Listener() {
            @Override
            public void clearing() {
                frameCache.clear();
            }

            @Override
            public void adopted() {
                scrubber.reset();
                exports.clearPreview();
            }

            @Override
            public void recorded() {
                scrubber.updateFrameCount();
            }

            @Override
            public void ended(Generation a, boolean complete) {
                scrubber.stopFollowing();
                exports.generationEnded(a, complete);
            }
        });
    }

    /** Re-reads the run's config and checkpoints (for example when the pane is shown again after training). */
    public void reloadRun() {
        settings.reloadRun();
    }

    /** Whether Generate can act now. */
    public BooleanBinding canGenerate() {
        return generation.canGenerate();
    }

    /** Samples the trajectory (and the comparison one) in the background; returns false if it cannot start. */
    public boolean generate() {
        return generation.generate();
    }

    /** Asks a running generation to stop before its next step. */
    public void cancel() {
        generation.cancel();
    }

    /** Moves the scrubber by {@code delta} steps, staying within the trajectory. */
    public void step(int delta) {
        scrubber.step(delta);
    }

    public void first() {
        scrubber.first();
    }

    public void last() {
        scrubber.last();
    }

    public void togglePlay() {
        scrubber.togglePlay();
    }

    /** The step of the comparison trajectory shown with primary step {@code i}: the same fraction of it. */
    public int secondaryStep(int i) {
        return scrubber.secondaryStep(i);
    }

    /** Moves the scrubber so the comparison shows (about) its step {@code j}: the same fraction of the primary. */
    public void scrubSecondary(int j) {
        scrubber.scrubSecondary(j);
    }

    /** The kinds ticked for figures, in order. */
    public List<FrameKind> exportKinds() {
        return exports.exportKinds();
    }

    /** Whether there is a finished (or cancelled, non-empty) trajectory to export. */
    public BooleanBinding canExport() {
        return exports.canExport();
    }

    /** The folder file choosers open in: the run's exports folder. */
    public Path exportsDir() {
        return exports.exportsDir();
    }

    /** {@code tiny-shapes-ddim-8-seed0}: the stem of default export names. */
    public String exportStem() {
        return exports.exportStem();
    }

    /** The stem of a strip's default name: the primary's alone (in a sweep, its first scale). */
    public String stripStem() {
        return exports.stripStem();
    }

    /** Writes the figure strip of the chosen steps to {@code file} in the background; false if blocked. */
    public boolean exportStrip(Path file) {
        return exports.exportStrip(file);
    }

    /** Writes the guidance sweep at the scrubbed step as one labelled figure; false if blocked. */
    public boolean exportSweep(Path file) {
        return exports.exportSweep(file);
    }

    /** Writes the whole trajectory as a looping GIF at the playback frame rate; false if blocked. */
    public boolean exportGif(Path file) {
        return exports.exportGif(file);
    }

    /** Writes x_t, x̂0 and ε̂ of every step as PNGs into a new folder inside {@code parent}; false if blocked. */
    public boolean exportFrames(Path parent) {
        return exports.exportFrames(parent);
    }

    /** Stops the threads and frees the autoencoder. */
    public void dispose() {
        generation.dispose();
        scrubber.playingProperty().set(false);
        frameCache.dispose();
    }

    // ================= properties =================

    /** A given x_T: a NumPy .npy of [n, C, H, W] (n sets the images); null: x_T is drawn from the seed. */
    public ObjectProperty<Path> noiseFileProperty() {
        return settings.noiseFile;
    }

    /** Runs and models to sample from. */
    public ObservableList<SourceChoice> sources() {
        return settings.sources;
    }

    /** The run or model chosen. */
    public ObjectProperty<SourceChoice> sourceProperty() {
        return settings.source;
    }

    /** The latent scale a latent model decodes with (0 when the source has none to set). */
    public DoubleProperty latentScaleProperty() {
        return settings.latentScale;
    }

    /** Where the latent scale comes from, or what the config says when it was changed; empty for a run. */
    public ReadOnlyStringProperty latentScaleNoteProperty() {
        return settings.latentScaleNoteProperty();
    }

    /** Whether the source is a latent model, whose latent scale can be set. */
    public BooleanBinding latentScaleSettable() {
        return Bindings.createBooleanBinding(() -> settings.isModel() && settings.pipeline.get() != null
                && settings.pipeline.get().hasAutoencoder(), settings.source, settings.pipeline);
    }

    /** Whether the source is a model: it has no checkpoints and no EMA choice. */
    public BooleanBinding sourceIsModel() {
        return Bindings.createBooleanBinding(settings::isModel, settings.source);
    }

    public ObservableList<String> runNames() {
        return settings.runNames;
    }

    public StringProperty runNameProperty() {
        return settings.runName;
    }

    public ObservableList<CheckpointChoice> checkpoints() {
        return settings.checkpoints;
    }

    public ObjectProperty<CheckpointChoice> checkpointProperty() {
        return settings.checkpoint;
    }

    public ReadOnlyStringProperty runSummaryProperty() {
        return settings.runSummaryProperty();
    }

    public BooleanProperty useEmaProperty() {
        return settings.useEma;
    }

    public ObjectProperty<SamplerKind> samplerProperty() {
        return settings.sampler;
    }

    public IntegerProperty stepsProperty() {
        return settings.steps;
    }

    public DoubleProperty etaProperty() {
        return settings.eta;
    }

    public IntegerProperty seedProperty() {
        return settings.seed;
    }

    public IntegerProperty imagesProperty() {
        return settings.images;
    }

    public BooleanProperty compareProperty() {
        return settings.compare;
    }

    public ObjectProperty<SamplerKind> sampler2Property() {
        return settings.sampler2;
    }

    public IntegerProperty steps2Property() {
        return settings.steps2;
    }

    public DoubleProperty eta2Property() {
        return settings.eta2;
    }

    /** The run's diffusion.timesteps: the most steps a sampler can take. */
    public IntegerProperty maxStepsProperty() {
        return settings.maxSteps;
    }

    public ReadOnlyStringProperty settingsErrorProperty() {
        return settings.settingsErrorProperty();
    }

    public ReadOnlyBooleanProperty runningProperty() {
        return generation.runningProperty();
    }

    public ReadOnlyDoubleProperty progressProperty() {
        return generation.progressProperty();
    }

    public ReadOnlyStringProperty progressTextProperty() {
        return generation.progressTextProperty();
    }

    public ReadOnlyStringProperty resultSummaryProperty() {
        return generation.resultSummaryProperty();
    }

    public ReadOnlyObjectProperty<Generation> primaryProperty() {
        return generation.primaryProperty();
    }

    public ReadOnlyObjectProperty<Generation> secondaryProperty() {
        return generation.secondaryProperty();
    }

    // ---- class conditioning ----

    /** Whether the source takes a class (a class-conditional run or model): the class controls show only then. */
    public BooleanBinding conditionalProperty() {
        return settings.classes.greaterThan(0);
    }

    /** The source's class names by label (empty when it names none). */
    public ObservableList<String> classNames() {
        return settings.classNames;
    }

    /** The source's classes (0: unconditional). */
    public ReadOnlyIntegerProperty classesProperty() {
        return ReadOnlyIntegerProperty.readOnlyIntegerProperty(settings.classes);
    }

    /** What the class box says: {@code one row per class}, a class by name or label, or a list {@code 3, 7, sneaker}. */
    public StringProperty classTextProperty() {
        return settings.classText;
    }

    /** The text of one row per class in the class box. */
    public static String rowsPerClassText() {
        return SamplingSettings.ROWS;
    }

    /** Whether the class box asks for one row per class (so Images counts images per class). */
    public BooleanBinding rowsPerClass() {
        return Bindings.createBooleanBinding(() -> {
            String t = settings.classText.get() == null ? "" : settings.classText.get().trim();
            return settings.conditional() && (t.equalsIgnoreCase(SamplingSettings.ROWS)
                    || t.equalsIgnoreCase(io.ldmstudio.service.ClassChoice.ALL));
        }, settings.classText, settings.classes);
    }

    /** Classifier-free guidance scale w (1 = none). */
    public DoubleProperty guidanceProperty() {
        return settings.guidance;
    }

    /** Guidance rescale φ in [0, 1]. */
    public DoubleProperty guidanceRescaleProperty() {
        return settings.guidanceRescale;
    }

    /** Whether Generate sweeps the guidance scales of {@link #sweepTextProperty()}. */
    public BooleanProperty sweepProperty() {
        return settings.sweep;
    }

    /** The scales of the sweep, {@code 1, 2, 4, 8}. */
    public StringProperty sweepTextProperty() {
        return settings.sweepText;
    }

    /** The guidance sweep's trajectories, one per scale (the primary first); empty without one. */
    public ReadOnlyObjectProperty<List<Generation>> sweepGenerationsProperty() {
        return generation.sweepProperty();
    }

    /** The picture of the sweep's column {@code c} at the step shown. */
    public ReadOnlyObjectProperty<Image> sweepFrameProperty(int c) {
        return frameCache.sweepFrameProperty(c);
    }

    /** Which picture the sweep's columns show (x̂0 unless chosen). */
    public ObjectProperty<FrameKind> sweepKindProperty() {
        return frameCache.sweepKindProperty();
    }

    /** Recorded steps of the primary trajectory (grows while it samples). */
    public ReadOnlyIntegerProperty frameCountProperty() {
        return scrubber.frameCountProperty();
    }

    /** The scrubber position: a step index of the primary trajectory. */
    public IntegerProperty indexProperty() {
        return scrubber.indexProperty();
    }

    /** The step whose pictures are on screen (lags {@link #indexProperty()} while they render); −1 for none. */
    public ReadOnlyIntegerProperty shownIndexProperty() {
        return frameCache.shownIndexProperty();
    }

    public ReadOnlyStringProperty stepLabelProperty() {
        return scrubber.stepLabelProperty();
    }

    /** Recorded steps of the comparison trajectory. */
    public ReadOnlyIntegerProperty secondaryFrameCountProperty() {
        return scrubber.secondaryFrameCountProperty();
    }

    /** The comparison's step shown beside the scrubber's ({@link #secondaryStep}); −1 for none. */
    public ReadOnlyIntegerProperty secondaryIndexProperty() {
        return scrubber.secondaryIndexProperty();
    }

    public ReadOnlyStringProperty stepLabel2Property() {
        return scrubber.stepLabel2Property();
    }

    /** The picture of {@code kind} in row 0 (the trajectory) or 1 (the comparison). */
    public ReadOnlyObjectProperty<Image> frameProperty(int row, FrameKind kind) {
        return frameCache.frameProperty(row, kind);
    }

    public BooleanProperty playingProperty() {
        return scrubber.playingProperty();
    }

    public IntegerProperty fpsProperty() {
        return scrubber.fpsProperty();
    }

    public StringProperty exportStepsProperty() {
        return exports.exportStepsProperty();
    }

    public ReadOnlyStringProperty exportStepsErrorProperty() {
        return exports.exportStepsErrorProperty();
    }

    public BooleanProperty rowXtProperty() {
        return exports.rowXtProperty();
    }

    public BooleanProperty rowX0Property() {
        return exports.rowX0Property();
    }

    public BooleanProperty rowEpsProperty() {
        return exports.rowEpsProperty();
    }

    public BooleanProperty rowLabelsProperty() {
        return exports.rowLabelsProperty();
    }

    public IntegerProperty scaleProperty() {
        return exports.scaleProperty();
    }

    public ReadOnlyBooleanProperty exportingProperty() {
        return exporting.getReadOnlyProperty();
    }

    /** The strip exactly as Strip PNG… writes it, re-rendered when its settings change. */
    public ReadOnlyObjectProperty<Image> stripPreviewProperty() {
        return exports.stripPreviewProperty();
    }

    public ReadOnlyStringProperty stripPreviewTextProperty() {
        return exports.stripPreviewTextProperty();
    }

    /** Where the last export went. */
    public ReadOnlyObjectProperty<Path> lastExportProperty() {
        return exports.lastExportProperty();
    }
}

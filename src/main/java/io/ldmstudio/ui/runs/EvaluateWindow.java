package io.ldmstudio.ui.runs;

import io.ldmstudio.config.RunConfig;
import io.ldmstudio.runs.Run;
import io.ldmstudio.service.EvalDatasets;
import io.ldmstudio.service.SampleSource;
import io.ldmstudio.service.EvaluationJob;
import io.ldmstudio.service.SamplerSweep;
import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioStyle;
import io.ldmstudio.ui.common.FxImages;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import javafx.application.Platform;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.SimpleStringProperty;
import javafx.collections.FXCollections;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.Scene;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.control.TextField;
import javafx.scene.control.Tooltip;
import javafx.scene.image.Image;
import javafx.scene.image.ImageView;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import javafx.stage.Stage;
import javafx.stage.Window;

/**
 * The Evaluate window of a run or a diffusers pipeline folder ({@link SampleSource}): a small form (the dataset whose
 * classifier scores the samples, samplers, step counts, samples a cell), then the {@link EvaluationJob}
 * in the background with progress and Cancel, then the metric ({@code FD_<dataset>}, and the class share of a
 * conditional run) per sampler and step count, the sweep plot, and the sample grid the selected cell's metric was
 * computed on. Nothing here waits on sampling or disk: the job runs on its own thread and its images are read there.
 */
public final class EvaluateWindow {
    /** A finished evaluation with its images read for the window. */
    public record Shown(EvaluationJob.Outcome outcome, Image plot, List<Image> grids) {}

    /** A dataset the samples can be scored against, as the form lists it. */
    public record DatasetChoice(String label, RunConfig.Data data) {
        @Override
        public String toString() {
            return label;
        }
    }

    private final Studio studio;
    private final SampleSource source;
    private final ComboBox<DatasetChoice> dataset = new ComboBox<>();
    /** A pipeline folder's timestep spacing: {@link #FOLDERS_SPACING}, or a value of {@code timestep_spacing}. */
    private final ComboBox<String> spacing = new ComboBox<>(FXCollections.observableArrayList(FOLDERS_SPACING,
            "leading", "trailing", "linspace"));
    /** The spacing choice that keeps the folder's scheduler config as it is. */
    public static final String FOLDERS_SPACING = "as its scheduler config says";
    private final TextField samplers = new TextField("ddim,dpmpp");
    private final TextField steps = new TextField("10,20,50");
    private final TextField n = new TextField("1000");
    private final TextField guidance = new TextField();
    private final Button start = new Button("Evaluate");
    private final Button cancel = new Button("Cancel");
    private final ProgressBar progress = new ProgressBar(0);
    private final Label status = new Label("Samples every sampler at every step count with the same seeds, times it"
            + " and scores it against the dataset's held-out images.");
    private final Label metric = new Label();
    private final TableView<SamplerSweep.Cell> table = new TableView<>();
    private final ImageView plot = new ImageView();
    private final ImageView grid = new ImageView();
    private final Label gridTitle = new Label();
    private final ReadOnlyObjectWrapper<Shown> shown = new ReadOnlyObjectWrapper<>(this, "shown");
    private final BorderPane root = new BorderPane();
    private EvaluationJob job;

    /**
     * The window of {@code source}, offering {@code datasets} (the first is chosen; see {@link #datasets}).
     */
    public EvaluateWindow(Studio studio, SampleSource source, List<DatasetChoice> datasets) {
        this.studio = studio;
        this.source = source;
        dataset.setItems(FXCollections.observableArrayList(datasets));
        if (!datasets.isEmpty()) {
            dataset.getSelectionModel().select(0);
        }
        build();
    }

    /** The window of a run, scored against its own data or any dataset of its image size. */
    public EvaluateWindow(Studio studio, Run run) throws java.io.IOException {
        this(studio, SampleSource.of(run), datasets(SampleSource.of(run)));
    }

    /**
     * The datasets {@code source}'s samples can be scored against: first what it was trained on (when it says), then
     * the presets and sources whose images have its size and channels. Reads presets and weights' metadata: call it
     * off the FX thread.
     */
    public static List<DatasetChoice> datasets(SampleSource source) {
        List<DatasetChoice> out = new ArrayList<>();
        trainedOn(source).ifPresent(d -> out.add(new DatasetChoice("its own data: " + d.source()
                + (d.path() == null ? "" : " " + d.path()) + ", " + d.resolution() + " px", d)));
        for (EvalDatasets.Named n : EvalDatasets.fitting(source.channels(), source.size())) {
            out.add(new DatasetChoice(n.name() + " (" + n.data().source() + ", " + n.data().resolution() + " px)",
                    n.data()));
        }
        return out;
    }

    /**
     * Opens the window of {@code source} beside {@code owner} after reading what it needs off the FX thread (its
     * config, the datasets); closing it cancels a running evaluation. A source that does not open is said in the
     * studio's message bar.
     */
    public static void open(Studio studio, java.util.concurrent.Callable<SampleSource> source, Window owner) {
        studio.background().submit("preparing the evaluation", () -> {
            SampleSource s = source.call();
            return new Prepared(s, datasets(s), problem(s));
        }, p -> {
            EvaluateWindow w = open(studio, p.source(), p.datasets(), owner);
            if (p.problem() != null) {
                w.status.setText(p.problem() + " — choose the dataset to score against");
            }
        }, studio::error);
    }

    private record Prepared(SampleSource source, List<DatasetChoice> datasets, String problem) {}

    /** What {@code source} was trained on; empty also when its metadata is malformed ({@link #problem} says so). */
    private static java.util.Optional<io.ldmstudio.config.RunConfig.Data> trainedOn(SampleSource source) {
        try {
            return source.trainedOn();
        } catch (IllegalArgumentException e) {
            return java.util.Optional.empty();
        }
    }

    /** Why what {@code source} was trained on cannot be read (malformed metadata), or null. */
    private static String problem(SampleSource source) {
        try {
            source.trainedOn();
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    /** Opens the window beside {@code owner} (FX thread); closing it cancels a running evaluation. */
    public static EvaluateWindow open(Studio studio, SampleSource source, List<DatasetChoice> datasets, Window owner) {
        EvaluateWindow w = new EvaluateWindow(studio, source, datasets);
        Stage stage = new Stage();
        stage.setTitle("Evaluate " + source.describe());
        if (owner != null) {
            stage.initOwner(owner);
        }
        Scene scene = new Scene(w.view(), 1180, 820);
        scene.getStylesheets().add(StudioStyle.stylesheet());
        stage.setScene(scene);
        stage.setOnHidden(e -> w.cancel());
        stage.show();
        return w;
    }

    /** The window's content. */
    public Region view() {
        return root;
    }

    /** The last evaluation shown, or null (FX thread). */
    public ReadOnlyObjectProperty<Shown> shownProperty() {
        return shown.getReadOnlyProperty();
    }

    /** Sets the form (FX thread). */
    public void setForm(String samplerList, String stepList, int samples) {
        samplers.setText(samplerList);
        steps.setText(stepList);
        n.setText(Integer.toString(samples));
    }

    private void build() {
        root.setId("evaluate-window");
        samplers.setId("evaluate-samplers");
        samplers.setPrefColumnCount(12);
        samplers.setTooltip(new Tooltip("comma-separated: ddpm, ddim, dpmpp"));
        steps.setId("evaluate-steps");
        steps.setPrefColumnCount(10);
        steps.setTooltip(new Tooltip("comma-separated step counts, e.g. 10,20,50"));
        n.setId("evaluate-n");
        n.setPrefColumnCount(6);
        n.setTooltip(new Tooltip("samples a cell, and held-out images at most; FD needs a few hundred to mean much"));
        start.setId("evaluate-start");
        start.setDefaultButton(true);
        start.setOnAction(e -> start());
        cancel.setId("evaluate-cancel");
        cancel.setDisable(true);
        cancel.setOnAction(e -> cancel());
        progress.setId("evaluate-progress");
        progress.setPrefWidth(220);
        status.setId("evaluate-status");
        status.setWrapText(true);
        status.getStyleClass().add("dim");
        dataset.setId("evaluate-dataset");
        dataset.setTooltip(new Tooltip("whose classifier scores the samples: the dataset the model was trained on, or"
                + " another of the same image size"));
        dataset.setPlaceholder(new Label("no dataset of " + source.channels() + " × " + source.size() + " px"));
        dataset.setPrefWidth(560);
        dataset.setMaxWidth(Double.MAX_VALUE);
        HBox data = new HBox(8, fixed(new Label("Dataset")), dataset);
        if (source instanceof SampleSource.OfPipeline op) {
            spacing.setId("evaluate-spacing");
            spacing.getSelectionModel().select(FOLDERS_SPACING);
            spacing.setTooltip(new Tooltip("timestep_spacing of every sampler, as diffusers' from_config(config,"
                    + " timestep_spacing=…) sets it (eval --set scheduler.timestep_spacing=…); the folder holds "
                    + op.pipeline().scheduler().timestepSpacing().name().toLowerCase(Locale.ROOT) + ". A studio"
                    + " export's is its run's sampler's: DPM-Solver++ samples as the run did with trailing"));
            data.getChildren().addAll(fixed(new Label("Timestep spacing")), spacing);
        }
        data.setAlignment(Pos.CENTER_LEFT);
        HBox.setHgrow(dataset, Priority.SOMETIMES);
        start.setMinWidth(Region.USE_PREF_SIZE);
        cancel.setMinWidth(Region.USE_PREF_SIZE);
        HBox form = new HBox(8, fixed(new Label("Samplers")), samplers, fixed(new Label("Steps")), steps,
                fixed(new Label("Samples")), n);
        if (source.classes() > 0) {
            guidance.setId("evaluate-guidance");
            guidance.setPrefColumnCount(4);
            guidance.setTooltip(new Tooltip("classifier-free guidance scale w of every cell (1 = none); the"
                    + " samples cycle through the classes, and the class share says how many the classifier puts"
                    + " in the class asked for"));
            try {
                guidance.setText(new java.math.BigDecimal(Double.toString(source.defaultGuidance()))
                        .stripTrailingZeros().toPlainString());
            } catch (IllegalArgumentException e) {
                guidance.setText("");
                status.setText(e.getMessage());
            }
            form.getChildren().addAll(fixed(new Label("Guidance")), guidance);
        }
        form.getChildren().addAll(start, cancel, progress);
        form.setAlignment(Pos.CENTER_LEFT);

        metric.setId("evaluate-metric");
        metric.getStyleClass().add("section-title");
        metric.setWrapText(true);

        table.setId("evaluate-table");
        table.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY);
        table.setPlaceholder(new Label("No evaluation yet"));
        table.setPrefHeight(190);
        table.getColumns().add(column("Sampler", c -> c.sampler()));
        table.getColumns().add(column("Steps", c -> Integer.toString(c.steps())));
        table.getColumns().add(column("Metric (lower is better)", c -> String.format(Locale.ROOT, "%.4f", c.value())));
        table.getColumns().add(column("Class share", c -> c.share() == null ? "—"
                : String.format(Locale.ROOT, "%.1f%%", 100 * c.share().share())));
        table.getColumns().add(column("Sampling s", c -> String.format(Locale.ROOT, "%.2f", c.seconds())));
        table.getColumns().add(column("s / 1000 images", c -> String.format(Locale.ROOT, "%.1f",
                1000 * c.secondsPerImage())));
        table.getSelectionModel().selectedIndexProperty().addListener((o, a, b) -> showGrid(b.intValue()));

        plot.setId("evaluate-plot");
        plot.setPreserveRatio(true);
        plot.setFitWidth(630);
        grid.setId("evaluate-grid");
        grid.setPreserveRatio(true);
        grid.setFitWidth(340);
        grid.setSmooth(false);
        gridTitle.getStyleClass().add("dim");
        gridTitle.setWrapText(true);
        gridTitle.setMaxWidth(340);
        VBox gridBox = new VBox(4, new Label("Samples scored"), gridTitle, grid);
        HBox images = new HBox(12, plot, gridBox);
        VBox content = new VBox(10, metric, table, images);
        content.setPadding(new Insets(10, 0, 0, 0));
        ScrollPane scroll = new ScrollPane(content);
        scroll.setFitToWidth(true);
        Label title = new Label("Evaluate " + source.describe() + ": quality (FD on the dataset's own classifier, not"
                + " comparable with published FID) against sampling time");
        title.setWrapText(true);
        VBox top = new VBox(6, title, data, form, status);
        root.setTop(top);
        root.setCenter(scroll);
        root.setPadding(new Insets(12));
        VBox.setVgrow(scroll, Priority.ALWAYS);
    }

    /** A label that keeps its whole text (the form's labels are never cut to "…"). */
    private static Label fixed(Label l) {
        l.setMinWidth(Region.USE_PREF_SIZE);
        return l;
    }

    private static TableColumn<SamplerSweep.Cell, String> column(String title,
            java.util.function.Function<SamplerSweep.Cell, String> value) {
        TableColumn<SamplerSweep.Cell, String> c = new TableColumn<>(title);
        c.setCellValueFactory(d -> new SimpleStringProperty(value.apply(d.getValue())));
        c.setSortable(false);
        return c;
    }

    /** Starts an evaluation from the form (FX thread); a bad field is said in the status line. */
    public void start() {
        if (job != null) {
            return;
        }
        List<String> samplerList;
        List<Integer> stepList;
        int samples;
        Double w0 = null;
        try {
            samplerList = SamplerSweep.parseSamplers(samplers.getText(), "Samplers");
            stepList = SamplerSweep.parseSteps(steps.getText(), "Steps", source.maxSteps());
            try {
                samples = Integer.parseInt(n.getText().strip());
            } catch (NumberFormatException e) {
                samples = -1;
            }
            if (samples < 2) {
                throw new IllegalArgumentException("Samples '" + n.getText() + "': a whole number of at least 2");
            }
            if (dataset.getValue() == null) {
                throw new IllegalArgumentException("Dataset: choose the dataset whose classifier scores the samples"
                        + " (" + source.describe() + " does not say what it was trained on)");
            }
            if (source.classes() > 0) {
                double w;
                try {
                    w = Double.parseDouble(guidance.getText().strip());
                } catch (NumberFormatException e) {
                    w = Double.NaN;
                }
                if (!(w >= 0) || Double.isInfinite(w)) {
                    throw new IllegalArgumentException("Guidance '" + guidance.getText() + "': a number of at least 0"
                            + " (1 = no guidance)");
                }
                w0 = w;
            }
        } catch (IllegalArgumentException e) {
            status.setText(e.getMessage());
            return;
        }
        RunConfig.Data data = dataset.getValue().data();
        SampleSource sampled = source;
        String chosen = spacing.getValue();
        if (source instanceof SampleSource.OfPipeline op && chosen != null && !chosen.equals(FOLDERS_SPACING)) {
            String set = "scheduler.timestep_spacing=" + chosen;
            sampled = new SampleSource.OfPipeline(op.dir(), op.pipeline().withScheduler(op.pipeline().scheduler()
                    .withOverrides(java.util.Map.of("timestep_spacing", chosen), "Timestep spacing")), List.of(set));
        }
        SampleSource what = sampled;
        Double w = w0;
        setRunning(true);
        progress.setProgress(ProgressBar.INDETERMINATE_PROGRESS);
        status.setText("starting…");
        int count = samples;
        Path root = studio.workspace().root();
        studio.deviceFuture().whenComplete((device, failed) -> Platform.runLater(() -> {
            if (failed != null) {
                finished(null, failed);
                return;
            }
            job = EvaluationJob.start(new EvaluationJob.Request(root, what, data, samplerList, stepList, count, w, 0,
                    device, null), new EvaluationJob.Listener() {
                        @Override
                        public void status(String text) {
                            Platform.runLater(() -> status.setText(text));
                        }

                        @Override
                        public void progress(double fraction) {
                            Platform.runLater(() -> progress.setProgress(fraction));
                        }
                    });
            // images are read on the job's thread, never on the FX thread
            job.result().thenApply(EvaluateWindow::read).whenComplete((s, e) -> Platform.runLater(() -> finished(s, e)));
        }));
    }

    private static Shown read(EvaluationJob.Outcome o) {
        try {
            List<Image> grids = new ArrayList<>();
            for (Path p : o.files().grids()) {
                grids.add(FxImages.read(p));
            }
            return new Shown(o, FxImages.read(o.files().plot()), grids);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    /** Cancels a running evaluation (any thread). */
    public void cancel() {
        EvaluationJob j = job;
        if (j != null) {
            j.cancel();
        }
    }

    private void setRunning(boolean running) {
        start.setDisable(running);
        cancel.setDisable(!running);
        samplers.setDisable(running);
        steps.setDisable(running);
        n.setDisable(running);
        guidance.setDisable(running);
        spacing.setDisable(running);
        dataset.setDisable(running);
    }

    private void finished(Shown s, Throwable e) {
        job = null;
        setRunning(false);
        if (e != null) {
            Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
            progress.setProgress(0);
            status.setText(cause instanceof CancellationException ? "cancelled"
                    : "evaluation failed: " + (cause.getMessage() == null ? cause.toString() : cause.getMessage()));
            return;
        }
        progress.setProgress(1);
        SamplerSweep.Result r = s.outcome().sweep();
        SamplerSweep.Cell best = r.cells().get(0);
        for (SamplerSweep.Cell c : r.cells()) {
            if (c.value() < best.value()) {
                best = c;
            }
        }
        metric.setText(String.format(Locale.ROOT, "%s = %.4f at best (%s, %d steps, %.1f s per 1000 images)%s — %d"
                + " samples a cell against %d held-out images, %s", r.metric(), best.value(),
                best.sampler(), best.steps(), 1000 * best.secondsPerImage(), best.share() == null ? ""
                        : String.format(Locale.ROOT, "; class share %.1f%%", 100 * best.share().share()), r.n(),
                r.referenceImages(), (Double.isNaN(r.guidance()) ? "" : String.format(Locale.ROOT, "guidance %s, ",
                        r.guidance())) + (r.model() ? "model " + r.runDir() : "checkpoint step "
                                + r.checkpointStep())));
        status.setText("written to " + s.outcome().files().dir());
        shown.set(s);
        table.setItems(FXCollections.observableArrayList(r.cells()));
        // every row shown, no empty ones below
        table.setPrefHeight(Math.min(30 + 24 * r.cells().size(), 420));
        plot.setImage(s.plot());
        table.getSelectionModel().select(r.cells().indexOf(best));
    }

    private void showGrid(int index) {
        Shown s = shown.get();
        if (s == null || index < 0 || index >= s.grids().size()) {
            return;
        }
        SamplerSweep.Cell c = s.outcome().sweep().cells().get(index);
        grid.setImage(s.grids().get(index));
        gridTitle.setText(String.format(Locale.ROOT, "%s, %d steps: the first %d of the %d samples (%s = %.4f)",
                c.sampler(), c.steps(), c.grid().size(), c.n(), s.outcome().sweep().metric(), c.value()));
    }
}

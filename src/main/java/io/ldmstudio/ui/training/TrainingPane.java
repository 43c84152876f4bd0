package io.ldmstudio.ui.training;

import io.ldmstudio.runs.RunStatus;
import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioPane;
import io.ldmstudio.ui.common.ChartView;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javafx.beans.binding.Bindings;
import javafx.collections.ListChangeListener;
import javafx.geometry.Insets;
import javafx.geometry.Orientation;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.Scene;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.CheckMenuItem;
import javafx.scene.control.Label;
import javafx.scene.control.ListView;
import javafx.scene.control.MenuButton;
import javafx.scene.control.MenuItem;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.Separator;
import javafx.scene.control.Slider;
import javafx.scene.control.SplitPane;
import javafx.scene.control.Tooltip;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyCodeCombination;
import javafx.scene.input.KeyCombination;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.VBox;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.axis.ValueAxis;

/**
 * The Training pane: start, pause, resume and stop the selected run; its loss (raw and smoothed, other
 * runs overlaid), learning rate and gradient norm as live charts; pace, ETA and device; its log.
 */
public final class TrainingPane implements StudioPane {
    static final KeyCombination START = new KeyCodeCombination(KeyCode.T, KeyCombination.SHORTCUT_DOWN);
    static final KeyCombination PAUSE = new KeyCodeCombination(KeyCode.P, KeyCombination.SHORTCUT_DOWN);
    static final KeyCombination RESUME = new KeyCodeCombination(KeyCode.P, KeyCombination.SHORTCUT_DOWN,
            KeyCombination.SHIFT_DOWN);
    static final KeyCombination STOP = new KeyCodeCombination(KeyCode.PERIOD, KeyCombination.SHORTCUT_DOWN);

    private final TrainingViewModel vm;
    private final Studio studio;
    private final VBox root = new VBox(8);
    private final Map<TrainingViewModel.Chart, ChartView> viewers = new EnumMap<>(TrainingViewModel.Chart.class);
    private final Button start = new Button("Start");
    private final Button pause = new Button("Pause");
    private final Button resume = new Button("Resume");
    private final Button stop = new Button("Stop");
    private final ListView<String> logView = new ListView<>();
    private final CheckBox follow = new CheckBox("Follow");
    private ValueAxis lossAxis;

    public TrainingPane(Studio studio) {
        this.studio = studio;
        vm = new TrainingViewModel(studio);
        root.setId("training-pane");
        root.setPadding(new Insets(10, 12, 10, 12));

        root.getChildren().addAll(header(), controls(), body());
        root.sceneProperty().addListener((o, a, scene) -> {
            if (scene != null) {
                installShortcuts(scene);
            }
        });
    }

    private Node header() {
        Label title = new Label("Training");
        title.getStyleClass().add("pane-title");
        Label run = new Label();
        run.setId("training-run");
        run.getStyleClass().add("run-name");
        run.textProperty().bind(vm.runNameProperty());
        Label badge = new Label();
        badge.setId("training-status");
        badge.getStyleClass().add("run-status");
        badge.textProperty().bind(vm.statusTextProperty());
        badge.visibleProperty().bind(vm.statusTextProperty().isNotEmpty());
        vm.statusTextProperty().addListener((o, a, b) -> styleBadge(badge));
        vm.statusProperty().addListener((o, a, b) -> styleBadge(badge));
        Label message = new Label();
        message.setId("training-message");
        message.setWrapText(true);
        message.setMaxWidth(Double.MAX_VALUE);
        message.textProperty().bind(vm.statusMessageProperty());
        Runnable styleMessage = () -> {
            RunStatus s = vm.statusProperty().get();
            message.getStyleClass().removeAll("field-error", "dim");
            message.getStyleClass().add(s == RunStatus.FAILED || s == RunStatus.BROKEN ? "field-error" : "dim");
        };
        vm.statusProperty().addListener((o, a, s) -> styleMessage.run());
        styleMessage.run();
        styleBadge(badge);
        HBox.setHgrow(message, Priority.ALWAYS);
        // a long message (a failure's diagnosis) gives way, not the run's name and status; all of it is in the tooltip
        message.setMinWidth(0);
        Tooltip whole = new Tooltip();
        whole.setWrapText(true);
        whole.setMaxWidth(720);
        whole.textProperty().bind(vm.statusMessageProperty());
        message.setTooltip(whole);
        for (Label fixed : new Label[] {title, run, badge}) {
            fixed.setMinWidth(Region.USE_PREF_SIZE);
        }
        HBox top = new HBox(10, title, run, badge, message);
        top.setAlignment(Pos.CENTER_LEFT);
        return top;
    }

    private void styleBadge(Label badge) {
        badge.getStyleClass().removeIf(c -> c.startsWith("status-"));
        String text = vm.statusTextProperty().get();
        String cls = switch (text) {
            case "training" -> "status-running";
            case "paused", "stopping…" -> "status-paused";
            case "finished", "failed", "stopped", "broken" -> "status-" + text;
            default -> "";
        };
        if (!cls.isEmpty()) {
            badge.getStyleClass().add(cls);
        }
    }

    private Node controls() {
        action(start, "training-start", "Start training the selected run from step 0 (Ctrl+T)", vm::start,
                vm.canStartProperty());
        action(pause, "training-pause", "Pause after the current step; the model stays in memory (Ctrl+P)", vm::pause,
                vm.canPauseProperty());
        action(resume, "training-resume",
                "Continue a paused run, or a stopped one from its newest checkpoint (Ctrl+Shift+P)", vm::resume,
                vm.canResumeProperty());
        action(stop, "training-stop", "Stop after the current step, writing a checkpoint first (Ctrl+.)", vm::stop,
                vm.canStopProperty());

        ProgressBar bar = new ProgressBar();
        bar.setId("training-progress");
        bar.setPrefWidth(160);
        bar.progressProperty().bind(vm.progressProperty());
        Label steps = figure("training-steps", Bindings.createStringBinding(() -> String.format(Locale.ROOT,
                "step %,d / %,d", vm.stepProperty().get(), vm.totalStepsProperty().get()), vm.stepProperty(),
                vm.totalStepsProperty()), "Optimiser steps taken / steps the run trains to");
        Label ips = figure("training-ips", vm.throughputProperty(), "Training images per second (recent average)");
        Label eta = figure("training-eta", Bindings.concat("ETA ", vm.etaProperty()),
                "Time left at the recent pace (sample grids and checkpoints included)");
        Label elapsed = figure("training-elapsed", Bindings.concat("trained ", vm.elapsedProperty()),
                "Training time so far, across resumes");
        Label device = figure("training-device", vm.deviceProperty(), "Device and engine the run trains on");
        HBox row = new HBox(8, start, pause, resume, stop, new Separator(Orientation.VERTICAL), bar, steps, dot(), ips,
                dot(), eta, dot(), elapsed, dot(), device);
        row.setAlignment(Pos.CENTER_LEFT);
        return row;
    }

    private static Label dot() {
        Label l = new Label("·");
        l.getStyleClass().add("dim");
        return l;
    }

    private static Label figure(String id, javafx.beans.value.ObservableValue<String> text, String tip) {
        Label l = new Label();
        l.setId(id);
        l.textProperty().bind(text);
        l.setTooltip(new Tooltip(tip));
        l.setMinWidth(Region.USE_PREF_SIZE);
        return l;
    }

    private static void action(Button b, String id, String tip, Runnable r, javafx.beans.value.ObservableBooleanValue on) {
        b.setId(id);
        b.setTooltip(new Tooltip(tip));
        b.setOnAction(e -> r.run());
        b.disableProperty().bind(Bindings.not(on));
        b.setMinWidth(Region.USE_PREF_SIZE);
    }

    private Node body() {
        ChartView loss = viewer(TrainingViewModel.Chart.LOSS, "loss", true);
        ChartView lr = viewer(TrainingViewModel.Chart.LR, "learning rate", false);
        ChartView grad = viewer(TrainingViewModel.Chart.GRAD_NORM, "gradient norm", false);
        ChartView metric = viewer(TrainingViewModel.Chart.METRIC, "quality", false);
        vm.metricNameProperty().addListener((o, a, name) -> metric.update(c -> c.getXYPlot().getRangeAxis().setLabel(
                name.isEmpty() ? "quality" : name)));
        Label metricSummary = new Label();
        metricSummary.setId("training-metric-summary");
        metricSummary.getStyleClass().add("dim");
        metricSummary.textProperty().bind(Bindings.createStringBinding(() -> vm.metricNameProperty().get().isEmpty()
                ? "Quality: no evaluations (eval.every)" : vm.metricNameProperty().get() + " (lower is better): "
                        + vm.metricSummaryProperty().get(), vm.metricNameProperty(), vm.metricSummaryProperty()));
        metricSummary.setTooltip(new Tooltip("Measured while training every eval.every steps on eval.n samples of the"
                + " EMA weights; the diamond marks the best, kept in checkpoints/best/. Overlaid runs use the colours"
                + " of the loss chart"));
        VBox metricBox = new VBox(2, metricSummary, metric);
        VBox.setVgrow(metric, Priority.ALWAYS);
        loss.widthProperty().addListener((o, a, w) -> vm.bucketsProperty().set((int) Math.round(w.doubleValue())));

        ValueAxis log = TrainingCharts.logAxis("loss (log)");
        ValueAxis linear = lossAxis;
        vm.logScaleProperty().addListener((o, a, on) -> loss.update(c -> c.getXYPlot().setRangeAxis(on ? log : linear)));

        Label lossTitle = new Label("Loss");
        lossTitle.getStyleClass().add("section-title");
        Slider smoothing = new Slider(0, 0.99, vm.smoothingProperty().get());
        smoothing.setId("training-smoothing");
        smoothing.setPrefWidth(160);
        smoothing.setTooltip(new Tooltip("Exponential moving average of the loss: weight on the past (0 = none); "
                + "overlaid runs are smoothed alike"));
        smoothing.valueProperty().bindBidirectional(vm.smoothingProperty());
        Label smoothingValue = new Label();
        smoothingValue.getStyleClass().add("figure");
        smoothingValue.textProperty().bind(Bindings.format(Locale.ROOT, "%.2f", vm.smoothingProperty()));
        smoothingValue.setMinWidth(Region.USE_PREF_SIZE);
        CheckBox logScale = new CheckBox("Log scale");
        logScale.setId("training-log-scale");
        logScale.setTooltip(new Tooltip("Show the loss on a logarithmic axis"));
        logScale.selectedProperty().bindBidirectional(vm.logScaleProperty());
        MenuButton compare = compareMenu();
        Label hint = new Label("drag to zoom · double-click to reset · right-click to copy or save");
        hint.getStyleClass().add("dim");
        Region spacer = new Region();
        HBox.setHgrow(spacer, Priority.ALWAYS);
        HBox lossBar = new HBox(10, lossTitle, new Label("Smoothing"), smoothing, smoothingValue, logScale, compare,
                spacer, hint);
        lossBar.setAlignment(Pos.CENTER_LEFT);

        VBox.setVgrow(loss, Priority.ALWAYS);
        HBox small = new HBox(10, lr, grad, metricBox);
        HBox.setHgrow(lr, Priority.ALWAYS);
        HBox.setHgrow(grad, Priority.ALWAYS);
        HBox.setHgrow(metricBox, Priority.ALWAYS);
        lr.setPrefSize(200, 200);
        grad.setPrefSize(200, 200);
        metric.setPrefSize(260, 200);
        small.setMinHeight(150);
        small.setPrefHeight(200);
        VBox charts = new VBox(6, lossBar, loss, small);

        Label logTitle = new Label("Log");
        logTitle.getStyleClass().add("section-title");
        logView.setId("training-log");
        logView.setItems(vm.log());
        logView.getStyleClass().add("figure");
        logView.setFixedCellSize(22); // monospace 12 px with its descenders, and the cell's padding
        logView.setPlaceholder(new Label("The run's log.txt shows here."));
        follow.setSelected(true);
        follow.setTooltip(new Tooltip("Keep the newest log line in view"));
        vm.log().addListener((ListChangeListener<String>) c -> {
            if (follow.isSelected() && !vm.log().isEmpty()) {
                logView.scrollTo(vm.log().size() - 1);
                // once more after the layout pass that adds the new rows (and perhaps the horizontal bar)
                javafx.application.Platform.runLater(() -> {
                    if (follow.isSelected() && !vm.log().isEmpty()) {
                        logView.scrollTo(vm.log().size() - 1);
                    }
                });
            }
        });
        Region logSpacer = new Region();
        HBox.setHgrow(logSpacer, Priority.ALWAYS);
        HBox logBar = new HBox(10, logTitle, logSpacer, follow);
        logBar.setAlignment(Pos.CENTER_LEFT);
        VBox.setVgrow(logView, Priority.ALWAYS);
        VBox logBox = new VBox(4, logBar, logView);
        logBox.setMinHeight(90);

        SplitPane split = new SplitPane(charts, logBox);
        split.setOrientation(Orientation.VERTICAL);
        split.setDividerPositions(0.8);
        SplitPane.setResizableWithParent(logBox, false);
        VBox.setVgrow(split, Priority.ALWAYS);
        return split;
    }

    private MenuButton compareMenu() {
        MenuButton compare = new MenuButton("Compare with");
        compare.setId("training-compare");
        compare.setTooltip(new Tooltip("Overlay the loss of other runs of the workspace"));
        Runnable fill = () -> {
            List<MenuItem> items = vm.overlayChoices().stream().map(name -> {
                CheckMenuItem m = new CheckMenuItem(name);
                m.setId("compare-" + name);
                m.setSelected(vm.overlays().contains(name));
                m.selectedProperty().addListener((o, a, on) -> {
                    if (on && !vm.overlays().contains(name)) {
                        vm.overlays().add(name);
                    } else if (!on) {
                        vm.overlays().remove(name);
                    }
                });
                return (MenuItem) m;
            }).toList();
            if (items.isEmpty()) {
                MenuItem none = new MenuItem("no other runs in this workspace");
                none.setDisable(true);
                compare.getItems().setAll(none);
            } else {
                compare.getItems().setAll(items);
            }
        };
        fill.run();
        vm.overlayChoices().addListener((ListChangeListener<String>) c -> fill.run());
        vm.overlays().addListener((ListChangeListener<String>) c -> {
            int n = vm.overlays().size();
            compare.setText(n == 0 ? "Compare with" : "Compare with (" + n + ")");
            compare.getItems().forEach(i -> {
                if (i instanceof CheckMenuItem m) {
                    m.setSelected(vm.overlays().contains(m.getText()));
                }
            });
        });
        compare.setMinWidth(Region.USE_PREF_SIZE);
        return compare;
    }

    private ChartView viewer(TrainingViewModel.Chart which, String yLabel, boolean legend) {
        // the chart draws its own copy of the curves, on the renderer thread: the view model's dataset
        // changes on the FX thread, and handing over the (immutable) list of curves is all it takes
        CurveDataset source = vm.dataset(which);
        CurveDataset drawn = new CurveDataset();
        drawn.setCurves(source.curves());
        JFreeChart chart = which == TrainingViewModel.Chart.METRIC ? TrainingCharts.metricChart(drawn, yLabel)
                : TrainingCharts.chart(drawn, yLabel, legend);
        if (which == TrainingViewModel.Chart.LOSS) {
            lossAxis = chart.getXYPlot().getRangeAxis(); // before the renderer thread owns the chart
        }
        ChartView v = new ChartView(chart);
        // live rows arrive faster than frames are drawn while the pane is hidden: only the newest curves
        // are kept for the next draw, never a queue of them
        java.util.concurrent.atomic.AtomicReference<List<CurveDataset.Curve>> latest = new java.util.concurrent.atomic.AtomicReference<>();
        v.setBeforeDraw(c -> {
            List<CurveDataset.Curve> curves = latest.getAndSet(null);
            if (curves != null) {
                drawn.setCurves(curves);
            }
        });
        source.addChangeListener(e -> {
            latest.set(source.curves());
            v.redraw();
        });
        v.setId("chart-" + which.name().toLowerCase(Locale.ROOT).replace('_', '-'));
        v.setMinSize(200, 120);
        v.setPrefSize(600, 300);
        v.setOnError(studio::error);
        v.windowProperty().addListener((o, a, w) -> {
            if (w == null) {
                vm.setWindow(which, Double.NaN, Double.NaN);
            } else {
                vm.setWindow(which, w.lower(), w.upper());
            }
        });
        v.readoutTextProperty().set(step -> readout(source, step));
        viewers.put(which, v);
        return v;
    }

    /**
     * The value of each curve at its point nearest {@code step}, one line each under the step of the first
     * ("step 1,200", "run  0.0412", "other  0.0398 (step 1,190)"); {@code null} where no curve reaches.
     */
    static String readout(CurveDataset data, double step) {
        List<CurveDataset.Curve> curves = data.curves();
        if (curves.isEmpty() || Double.isNaN(step)) {
            return null;
        }
        StringBuilder b = new StringBuilder();
        long shownStep = -1;
        for (CurveDataset.Curve c : curves) {
            Decimator.Points p = c.points();
            if (p.size() == 0 || step < p.x(0) - 0.5 || step > p.x(p.size() - 1) + 0.5) {
                continue;
            }
            int i = Decimator.lowerBound(p.x(), p.size(), step);
            if (i >= p.size() || (i > 0 && step - p.x(i - 1) < p.x(i) - step)) {
                i--;
            }
            long at = Math.round(p.x(i));
            if (shownStep < 0) {
                shownStep = at;
                b.append(String.format(Locale.ROOT, "step %,d", shownStep));
            }
            b.append(String.format(Locale.ROOT, "\n%s  %s", c.key(), TrainingCharts.SignificantFormat.format4(p.y(i))));
            if (at != shownStep) { // another run, logged at other steps
                b.append(String.format(Locale.ROOT, " (step %,d)", at));
            }
        }
        return shownStep < 0 ? null : b.toString();
    }

    private void installShortcuts(Scene scene) {
        scene.getAccelerators().put(START, () -> whenShown(vm.canStartProperty().get(), vm::start));
        scene.getAccelerators().put(PAUSE, () -> whenShown(vm.canPauseProperty().get(), vm::pause));
        scene.getAccelerators().put(RESUME, () -> whenShown(vm.canResumeProperty().get(), vm::resume));
        scene.getAccelerators().put(STOP, () -> whenShown(vm.canStopProperty().get(), vm::stop));
    }

    private void whenShown(boolean enabled, Runnable action) {
        if (enabled && showing()) {
            action.run();
        }
    }

    /** Whether the pane is on screen (its tab is in front). */
    private boolean showing() {
        for (Node n = root; n != null; n = n.getParent()) {
            if (!n.isVisible()) {
                return false;
            }
        }
        return root.getScene() != null;
    }

    /** The view model (tests drive and read it). */
    public TrainingViewModel viewModel() {
        return vm;
    }

    /**
     * Completes on the FX thread once every chart shows all the data handed to it so far (charts are
     * drawn in the background; screenshots and tests wait for this).
     */
    public java.util.concurrent.CompletableFuture<Void> chartsRendered() {
        return java.util.concurrent.CompletableFuture.allOf(viewers.values().stream().map(ChartView::rendered)
                .toArray(java.util.concurrent.CompletableFuture[]::new));
    }

    /** The view of {@code chart}. */
    public ChartView viewer(TrainingViewModel.Chart chart) {
        return viewers.get(chart);
    }

    @Override
    public String id() {
        return "training";
    }

    @Override
    public String title() {
        return "Training";
    }

    @Override
    public Node view() {
        return root;
    }

    @Override
    public void shown() {
        vm.updateActions();
        viewers.values().forEach(ChartView::shown);
    }

    @Override
    public void dispose() {
        vm.dispose();
    }
}

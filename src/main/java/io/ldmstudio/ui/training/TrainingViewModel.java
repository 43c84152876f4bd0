package io.ldmstudio.ui.training;

import io.ldmstudio.runs.EvalRow;
import io.ldmstudio.runs.MetricsRow;
import io.ldmstudio.runs.Run;
import io.ldmstudio.runs.RunInfo;
import io.ldmstudio.runs.RunManifest;
import io.ldmstudio.runs.RunStatus;
import io.ldmstudio.service.TrainingJob;
import io.ldmstudio.training.Trainer;
import io.ldmstudio.training.TrainingListener;
import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.common.FxBatcher;
import io.ldmstudio.ui.common.UiErrors;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import javafx.animation.Animation;
import javafx.animation.PauseTransition;
import javafx.application.Platform;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.LongProperty;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleDoubleProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.property.SimpleLongProperty;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.beans.property.StringProperty;
import javafx.collections.FXCollections;
import javafx.collections.ListChangeListener;
import javafx.collections.ObservableList;
import javafx.util.Duration;

/**
 * The Training pane's state and logic: the selected run's history and live figures, the charts'
 * thinned curves, the overlaid runs, and start / pause / resume / stop. Lives on the FX thread;
 * training events arrive through {@link FxBatcher} (at most {@link #UPDATES_PER_SECOND} a second),
 * history is read by the studio's background executor. Touches no control.
 */
public final class TrainingViewModel {
    /** How often live events reach the FX thread at most. */
    public static final int UPDATES_PER_SECOND = 10;
    /** Columns the charts are thinned to at most (a chart is never handed more than {@code 2·this+2} points). */
    public static final int MAX_BUCKETS = 1500;
    /** How often live rows redraw the charts at most. */
    public static final int CHART_REFRESHES_PER_SECOND = 4;
    /** Lines of the log kept in view. */
    public static final int LOG_LINES = 5000;
    private static final DateTimeFormatter CLOCK = DateTimeFormatter.ofPattern("HH:mm:ss");

    /** The charts: loss, learning rate, gradient norm, and the quality measured while training ({@code eval.every}). */
    public enum Chart { LOSS, LR, GRAD_NORM, METRIC }

    /** What a curve is, for its colour and line; {@code BEST} is the best evaluation, a lone marked point. */
    public enum Role { RAW, SMOOTHED, OVERLAY, BEST }

    private final Studio studio;
    private final StringProperty runName = new SimpleStringProperty(this, "runName", "");
    private final ObjectProperty<RunStatus> status = new SimpleObjectProperty<>(this, "status");
    private final StringProperty statusText = new SimpleStringProperty(this, "statusText", "");
    private final StringProperty statusMessage = new SimpleStringProperty(this, "statusMessage", "");
    private final LongProperty step = new SimpleLongProperty(this, "step");
    private final LongProperty totalSteps = new SimpleLongProperty(this, "totalSteps");
    private final DoubleProperty progress = new SimpleDoubleProperty(this, "progress");
    private final StringProperty throughput = new SimpleStringProperty(this, "throughput", "—");
    private final StringProperty eta = new SimpleStringProperty(this, "eta", "—");
    private final StringProperty elapsed = new SimpleStringProperty(this, "elapsed", "—");
    private final StringProperty device = new SimpleStringProperty(this, "device", "—");
    private final ReadOnlyBooleanWrapper canStart = new ReadOnlyBooleanWrapper(this, "canStart");
    private final ReadOnlyBooleanWrapper canPause = new ReadOnlyBooleanWrapper(this, "canPause");
    private final ReadOnlyBooleanWrapper canResume = new ReadOnlyBooleanWrapper(this, "canResume");
    private final ReadOnlyBooleanWrapper canStop = new ReadOnlyBooleanWrapper(this, "canStop");
    private final ReadOnlyBooleanWrapper loading = new ReadOnlyBooleanWrapper(this, "loading");
    private final ObservableList<String> log = FXCollections.observableArrayList();
    private final DoubleProperty smoothing = new SimpleDoubleProperty(this, "smoothing", 0.6);
    private final BooleanProperty logScale = new SimpleBooleanProperty(this, "logScale", false);
    private final IntegerProperty buckets = new SimpleIntegerProperty(this, "buckets", 800);
    private final ObservableList<String> overlayChoices = FXCollections.observableArrayList();
    private final ObservableList<String> overlays = FXCollections.observableArrayList();
    private final Map<Chart, CurveDataset> datasets = new EnumMap<>(Chart.class);
    private final Map<Chart, double[]> windows = new EnumMap<>(Chart.class);
    private final EtaEstimator etaEstimator = new EtaEstimator(30);
    private final StringProperty metricName = new SimpleStringProperty(this, "metricName", "");
    private final StringProperty metricSummary = new SimpleStringProperty(this, "metricSummary", "");
    /** Rows the charts hold, for tests and the status line. */
    private final IntegerProperty rows = new SimpleIntegerProperty(this, "rows");

    private final PauseTransition chartRefresh = new PauseTransition();
    private long lastChartRefresh;
    private Track main;
    private final Map<String, Track> overlayTracks = new LinkedHashMap<>();
    private boolean starting;
    private double ipsSmoothed = Double.NaN;
    private TrainingJob watched;

    public TrainingViewModel(Studio studio) {
        this.studio = studio;
        for (Chart c : Chart.values()) {
            datasets.put(c, new CurveDataset());
            windows.put(c, new double[] {Double.NaN, Double.NaN});
        }
        chartRefresh.setOnFinished(e -> refreshCharts());
        smoothing.addListener((o, a, b) -> refreshCharts());
        buckets.addListener((o, a, b) -> refreshCharts());
        overlays.addListener((ListChangeListener<String>) c -> syncOverlays());
        studio.runs().addListener((ListChangeListener<RunInfo>) c -> updateChoices());
        studio.selectedRunProperty().addListener((o, a, b) -> show(b));
        show(studio.selectedRunProperty().get());
    }

    // ---- properties ----

    public StringProperty runNameProperty() {
        return runName;
    }

    public ObjectProperty<RunStatus> statusProperty() {
        return status;
    }

    /** "training", "paused", "stopping…", "finished", … */
    public StringProperty statusTextProperty() {
        return statusText;
    }

    /** The state's message: "finished at step 24", or why the run failed. */
    public StringProperty statusMessageProperty() {
        return statusMessage;
    }

    public LongProperty stepProperty() {
        return step;
    }

    public LongProperty totalStepsProperty() {
        return totalSteps;
    }

    public DoubleProperty progressProperty() {
        return progress;
    }

    public StringProperty throughputProperty() {
        return throughput;
    }

    public StringProperty etaProperty() {
        return eta;
    }

    public StringProperty elapsedProperty() {
        return elapsed;
    }

    public StringProperty deviceProperty() {
        return device;
    }

    public ReadOnlyBooleanProperty canStartProperty() {
        return canStart.getReadOnlyProperty();
    }

    public ReadOnlyBooleanProperty canPauseProperty() {
        return canPause.getReadOnlyProperty();
    }

    public ReadOnlyBooleanProperty canResumeProperty() {
        return canResume.getReadOnlyProperty();
    }

    public ReadOnlyBooleanProperty canStopProperty() {
        return canStop.getReadOnlyProperty();
    }

    /** True while the run's history is being read. */
    public ReadOnlyBooleanProperty loadingProperty() {
        return loading.getReadOnlyProperty();
    }

    /** The log: log.txt's last lines when the run was opened, then the live lines. */
    public ObservableList<String> log() {
        return log;
    }

    /** EMA weight on the past for the smoothed loss, 0 (none) to 0.99. */
    public DoubleProperty smoothingProperty() {
        return smoothing;
    }

    public BooleanProperty logScaleProperty() {
        return logScale;
    }

    /** Columns to thin the curves to (the view sets it from the chart's width). */
    public IntegerProperty bucketsProperty() {
        return buckets;
    }

    /** Rows of the shown run's metrics held. */
    public IntegerProperty rowsProperty() {
        return rows;
    }

    /** Other runs of the workspace that can be overlaid. */
    public ObservableList<String> overlayChoices() {
        return overlayChoices;
    }

    /** The runs whose loss is overlaid (names); add or remove to change. */
    public ObservableList<String> overlays() {
        return overlays;
    }

    /** The shown run's evaluation metric ("FD_fashion-mnist"); empty when it has no evaluation rows. */
    public StringProperty metricNameProperty() {
        return metricName;
    }

    /** "last 0.8512 (step 550) · best 0.8120 (step 275)"; empty when the run has no evaluation rows. */
    public StringProperty metricSummaryProperty() {
        return metricSummary;
    }

    public CurveDataset dataset(Chart chart) {
        return datasets.get(chart);
    }

    /** What the curve named {@code key} is (for its colour). */
    public Role role(String key) {
        for (CurveDataset d : datasets.values()) {
            int i = d.indexOf(key);
            if (i >= 0) {
                return d.role(i);
            }
        }
        return Role.OVERLAY;
    }

    /** The most points any curve is handed. */
    public int pointBound() {
        return Decimator.bound(effectiveBuckets());
    }

    /**
     * Thins {@code chart}'s curves to the steps [lo, hi] (the user zoomed in); NaN for the whole run.
     */
    public void setWindow(Chart chart, double lo, double hi) {
        double[] w = windows.get(chart);
        boolean same = (Double.isNaN(lo) && Double.isNaN(w[0])) || (lo == w[0] && hi == w[1]);
        if (!same) {
            w[0] = lo;
            w[1] = hi;
            refreshChart(chart);
        }
    }

    // ---- the shown run ----

    private void show(RunInfo info) {
        if (info == null) {
            closeMain();
            clearFigures();
            runName.set("");
            status.set(null);
            statusMessage.set("Select a run in the list on the left.");
            updateChoices();
            refreshCharts();
            updateActions();
            return;
        }
        if (main != null && main.name.equals(info.name())) {
            if (currentJob().isEmpty()) { // the listing has what is on disk
                status.set(info.status());
                statusMessage.set(info.message() == null ? "" : info.message());
                step.set(Math.max(step.get(), info.step()));
                updateProgress();
            }
            updateActions();
            return;
        }
        closeMain();
        clearFigures();
        overlays.remove(info.name());
        Track t = new Track(info.name(), true);
        main = t;
        runName.set(info.name());
        status.set(info.status());
        statusMessage.set(info.message() == null ? "" : info.message());
        step.set(info.step());
        updateChoices();
        loading.set(true);
        studio.background().submit("reading the history of run '" + info.name() + "'", () -> readHistory(info.name(), true),
                h -> {
                    if (main == t) {
                        loading.set(false);
                        applyHistory(t, h);
                    }
                },
                e -> {
                    if (main == t) {
                        loading.set(false);
                        applyHistory(t, new History(List.of(), List.of(), List.of(), 0, "—")); // live rows still show
                        studio.error(e);
                    }
                });
        refreshCharts();
        updateActions();
    }

    private void clearFigures() {
        log.clear();
        step.set(0);
        totalSteps.set(0);
        progress.set(0);
        throughput.set("—");
        eta.set("—");
        elapsed.set("—");
        device.set("—");
        etaEstimator.reset();
        ipsSmoothed = Double.NaN;
        for (double[] w : windows.values()) {
            w[0] = Double.NaN;
            w[1] = Double.NaN;
        }
    }

    private void closeMain() {
        if (main != null) {
            main.close();
            main = null;
        }
        watched = null;
    }

    /** What is on disk for a run: its metrics, the end of its log, and its manifest. */
    /** The device a run records ("cpu (PyTorch 2.7.1)"), or "—". */
    static String deviceOf(RunManifest m) {
        if (m.device() == null) {
            return "—";
        }
        String d = m.device().endsWith("()") ? m.device().substring(0, m.device().length() - 2) : m.device();
        return d + (m.engine() == null ? "" : " (" + m.engine() + ")");
    }

    record History(List<MetricsRow> rows, List<EvalRow> evals, List<String> logLines, long configSteps, String device) {}

    private History readHistory(String name, boolean withLog) throws IOException {
        Run run = studio.workspace().open(name);
        List<MetricsRow> rows = run.metrics();
        List<EvalRow> evals = run.evals();
        List<String> lines = withLog ? tail(run.logFile(), LOG_LINES) : List.of();
        long steps = 0;
        String dev = "—";
        try {
            RunManifest m = run.manifest();
            steps = m.config().optim().steps();
            dev = deviceOf(m);
        } catch (IOException | RuntimeException e) {
            // a run without a readable config still shows its curves
        }
        return new History(rows, evals, lines.stream().map(TrainingViewModel::fromLogFile).toList(), steps, dev);
    }

    private void applyHistory(Track t, History h) {
        t.series.addAll(h.rows());
        long last = t.series.lastStep();
        for (MetricsRow r : t.pendingRows) {
            if (r.step() > last) {
                t.series.add(r);
            }
        }
        t.pendingRows.clear();
        h.evals().forEach(t::addEval);
        long lastEval = t.evals.isEmpty() ? 0 : t.evals.get(t.evals.size() - 1).step();
        for (EvalRow r : t.pendingEvals) {
            if (r.step() > lastEval) {
                t.addEval(r);
            }
        }
        t.pendingEvals.clear();
        t.loaded = true;
        if (t.main) {
            log.setAll(h.logLines());
            // lines that came live while the file was read may be in the file too
            List<String> fileTail = h.logLines().subList(Math.max(0, h.logLines().size() - t.pendingLog.size()),
                    h.logLines().size()).stream().map(TrainingViewModel::message).toList();
            int skip = 0;
            while (skip < t.pendingLog.size() && skip < fileTail.size()
                    && fileTail.contains(message(t.pendingLog.get(skip)))) {
                skip++;
            }
            appendLog(t.pendingLog.subList(skip, t.pendingLog.size()));
            t.pendingLog.clear();
            if (h.configSteps() > 0 && totalSteps.get() == 0) {
                totalSteps.set(h.configSteps());
            }
            if (currentJob().isEmpty() || "—".equals(device.get())) {
                device.set(h.device());
            }
            if (!t.series.isEmpty()) {
                MetricsRow lastRow = h.rows().isEmpty() ? null : h.rows().get(h.rows().size() - 1);
                step.set(Math.max(step.get(), t.series.lastStep()));
                if (lastRow != null && currentJob().isEmpty()) {
                    throughput.set(formatIps(lastRow.imagesPerS()));
                    elapsed.set(EtaEstimator.format(lastRow.time()));
                }
            }
            updateProgress();
            rows.set(t.series.size());
        }
        refreshCharts();
        updateActions();
    }

    // ---- live events ----

    private record State(RunStatus status, String message) {}

    private record LogLine(String text) {}

    private void onEvents(Track t, List<Object> events) {
        if (t.closed) {
            return;
        }
        boolean metrics = false;
        TrainingListener.StepEvent lastStep = null;
        for (Object e : events) {
            if (e instanceof MetricsRow r) {
                if (t.loaded) {
                    t.series.add(r);
                } else {
                    t.pendingRows.add(r);
                }
                metrics = true;
            } else if (e instanceof EvalRow r) {
                if (t.loaded) {
                    t.addEval(r);
                } else {
                    t.pendingEvals.add(r);
                }
                metrics = true;
            } else if (e instanceof TrainingListener.StepEvent s) {
                lastStep = s;
                double ips = s.imagesPerSecond();
                if (Double.isFinite(ips)) {
                    ipsSmoothed = Double.isNaN(ipsSmoothed) ? ips : 0.9 * ipsSmoothed + 0.1 * ips;
                }
            } else if (e instanceof State s && t.main) {
                status.set(s.status());
                statusMessage.set(s.message() == null ? "" : s.message());
                if (s.status() != RunStatus.RUNNING) {
                    etaEstimator.reset();
                } else {
                    // the trainer records the device it resolved (config.device may say auto) as it starts
                    studio.background().submit("reading the device of run '" + t.name + "'",
                            () -> deviceOf(studio.workspace().open(t.name).manifest()), d -> {
                                if (main == t && !"—".equals(d)) {
                                    device.set(d);
                                }
                            }, failure -> { });
                }
            } else if (e instanceof LogLine l && t.main) {
                if (t.loaded) {
                    appendLog(List.of(l.text()));
                } else {
                    t.pendingLog.add(l.text());
                }
            }
        }
        if (t.main && lastStep != null) {
            long now = System.nanoTime();
            etaEstimator.mark(lastStep.step(), now);
            step.set(lastStep.step());
            totalSteps.set(lastStep.totalSteps());
            throughput.set(formatIps(ipsSmoothed));
            eta.set(EtaEstimator.format(etaEstimator.secondsLeft(lastStep.totalSteps())));
            elapsed.set(EtaEstimator.format(lastStep.elapsedSeconds()));
            updateProgress();
        }
        if (metrics && t.loaded) {
            if (t.main) {
                rows.set(t.series.size());
            }
            refreshChartsSoon();
        }
        updateActions();
    }

    private void appendLog(List<String> lines) {
        if (lines.isEmpty()) {
            return;
        }
        int overflow = log.size() + lines.size() - LOG_LINES;
        if (overflow > 0) {
            log.remove(0, Math.min(overflow, log.size()));
        }
        log.addAll(lines.size() > LOG_LINES ? lines.subList(lines.size() - LOG_LINES, lines.size()) : lines);
    }

    private void updateProgress() {
        long total = totalSteps.get();
        progress.set(total > 0 ? Math.min(1.0, step.get() / (double) total) : 0);
    }

    // ---- overlays ----

    private void updateChoices() {
        String current = main == null ? null : main.name;
        List<String> names = studio.runs().stream().map(RunInfo::name).filter(n -> !n.equals(current)).toList();
        if (!names.equals(overlayChoices)) {
            overlayChoices.setAll(names);
        }
    }

    private void syncOverlays() {
        List<String> wanted = overlays.stream().distinct().filter(n -> main == null || !n.equals(main.name)).toList();
        for (String name : new ArrayList<>(overlayTracks.keySet())) {
            if (!wanted.contains(name)) {
                overlayTracks.remove(name).close();
            }
        }
        for (String name : wanted) {
            if (!overlayTracks.containsKey(name)) {
                Track t = new Track(name, false);
                overlayTracks.put(name, t);
                studio.background().submit("reading the metrics of run '" + name + "'", () -> readHistory(name, false),
                        h -> {
                            if (!t.closed) {
                                applyHistory(t, h);
                            }
                        },
                        e -> {
                            if (!t.closed) {
                                overlays.remove(name);
                                studio.error(e);
                            }
                        });
            }
        }
        refreshCharts();
    }

    // ---- charts ----

    private int effectiveBuckets() {
        return Math.max(50, Math.min(MAX_BUCKETS, buckets.get()));
    }

    /**
     * Redraws the charts for new live rows, at most {@link #CHART_REFRESHES_PER_SECOND} times a second
     * (a redraw of all three charts costs the FX thread a few milliseconds; the figures beside them
     * still update at every batch).
     */
    private void refreshChartsSoon() {
        if (chartRefresh.getStatus() == Animation.Status.RUNNING) {
            return; // already due
        }
        long wait = lastChartRefresh + 1_000_000_000L / CHART_REFRESHES_PER_SECOND - System.nanoTime();
        if (wait <= 0) {
            refreshCharts();
        } else {
            chartRefresh.setDuration(Duration.millis(wait / 1e6));
            chartRefresh.playFromStart();
        }
    }

    private void refreshCharts() {
        chartRefresh.stop();
        lastChartRefresh = System.nanoTime();
        for (Chart c : Chart.values()) {
            refreshChart(c);
        }
    }

    private void refreshChart(Chart chart) {
        List<CurveDataset.Curve> curves = new ArrayList<>();
        double s = Math.max(0, Math.min(0.999, smoothing.get()));
        if (main != null && !main.series.isEmpty()) {
            MetricsSeries m = main.series;
            switch (chart) {
                case LOSS -> {
                    if (s > 0) { // the smoothed curve first: it is drawn last, on top
                        curves.add(curve(chart, main.name + " (smoothed)", m, m.smoothedLoss(s), Role.SMOOTHED));
                        curves.add(curve(chart, main.name + " (raw)", m, m.column(MetricsSeries.Column.LOSS), Role.RAW));
                    } else {
                        curves.add(curve(chart, main.name, m, m.column(MetricsSeries.Column.LOSS), Role.SMOOTHED));
                    }
                }
                case LR -> curves.add(curve(chart, main.name + " learning rate", m, m.column(MetricsSeries.Column.LR),
                        Role.SMOOTHED));
                case GRAD_NORM -> curves.add(curve(chart, main.name + " gradient norm", m,
                        m.column(MetricsSeries.Column.GRAD_NORM), Role.SMOOTHED));
                case METRIC -> { }
            }
        }
        if (chart == Chart.METRIC) {
            metricCurves(curves);
            datasets.get(chart).setCurves(curves);
            return;
        }
        if (chart == Chart.LOSS) {
            for (Track t : overlayTracks.values()) {
                if (!t.series.isEmpty()) {
                    double[] y = s > 0 ? t.series.smoothedLoss(s) : t.series.column(MetricsSeries.Column.LOSS);
                    curves.add(curve(chart, t.name, t.series, y, Role.OVERLAY));
                }
            }
        }
        datasets.get(chart).setCurves(curves);
    }

    /**
     * The evaluation curves: the shown run's first, then its best point (a curve of one point named for it), then
     * the overlaid runs' evaluations of the same metric. Sets {@link #metricNameProperty} and
     * {@link #metricSummaryProperty}.
     */
    private void metricCurves(List<CurveDataset.Curve> curves) {
        List<EvalRow> own = main == null ? List.of() : main.evals;
        String metric = own.isEmpty() ? "" : own.get(own.size() - 1).metric();
        String summary = "";
        if (!own.isEmpty()) {
            List<EvalRow> mine = own.stream().filter(r -> r.metric().equals(metric)).toList();
            curves.add(new CurveDataset.Curve(main.name + " " + metric, Role.SMOOTHED, points(mine)));
            EvalRow last = mine.get(mine.size() - 1);
            EvalRow best = bestOf(mine);
            if (best != null) {
                curves.add(new CurveDataset.Curve(String.format(Locale.ROOT, "best %s (step %,d)",
                        TrainingCharts.SignificantFormat.format4(best.value()), best.step()), Role.BEST,
                        points(List.of(best))));
            }
            summary = String.format(Locale.ROOT, "last %s (step %,d)", TrainingCharts.SignificantFormat.format4(
                    last.value()), last.step()) + (best == null ? "" : String.format(Locale.ROOT, " · best %s (step %,d)",
                    TrainingCharts.SignificantFormat.format4(best.value()), best.step()));
        }
        for (Track t : overlayTracks.values()) {
            List<EvalRow> theirs = t.evals.stream().filter(r -> metric.isEmpty() || r.metric().equals(metric)).toList();
            if (!theirs.isEmpty()) {
                curves.add(new CurveDataset.Curve(t.name + " " + theirs.get(0).metric(), Role.OVERLAY, points(theirs)));
            }
        }
        metricName.set(metric);
        metricSummary.set(summary);
    }

    /** The row with the lowest finite value (the earliest of equals); null when there is none. */
    static EvalRow bestOf(List<EvalRow> rows) {
        EvalRow best = null;
        for (EvalRow r : rows) {
            if (Double.isFinite(r.value()) && (best == null || r.value() < best.value())) {
                best = r;
            }
        }
        return best;
    }

    private static Decimator.Points points(List<EvalRow> rows) {
        double[] x = new double[rows.size()];
        double[] y = new double[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
            x[i] = rows.get(i).step();
            y[i] = rows.get(i).value();
        }
        return new Decimator.Points(x, y, rows.size());
    }

    private CurveDataset.Curve curve(Chart chart, String key, MetricsSeries series, double[] y, Role role) {
        double[] w = windows.get(chart);
        int from = 0;
        int to = series.size();
        if (!Double.isNaN(w[0])) { // one point beyond each edge, so lines reach the border
            from = Math.max(0, Decimator.lowerBound(series.steps(), series.size(), w[0]) - 1);
            to = Math.min(series.size(), Decimator.lowerBound(series.steps(), series.size(), w[1]) + 1);
        }
        return new CurveDataset.Curve(key, role, Decimator.minMax(series.steps(), y, from, to, effectiveBuckets()));
    }

    // ---- actions ----

    private Optional<TrainingJob> currentJob() {
        // a job whose outcome is known is over, even if its thread has a moment left to end
        return main == null ? Optional.empty() : studio.training().job(main.name).filter(j -> !j.done().isDone());
    }

    /** Recomputes which actions make sense now. */
    public void updateActions() {
        Optional<TrainingJob> job = currentJob();
        boolean live = job.isPresent();
        boolean paused = live && job.get().control().isPaused();
        boolean stopping = live && job.get().control().stopRequested();
        RunStatus s = status.get();
        boolean done = s == RunStatus.FINISHED || s == RunStatus.BROKEN;
        boolean ready = main != null && main.loaded && !starting;
        canStart.set(ready && !live && !done && step.get() == 0);
        canResume.set(ready && !stopping && (live ? paused : !done && step.get() > 0));
        boolean queued = live && main != null && studio.training().isQueued(main.name);
        canPause.set(live && !paused && !stopping && !queued);
        canStop.set(live && !stopping);
        if (live && job.get() != watched) {
            watch(job.get());
        }
        if (main != null) {
            if (queued) {
                statusText.set(stopping ? "leaving the queue…" : "queued: waiting for " + String.join(", ",
                        studio.training().active()));
            } else if (stopping) {
                statusText.set("stopping…");
            } else if (live) {
                statusText.set(paused ? "paused" : "training");
            } else if (s == RunStatus.RUNNING || s == RunStatus.PAUSED) {
                statusText.set("not training (last " + s.id() + ")");
            } else {
                statusText.set(s == null ? "" : s.id());
            }
        } else {
            statusText.set("");
        }
    }

    private void watch(TrainingJob job) {
        watched = job;
        String name = job.run().name();
        job.done().whenComplete((outcome, e) -> Platform.runLater(() -> {
            if (e != null) {
                studio.error("training '" + name + "' failed: " + UiErrors.message(e));
            } else if (outcome == Trainer.Outcome.FAILED) {
                studio.error("training '" + name + "' failed: " + job.failure());
            } else {
                studio.inform("training '" + name + "' " + (outcome == Trainer.Outcome.FINISHED ? "finished" : "stopped"));
            }
            if (watched == job) {
                eta.set("—");
            }
            updateActions();
        }));
    }

    /** Starts (or continues from its newest checkpoint) the shown run. */
    public void start() {
        if (main == null || currentJob().isPresent() || starting) {
            return;
        }
        String name = main.name;
        starting = true;
        updateActions();
        Consumer<Run> begin = run -> {
            starting = false;
            try {
                etaEstimator.reset();
                TrainingJob job = studio.training().start(run, 0);
                studio.deviceIfReady().ifPresent(d -> device.set(d.name() + " (" + d.engine() + " " + d.engineVersion() + ")"));
                statusText.set("training");
                watch(job);
                studio.inform("training '" + name + "'");
            } catch (RuntimeException e) {
                studio.error(e);
            }
            updateActions();
        };
        studio.background().submit("opening run '" + name + "'", () -> {
            Run run = studio.workspace().open(name);
            io.ldmstudio.training.Trainer.checkStartable(run.config()); // refused here rather than by the process
            studio.device(); // the engine starts off the FX thread
            return run;
        }, begin, e -> {
            starting = false;
            studio.error(e);
            updateActions();
        });
    }

    /** Pauses the shown run after its current step. */
    public void pause() {
        currentJob().ifPresent(j -> j.control().pause());
        etaEstimator.reset();
        updateActions();
    }

    /** Resumes a paused run, or continues a stopped one from its newest checkpoint. */
    public void resume() {
        Optional<TrainingJob> job = currentJob();
        if (job.isPresent()) {
            job.get().control().resume();
            etaEstimator.reset();
            updateActions();
        } else {
            start();
        }
    }

    /** Asks the shown run to stop; it writes a checkpoint first. */
    public void stop() {
        currentJob().ifPresent(j -> j.control().requestStop());
        updateActions();
    }

    /** Stops listening to every run. */
    public void dispose() {
        closeMain();
        overlayTracks.values().forEach(Track::close);
        overlayTracks.clear();
    }

    // ---- helpers ----

    private static String formatIps(double ips) {
        return Double.isFinite(ips) ? String.format(Locale.ROOT, ips >= 100 ? "%.0f img/s" : "%.1f img/s", ips) : "—";
    }

    /** {@code 2026-11-23T19:55:00.123+01:00 message} → {@code 19:55:00 message}. */
    static String fromLogFile(String line) {
        int space = line.indexOf(' ');
        if (space >= 19 && line.length() > 19 && line.charAt(10) == 'T' && line.charAt(13) == ':') {
            return line.substring(11, 19) + line.substring(space);
        }
        return line;
    }

    private static String message(String shown) {
        return shown.length() > 9 && shown.charAt(2) == ':' && shown.charAt(8) == ' ' ? shown.substring(9) : shown;
    }

    /** The last {@code max} lines of a text file (reading at most its last 1 MB); empty if missing. */
    static List<String> tail(Path file, int max) throws IOException {
        if (!Files.exists(file)) {
            return List.of();
        }
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "r")) {
            long size = raf.length();
            int n = (int) Math.min(size, 1 << 20);
            byte[] bytes = new byte[n];
            raf.seek(size - n);
            raf.readFully(bytes);
            List<String> lines = new ArrayList<>(new String(bytes, StandardCharsets.UTF_8).lines().toList());
            if (n < size && !lines.isEmpty()) {
                lines.remove(0); // cut by the window
            }
            return lines.size() > max ? lines.subList(lines.size() - max, lines.size()) : lines;
        }
    }

    /** One run followed: its series, and its live events until closed. */
    private final class Track {
        final String name;
        final boolean main;
        final MetricsSeries series = new MetricsSeries();
        final List<MetricsRow> pendingRows = new ArrayList<>();
        /** Evaluation rows, steps ascending (a row replaces those from its step on, as a resume logs them again). */
        final List<EvalRow> evals = new ArrayList<>();
        final List<EvalRow> pendingEvals = new ArrayList<>();
        final List<String> pendingLog = new ArrayList<>();
        final Runnable unsubscribe;
        boolean loaded;
        volatile boolean closed;

        Track(String name, boolean main) {
            this.name = name;
            this.main = main;
            FxBatcher<Object> batcher = new FxBatcher<>(UPDATES_PER_SECOND, events -> onEvents(this, events));
            TrainingListener listener = main ? new TrainingListener() {
                @Override
                public void onStep(StepEvent e) {
                    batcher.add(e);
                }

                @Override
                public void onMetrics(MetricsRow row) {
                    batcher.add(row);
                }

                @Override
                public void onEval(EvalRow row) {
                    batcher.add(row);
                }

                @Override
                public void onState(RunStatus s, String message) {
                    batcher.add(new State(s, message));
                }

                @Override
                public void onLog(String line) {
                    String time = LocalTime.now().format(CLOCK);
                    for (String l : (line == null ? "" : line).split("\\R", -1)) {
                        batcher.add(new LogLine(time + " " + l));
                    }
                }
            } : new TrainingListener() {
                @Override
                public void onMetrics(MetricsRow row) {
                    batcher.add(row);
                }

                @Override
                public void onEval(EvalRow row) {
                    batcher.add(row);
                }
            };
            unsubscribe = studio.training().listen(name, listener);
        }

        void addEval(EvalRow r) {
            evals.removeIf(e -> e.step() >= r.step());
            evals.add(r);
        }

        void close() {
            closed = true;
            unsubscribe.run();
        }
    }
}

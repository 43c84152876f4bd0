package io.ldmstudio.ui.denoising;

import io.ldmstudio.diffusion.StepListener;
import io.ldmstudio.engine.Devices;
import io.ldmstudio.config.SamplerKind;
import io.ldmstudio.data.Npy;
import io.ldmstudio.pipeline.Pipeline;
import io.ldmstudio.runs.Run;
import io.ldmstudio.service.LatentDecoder;
import io.ldmstudio.service.SamplingService;
import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.common.FxBatcher;
import io.ldmstudio.ui.common.UiErrors;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import javafx.application.Platform;
import javafx.beans.binding.Bindings;
import javafx.beans.binding.BooleanBinding;
import javafx.beans.property.ReadOnlyBooleanProperty;
import javafx.beans.property.ReadOnlyBooleanWrapper;
import javafx.beans.property.ReadOnlyDoubleProperty;
import javafx.beans.property.ReadOnlyDoubleWrapper;
import javafx.beans.property.ReadOnlyObjectProperty;
import javafx.beans.property.ReadOnlyObjectWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.value.ObservableBooleanValue;

/**
 * Generating on the Denoising pane: samples the trajectory (and the comparison one) of the {@link SamplingSettings}
 * on a sampling thread of its own — cancellable, progress coalesced to ≤ 20 updates/s — and adopts the
 * {@link Generation}s it makes as the pane's primary and secondary trajectory. What the rest of the pane does
 * about it (scrubber, pictures, exports) it tells a {@link Listener}. Called on the FX thread.
 */
final class GenerationModel {
    /** What the rest of the pane does as a generation goes (all on the FX thread). */
    interface Listener {
        /** A new trajectory is about to replace the shown one: drop what belongs to the old. */
        void clearing();

        /** The new, still empty trajectories are the primary and secondary ones. */
        void adopted();

        /** Steps were recorded. */
        void recorded();

        /** The generation ended, {@code complete} or cancelled or failed; {@code a} may be null if it never began. */
        void ended(Generation a, boolean complete);
    }

    private final Studio studio;
    private final SamplingSettings settings;
    private final ObservableBooleanValue exporting;
    private Listener listener;
    private final ExecutorService samplingThread = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "ldm-denoise-sampler");
        t.setDaemon(true);
        return t;
    });

    private final ReadOnlyBooleanWrapper running = new ReadOnlyBooleanWrapper(this, "running");
    private final ReadOnlyDoubleWrapper progress = new ReadOnlyDoubleWrapper(this, "progress", 0);
    private final ReadOnlyStringWrapper progressText = new ReadOnlyStringWrapper(this, "progressText", "");
    private final ReadOnlyStringWrapper resultSummary = new ReadOnlyStringWrapper(this, "resultSummary", "");
    private final ReadOnlyObjectWrapper<Generation> primary = new ReadOnlyObjectWrapper<>(this, "primary");
    private final ReadOnlyObjectWrapper<Generation> secondary = new ReadOnlyObjectWrapper<>(this, "secondary");
    /** A guidance sweep's trajectories, one per scale, the first being the primary; empty without a sweep. */
    private final ReadOnlyObjectWrapper<List<Generation>> sweep = new ReadOnlyObjectWrapper<>(this, "sweep", List.of());
    private volatile AtomicBoolean cancelFlag = new AtomicBoolean();
    private LatentDecoder decoder;
    private long generationSeq;

    /** {@code exporting}: an export is being written from the shown trajectory, which must not be replaced. */
    GenerationModel(Studio studio, ObservableBooleanValue exporting) {
        this.studio = studio;
        this.exporting = exporting;
        this.settings = new SamplingSettings(studio, primary.getReadOnlyProperty(), secondary.getReadOnlyProperty(),
                sweep.getReadOnlyProperty());
    }

    void setListener(Listener listener) {
        this.listener = listener;
    }

    SamplingSettings settings() {
        return settings;
    }

    /** Whether Generate can act now. */
    BooleanBinding canGenerate() {
        return Bindings.createBooleanBinding(() -> !running.get() && !exporting.get() && settings.ready(), running,
                exporting, settings.settingsErrorProperty(), settings.checkpoint, settings.config, settings.source,
                settings.pipeline);
    }

    /** Samples the trajectory (and the comparison one) in the background; returns false if it cannot start. */
    boolean generate() {
        settings.validate();
        if (running.get()) {
            return false;
        }
        if (exporting.get()) {
            studio.error("an export is still being written from this trajectory: generate when it is done");
            return false;
        }
        if (!settings.ready()) {
            String error = settings.settingsErrorProperty().get();
            studio.error(error.isEmpty() ? "choose a run with a checkpoint, or a model, first" : error);
            return false;
        }
        Pipeline model = settings.isModel() ? settings.pipelineForGeneration() : null;
        String name = settings.source.get().name();
        List<Generation.Settings> columns = settings.sweeping() ? settings.sweepRequests() : List.of();
        Generation.Settings a = columns.isEmpty() ? settings.request(false) : columns.get(0);
        Generation.Settings b = columns.isEmpty() && settings.compare.get() ? settings.request(true) : null;
        AtomicBoolean cancel = new AtomicBoolean();
        cancelFlag = cancel;
        long seq = ++generationSeq;
        running.set(true);
        progress.set(0);
        progressText.set(model == null ? "loading the checkpoint…" : "loading the weights…");
        Given noise = settings.noiseFile.get() == null ? null : new Given(settings.noise.get(), settings.noiseFile.get());
        samplingThread.submit(() -> sampleInBackground(seq, name, model, noise, a, b, columns, cancel));
        return true;
    }

    /** Asks a running generation to stop before its next step. */
    void cancel() {
        if (running.get()) {
            cancelFlag.set(true);
            progressText.set("cancelling…");
        }
    }

    /** A given x_T and the file it was read from. */
    private record Given(Npy.Array noise, java.nio.file.Path file) {}

    /**
     * Samples from the run called {@code name}, or from {@code model} when it is not null, from the given x_T
     * ({@code noise}; null: the seed's).
     */
    private void sampleInBackground(long seq, String name, Pipeline model, Given noise, Generation.Settings a,
            Generation.Settings b, List<Generation.Settings> columns, AtomicBoolean cancel) {
        LatentDecoder dec = null;
        Generation[] made = new Generation[2];
        List<Generation> swept = new ArrayList<>();
        try {
            Run run = model == null ? studio.workspace().open(name) : null;
            Devices.DeviceInfo device = studio.device();
            Generation.Geometry geo = model == null ? Generation.geometry(run.config(), a.n())
                    : Generation.geometry(model, a.n());
            if (a.conditioning() != null && a.conditioning().choice().rows()) {
                geo = geo.withColumns(a.conditioning().choice().perClass()); // one row per class
            }
            if (geo.latent()) {
                dec = model == null ? new LatentDecoder(run.config(), device) : new LatentDecoder(model, device);
            }
            // a model's figures go to the workspace's exports folder (its own folder may be a read-only download)
            java.nio.file.Path exportsDir = model == null ? null : studio.workspace().root().resolve(Run.EXPORTS);
            made[0] = new Generation(name, exportsDir, a, geo, dec);
            made[1] = b == null ? null : new Generation(name, exportsDir, b, geo, dec);
            if (!columns.isEmpty()) {
                swept.add(made[0]);
                for (Generation.Settings c : columns.subList(1, columns.size())) {
                    swept.add(new Generation(name, exportsDir, c, geo, dec));
                }
            }
            for (Generation g : swept.isEmpty() ? java.util.Arrays.asList(made) : swept) {
                if (g != null && noise != null) {
                    g.noiseFile(noise.file());
                }
            }
            LatentDecoder shown = dec;
            List<Generation> sweepShown = List.copyOf(swept);
            Platform.runLater(() -> adopt(made[0], made[1], sweepShown, shown));
            int total = swept.isEmpty() ? a.steps() + (b == null ? 0 : b.steps()) : a.steps() * swept.size();
            FxBatcher<int[]> batcher = new FxBatcher<>(20, list -> progressed(seq, list.get(list.size() - 1), total));
            sampleOne(run, model, noise, made[0], device, cancel, batcher, 0, 0);
            if (made[1] != null) {
                sampleOne(run, model, noise, made[1], device, cancel, batcher, a.steps(), 1);
            }
            for (int k = 1; k < swept.size(); k++) { // the same seed and x_T at every scale
                sampleOne(run, model, noise, swept.get(k), device, cancel, batcher, k * a.steps(), 2 + k);
            }
            Platform.runLater(() -> finished(seq, made[0], made[1], null));
        } catch (CancellationException e) {
            Platform.runLater(() -> finished(seq, made[0], made[1], e));
        } catch (Throwable e) {
            if (made[0] == null && dec != null) {
                dec.close();
            }
            Platform.runLater(() -> finished(seq, made[0], made[1], e));
        }
    }

    private static void sampleOne(Run run, Pipeline model, Given noise, Generation g, Devices.DeviceInfo device,
            AtomicBoolean cancel, FxBatcher<int[]> batcher, int offset, int which) throws java.io.IOException {
        StepListener progressListener = StepListener.progress((done, total) -> batcher.add(new int[] {offset + done, which}));
        StepListener listener = g.trajectory().andThen(progressListener);
        SamplingService.Result r;
        if (model == null) {
            r = SamplingService.sample(run, g.settings().request(), device, listener, cancel::get, g.decoder(),
                    noise == null ? null : noise.noise(), noise == null ? null : noise.file());
        } else {
            SamplingService.Request q = g.settings().request();
            r = SamplingService.sample(model, SamplerKind.parse(q.sampler(), "sampler"), q.steps(), q.eta(), q.seed(),
                    q.n(), noise == null ? null : noise.noise().data(), q.condition(), device, listener, cancel::get,
                    g.decoder());
        }
        g.finish(r);
    }

    /** Shows freshly started generations (FX thread). */
    private void adopt(Generation a, Generation b, List<Generation> swept, LatentDecoder dec) {
        LatentDecoder old = decoder;
        decoder = dec;
        if (old != null && old != dec) {
            old.close();
        }
        listener.clearing();
        primary.set(a);
        secondary.set(b);
        sweep.set(swept);
        resultSummary.set("");
        listener.adopted();
    }

    private void progressed(long seq, int[] last, int total) {
        if (seq != generationSeq || !running.get()) {
            return;
        }
        progress.set(last[0] / (double) total);
        List<Generation> swept = sweep.get();
        Generation g = last[1] == 0 ? primary.get() : last[1] == 1 ? secondary.get()
                : last[1] - 2 < swept.size() ? swept.get(last[1] - 2) : null;
        if (g != null) {
            String which = !swept.isEmpty() ? (last[1] == 0 ? 1 : last[1] - 1) + "/" + swept.size() + ": "
                    : settings.compare.get() && secondary.get() != null ? (last[1] == 0 ? "1st: " : "2nd: ") : "";
            progressText.set(which + g.settings().title() + " — step " + g.size() + "/" + g.settings().steps());
        }
        listener.recorded();
    }

    private void finished(long seq, Generation a, Generation b, Throwable failure) {
        if (seq != generationSeq) {
            return;
        }
        running.set(false);
        if (b != null && b.size() == 0 && secondary.get() == b) {
            secondary.set(null); // cancelled before the comparison began
        }
        if (sweep.get().stream().anyMatch(g -> g.size() == 0)) {
            sweep.set(sweep.get().stream().filter(g -> g.size() > 0).toList()); // cancelled before these scales began
        }
        listener.recorded();
        listener.ended(a, failure == null);
        if (failure == null) {
            progress.set(1);
            progressText.set("");
            SamplingService.Result r = a.result();
            boolean fromModel = a.exportsDir() != null;
            String weights = fromModel ? "model " + a.runName()
                    : String.format(Locale.ROOT, "%s weights of step %d", r.weights().startsWith("ema") ? "EMA" : "raw",
                            r.checkpointStep());
            List<Generation> swept = sweep.get();
            double seconds = r.seconds() + (b != null && b.result() != null ? b.result().seconds() : 0);
            for (Generation s : swept) {
                seconds += s != a && s.result() != null ? s.result().seconds() : 0;
            }
            String sweptText = swept.isEmpty() ? "" : " · guidance sweep " + String.join(", ", swept.stream()
                    .map(s -> s.settings().conditioning().guidanceLabel()).toList());
            String classes = a.settings().conditioning() == null ? "" : a.settings().conditioning().classLabel() + ", ";
            resultSummary.set(String.format(Locale.ROOT, "%s — %s%s, %d image%s, %s, %.1f s%s%s",
                    a.settings().title(), classes, a.noiseFile() == null ? "seed " + a.settings().seed()
                            : "x_T from " + a.noiseFile().getFileName(), a.settings().n(), a.settings().n() == 1 ? "" : "s",
                    weights, seconds, b == null ? "" : " · vs " + b.settings().title(), sweptText));
            studio.inform("Generated " + a.settings().title() + (b == null ? "" : " and " + b.settings().title())
                    + (swept.size() > 1 ? " at " + swept.size() + " guidance scales" : "")
                    + " from " + (fromModel ? "model " : "run ") + a.runName() + ": scrub with the slider or ← →");
        } else if (failure instanceof CancellationException) {
            progressText.set("cancelled");
            int have = a == null ? 0 : a.size();
            studio.inform("Cancelled" + (a == null ? "" : " at step " + have + " of " + a.settings().steps())
                    + (have > 0 ? ": the steps so far can be scrubbed" : ""));
        } else {
            progressText.set("failed");
            studio.error("generating from " + (a == null ? "the " + (settings.isModel() ? "model" : "run") : a.runName()) + ": "
                    + UiErrors.message(failure));
        }
        settings.validate();
    }

    /** Stops sampling and frees the autoencoder. */
    void dispose() {
        cancelFlag.set(true);
        samplingThread.shutdownNow();
        if (decoder != null) {
            decoder.close();
            decoder = null;
        }
    }

    ReadOnlyBooleanProperty runningProperty() {
        return running.getReadOnlyProperty();
    }

    ReadOnlyDoubleProperty progressProperty() {
        return progress.getReadOnlyProperty();
    }

    ReadOnlyStringProperty progressTextProperty() {
        return progressText.getReadOnlyProperty();
    }

    ReadOnlyStringProperty resultSummaryProperty() {
        return resultSummary.getReadOnlyProperty();
    }

    ReadOnlyObjectProperty<Generation> primaryProperty() {
        return primary.getReadOnlyProperty();
    }

    ReadOnlyObjectProperty<Generation> secondaryProperty() {
        return secondary.getReadOnlyProperty();
    }

    /** A guidance sweep's trajectories (the primary first); empty without a sweep. */
    ReadOnlyObjectProperty<List<Generation>> sweepProperty() {
        return sweep.getReadOnlyProperty();
    }
}

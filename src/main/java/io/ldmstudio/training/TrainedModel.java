package io.ldmstudio.training;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ldmstudio.runs.Checkpoint;
import io.ldmstudio.config.RunConfig;
import io.ldmstudio.nn.Module;
import io.ldmstudio.util.Rng;
import io.ldmstudio.weights.SafeTensors;
import io.ldmstudio.weights.UNetWeights;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A network being trained with what belongs to it: its EMA shadow (when {@code optim.ema_decay > 0})
 * and its AdamW state, all in the training thread's manager; saved to and restored from a checkpoint
 * folder ({@code model.safetensors}, {@code ema.safetensors}, {@code optimizer.safetensors}, plus the
 * optimizer step and EMA update count in the checkpoint's state.json). Any {@link Module} works: the
 * diffusion U-Net and the autoencoder are trained the same way.
 */
final class TrainedModel<M extends Module> implements AutoCloseable {
    /** Reads the weights of a file for a model of this kind, checking every name and shape. */
    @FunctionalInterface
    interface Reader<M> {
        Map<String, float[]> read(M model, Path file) throws IOException;
    }

    private final M model;
    private final Ema<M> ema;
    private final AdamW optimizer;
    private final Reader<M> reader;
    private final NDManager manager;

    private TrainedModel(M model, Ema<M> ema, AdamW optimizer, Reader<M> reader, NDManager manager) {
        this.model = model;
        this.ema = ema;
        this.optimizer = optimizer;
        this.reader = reader;
        this.manager = manager;
    }

    /** Builds the network (and its EMA shadow) from {@code factory}, initialised from {@code optim.seed}. */
    static <M extends Module> TrainedModel<M> create(Supplier<M> factory, Reader<M> reader, NDManager manager,
            RunConfig.Optim o) {
        M model = factory.get();
        model.initialize(manager, new Rng(o.seed()), true);
        Ema<M> ema = null;
        if (o.emaDecay() > 0) {
            M shadow = factory.get();
            shadow.initialize(manager, new Rng(o.seed()), false);
            ema = new Ema<>(model, shadow, o.emaDecay());
        }
        AdamW opt = new AdamW(model, manager, o.beta1(), o.beta2(), o.eps(), o.weightDecay());
        return new TrainedModel<>(model, ema, opt, reader, manager);
    }

    M model() {
        return model;
    }

    /** The EMA, or null without one. */
    Ema<M> ema() {
        return ema;
    }

    AdamW optimizer() {
        return optimizer;
    }

    /** The EMA weights when there are any and {@code preferEma}, else the trained ones. */
    M forInference(boolean preferEma) {
        return ema != null && preferEma ? ema.model() : model;
    }

    /** Writes the weights, EMA weights and optimizer state into {@code dir}; adds their counters to {@code state}. */
    void save(Path dir, Map<String, String> meta, ObjectNode state) throws IOException {
        UNetWeights.writeWeights(model, dir.resolve(Checkpoint.MODEL_FILE), meta);
        if (ema != null) {
            UNetWeights.writeWeights(ema.model(), dir.resolve(Checkpoint.EMA_FILE), meta);
        }
        Map<String, SafeTensors.Source> os = new LinkedHashMap<>();
        Map<String, Shape> shapes = new LinkedHashMap<>();
        model.namedParameters().forEach((k, p) -> shapes.put(k, p.shape()));
        for (Map.Entry<String, float[]> e : optimizer.state().entrySet()) {
            String param = e.getKey().substring(e.getKey().indexOf('.') + 1);
            os.put(e.getKey(), SafeTensors.Source.of(e.getValue(), shapes.get(param).getShape()));
        }
        SafeTensors.write(dir.resolve(Checkpoint.OPTIMIZER_FILE), os, meta, "F32");
        state.put("optimizer_step", optimizer.stepCount());
        state.put("ema_updates", ema == null ? 0 : ema.updates());
    }

    /** Loads what {@link #save} wrote ({@code state} is the checkpoint's state.json). */
    void restore(Path dir, JsonNode state) throws IOException {
        model.loadStateDict(reader.read(model, dir.resolve(Checkpoint.MODEL_FILE)), manager);
        if (ema != null && Files.exists(dir.resolve(Checkpoint.EMA_FILE))) {
            ema.model().loadStateDict(reader.read(ema.model(), dir.resolve(Checkpoint.EMA_FILE)), manager);
            ema.setUpdates(state.path("ema_updates").asLong());
        }
        Map<String, float[]> optState = new LinkedHashMap<>();
        SafeTensors.Contents optimizerFile = SafeTensors.read(dir.resolve(Checkpoint.OPTIMIZER_FILE));
        for (String name : optimizerFile.tensors().keySet()) {
            optState.put(name, optimizerFile.finiteValues(name));
        }
        optimizer.load(optState, state.path("optimizer_step").asLong());
    }

    @Override
    public void close() {
        optimizer.close();
        model.close();
        if (ema != null) {
            ema.model().close();
        }
    }
}

package io.ldmstudio.runs;

import java.nio.file.Path;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A complete checkpoint folder {@code checkpoints/step-00001000/}: it holds {@code state.json}
 * (written last inside it) beside {@code model.safetensors}, {@code ema.safetensors} and
 * {@code optimizer.safetensors}.
 */
public record Checkpoint(long step, Path dir) {
    private static final Pattern NAME = Pattern.compile("step-(\\d{8,18})");
    /** The model's weights (diffusers names). */
    public static final String MODEL_FILE = "model.safetensors";
    /** The exponential moving average of the weights, when the run keeps one. */
    public static final String EMA_FILE = "ema.safetensors";
    /** AdamW's moments and step count. */
    public static final String OPTIMIZER_FILE = "optimizer.safetensors";

    /** {@code step-00001000}. */
    public static String dirName(long step) {
        if (step < 0) {
            throw new IllegalArgumentException("step must be ≥ 0: " + step);
        }
        return String.format("step-%08d", step);
    }

    /** The step of a {@code step-NNNNNNNN} folder name. */
    public static Optional<Long> parseStep(String name) {
        Matcher m = NAME.matcher(name);
        return m.matches() ? Optional.of(Long.parseLong(m.group(1))) : Optional.empty();
    }

    public Path file(String name) {
        return dir.resolve(name);
    }

    /** The weights to sample with: the EMA's when asked for and present, else the model's. */
    public Path weights(boolean ema) {
        return ema && java.nio.file.Files.exists(dir.resolve(EMA_FILE)) ? dir.resolve(EMA_FILE) : dir.resolve(MODEL_FILE);
    }
}

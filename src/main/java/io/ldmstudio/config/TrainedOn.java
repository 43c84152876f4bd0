package io.ldmstudio.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The data a denoiser was trained on, as the studio writes it into the string metadata of the U-Net's safetensors
 * file (a checkpoint's and an export's): {@code preset} and {@code ldm_studio.data}, a JSON object with the data
 * section's {@code source}, {@code path}, {@code resolution}, {@code channels} and {@code center_crop}; for a
 * class-conditional run also {@code ldm_studio.guidance}, its {@code conditioning.guidance}, the scale its samples
 * are drawn with by default. A pipeline
 * folder that carries it can be scored against its own dataset without being told which one; other libraries ignore
 * the keys.
 *
 * @param preset the run's preset (may be null)
 * @param data     the run's data section (limit, flip and workers as evaluation reads them: off, 0)
 * @param guidance the guidance scale of a class-conditional run; null when unconditional
 */
public record TrainedOn(String preset, RunConfig.Data data, Double guidance) {
    /** The metadata key of the preset. */
    public static final String PRESET_KEY = "preset";
    /** The metadata key of the data section. */
    public static final String DATA_KEY = "ldm_studio.data";
    /** The metadata key of the guidance scale. */
    public static final String GUIDANCE_KEY = "ldm_studio.guidance";

    /** Unconditional. */
    public TrainedOn(String preset, RunConfig.Data data) {
        this(preset, data, null);
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    /** What {@code config} trains on. */
    public static TrainedOn of(RunConfig config) {
        RunConfig.Data d = config.data();
        return new TrainedOn(config.preset(), new RunConfig.Data(d.source(), d.path(), d.resolution(), d.channels(),
                d.centerCrop(), false, 0, 0), config.conditioning().conditional() ? config.conditioning().guidance()
                        : null);
    }

    /** The two metadata entries (the preset only when there is one). */
    public Map<String, String> metadata() {
        Map<String, String> m = new LinkedHashMap<>();
        if (preset != null) {
            m.put(PRESET_KEY, preset);
        }
        ObjectNode o = JSON.createObjectNode();
        o.put("source", data.source());
        if (data.path() != null) {
            o.put("path", data.path());
        }
        o.put("resolution", data.resolution());
        o.put("channels", data.channels());
        o.put("center_crop", data.centerCrop());
        m.put(DATA_KEY, o.toString());
        if (guidance != null) {
            m.put(GUIDANCE_KEY, Double.toString(guidance));
        }
        return m;
    }

    /** {@code base} with {@link #metadata} added. */
    public Map<String, String> addTo(Map<String, String> base) {
        Map<String, String> m = new LinkedHashMap<>(base);
        m.putAll(metadata());
        return m;
    }

    /**
     * The data named by a weights file's metadata ({@code file} names it in messages): the data section when it is
     * there, else nothing (a preset alone is resolved by the caller, which knows the presets). A data entry that is
     * not the object described above is refused, naming the file and the key.
     */
    public static Optional<TrainedOn> fromMetadata(Map<String, String> metadata, String file) {
        String text = metadata.get(DATA_KEY);
        if (text == null) {
            return Optional.empty();
        }
        try {
            JsonNode o = JSON.readTree(text);
            JsonNode source = o.get("source");
            JsonNode resolution = o.get("resolution");
            JsonNode channels = o.get("channels");
            if (source == null || !source.isTextual() || resolution == null || !resolution.canConvertToInt()
                    || resolution.asInt() < 1 || channels == null || (channels.asInt() != 1 && channels.asInt() != 3)) {
                throw new IllegalArgumentException("expected {\"source\": text, \"resolution\": a positive whole number,"
                        + " \"channels\": 1 or 3, …}");
            }
            JsonNode path = o.get("path");
            RunConfig.Data d = new RunConfig.Data(source.asText(), path == null || path.isNull() ? null : path.asText(),
                    resolution.asInt(), channels.asInt(), o.path("center_crop").asBoolean(true), false, 0, 0);
            return Optional.of(new TrainedOn(metadata.get(PRESET_KEY), d, guidanceFrom(metadata, file).orElse(null)));
        } catch (com.fasterxml.jackson.core.JsonProcessingException | IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": metadata " + DATA_KEY + " " + text + ": "
                    + e.getMessage().lines().findFirst().orElse(""), e);
        }
    }

    /**
     * The guidance scale a weights file's metadata names; empty when it names none. A value that is not a number of
     * at least 0 is refused, naming the file and the key.
     */
    public static Optional<Double> guidanceFrom(Map<String, String> metadata, String file) {
        String text = metadata.get(GUIDANCE_KEY);
        if (text == null) {
            return Optional.empty();
        }
        double w;
        try {
            w = Double.parseDouble(text.strip());
        } catch (NumberFormatException e) {
            w = Double.NaN;
        }
        if (!(w >= 0) || Double.isInfinite(w)) {
            throw new IllegalArgumentException(file + ": metadata " + GUIDANCE_KEY + " '" + text + "': expected a"
                    + " number of at least 0");
        }
        return Optional.of(w);
    }
}

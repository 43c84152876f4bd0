package io.ldmstudio.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;

/**
 * Preset + overrides → a validated config, in one call:
 * <ol>
 *   <li>resolve the preset's extends chain over the defaults ({@link Presets#resolveTree}),</li>
 *   <li>apply the {@code --set} overrides in order ({@link ConfigOverrides}),</li>
 *   <li>set {@code preset} to the preset's name,</li>
 *   <li>convert to {@link RunConfig} and validate ({@link ConfigValidator}).</li>
 * </ol>
 */
public final class ConfigResolver {
    private ConfigResolver() {}

    /** @throws ConfigException with every problem found at the first stage that fails */
    public static RunConfig resolve(Presets presets, String presetName, List<String> overrides) {
        ObjectNode tree = presets.resolveTree(presetName);
        ConfigOverrides.apply(tree, overrides);
        tree.put("preset", presetName);
        return ConfigValidator.check(toConfig(tree, "preset " + presetName));
    }

    /** A full config tree into a {@link RunConfig}, unvalidated. */
    static RunConfig toConfig(JsonNode tree, String what) {
        List<ConfigError> errors = ConfigSchema.check(tree, java.util.Set.of());
        if (!errors.isEmpty()) {
            throw new ConfigException(errors);
        }
        try {
            return Configs.MAPPER.treeToValue(tree, RunConfig.class);
        } catch (JsonProcessingException e) {
            String message = what + ": cannot be read as a config: " + e.getOriginalMessage();
            throw new ConfigException(message, List.of(new ConfigError("(config)", null, message)), e);
        }
    }
}

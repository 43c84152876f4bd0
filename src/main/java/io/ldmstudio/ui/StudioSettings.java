package io.ldmstudio.ui;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ldmstudio.runs.AtomicFiles;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What the studio remembers between sessions: window geometry, the last pane and the last workspace.
 * Kept in {@code $XDG_CONFIG_HOME/ldm-studio/settings.json} (or {@code ~/.config/...}); the system
 * property {@code ldm.studio.settings} points elsewhere (tests). A broken file is ignored, never fatal.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public final class StudioSettings {
    private static final ObjectMapper JSON = new ObjectMapper();

    public double width = 1400;
    public double height = 900;
    public double x = Double.NaN;
    public double y = Double.NaN;
    public boolean maximized;
    public String lastPane = "hyperparameters";
    public String lastWorkspace;

    /** The default settings file. */
    public static Path defaultFile() {
        String prop = System.getProperty("ldm.studio.settings");
        if (prop != null && !prop.isBlank()) {
            return Path.of(prop);
        }
        String xdg = System.getenv("XDG_CONFIG_HOME");
        Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".config");
        return base.resolve("ldm-studio").resolve("settings.json");
    }

    /** Reads {@code file}; defaults when it is missing or unreadable. */
    public static StudioSettings load(Path file) {
        try {
            if (Files.isRegularFile(file)) {
                StudioSettings s = JSON.readValue(file.toFile(), StudioSettings.class);
                if (!(s.width >= 400 && s.height >= 300)) {
                    s.width = 1400;
                    s.height = 900;
                }
                return s;
            }
        } catch (IOException | RuntimeException e) {
            // a settings file is a convenience: start from defaults
        }
        return new StudioSettings();
    }

    /** Writes atomically; failure to save settings is not worth interrupting the user for. */
    public boolean save(Path file) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            AtomicFiles.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(this));
            return true;
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }
}

package io.ldmstudio.ui;

/** The studio's stylesheet. */
public final class StudioStyle {
    private StudioStyle() {}

    public static String stylesheet() {
        return StudioStyle.class.getResource("/io/ldmstudio/ui/studio.css").toExternalForm();
    }
}

package io.ldmstudio.ui;

import javafx.scene.Node;

/** One of the main window's panes. */
public interface StudioPane {
    /** A stable id used for settings, screenshots and navigation ("dataset"). */
    String id();

    /** The tab title. */
    String title();

    /** The pane's root node; built once. */
    Node view();

    /** Called on the FX thread each time the pane is brought to the front. */
    default void shown() {}

    /** Called once when the window closes. */
    default void dispose() {}
}

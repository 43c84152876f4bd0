package io.ldmstudio.ui.denoising;

import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioPane;
import javafx.scene.Node;
import javafx.scene.control.Label;
import javafx.scene.layout.StackPane;

/** The Denoising pane (being built). */
public final class DenoisingPane implements StudioPane {
    private final StackPane root = new StackPane(new Label("Denoising — coming soon"));

    public DenoisingPane(Studio studio) {
        root.setId("denoising-pane");
    }

    @Override
    public String id() {
        return "denoising";
    }

    @Override
    public String title() {
        return "Denoising";
    }

    @Override
    public Node view() {
        return root;
    }
}

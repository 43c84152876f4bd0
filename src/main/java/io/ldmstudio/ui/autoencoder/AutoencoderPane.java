package io.ldmstudio.ui.autoencoder;

import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioPane;
import javafx.scene.Node;
import javafx.scene.control.Label;
import javafx.scene.layout.StackPane;

/** The Autoencoder pane (being built). */
public final class AutoencoderPane implements StudioPane {
    private final StackPane root = new StackPane(new Label("Autoencoder — coming soon"));

    public AutoencoderPane(Studio studio) {
        root.setId("autoencoder-pane");
    }

    @Override
    public String id() {
        return "autoencoder";
    }

    @Override
    public String title() {
        return "Autoencoder";
    }

    @Override
    public Node view() {
        return root;
    }
}

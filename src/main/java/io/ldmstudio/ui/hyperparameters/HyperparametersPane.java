package io.ldmstudio.ui.hyperparameters;

import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioPane;
import javafx.scene.Node;
import javafx.scene.control.Label;
import javafx.scene.layout.StackPane;

/** The Hyperparameters pane (being built). */
public final class HyperparametersPane implements StudioPane {
    private final StackPane root = new StackPane(new Label("Hyperparameters — coming soon"));

    public HyperparametersPane(Studio studio) {
        root.setId("hyperparameters-pane");
    }

    @Override
    public String id() {
        return "hyperparameters";
    }

    @Override
    public String title() {
        return "Hyperparameters";
    }

    @Override
    public Node view() {
        return root;
    }
}

package io.ldmstudio.ui.training;

import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioPane;
import javafx.scene.Node;
import javafx.scene.control.Label;
import javafx.scene.layout.StackPane;

/** The Training pane (being built). */
public final class TrainingPane implements StudioPane {
    private final StackPane root = new StackPane(new Label("Training — coming soon"));

    public TrainingPane(Studio studio) {
        root.setId("training-pane");
    }

    @Override
    public String id() {
        return "training";
    }

    @Override
    public String title() {
        return "Training";
    }

    @Override
    public Node view() {
        return root;
    }
}

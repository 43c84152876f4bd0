package io.ldmstudio.ui.dataset;

import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioPane;
import javafx.scene.Node;
import javafx.scene.control.Label;
import javafx.scene.layout.StackPane;

/** The Dataset pane (being built). */
public final class DatasetPane implements StudioPane {
    private final StackPane root = new StackPane(new Label("Dataset — coming soon"));

    public DatasetPane(Studio studio) {
        root.setId("dataset-pane");
    }

    @Override
    public String id() {
        return "dataset";
    }

    @Override
    public String title() {
        return "Dataset";
    }

    @Override
    public Node view() {
        return root;
    }
}

package io.ldmstudio.ui.gallery;

import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioPane;
import javafx.scene.Node;
import javafx.scene.control.Label;
import javafx.scene.layout.StackPane;

/** The Gallery pane (being built). */
public final class GalleryPane implements StudioPane {
    private final StackPane root = new StackPane(new Label("Gallery — coming soon"));

    public GalleryPane(Studio studio) {
        root.setId("gallery-pane");
    }

    @Override
    public String id() {
        return "gallery";
    }

    @Override
    public String title() {
        return "Gallery";
    }

    @Override
    public Node view() {
        return root;
    }
}

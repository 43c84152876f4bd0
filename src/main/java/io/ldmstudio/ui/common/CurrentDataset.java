package io.ldmstudio.ui.common;

import io.ldmstudio.data.ImageSource;
import io.ldmstudio.data.Transform;
import java.util.Map;
import java.util.WeakHashMap;
import javafx.beans.property.ObjectProperty;
import javafx.beans.property.SimpleObjectProperty;

/**
 * The dataset the Dataset pane shows, shared with the panes that work on "the current dataset" (the
 * Autoencoder pane reconstructs a sample of it). One per studio; touched on the FX thread only.
 */
public final class CurrentDataset {
    private static final Map<Object, CurrentDataset> BY_OWNER = new WeakHashMap<>();

    /**
     * An opened dataset and the training transform it is shown with.
     *
     * @param source    the opened source (thread-safe: decoding threads may read it)
     * @param transform crop, resize and channels as the run (or the user) sets them
     * @param flip      whether training mirrors images at random
     * @param origin    a few words on where it came from ("run tiny-shapes", "built-in default")
     */
    public record Choice(ImageSource source, Transform transform, boolean flip, String origin) {}

    private final ObjectProperty<Choice> choice = new SimpleObjectProperty<>(this, "choice");

    private CurrentDataset() {}

    /** The holder belonging to {@code owner} (the studio), made on first use. */
    public static synchronized CurrentDataset of(Object owner) {
        return BY_OWNER.computeIfAbsent(owner, o -> new CurrentDataset());
    }

    /** The current dataset; null until one has been opened. */
    public ObjectProperty<Choice> choiceProperty() {
        return choice;
    }

    public Choice get() {
        return choice.get();
    }
}

package io.ldmstudio.ui.denoising;

import javafx.animation.KeyFrame;
import javafx.animation.Timeline;
import javafx.beans.property.BooleanProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ReadOnlyIntegerProperty;
import javafx.beans.property.ReadOnlyIntegerWrapper;
import javafx.beans.property.ReadOnlyStringProperty;
import javafx.beans.property.ReadOnlyStringWrapper;
import javafx.beans.property.SimpleBooleanProperty;
import javafx.beans.property.SimpleIntegerProperty;
import javafx.beans.value.ObservableObjectValue;
import javafx.util.Duration;

/**
 * The Denoising pane's scrubber: the step shown of the primary trajectory (following the newest step while it
 * samples, until the user moves it), the matching step of the comparison, their labels, and playback at a
 * frame rate. The pictures of the step it leaves to a {@link FrameCache}. Called on the FX thread.
 */
final class Scrubber {
    private final ObservableObjectValue<Generation> primary;
    private final ObservableObjectValue<Generation> secondary;
    private final FrameCache frameCache;
    /** A guidance sweep's trajectories, scrubbed with the primary (the same sampler and steps). */
    private final ObservableObjectValue<java.util.List<Generation>> sweep;

    private final ReadOnlyIntegerWrapper frameCount = new ReadOnlyIntegerWrapper(this, "frameCount", 0);
    private final IntegerProperty index = new SimpleIntegerProperty(this, "index", 0);
    private final ReadOnlyStringWrapper stepLabel = new ReadOnlyStringWrapper(this, "stepLabel", "");
    private final ReadOnlyStringWrapper stepLabel2 = new ReadOnlyStringWrapper(this, "stepLabel2", "");
    private final ReadOnlyIntegerWrapper secondaryFrameCount = new ReadOnlyIntegerWrapper(this, "secondaryFrameCount", 0);
    private final ReadOnlyIntegerWrapper secondaryIndex = new ReadOnlyIntegerWrapper(this, "secondaryIndex", -1);
    private final BooleanProperty playing = new SimpleBooleanProperty(this, "playing");
    private final IntegerProperty fps = new SimpleIntegerProperty(this, "fps", 8);
    private boolean following;
    private boolean settingIndex;
    private Timeline player;

    Scrubber(ObservableObjectValue<Generation> primary, ObservableObjectValue<Generation> secondary,
            ObservableObjectValue<java.util.List<Generation>> sweep, FrameCache frameCache) {
        this.primary = primary;
        this.secondary = secondary;
        this.sweep = sweep;
        this.frameCache = frameCache;
        frameCache.sweepKindProperty().addListener((o, a, b) -> refresh());
        index.addListener((o, a, b) -> {
            if (!settingIndex) {
                following = false;
            }
            refresh();
        });
        playing.addListener((o, a, b) -> updatePlayer());
        fps.addListener((o, a, b) -> updatePlayer());
    }

    /** Back to the start of a new, still empty trajectory, following its newest step. */
    void reset() {
        following = true;
        setIndexQuietly(0);
        frameCount.set(0);
        stepLabel.set("");
        stepLabel2.set("");
        secondaryIndex.set(-1);
        secondaryFrameCount.set(0);
    }

    /** The trajectories recorded more steps: count them, and follow the newest unless the user scrubbed. */
    void updateFrameCount() {
        Generation a = primary.get();
        int n = a == null ? 0 : a.size();
        frameCount.set(n);
        Generation b = secondary.get();
        secondaryFrameCount.set(b == null ? 0 : b.size());
        if (following && n > 0 && index.get() != n - 1) {
            setIndexQuietly(n - 1); // the index listener refreshes the frames
        } else {
            refresh();
        }
    }

    /** Stays where it is from now on (the trajectory is complete). */
    void stopFollowing() {
        following = false;
    }

    private void setIndexQuietly(int i) {
        settingIndex = true;
        try {
            index.set(i);
        } finally {
            settingIndex = false;
        }
    }

    /** Moves the scrubber by {@code delta} steps, staying within the trajectory. */
    void step(int delta) {
        int n = frameCount.get();
        if (n > 0) {
            index.set(Math.max(0, Math.min(n - 1, index.get() + delta)));
        }
    }

    void first() {
        if (frameCount.get() > 0) {
            index.set(0);
        }
    }

    void last() {
        if (frameCount.get() > 0) {
            index.set(frameCount.get() - 1);
        }
    }

    void togglePlay() {
        playing.set(!playing.get() && frameCount.get() > 1);
    }

    private void updatePlayer() {
        if (player != null) {
            player.stop();
            player = null;
        }
        if (playing.get()) {
            player = new Timeline(new KeyFrame(Duration.millis(1000.0 / Math.max(1, fps.get())), e -> {
                int n = frameCount.get();
                if (n <= 1) {
                    playing.set(false);
                    return;
                }
                index.set(index.get() >= n - 1 ? 0 : index.get() + 1);
            }));
            player.setCycleCount(Timeline.INDEFINITE);
            player.play();
        }
    }

    /** The step of the comparison trajectory shown with primary step {@code i}: the same fraction of it. */
    int secondaryStep(int i) {
        Generation a = primary.get();
        Generation b = secondary.get();
        if (a == null || b == null || b.size() == 0) {
            return -1;
        }
        return Math.min(b.size() - 1, Generation.mapStep(i, a.settings().steps(), b.settings().steps()));
    }

    /** Moves the scrubber so the comparison shows (about) its step {@code j}: the same fraction of the primary. */
    void scrubSecondary(int j) {
        Generation a = primary.get();
        Generation b = secondary.get();
        if (a == null || b == null || frameCount.get() == 0) {
            return;
        }
        int i = Generation.mapStep(j, b.settings().steps(), a.settings().steps());
        index.set(Math.max(0, Math.min(frameCount.get() - 1, i)));
    }

    /** Labels the current step and asks for its pictures. */
    private void refresh() {
        Generation a = primary.get();
        if (a == null || a.size() == 0) {
            return;
        }
        int i = Math.min(index.get(), a.size() - 1);
        stepLabel.set(a.stepLabel(i));
        Generation b = secondary.get();
        int j = secondaryStep(i);
        stepLabel2.set(j < 0 ? (b == null ? "" : "waiting for the first step…") : b.stepLabel(j));
        secondaryIndex.set(j);
        frameCache.refreshFrames(a, i, b, j, sweep.get() == null ? java.util.List.of() : sweep.get());
    }

    ReadOnlyIntegerProperty frameCountProperty() {
        return frameCount.getReadOnlyProperty();
    }

    IntegerProperty indexProperty() {
        return index;
    }

    ReadOnlyStringProperty stepLabelProperty() {
        return stepLabel.getReadOnlyProperty();
    }

    ReadOnlyStringProperty stepLabel2Property() {
        return stepLabel2.getReadOnlyProperty();
    }

    ReadOnlyIntegerProperty secondaryFrameCountProperty() {
        return secondaryFrameCount.getReadOnlyProperty();
    }

    ReadOnlyIntegerProperty secondaryIndexProperty() {
        return secondaryIndex.getReadOnlyProperty();
    }

    BooleanProperty playingProperty() {
        return playing;
    }

    IntegerProperty fpsProperty() {
        return fps;
    }
}

package io.ldmstudio.ui.dataset;

import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioPane;
import javafx.scene.Node;

/**
 * The Dataset pane: pick a source, see how many images it holds, their sizes and classes, browse the
 * thumbnails, preview the training transform on one image, and read which files were skipped and why.
 */
public final class DatasetPane implements StudioPane {
    private final DatasetViewModel vm;
    private final DatasetView view;

    public DatasetPane(Studio studio) {
        vm = new DatasetViewModel(studio);
        view = new DatasetView(vm);
        vm.useRunData();
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
        return view.root();
    }

    public DatasetViewModel viewModel() {
        return vm;
    }

    /** The thumbnail grid (tests scroll it). */
    ThumbnailGrid grid() {
        return view.grid();
    }

    /** Replaces what opens the folder chooser, to count the calls (tests). */
    void setFolderChooser(java.util.function.Consumer<DatasetViewModel.Kind> chooser) {
        view.setFolderChooser(chooser);
    }

    @Override
    public void dispose() {
        vm.dispose();
    }
}

package io.ldmstudio.ui.denoising;

import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioPane;
import javafx.scene.Node;

/**
 * The Denoising pane: generate a trajectory from any checkpoint with DDPM, DDIM or DPM-Solver++, scrub
 * through x_t, x̂0 and ε̂ of every step (optionally beside a second sampler from the same seed), and
 * export a figure strip, a GIF or the raw frames for a report.
 */
public final class DenoisingPane implements StudioPane {
    private final DenoisingViewModel model;
    private final DenoisingView view;

    public DenoisingPane(Studio studio) {
        model = new DenoisingViewModel(studio);
        view = new DenoisingView(model);
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
        return view.view();
    }

    @Override
    public void shown() {
        model.reloadRun(); // training may have written checkpoints since
    }

    @Override
    public void dispose() {
        model.dispose();
    }

    public DenoisingViewModel model() {
        return model;
    }

    DenoisingView denoisingView() {
        return view;
    }
}

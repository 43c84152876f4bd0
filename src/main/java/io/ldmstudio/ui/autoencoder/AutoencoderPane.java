package io.ldmstudio.ui.autoencoder;

import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioPane;
import javafx.scene.Node;

/**
 * The Autoencoder pane: load a pretrained or studio-trained KL autoencoder (or start training one),
 * see its f, latent shape, config and size, and what it keeps: a sample of the current dataset
 * reconstructed, with PSNR/SSIM, the magnified difference and the latent channels.
 */
public final class AutoencoderPane implements StudioPane {
    private final AutoencoderViewModel vm;
    private final AutoencoderView view;

    public AutoencoderPane(Studio studio) {
        vm = new AutoencoderViewModel(studio);
        view = new AutoencoderView(vm, vm.autoencoderRuns());
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
        return view.root();
    }

    public AutoencoderViewModel viewModel() {
        return vm;
    }

    AutoencoderView ui() {
        return view;
    }

    @Override
    public void dispose() {
        vm.dispose();
    }
}

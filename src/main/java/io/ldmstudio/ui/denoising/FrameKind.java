package io.ldmstudio.ui.denoising;

/**
 * What a frame of the trajectory shows: the noisy input x_t, the predicted clean image x̂0, or the
 * predicted noise ε̂. Labels use the small markup {@link FigureComposer} draws ({@code _} starts a
 * subscript, U+0302 puts a hat on the letter before it).
 */
public enum FrameKind {
    XT("x_t", "xₜ", "xt", "the noisy sample x_t the network sees at this step", 1f),
    X0("x\u0302_0", "x̂₀", "x0", "the clean image x̂0 the network predicts from x_t", 1f),
    EPS("\u03b5\u0302", "ε̂", "eps", "the noise ε̂ the network predicts, shown over ±2σ", 0.5f);

    private final String figureLabel;
    private final String uiLabel;
    private final String filePrefix;
    private final String description;
    private final float gain;

    FrameKind(String figureLabel, String uiLabel, String filePrefix, String description, float gain) {
        this.figureLabel = figureLabel;
        this.uiLabel = uiLabel;
        this.filePrefix = filePrefix;
        this.description = description;
        this.gain = gain;
    }

    /** The label in {@link FigureComposer}'s markup. */
    public String figureLabel() {
        return figureLabel;
    }

    /** The label for JavaFX text (Unicode subscripts). */
    public String uiLabel() {
        return uiLabel;
    }

    /** {@code xt}, {@code x0}, {@code eps}: the start of exported frame file names. */
    public String filePrefix() {
        return filePrefix;
    }

    public String description() {
        return description;
    }

    /**
     * The factor applied before mapping [-1, 1] to black..white: 1 for images, ½ for ε̂ (unit
     * Gaussian noise would otherwise be clipped at ±1σ).
     */
    public float gain() {
        return gain;
    }
}

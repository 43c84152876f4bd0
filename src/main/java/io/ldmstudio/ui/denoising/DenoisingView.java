package io.ldmstudio.ui.denoising;

import io.ldmstudio.config.SamplerKind;
import io.ldmstudio.ui.common.PixelView;
import io.ldmstudio.ui.denoising.DenoisingViewModel.CheckpointChoice;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import javafx.beans.binding.Bindings;
import javafx.beans.property.DoubleProperty;
import javafx.beans.property.IntegerProperty;
import javafx.beans.property.ObjectProperty;
import javafx.geometry.HPos;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.geometry.VPos;
import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ChoiceBox;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressBar;
import javafx.scene.control.RadioButton;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.Separator;
import javafx.scene.control.Slider;
import javafx.scene.control.Spinner;
import javafx.scene.control.SpinnerValueFactory;
import javafx.scene.control.TextField;
import javafx.scene.control.TextInputControl;
import javafx.scene.control.ToggleButton;
import javafx.scene.control.ToggleGroup;
import javafx.scene.control.Tooltip;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyEvent;
import javafx.scene.input.MouseEvent;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.ColumnConstraints;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.RowConstraints;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;
import javafx.stage.DirectoryChooser;
import javafx.stage.FileChooser;
import javafx.stage.Window;

/**
 * The Denoising pane's controls: settings and exports on the left, the three pictures of the current
 * step (and of the comparison) in the middle, the scrubber underneath. Only binds to the
 * {@link DenoisingViewModel}; file choosers are opened here because they need a window.
 */
final class DenoisingView {
    private static final double FORM_WIDTH = 300;
    /** The most height a sweep column's picture takes. */
    private static final double SWEEP_FRAME_HEIGHT = 220;

    private final DenoisingViewModel vm;
    private final BorderPane root = new BorderPane();
    /** Keeps the spinners' bidirectional bindings (which hold weak references) alive. */
    private final List<Object> bindings = new ArrayList<>();
    private final PixelView[][] views = new PixelView[2][FrameKind.values().length];
    private Button stripButton;
    private Slider scrubber;
    /** The keys that scrub: one step back and on, the first and the last step. */
    private static final Set<KeyCode> SCRUB_KEYS = Set.of(KeyCode.LEFT, KeyCode.RIGHT, KeyCode.HOME, KeyCode.END);

    DenoisingView(DenoisingViewModel vm) {
        this.vm = vm;
        root.setId("denoising-pane");
        root.setPadding(new Insets(10, 12, 8, 12));
        root.setTop(header());
        ScrollPane left = new ScrollPane(form());
        left.setFitToWidth(true);
        left.setHbarPolicy(ScrollPane.ScrollBarPolicy.NEVER);
        left.setPrefWidth(FORM_WIDTH + 18);
        left.setMinWidth(FORM_WIDTH + 18);
        left.getStyleClass().add("edge-to-edge");
        BorderPane.setMargin(left, new Insets(0, 12, 0, 0));
        root.setLeft(left);
        root.setCenter(stage());
        root.addEventFilter(KeyEvent.KEY_PRESSED, this::keys);
        // what the focused control left of ← → Home End stops here: above is the main window's tab pane,
        // which would switch tabs with them
        root.addEventHandler(KeyEvent.KEY_PRESSED, e -> {
            if (SCRUB_KEYS.contains(e.getCode()) && !e.isShortcutDown() && !e.isAltDown()) {
                e.consume();
            }
        });
        // a press no control took (a picture, a label, empty space) puts the keyboard on the scrubber; left
        // to bubble up, it would give the tab pane the focus, and ← → would then switch tabs
        root.addEventHandler(MouseEvent.MOUSE_PRESSED, e -> {
            (scrubber.isDisabled() ? root : scrubber).requestFocus();
            e.consume();
        });
    }

    Region view() {
        return root;
    }

    // ---------------- header ----------------

    private Node header() {
        Label title = new Label("Denoising");
        title.getStyleClass().add("pane-title");
        title.setMinWidth(Region.USE_PREF_SIZE); // a long result line must not squeeze the title to "…"
        Label summary = new Label();
        summary.setId("denoise-run-summary");
        summary.getStyleClass().add("dim");
        summary.textProperty().bind(vm.runSummaryProperty());
        Label result = new Label();
        result.setMinWidth(0);
        result.setId("denoise-result");
        result.getStyleClass().add("caption");
        result.textProperty().bind(vm.resultSummaryProperty());
        Region spacer = new Region();
        HBox.setHgrow(spacer, Priority.ALWAYS);
        HBox box = new HBox(12, title, summary, spacer, result);
        box.setAlignment(Pos.BASELINE_LEFT);
        box.setPadding(new Insets(0, 0, 8, 0));
        return box;
    }

    // ---------------- the form ----------------

    private Node form() {
        GridPane g = new GridPane();
        g.setHgap(8);
        g.setVgap(6);
        g.setPadding(new Insets(0, 8, 8, 0));
        ColumnConstraints labels = new ColumnConstraints();
        labels.setMinWidth(Region.USE_PREF_SIZE);
        ColumnConstraints fields = new ColumnConstraints();
        fields.setHgrow(Priority.ALWAYS);
        fields.setFillWidth(true);
        g.getColumnConstraints().addAll(labels, fields);
        int row = 0;

        g.add(section("Generate"), 0, row++, 2, 1);

        ComboBox<DenoisingViewModel.SourceChoice> run = new ComboBox<>(vm.sources());
        run.setId("denoise-run");
        // not bound both ways: when the list is replaced (a run made or deleted) the combo's value passes
        // through null, which would reload the run and put its checkpoint back to the newest
        run.setValue(vm.sourceProperty().get());
        run.valueProperty().addListener((o, a, b) -> {
            if (b != null) {
                vm.sourceProperty().set(b);
            }
        });
        vm.sourceProperty().addListener((o, a, b) -> run.setValue(b));
        run.setMaxWidth(Double.MAX_VALUE);
        tip(run, "The run or model to sample from (follows the run or model selected in the sidebar); models are the "
                + "diffusers pipelines under Models");
        row = field(g, row, "From", run);

        ComboBox<CheckpointChoice> cp = new ComboBox<>(vm.checkpoints());
        cp.setId("denoise-checkpoint");
        cp.valueProperty().bindBidirectional(vm.checkpointProperty());
        cp.setMaxWidth(Double.MAX_VALUE);
        cp.setPromptText("no checkpoint");
        tip(cp, "Which of the run's saved checkpoints to load (newest first)");
        cp.disableProperty().bind(vm.sourceIsModel());
        row = field(g, row, "Checkpoint", cp);

        ToggleGroup weights = new ToggleGroup();
        RadioButton ema = new RadioButton("EMA");
        ema.setId("denoise-ema");
        ema.setToggleGroup(weights);
        tip(ema, "The exponential moving average of the weights: usually the cleaner samples");
        RadioButton raw = new RadioButton("raw");
        raw.setId("denoise-raw");
        raw.setToggleGroup(weights);
        tip(raw, "The optimiser's current weights, without averaging");
        ema.setSelected(vm.useEmaProperty().get());
        raw.setSelected(!vm.useEmaProperty().get());
        ema.selectedProperty().addListener((o, a, b) -> vm.useEmaProperty().set(b));
        vm.useEmaProperty().addListener((o, a, b) -> (b ? ema : raw).setSelected(true));
        HBox weightsBox = new HBox(12, ema, raw);
        weightsBox.disableProperty().bind(vm.sourceIsModel());
        row = field(g, row, "Weights", weightsBox);

        row = latentScaleField(g, row);

        row = samplerFields(g, row, "Sampler", "", vm.samplerProperty(), vm.stepsProperty(), vm.etaProperty(), false);

        Spinner<Integer> seed = intSpinner(vm.seedProperty(), 0, Integer.MAX_VALUE, 1);
        seed.setId("denoise-seed");
        tip(seed, "The noise seed: the same seed gives the same x_T and (for DDIM η = 0) the same trajectory");
        row = field(g, row, "Seed", seed);

        Spinner<Integer> n = intSpinner(vm.imagesProperty(), 1, 64, 1);
        n.setId("denoise-images");
        tip(n, "How many images to sample at once; they are shown tiled as a grid. For one row per class: images per "
                + "class");
        n.disableProperty().bind(vm.noiseFileProperty().isNotNull());
        Label imagesLabel = new Label();
        imagesLabel.setId("denoise-images-label");
        imagesLabel.textProperty().bind(Bindings.when(vm.rowsPerClass()).then("Per class").otherwise("Images"));
        // the class rows share the Images row of the grid: hidden, they leave no gaps behind
        VBox labelColumn = new VBox(g.getVgap());
        VBox fieldColumn = new VBox(g.getVgap());
        fieldColumn.setFillWidth(true);
        stacked(labelColumn, fieldColumn, imagesLabel, n);
        classFields(labelColumn, fieldColumn);
        g.add(labelColumn, 0, row);
        g.add(fieldColumn, 1, row++);

        row = noiseField(g, row);

        CheckBox compare = new CheckBox("Compare with a second sampler");
        compare.setId("denoise-compare");
        compare.selectedProperty().bindBidirectional(vm.compareProperty());
        tip(compare, "Sample a second trajectory from the same seed and show it underneath; both scrubbers move by "
                + "the same fraction of their steps");
        g.add(compare, 0, row++, 2, 1);
        row = samplerFields(g, row, "2nd sampler", "2", vm.sampler2Property(), vm.steps2Property(), vm.eta2Property(),
                true);

        Button generate = new Button("Generate");
        generate.setId("denoise-generate");
        generate.setDefaultButton(false);
        generate.disableProperty().bind(vm.canGenerate().not());
        generate.setOnAction(e -> vm.generate());
        generate.setMaxWidth(Double.MAX_VALUE);
        tip(generate, "Sample the whole trajectory in the background (Ctrl+Enter)");
        Button cancel = new Button("Cancel");
        cancel.setId("denoise-cancel");
        cancel.disableProperty().bind(vm.runningProperty().not());
        cancel.setOnAction(e -> vm.cancel());
        tip(cancel, "Stop sampling before the next step; the steps so far stay scrubbable (Ctrl+.)");
        HBox.setHgrow(generate, Priority.ALWAYS);
        HBox buttons = new HBox(8, generate, cancel);
        g.add(buttons, 0, row++, 2, 1);

        ProgressBar progress = new ProgressBar();
        progress.setId("denoise-progress");
        progress.progressProperty().bind(vm.progressProperty());
        progress.setMaxWidth(Double.MAX_VALUE);
        progress.visibleProperty().bind(vm.runningProperty());
        progress.managedProperty().bind(progress.visibleProperty());
        Label progressText = new Label();
        progressText.setId("denoise-progress-text");
        progressText.getStyleClass().add("dim");
        progressText.textProperty().bind(vm.progressTextProperty());
        progressText.managedProperty().bind(progressText.textProperty().isNotEmpty());
        progressText.visibleProperty().bind(progressText.managedProperty());
        g.add(progress, 0, row++, 2, 1);
        g.add(progressText, 0, row++, 2, 1);

        g.add(errorLabel("denoise-settings-error", vm.settingsErrorProperty()), 0, row++, 2, 1);

        g.add(new Separator(), 0, row++, 2, 1);
        row = exportForm(g, row);

        Label keys = new Label("Keys: ← → step · Home / End · Space play\nCtrl+Enter generate · Ctrl+. cancel · "
                + "Ctrl+E strip");
        keys.getStyleClass().add("dim");
        keys.setWrapText(true);
        VBox box = new VBox(14, g, keys);
        box.setFillWidth(true);
        return box;
    }

    /**
     * The class, the guidance scale w and rescale φ, and the guidance sweep of a class-conditional source; hidden for
     * an unconditional one.
     */
    private void classFields(VBox labels, VBox fields) {
        int first = labels.getChildren().size();
        ComboBox<String> cls = new ComboBox<>();
        cls.setId("denoise-class");
        cls.setEditable(true);
        Runnable items = () -> {
            List<String> all = new ArrayList<>();
            all.add(DenoisingViewModel.rowsPerClassText());
            if (vm.classNames().isEmpty()) {
                for (int k = 0; k < vm.classesProperty().get(); k++) {
                    all.add(Integer.toString(k));
                }
            } else {
                all.addAll(vm.classNames());
            }
            String keep = vm.classTextProperty().get();
            cls.getItems().setAll(all);
            cls.setValue(keep);
        };
        vm.classNames().addListener((javafx.collections.ListChangeListener<String>) c -> items.run());
        vm.classesProperty().addListener((o, a, b) -> items.run());
        items.run();
        cls.valueProperty().bindBidirectional(vm.classTextProperty());
        cls.setMaxWidth(Double.MAX_VALUE);
        cls.getEditor().setPrefColumnCount(10);
        tip(cls, "Which classes to sample: one row per class (Images per class, each row named), one class by name, or a "
                + "list such as 3, 7, sneaker — by label or name, cycled over the images (as `sample --class` takes)");
        stacked(labels, fields, new Label("Class"), cls);

        Spinner<Double> w = doubleSpinner(vm.guidanceProperty(), 0, 100, 0.5);
        w.setId("denoise-guidance");
        tip(w, "Classifier-free guidance scale w: 1 = the conditional model alone (one pass), larger pushes samples "
                + "harder towards the class; default the run's conditioning.guidance (3 for a model folder)");
        Spinner<Double> phi = doubleSpinner(vm.guidanceRescaleProperty(), 0, 1, 0.1);
        phi.setId("denoise-guidance-rescale");
        tip(phi, "Guidance rescale φ in [0, 1] (Lin et al.; diffusers' guidance_rescale): pulls the guided output back "
                + "towards the conditional output's spread; 0 = off");
        HBox pair = new HBox(6, w, new Label("φ"), phi);
        pair.setAlignment(Pos.CENTER_LEFT);
        HBox.setHgrow(w, Priority.ALWAYS);
        HBox.setHgrow(phi, Priority.ALWAYS);
        w.setPrefWidth(100);
        phi.setPrefWidth(80);
        w.disableProperty().bind(vm.sweepProperty());
        stacked(labels, fields, new Label("Guidance w"), pair);

        CheckBox sweep = new CheckBox("Sweep w");
        sweep.setId("denoise-sweep");
        sweep.selectedProperty().bindBidirectional(vm.sweepProperty());
        tip(sweep, "Sample the same seed (x_T) at each guidance scale and show them side by side, scrubbed together; "
                + "Sweep PNG… writes them as one figure (instead of a second sampler)");
        TextField scales = new TextField();
        scales.setId("denoise-sweep-scales");
        scales.textProperty().bindBidirectional(vm.sweepTextProperty());
        scales.setPromptText("1, 2, 4, 8");
        scales.disableProperty().bind(vm.sweepProperty().not());
        tip(scales, "The guidance scales w of the sweep, separated by commas (at most 8)");
        stacked(labels, fields, sweep, scales);
        for (VBox column : List.of(labels, fields)) {
            for (Node node : List.copyOf(column.getChildren().subList(first, column.getChildren().size()))) {
                node.visibleProperty().bind(vm.conditionalProperty());
                node.managedProperty().bind(node.visibleProperty());
            }
        }
    }

    /** A label (or a check box) and its field, one above the other in two columns, the label as tall as the field. */
    private static void stacked(VBox labels, VBox fields, javafx.scene.control.Control label, Region field) {
        if (label instanceof Label l) {
            l.setLabelFor(field);
        }
        label.setMinWidth(Region.USE_PREF_SIZE);
        label.minHeightProperty().bind(field.heightProperty());
        label.maxHeightProperty().bind(field.heightProperty());
        field.setMaxWidth(Double.MAX_VALUE);
        labels.getChildren().add(label);
        fields.getChildren().add(field);
    }

    private Spinner<Double> doubleSpinner(DoubleProperty p, double min, double max, double step) {
        Spinner<Double> s = new Spinner<>();
        SpinnerValueFactory.DoubleSpinnerValueFactory f = new SpinnerValueFactory.DoubleSpinnerValueFactory(min, max,
                Math.max(min, Math.min(max, p.get())), step);
        f.setConverter(new javafx.util.StringConverter<>() {
            @Override
            public String toString(Double v) {
                return v == null ? "" : SamplingSettings.fmt(v);
            }

            @Override
            public Double fromString(String t) {
                return Double.parseDouble(t.trim());
            }
        });
        s.setValueFactory(f);
        var obj = p.asObject();
        bindings.add(obj);
        f.valueProperty().bindBidirectional(obj);
        editable(s);
        s.setMaxWidth(Double.MAX_VALUE);
        return s;
    }

    /** Where x_T comes from: the seed, or a NumPy file (to reproduce a result made in another tool). */
    private int noiseField(GridPane g, int row) {
        Label from = new Label();
        from.setId("denoise-noise-file");
        from.setMinWidth(0);
        from.textProperty().bind(javafx.beans.binding.Bindings.createStringBinding(() -> vm.noiseFileProperty().get() == null
                ? "from the seed" : vm.noiseFileProperty().get().getFileName().toString(), vm.noiseFileProperty()));
        Button choose = new Button("File…");
        choose.setId("denoise-noise-choose");
        tip(choose, "Start from a given x_T: a NumPy float32 .npy of [n, C, H, W], the denoiser's input (latents for a "
                + "latent source), one image per row — the same file `sample --noise` and other tools take");
        choose.setOnAction(e -> {
            FileChooser fc = new FileChooser();
            fc.setTitle("Choose x_T (a .npy file)");
            fc.getExtensionFilters().add(new FileChooser.ExtensionFilter("NumPy array", "*.npy"));
            File f = fc.showOpenDialog(window());
            if (f != null) {
                vm.noiseFileProperty().set(f.toPath());
            }
        });
        Button seed = new Button("Seed");
        seed.setId("denoise-noise-clear");
        tip(seed, "Draw x_T from the seed again");
        seed.disableProperty().bind(vm.noiseFileProperty().isNull());
        seed.setOnAction(e -> vm.noiseFileProperty().set(null));
        Region spacer = new Region();
        HBox.setHgrow(spacer, Priority.ALWAYS);
        HBox box = new HBox(6, from, spacer, choose, seed);
        box.setAlignment(Pos.BASELINE_LEFT);
        return field(g, row, "x_T", box);
    }

    /** The latent scale of a latent model: shown only for one, committed on Enter or when the field is left. */
    private int latentScaleField(GridPane g, int row) {
        TextField scale = new TextField();
        scale.setId("denoise-latent-scale");
        scale.setPrefColumnCount(6);
        Runnable show = () -> {
            if (!scale.isFocused()) {
                double v = vm.latentScaleProperty().get();
                scale.setText(Double.isFinite(v) ? SamplingSettings.fmt(v) : "");
            }
        };
        vm.latentScaleProperty().addListener((o, a, b) -> show.run());
        show.run();
        Runnable commit = () -> {
            try {
                vm.latentScaleProperty().set(Double.parseDouble(scale.getText().trim()));
            } catch (NumberFormatException e) {
                vm.latentScaleProperty().set(Double.NaN); // the settings error says what is expected
            }
        };
        scale.setOnAction(e -> commit.run());
        scale.focusedProperty().addListener((o, a, b) -> {
            if (!b) {
                commit.run();
                show.run();
            }
        });
        tip(scale, "What the model's latents are divided by before its autoencoder decodes them (diffusers' "
                + "vqvae.scaling_factor). The config's value unless you set another: CompVis/ldm-celebahq-256 was "
                + "trained with 1.0 though its config says 0.18215 — with that its faces come out smeared");
        Label note = new Label();
        note.setId("denoise-latent-scale-note");
        note.getStyleClass().add("dim");
        note.textProperty().bind(vm.latentScaleNoteProperty());
        HBox box = new HBox(8, scale, note);
        box.setAlignment(Pos.BASELINE_LEFT);
        Label l = new Label("Latent scale");
        l.setLabelFor(scale);
        for (Node n : List.of(l, box)) {
            n.visibleProperty().bind(vm.latentScaleSettable());
            n.managedProperty().bind(n.visibleProperty());
        }
        g.add(l, 0, row);
        g.add(box, 1, row);
        return row + 1;
    }

    private int samplerFields(GridPane g, int row, String label, String idSuffix, ObjectProperty<SamplerKind> sampler,
            IntegerProperty steps, DoubleProperty eta, boolean second) {
        ChoiceBox<SamplerKind> choice = new ChoiceBox<>();
        choice.getItems().setAll(SamplerKind.values());
        choice.valueProperty().bindBidirectional(sampler);
        choice.setId("denoise-sampler" + idSuffix);
        choice.setMaxWidth(Double.MAX_VALUE);
        Tooltip t = new Tooltip();
        t.textProperty().bind(Bindings.createStringBinding(() -> sampler.get() == null ? "" : sampler.get().description,
                sampler));
        choice.setTooltip(t);
        Spinner<Integer> st = intSpinner(steps, 1, 1000, 1);
        st.setId("denoise-steps" + idSuffix);
        ((SpinnerValueFactory.IntegerSpinnerValueFactory) st.getValueFactory()).maxProperty()
                .bind(vm.maxStepsProperty());
        tip(st, "Network evaluations from noise to image (at most the run's diffusion.timesteps)");
        Spinner<Double> e = new Spinner<>();
        SpinnerValueFactory.DoubleSpinnerValueFactory ef = new SpinnerValueFactory.DoubleSpinnerValueFactory(0, 1,
                eta.get(), 0.1);
        e.setValueFactory(ef);
        var etaObj = eta.asObject();
        bindings.add(etaObj);
        ef.valueProperty().bindBidirectional(etaObj);
        editable(e);
        e.setId("denoise-eta" + idSuffix);
        e.setMaxWidth(Double.MAX_VALUE);
        e.disableProperty().bind(second ? sampler.isNotEqualTo(SamplerKind.DDIM).or(vm.compareProperty().not())
                : sampler.isNotEqualTo(SamplerKind.DDIM));
        tip(e, "DDIM's η: 0 is deterministic, 1 adds as much fresh noise per step as DDPM (DDIM only)");
        if (second) {
            choice.disableProperty().bind(vm.compareProperty().not());
            st.disableProperty().bind(vm.compareProperty().not());
        }
        row = field(g, row, label, choice);
        HBox pair = new HBox(6, st, new Label("η"), e);
        pair.setAlignment(Pos.CENTER_LEFT);
        HBox.setHgrow(st, Priority.ALWAYS);
        HBox.setHgrow(e, Priority.ALWAYS);
        st.setPrefWidth(100);
        e.setPrefWidth(80);
        return field(g, row, "Steps", pair);
    }

    private int exportForm(GridPane g, int row) {
        g.add(section("Export for reports"), 0, row++, 2, 1);
        TextField stepsField = new TextField();
        stepsField.setId("denoise-export-steps");
        stepsField.textProperty().bindBidirectional(vm.exportStepsProperty());
        stepsField.setPromptText("every 10   or   0,10,25,49");
        tip(stepsField, "Steps in the strip: \"every K\" (0, K, 2K, … and the last) or a list of step numbers "
                + "counted from 0 as the scrubber shows them");
        row = field(g, row, "Strip steps", stepsField);
        g.add(errorLabel("denoise-export-steps-error", vm.exportStepsErrorProperty()), 1, row++);
        stepsField.styleProperty().bind(Bindings.when(vm.exportStepsErrorProperty().isNotEmpty())
                .then("-fx-border-color: #b3261e; -fx-border-radius: 2;").otherwise(""));

        CheckBox xt = rowBox("x_t", FrameKind.XT, vm.rowXtProperty());
        CheckBox x0 = rowBox("x0", FrameKind.X0, vm.rowX0Property());
        CheckBox eps = rowBox("eps", FrameKind.EPS, vm.rowEpsProperty());
        row = field(g, row, "Rows", new HBox(10, xt, x0, eps));

        CheckBox labels = new CheckBox("Row labels");
        labels.setId("denoise-export-row-labels");
        labels.selectedProperty().bindBidirectional(vm.rowLabelsProperty());
        tip(labels, "Write x_t / x̂0 / ε̂ at the left of each row");
        Spinner<Integer> scale = intSpinner(vm.scaleProperty(), 1, 16, 1);
        scale.setId("denoise-export-scale");
        scale.setPrefWidth(70);
        tip(scale, "Each image pixel becomes a scale × scale block (nearest neighbour, no blur)");
        HBox scaleBox = new HBox(6, labels, spacer(), new Label("Scale ×"), scale);
        scaleBox.setAlignment(Pos.CENTER_LEFT);
        g.add(scaleBox, 0, row++, 2, 1);

        Button strip = new Button("Strip PNG…");
        strip.setId("denoise-export-strip");
        strip.disableProperty().bind(vm.canExport().not().or(vm.exportStepsErrorProperty().isNotEmpty())
                .or(vm.rowXtProperty().or(vm.rowX0Property()).or(vm.rowEpsProperty()).not()));
        strip.setOnAction(e -> chooseFile("Save the figure strip", vm.stripStem(), "-strip.png", "PNG image", "*.png")
                .ifPresent(vm::exportStrip));
        tip(strip, "One PNG of the chosen steps, a step label under each frame, on white (Ctrl+E); of a guidance sweep, "
                + "its first w");
        Button gif = new Button("GIF…");
        gif.setId("denoise-export-gif");
        gif.disableProperty().bind(vm.canExport().not()
                .or(vm.rowXtProperty().or(vm.rowX0Property()).or(vm.rowEpsProperty()).not()));
        gif.setOnAction(e -> chooseFile("Save the animated GIF", ".gif", "GIF animation", "*.gif")
                .ifPresent(vm::exportGif));
        tip(gif, "Every step as a looping animation at the playback frame rate (a guidance sweep: every w side by side)");
        Button raw = new Button("Frames…");
        raw.setId("denoise-export-frames");
        raw.disableProperty().bind(vm.canExport().not());
        raw.setOnAction(e -> chooseFolder().ifPresent(vm::exportFrames));
        tip(raw, "x_t, x̂0 and ε̂ of every step as PNGs in a new folder inside the one you choose (a guidance sweep: a "
                + "sub-folder per w)");
        for (Button b : List.of(strip, gif, raw)) {
            b.setMaxWidth(Double.MAX_VALUE);
            HBox.setHgrow(b, Priority.ALWAYS);
        }
        g.add(new HBox(6, strip, gif, raw), 0, row++, 2, 1);
        Button sweepFigure = new Button("Sweep PNG…");
        sweepFigure.setId("denoise-export-sweep");
        sweepFigure.setMaxWidth(Double.MAX_VALUE);
        var hasSweep = Bindings.createBooleanBinding(() -> !vm.sweepGenerationsProperty().get().isEmpty(),
                vm.sweepGenerationsProperty());
        sweepFigure.disableProperty().bind(vm.canExport().not().or(hasSweep.not())
                .or(vm.rowXtProperty().or(vm.rowX0Property()).or(vm.rowEpsProperty()).not()));
        sweepFigure.visibleProperty().bind(hasSweep);
        sweepFigure.managedProperty().bind(hasSweep);
        sweepFigure.setOnAction(e -> chooseFile("Save the guidance sweep figure", "-step" + vm.indexProperty().get()
                + ".png", "PNG image", "*.png").ifPresent(vm::exportSweep));
        tip(sweepFigure, "One PNG of the guidance sweep at the scrubbed step: a column per w headed \"w = 2\", the ticked "
                + "rows, a row per class named by it");
        g.add(sweepFigure, 0, row++, 2, 1);
        stripButton = strip;
        Label writing = new Label("writing the export…");
        writing.setId("denoise-exporting");
        writing.getStyleClass().add("dim");
        writing.visibleProperty().bind(vm.exportingProperty());
        writing.managedProperty().bind(writing.visibleProperty());
        g.add(writing, 0, row++, 2, 1);
        Label where = new Label();
        where.setId("denoise-last-export");
        where.getStyleClass().add("dim");
        where.setWrapText(true);
        where.textProperty().bind(Bindings.createStringBinding(() -> vm.lastExportProperty().get() == null ? ""
                : "Last export: " + vm.lastExportProperty().get(), vm.lastExportProperty()));
        g.add(where, 0, row++, 2, 1);
        return row;
    }

    private CheckBox rowBox(String id, FrameKind kind, javafx.beans.property.BooleanProperty p) {
        CheckBox c = new CheckBox(kind.uiLabel());
        c.setId("denoise-export-row-" + id);
        c.selectedProperty().bindBidirectional(p);
        tip(c, "Include a row of " + kind.description());
        return c;
    }

    // ---------------- the pictures and the scrubber ----------------

    private Node stage() {
        GridPane grid = new GridPane();
        grid.setId("denoise-frames");
        grid.setHgap(10);
        grid.setVgap(6);
        ColumnConstraints labelCol = new ColumnConstraints();
        labelCol.setMinWidth(105);
        labelCol.setPrefWidth(105);
        labelCol.setMaxWidth(105);
        grid.getColumnConstraints().add(labelCol);
        FrameKind[] kinds = FrameKind.values();
        for (int k = 0; k < kinds.length; k++) {
            ColumnConstraints c = new ColumnConstraints();
            c.setHgrow(Priority.ALWAYS);
            c.setPercentWidth(-1);
            c.setFillWidth(true);
            c.setHalignment(HPos.CENTER);
            grid.getColumnConstraints().add(c);
            Label head = new Label(kinds[k].uiLabel());
            head.getStyleClass().add("section-title");
            head.setStyle("-fx-font-size: 15px;");
            head.setTooltip(new Tooltip(kinds[k].description()));
            Label sub = new Label(switch (kinds[k]) {
                case XT -> "noisy input";
                case X0 -> "predicted clean image";
                case EPS -> "predicted noise (±2σ)";
            });
            sub.getStyleClass().add("dim");
            VBox hb = new VBox(0, head, sub);
            hb.setAlignment(Pos.BOTTOM_CENTER);
            grid.add(hb, k + 1, 0);
        }
        grid.getRowConstraints().add(new RowConstraints());
        for (int r = 0; r < 2; r++) {
            RowConstraints rc = new RowConstraints();
            rc.setVgrow(Priority.NEVER);
            rc.setFillHeight(true);
            rc.setValignment(VPos.CENTER);
            grid.getRowConstraints().add(rc);
            var gen = r == 0 ? vm.primaryProperty() : vm.secondaryProperty();
            Label title = new Label();
            title.setId("denoise-row-title-" + r);
            title.getStyleClass().add("section-title");
            title.textProperty().bind(Bindings.createStringBinding(
                    () -> gen.get() == null ? "" : Generation.samplerTitle(gen.get().settings().sampler()), gen));
            Label detail = new Label();
            detail.getStyleClass().add("dim");
            detail.setWrapText(true); // "8 steps · η 0 · w = 2" wraps in the narrow label column
            detail.textProperty().bind(Bindings.createStringBinding(() -> {
                if (gen.get() == null) {
                    return "";
                }
                String t = gen.get().settings().title();
                return t.substring(t.indexOf(" · ") + 3).replace(" · w = ", "\nw = "); // w on a line of its own
            }, gen));
            // the step label on two lines: "step 5/10" and "t = 400"
            var stepText = r == 0 ? vm.stepLabelProperty() : vm.stepLabel2Property();
            Label step = new Label();
            step.setId("denoise-row-step-" + r);
            step.getStyleClass().add("figure");
            step.textProperty().bind(Bindings.createStringBinding(() -> stepText.get().replace(" · ", "\n"), stepText));
            // what a class-conditional source was sampled for: "class ring", or the rows' classes top to bottom
            Label classes = new Label();
            classes.setId("denoise-row-classes-" + r);
            classes.getStyleClass().add("dim");
            classes.setWrapText(true);
            classes.textProperty().bind(Bindings.createStringBinding(() -> {
                Generation.Conditioning c = gen.get() == null ? null : gen.get().settings().conditioning();
                return c == null ? "" : c.choice().rows() ? "rows: " + String.join(", ", c.choice().rowLabels())
                        : c.classLabel();
            }, gen));
            classes.managedProperty().bind(classes.textProperty().isNotEmpty());
            classes.visibleProperty().bind(classes.managedProperty());
            VBox lab = new VBox(2, title, detail, classes, new Region(), step);
            ((Region) lab.getChildren().get(3)).setMinHeight(6);
            lab.setAlignment(Pos.CENTER_LEFT);
            grid.add(lab, 0, r + 1);
            for (int k = 0; k < kinds.length; k++) {
                PixelView pv = new PixelView(PixelView.Fit.FRAMED);
                pv.setId("denoise-frame-" + r + "-" + kinds[k].filePrefix());
                pv.imageProperty().bind(vm.frameProperty(r, kinds[k]));
                // room for the sweep's columns underneath while there is one
                pv.maxHeightProperty().bind(Bindings.createDoubleBinding(() -> vm.sweepGenerationsProperty().get()
                        .isEmpty() ? Double.MAX_VALUE : SWEEP_FRAME_HEIGHT, vm.sweepGenerationsProperty()));
                views[r][k] = pv;
                Tooltip.install(pv, new Tooltip(kinds[k].description()));
                grid.add(pv, k + 1, r + 1);
            }
            if (r == 1) {
                var visible = vm.secondaryProperty().isNotNull();
                lab.visibleProperty().bind(visible);
                for (int k = 0; k < kinds.length; k++) {
                    views[r][k].visibleProperty().bind(visible);
                    views[r][k].managedProperty().bind(visible);
                }
                lab.managedProperty().bind(visible);
            }
        }
        // plain letters: wrapped text with combining hats (x̂0, ε̂) came out with lines repeated and cut
        // under the desktop (Pango) text layout
        javafx.scene.text.Text empty = new javafx.scene.text.Text("Pick a run or a model and a sampler, then Generate: every "
                + "step of the reverse process is kept, so you can scrub through the noisy input, the predicted "
                + "clean image and the predicted noise, and export figures.");
        empty.setId("denoise-empty");
        empty.setWrappingWidth(420);
        empty.setFill(javafx.scene.paint.Color.web("#5f6670"));
        empty.visibleProperty().bind(vm.primaryProperty().isNull());
        Label previewTitle = new Label();
        previewTitle.setId("denoise-strip-preview-title");
        previewTitle.getStyleClass().add("dim");
        previewTitle.textProperty().bind(vm.stripPreviewTextProperty());
        FitView preview = new FitView();
        preview.setId("denoise-strip-preview");
        preview.imageProperty().bind(vm.stripPreviewProperty());
        preview.visibleProperty().bind(vm.stripPreviewProperty().isNotNull());
        VBox.setVgrow(preview, Priority.ALWAYS);
        VBox pictures = new VBox(8, grid, sweepView(), scrubber(), new Separator(), previewTitle, preview);
        StackPane.setAlignment(empty, Pos.CENTER);
        StackPane stack = new StackPane(pictures, empty);
        StackPane.setAlignment(pictures, Pos.TOP_CENTER);
        return stack;
    }

    /** A guidance sweep's columns at the scrubbed step, one per w, of the kind chosen; shown only for a sweep. */
    private Node sweepView() {
        Label title = new Label("Guidance sweep");
        title.getStyleClass().add("section-title");
        ChoiceBox<FrameKind> kind = new ChoiceBox<>();
        kind.setId("denoise-sweep-kind");
        kind.getItems().setAll(FrameKind.values());
        kind.setConverter(new javafx.util.StringConverter<>() {
            @Override
            public String toString(FrameKind k) {
                return k == null ? "" : k.uiLabel();
            }

            @Override
            public FrameKind fromString(String s) {
                return null;
            }
        });
        kind.valueProperty().bindBidirectional(vm.sweepKindProperty());
        tip(kind, "Which picture each scale shows at the scrubbed step");
        Label classes = new Label();
        classes.setId("denoise-sweep-classes");
        classes.getStyleClass().add("dim");
        classes.setMinWidth(0);
        classes.textProperty().bind(Bindings.createStringBinding(() -> {
            List<Generation> s = vm.sweepGenerationsProperty().get();
            if (s.isEmpty()) {
                return "";
            }
            Generation.Conditioning c = s.get(0).settings().conditioning();
            return c.classLabel() + (c.choice().rows() ? ": " + String.join(", ", c.choice().rowLabels()) + " (top to bottom)"
                    : "") + " · same seed at each w";
        }, vm.sweepGenerationsProperty()));
        HBox head = new HBox(10, title, kind, classes);
        head.setAlignment(Pos.CENTER_LEFT);
        HBox columns = new HBox(10);
        columns.setId("denoise-sweep-columns");
        columns.setAlignment(Pos.TOP_CENTER);
        for (int c = 0; c < SamplingSettings.MAX_SWEEP; c++) {
            final int col = c;
            Label w = new Label();
            w.setId("denoise-sweep-head-" + c);
            w.getStyleClass().add("figure");
            w.textProperty().bind(Bindings.createStringBinding(() -> {
                List<Generation> s = vm.sweepGenerationsProperty().get();
                return col < s.size() ? s.get(col).settings().conditioning().guidanceLabel() : "";
            }, vm.sweepGenerationsProperty()));
            PixelView pv = new PixelView(PixelView.Fit.FRAMED);
            pv.setId("denoise-sweep-frame-" + c);
            pv.setMaxHeight(SWEEP_FRAME_HEIGHT); // tall one-row-per-class frames would push the scrubber off the pane
            pv.imageProperty().bind(vm.sweepFrameProperty(c));
            VBox box = new VBox(2, w, pv);
            box.setAlignment(Pos.TOP_CENTER);
            HBox.setHgrow(box, Priority.ALWAYS);
            box.setMaxWidth(Double.MAX_VALUE);
            var shown = Bindings.createBooleanBinding(() -> col < vm.sweepGenerationsProperty().get().size(),
                    vm.sweepGenerationsProperty());
            box.visibleProperty().bind(shown);
            box.managedProperty().bind(shown);
            columns.getChildren().add(box);
        }
        VBox view = new VBox(4, head, columns);
        view.setId("denoise-sweep-view");
        var any = Bindings.createBooleanBinding(() -> !vm.sweepGenerationsProperty().get().isEmpty(),
                vm.sweepGenerationsProperty());
        view.visibleProperty().bind(any);
        view.managedProperty().bind(any);
        return view;
    }

    /** The picture view of a guidance sweep's column {@code c}. */
    PixelView sweepView(int c) {
        return (PixelView) root.lookup("#denoise-sweep-frame-" + c);
    }

    private Node scrubber() {
        ToggleButton play = new ToggleButton("▶");
        play.setId("denoise-play");
        play.selectedProperty().bindBidirectional(vm.playingProperty());
        play.textProperty().bind(Bindings.when(vm.playingProperty()).then("❚❚").otherwise("▶"));
        play.setMinWidth(40);
        play.disableProperty().bind(vm.frameCountProperty().lessThan(2));
        tip(play, "Play or pause the trajectory at the frame rate on the right (Space)");
        Slider slider = new Slider(0, 0, 0);
        scrubber = slider;
        slider.setId("denoise-slider");
        slider.setBlockIncrement(1);
        slider.setMajorTickUnit(1);
        slider.setMinorTickCount(0);
        slider.setSnapToTicks(true);
        slider.maxProperty().bind(Bindings.max(0, vm.frameCountProperty().subtract(1)));
        slider.disableProperty().bind(vm.frameCountProperty().lessThan(2));
        slider.valueProperty().addListener((o, a, b) -> {
            int i = (int) Math.round(b.doubleValue());
            if (i != vm.indexProperty().get()) {
                vm.indexProperty().set(i);
            }
        });
        vm.indexProperty().addListener((o, a, b) -> {
            if ((int) Math.round(slider.getValue()) != b.intValue()) {
                slider.setValue(b.intValue());
            }
        });
        vm.runningProperty().addListener((o, was, now) -> {
            if (was && !now && root.getScene() != null) {
                slider.requestFocus(); // ← → work at once
            }
        });
        HBox.setHgrow(slider, Priority.ALWAYS);
        tip(slider, "Scrub through every step (← → one step, Home / End)");
        Label step = new Label();
        step.setId("denoise-step-label");
        step.getStyleClass().add("figure");
        step.textProperty().bind(Bindings.createStringBinding(() -> vm.stepLabelProperty().get().isEmpty()
                ? "no trajectory yet" : vm.stepLabelProperty().get(), vm.stepLabelProperty()));
        step.setMinWidth(Region.USE_PREF_SIZE);
        step.setPrefWidth(190);
        Spinner<Integer> fps = intSpinner(vm.fpsProperty(), 1, 60, 1);
        fps.setId("denoise-fps");
        fps.setPrefWidth(72);
        tip(fps, "Frames per second for playback and for the GIF");
        // the comparison's scrubber: at the same fraction of its own steps, and draggable too
        Label which = new Label();
        which.getStyleClass().add("dim");
        which.textProperty().bind(Bindings.createStringBinding(() -> vm.secondaryProperty().get() == null ? ""
                : Generation.samplerTitle(vm.secondaryProperty().get().settings().sampler()), vm.secondaryProperty()));
        Slider slider2 = new Slider(0, 0, 0);
        slider2.setId("denoise-slider2");
        slider2.setBlockIncrement(1);
        slider2.setMajorTickUnit(1);
        slider2.setMinorTickCount(0);
        slider2.setSnapToTicks(true);
        slider2.maxProperty().bind(Bindings.max(0, vm.secondaryFrameCountProperty().subtract(1)));
        slider2.disableProperty().bind(vm.secondaryFrameCountProperty().lessThan(2));
        boolean[] syncing = {false};
        vm.secondaryIndexProperty().addListener((o, a, b) -> {
            syncing[0] = true;
            slider2.setValue(Math.max(0, b.intValue()));
            syncing[0] = false;
        });
        slider2.valueProperty().addListener((o, a, b) -> {
            if (!syncing[0] && (slider2.isValueChanging() || slider2.isFocused())) {
                vm.scrubSecondary((int) Math.round(b.doubleValue()));
            }
        });
        tip(slider2, "The comparison trajectory at the same fraction of its steps; dragging it moves both");
        Label step2 = new Label();
        step2.setId("denoise-step-label2");
        step2.getStyleClass().add("figure");
        step2.textProperty().bind(vm.stepLabel2Property());
        step2.setMinWidth(Region.USE_PREF_SIZE);

        GridPane bars = new GridPane();
        bars.setHgap(10);
        bars.setVgap(2);
        bars.setPadding(new Insets(6, 0, 0, 0));
        ColumnConstraints c0 = new ColumnConstraints(44);
        c0.setHalignment(HPos.CENTER);
        ColumnConstraints c1 = new ColumnConstraints();
        c1.setHgrow(Priority.ALWAYS);
        ColumnConstraints c2 = new ColumnConstraints(190);
        bars.getColumnConstraints().addAll(c0, c1, c2, new ColumnConstraints(), new ColumnConstraints());
        slider.setMaxWidth(Double.MAX_VALUE);
        slider2.setMaxWidth(Double.MAX_VALUE);
        bars.addRow(0, play, slider, step, new Label("fps"), fps);
        bars.addRow(1, which, slider2, step2);
        for (Node n : List.of(which, slider2, step2)) {
            n.visibleProperty().bind(vm.secondaryProperty().isNotNull());
            n.managedProperty().bind(n.visibleProperty());
        }
        return bars;
    }

    // ---------------- helpers ----------------

    private void keys(KeyEvent e) {
        Node focus = root.getScene() == null ? null : root.getScene().getFocusOwner();
        if (e.isShortcutDown() && e.getCode() == KeyCode.ENTER) {
            vm.generate();
            e.consume();
        } else if (e.isShortcutDown() && e.getCode() == KeyCode.PERIOD) {
            vm.cancel();
            e.consume();
        } else if (e.isShortcutDown() && e.getCode() == KeyCode.E) {
            if (!stripButton.isDisabled()) {
                stripButton.fire();
            }
            e.consume();
        } else if (e.isShortcutDown() || e.isAltDown()) {
            return;
        } else if (SCRUB_KEYS.contains(e.getCode())) {
            if (needsCaretKeys(focus)) {
                return; // the control moves its caret or its list with them
            }
            switch (e.getCode()) {
                case LEFT -> vm.step(-1);
                case RIGHT -> vm.step(1);
                case HOME -> vm.first();
                default -> vm.last();
            }
            e.consume();
        } else if (e.getCode() == KeyCode.SPACE && !(focus instanceof TextInputControl)
                && !(focus instanceof javafx.scene.control.ButtonBase)) {
            vm.togglePlay();
            e.consume();
        }
    }

    /**
     * Whether {@code focus} uses ← → Home End itself: text (a field, an editable spinner or combo moves
     * its caret) or an open list. A closed choice box or combo box does not: there they scrub.
     */
    static boolean needsCaretKeys(Node focus) {
        if (focus instanceof TextInputControl || focus instanceof Spinner<?> s && s.isEditable()) {
            return true;
        }
        if (focus instanceof ComboBox<?> c) {
            return c.isEditable() || c.isShowing();
        }
        return focus instanceof ChoiceBox<?> c && c.isShowing();
    }

    private java.util.Optional<Path> chooseFile(String title, String suffix, String kind, String pattern) {
        return chooseFile(title, vm.exportStem(), suffix, kind, pattern);
    }

    private java.util.Optional<Path> chooseFile(String title, String stem, String suffix, String kind, String pattern) {
        FileChooser fc = new FileChooser();
        fc.setTitle(title);
        fc.getExtensionFilters().add(new FileChooser.ExtensionFilter(kind, pattern));
        fc.setInitialFileName(stem + suffix);
        File dir = existing(vm.exportsDir());
        if (dir != null) {
            fc.setInitialDirectory(dir);
        }
        File f = fc.showSaveDialog(window());
        return java.util.Optional.ofNullable(f).map(File::toPath);
    }

    private java.util.Optional<Path> chooseFolder() {
        DirectoryChooser dc = new DirectoryChooser();
        dc.setTitle("Choose where the frames folder goes");
        File dir = existing(vm.exportsDir());
        if (dir != null) {
            dc.setInitialDirectory(dir);
        }
        File f = dc.showDialog(window());
        return java.util.Optional.ofNullable(f).map(File::toPath);
    }

    /** The folder, else its nearest existing parent (choosers need one that exists). */
    private static File existing(Path p) {
        for (Path q = p; q != null; q = q.getParent()) {
            if (Files.isDirectory(q)) {
                return q.toFile();
            }
        }
        return null;
    }

    private Window window() {
        return root.getScene() == null ? null : root.getScene().getWindow();
    }

    private static Label section(String text) {
        Label l = new Label(text);
        l.getStyleClass().add("section-title");
        return l;
    }

    private static Region spacer() {
        Region r = new Region();
        HBox.setHgrow(r, Priority.ALWAYS);
        return r;
    }

    private static int field(GridPane g, int row, String label, Node field) {
        Label l = new Label(label);
        l.setLabelFor(field);
        GridPane.setHalignment(l, HPos.LEFT);
        g.add(l, 0, row);
        g.add(field, 1, row);
        if (field instanceof Region r) {
            r.setMaxWidth(Double.MAX_VALUE);
        }
        return row + 1;
    }

    /** A wrapping error label showing {@code message}, taking no room while it is empty. */
    private static Label errorLabel(String id, javafx.beans.value.ObservableStringValue message) {
        Label l = new Label();
        l.setId(id);
        l.getStyleClass().add("field-error");
        l.setWrapText(true);
        l.textProperty().bind(message);
        l.managedProperty().bind(l.textProperty().isNotEmpty());
        l.visibleProperty().bind(l.managedProperty());
        return l;
    }

    private static void tip(javafx.scene.control.Control c, String text) {
        c.setTooltip(new Tooltip(text));
    }

    private Spinner<Integer> intSpinner(IntegerProperty p, int min, int max, int step) {
        Spinner<Integer> s = new Spinner<>();
        SpinnerValueFactory.IntegerSpinnerValueFactory f = new SpinnerValueFactory.IntegerSpinnerValueFactory(min, max,
                Math.max(min, Math.min(max, p.get())), step);
        s.setValueFactory(f);
        var obj = p.asObject();
        bindings.add(obj);
        f.valueProperty().bindBidirectional(obj);
        editable(s);
        s.setMaxWidth(Double.MAX_VALUE);
        return s;
    }

    /** Editable, committing typed text on focus loss and undoing what does not parse. */
    private static <T> void editable(Spinner<T> s) {
        s.setEditable(true);
        s.focusedProperty().addListener((o, a, focused) -> {
            if (!focused) {
                commit(s);
            }
        });
        s.getEditor().setOnAction(e -> commit(s));
    }

    private static <T> void commit(Spinner<T> s) {
        try {
            s.commitValue();
        } catch (RuntimeException ex) {
            s.cancelEdit();
        }
    }

    /** The picture views, by row (0 the trajectory, 1 the comparison) and kind. */
    PixelView frameView(int row, FrameKind kind) {
        return views[row][kind.ordinal()];
    }
}

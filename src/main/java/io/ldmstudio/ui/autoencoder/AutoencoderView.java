package io.ldmstudio.ui.autoencoder;

import io.ldmstudio.eval.MetricSummary;
import io.ldmstudio.eval.Stats;
import io.ldmstudio.runs.RunInfo;
import io.ldmstudio.service.AutoencoderDescription;
import io.ldmstudio.ui.common.NearestScale;
import io.ldmstudio.ui.common.PixelView;
import io.ldmstudio.ui.common.Viewport;
import io.ldmstudio.weights.VaeWeights;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import javafx.beans.binding.Bindings;
import javafx.beans.property.SimpleObjectProperty;
import javafx.beans.property.SimpleStringProperty;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.ProgressIndicator;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.Spinner;
import javafx.scene.control.SpinnerValueFactory;
import javafx.scene.control.SplitPane;
import javafx.scene.control.TableCell;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.control.TextField;
import javafx.scene.control.Tooltip;
import javafx.scene.image.ImageView;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyCodeCombination;
import javafx.scene.input.KeyCombination;
import javafx.scene.input.KeyEvent;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.FlowPane;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;
import javafx.stage.DirectoryChooser;
import javafx.stage.FileChooser;

/** The Autoencoder pane's controls, bound to an {@link AutoencoderViewModel}. */
final class AutoencoderView {
    static final double LATENT_BOX = 96;

    private final AutoencoderViewModel vm;
    private final javafx.collections.ObservableList<RunInfo> runs;
    private final BorderPane root = new BorderPane();
    private final Viewport viewport = new Viewport();
    private final PixelView input = new PixelView(viewport);
    private final PixelView output = new PixelView(viewport);
    private final PixelView difference = new PixelView(viewport);
    private final FlowPane latents = new FlowPane(8, 8);
    private final FlowPane overview = new FlowPane(4, 6);
    static final double OVERVIEW_BOX = 56;
    private final TableView<Reconstruction> table = new TableView<>();
    private Button train;

    AutoencoderView(AutoencoderViewModel vm, javafx.collections.ObservableList<RunInfo> runs) {
        this.vm = vm;
        this.runs = runs;
        root.setId("autoencoder-pane");
        root.getStylesheets().add(AutoencoderView.class.getResource("autoencoder.css").toExternalForm());
        root.setPadding(new Insets(8, 10, 8, 10));
        root.setTop(header());
        SplitPane split = new SplitPane(left(), right());
        split.setDividerPositions(0.64);
        BorderPane.setMargin(split, new Insets(6, 0, 0, 0));
        root.setCenter(split);
        root.addEventHandler(KeyEvent.KEY_PRESSED, e -> {
            if (new KeyCodeCombination(KeyCode.ENTER, KeyCombination.SHORTCUT_DOWN).match(e)) {
                e.consume();
                vm.reconstruct();
            } else if (new KeyCodeCombination(KeyCode.O, KeyCombination.SHORTCUT_DOWN).match(e)) {
                e.consume();
                chooseFolder();
            }
        });
        input.setId("ae-input");
        output.setId("ae-output");
        difference.setId("ae-difference");
        vm.selectedProperty().addListener((o, a, r) -> showSelected(r));
    }

    Node root() {
        return root;
    }

    PixelView input() {
        return input;
    }

    PixelView output() {
        return output;
    }

    PixelView difference() {
        return difference;
    }

    Button trainButton() {
        return train;
    }

    // ---------------------------------------------------------------------------------------------

    private Node header() {
        Label title = new Label("Autoencoder");
        title.getStyleClass().add("pane-title");

        TextField path = new TextField();
        path.setId("ae-path");
        path.setPromptText("diffusers AutoencoderKL folder, .safetensors file, or studio run folder");
        path.textProperty().bindBidirectional(vm.pathProperty());
        path.setOnAction(e -> vm.load());
        path.setTooltip(new Tooltip("The autoencoder to load: a diffusers folder (config.json +"
                + " diffusion_pytorch_model.safetensors), one .safetensors file (LDM or diffusers names), or a studio"
                + " VAE run folder. Enter loads it."));
        HBox.setHgrow(path, Priority.ALWAYS);

        Button folder = new Button("Folder…");
        folder.setTooltip(new Tooltip("Choose a diffusers autoencoder folder or a studio run folder (Ctrl+O)"));
        folder.setOnAction(e -> chooseFolder());
        Button file = new Button("File…");
        file.setTooltip(new Tooltip("Choose a single .safetensors file (e.g. vae-ft-mse-840000-ema-pruned.safetensors)"));
        file.setOnAction(e -> chooseFile());

        ComboBox<RunInfo> run = new ComboBox<>(runs);
        run.setId("ae-run");
        run.setPromptText("studio run…");
        run.setPrefWidth(150);
        run.setTooltip(new Tooltip("Use an autoencoder trained in the studio: pick its run (autoencoder runs only)"));
        run.setPlaceholder(new Label("No autoencoder runs yet: Train one… makes one"));
        run.setCellFactory(l -> new ListCell<>() {
            @Override
            protected void updateItem(RunInfo item, boolean empty) {
                super.updateItem(item, empty);
                setText(empty || item == null ? null : item.name() + (item.preset() == null ? "" : "  (" + item.preset() + ")"));
            }
        });
        run.setButtonCell(new ListCell<>() {
            @Override
            protected void updateItem(RunInfo item, boolean empty) {
                super.updateItem(item, empty);
                setText(empty || item == null ? "studio run…" : item.name());
            }
        });
        run.setOnAction(e -> {
            RunInfo r = run.getValue();
            if (r != null && r.dir() != null) {
                vm.pathProperty().set(r.dir().toString());
                vm.load();
            }
        });

        ComboBox<io.ldmstudio.service.ModelInfo> model = modelChooser();

        Button load = new Button("Load");
        load.setId("ae-load");
        load.setTooltip(new Tooltip("Read the autoencoder's config and shapes (Enter in the path field)"));
        load.setOnAction(e -> vm.load());
        ProgressIndicator busy = new ProgressIndicator();
        busy.setPrefSize(18, 18);
        busy.visibleProperty().bind(vm.loadingProperty());
        busy.managedProperty().bind(busy.visibleProperty());

        train = new Button("Train one…");
        train.setId("ae-train");
        train.disableProperty().bind(vm.trainPresetProperty().isNull());
        Tooltip trainTip = new Tooltip();
        trainTip.textProperty().bind(Bindings.createStringBinding(() -> vm.trainPresetProperty().get() == null
                ? "Cannot train an autoencoder yet: " + vm.trainWhyNotProperty().get()
                : "Open preset " + vm.trainPresetProperty().get() + " in the Hyperparameters pane to train an autoencoder",
                vm.trainPresetProperty(), vm.trainWhyNotProperty()));
        train.setTooltip(trainTip);
        train.setOnAction(e -> vm.trainNew());
        StackPane trainBox = new StackPane(train); // a disabled button shows no tooltip; its box does
        trainBox.setId("ae-train-box");
        Tooltip.install(trainBox, trainTip);

        HBox bar = new HBox(6, title, gap(8), path, folder, file, run, model, load, busy, gap(12), trainBox);
        bar.setAlignment(Pos.CENTER_LEFT);

        Label error = new Label();
        error.setId("ae-path-error");
        error.getStyleClass().add("field-error");
        error.setWrapText(true);
        error.textProperty().bind(vm.pathErrorProperty());
        error.visibleProperty().bind(vm.pathErrorProperty().isNotEmpty());
        error.managedProperty().bind(error.visibleProperty());
        return new VBox(3, bar, error);
    }

    /** The models with an autoencoder (LDMPipelines): picking one opens its vqvae folder. */
    private ComboBox<io.ldmstudio.service.ModelInfo> modelChooser() {
        ComboBox<io.ldmstudio.service.ModelInfo> model = new ComboBox<>(vm.autoencoderModels());
        model.setId("ae-model");
        model.setPrefWidth(150);
        model.setTooltip(new Tooltip("Use the autoencoder (vqvae) of a pipeline in the Models list (LDMPipelines only)"));
        model.setPlaceholder(new Label("No LDMPipeline among the models:\nOpen model… in the sidebar adds one"));
        model.setCellFactory(l -> new ListCell<>() {
            @Override
            protected void updateItem(io.ldmstudio.service.ModelInfo item, boolean empty) {
                super.updateItem(item, empty);
                setText(empty || item == null ? null : item.name() + "  (" + item.autoencoderClass() + ")");
            }
        });
        model.setButtonCell(new ListCell<>() {
            @Override
            protected void updateItem(io.ldmstudio.service.ModelInfo item, boolean empty) {
                super.updateItem(item, empty);
                setText(empty || item == null ? "model…" : item.name());
            }
        });
        model.setOnAction(e -> vm.useModel(model.getValue()));
        return model;
    }

    private void chooseFolder() {
        DirectoryChooser dc = new DirectoryChooser();
        dc.setTitle("Autoencoder folder (diffusers layout) or studio run folder");
        File start = startDir();
        if (start != null) {
            dc.setInitialDirectory(start);
        }
        File f = root.getScene() == null ? null : dc.showDialog(root.getScene().getWindow());
        if (f != null) {
            vm.pathProperty().set(f.getPath());
            vm.load();
        }
    }

    private void chooseFile() {
        FileChooser fc = new FileChooser();
        fc.setTitle("Autoencoder weights");
        fc.getExtensionFilters().add(new FileChooser.ExtensionFilter("safetensors", "*.safetensors"));
        File start = startDir();
        if (start != null) {
            fc.setInitialDirectory(start);
        }
        File f = root.getScene() == null ? null : fc.showOpenDialog(root.getScene().getWindow());
        if (f != null) {
            vm.pathProperty().set(f.getPath());
            vm.load();
        }
    }

    private File startDir() {
        String p = vm.pathProperty().get();
        if (p != null && !p.isBlank()) {
            try {
                Path q = Path.of(p.strip());
                Path d = q.getParent(); // the folder holding the weights file or folder, so it shows to pick
                if (d != null && Files.isDirectory(d)) {
                    return d.toFile();
                }
            } catch (RuntimeException e) {
                return null;
            }
        }
        return null;
    }

    // ---------------------------------------------------------------------------------------------

    private Node left() {
        Spinner<Integer> n = new Spinner<>(1, AutoencoderViewModel.MAX_COUNT, vm.countProperty().get());
        n.setId("ae-count");
        n.setEditable(true);
        n.setPrefWidth(70);
        n.valueProperty().addListener((o, a, b) -> {
            if (b != null) {
                vm.countProperty().set(b);
            }
        });
        n.setTooltip(new Tooltip("How many images of the current dataset to reconstruct"));
        Button go = new Button("Reconstruct");
        go.setId("ae-reconstruct");
        go.setDefaultButton(false);
        go.setTooltip(new Tooltip("Encode and decode a sample of the current dataset; PSNR and SSIM per image (Ctrl+Enter)"));
        go.setOnAction(e -> vm.reconstruct());
        go.disableProperty().bind(vm.weightsProperty().isNull().or(vm.latentShapeProperty().isNull()));
        Button other = new Button("Other images");
        other.setTooltip(new Tooltip("Reconstruct a different random sample of the dataset"));
        other.setOnAction(e -> vm.otherImages());
        other.disableProperty().bind(go.disableProperty());
        Button stop = new Button("Stop");
        stop.setTooltip(new Tooltip("Stop reconstructing (the images done so far stay)"));
        stop.setOnAction(e -> vm.cancelReconstruction());
        stop.visibleProperty().bind(vm.runningProperty());
        stop.managedProperty().bind(stop.visibleProperty());
        Label progress = new Label();
        progress.setId("ae-progress");
        progress.getStyleClass().add("dim");
        progress.textProperty().bind(vm.progressProperty());
        HBox controls = new HBox(6, new Label("images"), n, go, other, stop, progress);
        controls.setAlignment(Pos.CENTER_LEFT);
        Label from = new Label();
        from.getStyleClass().add("dim");
        from.textProperty().bind(Bindings.concat("from ", vm.datasetTextProperty()));
        from.setWrapText(true);

        HBox views = new HBox(8, figure(input, "input"), figure(output, "reconstruction"),
                figure(difference, "|input − reconstruction| × 5"));
        for (Node v : views.getChildren()) {
            HBox.setHgrow(v, Priority.ALWAYS);
        }
        Label zoom = new Label();
        zoom.setId("ae-zoom");
        zoom.getStyleClass().add("dim");
        zoom.textProperty().bind(Bindings.createStringBinding(() -> String.format(Locale.ROOT,
                "zoom %.0f%%%s — scroll to zoom, drag to pan, double-click or 0 to fit; the three views move together",
                viewport.scale() * 100, viewport.fitProperty().get() ? " (fit)" : ""), viewport.revisionProperty()));
        Label which = new Label();
        which.setId("ae-which");
        which.getStyleClass().add("caption");
        which.textProperty().bind(Bindings.createStringBinding(() -> {
            Reconstruction r = vm.selectedProperty().get();
            return r == null ? "Load an autoencoder and press Reconstruct." : String.format(Locale.ROOT,
                    "image %,d%s · %d×%d · PSNR %.2f dB · SSIM %.3f", r.index(), r.label().isEmpty() ? "" : " (" + r.label() + ")",
                    r.size(), r.size(), r.psnr(), r.ssim());
        }, vm.selectedProperty()));

        Label latentTitle = section("");
        latentTitle.textProperty().bind(Bindings.createStringBinding(() -> {
            Reconstruction r = vm.selectedProperty().get();
            AutoencoderDescription s = vm.weightsProperty().get();
            return r == null ? "Latent channels" : "Latent channels (" + AutoencoderViewModel.shapeText(r.latentShape())
                    + (s == null ? "" : ", × scaling factor " + s.scalingFactor()) + "; each from its min to its max)";
        }, vm.selectedProperty(), vm.weightsProperty()));
        latents.setId("ae-latents");

        overview.setId("ae-overview");
        vm.rows().addListener((javafx.collections.ListChangeListener<Reconstruction>) c -> {
            // images arrive one at a time: add their columns rather than rebuild every column each time
            boolean appended = true;
            while (c.next()) {
                appended &= c.wasAdded() && !c.wasRemoved() && !c.wasPermutated()
                        && c.getFrom() == overview.getChildren().size();
                if (appended) {
                    c.getAddedSubList().forEach(r -> overview.getChildren().add(overviewColumn(r)));
                }
            }
            if (!appended) {
                fillOverview();
            }
        });
        Label overviewTitle = section("All images: input, reconstruction, difference (click to inspect)");
        VBox lower = new VBox(6, overviewTitle, overview, latentTitle, latents);
        ScrollPane latentScroll = new ScrollPane(lower);
        latentScroll.setFitToWidth(true);
        latentScroll.getStyleClass().add("flat");
        latentScroll.setHbarPolicy(ScrollPane.ScrollBarPolicy.NEVER);
        latentScroll.setPrefViewportHeight(120); // takes what the views leave
        latentScroll.setMinViewportHeight(60);
        VBox.setVgrow(latentScroll, Priority.ALWAYS);
        views.setMinHeight(Region.USE_PREF_SIZE);
        from.setMinHeight(Region.USE_PREF_SIZE);
        VBox box = new VBox(6, controls, from, which, views, zoom, latentScroll);
        box.setPadding(new Insets(0, 8, 0, 0));
        return box;
    }

    private void fillOverview() {
        overview.getChildren().setAll(vm.rows().stream().map(this::overviewColumn).toList());
    }

    /** One image's column: input, reconstruction and difference, small; a click inspects it. */
    private Node overviewColumn(Reconstruction r) {
        VBox col = new VBox(2);
        col.getStyleClass().add("overview-column");
        for (javafx.scene.image.Image img : new javafx.scene.image.Image[] {r.inputImage(), r.outputImage(),
                r.differenceImage()}) {
            ImageView v = new ImageView(NearestScale.toFit(img, OVERVIEW_BOX));
            v.setPreserveRatio(true);
            v.setFitWidth(OVERVIEW_BOX);
            col.getChildren().add(v);
        }
        col.setOnMouseClicked(e -> vm.selectedProperty().set(r));
        Tooltip.install(col, new Tooltip(String.format(Locale.ROOT, "image %,d%s: PSNR %.2f dB, SSIM %.3f",
                r.index(), r.label().isEmpty() ? "" : " (" + r.label() + ")", r.psnr(), r.ssim())));
        col.pseudoClassStateChanged(CHOSEN, r == vm.selectedProperty().get());
        col.setUserData(r);
        return col;
    }

    private static final javafx.css.PseudoClass CHOSEN = javafx.css.PseudoClass.getPseudoClass("chosen");

    private void showSelected(Reconstruction r) {
        for (Node n : overview.getChildren()) {
            n.pseudoClassStateChanged(CHOSEN, n.getUserData() == r && r != null);
        }
        input.imageProperty().set(r == null ? null : r.inputImage());
        output.imageProperty().set(r == null ? null : r.outputImage());
        difference.imageProperty().set(r == null ? null : r.differenceImage());
        latents.getChildren().clear();
        if (r != null) {
            for (Reconstruction.LatentChannel c : r.latentChannels()) {
                ImageView v = new ImageView(NearestScale.toFit(c.image(), LATENT_BOX));
                StackPane frame = new StackPane(v);
                frame.getStyleClass().add("image-frame");
                Label cap = new Label(String.format(Locale.ROOT, "c%d  %.2f … %.2f", c.channel(), c.min(), c.max()));
                cap.getStyleClass().add("caption");
                cap.setTooltip(new Tooltip("latent channel " + c.channel() + ": black = " + c.min() + ", white = " + c.max()));
                VBox tile = new VBox(2, frame, cap);
                tile.setAlignment(Pos.TOP_CENTER);
                tile.getStyleClass().add("latent-tile");
                latents.getChildren().add(tile);
            }
        }
        if (r != null && table.getSelectionModel().getSelectedItem() != r) {
            table.getSelectionModel().select(r);
        }
    }

    private static Node figure(PixelView v, String caption) {
        Label l = new Label(caption);
        l.getStyleClass().add("caption");
        Tooltip.install(v, new Tooltip(caption + ": scroll to zoom, drag to pan, double-click or 0 to fit, + and − to"
                + " zoom; the three views move together"));
        v.setPrefWidth(220);
        v.prefHeightProperty().bind(v.widthProperty()); // square, like the images
        v.setMaxSize(Double.MAX_VALUE, Region.USE_PREF_SIZE);
        VBox box = new VBox(2, v, l);
        box.setAlignment(Pos.TOP_CENTER);
        box.setMinWidth(120);
        box.setPrefWidth(220);
        return box;
    }

    // ---------------------------------------------------------------------------------------------

    private Node right() {
        GridPane info = new GridPane();
        info.setId("ae-info");
        info.setHgap(10);
        info.setVgap(3);
        Label f = value("ae-f");
        Label latent = value("ae-latent");
        Label params = value("ae-params");
        Label config = value("ae-config");
        Label weightsFile = value("ae-weights");
        Label scaling = value("ae-scaling");
        Spinner<Integer> res = new Spinner<>();
        res.setId("ae-resolution");
        SpinnerValueFactory.IntegerSpinnerValueFactory rf = new SpinnerValueFactory.IntegerSpinnerValueFactory(8, 2048,
                vm.resolutionProperty().get(), 8);
        res.setValueFactory(rf);
        res.setEditable(true);
        res.setPrefWidth(84);
        rf.valueProperty().addListener((o, a, b) -> {
            if (b != null) {
                vm.resolutionProperty().set(b);
            }
        });
        vm.resolutionProperty().addListener((o, a, b) -> rf.setValue(b.intValue()));
        vm.weightsProperty().addListener((o, a, w) -> rf.setAmountToStepBy(w == null ? 8 : w.downFactor()));
        res.setTooltip(new Tooltip("Image side in pixels (a multiple of f); the current dataset's transform sets it"));
        HBox resRow = new HBox(6, res, new Label("px images"));
        resRow.setAlignment(Pos.CENTER_LEFT);
        Label resError = new Label();
        resError.setId("ae-resolution-error");
        resError.getStyleClass().add("field-error");
        resError.setWrapText(true);
        resError.textProperty().bind(vm.resolutionErrorProperty());
        resError.visibleProperty().bind(vm.resolutionErrorProperty().isNotEmpty());
        resError.managedProperty().bind(resError.visibleProperty());

        int row = 0;
        info.addRow(row++, key("size"), resRow);
        info.add(resError, 1, row++);
        info.addRow(row++, key("f (downsampling)"), f);
        info.addRow(row++, key("latent"), latent);
        // an autoencoder run trains no U-Net: its latent is what it hands one
        Label latentCaption = new Label("the encoder's output (× the scaling factor): what a latent diffusion U-Net"
                + " trains on and samples, and what the decoder turns back into an image");
        latentCaption.setId("ae-latent-caption");
        latentCaption.getStyleClass().add("dim");
        latentCaption.setWrapText(true);
        latentCaption.setPrefWidth(200);
        latentCaption.setMaxWidth(Double.MAX_VALUE);
        info.add(latentCaption, 1, row++);
        info.addRow(row++, key("parameters"), params);
        info.addRow(row++, key("blocks"), config);
        info.addRow(row++, key("scaling"), scaling);
        info.addRow(row++, key("weights"), weightsFile);
        Label codebook = new Label();
        codebook.setId("ae-codebook");
        codebook.setWrapText(true);
        codebook.setMaxWidth(Double.MAX_VALUE);
        codebook.textProperty().bind(vm.codebookProperty());
        Label codebookKey = key("codebook");
        codebookKey.visibleProperty().bind(vm.codebookProperty().isNotEmpty());
        codebook.visibleProperty().bind(codebookKey.visibleProperty());
        codebookKey.managedProperty().bind(codebookKey.visibleProperty());
        codebook.managedProperty().bind(codebookKey.visibleProperty());
        info.addRow(row++, codebookKey, codebook);

        Runnable fill = () -> {
            AutoencoderDescription c = vm.weightsProperty().get();
            long[] shape = vm.latentShapeProperty().get();
            if (c == null) {
                for (Label l : new Label[] {f, latent, params, config, weightsFile, scaling}) {
                    l.setText("—");
                }
                return;
            }
            VaeWeights.Source s = c.source();
            f.setText("f = " + c.downFactor() + "  (" + c.levels() + " levels)");
            int r = vm.resolutionProperty().get();
            latent.setText(shape == null ? "—" : AutoencoderViewModel.shapeText(shape) + "  for " + r + "×" + r + "×"
                    + c.inChannels() + String.format(Locale.ROOT, "  (%.1f× fewer values)",
                            (double) c.inChannels() * r * r / (shape[0] * shape[1] * shape[2])));
            Long p = vm.parametersProperty().get();
            params.setText(p == null ? "—" : String.format(Locale.ROOT, "%,d", p));
            config.setText((c.isVq() ? c.kind() + ": " : "") + c.blockOutChannels() + " × " + c.layersPerBlock() + " layers, " + c.normNumGroups()
                    + " groups, " + c.inChannels() + " → " + c.latentChannels() + " channels"
                    + (c.midBlockAddAttention() ? ", mid attention" : ""));
            scaling.setText(c.scalingFactor() + (c.shiftFactor() != null ? ", shift " + c.shiftFactor() : ""));
            weightsFile.setText(s.weightsFile().getFileName() + " (" + (s.layout() == VaeWeights.Layout.LDM
                    ? "LDM names" : "diffusers names") + (s.configInferred() ? ", config inferred" : "") + ")");
            weightsFile.setTooltip(new Tooltip(s.weightsFile() + (s.configFile() == null ? "" : "\nconfig: " + s.configFile())));
        };
        vm.weightsProperty().addListener(o -> fill.run());
        vm.latentShapeProperty().addListener(o -> fill.run());
        vm.parametersProperty().addListener(o -> fill.run());
        fill.run();

        table.setId("ae-table");
        table.setItems(vm.rows());
        table.setPlaceholder(new Label("No reconstructions yet"));
        table.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_FLEX_LAST_COLUMN);
        TableColumn<Reconstruction, String> image = new TableColumn<>("image");
        image.setCellValueFactory(c -> new SimpleStringProperty(String.format(Locale.ROOT, "%,d", c.getValue().index())
                + (c.getValue().label().isEmpty() ? "" : " " + c.getValue().label())));
        image.setPrefWidth(110);
        TableColumn<Reconstruction, Double> psnr = number("PSNR dB", Reconstruction::psnr, "%.2f");
        TableColumn<Reconstruction, Double> ssim = number("SSIM", Reconstruction::ssim, "%.3f");
        TableColumn<Reconstruction, Double> mse = number("MSE", Reconstruction::mse, "%.4f");
        table.getColumns().add(image);
        table.getColumns().add(psnr);
        table.getColumns().add(ssim);
        table.getColumns().add(mse);
        table.getSelectionModel().selectedItemProperty().addListener((o, a, b) -> {
            if (b != null) {
                vm.selectedProperty().set(b);
            }
        });
        table.setTooltip(new Tooltip("PSNR and SSIM on the [0, 1] scale (eval.ImageMetrics); select a row to see it"));
        VBox.setVgrow(table, Priority.ALWAYS);

        Label mean = new Label();
        mean.setId("ae-mean");
        mean.getStyleClass().add("figure");
        mean.setWrapText(true);
        mean.textProperty().bind(Bindings.createStringBinding(() -> summaryText(vm.summaryProperty().get()),
                vm.summaryProperty()));

        VBox box = new VBox(6, section("Autoencoder"), info, section("Reconstructions"), table, mean);
        box.setPadding(new Insets(0, 0, 0, 8));
        box.setMinWidth(330);
        return box;
    }

    static String summaryText(MetricSummary s) {
        if (s == null) {
            return "";
        }
        Stats p = s.psnr();
        return String.format(Locale.ROOT, "mean of %d images%nPSNR %.2f dB ± %.2f  (pooled %.2f dB)%n"
                + "SSIM %.3f ± %.3f  · MSE %.4f", s.count(), p.mean(), p.std(), s.pooledPsnr(), s.ssim().mean(),
                s.ssim().std(), s.mse().mean())
                + (p.positiveInfinite() > 0 ? String.format(Locale.ROOT, "%n%d identical (PSNR ∞) not averaged",
                        p.positiveInfinite()) : "");
    }

    private static TableColumn<Reconstruction, Double> number(String title,
            java.util.function.ToDoubleFunction<Reconstruction> f, String fmt) {
        TableColumn<Reconstruction, Double> c = new TableColumn<>(title);
        c.setCellValueFactory(v -> new SimpleObjectProperty<>(f.applyAsDouble(v.getValue())));
        c.setCellFactory(col -> new TableCell<>() {
            @Override
            protected void updateItem(Double item, boolean empty) {
                super.updateItem(item, empty);
                setText(empty || item == null ? null : item.isInfinite() ? "∞" : String.format(Locale.ROOT, fmt, item));
                setAlignment(Pos.CENTER_RIGHT);
            }
        });
        c.setPrefWidth(70);
        return c;
    }

    private static Label key(String text) {
        Label l = new Label(text);
        l.getStyleClass().add("dim");
        l.setMinWidth(Region.USE_PREF_SIZE);
        return l;
    }

    private static Label value(String id) {
        Label l = new Label("—");
        l.setId(id);
        l.setWrapText(true);
        return l;
    }

    private static Label section(String text) {
        Label l = new Label(text);
        l.getStyleClass().add("section-title");
        return l;
    }

    private static Region gap(double w) {
        Region r = new Region();
        r.setMinWidth(w);
        return r;
    }
}

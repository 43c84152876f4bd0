package io.ldmstudio.ui.dataset;

import io.ldmstudio.data.ImageSource;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.List;
import javafx.beans.binding.Bindings;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.control.CheckBox;
import javafx.scene.control.ChoiceBox;
import javafx.scene.control.ComboBox;
import javafx.scene.control.Label;
import javafx.scene.control.ProgressIndicator;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.Spinner;
import javafx.scene.control.SplitPane;
import javafx.scene.control.TableColumn;
import javafx.scene.control.TableView;
import javafx.scene.control.TextField;
import javafx.scene.control.Tooltip;
import javafx.scene.control.TableCell;
import javafx.scene.control.SpinnerValueFactory;
import javafx.scene.image.Image;
import javafx.scene.image.ImageView;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyCodeCombination;
import javafx.scene.input.KeyCombination;
import javafx.scene.input.KeyEvent;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.ColumnConstraints;
import javafx.scene.layout.GridPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;
import javafx.stage.DirectoryChooser;
import javafx.stage.FileChooser;
import javafx.beans.property.SimpleStringProperty;

/** The Dataset pane's controls, bound to a {@link DatasetViewModel}. */
final class DatasetView {
    static final double PREVIEW = DatasetViewModel.PREVIEW_BOX;

    private final DatasetViewModel vm;
    private final BorderPane root = new BorderPane();
    private final ThumbnailGrid grid;
    private final VBox histogramBox = new VBox(2);
    private final VBox sizesBox = new VBox(1);
    private final ImageView original = previewView();
    private final ImageView transformed = previewView();
    private final ImageView flipped = previewView();
    private final Label originalCaption = caption();
    private final Label transformedCaption = caption();
    private final Label flippedCaption = caption();
    /** Opens the folder chooser for a kind; only on an explicit action (tests count the calls). */
    private java.util.function.Consumer<DatasetViewModel.Kind> folderChooser = this::chooseFolder;

    DatasetView(DatasetViewModel vm) {
        this.vm = vm;
        this.grid = new ThumbnailGrid(vm);
        root.setId("dataset-pane");
        root.getStylesheets().add(DatasetView.class.getResource("dataset.css").toExternalForm());
        root.setPadding(new Insets(8, 10, 8, 10));
        root.setTop(header());
        SplitPane split = new SplitPane(gridArea(), details());
        split.setDividerPositions(0.56);
        BorderPane.setMargin(split, new Insets(6, 0, 0, 0));
        root.setCenter(split);
        root.addEventHandler(KeyEvent.KEY_PRESSED, e -> {
            if (new KeyCodeCombination(KeyCode.O, KeyCombination.SHORTCUT_DOWN).match(e)) {
                e.consume();
                folderChooser.accept(DatasetViewModel.Kind.FOLDER);
            }
        });
    }

    Node root() {
        return root;
    }

    ThumbnailGrid grid() {
        return grid;
    }

    /** Replaces what opens the folder chooser (tests). */
    void setFolderChooser(java.util.function.Consumer<DatasetViewModel.Kind> chooser) {
        folderChooser = chooser;
    }

    // ---------------------------------------------------------------------------------------------

    private Node header() {
        Label title = new Label("Dataset");
        title.getStyleClass().add("pane-title");

        ComboBox<DatasetViewModel.Kind> kind = new ComboBox<>();
        kind.setId("dataset-kind");
        kind.getItems().setAll(DatasetViewModel.Kind.values());
        kind.setValue(vm.kindProperty().get());
        boolean[] programmatic = {false};
        vm.kindProperty().addListener((o, a, b) -> {
            programmatic[0] = true;
            try {
                kind.setValue(b);
            } finally {
                programmatic[0] = false;
            }
        });
        kind.setTooltip(new Tooltip("Where the images come from: the built-in shapes, a folder of image files"
                + " (one sub-folder per class labels them), CIFAR-10's binary batches, or MNIST-style IDX files"));
        kind.valueProperty().addListener((o, a, k) -> {
            if (programmatic[0] || k == null || k == vm.kindProperty().get()) {
                return;
            }
            // the user picked another kind, maybe only passing it with the arrow keys: no modal chooser here
            // (a click or Enter on the entry, Browse… or Ctrl+O opens one)
            vm.pick(k);
        });
        // an explicit choice of an entry that reads a folder opens the chooser: a click on it in the list...
        // the closed box's own cell is not one of these: a click that opens the list opens no chooser
        kind.setButtonCell(new javafx.scene.control.ListCell<>() {
            @Override
            protected void updateItem(DatasetViewModel.Kind item, boolean empty) {
                super.updateItem(item, empty);
                setText(empty || item == null ? null : item.toString());
            }
        });
        kind.setCellFactory(lv -> {
            javafx.scene.control.ListCell<DatasetViewModel.Kind> cell = new javafx.scene.control.ListCell<>() {
                @Override
                protected void updateItem(DatasetViewModel.Kind item, boolean empty) {
                    super.updateItem(item, empty);
                    setText(empty || item == null ? null : item.toString());
                }
            };
            cell.setOnMouseReleased(e -> {
                if (!cell.isEmpty() && cell.getItem() != null) {
                    chooseOnAction(cell.getItem());
                }
            });
            return cell;
        });
        // ...or Enter on it, in the open list or on the closed box
        kind.addEventFilter(KeyEvent.KEY_PRESSED, e -> {
            if (e.getCode() == KeyCode.ENTER && kind.getValue() != null) {
                chooseOnAction(kind.getValue());
            }
        });
        kind.setOnShown(e -> {
            Node list = kind.getSkin() instanceof javafx.scene.control.skin.ComboBoxListViewSkin<?> skin
                    ? skin.getPopupContent() : null;
            if (list != null && list.getProperties().putIfAbsent("dataset-enter", Boolean.TRUE) == null) {
                list.addEventFilter(KeyEvent.KEY_PRESSED, k -> {
                    if (k.getCode() == KeyCode.ENTER && kind.getValue() != null) {
                        chooseOnAction(kind.getValue());
                    }
                });
            }
        });

        TextField path = new TextField();
        path.setId("dataset-path");
        path.setPromptText("folder or file of images");
        path.textProperty().bindBidirectional(vm.pathProperty());
        path.setTooltip(new Tooltip("The folder (or CIFAR-10 / IDX file) to open; Enter opens it. '~/' is your home."));
        path.setOnAction(e -> vm.openChosen());
        path.disableProperty().bind(vm.kindProperty().isEqualTo(DatasetViewModel.Kind.PROCEDURAL));
        HBox.setHgrow(path, Priority.ALWAYS);

        Button browse = new Button("Browse…");
        browse.setId("dataset-browse");
        browse.setTooltip(new Tooltip("Choose a folder of images, CIFAR-10 batches or IDX files (Ctrl+O for an image folder)"));
        browse.setOnAction(e -> folderChooser.accept(vm.kindProperty().get() == DatasetViewModel.Kind.PROCEDURAL
                ? DatasetViewModel.Kind.FOLDER : vm.kindProperty().get()));
        Button file = new Button("File…");
        file.setTooltip(new Tooltip("Choose one CIFAR-10 batch file (.bin) or an IDX images file"));
        file.setOnAction(e -> chooseFile());
        file.visibleProperty().bind(Bindings.createBooleanBinding(() -> vm.kindProperty().get().hasSplits(),
                vm.kindProperty()));
        file.managedProperty().bind(file.visibleProperty());

        ChoiceBox<String> split = new ChoiceBox<>();
        split.setId("dataset-split");
        split.getItems().setAll("train", "test");
        split.setValue(vm.testSplitProperty().get() ? "test" : "train");
        vm.testSplitProperty().addListener((o, a, b) -> split.setValue(b ? "test" : "train"));
        split.setOnAction(e -> {
            boolean test = "test".equals(split.getValue());
            if (test != vm.testSplitProperty().get()) {
                vm.testSplitProperty().set(test);
                vm.openChosen();
            }
        });
        split.setTooltip(new Tooltip("Which split of a folder of CIFAR-10 batches or IDX files: training (what runs use)"
                + " or test (t10k / test_batch)"));
        split.visibleProperty().bind(file.visibleProperty());
        split.managedProperty().bind(split.visibleProperty());

        Button open = new Button("Open");
        open.setId("dataset-open");
        open.setDefaultButton(false);
        open.setTooltip(new Tooltip("Open the path with the chosen kind (Enter in the path field)"));
        open.setOnAction(e -> vm.openChosen());

        Button runData = new Button("Run's data");
        runData.setId("dataset-run-data");
        runData.setTooltip(new Tooltip("Show the selected run's data source and transform (the built-in shapes when no"
                + " run is selected), and follow the run selection again"));
        runData.setOnAction(e -> vm.useRunData());

        Button train = new Button("Train on this dataset");
        train.setId("dataset-train");
        train.setTooltip(new Tooltip("Open a new run's draft in the Hyperparameters pane on this dataset, at this"
                + " resolution and these channels (a small CPU preset: Fashion-MNIST's for gray, quickstart's for RGB)"));
        train.disableProperty().bind(vm.canTrainProperty().not());
        train.setOnAction(e -> vm.trainOnThis());

        ProgressIndicator busy = new ProgressIndicator();
        busy.setPrefSize(18, 18);
        busy.visibleProperty().bind(vm.loadingProperty());
        busy.managedProperty().bind(busy.visibleProperty());

        HBox bar = new HBox(6, title, spacer(8), kind, path, browse, file, split, open, runData, train, busy);
        bar.setAlignment(Pos.CENTER_LEFT);

        Label error = new Label();
        error.setId("dataset-path-error");
        error.getStyleClass().add("field-error");
        error.textProperty().bind(vm.pathErrorProperty());
        error.visibleProperty().bind(vm.pathErrorProperty().isNotEmpty());
        error.managedProperty().bind(error.visibleProperty());
        error.setWrapText(true);

        Label desc = new Label();
        desc.setId("dataset-description");
        desc.getStyleClass().add("dim");
        desc.textProperty().bind(Bindings.createStringBinding(() -> {
            String status = vm.statusProperty().get();
            if (!status.isEmpty()) {
                return status;
            }
            String d = vm.descriptionProperty().get();
            String o = vm.originProperty().get();
            return d;
        }, vm.statusProperty(), vm.descriptionProperty(), vm.originProperty()));
        return new VBox(3, bar, error, desc);
    }

    /** A click or Enter on a kind's entry: the chooser for kinds that read a folder (after the popup closes). */
    private void chooseOnAction(DatasetViewModel.Kind k) {
        if (k == DatasetViewModel.Kind.FOLDER || k == DatasetViewModel.Kind.CIFAR10) {
            javafx.application.Platform.runLater(() -> folderChooser.accept(k));
        }
    }

    private void chooseFolder(DatasetViewModel.Kind k) {
        DirectoryChooser dc = new DirectoryChooser();
        dc.setTitle(k == DatasetViewModel.Kind.FOLDER ? "Folder of images (one sub-folder per class labels them)"
                : k == DatasetViewModel.Kind.CIFAR10 ? "Folder with CIFAR-10 data_batch_*.bin files"
                : "Folder with IDX files (train-images-idx3-ubyte[.gz] …)");
        File start = startDir();
        if (start != null) {
            dc.setInitialDirectory(start);
        }
        File f = root.getScene() == null ? null : dc.showDialog(root.getScene().getWindow());
        if (f != null) {
            vm.choose(k, f.getPath());
        } else if (vm.pathProperty().get().isBlank()) {
            vm.pathErrorProperty().set("choose " + (k == DatasetViewModel.Kind.FOLDER ? "a folder of images"
                    : "the folder or file of the " + k.label + " data") + " (Browse…), or type its path and press Enter");
        }
    }

    private void chooseFile() {
        FileChooser fc = new FileChooser();
        fc.setTitle("CIFAR-10 batch file or IDX images file");
        File start = startDir();
        if (start != null) {
            fc.setInitialDirectory(start);
        }
        File f = root.getScene() == null ? null : fc.showOpenDialog(root.getScene().getWindow());
        if (f != null) {
            vm.choose(vm.kindProperty().get(), f.getPath());
        }
    }

    private File startDir() {
        String p = vm.pathProperty().get();
        if (p != null && !p.isBlank()) {
            Path q = Path.of(p.strip());
            Path d = Files.isDirectory(q) ? q : q.getParent();
            if (d != null && Files.isDirectory(d)) {
                return d.toFile();
            }
        }
        return null;
    }

    // ---------------------------------------------------------------------------------------------

    private Node gridArea() {
        Label footer = new Label();
        footer.setId("dataset-grid-footer");
        footer.getStyleClass().add("dim");
        footer.textProperty().bind(Bindings.createStringBinding(() -> String.format(Locale.ROOT,
                "%,d images · %,d thumbnails decoded · arrow keys move, Home/End jump", vm.countProperty().get(),
                vm.thumbnailsDecodedProperty().get()), vm.countProperty(), vm.thumbnailsDecodedProperty()));
        footer.setTooltip(new Tooltip("Only the thumbnails on screen are decoded (on background threads) and at most "
                + String.format(Locale.ROOT, "%,d", DatasetViewModel.THUMBNAIL_CACHE) + " are kept"));
        VBox.setVgrow(grid.view(), Priority.ALWAYS);
        VBox box = new VBox(4, grid.view(), footer);
        box.setMinWidth(300);
        return box;
    }

    private Node details() {
        VBox box = new VBox(6);
        box.setPadding(new Insets(2, 10, 10, 10));

        Label count = new Label();
        count.setId("dataset-count");
        count.getStyleClass().add("big-number");
        count.textProperty().bind(Bindings.createStringBinding(() -> vm.sourceProperty().get() == null ? "—"
                : String.format(Locale.ROOT, "%,d image%s", vm.countProperty().get(), vm.countProperty().get() == 1 ? "" : "s"),
                vm.countProperty(), vm.sourceProperty()));
        vm.sizesProperty().addListener((o, a, b) -> fillSizes(b));
        vm.histogramProperty().addListener((o, a, b) -> fillHistogram(b));

        box.getChildren().addAll(section("Statistics"), count, sizesBox);
        box.getChildren().addAll(section("Classes"), histogramBox);
        box.getChildren().addAll(section("Training transform"), transformControls(), previewRow());
        box.getChildren().addAll(skippedSection());

        ScrollPane scroll = new ScrollPane(box);
        scroll.setFitToWidth(true);
        scroll.setHbarPolicy(ScrollPane.ScrollBarPolicy.NEVER);
        scroll.setMinWidth(380);
        return scroll;
    }

    private void fillSizes(DatasetStats.Sizes s) {
        sizesBox.getChildren().clear();
        if (s == null) {
            return;
        }
        for (String line : s.lines()) {
            Label l = new Label(line);
            l.getStyleClass().add("figure");
            l.setWrapText(true);
            sizesBox.getChildren().add(l);
        }
    }

    private void fillHistogram(DatasetStats.Histogram h) {
        histogramBox.getChildren().clear();
        if (h == null) {
            Label l = new Label("counting…");
            l.getStyleClass().add("dim");
            histogramBox.getChildren().add(l);
            return;
        }
        if (!h.labelled()) {
            Label l = new Label("no labels — the images lie directly in the folder (put them in one sub-folder per"
                    + " class to label them)");
            l.setId("dataset-no-labels");
            l.setWrapText(true);
            l.getStyleClass().add("dim");
            histogramBox.getChildren().add(l);
            return;
        }
        int[] c = h.counts();
        int max = 1;
        for (int v : c) {
            max = Math.max(max, v);
        }
        int total = h.total();
        GridPane g = new GridPane();
        g.setId("dataset-histogram");
        g.setHgap(6);
        g.setVgap(2);
        ColumnConstraints names = new ColumnConstraints();
        names.setHalignment(javafx.geometry.HPos.RIGHT);
        names.setMinWidth(60);
        ColumnConstraints bars = new ColumnConstraints();
        bars.setHgrow(Priority.ALWAYS);
        bars.setMinWidth(40);
        // the counts and percentages keep their whole width; the bars give way
        ColumnConstraints counts = new ColumnConstraints();
        counts.setMinWidth(Region.USE_PREF_SIZE);
        counts.setHgrow(Priority.NEVER);
        g.getColumnConstraints().addAll(names, bars, counts);
        for (int i = 0; i < c.length; i++) {
            Label name = new Label(h.names().get(i));
            name.setMinWidth(Region.USE_PREF_SIZE);
            Region bar = new Region();
            bar.getStyleClass().add("histogram-bar");
            bar.setMinHeight(12);
            bar.setPrefHeight(12);
            double frac = c[i] / (double) max;
            StackPane barBox = new StackPane(bar);
            barBox.setAlignment(Pos.CENTER_LEFT);
            bar.maxWidthProperty().bind(barBox.widthProperty().multiply(frac));
            bar.prefWidthProperty().bind(bar.maxWidthProperty());
            Label n = new Label(String.format(Locale.ROOT, "%,d  (%.1f%%)", c[i], 100.0 * c[i] / Math.max(1, total)));
            n.getStyleClass().add("figure");
            n.setMinWidth(Region.USE_PREF_SIZE);
            n.setTextOverrun(javafx.scene.control.OverrunStyle.CLIP);
            g.addRow(i, name, barBox, n);
        }
        Label sum = new Label(String.format(Locale.ROOT, "%d classes, %,d images in all", c.length, total));
        sum.getStyleClass().add("dim");
        histogramBox.getChildren().addAll(g, sum);
    }

    private Node transformControls() {
        Spinner<Integer> res = new Spinner<>();
        res.setId("dataset-resolution");
        SpinnerValueFactory.IntegerSpinnerValueFactory f = new SpinnerValueFactory.IntegerSpinnerValueFactory(8, 1024,
                vm.resolutionProperty().get(), 4);
        res.setValueFactory(f);
        res.setEditable(true);
        res.setPrefWidth(84);
        f.valueProperty().addListener((o, a, b) -> {
            if (b != null) {
                vm.resolutionProperty().set(b);
            }
        });
        vm.resolutionProperty().addListener((o, a, b) -> f.setValue(b.intValue()));
        res.setTooltip(new Tooltip("data.resolution: the side of the square images are resized to"));

        ChoiceBox<Integer> ch = new ChoiceBox<>();
        ch.setId("dataset-channels");
        ch.getItems().setAll(1, 3);
        ch.setValue(vm.channelsProperty().get());
        ch.setOnAction(e -> vm.channelsProperty().set(ch.getValue()));
        vm.channelsProperty().addListener((o, a, b) -> ch.setValue(b.intValue()));
        ch.setTooltip(new Tooltip("data.channels: 1 = gray (BT.601 luma), 3 = RGB (gray images repeated)"));

        CheckBox crop = new CheckBox("centre crop");
        crop.setId("dataset-crop");
        crop.selectedProperty().bindBidirectional(vm.centerCropProperty());
        crop.setTooltip(new Tooltip("data.center_crop: crop the central square before resizing (else non-square"
                + " images are stretched)"));
        CheckBox flip = new CheckBox("flip");
        flip.setId("dataset-flip");
        flip.selectedProperty().bindBidirectional(vm.flipProperty());
        flip.setTooltip(new Tooltip("data.flip: training mirrors each image left–right half of the time"));

        // a flow, not a row: on a narrow side panel the check boxes wrap instead of being cut short
        javafx.scene.layout.FlowPane row = new javafx.scene.layout.FlowPane(8, 6);
        HBox size = new HBox(6, new Label("resolution"), res);
        HBox channels = new HBox(6, new Label("channels"), ch);
        size.setAlignment(Pos.CENTER_LEFT);
        channels.setAlignment(Pos.CENTER_LEFT);
        for (javafx.scene.layout.Region r : List.of(size, channels, crop, flip)) {
            r.setMinWidth(javafx.scene.layout.Region.USE_PREF_SIZE);
        }
        row.getChildren().addAll(size, channels, crop, flip);
        row.setAlignment(Pos.CENTER_LEFT);
        Label origin = new Label();
        origin.getStyleClass().add("dim");
        origin.textProperty().bind(Bindings.concat("Source and transform: ", vm.originProperty(),
                ". Changes here only preview; runs are edited in the Hyperparameters pane."));
        origin.setWrapText(true);
        return new VBox(3, row, origin);
    }

    private Node previewRow() {
        // a flow, not a row: on a narrow side panel the three images wrap, so the panel's content is never
        // wider than the panel (which pushed the class table's percentages out of sight)
        javafx.scene.layout.FlowPane images = new javafx.scene.layout.FlowPane(10, 6, figure(original, originalCaption),
                figure(transformed, transformedCaption), figure(flipped, flippedCaption));
        images.setAlignment(Pos.TOP_LEFT);
        Label steps = new Label();
        steps.setId("dataset-transform-steps");
        steps.getStyleClass().add("caption");
        steps.setWrapText(true);
        Label error = new Label();
        error.getStyleClass().add("field-error");
        error.textProperty().bind(vm.previewErrorProperty());
        error.visibleProperty().bind(vm.previewErrorProperty().isNotEmpty());
        error.managedProperty().bind(error.visibleProperty());
        Label which = new Label();
        which.setId("dataset-selected");
        which.getStyleClass().add("caption");
        vm.previewProperty().addListener((o, a, p) -> {
            if (p == null) {
                original.setImage(null);
                transformed.setImage(null);
                flipped.setImage(null);
                originalCaption.setText("");
                transformedCaption.setText("");
                flippedCaption.setText("");
                steps.setText("Select an image to see what training makes of it.");
                which.setText("");
                return;
            }
            show(original, p.originalShown());
            show(transformed, p.transformedShown());
            show(flipped, p.flippedShown());
            originalCaption.setText(String.format(Locale.ROOT, "original %d×%d", p.originalWidth(), p.originalHeight()));
            int r = (int) p.transformed().getWidth();
            transformedCaption.setText(String.format(Locale.ROOT, "transformed %d×%d", r, r));
            flippedCaption.setText(vm.flipProperty().get() ? "flipped (half the time)" : "flipped (flip is off)");
            steps.setText(p.steps());
            String cls = vm.className(p.index());
            which.setText(String.format(Locale.ROOT, "image %,d", p.index()) + (cls.isEmpty() ? "" : " · " + cls));
        });
        vm.flipProperty().addListener((o, a, b) -> flippedCaption.setText(b ? "flipped (half the time)"
                : "flipped (flip is off)"));
        return new VBox(4, which, images, steps, error);
    }

    /** Shows {@code img} at its size, or shrunk to the preview square when larger. */
    private static void show(ImageView v, Image img) {
        v.setImage(img);
        double s = Math.min(1.0, Math.min(PREVIEW / img.getWidth(), PREVIEW / img.getHeight()));
        v.setFitWidth(img.getWidth() * s);
        v.setFitHeight(img.getHeight() * s);
    }

    private Node skippedSection() {
        Label title = section("");
        title.textProperty().bind(Bindings.createStringBinding(() -> "Skipped files (" + vm.skipped().size() + ")",
                vm.skipped()));
        TableView<ImageSource.Skipped> table = new TableView<>(vm.skipped());
        table.setId("dataset-skipped");
        table.setPlaceholder(new Label("No files skipped"));
        table.setPrefHeight(150);
        table.setMinHeight(90);
        table.setColumnResizePolicy(TableView.CONSTRAINED_RESIZE_POLICY_FLEX_LAST_COLUMN);
        TableColumn<ImageSource.Skipped, String> file = new TableColumn<>("file");
        file.setCellValueFactory(c -> new SimpleStringProperty(fileName(c.getValue().path())));
        file.setCellFactory(col -> new TableCell<>() {
            @Override
            protected void updateItem(String item, boolean empty) {
                super.updateItem(item, empty);
                setText(empty ? null : item);
                ImageSource.Skipped s = empty || getTableRow() == null ? null : getTableRow().getItem();
                setTooltip(s == null ? null : new Tooltip(s.path()));
            }
        });
        file.setPrefWidth(120);
        TableColumn<ImageSource.Skipped, String> reason = new TableColumn<>("reason");
        reason.setCellValueFactory(c -> new SimpleStringProperty(c.getValue().reason()));
        reason.setCellFactory(col -> new TableCell<>() {
            @Override
            protected void updateItem(String item, boolean empty) {
                super.updateItem(item, empty);
                setText(empty ? null : item);
                setTooltip(empty || item == null ? null : new Tooltip(item));
            }
        });
        table.getColumns().add(file);
        table.getColumns().add(reason);
        return new VBox(3, title, table);
    }

    private static String fileName(String path) {
        try {
            Path p = Path.of(path);
            Path parent = p.getParent();
            return (parent != null && parent.getFileName() != null ? parent.getFileName() + "/" : "") + p.getFileName();
        } catch (RuntimeException e) {
            return path;
        }
    }

    private static Label section(String text) {
        Label l = new Label(text);
        l.getStyleClass().add("section-title");
        return l;
    }

    private static Label caption() {
        Label l = new Label();
        l.getStyleClass().add("caption");
        return l;
    }

    private static ImageView previewView() {
        ImageView v = new ImageView();
        v.setPreserveRatio(true);
        return v;
    }

    private static Node figure(ImageView v, Label caption) {
        StackPane frame = new StackPane(v);
        frame.getStyleClass().add("image-frame");
        frame.setMinSize(PREVIEW + 8, PREVIEW + 8);
        frame.setPrefSize(PREVIEW + 8, PREVIEW + 8);
        frame.setMaxSize(PREVIEW + 8, PREVIEW + 8);
        VBox box = new VBox(2, frame, caption);
        box.setAlignment(Pos.TOP_CENTER);
        return box;
    }

    private static Region spacer(double w) {
        Region r = new Region();
        r.setMinWidth(w);
        return r;
    }
}

package io.ldmstudio.ui.gallery;

import io.ldmstudio.ui.Studio;
import io.ldmstudio.ui.StudioPane;
import io.ldmstudio.ui.common.NearestScale;
import io.ldmstudio.ui.common.PixelView;
import io.ldmstudio.ui.gallery.GalleryViewModel.Side;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import javafx.beans.binding.Bindings;
import javafx.collections.ListChangeListener;
import javafx.geometry.Insets;
import javafx.geometry.Pos;
import javafx.scene.Cursor;
import javafx.scene.Node;
import javafx.scene.control.Button;
import javafx.scene.control.Label;
import javafx.scene.control.ScrollPane;
import javafx.scene.control.Slider;
import javafx.scene.control.ToggleButton;
import javafx.scene.control.Tooltip;
import javafx.scene.image.ImageView;
import javafx.scene.input.KeyEvent;
import javafx.scene.input.ScrollEvent;
import javafx.scene.layout.BorderPane;
import javafx.scene.layout.HBox;
import javafx.scene.layout.Priority;
import javafx.scene.layout.Region;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;

/**
 * The Gallery pane: a run's fixed-seed sample grids along a step slider (snapping to the steps that
 * have one), two steps side by side in compare mode, and a zoom view with whole-pixel magnification.
 */
public final class GalleryPane implements StudioPane {
    private final GalleryViewModel vm;
    private final StackPane root = new StackPane();
    private final Map<Side, Slider> sliders = new EnumMap<>(Side.class);
    private final Map<Side, PixelView> views = new EnumMap<>(Side.class);
    private final Map<Side, Label> stepLabels = new EnumMap<>(Side.class);
    private final ToggleButton compare = new ToggleButton("Compare");
    private final ImageView zoomView = new ImageView();
    private final BorderPane zoomLayer = new BorderPane();

    public GalleryPane(Studio studio) {
        vm = new GalleryViewModel(studio);
        root.setId("gallery-pane");
        VBox content = new VBox(8, header(), images());
        content.setPadding(new Insets(10, 12, 10, 12));
        buildZoomLayer();
        root.getChildren().addAll(content, zoomLayer);
        root.addEventHandler(KeyEvent.KEY_PRESSED, this::onKey);
    }

    private Node header() {
        Label title = new Label("Gallery");
        title.getStyleClass().add("pane-title");
        Label run = new Label();
        run.setId("gallery-run");
        run.getStyleClass().add("run-name");
        run.textProperty().bind(vm.runNameProperty());
        Label count = new Label();
        count.getStyleClass().add("dim");
        count.textProperty().bind(Bindings.createStringBinding(() -> vm.steps().isEmpty() ? ""
                : vm.steps().size() + (vm.steps().size() == 1 ? " grid" : " grids") + ", steps " + vm.steps().get(0)
                        + "–" + vm.steps().get(vm.steps().size() - 1), vm.steps()));
        Region spacer = new Region();
        HBox.setHgrow(spacer, Priority.ALWAYS);
        compare.setId("gallery-compare");
        compare.setTooltip(new Tooltip("Show a second step beside the first (C)"));
        compare.selectedProperty().bindBidirectional(vm.compareProperty());
        Button rescan = new Button("Rescan");
        rescan.setId("gallery-rescan");
        rescan.setTooltip(new Tooltip("Read the run's samples folder again (grids of a live run appear by themselves)"));
        rescan.setOnAction(e -> vm.rescan());
        HBox top = new HBox(10, title, run, count, spacer, compare, rescan);
        top.setAlignment(Pos.CENTER_LEFT);
        Label caption = new Label("Fixed-seed sample grids: the same starting noise at every step, so what changes is "
                + "what the model learned. Click a grid to zoom.");
        caption.getStyleClass().add("dim");
        return new VBox(2, top, caption);
    }

    private Node images() {
        Node primary = panel(Side.PRIMARY);
        Node second = panel(Side.SECOND);
        second.visibleProperty().bind(vm.compareProperty());
        second.managedProperty().bind(vm.compareProperty());
        HBox row = new HBox(12, primary, second);
        HBox.setHgrow(primary, Priority.ALWAYS);
        HBox.setHgrow(second, Priority.ALWAYS);
        VBox.setVgrow(row, Priority.ALWAYS);
        vm.steps().addListener((ListChangeListener<Long>) c -> {
            sliders.keySet().forEach(this::configureSlider);
        });
        return row;
    }

    private Node panel(Side side) {
        String id = side == Side.PRIMARY ? "gallery" : "gallery-second";
        PixelView view = new PixelView(PixelView.Fit.WHOLE);
        view.setId(id + "-image");
        view.imageProperty().bind(vm.imageProperty(side));
        view.setCursor(Cursor.HAND);
        view.setOnMouseClicked(e -> openZoom(side));
        Tooltip.install(view, new Tooltip("Click to zoom (Z): whole-pixel magnification, scroll to zoom further"));
        Label empty = new Label();
        empty.textProperty().bind(vm.placeholderProperty());
        empty.setStyle("-fx-text-fill: #c9ced6;");
        empty.setWrapText(true);
        empty.setMouseTransparent(true);
        empty.visibleProperty().bind(vm.placeholderProperty().isNotEmpty());
        StackPane frame = new StackPane(view, empty);
        frame.getStyleClass().add("image-frame");
        frame.setMinSize(120, 120);
        VBox.setVgrow(frame, Priority.ALWAYS);

        Slider slider = new Slider(0, 1, 0);
        slider.setId(id + "-slider");
        slider.setTooltip(new Tooltip(side == Side.PRIMARY ? "Training step of the grid (←/→ for the previous/next grid)"
                : "Training step of the second grid"));
        slider.setShowTickMarks(true);
        slider.setMinorTickCount(0);
        HBox.setHgrow(slider, Priority.ALWAYS);
        slider.valueProperty().addListener((o, a, v) -> {
            long s = vm.snap(v.doubleValue());
            if (s > 0 && s != v.doubleValue()) {
                slider.setValue(s); // snaps to a step that has a grid
            } else if (s > 0) {
                vm.stepProperty(side).set(s);
            }
        });
        vm.stepProperty(side).addListener((o, a, s) -> {
            if (s.longValue() > 0 && slider.getValue() != s.doubleValue()) {
                slider.setValue(s.doubleValue());
            }
        });
        Label step = new Label();
        step.setId(id + "-step");
        step.getStyleClass().add("figure");
        step.setMinWidth(Region.USE_PREF_SIZE);
        step.textProperty().bind(Bindings.createStringBinding(() -> {
            long s = vm.stepProperty(side).get();
            int i = vm.steps().indexOf(s);
            return s <= 0 ? "step —" : String.format(Locale.ROOT, "step %,d  (%d of %d)", s, i + 1, vm.steps().size());
        }, vm.stepProperty(side), vm.steps()));
        HBox controls = new HBox(10, step, slider);
        controls.setAlignment(Pos.CENTER_LEFT);
        sliders.put(side, slider);
        views.put(side, view);
        stepLabels.put(side, step);
        configureSlider(side);
        VBox box = new VBox(6, frame, controls);
        box.setMinWidth(200);
        box.setPrefWidth(400);
        return box;
    }

    private void configureSlider(Side side) {
        Slider slider = sliders.get(side);
        var steps = vm.steps();
        if (steps.isEmpty()) {
            slider.setDisable(true);
            return;
        }
        long first = steps.get(0);
        long last = steps.get(steps.size() - 1);
        long spacing = Long.MAX_VALUE;
        for (int i = 1; i < steps.size(); i++) {
            spacing = Math.min(spacing, steps.get(i) - steps.get(i - 1));
        }
        slider.setDisable(steps.size() < 2);
        long keep = vm.stepProperty(side).get();
        slider.setMin(first);
        slider.setMax(Math.max(last, first + 1));
        slider.setMajorTickUnit(spacing == Long.MAX_VALUE ? 1 : spacing);
        slider.setShowTickMarks(steps.size() <= 100);
        slider.setBlockIncrement(spacing == Long.MAX_VALUE ? 1 : spacing);
        if (keep > 0) {
            slider.setValue(keep);
        }
    }

    private void buildZoomLayer() {
        zoomLayer.setId("gallery-zoom");
        zoomLayer.setStyle("-fx-background-color: #16191d;");
        zoomView.setSmooth(false);
        zoomView.setPreserveRatio(true);
        Runnable zoomImage = () -> {
            Side side = vm.zoomedProperty().get();
            var img = side == null ? null : vm.imageProperty(side).get();
            int z = vm.zoomProperty().get();
            if (img == null) {
                zoomView.setImage(null);
                zoomView.setFitWidth(0);
                return;
            }
            // a sharp copy where it is small enough; beyond that the renderer magnifies (smooth off)
            zoomView.setImage(NearestScale.fits(img, z) ? NearestScale.enlarge(img, z) : img);
            zoomView.setFitWidth(img.getWidth() * z);
            zoomView.setFitHeight(img.getHeight() * z);
        };
        vm.zoomedProperty().addListener((o, a, b) -> zoomImage.run());
        vm.zoomProperty().addListener((o, a, b) -> zoomImage.run());
        vm.imageProperty(Side.PRIMARY).addListener((o, a, b) -> zoomImage.run());
        vm.imageProperty(Side.SECOND).addListener((o, a, b) -> zoomImage.run());
        StackPane holder = new StackPane(zoomView);
        holder.setStyle("-fx-background-color: transparent;");
        ScrollPane scroll = new ScrollPane(holder);
        scroll.setPannable(true);
        scroll.setFitToWidth(true);
        scroll.setFitToHeight(true);
        scroll.setStyle("-fx-background: transparent; -fx-background-color: transparent;");
        holder.minWidthProperty().bind(zoomView.fitWidthProperty());
        holder.minHeightProperty().bind(zoomView.fitHeightProperty());
        scroll.addEventFilter(ScrollEvent.SCROLL, e -> {
            if (e.getDeltaY() != 0) {
                vm.zoomBy(e.getDeltaY() > 0 ? 1 : -1);
                e.consume();
            }
        });

        Label what = new Label();
        what.setId("gallery-zoom-caption");
        what.setStyle("-fx-text-fill: #e8ebef;");
        what.textProperty().bind(Bindings.createStringBinding(() -> {
            Side s = vm.zoomedProperty().get();
            return s == null ? "" : String.format(Locale.ROOT, "%s · step %,d · %d× (scroll or +/− to zoom, drag to pan)",
                    vm.runNameProperty().get(), vm.stepProperty(s).get(), vm.zoomProperty().get());
        }, vm.zoomedProperty(), vm.zoomProperty(), vm.runNameProperty()));
        Button out = new Button("−");
        out.setTooltip(new Tooltip("Zoom out (−)"));
        out.setOnAction(e -> vm.zoomBy(-1));
        Button in = new Button("+");
        in.setTooltip(new Tooltip("Zoom in (+)"));
        in.setOnAction(e -> vm.zoomBy(1));
        Button close = new Button("Close");
        close.setId("gallery-zoom-close");
        close.setTooltip(new Tooltip("Back to the gallery (Esc)"));
        close.setOnAction(e -> vm.closeZoom());
        Region spacer = new Region();
        HBox.setHgrow(spacer, Priority.ALWAYS);
        HBox bar = new HBox(8, what, spacer, out, in, close);
        bar.setAlignment(Pos.CENTER_LEFT);
        bar.setPadding(new Insets(8, 12, 8, 12));
        zoomLayer.setTop(bar);
        zoomLayer.setCenter(scroll);
        zoomLayer.visibleProperty().bind(vm.zoomedProperty().isNotNull());
        vm.zoomedProperty().addListener((o, a, s) -> {
            if (s != null) {
                scroll.requestFocus();
            }
        });
    }

    private void openZoom(Side side) {
        var img = vm.imageProperty(side).get();
        if (img == null) {
            return;
        }
        double w = Math.max(100, root.getWidth() - 40);
        double h = Math.max(100, root.getHeight() - 90);
        vm.openZoom(side, Math.min(w / img.getWidth(), h / img.getHeight()));
    }

    private void onKey(KeyEvent e) {
        if (vm.zoomedProperty().get() != null) {
            switch (e.getCode()) {
                case ESCAPE -> vm.closeZoom();
                case PLUS, ADD, EQUALS -> vm.zoomBy(1);
                case MINUS, SUBTRACT -> vm.zoomBy(-1);
                default -> {
                    return;
                }
            }
            e.consume();
            return;
        }
        if (e.isShortcutDown() || e.isAltDown()) {
            return;
        }
        switch (e.getCode()) {
            case LEFT -> vm.move(Side.PRIMARY, -1);
            case RIGHT -> vm.move(Side.PRIMARY, 1);
            case C -> vm.compareProperty().set(!vm.compareProperty().get());
            case Z -> openZoom(Side.PRIMARY);
            default -> {
                return;
            }
        }
        e.consume();
    }

    /** The view model (tests drive and read it). */
    public GalleryViewModel viewModel() {
        return vm;
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

    @Override
    public void shown() {
        vm.rescan();
    }

    @Override
    public void dispose() {
        vm.dispose();
    }
}

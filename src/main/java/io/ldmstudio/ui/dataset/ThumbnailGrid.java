package io.ldmstudio.ui.dataset;

import io.ldmstudio.data.ImageSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javafx.collections.FXCollections;
import javafx.collections.ObservableList;
import javafx.geometry.Pos;
import javafx.scene.control.Label;
import javafx.scene.control.ListCell;
import javafx.scene.control.ListView;
import javafx.scene.control.Tooltip;
import javafx.scene.image.ImageView;
import javafx.scene.input.KeyCode;
import javafx.scene.input.KeyEvent;
import javafx.scene.layout.HBox;
import javafx.scene.layout.StackPane;
import javafx.scene.layout.VBox;

/**
 * A virtualised grid of thumbnails: a {@link ListView} whose cells are rows of tiles, so only the rows
 * on screen exist and only their tiles ask for thumbnails. A tile whose row is reused for other images
 * cancels its pending request. Click or arrow keys select an image.
 */
final class ThumbnailGrid {
    static final double TILE = ThumbnailLoader.SHOWN;
    static final double TILE_W = TILE + 10;
    static final double ROW_H = TILE + 26;

    private final DatasetViewModel vm;
    private final ListView<Row> list = new ListView<>();
    private final ObservableList<Row> rows = FXCollections.observableArrayList();
    private final List<RowCell> cells = new ArrayList<>();
    private int columns = 1;
    private double gap = 4;
    private long generation;

    /** A row of the grid; a new source or column count makes new rows, so every cell refills. */
    record Row(long generation, int columns, int index) {}

    ThumbnailGrid(DatasetViewModel vm) {
        this.vm = vm;
        list.setId("thumbnail-grid");
        list.getStyleClass().add("thumb-grid");
        list.setItems(rows);
        list.setFixedCellSize(ROW_H);
        list.setCellFactory(v -> {
            RowCell c = new RowCell();
            cells.add(c);
            return c;
        });
        list.setPlaceholder(new Label("No images"));
        list.setFocusTraversable(true);
        list.widthProperty().addListener((o, a, b) -> relayout());
        vm.sourceProperty().addListener((o, a, b) -> {
            generation++;
            rebuildRows(true);
        });
        vm.selectedIndexProperty().addListener((o, a, b) -> {
            cells.forEach(RowCell::updateSelection);
        });
        list.addEventFilter(KeyEvent.KEY_PRESSED, this::key);
    }

    ListView<Row> view() {
        return list;
    }

    int columns() {
        return columns;
    }

    /** Scrolls so image {@code index} is on screen. */
    void reveal(int index) {
        if (columns > 0 && index >= 0) {
            list.scrollTo(index / columns);
        }
    }

    private void relayout() {
        double usable = list.getWidth() - 24;
        int c = Math.max(1, (int) (usable / TILE_W));
        // spread the spare width between the tiles rather than leaving it at the right
        gap = 4 + Math.max(0, Math.min(24, (usable - c * TILE_W) / c));
        cells.forEach(cell -> cell.box.setSpacing(gap));
        if (c != columns) {
            int first = firstVisibleImage();
            columns = c;
            rebuildRows(false);
            if (first > 0) {
                list.scrollTo(first / columns);
            }
        }
    }

    private int firstVisibleImage() {
        int best = Integer.MAX_VALUE;
        for (RowCell cell : cells) {
            if (cell.getItem() != null && !cell.isEmpty() && cell.isVisible()) {
                best = Math.min(best, cell.getItem().index() * cell.getItem().columns());
            }
        }
        return best == Integer.MAX_VALUE ? 0 : best;
    }

    private void rebuildRows(boolean toTop) {
        ImageSource s = vm.sourceProperty().get();
        int n = s == null ? 0 : s.size();
        int r = (n + columns - 1) / columns;
        List<Row> idx = new ArrayList<>(r);
        for (int i = 0; i < r; i++) {
            idx.add(new Row(generation, columns, i));
        }
        rows.setAll(idx);
        if (toTop && r > 0) {
            list.scrollTo(0);
        }
    }

    private void key(KeyEvent e) {
        ImageSource s = vm.sourceProperty().get();
        if (s == null || s.size() == 0) {
            return;
        }
        int i = Math.max(0, vm.selectedIndexProperty().get());
        int n = s.size();
        int visibleRows = Math.max(1, (int) (list.getHeight() / ROW_H) - 1);
        int next;
        KeyCode k = e.getCode();
        if (k == KeyCode.RIGHT) {
            next = i + 1;
        } else if (k == KeyCode.LEFT) {
            next = i - 1;
        } else if (k == KeyCode.DOWN) {
            next = i + columns;
        } else if (k == KeyCode.UP) {
            next = i - columns;
        } else if (k == KeyCode.PAGE_DOWN) {
            next = i + columns * visibleRows;
        } else if (k == KeyCode.PAGE_UP) {
            next = i - columns * visibleRows;
        } else if (k == KeyCode.HOME) {
            next = 0;
        } else if (k == KeyCode.END) {
            next = n - 1;
        } else {
            return;
        }
        e.consume();
        next = Math.max(0, Math.min(n - 1, next));
        vm.select(next);
        reveal(next);
    }

    /** One row of tiles. */
    private final class RowCell extends ListCell<Row> {
        private final HBox box = new HBox(4);
        private final List<Tile> tiles = new ArrayList<>();

        RowCell() {
            box.setAlignment(Pos.CENTER_LEFT);
            setGraphic(box);
            setText(null);
            getStyleClass().add("thumb-row");
        }

        @Override
        protected void updateItem(Row item, boolean empty) {
            super.updateItem(item, empty);
            if (empty || item == null) {
                tiles.forEach(t -> t.show(-1));
                return;
            }
            box.setSpacing(gap);
            while (tiles.size() < columns) {
                Tile t = new Tile();
                tiles.add(t);
                box.getChildren().add(t.root);
            }
            while (tiles.size() > columns) {
                Tile t = tiles.remove(tiles.size() - 1);
                t.show(-1);
                box.getChildren().remove(t.root);
            }
            ImageSource s = vm.sourceProperty().get();
            int n = s == null ? 0 : s.size();
            int row = item.index();
            for (int k = 0; k < tiles.size(); k++) {
                int index = row * columns + k;
                tiles.get(k).show(index < n ? index : -1, item.generation());
            }
        }

        void updateSelection() {
            int sel = vm.selectedIndexProperty().get();
            for (Tile t : tiles) {
                t.root.pseudoClassStateChanged(SELECTED, t.index >= 0 && t.index == sel);
            }
        }
    }

    private static final javafx.css.PseudoClass SELECTED = javafx.css.PseudoClass.getPseudoClass("chosen");

    /** One thumbnail with its index and class. */
    private final class Tile {
        final VBox root = new VBox(2);
        final StackPane frame = new StackPane();
        final ImageView image = new ImageView();
        final Label caption = new Label();
        final Tooltip tip = new Tooltip();
        int index = -1;
        long shownGeneration = -1;
        ThumbnailLoader.Ticket ticket;

        Tile() {
            root.getStyleClass().add("thumb-tile");
            root.setAlignment(Pos.TOP_CENTER);
            root.setPrefWidth(TILE_W - 4);
            root.setMinWidth(TILE_W - 4);
            frame.getStyleClass().add("thumb-frame");
            frame.setMinSize(TILE, TILE);
            frame.setPrefSize(TILE, TILE);
            frame.setMaxSize(TILE, TILE);
            frame.getChildren().add(image);
            caption.getStyleClass().add("thumb-caption");
            caption.setMaxWidth(TILE_W - 4);
            root.getChildren().addAll(frame, caption);
            root.setOnMouseClicked(e -> {
                if (index >= 0) {
                    vm.select(index);
                    list.requestFocus();
                }
            });
        }

        void show(int i) {
            show(i, shownGeneration);
        }

        void show(int i, long gen) {
            if (i == index && gen == shownGeneration) {
                root.pseudoClassStateChanged(SELECTED, i >= 0 && i == vm.selectedIndexProperty().get());
                return;
            }
            if (ticket != null) {
                ticket.cancel();
                ticket = null;
            }
            index = i;
            shownGeneration = gen;
            image.setImage(null);
            root.pseudoClassStateChanged(SELECTED, i >= 0 && i == vm.selectedIndexProperty().get());
            if (i < 0) {
                root.setVisible(false);
                caption.setText("");
                Tooltip.uninstall(root, tip);
                return;
            }
            root.setVisible(true);
            String cls = vm.className(i);
            caption.setText(String.format(Locale.ROOT, "%,d", i) + (cls.isEmpty() ? "" : " " + cls));
            tip.setText(vm.imageText(i) + " — click to preview its training transform");
            Tooltip.install(root, tip);
            ticket = vm.thumbnails().request(i, this::ready);
        }

        private void ready(ThumbnailLoader.Thumbnail t) {
            if (t.index() != index) {
                return;
            }
            ticket = null;
            if (t.image() == null) {
                image.setImage(null);
                caption.setText(String.format(Locale.ROOT, "%,d unreadable", index));
                tip.setText(vm.imageText(index) + ": " + t.problem());
                return;
            }
            image.setImage(t.image()); // already at its shown size
        }
    }

    /** For tests: the image shown by the tile of {@code index}, if that tile is on screen. */
    javafx.scene.image.Image shownImage(int index) {
        for (RowCell c : cells) {
            for (Tile t : c.tiles) {
                if (t.index == index && !c.isEmpty() && t.image.getImage() != null) {
                    return t.image.getImage();
                }
            }
        }
        return null;
    }

    /** For tests: the tooltip of the tile of {@code index}, if that tile is on screen. */
    String tooltipText(int index) {
        for (RowCell c : cells) {
            for (Tile t : c.tiles) {
                if (t.index == index && !c.isEmpty()) {
                    return t.tip.getText();
                }
            }
        }
        return null;
    }

    /** For tests: the indices whose tiles exist now (on screen or just beside it). */
    List<Integer> shownIndices() {
        List<Integer> out = new ArrayList<>();
        for (RowCell c : cells) {
            if (!c.isEmpty()) {
                for (Tile t : c.tiles) {
                    if (t.index >= 0) {
                        out.add(t.index);
                    }
                }
            }
        }
        return out;
    }
}

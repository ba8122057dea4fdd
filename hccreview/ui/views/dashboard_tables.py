"""The dashboard's tables: a read-only view over a :class:`DataFrameModel` that copies (Ctrl+C → TSV on the
clipboard) and saves CSV, and the response-by-source model that marks where sources disagree."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QPoint, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeyEvent, QKeySequence
from PySide6.QtWidgets import QAbstractItemView, QApplication, QHeaderView, QMenu, QTableView, QWidget

from hccreview.domain.sources import Source
from hccreview.ui.models.dataframe_model import SORT_ROLE, DataFrameModel
from hccreview.ui.views.dashboard_canvas import SaveLocation
from hccreview.ui.wording import response_text

DIFFERS_BRUSH = QBrush(QColor("#ffe0a3"))
#: The widest a column starts (px): longer texts elide, whole in the cell's tooltip (issue 19).
COLUMN_MAX = 170
#: Tables with more numeric columns than a pane beside a plot can show; they scroll sideways by design.
WIDE_TABLES = frozenset({"toxicity", "lab_toxicity", "arms"})
DIFFERS_TEXT = QBrush(QColor("#000000"))


class ResponseTableModel(DataFrameModel):
    """Best response by source (rows: response codes and rates; column 0 the row name, column 1 the chosen
    source). A cell of another source that differs from the chosen source's is shaded, with a tooltip. The
    frame's columns are source keys ("reader:reader1"); the headers and tooltips say them in words
    (``domain.sources.Source.label``). No signals beyond the base model's; GUI thread."""

    def _header_text(self, column: int) -> str:
        if column == 0:
            return super()._header_text(column)
        # "Reader\nradiologist-2": two short lines keep five sources beside the plot at 1366 px (issue 19)
        return Source.parse(self.frame.columns[column]).label(short=True).replace(" ", "\n", 1)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (
            index.isValid()
            and index.column() == 0
            and role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole)
        ):
            name = response_text(str(self.raw(index.row(), 0)))  # "PENDING" is no response: "pending"
            return name if role == Qt.ItemDataRole.DisplayRole else f"{self._header_text(0)}: {name}"
        if (
            index.isValid()
            and index.column() >= 2
            and role
            in (
                Qt.ItemDataRole.BackgroundRole,
                Qt.ItemDataRole.ForegroundRole,
                Qt.ItemDataRole.ToolTipRole,
            )
        ):
            row, column = index.row(), index.column()
            mine, chosen = self.raw(row, column), self.raw(row, 1)
            if row < self.rowCount() - 1 and mine != chosen:
                if role == Qt.ItemDataRole.BackgroundRole:
                    return DIFFERS_BRUSH
                if role == Qt.ItemDataRole.ForegroundRole:
                    return DIFFERS_TEXT
                return f"{mine} — differs from {self._header_text(1)} ({chosen})"
        return super().data(index, role)


def _clean(text: object) -> str:
    return "" if text is None else str(text).replace("\t", " ").replace("\n", " ")


class StatsTable(QTableView):
    """A dashboard table over a :class:`DataFrameModel` (optionally sortable through a proxy on the raw
    values).

    Signals:
        copied(str): TSV text was put on the clipboard (GUI thread).
        saved(str): the table was written as CSV to this path (GUI thread).

    Ctrl+C copies the selected cells (all cells when nothing is selected) with their column headers; the
    context menu also copies the whole table and saves it as CSV (the raw frame, not the display text).
    """

    copied = Signal(str)
    saved = Signal(str)

    def __init__(self, name: str, title: str, model: DataFrameModel, *, sortable: bool = False,
                 parent: QWidget | None = None) -> None:  # fmt: skip
        super().__init__(parent)
        self.setObjectName(f"dashboard_table_{name}")
        self.name = name
        self.title = title
        self.source_model = model
        if sortable:
            proxy = QSortFilterProxyModel(self)
            proxy.setSourceModel(model)
            proxy.setSortRole(SORT_ROLE)
            self.setModel(proxy)
            self.setSortingEnabled(True)
            self.sortByColumn(-1, Qt.SortOrder.AscendingOrder)
        else:
            self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setAlternatingRowColors(True)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        self.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.horizontalHeader().setHighlightSections(False)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.customContextMenuRequested.connect(self._context_menu)
        self.setProperty("scrolls_columns", name in WIDE_TABLES)
        self._widths: dict[str, int] = {}  # column name → width, measured once
        self._shown_columns: list[str] | None = None

    @property
    def frame(self) -> pd.DataFrame:
        return self.source_model.frame

    def set_frame(self, frame: pd.DataFrame) -> None:
        """Show ``frame``; a column's width follows its content the first time a column of that name appears
        and is remembered by name, so a recompute (which may add or drop source columns) does not measure every
        cell again (measuring asks the model for each cell's text and is the slow part of an update)."""
        names = [str(c) for c in frame.columns]
        self.source_model.set_frame(frame)
        if names == self._shown_columns:
            return
        self._shown_columns = names
        new = [i for i, name in enumerate(names) if name not in self._widths]
        if len(new) == len(names):
            self.resizeColumnsToContents()
        else:
            for col in new:
                self.resizeColumnToContents(col)
        header = self.horizontalHeader()
        for col, name in enumerate(names):
            if col in new:  # a long text column elides (every cell has its tooltip): the table fits its pane
                self._widths[name] = min(header.sectionSize(col), COLUMN_MAX)
            header.resizeSection(col, self._widths[name])

    # ------------------------------------------------------------------ copy / save
    def selection_tsv(self, *, everything: bool = False) -> str:
        """The selected cells (or all) as tab-separated text, with a header line, in the view's order."""
        model = self.model()
        indexes = [] if everything else self.selectionModel().selectedIndexes()
        if indexes:
            rows = sorted({i.row() for i in indexes})
            cols = sorted({i.column() for i in indexes})
            chosen = {(i.row(), i.column()) for i in indexes}
        else:
            rows, cols = list(range(model.rowCount())), list(range(model.columnCount()))
            chosen = None
        lines = ["\t".join(_clean(model.headerData(c, Qt.Orientation.Horizontal)) for c in cols)]
        for r in rows:
            cells = [_clean(model.index(r, c).data()) if chosen is None or (r, c) in chosen else "" for c in cols]
            lines.append("\t".join(cells))
        return "\n".join(lines) + "\n"

    def copy_selection(self, *, everything: bool = False) -> str:
        """Put :meth:`selection_tsv` on the clipboard; returns the text."""
        text = self.selection_tsv(everything=everything)
        QApplication.clipboard().setText(text)
        self.copied.emit(text)
        return text

    def save_csv(self, path: Path) -> Path:
        """Write the table's frame (raw values, column names as shown) to ``path`` as UTF-8 CSV."""
        self.frame.to_csv(path, index=False, encoding="utf-8")
        self.saved.emit(str(path))
        return path

    def ask_and_save(self) -> Path | None:
        """Ask where (through :meth:`SaveLocation.ask_path`) and save as CSV; None when cancelled."""
        path = SaveLocation.ask_path(self, f"Save {self.title} as CSV", f"{self.name}.csv", "csv")
        return None if path is None else self.save_csv(path)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if event.matches(QKeySequence.StandardKey.Copy):
            self.copy_selection()
            event.accept()
            return
        super().keyPressEvent(event)

    def export_menu(self, parent: QWidget) -> QMenu:
        """A menu of :meth:`add_export_actions`."""
        menu = QMenu(parent)
        self.add_export_actions(menu)
        return menu

    def add_export_actions(self, menu: QMenu) -> None:
        """Copy selection / copy all / save as CSV."""
        copy = menu.addAction("Copy selection")
        copy.setShortcut(QKeySequence(QKeySequence.StandardKey.Copy))
        copy.triggered.connect(lambda: self.copy_selection())
        menu.addAction(f"Copy {self.title} (all rows)").triggered.connect(lambda: self.copy_selection(everything=True))
        menu.addAction(f"Save {self.title} as CSV…").triggered.connect(self.ask_and_save)

    def _context_menu(self, pos: QPoint) -> None:
        self.export_menu(self).exec(self.viewport().mapToGlobal(pos))

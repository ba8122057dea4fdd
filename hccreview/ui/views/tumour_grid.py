"""The tumour grid's two views: the lesions above, the response rows pinned below, sharing one model.

Issue 19: on a 1366×768 screen a patient with many lesions pushed the timepoint responses below the fold, and
wide columns showed two or three of nine timepoints. Here the lesion rows scroll in the upper view and the
summary rows (target sum, % changes, target / non-target / new-lesion responses, the timepoint response and the
stated response) stay visible in the lower one; both views keep the same column widths and horizontal scroll
position, and their row headers (the lesion and row titles, which never scroll sideways: the frozen first
column) the same width, capped at :data:`ROW_HEADER_MAX` and elided with the whole title as tooltip. Columns are
sized to their content, which the model keeps compact (short visit and date headers, "NN").
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtWidgets import QAbstractItemView, QFrame, QHeaderView, QTableView, QVBoxLayout, QWidget

from hccreview.ui.models.tumour_model import SUMMARY, TumourGridModel

#: The widest the row titles get (px); longer lesion names elide (their tooltip has them in full).
ROW_HEADER_MAX = 170


def _view(model: TumourGridModel, parent: QWidget) -> QTableView:
    view = QTableView(parent)
    view.setModel(model)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setEditTriggers(
        QAbstractItemView.EditTrigger.DoubleClicked
        | QAbstractItemView.EditTrigger.EditKeyPressed
        | QAbstractItemView.EditTrigger.AnyKeyPressed
    )
    view.setWordWrap(False)
    view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    rows = view.verticalHeader()  # fixed row height, columns sized once per fill: cheap model resets
    rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    rows.setDefaultSectionSize(view.fontMetrics().height() + 6)
    rows.setTextElideMode(Qt.TextElideMode.ElideRight)
    view.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
    view.setProperty("scrolls_columns", True)  # the row titles stay put while the timepoints scroll
    return view


class TumourGrid(QWidget):
    """:attr:`lesions` (the grid the user edits and moves in) over :attr:`responses` (the pinned summary rows).
    Signals: none (the model's). GUI thread only."""

    def __init__(self, model: TumourGridModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.lesions = _view(model, self)
        self.lesions.setAccessibleName("Lesion by timepoint grid")
        self.responses = _view(model, self)
        self.responses.setObjectName("tumour_responses")
        self.responses.setAccessibleName("Timepoint responses")
        self.responses.horizontalHeader().hide()
        self.responses.setFrameShape(QFrame.Shape.NoFrame)
        self.responses.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.lesions.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)  # the lower one scrolls
        self.lesions.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)
        self.responses.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOn)  # same viewport width
        self.responses.verticalScrollBar().setEnabled(False)
        top, bottom = self.lesions.horizontalScrollBar(), self.responses.horizontalScrollBar()
        top.valueChanged.connect(bottom.setValue)
        bottom.valueChanged.connect(top.setValue)
        self.lesions.horizontalHeader().sectionResized.connect(
            lambda column, _old, new: self.responses.setColumnWidth(column, new)
        )
        for one, other in ((self.lesions, self.responses), (self.responses, self.lesions)):
            one.selectionModel().currentChanged.connect(
                lambda current, _previous, other=other: self._moved(current, other)
            )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.lesions, 1)
        layout.addWidget(self.responses)
        model.modelReset.connect(self._split_rows)

    def view_of(self, row: int) -> QTableView:
        """The view that shows ``row``."""
        return self.responses if self._pinned(row) else self.lesions

    def _pinned(self, row: int) -> bool:
        key = self.model.row_key(row) if 0 <= row < self.model.rowCount() else ""
        return key == "group:summary" or key in SUMMARY

    def _moved(self, current: QModelIndex, other: QTableView) -> None:
        """The current cell is in one view at a time: the other lets go of its own."""
        if current.isValid() and other.currentIndex().isValid():
            other.selectionModel().clearCurrentIndex()
            other.clearSelection()

    def _split_rows(self) -> None:
        for row in range(self.model.rowCount()):
            pinned = self._pinned(row)
            self.lesions.setRowHidden(row, pinned)
            self.responses.setRowHidden(row, not pinned)
        self._fit_height()

    def _fit_height(self) -> None:
        """The pinned view is exactly as tall as its rows and its scroll bar."""
        shown = sum(1 for r in range(self.model.rowCount()) if not self.responses.isRowHidden(r))
        rows = shown * self.responses.verticalHeader().defaultSectionSize()
        scroll = self.responses.horizontalScrollBar().sizeHint().height()
        self.responses.setFixedHeight(rows + scroll + 2 * self.responses.frameWidth())

    def fit_columns(self) -> None:
        """Columns to their (compact) content in both views, the row titles to one capped width."""
        self.lesions.resizeColumnsToContents()
        for column in range(self.model.columnCount()):
            width = max(self.lesions.columnWidth(column), self.responses.sizeHintForColumn(column))
            self.lesions.setColumnWidth(column, width)
            self.responses.setColumnWidth(column, width)
        wanted = max(
            self.lesions.verticalHeader().sizeHint().width(), self.responses.verticalHeader().sizeHint().width()
        )
        for view in (self.lesions, self.responses):
            view.verticalHeader().setFixedWidth(min(wanted, ROW_HEADER_MAX))
        self._fit_height()

    def needed_width(self, columns: int) -> int:
        """The width that shows the row titles and the first ``columns`` timepoints without scrolling."""
        header = self.lesions.verticalHeader().width()
        shown = sum(self.lesions.columnWidth(c) for c in range(min(columns, self.model.columnCount())))
        scroll = self.lesions.verticalScrollBar().sizeHint().width()
        return header + shown + scroll + 2 * self.lesions.frameWidth()

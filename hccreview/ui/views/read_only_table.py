"""The read-only table view the case panels share (whole-row selection, no editing, columns sized to content) and
the case-view tab made of one: a summary line above the table."""

from __future__ import annotations

from PySide6.QtCore import QAbstractItemModel
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget


def read_only_table(
    model: QAbstractItemModel, parent: QWidget, *, alternating: bool = True, stretch_column: int | None = None
) -> QTableView:
    """A table over ``model`` that selects rows, never edits, hides row numbers and sizes columns to content;
    the last column (or ``stretch_column``) takes the spare width."""
    table = QTableView(parent)
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setAlternatingRowColors(alternating)
    table.verticalHeader().hide()
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    if stretch_column is None:
        header.setStretchLastSection(True)
    else:
        header.setSectionResizeMode(stretch_column, QHeaderView.ResizeMode.Stretch)
    return table


class TableTab(QWidget):
    """A case-view tab: :attr:`summary` (a line about the shown patient) above a read-only table over ``model``
    (options as :func:`read_only_table`); :attr:`count` is the model's row count (the tab's badge). Signals: none.
    GUI thread only."""

    def __init__(
        self,
        model: QAbstractItemModel,
        parent: QWidget | None = None,
        *,
        alternating: bool = True,
        stretch_column: int | None = None,
    ) -> None:
        super().__init__(parent)
        model.setParent(self)
        self.model = model
        self.table = read_only_table(model, self, alternating=alternating, stretch_column=stretch_column)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(4, 4, 4, 4)
        self.column.addWidget(self.summary)
        self.column.addWidget(self.table, 1)

    @property
    def count(self) -> int:
        return self.model.rowCount()

"""The read-only table model every table of the workstation but the navigator and the dashboard's frames is:
rows and headers set by the subclass, a tooltip per header, bold cells in the view's own font (meeting mode's
large type). :class:`RecordTableModel` is the case view's kind: fixed columns, one record per row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

Index = QModelIndex | QPersistentModelIndex
DISPLAY, TOOLTIP = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole


class ReadOnlyTableModel(QAbstractTableModel):
    """Read-only table with computed headers; subclasses fill ``_rows`` / ``_headers`` and implement ``cell``.

    No signals beyond Qt's; GUI thread only."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[Any] = []
        self._headers: list[str] = []
        self._header_tips: list[str] = []
        self.base_font: QFont | None = None  # the view's font (meeting mode: large type); None: the default

    def set_rows(self, rows: Sequence[Any]) -> None:
        """Replace the content (a model reset)."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_at(self, row: int) -> Any:
        return self._rows[row]

    def bold_font(self) -> QFont:
        """The view's font in bold (a FontRole value replaces the view's font, size included)."""
        font = QFont(self.base_font) if self.base_font is not None else QFont()
        font.setBold(True)
        return font

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's default argument
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self._headers):
            return None
        if role == DISPLAY:
            return self._headers[section]
        if role == TOOLTIP and section < len(self._header_tips):
            return self._header_tips[section] or None
        return None

    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        if not 0 <= index.column() < len(self._headers):
            return None
        return self.cell(index.row(), index.column(), role)

    def cell(self, row: int, column: int, role: int) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError


class RecordTableModel(ReadOnlyTableModel):
    """A read-only table with fixed ``columns``, one record per row; subclasses implement :meth:`record_cell`.

    Signals: none of its own (``modelReset`` on :meth:`set_rows`). GUI thread only.
    """

    columns: ClassVar[tuple[str, ...]] = ()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._headers = list(self.columns)

    def cell(self, row: int, column: int, role: int) -> Any:
        return self.record_cell(self._rows[row], column, role)

    def record_cell(self, record: Any, column: int, role: int) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

"""A generic, read-only Qt table model over a pandas DataFrame (Qt for Python's pandas example, made reusable).

The model never changes the frame it is given; :meth:`DataFrameModel.set_frame` swaps in a new one. Display
text is formatted per column (floats with a fixed number of decimals, missing values as an em dash), numbers
are right-aligned, and the raw value is available under :data:`SORT_ROLE` so that a proxy sorts numbers as
numbers. Used by the dashboard's tables and anywhere a derived frame is shown as it is.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt

SORT_ROLE = int(Qt.ItemDataRole.UserRole)
MISSING_TEXT = "—"

Index = QModelIndex | QPersistentModelIndex
Formatter = Callable[[Any], str]


def is_missing(value: Any) -> bool:
    """None, NaN, NaT and pandas' NA count as missing."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # arrays and other containers are values, not missing
        return False


def python_value(value: Any) -> Any:
    """A plain Python value for Qt (numpy scalars and timestamps converted; missing values as None)."""
    if is_missing(value):
        return None
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value


def format_value(value: Any, decimals: int = 1) -> str:
    """Display text of one cell: floats to ``decimals``, booleans as yes / no, dates ISO, missing as a dash."""
    value = python_value(value)
    if value is None:
        return MISSING_TEXT
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if math.isinf(value):
            return "∞" if value > 0 else "−∞"
        return f"{value:.{decimals}f}"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour or value.minute) else value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class DataFrameModel(QAbstractTableModel):
    """Read-only table over a DataFrame: one row per frame row, one column per frame column.

    ``decimals`` sets the digits of float columns (per column name, default 1); ``formatters`` replace the
    display text of a column; ``tooltips`` give a header tooltip per column; ``headers`` rename columns on
    screen. No signals of its own beyond QAbstractItemModel's; lives on the GUI thread (build the frame in a
    worker, hand it over with :meth:`set_frame`).
    """

    def __init__(
        self,
        frame: pd.DataFrame | None = None,
        *,
        decimals: Mapping[str, int] | None = None,
        formatters: Mapping[str, Formatter] | None = None,
        tooltips: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._frame = pd.DataFrame()
        self._cells: list[list[Any]] = []
        self._names: list[str] = []
        self._numeric: list[bool] = []
        self._take(frame if frame is not None else pd.DataFrame())
        self._decimals = dict(decimals or {})
        self._formatters = dict(formatters or {})
        self._tooltips = dict(tooltips or {})
        self._headers = dict(headers or {})

    # ------------------------------------------------------------------ data in
    @property
    def frame(self) -> pd.DataFrame:
        return self._frame

    def set_frame(self, frame: pd.DataFrame) -> None:
        """Show ``frame`` instead (a model reset; views keep their header state)."""
        self.beginResetModel()
        self._take(frame)
        self.endResetModel()

    def _take(self, frame: pd.DataFrame) -> None:
        """Keep the frame and its cells as plain Python values: ``data()`` runs for every visible cell and
        role on each repaint, where pandas' per-cell access would cost tens of microseconds a call."""
        self._frame = frame
        self._cells = [[python_value(v) for v in row] for row in frame.to_numpy(dtype=object)]
        self._names = [str(c) for c in frame.columns]
        self._numeric = [bool(pd.api.types.is_numeric_dtype(t)) for t in frame.dtypes]

    # ------------------------------------------------------------------ Qt interface
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._cells)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._names)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren

    def raw(self, row: int, column: int) -> Any:
        """The cell's value as a plain Python value (None when missing)."""
        return self._cells[row][column]

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < self.rowCount() and 0 <= index.column() < self.columnCount()):
            return None
        name = self._names[index.column()]
        value = self._cells[index.row()][index.column()]
        if role == Qt.ItemDataRole.DisplayRole:
            if name in self._formatters:
                return self._formatters[name](value)
            return format_value(value, self._decimals.get(name, 1))
        if role == Qt.ItemDataRole.ToolTipRole:
            if value is None:
                return "missing"
            return (
                f"{self._header_text(index.column())}: {format_value(value, 6) if isinstance(value, float) else value}"
            )
        if role == Qt.ItemDataRole.TextAlignmentRole:
            numeric = isinstance(value, int | float) and not isinstance(value, bool)
            horizontal = Qt.AlignmentFlag.AlignRight if numeric else Qt.AlignmentFlag.AlignLeft
            return int(horizontal | Qt.AlignmentFlag.AlignVCenter)
        if role == SORT_ROLE:
            return _sort_value(value, numeric=self._numeric[index.column()])
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal:
            if not 0 <= section < self.columnCount():
                return None
            if role == Qt.ItemDataRole.DisplayRole:
                return self._header_text(section)
            if role == Qt.ItemDataRole.ToolTipRole:
                return self._tooltips.get(self._names[section], self._header_text(section))
            return None
        if role == Qt.ItemDataRole.DisplayRole and 0 <= section < self.rowCount():
            return str(self._frame.index[section])
        return None

    def _header_text(self, column: int) -> str:
        name = self._names[column]
        return self._headers.get(name, name)


def _sort_value(value: Any, *, numeric: bool) -> Any:
    """A sort key of one type per column: floats in numeric columns, text otherwise; missing values last."""
    if numeric:
        return math.inf if value is None else float(value)
    if value is None:
        return "\uffff"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)

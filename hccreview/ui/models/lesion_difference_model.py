"""The per-lesion difference table of the adjudicator's Images view (issue 22 item 1).

One row per lesion of one visit as both readers have it (``domain.lesion_differences``: drivers first): lesion,
kind, organ, reader 1's value, reader 2's value, the difference in mm and %, and what drives the discordance. The
reader columns' headers carry each reader's overlay colour (a swatch, :data:`COLOUR_ROLE`), the same as the caliper
toggles above the images; driver rows are highlighted. No statistics here: the domain computed every number.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor, QPixmap

from hccreview.domain.lesion_differences import LesionDifference
from hccreview.ui.adjudication_style import DASH, DIFF_BACKGROUND, MISSING_FOREGROUND, mm, signed_pct
from hccreview.ui.models.adjudication_models import ALIGN, BACKGROUND, CENTRE, DECORATION, FONT, FOREGROUND, RIGHT
from hccreview.ui.models.table_model import DISPLAY, TOOLTIP, ReadOnlyTableModel

#: The colour of a reader column's header (the reader's overlay colour), as a "#rrggbb" string.
COLOUR_ROLE = int(Qt.ItemDataRole.UserRole) + 20
#: A row's :class:`LesionDifference`.
ROW_ROLE = int(Qt.ItemDataRole.UserRole) + 21
STATUS_WORDS = {"present": "", "absent": "gone", "too_small": "too small", "not_assessed": "not assessed",
                "unequivocal_progression": "PD (unequivocal)", "equivocal": "equivocal"}  # fmt: skip
KIND_WORDS = {"target": "target", "non-target": "non-target", "new": "new"}


def value_text(value: float | None, status: str, present: bool) -> str:
    """A reader's cell: the value in mm and the status when it says more than "present"; "not chosen" for a
    lesion the reader does not have, "—" for no row at this visit."""
    if not present:
        return "not chosen"
    if not status:
        return DASH
    words = STATUS_WORDS.get(status, status)
    if value is None:
        return words or "present"
    return f"{mm(value)} · {words}" if words else mm(value)


def _swatch(colour: str, size: int = 12) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(QColor(colour))
    return pixmap


class LesionDifferenceModel(ReadOnlyTableModel):
    """Both readers' lesions at one visit. Signals: QAbstractItemModel's. GUI thread only."""

    LESION, KIND, ORGAN, READ_A, READ_B, DIFF, PCT, DRIVES = range(8)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.readers: tuple[str, str] = ("read 1", "read 2")
        self.colours: dict[str, str] = {}
        self._headers = self._header_texts()

    def _header_texts(self) -> list[str]:
        a, b = self.readers
        return ["Lesion", "Kind", "Organ", a, b, "Δ mm", "Δ %", "Drives the discordance"]

    def set_visit(self, rows: Sequence[LesionDifference], readers: Sequence[str], colours: Mapping[str, str]) -> None:
        """Show ``rows`` (already ordered drivers first) of ``readers`` (two), headers in ``colours``."""
        self.beginResetModel()
        self.readers = (readers[0], readers[1]) if len(readers) >= 2 else ("read 1", "read 2")
        self.colours = dict(colours)
        self._headers = self._header_texts()
        self._header_tips = ["", "", "", *(f"Read {n} · {r}: the value at their date of this visit (calipers in "
                                            "this colour)" for n, r in enumerate(self.readers, 1)),
                             "Read 2 − read 1", "(read 2 − read 1) / read 1",
                             "Why this lesion alone can explain the discordance (RECIST 1.1 section)"]  # fmt: skip
        self._rows = list(rows)
        self.endResetModel()

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal and section in (self.READ_A, self.READ_B):
            colour = self.colours.get(self.readers[section - self.READ_A])
            if colour is not None and role == COLOUR_ROLE:
                return colour
            if colour is not None and role == DECORATION:
                return _swatch(colour)
        return super().headerData(section, orientation, role)

    def cell(self, row: int, column: int, role: int) -> Any:
        item: LesionDifference = self._rows[row]
        if role == ROW_ROLE:
            return item
        if role == DISPLAY:
            return self._text(item, column)
        if role == BACKGROUND and item.drives:
            return DIFF_BACKGROUND
        if role == FONT and item.drives and column in (self.LESION, self.DRIVES):
            return self.bold_font()
        if role == FOREGROUND and column in (self.READ_A, self.READ_B):
            present = item.in_a if column == self.READ_A else item.in_b
            status = item.status_a if column == self.READ_A else item.status_b
            return MISSING_FOREGROUND if not present or not status else None
        if role == ALIGN and column in (self.READ_A, self.READ_B, self.DIFF, self.PCT):
            return RIGHT
        if role == ALIGN and column == self.KIND:
            return CENTRE
        if role == TOOLTIP:
            return self._tip(item)
        return None

    def _text(self, item: LesionDifference, column: int) -> str:
        if column == self.LESION:
            return item.label
        if column == self.KIND:
            return KIND_WORDS.get(item.kind, item.kind)
        if column == self.ORGAN:
            return item.organ
        if column == self.READ_A:
            return value_text(item.value_a, item.status_a, item.in_a)
        if column == self.READ_B:
            return value_text(item.value_b, item.status_b, item.in_b)
        if column == self.DIFF:
            return DASH if item.diff_mm is None else f"{item.diff_mm:+.1f}".replace("-", "−")
        if column == self.PCT:
            return signed_pct(item.diff_pct)
        return item.drives

    def _tip(self, item: LesionDifference) -> str:
        a, b = self.readers
        days = f"{a} read it on {item.day_a or DASH}, {b} on {item.day_b or DASH}"
        return f"{item.label}: {days}" + (f"\n{item.drives}" if item.drives else "")

    def lesion(self, row: int) -> LesionDifference:
        return self._rows[row]


__all__ = ["COLOUR_ROLE", "ROW_ROLE", "LesionDifferenceModel", "value_text"]

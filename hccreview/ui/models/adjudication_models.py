"""Qt item models of the adjudication panel: the discordance queue and the two reads side by side.

Thin adapters over ``services.adjudication`` records (:class:`QueueItem`, :class:`Comparison`): they never call
a service and never compute a response — the rules engine's results arrive in the records.

- :class:`QueueModel`: one row per discordant patient (patient, readers, BOR A vs B, PD dates, status,
  reasons); two-line cells put reader A above reader B.
- :class:`TimepointComparisonModel`: one row per assessment date; per read the target sum, target,
  non-target, new-lesion, stated and computed responses; the fields the service flags as different
  (``ComparisonRow.differs``) are highlighted in both reads.
- :class:`LesionComparisonModel`: one row per visit, one column per lesion, each cell "read 1 │ read 2";
  a cell is highlighted when the reads differ in presence or status, or by ≥ :data:`LESION_DIFF_MM` mm
  (5 mm: the absolute change RECIST 1.1 §4.3.1 requires before an increase counts as progression).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QObject, Qt
from PySide6.QtGui import QColor

from hccreview.report.figures import readable_text, response_colour
from hccreview.services.adjudication import Comparison, ComparisonRow, LesionRow, QueueItem, ReaderTimepoint
from hccreview.ui.adjudication_style import (
    DASH,
    DIFF_BACKGROUND,
    MISSING_FOREGROUND,
    STATUS_COLOURS,
    day_text,
    lock_icon,
    mm,
    response_text,
    signed_pct,
    yes_no,
)
from hccreview.ui.models.table_model import DISPLAY, TOOLTIP, ReadOnlyTableModel
from hccreview.ui.wording import field_label

BACKGROUND, FOREGROUND = Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole
FONT, DECORATION, ALIGN = Qt.ItemDataRole.FontRole, Qt.ItemDataRole.DecorationRole, Qt.ItemDataRole.TextAlignmentRole
#: The subject id of a queue row; True / False "this cell differs" in the comparison models.
SUBJECT_ROLE = int(Qt.ItemDataRole.UserRole)
DIFF_ROLE = int(Qt.ItemDataRole.UserRole) + 1
LESION_DIFF_MM = 5.0
RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
CENTRE = int(Qt.AlignmentFlag.AlignCenter)

_REASON_WORDS = (("best overall response", "BOR"), ("progression dates", "PD dates"),
                 ("progression in one read only", "PD in one read only"))  # fmt: skip


def short_reason(reason: str) -> str:
    """A discordance reason in the queue's words ("BOR differs (SD vs PR)")."""
    for long, short in _REASON_WORDS:
        reason = reason.replace(long, short)
    return reason


class QueueModel(ReadOnlyTableModel):
    """The discordance queue: one row per :class:`QueueItem`. ``SUBJECT_ROLE`` gives the subject id.

    Signals: QAbstractItemModel's (``modelReset`` on :meth:`set_rows`). GUI thread only.
    """

    PATIENT, READERS, BOR, PD_DATES, STATUS, REASONS = range(6)
    HEADERS = ("Patient", "Readers", "BOR A vs B", "PD dates", "Status", "Reasons")
    TIPS = ("", "Read A above read B", "Confirmed best overall response of read A vs read B",
            "Date of first progression of read A (top) and read B (bottom)",
            "open: no decision · adjudicated: decided, not signed · signed: locked",
            "Why the case is discordant")  # fmt: skip

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._headers, self._header_tips = list(self.HEADERS), list(self.TIPS)

    def item(self, row: int) -> QueueItem:
        return self._rows[row]

    def items(self) -> list[QueueItem]:
        return list(self._rows)

    def row_of(self, subject_id: str | None) -> int:
        """The row of ``subject_id`` (-1 when not queued)."""
        return next((i for i, item in enumerate(self._rows) if item.subject_id == subject_id), -1)

    def cell(self, row: int, column: int, role: int) -> Any:
        item: QueueItem = self._rows[row]
        if role == SUBJECT_ROLE:
            return item.subject_id
        if role == DISPLAY:
            return self._text(item, column)
        if role == TOOLTIP:
            lines = [f"{item.subject_id}: {'; '.join(item.reasons)}"]
            if item.chosen_reader:
                lines.append(f"decision: {item.chosen_reader} ({item.decided_by or 'imported'})")
            if item.reopened:
                lines.append("re-opened by an admin: awaiting a new decision")
            if item.needs_readjudication:
                lines.append(f"needs re-adjudication: {item.needs_readjudication}")
            return "\n".join(lines)
        if column == self.STATUS:
            if role == DECORATION and item.status == "signed":
                return lock_icon()
            if role == FOREGROUND:
                return QColor(STATUS_COLOURS.get(item.status, "#000000"))
            if role == FONT:
                return self.bold_font()
        if role == BACKGROUND and column == self.BOR and item.bor_a != item.bor_b:
            return DIFF_BACKGROUND
        if role == BACKGROUND and column == self.PD_DATES and item.pd_date_a != item.pd_date_b:
            return DIFF_BACKGROUND
        if role == DIFF_ROLE:
            return (column == self.BOR and item.bor_a != item.bor_b) or (
                column == self.PD_DATES and item.pd_date_a != item.pd_date_b
            )
        return None

    def _text(self, item: QueueItem, column: int) -> str:
        if column == self.PATIENT:
            return item.subject_id
        if column == self.READERS:
            return f"{item.readers[0]}\n{item.readers[1]}"
        if column == self.BOR:
            return f"{item.bor_a} vs {item.bor_b}"
        if column == self.PD_DATES:
            return f"{day_text(item.pd_date_a)}\n{day_text(item.pd_date_b)}"
        if column == self.STATUS:
            status = item.status_label
            status += " ⚠ needs re-adjudication" if item.needs_readjudication else ""
            return f"{status}\n→ {item.chosen_reader}" if item.chosen_reader else status
        return "\n".join(short_reason(r) for r in item.reasons)


# ---------------------------------------------------------------------------------------------- timepoints
_TP_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("target_sum_mm", "Sum mm", "Target sum (RECIST 1.1: longest diameters + node short axes), mm"),
    ("target", "Target", "Stated target-lesion response"),
    ("non_target", "Non-target", "Stated non-target response"),
    ("new_lesion", "New", "New lesion stated"),
    ("stated_overall", "Stated", "The reader's stated timepoint response"),
    ("computed_overall", "Computed", "The rules engine's response on the reader's own measurements"),
)


class TimepointComparisonModel(ReadOnlyTableModel):
    """Both reads per assessment date (:class:`Comparison` rows): column 0 the date, then per read the fields
    of ``_TP_FIELDS``. Differences flagged by the service are highlighted in both reads (``DIFF_ROLE``).

    Signals: QAbstractItemModel's. GUI thread only.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.readers: list[str] = []
        self._columns: list[tuple[str, str | None]] = [("date", None)]
        self._headers = ["Date"]

    def set_comparison(self, comparison: Comparison | None) -> None:
        self.beginResetModel()
        rows: list[ComparisonRow] = list(comparison.rows) if comparison is not None else []
        self.readers = list(comparison.readers) if comparison is not None else []
        self._rows = rows
        self._columns = [("date", None)] + [(f, r) for r in self.readers for f, _, _ in _TP_FIELDS]
        labels = {f: (label, tip) for f, label, tip in _TP_FIELDS}
        self._headers = ["Date"]
        self._header_tips = ["Assessment date (visit in the tooltip)"]
        for n, reader in enumerate(self.readers, start=1):
            for field, _, _ in _TP_FIELDS:
                self._headers.append(f"Read {n}\n{labels[field][0]}")
                self._header_tips.append(f"{reader}: {labels[field][1]}")
        self.endResetModel()

    def row_at(self, row: int) -> ComparisonRow:
        return self._rows[row]

    def column_of(self, field: str, reader: str) -> int:
        return self._columns.index((field, reader))

    def differs(self, row: int, column: int) -> bool:
        item: ComparisonRow = self._rows[row]
        field, reader = self._columns[column]
        if reader is None:
            return bool(item.differs)
        return "missing" in item.differs or field in item.differs

    def cell(self, row: int, column: int, role: int) -> Any:
        item: ComparisonRow = self._rows[row]
        field, reader = self._columns[column]
        if role == DIFF_ROLE:
            return self.differs(row, column)
        if reader is None:
            if role == DISPLAY:
                return day_text(item.date)
            if role == TOOLTIP:
                extra = f" — differs: {', '.join(field_label(f) for f in item.differs)}" if item.differs else ""
                read_on = "".join(f"\n{r}: read on {d.isoformat()}" for r, d in item.dates.items())
                return f"{item.visit or 'visit not named'}{extra}{read_on}"
            if role == BACKGROUND and item.differs:
                return DIFF_BACKGROUND
            return None
        point: ReaderTimepoint | None = item.sides.get(reader)
        if role == DISPLAY:
            return "not read" if point is None else self._text(point, field)
        if role == BACKGROUND and self.differs(row, column):
            return DIFF_BACKGROUND
        if role == FOREGROUND and point is None:
            return MISSING_FOREGROUND
        if role == FONT and point is not None and field in ("stated_overall", "computed_overall"):
            return self.bold_font()
        if role == ALIGN:
            return RIGHT if field == "target_sum_mm" else CENTRE
        if role == TOOLTIP and point is not None:
            return self._tooltip(point, field, reader)
        if role == FOREGROUND and field in ("stated_overall", "computed_overall"):
            code = getattr(point, field)
            if not code:
                return None
            colour = response_colour(code)
            return QColor(colour).darker(200 if readable_text(colour) == "#000000" else 115)
        return None

    @staticmethod
    def _text(point: ReaderTimepoint, field: str) -> str:
        value = getattr(point, field)
        if field == "target_sum_mm":
            return mm(value)
        if field == "new_lesion":
            return yes_no(value)
        if field == "non_target" and value == "NON-CR/NON-PD":
            return "NN"  # narrow columns: both reads side by side at 1366 px (the tooltip spells it out)
        return response_text(value)

    @staticmethod
    def _tooltip(point: ReaderTimepoint, field: str, reader: str) -> str:
        if field == "target_sum_mm":
            return (f"{reader}: target sum {mm(point.target_sum_mm)} mm; {signed_pct(point.pct_from_baseline)} "
                    f"from baseline, {signed_pct(point.pct_from_nadir)} from nadir")  # fmt: skip
        if field == "stated_overall" and point.override_reason:
            return f"{reader} overrode the computed {point.computed_overall}: {point.override_reason}"
        where = f"{reader}, {point.visit or point.date.isoformat()}"
        if field == "non_target" and point.non_target == "NON-CR/NON-PD":
            return f"{where}: non-target response Non-CR/Non-PD (NN)"
        return where


# ---------------------------------------------------------------------------------------------- lesions
_KIND_ORDER = {"target": 0, "non-target": 1, "new": 2}
_STATUS_SHORT = {"absent": "gone", "too_small": "<5", "not_assessed": "NE", "unequivocal_progression": "PD",
                 "equivocal": "eq.", "present": "✓"}  # fmt: skip


def _lesion_value(row: LesionRow | None, day: date) -> tuple[float | None, str | None, bool]:
    """(size, status, assessed) of one lesion of one read at ``day``."""
    if row is None or day not in row.sizes:
        return None, None, False
    return row.sizes[day], row.statuses.get(day), True


def lesion_cell_text(size: float | None, status: str | None, assessed: bool) -> str:
    if not assessed:
        return DASH
    if size is not None:
        return mm(size)
    return _STATUS_SHORT.get(status or "", DASH)


def lesion_values_differ(a: tuple[float | None, str | None, bool], b: tuple[float | None, str | None, bool]) -> bool:
    """Presence, status, or a size difference of at least :data:`LESION_DIFF_MM`."""
    (size_a, status_a, _), (size_b, status_b, _) = a, b
    if (size_a is None) != (size_b is None) or (status_a or "") != (status_b or ""):
        return True
    return size_a is not None and size_b is not None and abs(size_a - size_b) >= LESION_DIFF_MM - 1e-9


class LesionComparisonModel(ReadOnlyTableModel):
    """Lesion sizes of the two reads: rows = visits (each reader's date of it), columns = lesions, cells
    "read 1 │ read 2".

    Signals: QAbstractItemModel's. GUI thread only.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.readers: list[str] = []
        self._lesions: list[str] = []
        self._by_reader: dict[str, dict[str, LesionRow]] = {}
        self._headers = ["Date"]

    def set_comparison(self, comparison: Comparison | None) -> None:
        self.beginResetModel()
        self.readers = list(comparison.readers[:2]) if comparison is not None else []
        sides = comparison.sides if comparison is not None else {}
        self._by_reader = {r: {row.lesion_id: row for row in sides[r].lesions} for r in self.readers if r in sides}
        kinds: dict[str, LesionRow] = {}
        for rows in self._by_reader.values():
            for lesion_id, row in rows.items():
                kinds.setdefault(lesion_id, row)
        self._lesions = sorted(kinds, key=lambda k: (_KIND_ORDER.get(kinds[k].kind, 3), k))
        # one row per visit: each reader's lesions at the date that reader read it (paired by visit, not date)
        visits = list(comparison.rows) if comparison is not None else []
        self._rows = [(v.date, v.dates) for v in visits if any(r in v.dates for r in self.readers)]
        baseline = {r: day for r in self.readers if r in sides and (day := sides[r].baseline_date) is not None}
        seen = {d for _, dates in self._rows for d in dates.values()}
        if baseline and not seen & set(baseline.values()):  # the baseline scan is no timepoint: its own first row
            self._rows.insert(0, (min(baseline.values()), baseline))
        self._headers = ["Date"] + [f"{k}\n{kinds[k].organ}" for k in self._lesions]
        self._header_tips = ["Assessment date"] + [
            f"{k}: {kinds[k].kind} lesion, {kinds[k].organ}{' (node: short axis)' if kinds[k].is_node else ''}"
            f" — read 1 │ read 2, mm"
            for k in self._lesions
        ]
        self.endResetModel()

    def values(self, row: int, column: int) -> list[tuple[float | None, str | None, bool]]:
        (_, dates), lesion = self._rows[row], self._lesions[column - 1]
        return [
            _lesion_value(self._by_reader.get(r, {}).get(lesion), dates[r]) if r in dates else (None, None, False)
            for r in self.readers
        ]

    def differs(self, row: int, column: int) -> bool:
        if column == 0:
            return False
        values = self.values(row, column)
        return len(values) == 2 and any(v[2] for v in values) and lesion_values_differ(values[0], values[1])

    def cell(self, row: int, column: int, role: int) -> Any:
        if column == 0:
            day, dates = self._rows[row]
            if role == DISPLAY:
                return day_text(day)
            if role == TOOLTIP:
                return "\n".join(f"{r}: read on {d.isoformat()}" for r, d in dates.items())
            return None
        if role == DIFF_ROLE:
            return self.differs(row, column)
        if role == DISPLAY:
            return " │ ".join(lesion_cell_text(*v) for v in self.values(row, column))
        if role == BACKGROUND and self.differs(row, column):
            return DIFF_BACKGROUND
        if role == ALIGN:
            return CENTRE
        if role == TOOLTIP:
            parts = []
            for reader, (size, status, assessed) in zip(self.readers, self.values(row, column), strict=True):
                text = "not assessed" if not assessed else f"{mm(size)} mm" if size is not None else "no size"
                parts.append(f"{reader}: {text}{f' ({status})' if status else ''}")
            return "\n".join(parts)
        return None

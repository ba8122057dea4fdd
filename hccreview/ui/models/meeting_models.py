"""Qt item models of meeting mode: the two reads in brief, and the impact preview table.

- :class:`ReadsSummaryModel`: one row per assessment date, one column per read: target sum and stated
  response ("93.8 mm · SD"), the rows the service flags as different highlighted.
- :class:`ImpactModel`: the "now → if read 1 → if read 2" table of issue 7 item 5 — ORR (n, %, exact CI), DCR,
  median PFS / OS (95% CI), the Child-Pugh subgroups' ORR and medians, and the patient's own outcome — built
  by :func:`impact_rows` from ``services.adjudication.current_figures`` / ``impact_preview`` output (no
  statistics here: the service computed every number). A choice's cell is highlighted where it differs
  from "now".
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtGui import QColor

from hccreview.services.adjudication import Comparison, ComparisonRow
from hccreview.ui.adjudication_style import (
    DASH,
    DIFF_BACKGROUND,
    MISSING_FOREGROUND,
    day_text,
    median_ci,
    median_text,
    mm,
    proportion_ci,
    proportion_text,
    response_text,
)
from hccreview.ui.models.adjudication_models import (
    ALIGN,
    BACKGROUND,
    CENTRE,
    DIFF_ROLE,
    FONT,
    FOREGROUND,
)
from hccreview.ui.models.table_model import DISPLAY, TOOLTIP, ReadOnlyTableModel

DAYS_PER_MONTH = 30.4375  # DESIGN §4 (months = days / 30.4375)
CHILD_PUGH = ("A", "B", "C")
NEW_MARK = "†"  # a new lesion was stated at this date (legend under the table)


# ---------------------------------------------------------------------------------------------- reads
class ReadsSummaryModel(ReadOnlyTableModel):
    """The two reads of one case per date, in brief. Signals: QAbstractItemModel's. GUI thread only."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.readers: list[str] = []
        self._headers = ["Date"]

    def set_comparison(self, comparison: Comparison | None) -> None:
        self.beginResetModel()
        self.readers = list(comparison.readers[:2]) if comparison is not None else []
        self._rows = list(comparison.rows) if comparison is not None else []
        self._headers = ["Date"] + [f"Read {n}" for n in range(1, len(self.readers) + 1)]
        self._header_tips = ["Assessment date"] + [f"{r}: target sum (mm) and stated response" for r in self.readers]
        self.endResetModel()

    def cell(self, row: int, column: int, role: int) -> Any:
        item: ComparisonRow = self._rows[row]
        differs = bool(item.differs)
        if role == DIFF_ROLE:
            return differs and column > 0
        if column == 0:
            if role == DISPLAY:
                return day_text(item.date)
            return item.visit or None if role == TOOLTIP else None
        point = item.sides.get(self.readers[column - 1])
        if role == DISPLAY:
            if point is None:
                return "not read"
            new = NEW_MARK if point.new_lesion else ""
            return f"{mm(point.target_sum_mm)}  {response_text(point.stated_overall)}{new}"
        if role == BACKGROUND and differs:
            return DIFF_BACKGROUND
        if role == FOREGROUND and point is None:
            return MISSING_FOREGROUND
        if role == ALIGN:
            return CENTRE
        if role == TOOLTIP and point is not None:
            return f"computed {response_text(point.computed_overall)}; differs: {', '.join(item.differs) or 'no'}"
        return None


# ---------------------------------------------------------------------------------------------- impact
@dataclass(frozen=True)
class ImpactRow:
    """One line of the impact table: a label, and per column (now, each choice) the text shown and the raw
    value it came from. A choice's cell is highlighted when its *text* differs from "now" (what the room sees
    change); the raw values are kept for checks."""

    label: str
    texts: list[str]
    raws: list[Any]
    secondary: bool = False  # a CI line under its figure


def _subject_pfs(fig: dict[str, Any]) -> str:
    subject = fig.get("subject") or {}
    if not subject or subject.get("bor") == "PENDING":
        return "pending"
    days = subject.get("pfs_days")
    if days is None:
        return DASH
    return f"{days / DAYS_PER_MONTH:.1f}{'' if subject.get('pfs_event') else '+'} mo"


def _months(block: dict[str, Any]) -> str:
    return median_text(block).removesuffix(" mo")


def _cp(cls: str, key: str) -> Callable[[dict[str, Any]], Any]:
    return lambda fig: fig["child_pugh"][cls][key]


_SPEC: tuple[tuple[str, Callable[[dict[str, Any]], Any], Callable[[Any], str], bool], ...] = (
    ("Patient: BOR", lambda f: f.get("subject"), lambda s: response_text((s or {}).get("bor")), False),
    ("Patient: PFS", lambda f: f.get("subject"), lambda s: _subject_pfs({"subject": s}), False),
    ("ORR", lambda f: f["orr"], proportion_text, False),
    ("   95% CI", lambda f: f["orr"], proportion_ci, True),
    ("DCR", lambda f: f["dcr"], proportion_text, False),
    ("PFS median", lambda f: f["pfs"], median_text, False),
    ("   95% CI", lambda f: f["pfs"], median_ci, True),
    ("OS median", lambda f: f["os"], median_text, False),
    ("   95% CI", lambda f: f["os"], median_ci, True),
)


def impact_rows(now: dict[str, Any], previews: dict[str, dict[str, Any]], choices: Sequence[str]) -> list[ImpactRow]:
    """The rows of the impact table: column 0 is "now", then one column per choice (a reader name)."""
    figures = [now] + [previews[c] for c in choices]
    rows = [ImpactRow(label, [fmt(get(f)) for f in figures], [get(f) for f in figures], secondary)
            for label, get, fmt, secondary in _SPEC]  # fmt: skip
    for cls in CHILD_PUGH:
        orr, pfs, os_ = _cp(cls, "orr"), _cp(cls, "pfs"), _cp(cls, "os")
        rows.append(ImpactRow(f"CP-{cls} ORR", [proportion_text(orr(f)) for f in figures], [orr(f) for f in figures]))
        medians = [f"{_months(pfs(f))} / {_months(os_(f))}" for f in figures]
        rows.append(ImpactRow("   PFS / OS (mo)", medians, [(pfs(f), os_(f)) for f in figures], True))
    pending = [str(f["pending"]) for f in figures]
    rows.append(ImpactRow("Pending", pending, [f["pending"] for f in figures]))
    return rows


class ImpactModel(ReadOnlyTableModel):
    """The impact preview: rows of :func:`impact_rows`; columns "Figure", "Now", then "If read N (reader)".

    Signals: QAbstractItemModel's. GUI thread only.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.choices: list[str] = []
        self._headers = ["Figure", "Now"]

    def set_figures(
        self, now: dict[str, Any] | None, previews: dict[str, dict[str, Any]] | None, choices: Sequence[str]
    ) -> None:
        self.beginResetModel()
        self.choices = list(choices) if now is not None and previews is not None else []
        self._rows = impact_rows(now, previews or {}, self.choices) if now is not None else []
        self._headers = ["Figure", "Now"] + [f"If read {n}" for n in range(1, len(self.choices) + 1)]
        self._header_tips = ["CP: Child-Pugh class; medians in months (95% CI: lifelines' log-log interval)",
                             "The cohort figures as they stand (adjudicated source)"] + [
            f"The figures if read {n} ({c}) stands (impact preview; nothing is written)"
            for n, c in enumerate(self.choices, start=1)
        ]  # fmt: skip
        self.endResetModel()

    def row_at(self, row: int) -> ImpactRow:
        return self._rows[row]

    def column_texts(self, column: int) -> list[str]:
        """The texts of one column (1 = now, 2.. = the choices) — what the room sees."""
        return [r.texts[column - 1] for r in self._rows]

    def differs(self, row: int, column: int) -> bool:
        item: ImpactRow = self._rows[row]
        return column >= 2 and item.texts[column - 1] != item.texts[0]

    def cell(self, row: int, column: int, role: int) -> Any:
        item: ImpactRow = self._rows[row]
        if role == DIFF_ROLE:
            return self.differs(row, column)
        if role == DISPLAY:
            return item.label if column == 0 else item.texts[column - 1]
        if role == BACKGROUND and self.differs(row, column):
            return DIFF_BACKGROUND
        if role == FONT and column == 0 and not item.secondary:
            return self.bold_font()
        if role == FOREGROUND and item.secondary and not self.differs(row, column):
            return QColor(110, 110, 110)
        if role == ALIGN and column > 0:
            return CENTRE
        return None

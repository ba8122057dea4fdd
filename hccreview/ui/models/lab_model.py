"""The case view's Labs tab model: one row per laboratory test, one column per date (``services.case_labs``).

Each cell is the value in the unit of the CTCAE v5.0 criteria (converted), its reference-range flag (L / H) and its
grade ("0.41 L G3"); grade >= 3 cells carry the grade colour and bold type. The tooltip gives the value as recorded,
its range and the rule that graded it (or why it was not graded). Read-only source data.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from PySide6.QtCore import QObject, Qt

from hccreview.domain.ctcae_labs import GradedLab
from hccreview.report.figures import GRADE_COLOURS
from hccreview.services.case_labs import SEVERE_GRADE, CaseLabs, LabTestSeries
from hccreview.ui.models.case_models import ALIGN, BACKGROUND, CENTRE, FOREGROUND, GRADE_MEANING, chip
from hccreview.ui.models.table_model import DISPLAY, TOOLTIP, ReadOnlyTableModel

FONT = Qt.ItemDataRole.FontRole
FIXED = ("Test", "CTCAE v5.0 term", "Unit", "Range", "Worst")
FIXED_TIPS = (
    "SDTM test code (LBTESTCD)",
    "The CTCAE v5.0 term the test is graded under, with its direction (↓ decreased, ↑ increased)",
    "The unit of the CTCAE v5.0 criteria the values are shown in (converted from the recorded unit)",
    "Reference range (LLN–ULN) in the unit shown",
    "Worst CTCAE v5.0 grade of any value of the test",
)


def number(x: float | None) -> str:
    """A laboratory value in at most 4 significant digits ("—" when missing)."""
    return "—" if x is None else f"{x:.4g}"


def cell_text(v: GradedLab) -> str:
    """A value as the grid shows it: converted value, range flag (L / H) and grade when >= 1 ("0.41 L G3")."""
    parts = [number(v.converted)]
    if v.flag in ("L", "H"):
        parts.append(v.flag)
    if v.grade:
        parts.append(f"G{v.grade}")
    return " ".join(parts)


def cell_tip(v: GradedLab) -> str:
    """What the tooltip and the detail line say of one value: as recorded, converted, range, flag, grade rule."""
    when = v.date.isoformat() if v.date else "no date"
    recorded = f"{number(v.value)} {v.unit}".strip()
    shown = f"{number(v.converted)} {v.converted_unit}".strip()
    text = f"{v.test} {when}: {shown}" + (f" (recorded {recorded})" if shown != recorded else "")
    if v.lln is not None or v.uln is not None:
        text += f"; range {number(v.converted_lln)}–{number(v.converted_uln)}"
    flag = {"L": "below the range", "H": "above the range", "N": "in range"}.get(v.flag, "no complete range")
    text += f"; {flag}"
    if v.baseline:
        text += "; baseline value"
    if v.grade is None:
        return f"{text}. {v.rule[:1].upper()}{v.rule[1:]}."
    meaning = GRADE_MEANING.get(v.grade, "not abnormal by the criteria") if v.grade else "not abnormal by the criteria"
    return f"{text}. {v.rule} — grade {v.grade} ({meaning})."


class LabGridModel(ReadOnlyTableModel):
    """Tests × dates of one patient's graded laboratory values (rows: :class:`LabTestSeries`).

    Signals: none of its own (a model reset on :meth:`set_labs`). GUI thread only."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._dates: list[date] = []
        self._cells: list[dict[date, list[GradedLab]]] = []

    def set_labs(self, labs: CaseLabs | None, *, graded_only: bool = False) -> None:
        """Show ``labs`` (None: nothing); ``graded_only``: only the tests with a CTCAE v5.0 criterion."""
        series = [] if labs is None else [s for s in labs.tests if s.graded or not graded_only]
        self.beginResetModel()
        self._rows = series
        self._dates = sorted({v.date for s in series for v in s.values if v.date is not None})
        self._cells = []
        for s in series:
            by_day: dict[date, list[GradedLab]] = {}
            for v in s.values:
                if v.date is not None:
                    by_day.setdefault(v.date, []).append(v)
            self._cells.append(by_day)
        first = labs.first_dose if labs is not None else None
        self._headers = [*FIXED, *(d.isoformat() for d in self._dates)]
        self._header_tips = [*FIXED_TIPS, *(self._date_tip(d, first) for d in self._dates)]
        self.endResetModel()

    @staticmethod
    def _date_tip(day: date, first: date | None) -> str:
        if first is None:
            return "Date of the sample (no first dose recorded)"
        return f"Day {(day - first).days} from the first dose ({first.isoformat()})"

    @property
    def dates(self) -> list[date]:
        return list(self._dates)

    def values_at(self, row: int, column: int) -> list[GradedLab]:
        """The values of a date cell (empty for the fixed columns or no sample that day)."""
        if column < len(FIXED) or not 0 <= row < len(self._rows):
            return []
        return self._cells[row].get(self._dates[column - len(FIXED)], [])

    def cell(self, row: int, column: int, role: int) -> Any:
        s: LabTestSeries = self._rows[row]
        if column < len(FIXED):
            return self._fixed(s, column, role)
        values = self.values_at(row, column)
        if not values:
            return None
        worst = max((v.grade for v in values if v.grade is not None), default=None)
        if role == DISPLAY:
            return " / ".join(cell_text(v) for v in values)
        if role == TOOLTIP:
            return "\n".join(cell_tip(v) for v in values)
        if role == ALIGN:
            return CENTRE
        if worst is not None and worst >= SEVERE_GRADE:
            if role in (BACKGROUND, FOREGROUND):
                return chip(GRADE_COLOURS[worst], role)
            if role == FONT:
                return self.bold_font()
        return None

    def _fixed(self, s: LabTestSeries, column: int, role: int) -> Any:
        first = s.values[0]
        if role == DISPLAY:
            arrow = ""
            if s.graded:
                directions = {v.direction for v in s.values if v.direction}
                arrow = " (↓↑)" if len(directions) > 1 or " / " in s.terms else (
                    " (↑)" if directions == {"increased"} else " (↓)")  # fmt: skip
            ranges = [(v.converted_lln, v.converted_uln) for v in s.values if v.grade is not None] or [
                (first.converted_lln, first.converted_uln)]  # fmt: skip
            lo, hi = max(set(ranges), key=ranges.count)  # the usual range (a tooltip gives each value's)
            worst = s.worst
            texts = (s.test, f"{s.terms}{arrow}" if s.graded else "— (no CTCAE criterion here)", s.unit,
                     "" if lo is None and hi is None else f"{number(lo)}–{number(hi)}",
                     "—" if worst is None else f"G{worst}")  # fmt: skip
            return texts[column]
        if column == 4 and s.worst is not None and s.worst >= SEVERE_GRADE:
            if role in (BACKGROUND, FOREGROUND):
                return chip(GRADE_COLOURS[s.worst], role)
            if role == FONT:
                return self.bold_font()
        if role == TOOLTIP and column == 2:
            recorded = sorted({v.unit for v in s.values if v.unit})
            return f"Shown in {s.unit or 'the recorded unit'}; recorded in {', '.join(recorded) or 'no unit'}"
        if role == TOOLTIP and column == 1 and not s.graded:
            return first.rule[:1].upper() + first.rule[1:]
        if role == ALIGN and column == 4:
            return CENTRE
        return None

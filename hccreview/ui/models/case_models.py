"""Table models of the patient case view: cycles, adverse events, findings, audit trail (and the tumour grid).

Thin adapters over the records in :class:`hccreview.services.case_extra.CaseDetail`: they never call a
service. An editable cell (the tumour grid's; every table here is read-only) does not write: ``setData`` emits
``edit_requested`` with an :class:`EditRequest` and the panel turns it into an undo command; the model shows the
new value after the reload that follows.
Filling a model is a reset (``beginResetModel`` / ``endResetModel``): stepping patients rebuilds no widget.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor

from hccreview.domain.ctcae import canonical_soc, meddra_case
from hccreview.domain.record_kinds import RECORD_KINDS
from hccreview.domain.records import AdverseEvent, Cycle
from hccreview.report.figures import GRADE_COLOURS, readable_text
from hccreview.ui.models.table_model import RecordTableModel
from hccreview.ui.wording import field_label, words

Index = QModelIndex | QPersistentModelIndex
DISPLAY, EDIT, TOOLTIP = Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole, Qt.ItemDataRole.ToolTipRole
BACKGROUND, FOREGROUND = Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole
ALIGN = Qt.ItemDataRole.TextAlignmentRole
RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
CENTRE = int(Qt.AlignmentFlag.AlignCenter)
GRADE_MEANING = {1: "mild", 2: "moderate", 3: "severe or medically significant", 4: "life-threatening",
                 5: "death related to the AE"}  # fmt: skip


@dataclass(frozen=True)
class EditRequest:
    """A user's edit of one cell, for the panel to turn into an undo command.

    ``kind``: "measurement" or "read"; ``key``: the row id; ``field``: the column in the
    store; ``value``: what the user typed (validated by the service, not here); ``old``: the value shown;
    ``label`` / ``when``: what the edit is about (lesion id / reader, assessment date).
    """

    kind: str
    key: int
    field: str
    value: Any
    old: Any
    label: str
    when: date | None = None
    subject_id: str = ""
    old_status: str | None = None


def chip(colour: str, role: int) -> QColor:
    """Background or readable foreground of a colour chip."""
    return QColor(colour if role == BACKGROUND else readable_text(colour))


def number(value: float | None, digits: int = 1) -> str:
    """A measurement as shown: no trailing ``.0``; blank for None."""
    if value is None:
        return ""
    text = f"{value:.{digits}f}".rstrip("0").rstrip(".")
    return text or "0"


class CyclesModel(RecordTableModel):
    """Treatment cycles (read-only): number, start, dose, days dosed, delay, reduction and reason."""

    columns = ("Cycle", "Start date", "Dose (mg)", "Days dosed", "Delay (days)", "Reduced", "Reason")

    def record_cell(self, c: Cycle, column: int, role: int) -> Any:
        if role == DISPLAY:
            values = (
                str(c.number), c.start_date.isoformat(), number(c.dose_mg), "" if c.days_dosed is None
                else str(c.days_dosed), str(c.delay_days) if c.delay_days else "", "yes" if c.reduced else "",
                c.reason,
            )  # fmt: skip
            return values[column]
        if role == ALIGN and column in (0, 2, 3, 4):
            return RIGHT
        if role == TOOLTIP and column == 3 and c.days_dosed is None:
            return "Days dosed not recorded: counted as the planned days in the dose intensity"
        return None


class AdverseEventsModel(RecordTableModel):
    """Adverse events of one patient (read-only: imported source data, DESIGN §4b; a disagreement is a query).

    Rows are ``(ae_id, AdverseEvent)``. Signals: none of its own. The grade cell is a colour chip (G1 green … G5
    black).
    """

    columns = ("Term", "SOC", "Grade", "Onset", "Resolution", "Attribution", "Serious", "Action", "Outcome")
    GRADE, ATTRIBUTION = 2, 5

    def record_cell(self, row: tuple[int, AdverseEvent], column: int, role: int) -> Any:
        _, ae = row
        if role == DISPLAY:
            if column == self.GRADE:
                return f"G{ae.grade}" if ae.grade else (ae.severity.lower() or "—")
            values = (  # terms and SOCs in MedDRA case whatever the delivery's (issue 23); the tooltip: as given
                meddra_case(ae.term), canonical_soc(ae.soc), "", ae.onset.isoformat() if ae.onset else "",
                ae.resolution.isoformat() if ae.resolution else "ongoing" if ae.onset else "", ae.attribution,
                "yes" if ae.serious else "no", ae.action, ae.outcome,
            )  # fmt: skip
            return values[column]
        if column == self.GRADE and ae.grade in GRADE_COLOURS and role in (BACKGROUND, FOREGROUND):
            return chip(GRADE_COLOURS[ae.grade], role)
        if role == ALIGN and column == self.GRADE:
            return CENTRE
        if role == TOOLTIP:
            if column == self.GRADE and ae.grade is None and ae.severity:
                return f"Severity {ae.severity.lower()} (the data carry no CTCAE grade). Source data: query it."
            if column == self.GRADE:
                meaning = GRADE_MEANING.get(ae.grade or 0, "not graded")
                return f"CTCAE v5.0 grade {ae.grade or '—'}: {meaning}. Source data: dispute it with a query."
            if column == self.ATTRIBUTION:
                return "Relation to the study drug (attributable = possible or stronger). Source data: read-only."
            if column in (0, 1):
                return f"{ae.term} — {ae.soc} (as delivered)" if ae.soc else f"{ae.term} (as delivered)"
        return None


class FindingsModel(RecordTableModel):
    """Rules-engine selection findings and import findings of one patient (read-only).

    Rows are ``(source, where, finding, severity)`` tuples of text.
    """

    columns = ("Source", "Lesion / field", "Finding", "Severity")

    def record_cell(self, row: tuple[str, str, str, str], column: int, role: int) -> Any:
        if role == DISPLAY:
            return row[column]
        if role == TOOLTIP and column == 2:
            return row[2]
        return None


#: What an audited row is called (the record kinds' labels, and the review marks).
_TABLE_NAMES = {**{k.table: k.label for k in RECORD_KINDS}, "review_status": "review state"}


def _brief(text: str | None) -> str:
    """An audited value as one short line (whole created / deleted rows by their identifying fields)."""
    if text is None:
        return "—"
    try:
        value = json.loads(text)
    except ValueError:
        return text
    if isinstance(value, dict):
        keys = ("lesion_id", "term", "reader", "date", "number", "visit", "state")
        picked = [str(value[k]) for k in keys if value.get(k) not in (None, "")]
        return "row " + " ".join(picked[:3]) if picked else "row"
    return "—" if value is None else number(value, 2) if isinstance(value, float) else str(value)


class AuditModel(RecordTableModel):
    """The per-patient audit trail, newest first (read-only). Rows are audit-log dicts.

    ``labels`` maps ``(table, row_key)`` to a readable name of the record ("T01 2024-03-04").
    """

    columns = ("Time (UTC)", "User", "Action", "Record", "Field", "Old → new", "Reason")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._labels: dict[tuple[str, str], str] = {}

    def set_entries(self, entries: Sequence[dict[str, Any]], labels: dict[tuple[str, str], str]) -> None:
        """Replace the content: ``entries`` oldest first (as the service returns them)."""
        self._labels = dict(labels)
        self.set_rows(list(reversed(entries)))

    def record_cell(self, e: dict[str, Any], column: int, role: int) -> Any:
        if role == DISPLAY:
            table, key = e.get("table_name", ""), str(e.get("row_key", ""))
            record = f"{_TABLE_NAMES.get(table, words(table))} {self._labels.get((table, key), '#' + key)}"
            field = e.get("field") or ""
            values = (
                str(e.get("at_utc", ""))[:19].replace("T", " "), e.get("username", ""), e.get("action", ""),
                record, field_label(field) if field else "",
                f"{_brief(e.get('old_value'))} → {_brief(e.get('new_value'))}",
                e.get("reason") or "",
            )  # fmt: skip
            return values[column]
        if role == TOOLTIP and column == 5:
            return f"old: {e.get('old_value')}\nnew: {e.get('new_value')}"
        return None

"""The lesion × timepoint grid of one reader: diameters, target sums, computed vs stated responses.

Rows: target, non-target and new lesions (each group under a header row), then the summary rows (target
sum, % change from baseline and from the nadir, target / non-target / new-lesion responses, the timepoint
response computed by the rules engine, the reader's stated response). Columns: the assessment dates,
baseline first. Every figure comes from :class:`~hccreview.services.case_extra.CaseDetail`; nothing is
computed here. A stated response that differs from the computed one is a red chip with the reason.
Diameters and stated responses are editable by request (``edit_requested``), as in ``case_models`` — only when
the grid is filled with ``editable=True`` (the signed-in user's own rows of a case that is not locked: DESIGN §4b;
the write gate refuses anything else in any case, but editing is not offered where it cannot succeed).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QFont, QGuiApplication, QPalette

from hccreview.domain import calipers
from hccreview.domain.recist import TimepointResult, normalise_response
from hccreview.domain.records import Lesion, LesionKind, LesionStatus, Measurement, Read
from hccreview.report.figures import RESPONSE_COLOURS, response_colour
from hccreview.services.case_extra import CaseDetail
from hccreview.ui.models.case_models import (
    ALIGN,
    BACKGROUND,
    CENTRE,
    DISPLAY,
    EDIT,
    FOREGROUND,
    RIGHT,
    TOOLTIP,
    EditRequest,
    Index,
    chip,
    number,
)

FONT = Qt.ItemDataRole.FontRole
_GROUPS = ((LesionKind.TARGET, "Target lesions"), (LesionKind.NON_TARGET, "Non-target lesions"),
           (LesionKind.NEW, "New lesions"))  # fmt: skip
_STATUS_TEXT = {LesionStatus.ABSENT: "gone", LesionStatus.TOO_SMALL: "too small", LesionStatus.NOT_ASSESSED: "NE",
                LesionStatus.UNEQUIVOCAL_PROGRESSION: "PD", LesionStatus.EQUIVOCAL: "equivocal"}  # fmt: skip
_FIELD_TEXT = {"diameter_mm": "longest diameter", "short_axis_mm": "short axis", "viable_mm": "viable diameter"}
MISMATCH = "#c62828"
#: Narrow-column spellings of response codes (issue 19: the grid shows six timepoints and more at 1366 px).
COMPACT_RESPONSES = {"NON-CR/NON-PD": "NN"}
VISIT_CHARS = 9
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
SUMMARY = ("sum", "pct_base", "pct_nadir", "target", "non_target", "new", "computed", "stated")


@dataclass(frozen=True)
class GridRow:
    """One grid row: a group header, a lesion, or a summary line (``key`` names it stably)."""

    kind: str  # "group" | "lesion" | "summary"
    key: str
    label: str
    lesion: Lesion | None = None


class TumourGridModel(QAbstractTableModel):
    """Lesion × timepoint grid of one reader of one patient.

    Signals: ``edit_requested(EditRequest)`` — emitted from ``setData`` (GUI thread) for a diameter
    ("measurement") or a stated response ("read"); the model itself writes nothing.
    """

    edit_requested = Signal(object)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[GridRow] = []
        self._dates: list[date] = []
        self._detail: CaseDetail | None = None
        self._reader = ""
        self._cells: dict[tuple[str, date], tuple[int, Measurement]] = {}
        self._results: dict[date, TimepointResult] = {}
        self._reads: dict[date, tuple[int, Read]] = {}
        self._counted: dict[str, str] = {}
        self._baseline: date | None = None
        self._editable = False

    # ------------------------------------------------------------------ filling
    def set_reader(self, detail: CaseDetail | None, reader: str, *, editable: bool = False) -> None:
        """Show ``reader``'s lesions of ``detail`` (None: empty grid); ``editable``: the user may change these
        rows (their own, not locked). A model reset."""
        self.beginResetModel()
        self._detail, self._reader, self._editable = detail, reader, editable
        case = detail.case if detail else None
        lesions = case.lesions.get(reader, []) if case else []
        ms = case.measurements.get(reader, []) if case else []
        reads = case.reads.get(reader, []) if case else []
        self._cells = {(m.lesion_id, m.date): (mid, m) for mid, m in ms}
        self._results = {tp.date: tp for tp in case.computed.get(reader, [])} if case else {}
        self._reads = {r.date: (rid, r) for rid, r in reads}
        figures = detail.readers.get(reader) if detail else None
        self._counted = figures.counted if figures else {}
        self._baseline = figures.baseline_date if figures else None
        self._dates = sorted({m.date for _, m in ms} | set(self._reads))
        rows: list[GridRow] = []
        for kind, title in _GROUPS:
            group = sorted((x for x in lesions if x.kind is kind), key=lambda x: x.lesion_id)
            if group:
                rows.append(GridRow("group", f"group:{kind.value}", title))
                rows += [GridRow("lesion", f"lesion:{x.lesion_id}", _lesion_label(x), x) for x in group]
        if lesions:
            rows.append(GridRow("group", "group:summary", "Response"))
            rows += [GridRow("summary", key, _summary_label(key, reader)) for key in SUMMARY[:-1]]
        if reads:
            rows.append(GridRow("summary", "stated", _summary_label("stated", reader)))
        self._rows = rows
        self.endResetModel()

    @property
    def dates(self) -> list[date]:
        return list(self._dates)

    def row_key(self, row: int) -> str:
        return self._rows[row].key

    def find_row(self, key: str) -> int:
        return next((i for i, r in enumerate(self._rows) if r.key == key), -1)

    # ------------------------------------------------------------------ shape
    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's default argument
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._dates)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = DISPLAY) -> Any:
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self._dates):
            day = self._dates[section]
            if role == DISPLAY:  # compact (issue 19): six timepoints and more beside the lesions on a small screen
                return f"{self._short_date(section)}\n{short_visit(self._visit(day))}"
            if role == TOOLTIP:
                return self._date_tooltip(day)
        if orientation == Qt.Orientation.Vertical and 0 <= section < len(self._rows):
            row = self._rows[section]
            if role == DISPLAY:
                return row.label
            if role == FONT and row.kind != "lesion":
                font = QFont()
                font.setBold(True)
                return font
            if role == TOOLTIP and row.lesion is None:  # the row header may be elided: its whole title
                return row.label
            if role == TOOLTIP and row.lesion is not None:
                x = row.lesion
                counted = _FIELD_TEXT[self._counted.get(x.lesion_id, "diameter_mm")]
                return f"{x.lesion_id}: {x.kind.value}, {x.organ or 'organ not given'} {x.site} — counts its {counted}"
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        row, day = self._rows[index.row()], self._dates[index.column()]
        if row.kind == "group":
            return Qt.ItemFlag.ItemIsEnabled
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        editable = self._editable and (
            (row.lesion is not None and (row.lesion.lesion_id, day) in self._cells)
            or (row.key == "stated" and day in self._reads)
        )
        return base | Qt.ItemFlag.ItemIsEditable if editable else base

    # ------------------------------------------------------------------ content
    def data(self, index: Index, role: int = DISPLAY) -> Any:
        if not index.isValid() or index.row() >= len(self._rows) or index.column() >= len(self._dates):
            return None
        row, day = self._rows[index.row()], self._dates[index.column()]
        if row.lesion is not None:  # a lesion row (the only kind that carries one)
            return self._lesion_cell(row.lesion, day, role)
        if row.kind == "summary":
            return self._summary_cell(row.key, day, role)
        if role == BACKGROUND:  # a group header row: the palette's alternate base, like a section band
            return QGuiApplication.palette().color(QPalette.ColorRole.AlternateBase)
        return None

    def _lesion_cell(self, lesion: Lesion, day: date, role: int) -> Any:
        found = self._cells.get((lesion.lesion_id, day))
        if found is None:
            return "–" if role == DISPLAY else CENTRE if role == ALIGN else None
        _, m = found
        field = self._counted.get(lesion.lesion_id, "diameter_mm")
        value = getattr(m, field)
        if field == "viable_mm" and value is None:
            value = m.diameter_mm
        if role == DISPLAY:
            status = _STATUS_TEXT.get(m.status)
            if status and m.status in (LesionStatus.ABSENT, LesionStatus.TOO_SMALL):
                return f"{status} ({0 if m.status is LesionStatus.ABSENT else 5})"
            if status:
                return status
            if field == "short_axis_mm":  # a node: "SA" short axis, "LA" long axis when it has none (§4.3.1)
                tag, value = ("SA", value) if value is not None else ("LA", m.diameter_mm)
                return f"{tag} {number(value)}" if value is not None else "present"
            return number(value) if value is not None else "present"
        if role == EDIT:
            return number(value) if value is not None else m.status.value
        if role == ALIGN:
            return RIGHT
        if role == TOOLTIP:
            parts = [
                f"{lesion.lesion_id} on {day.isoformat()} ({m.visit or 'no visit name'})",
                f"status: {m.status.value}",
            ]
            derived = calipers.image_derived(m)  # issue 21: a value is measured on the image or it is not
            for name, text in _FIELD_TEXT.items():
                if getattr(m, name) is not None:
                    where = " — measured on the image" if derived.get(name) else " — not image-derived"
                    parts.append(f"{text}: {number(getattr(m, name))} mm" + (" (counts)" if name == field else "")
                                 + where)  # fmt: skip
            if field == "short_axis_mm" and value is None and m.diameter_mm is not None:
                parts.append("no short axis: the longest diameter counts (LA)")
            if m.method:
                parts.append(f"method: {m.method}")
            return "\n".join([*parts, "F2 or double-click to edit (mm)"] if self._editable else parts)
        return None

    def _summary_cell(self, key: str, day: date, role: int) -> Any:
        is_base = day == self._baseline
        tp = self._results.get(day)
        if key == "stated":
            return self._stated_cell(day, tp, role)
        if role == ALIGN:
            return RIGHT if key in ("sum", "pct_base", "pct_nadir") else CENTRE
        figures = self._detail.readers.get(self._reader) if self._detail else None
        if is_base:
            if role == DISPLAY and key == "sum" and figures and figures.baseline_sum_mm is not None:
                return number(figures.baseline_sum_mm)
            if role == DISPLAY and key == "computed":
                return "baseline"
            return None
        if tp is None:
            return None
        if role == DISPLAY:
            return compact_response(_summary_text(key, tp))
        if key == "computed" and role in (BACKGROUND, FOREGROUND):
            return chip(response_colour(tp.overall), role)
        if role == TOOLTIP and key in ("computed", "target", "sum", "pct_base", "pct_nadir"):
            return f"Rules engine: {tp.rule}"
        if role == TOOLTIP and key == "non_target" and tp.non_target is not None:
            return f"Non-target response: {tp.non_target.value}"
        if role == FONT and key == "computed":
            font = QFont()
            font.setBold(True)
            return font
        return None

    def _stated_cell(self, day: date, tp: TimepointResult | None, role: int) -> Any:
        found = self._reads.get(day)
        if found is None:
            return None
        _, read = found
        stated = read.overall or ""
        mismatch = tp is not None and normalise_response(stated) != tp.overall
        if role in (DISPLAY, EDIT):
            return stated if role == EDIT else (compact_response(stated) or "—")
        if role == ALIGN:
            return CENTRE
        if role in (BACKGROUND, FOREGROUND) and (mismatch or stated.upper() in RESPONSE_COLOURS):
            return chip(MISMATCH if mismatch else response_colour(stated), role)
        if role == TOOLTIP:
            head = f"Stated by {read.reader} ({read.role.value}) for {day.isoformat()}: {stated or 'nothing'}"
            edit = "\nF2 or double-click to edit." if self._editable else ""
            if mismatch and tp is not None:
                return f"{head}\nMISMATCH: the rules engine gives {tp.overall.value} — {tp.rule}{edit}"
            return head + edit
        return None

    def setData(self, index: Index, value: Any, role: int = EDIT) -> bool:
        if role != EDIT or not (self.flags(index) & Qt.ItemFlag.ItemIsEditable):
            return False
        row, day = self._rows[index.row()], self._dates[index.column()]
        subject = self._detail.subject_id if self._detail else ""
        if row.key == "stated":
            rid, read = self._reads[day]
            if str(value).strip().upper() == read.overall.upper():
                return False
            request = EditRequest("read", rid, "overall", value, read.overall, read.reader, day, subject)
        else:
            assert row.lesion is not None
            mid, m = self._cells[(row.lesion.lesion_id, day)]
            field = self._counted.get(row.lesion.lesion_id, "diameter_mm")
            old = getattr(m, field)
            if str(value).strip() == (number(old) if old is not None else m.status.value):
                return False
            request = EditRequest(
                "measurement", mid, field, value, old, row.lesion.lesion_id, day, subject, m.status.value
            )
        self.edit_requested.emit(request)
        return True

    # ------------------------------------------------------------------ helpers
    def _visit(self, day: date) -> str:
        if day == self._baseline:
            return "Baseline"
        tp = self._results.get(day)
        read = self._reads.get(day)
        return (tp.visit if tp and tp.visit else "") or (read[1].visit if read else "")

    def _short_date(self, section: int) -> str:
        """The date as "12 Nov"; with the year ("15 Sep 08") on the first column and where the year changes."""
        day = self._dates[section]
        with_year = section == 0 or self._dates[section - 1].year != day.year
        return f"{day.day:02d} {_MONTHS[day.month - 1]}" + (f" {day:%y}" if with_year else "")

    def _date_tooltip(self, day: date) -> str:
        figures = self._detail.readers.get(self._reader) if self._detail else None
        notes = [f"Assessment {day.isoformat()} · {self._visit(day) or 'no visit name'}"]
        for best, what in ((figures.best_computed, "computed"), (figures.best_stated, "stated")) if figures else ():
            if best is not None and day == best.response_date:
                notes.append(f"first response of the confirmed {best.confirmed.value} ({what})")
            if best is not None and day == best.confirmation_date:
                notes.append(f"confirms the {best.confirmed.value} ({what})")
        return "\n".join(notes)


def short_visit(visit: str) -> str:
    """A visit name for a narrow column header: "WEEK 8" → "W8", "UNSCHEDULED 2.1" → "UNS 2.1", at most
    :data:`VISIT_CHARS` characters (the header's tooltip names it in full)."""
    text = re.sub(r"\bWEEK\s*", "W", visit, flags=re.IGNORECASE)
    text = re.sub(r"\bUNSCHEDULED\b", "UNS", text, flags=re.IGNORECASE)
    text = re.sub(r"\bCYCLE\s*(\d+)\s*DAY\s*(\d+)", r"C\1D\2", text, flags=re.IGNORECASE)
    return text if len(text) <= VISIT_CHARS else text[: VISIT_CHARS - 1] + "…"


def compact_response(code: str) -> str:
    """A response code for a narrow cell: "NON-CR/NON-PD" as "NN" (the tooltip says it in full), others as is."""
    return COMPACT_RESPONSES.get(code.strip().upper(), code) if code else code


def _lesion_label(x: Lesion) -> str:
    where = " · ".join(p for p in (x.organ.title() if x.organ.isupper() else x.organ, x.site) if p)
    node = " · node" if x.is_node else ""
    return f"{x.lesion_id}  {where}{node}".rstrip()


def _summary_label(key: str, reader: str) -> str:
    return {
        "sum": "Sum of targets (mm)", "pct_base": "% from baseline", "pct_nadir": "% from nadir",
        "target": "Target response", "non_target": "Non-target response", "new": "New lesion",
        "computed": "Timepoint response (rules)", "stated": f"Stated by {reader}",
    }[key]  # fmt: skip


def _pct(value: float | None) -> str:
    return "" if value is None else f"{value:+.1f} %".replace("-", "−")


def _summary_text(key: str, tp: TimepointResult) -> str:
    if key == "sum":
        return number(tp.target_sum_mm)
    if key == "pct_base":
        return _pct(tp.pct_from_baseline)
    if key == "pct_nadir":
        return _pct(tp.pct_from_nadir)
    if key == "target":
        return tp.target.value if tp.target else "—"
    if key == "non_target":
        return tp.non_target.value if tp.non_target else "—"
    if key == "new":
        return "yes" if tp.new_lesion else "no"
    return tp.overall.value

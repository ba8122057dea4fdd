"""The case view's cycles tab: the treatment as given, and the dose delivered (``domain.dosing``).

One row per cycle (start date, dose, days dosed, delay, reduction and reason) and a summary line with the
relative dose intensity, relative total dose, reductions and delays from :class:`DoseSummary`. The planned
regimen is the patient's arm's, as the study's treatment records give it (``domain.dosing.planned_regimens``:
"Placebo 0 mg QD" in an SDTM study, "25 mg on days 1–21 of every 28-day cycle" in the demo), never a default.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QWidget

from hccreview.domain.dosing import DoseSummary
from hccreview.services.case_extra import CaseDetail
from hccreview.ui.models.case_models import CyclesModel
from hccreview.ui.views.read_only_table import TableTab


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f} %"


def dose_summary_text(d: DoseSummary) -> str:
    """One line: cycles, dose delivered against planned, intensity, reductions, delays, current dose."""
    if not d.cycles_received:
        recorded = len(d.dose_levels)
        if recorded:  # the table lists them: say what they are rather than "none" above a full table
            return f"None of the {recorded} cycles recorded was received (each held: 0 mg or no day dosed)."
        return "No cycle received."
    if d.planned_dose_mg == 0:  # placebo: nothing to deliver, no intensity
        delays = f"{d.delays} delay{'s' if d.delays != 1 else ''} ({d.delay_days} days)"
        return f"<b>{d.cycles_received}</b> cycles received · 0 mg planned: no dose intensity · {delays}"
    current = f"{d.current_dose_mg:g} mg" if d.current_dose_mg is not None else "—"
    if d.current_dose_level:
        current += f" (level −{d.current_dose_level})"
    parts = [
        f"<b>{d.cycles_received}</b> cycles received",
        f"total {d.total_dose_mg:,.0f} mg of {d.planned_total_mg:,.0f} mg planned ({_pct(d.relative_total_dose)})",
        f"relative dose intensity <b>{_pct(d.relative_dose_intensity)}</b>",
        f"{d.reductions} reduction{'s' if d.reductions != 1 else ''}",
        f"{d.delays} delay{'s' if d.delays != 1 else ''} ({d.delay_days} days)",
        f"current dose {current}",
    ]
    text = " · ".join(parts)
    if d.days_imputed:
        text += f" · <i>{d.days_imputed} cycle(s) without days dosed counted as fully dosed</i>"
    return text


class CaseCycles(TableTab):
    """Cycles table and dose-intensity summary of the shown patient. Signals: none. GUI thread only."""

    model: CyclesModel

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(CyclesModel(), parent)
        self.schedule = QLabel()
        self.schedule.setWordWrap(True)  # a per-arm regimen from the data can be long: it wraps, never widens
        self.column.addWidget(self.schedule)

    def set_detail(self, detail: CaseDetail | None) -> None:
        if detail is None:
            self.model.set_rows([])
            self.summary.clear()
            self.schedule.clear()
            return
        d = detail.case.dose
        self.model.set_rows(sorted(detail.case.cycles, key=lambda c: c.number))
        self.summary.setText(dose_summary_text(d))
        self.schedule.setText(planned_text(detail))


def planned_text(detail: CaseDetail) -> str:
    """The planned regimen line: the patient's arm's regimen from the treatment records, and what dose
    intensity means; the arm named when the study has several."""
    regimen = detail.case.dose.regimen
    if regimen is None:
        return "Planned regimen: not in the study's treatment records."
    arm = detail.case.subject.arm.strip()
    several = len(detail.case.collected.arms) > 1
    whose = f" (arm {arm}: the dose its patients' treatment records give on the most days)" if several and arm else ""
    return (f"Planned: {regimen.text()}{whose}. "
            "Dose intensity: delivered over planned dose per unit time (Hryniuk & Bush 1984).")  # fmt: skip

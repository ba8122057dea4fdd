"""The case view's cycles tab: the treatment as given, and the dose delivered (``domain.dosing``).

One row per cycle (start date, dose, days dosed, delay, reduction and reason) and a summary line with the
relative dose intensity, relative total dose, reductions and delays from :class:`DoseSummary`.
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
        return "No cycle received."
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
        self.schedule.setText(
            f"Planned: {d.planned_dose_mg:g} mg on days 1–{d.planned_days} of every {d.cycle_days}-day cycle. "
            "Dose intensity: delivered over planned dose per unit time (Hryniuk & Bush 1984)."
        )

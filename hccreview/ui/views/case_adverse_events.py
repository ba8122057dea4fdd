"""The case view's adverse-events tab: CTCAE v5 terms with a grade colour scale, read-only.

Adverse events are imported source records (DESIGN §4b): nobody edits them in the review tool. A reviewer who
disagrees with a grade or an attribution opens a query on the Queries tab; the correction arrives with the next
data transfer. The tab is only built into the case view when the user may see clinical data.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QWidget

from hccreview.services.case_extra import CaseDetail
from hccreview.ui.models.case_models import AdverseEventsModel
from hccreview.ui.views.read_only_table import TableTab

#: Why the table cannot be edited, and what to do instead (shown under every summary).
SOURCE_NOTE = "source data (read-only): to dispute a grade or an attribution, raise a query on the Queries tab"


class CaseAdverseEvents(TableTab):
    """Adverse-events table of the shown patient (read-only). Signals: none. GUI thread only."""

    model: AdverseEventsModel

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(AdverseEventsModel(), parent, stretch_column=1)  # the SOC gives way (elided, tooltip)
        self.table.setWordWrap(False)

    def set_detail(self, detail: CaseDetail | None) -> None:
        current = self.table.currentIndex()
        rows = detail.case.adverse_events if detail else []
        self.model.set_rows(rows)
        if current.isValid() and current.row() < len(rows):
            self.table.setCurrentIndex(self.model.index(current.row(), current.column()))
        self.summary.setText(self._summary(rows))

    @staticmethod
    def _summary(rows: list[tuple[int, Any]]) -> str:
        if not rows:
            return "No adverse events recorded."
        grades = [ae.grade for _, ae in rows if ae.grade]
        serious = sum(ae.serious for _, ae in rows)
        worst = f"worst grade <b>G{max(grades)}</b>" if grades else "no CTCAE grade recorded"
        return f"{len(rows)} adverse event{'s' if len(rows) != 1 else ''} · {worst} · {serious} serious — {SOURCE_NOTE}"

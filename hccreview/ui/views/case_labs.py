"""The case view's Labs tab: the patient's laboratory tests over time, graded by CTCAE v5.0 (issue 23).

A grid of tests × dates (``ui.models.lab_model``): each value converted to the unit of the criteria, flagged
against its reference range and graded (``domain.ctcae_labs`` via ``services.case_labs``), grade >= 3 highlighted;
the graded tests come first, worst first. Tests without a CTCAE criterion here are hidden unless asked for. The line
under the grid explains the selected value (as recorded, range, the rule that graded it). Labs are clinical data:
the tab is only part of the case view for users who may see them (``ui.visibility.CASE_TAB_NEEDS``). Read-only
source data: a disputed value is a query on the Queries tab.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex
from PySide6.QtWidgets import QCheckBox, QLabel, QWidget

from hccreview.domain.ctcae_labs import LAB_SOURCE
from hccreview.services.case_extra import CaseDetail
from hccreview.services.case_labs import SEVERE_GRADE, CaseLabs
from hccreview.ui.models.lab_model import LabGridModel, cell_tip
from hccreview.ui.views.read_only_table import TableTab

SOURCE_NOTE = "source data (read-only): to dispute a value, raise a query on the Queries tab"


class CaseLabsTab(TableTab):
    """Tests × dates of the shown patient's laboratory values. Signals: none. GUI thread only."""

    model: LabGridModel

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(LabGridModel(), parent, alternating=False, stretch_column=None)
        self.table.horizontalHeader().setStretchLastSection(False)
        self.table.setWordWrap(False)
        self.table.setProperty("scrolls_columns", True)  # tests × dates: the dates scroll, as the tumour grid's
        self.table.setSelectionBehavior(self.table.SelectionBehavior.SelectItems)
        self.show_all = QCheckBox("Show tests without a CTCAE criterion")
        self.show_all.setToolTip(
            "Graded here: blood counts, haemoglobin, albumin, bilirubin, ALT, AST, ALP, GGT, creatinine, INR, sodium "
            "and potassium; the other tests show their value and range flag only"
        )
        self.detail_line = QLabel()
        self.detail_line.setWordWrap(True)
        self.column.insertWidget(1, self.show_all)
        self.column.addWidget(self.detail_line)
        self._labs: CaseLabs | None = None
        self.show_all.toggled.connect(lambda _on: self._refill())
        self.table.selectionModel().currentChanged.connect(self._current_changed)

    def set_detail(self, detail: CaseDetail | None) -> None:
        self._labs = detail.labs if detail is not None else None
        self._refill()

    @property
    def count(self) -> int:
        """Tests shown (rows of the grid)."""
        return self.model.rowCount()

    @property
    def severe_count(self) -> int:
        """Values at grade >= 3 (the tab's badge)."""
        return len(self._labs.severe) if self._labs is not None else 0

    def _refill(self) -> None:
        self.model.set_labs(self._labs, graded_only=not self.show_all.isChecked())
        self.table.resizeColumnsToContents()
        self.summary.setText(self._summary(self._labs))
        self.detail_line.setText("Select a value to see how it was graded.")
        ungraded = sum(not s.graded for s in self._labs.tests) if self._labs is not None else 0
        self.show_all.setText(f"Show tests without a CTCAE criterion ({ungraded})")
        self.show_all.setVisible(ungraded > 0)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        values = self.model.values_at(current.row(), current.column()) if current.isValid() else []
        self.detail_line.setText(" ".join(cell_tip(v) for v in values) or "Select a value to see how it was graded.")

    @staticmethod
    def _summary(labs: CaseLabs | None) -> str:
        if labs is None or not labs.values:
            return "No laboratory values recorded."
        tests = labs.tests
        graded = [s for s in tests if s.graded]
        severe = labs.severe
        first = labs.first_dose.isoformat() if labs.first_dose else None
        baseline = (f"baseline = last value on or before the first dose {first}" if first
                    else "baseline = first value (no first dose recorded)")  # fmt: skip
        worst = ""
        if severe:
            top = max(severe, key=lambda v: (v.grade or 0, -(v.date.toordinal() if v.date else 0)))
            when = top.date.isoformat() if top.date else "no date"
            worst = f" · worst <b>G{top.grade} {top.term}</b> on {when}{' (baseline)' if top.baseline else ''}"
        return (f"{len(graded)} of {len(tests)} tests graded — {LAB_SOURCE}; values in the criteria's units"
                f" · <b>{len(severe)}</b> value{'s' if len(severe) != 1 else ''} at grade ≥{SEVERE_GRADE}{worst}"
                f" · {baseline} — {SOURCE_NOTE}")  # fmt: skip

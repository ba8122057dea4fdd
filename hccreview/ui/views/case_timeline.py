"""The case view's timeline tab: the patient's course on one chart (``report.figures.build_timeline``).

Cycles by dose level, adverse events by CTCAE grade, laboratory values at CTCAE grade >= 3 (graded from LB, their
own marker), tumour assessments with their responses, progression, death or last contact, in weeks from the
analysis origin. Which assessments are marked, and the caption saying
whose they are, is :mod:`hccreview.services.case_timeline`'s choice (the case packet's too). The case view passes
the source to use when the study's default is one the user may not see (a blinded reader: their own reads); the
tab itself is only part of the case view for users who may see clinical data.
"""

from __future__ import annotations

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from hccreview.domain.sources import Source
from hccreview.report.figures import build_timeline
from hccreview.services.case_extra import CaseDetail
from hccreview.services.case_timeline import timeline_assessments, timeline_lab_events, timeline_origin
from hccreview.ui.plots import FigureHost


class CaseTimeline(QWidget):
    """The timeline chart of the shown patient; redrawn only while visible (a hidden tab costs nothing).

    Signals: none. GUI thread only.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.caption = QLabel()
        self.caption.setWordWrap(True)
        lines = self.caption.fontMetrics().lineSpacing()
        self.caption.setFixedHeight(2 * lines + 4)  # a fixed height: a longer caption never resizes the chart
        self.host = FigureHost(self, delay_ms=250)  # stepping fast: draw when the reader pauses
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.caption)
        layout.addWidget(self.host, 1)
        self._detail: CaseDetail | None = None
        self._source: str | None = None
        self._dirty = False

    def set_detail(self, detail: CaseDetail | None, *, source: str | None = None) -> None:
        """Show ``detail`` with the responses and progression of ``source`` (None: the study's default)."""
        self._detail = detail
        self._source = source
        self._dirty = True
        if self.isVisible() or detail is None:  # None: nothing of the last patient (or user) stays drawn
            self.redraw()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._dirty:
            self.redraw()

    def redraw(self) -> None:
        """Draw the current patient (deferred paint: ``draw_idle``)."""
        self._dirty = False
        detail = self._detail
        if detail is None:
            self.caption.setText("No patient selected")
            self.host.clear()
            return
        case = detail.case
        origin = timeline_origin(detail)
        if origin is None:
            self.caption.setText("No dates to draw: no origin, cycle or assessment")
            self.host.clear()
            return
        source = self._source or detail.default_source
        outcome = case.outcomes.get(source) if source else None
        progression = outcome.best.first_pd_date if outcome is not None else detail.progression
        points, caption = timeline_assessments(detail, source)
        fu = case.follow_up
        death = fu.death_date if fu else None
        self.host.draw_later(
            build_timeline,
            origin=origin,
            cycles=case.cycles,
            adverse_events=[ae for _, ae in case.adverse_events],
            assessments=points,
            progression=progression,
            death=death,
            last_contact=None if death else (fu.last_known_alive if fu else None),
            planned_days=case.dose.planned_days,
            lab_events=timeline_lab_events(detail),
        )
        whose = Source.parse(source).label() if source else "the default source"
        self.caption.setText(f"Weeks from the origin {origin.isoformat()}; tumour assessments: {caption}; "
                             f"progression: {whose}.")  # fmt: skip

"""The case view's timeline tab: the patient's course on one chart (``report.figures.build_timeline``).

Cycles by dose level, adverse events by CTCAE grade, tumour assessments with their responses, progression,
death or last contact, in weeks from the analysis origin. The responses shown are those of the study's
default source (the adjudicated read when there is central review, else the investigator), falling back
to the rules engine's responses of the first reader; the caption says which. The case view passes the source
to use when the study's default is one the user may not see (a blinded reader: their own reads); the tab itself
is only part of the case view for users who may see clinical data.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from hccreview.domain.recist import normalise_response
from hccreview.domain.records import ReadRole
from hccreview.report.figures import build_timeline
from hccreview.services.case_extra import CaseDetail
from hccreview.ui.plots import FigureHost
from hccreview.ui.wording import source_label


def timeline_assessments(detail: CaseDetail, source: str | None = None) -> tuple[list[tuple[date, str]], str]:
    """The assessments to mark and a caption naming their source (baseline marked "BL"); ``source`` defaults to
    the study's default source."""
    case = detail.case
    source = source or detail.default_source
    outcome = case.outcomes.get(source) if source else None
    reads = []
    caption = ""
    if outcome is not None and outcome.reader and outcome.reader in case.reads:
        reads = [r for _, r in case.reads[outcome.reader]]
        caption = f"responses stated by {outcome.reader} — source: {source_label(source)}"
    elif source == "investigator":
        reads = [r for rs in case.reads.values() for _, r in rs if r.role is ReadRole.INVESTIGATOR]
        caption = "responses stated by the investigator"
    points = [(r.date, normalise_response(r.overall).value) for r in reads]
    reader = outcome.reader if outcome is not None and outcome.reader in detail.readers else None
    reader = reader or (case.readers[0] if case.readers else None)
    if not points and reader and case.computed.get(reader):
        points = [(tp.date, tp.overall.value) for tp in case.computed[reader]]
        caption = f"responses computed by the rules engine from {reader}'s measurements"
    figures = detail.readers.get(reader) if reader else None
    if figures and figures.baseline_date and figures.baseline_date not in {d for d, _ in points}:
        points.insert(0, (figures.baseline_date, "BL"))
    return sorted(points), caption


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
        figures = next(iter(detail.readers.values()), None)
        origin = (
            detail.origin
            or (min(c.start_date for c in case.cycles) if case.cycles else None)
            or (figures.baseline_date if figures else None)
        )
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
        )
        where = f"Weeks from the origin {origin.isoformat()}"
        self.caption.setText(f"{where}; tumour assessments: {caption or 'none'}; progression from the "
                             f"{source or 'default'} source.")  # fmt: skip

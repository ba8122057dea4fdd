"""What the adjudicator's Images view loads (issue 22 item 1): both reads on the images, visit by visit.

:func:`load_adjudication_images` bundles, in one database-lane job, the comparison of both reads
(``case_comparison``), the case with every evaluator's lesions, measurements and calipers (``load_case_detail``),
and per visit the paired lesions with their differences and drivers (``domain.lesion_differences``). The baseline
is a visit too (the targets are chosen there). Blinding (DESIGN §4b, issue 13): the same gate as
``case_comparison`` (:func:`check_visible`) refuses a blinded reader *before* anything is read. No Qt.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import date

from hccreview.domain.lesion_differences import LesionDifference, ReaderVisit, lesion_differences, nadir_before
from hccreview.services.adjudication_comparison import Comparison, ReaderSide, case_comparison
from hccreview.services.adjudication_decisions import check_visible
from hccreview.services.case_extra import CaseDetail, load_case_detail
from hccreview.services.session import StudySession

BASELINE = "BASELINE"


@dataclass(frozen=True)
class VisitDifferences:
    """One visit of the case: its label, each reader's date of it, the timepoint fields that differ between the
    reads (``ComparisonRow.differs``) and the paired lesions (drivers first)."""

    visit: str
    date: date
    dates: dict[str, dt.date]  # dt.date: ``date`` is this class's field here
    differs: list[str]
    rows: list[LesionDifference] = field(default_factory=list)
    baseline: bool = False

    @property
    def drivers(self) -> list[LesionDifference]:
        return [r for r in self.rows if r.drives]

    @property
    def discordant(self) -> bool:
        """The reads' responses differ at this visit (a stated or computed response, a new lesion, a missing
        timepoint) or a lesion here drives the discordance; a target sum that differs alone only marks it."""
        return bool(set(self.differs) - {"target_sum_mm"}) or bool(self.drivers)

    @property
    def label(self) -> str:
        return f"{self.visit or 'visit'} {self.date.isoformat()}"


@dataclass(frozen=True)
class ImagesComparison:
    """One discordant case for the Images view: both reads, the case (calipers) and the visits, discordant
    ones first (then in date order)."""

    subject_id: str
    readers: tuple[str, ...]
    comparison: Comparison
    detail: CaseDetail
    visits: list[VisitDifferences]


def _reader_visit(side: ReaderSide | None, reader: str, day: date | None) -> ReaderVisit:
    if side is None:
        return ReaderVisit(reader, None, ())
    sums = {d: tp.target_sum_mm for d, tp in side.timepoints.items()}
    return ReaderVisit(reader, day, side.lesions, side.baseline_sum_mm,
                       nadir_before(side.baseline_sum_mm, sums, day))  # fmt: skip


def visit_differences(comparison: Comparison, criteria: str) -> list[VisitDifferences]:
    """The visits of ``comparison`` (baseline first in time) with both readers' lesions paired at each, ordered
    discordant visits first, then by date. Empty unless the case has two central readers."""
    if len(comparison.readers) != 2:
        return []
    ra, rb = comparison.readers
    sa, sb = comparison.sides.get(ra), comparison.sides.get(rb)
    out = []
    bases = {r: s.baseline_date for r, s in ((ra, sa), (rb, sb)) if s is not None and s.baseline_date is not None}
    if bases:
        a, b = _reader_visit(sa, ra, bases.get(ra)), _reader_visit(sb, rb, bases.get(rb))
        rows = lesion_differences(a, b, criteria, baseline=True)
        out.append(VisitDifferences(BASELINE, min(bases.values()), bases, [], rows, baseline=True))
    for row in comparison.rows:
        dates = row.dates
        a, b = _reader_visit(sa, ra, dates.get(ra)), _reader_visit(sb, rb, dates.get(rb))
        out.append(VisitDifferences(row.visit, row.date, dates, list(row.differs), lesion_differences(a, b, criteria)))
    return sorted(out, key=lambda v: (not v.discordant, v.date))


def load_adjudication_images(session: StudySession, subject_id: str) -> ImagesComparison:
    """Worker function: :class:`ImagesComparison` of ``subject_id`` (``BlindingError`` for a blinded reader,
    before any read)."""
    check_visible(session)
    comparison = case_comparison(session, subject_id)
    detail = load_case_detail(session, subject_id)
    visits = visit_differences(comparison, detail.case.criteria)
    return ImagesComparison(subject_id, comparison.readers, comparison, detail, visits)


__all__ = ["BASELINE", "ImagesComparison", "VisitDifferences", "load_adjudication_images", "visit_differences"]

"""What the patient's course chart marks (``report.figures.build_timeline``): the origin, the tumour assessments
with their responses and a caption saying whose they are.

One choice for the case view's timeline tab and the case packet's timeline, so the PDF marks what the
workstation shows. The responses are those of the requested source (the study's default when none: the
adjudicated read where there is central review, else the investigator), falling back to the rules engine's
responses computed from the first reader's measurements; the baseline is marked "BL". Laboratory values at CTCAE
v5.0 grade >= 3 (``services.case_labs``, graded from LB) are marked apart from the reported adverse events.
"""

from __future__ import annotations

from datetime import date

from hccreview.domain.recist import normalise_response
from hccreview.domain.records import ReadRole
from hccreview.domain.sources import INVESTIGATOR, Source
from hccreview.services.case_extra import CaseDetail

__all__ = ["timeline_assessments", "timeline_lab_events", "timeline_origin"]


def timeline_origin(detail: CaseDetail) -> date | None:
    """Day 0 of the chart: the analysis origin, else the first cycle's start, else the first reader's baseline."""
    case = detail.case
    if detail.origin is not None:
        return detail.origin
    if case.cycles:
        return min(c.start_date for c in case.cycles)
    return next((f.baseline_date for f in detail.readers.values() if f.baseline_date), None)


def timeline_assessments(detail: CaseDetail, source: str | None = None) -> tuple[list[tuple[date, str]], str]:
    """The assessments to mark as ``(date, response code)``, sorted, and a caption naming whose responses they
    are ("none" when there are none); ``source`` defaults to the study's default source."""
    case = detail.case
    source = source or detail.default_source
    outcome = case.outcomes.get(source) if source else None
    reads, caption = [], ""
    if outcome is not None and outcome.reader and outcome.reader in case.reads and source:
        reads = [r for _, r in case.reads[outcome.reader]]
        caption = f"responses stated by {outcome.reader} — source: {Source.parse(source).label()}"
    elif source == INVESTIGATOR:
        reads = [r for rs in case.reads.values() for _, r in rs if r.role is ReadRole.INVESTIGATOR]
        caption = "responses stated by the investigator"
    points = [(r.date, normalise_response(r.overall).value) for r in reads]
    reader = outcome.reader if outcome is not None and outcome.reader in detail.readers else None
    reader = reader or (case.readers[0] if case.readers else None)
    if not points and reader and case.computed.get(reader):
        points = [(tp.date, tp.overall.value) for tp in case.computed[reader]]
        whose = "the investigator's" if reader.lower() == INVESTIGATOR else f"{reader}'s"
        caption = f"responses computed by the rules engine from {whose} measurements"
    figures = detail.readers.get(reader) if reader else None
    if figures and figures.baseline_date and figures.baseline_date not in {d for d, _ in points}:
        points.insert(0, (figures.baseline_date, "BL"))
    return sorted(points), caption or "none"


def timeline_lab_events(detail: CaseDetail) -> list[tuple[date, int, str]]:
    """The laboratory values at grade >= 3 to mark, one mark per date: ``(date, worst grade, label)``, the label
    naming each test with its grade and direction ("NEUT↓ G3, PLAT↓ G4"); none for a patient without labs (or a
    user who may not see them: the case then holds none)."""
    by_day: dict[date, list[tuple[int, str]]] = {}
    for v in detail.labs.severe if detail.labs is not None else []:
        if v.date is not None and v.grade is not None:
            arrow = "↑" if v.direction == "increased" else "↓"
            by_day.setdefault(v.date, []).append((v.grade, f"{v.test}{arrow} G{v.grade}"))
    return [(day, max(g for g, _ in marks), ", ".join(dict.fromkeys(t for _, t in marks)))
            for day, marks in sorted(by_day.items())]  # fmt: skip

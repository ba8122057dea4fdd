"""The case view's data in one database trip: :func:`load_case` plus the audit trail and the derived figures
the panels draw (best response per reader, baseline sums, spider points, the diameter each lesion counts).

Everything here is derived by ``domain`` functions from the records :func:`hccreview.services.case.load_case`
reads; the UI only formats it. Runs on the runner's database lane (it reads the store).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from hccreview.domain import recist
from hccreview.domain.endpoints import origin_rule
from hccreview.domain.records import Criteria, Lesion, LesionKind, Measurement, Response
from hccreview.services.case import CaseData, audit_trail, load_case
from hccreview.services.case_labs import CaseLabs, graded_labs
from hccreview.services.session import StudySession

__all__ = ["CaseDetail", "counted_field", "load_case_detail"]


@dataclass(frozen=True)
class ReaderFigures:
    """One reader's tumour figures for one patient."""

    baseline_date: date | None
    baseline_sum_mm: float | None
    best_computed: recist.BestResponse | None  # from the rules engine's timepoint responses
    best_stated: recist.BestResponse | None  # from the reader's stated timepoint responses
    spider: list[tuple[float, float]]  # (weeks from origin, % change of the target sum from baseline)
    counted: dict[str, str] = field(default_factory=dict)  # lesion id -> the measurement field that counts


@dataclass(frozen=True)
class CaseDetail:
    """What the case view shows for one patient; ``case`` is the service's :class:`CaseData`."""

    case: CaseData
    audit: list[dict[str, Any]]
    origin: date | None
    origin_rule: str
    default_source: str | None
    progression: date | None  # first PD of the default source
    readers: dict[str, ReaderFigures]
    confirmation_days: int
    min_sd_days: int
    labs: CaseLabs | None = None  # graded by CTCAE v5.0 (services.case_labs); None: not derived

    @property
    def subject_id(self) -> str:
        return self.case.subject.subject_id


def counted_field(lesion: Lesion, criteria: str) -> str:
    """The measurement field whose value a lesion contributes (RECIST 1.1 §4.3.1; mRECIST: viable part).

    Nodes count their short axis; under mRECIST intrahepatic non-nodal lesions count the viable (arterially
    enhancing) diameter (Lencioni & Llovet 2010); everything else the longest diameter.
    """
    if lesion.is_node:
        return "short_axis_mm"
    rules = recist.rules_for(Criteria(criteria))
    organ = f"{lesion.organ} {lesion.site}".upper()
    liver = not lesion.organ.strip() or "LIVER" in organ or "HEPAT" in organ
    if rules.viable_targets and lesion.kind is LesionKind.TARGET and liver:
        return "viable_mm"
    return "diameter_mm"


def _baseline(lesions: list[Lesion], ms: list[Measurement], criteria: str) -> tuple[date | None, float | None]:
    if not ms:
        return None, None
    first = min(m.date for m in ms)
    at_base = {m.lesion_id: m for m in ms if m.date == first}
    sizes = [
        recist.lesion_size_mm(lesion, at_base.get(lesion.lesion_id), Criteria(criteria))
        for lesion in lesions
        if lesion.kind is LesionKind.TARGET
    ]
    known = [s for s in sizes if s is not None]
    return first, (round(float(sum(known)), 6) if known else None)


def _weeks(day: date, origin: date) -> float:
    return round((day - origin).days / 7.0, 4)


def load_case_detail(session: StudySession, subject_id: str) -> CaseDetail:
    """Load one patient for the case view (database lane): the case, its audit trail and derived figures."""
    case = load_case(session, subject_id)
    settings = session.settings()
    origin, rule = origin_rule(case.subject, settings)
    default = next(iter(case.outcomes), None)
    progression = case.outcomes[default].best.first_pd_date if default else None
    readers: dict[str, ReaderFigures] = {}
    for reader in case.readers:
        lesions = case.lesions.get(reader, [])
        ms = [m for _, m in case.measurements.get(reader, [])]
        base_day, base_sum = _baseline(lesions, ms, case.criteria)
        timepoints = case.computed.get(reader, [])
        best_computed = None
        if timepoints:
            pairs: list[tuple[date, Response | str]] = [(tp.date, tp.overall) for tp in timepoints]
            best_computed = recist.best_overall_response(pairs, origin, settings)
        stated = case.outcomes.get(f"reader:{reader}")
        start = origin or base_day
        spider: list[tuple[float, float]] = []
        if start is not None and base_day is not None and base_sum:
            spider.append((_weeks(base_day, start), 0.0))
            spider += [
                (_weeks(tp.date, start), round(tp.pct_from_baseline, 2))
                for tp in timepoints
                if tp.pct_from_baseline is not None
            ]
        readers[reader] = ReaderFigures(
            baseline_date=base_day,
            baseline_sum_mm=base_sum,
            best_computed=best_computed,
            best_stated=stated.best if stated else None,
            spider=spider,
            counted={lesion.lesion_id: counted_field(lesion, case.criteria) for lesion in lesions},
        )
    return CaseDetail(
        case=case,
        audit=audit_trail(session, subject_id),
        origin=origin,
        origin_rule=rule,
        default_source=default,
        progression=progression,
        readers=readers,
        confirmation_days=settings.confirmation_days,
        min_sd_days=settings.min_sd_days,
        labs=graded_labs(subject_id, case.labs, case.subject.first_dose_date),  # none loaded: none may be seen
    )

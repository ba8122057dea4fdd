"""Both reads of a discordant case side by side: :func:`case_comparison`.

Per reader: lesions with their sizes and statuses per date, stated and computed timepoint responses (the rules
engine, ``domain.recist``), target sums and the best overall response; per visit (the readers' timepoints
paired by visit label or nearest date within the assessment window, as the adjudicated source pairs them) the
fields where the two central readers differ; the decision in force and its history. An adjudicator's own
read, when there is one, is a third side. Re-exported by :mod:`hccreview.services.adjudication`. No Qt.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from hccreview.domain import recist
from hccreview.domain.adjudication_status import case_status, settled_by_flags, status_label
from hccreview.domain.discordance import DiscordanceResult, compare_reads
from hccreview.domain.endpoints import origin_date
from hccreview.domain.recist import BestResponse
from hccreview.domain.records import LesionKind, ReadRole, StudyData
from hccreview.domain.sources import (
    INVESTIGATOR,
    reader_timepoints,
    select_timepoints,
    subject_central_readers,
    timepoint_groups,
)
from hccreview.services.adjudication_decisions import Decision, check_visible, decision_history
from hccreview.services.session import StudySession
from hccreview.store import access
from hccreview.store.study_data import load_study


@dataclass(frozen=True)
class LesionRow:
    """One lesion of one reader: its size counted in the target sum (targets) or diameter per date, and its
    status per date."""

    lesion_id: str
    kind: str
    organ: str
    is_node: bool
    sizes: dict[date, float | None]
    statuses: dict[date, str]


@dataclass(frozen=True)
class ReaderTimepoint:
    """What one reader stated and what the rules engine computes at one date."""

    date: date
    visit: str
    stated_overall: str | None
    target: str | None
    non_target: str | None
    new_lesion: bool | None
    computed_overall: str | None
    target_sum_mm: float | None
    pct_from_baseline: float | None
    pct_from_nadir: float | None
    override_reason: str = ""


@dataclass(frozen=True)
class ReaderSide:
    """One read of the case: lesions, timepoints and best overall response."""

    reader: str
    role: str
    bor: BestResponse
    lesions: list[LesionRow]
    timepoints: dict[date, ReaderTimepoint]
    baseline_date: date | None
    baseline_sum_mm: float | None


@dataclass(frozen=True)
class ComparisonRow:
    """One visit (timepoint): its earliest date, each reader's timepoint (None where a reader has none; each
    carries the date that reader read it) and the fields that differ. Readers' timepoints are paired by visit
    (``domain.sources.timepoint_groups``), never by exact date only."""

    date: date
    visit: str
    sides: dict[str, ReaderTimepoint | None]
    differs: list[str]

    @property
    def dates(self) -> dict[str, dt.date]:  # dt.date: ``date`` is this class's field here
        """The date each reader read this visit."""
        return {name: point.date for name, point in self.sides.items() if point is not None}


@dataclass(frozen=True)
class _Point:
    """One reader's timepoint, for pairing by visit."""

    reader: str
    date: date
    visit: str


@dataclass(frozen=True)
class Comparison:
    """Both reads of a discordant case side by side, the decision and its history."""

    subject_id: str
    readers: tuple[str, ...]
    sides: dict[str, ReaderSide]
    rows: list[ComparisonRow]
    discordance: DiscordanceResult | None
    choices: list[str]
    decision: Decision | None
    history: list[Decision] = field(default_factory=list)
    investigator_bor: str | None = None
    imported: bool = False  # no decision here; the delivery's accepted-read flags settle it

    @property
    def locked(self) -> bool:
        return self.decision is not None and self.decision.locked

    @property
    def status(self) -> str:
        """The case's adjudication status, by the one definition (``domain.adjudication_status``)."""
        return case_status(decided=self.decision is not None, signed=self.locked, imported=self.imported)

    @property
    def status_label(self) -> str:
        """The status in the user's words ("re-opened" for a re-opened decision that stands)."""
        reopened = self.decision is not None and self.decision.status == "reopened"
        return status_label(self.status, reopened=reopened)


_COMPARED = ("stated_overall", "computed_overall", "target", "non_target", "new_lesion")


def _side(
    data: StudyData, sid: str, reader: str, origin: date | None, extra: dict[tuple[str, date], Any]
) -> ReaderSide:
    criteria = data.settings.criteria
    lesions = [x for x in data.lesions if x.subject_id == sid and x.reader == reader]
    ms = [m for m in data.measurements if m.subject_id == sid and m.reader == reader]
    reads = [r for r in data.reads if r.subject_id == sid and r.reader == reader]
    by_key = {(m.lesion_id, m.date): m for m in ms}
    dates = sorted({m.date for m in ms})
    rows = []
    for les in lesions:
        ms_l = {d: by_key.get((les.lesion_id, d)) for d in dates}
        sizes = {
            d: recist.lesion_size_mm(les, m, criteria) if les.kind is LesionKind.TARGET
            else (None if m is None else m.diameter_mm)
            for d, m in ms_l.items()
        }  # fmt: skip
        statuses = {d: m.status.value for d, m in ms_l.items() if m is not None}
        rows.append(LesionRow(les.lesion_id, les.kind.value, les.organ, les.is_node, sizes, statuses))
    base = dates[0] if dates else None
    base_sizes = [r.sizes.get(base) for r in rows if r.kind == LesionKind.TARGET.value] if base else []
    known_sizes = [s for s in base_sizes if s is not None]
    base_sum = round(sum(known_sizes), 1) if base_sizes and len(known_sizes) == len(base_sizes) else None
    computed = {tp.date: tp for tp in recist.timepoint_responses(lesions, ms, criteria)} if lesions else {}
    stated = {r.date: r for r in reads}
    points = {}
    for day in sorted(set(computed) | set(stated)):
        tp, rd = computed.get(day), stated.get(day)
        points[day] = ReaderTimepoint(
            day, (rd.visit if rd else "") or (tp.visit if tp else ""),
            rd.overall or None if rd else None, (rd.target or None) if rd else None,
            (rd.non_target or None) if rd else None, rd.new_lesion if rd else None,
            tp.overall.value if tp else None, tp.target_sum_mm if tp else None,
            tp.pct_from_baseline if tp else None, tp.pct_from_nadir if tp else None,
            extra.get((reader, day), ""),
        )  # fmt: skip
    bor = recist.best_overall_response(reader_timepoints(data, sid, reader), origin, data.settings)
    role = reads[0].role.value if reads else ""
    return ReaderSide(reader, role, bor, rows, points, base, base_sum)


def _differs(a: ReaderTimepoint | None, b: ReaderTimepoint | None) -> list[str]:
    if a is None or b is None:
        return ["missing"]
    out = [f for f in _COMPARED if getattr(a, f) != getattr(b, f)]
    if (a.target_sum_mm is None) != (b.target_sum_mm is None) or (
        a.target_sum_mm is not None and b.target_sum_mm is not None and abs(a.target_sum_mm - b.target_sum_mm) > 0.05
    ):
        out.append("target_sum_mm")
    return out


def case_comparison(session: StudySession, subject_id: str) -> Comparison:
    """Both central reads of ``subject_id`` side by side per timepoint (lesion sizes, sums, stated and
    computed responses, BOR per reader), differences flagged, with the decision in force and its history.
    An adjudicator's own read, when there is one, is a third side and a third choice."""
    check_visible(session)
    data = load_study(session.store, subject_id=subject_id)
    if not data.subjects:
        raise KeyError(f"no patient {subject_id!r} in this study")
    subject = data.subjects[0]
    origin = origin_date(subject, data.settings)
    central = subject_central_readers(data, subject_id)
    own = sorted({r.reader for r in data.reads if r.role is ReadRole.ADJUDICATOR})
    choices = central + [r for r in own if r not in central]
    extra = {(r["reader"], date.fromisoformat(r["date"])): r.get("override_reason") or ""
             for r in access.subject_read_rows(session.store, subject_id)}  # fmt: skip
    sides = {name: _side(data, subject_id, name, origin, extra) for name in choices}
    readers = tuple(central[:2])
    discordance = (
        compare_reads(subject_id, sides[readers[0]].bor, sides[readers[1]].bor, data.settings.discordance_pd_days)
        if len(readers) == 2
        else None
    )
    points = [_Point(name, day, tp.visit) for name in choices for day, tp in sides[name].timepoints.items()]
    rows = []
    for group in timepoint_groups(points, data.settings.assessment_window_days):
        when = {p.reader: p.date for p in group}
        per = {name: sides[name].timepoints[when[name]] if name in when else None for name in choices}
        differs = _differs(per[readers[0]], per[readers[1]]) if len(readers) == 2 else []
        visit = next((p.visit for p in per.values() if p is not None and p.visit), "")
        rows.append(ComparisonRow(group[0].date, visit, per, differs))
    inv = select_timepoints(data, subject_id, INVESTIGATOR)
    inv_bor = (
        str(recist.best_overall_response(inv.timepoints, origin, data.settings).confirmed)
        if inv.status == "ok"
        else None
    )
    history = decision_history(session, subject_id)
    decision = history[-1] if history else None
    imported = decision is None and settled_by_flags(data, subject_id)
    return Comparison(subject_id, readers, sides, rows, discordance, choices, decision, history, inv_bor, imported)

"""The cohort dashboard's data: one use case, two steps (DESIGN §2 "Long work runs in a worker").

- :func:`load_dashboard_input` (database lane): the study's records from the session's cache
  (:class:`~hccreview.store.study_data.StudyCache`): after a write only the touched subjects' rows are re-read
  and spliced in, in the store's own order — the result equals a fresh load (tested), at a fraction of the cost
  on a large study; unchanged subjects keep their record objects, so the per-subject memos of
  :mod:`hccreview.domain.cohort_memo` derive only the changed patients again.
- :func:`compute_dashboard` (compute lane, pure): :func:`~hccreview.domain.cohort.compute_cohort_stats` for the
  chosen source — the same object ``hccreview stats --json`` prints — plus what the panel draws from it:
  baseline table, waterfall rows (best % change of the target sum, RECIST 1.1 §4.3.1, from
  ``recist.timepoint_responses`` on the lesions of the reader the source uses), swimmer lanes, Child-Pugh
  subgroup Kaplan–Meier curves, toxicity / agreement tables and adjudication progress.
- :func:`complete_dashboard` (compute lane, pure): the best-response column of every available source, the
  Child-Pugh subgroup curves and, with two or more arms, the arms' comparison and curves
  (:mod:`hccreview.services.dashboard_arms`) — a second step, so that the headline figures repaint first after an
  edit (:mod:`hccreview.services.dashboard_tables` builds the frames).
- ``arm``: every figure of one arm (issue 23) — the same computation on that arm's patients
  (:func:`hccreview.domain.arms.arm_data`); None = the whole analysis population.
"""

from __future__ import annotations

import dataclasses
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Protocol, cast

import pandas as pd

from hccreview.domain import cohort, recist
from hccreview.domain.access import Capability
from hccreview.domain.arms import arm_data, study_arms
from hccreview.domain.changes import ChangeKind, Changes
from hccreview.domain.cohort import CohortStats, compute_cohort_stats
from hccreview.domain.endpoints import MONTH_DAYS
from hccreview.domain.records import Criteria, Cycle, StudyData
from hccreview.domain.sources import available_sources, study_index
from hccreview.domain.survival import KMResult
from hccreview.report.cohort_figures import SwimmerLane, waterfall_order
from hccreview.services import dashboard_tables as tables
from hccreview.services.dashboard_arms import ArmDetails, arm_details
from hccreview.services.dashboard_tables import AdjudicationProgress, SourceSummary, source_summary
from hccreview.services.session import StudySession

__all__ = [
    "AdjudicationProgress",
    "Cancelled",
    "DashboardData",
    "SourceSummary",
    "complete_dashboard",
    "compute_dashboard",
    "load_dashboard_input",
]

#: Change kinds that never affect a cohort figure (review marks, query threads and accounts are workflow, not data).
IGNORED_KINDS = frozenset({ChangeKind.REVIEW_STATUS, ChangeKind.QUERIES, ChangeKind.USERS, ChangeKind.IMAGES})


class Cancelled(Exception):
    """The job was cancelled through its progress object."""


class ProgressLike(Protocol):
    """What :func:`compute_dashboard` needs of a progress object (``ui.workers.Progress`` is one)."""

    def report(self, fraction: float, text: str = "") -> None: ...

    @property
    def cancelled(self) -> bool: ...


def affects_dashboard(changes: Changes) -> bool:
    """Whether a write can change any cohort figure (review-state changes cannot)."""
    return changes.study or bool(changes.kinds - IGNORED_KINDS) or (bool(changes.subjects) and not changes.kinds)


# --- loading (database lane) ------------------------------------------------------------------------------


def load_dashboard_input(session: StudySession, *, fresh: bool = False) -> StudyData:
    """The study's records as they stand in the file: :meth:`StudySession.data`, whose cache re-reads only the
    subjects that writes touched since the last call (through this session or any other connection — the
    cache asks SQLite, so no one needs to say what changed). ``fresh=True`` (the panel's Refresh button) drops
    the cache and reads everything."""
    session.access.require(Capability.SEE_COHORT)
    if fresh:
        session.cache.clear()
    return session.data()


# --- computing (compute lane) -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DashboardData:
    """Everything the dashboard shows, for one source. ``stats`` is exactly ``compute_cohort_stats(data,
    source)``; the tables are display frames (strings where a cell combines numbers, e.g. ``"6 (15.0%)"``)."""

    source: str
    sources: list[str]
    stats: CohortStats
    summaries: dict[str, SourceSummary]
    response_table: pd.DataFrame
    baseline_table: pd.DataFrame
    toxicity_table: pd.DataFrame
    agreement_table: pd.DataFrame
    waterfall: list[tuple[str, float, str]]
    waterfall_readers: dict[str, str]
    waterfall_excluded: dict[str, str]
    swimmer: list[SwimmerLane]
    pfs_by_child_pugh: dict[str, KMResult]
    os_by_child_pugh: dict[str, KMResult]
    adjudication: AdjudicationProgress | None
    compute_ms: float = 0.0
    load_ms: float = 0.0  # reading the records (set by the caller that loaded them)
    complete: bool = False
    #: :func:`censor_months` per "pfs", "os", "pfs_cp", "os_cp" (so that the window does not derive them)
    censors: dict[str, dict[str, list[float]]] = dataclasses.field(default_factory=dict)
    #: the arm shown (None: every analysed patient) and the study's arms, reference first (``domain.arms``)
    arm: str | None = None
    arms: tuple[str, ...] = ()
    #: the arms' comparison table and curves (details step; None before it or with fewer than two arms)
    by_arm: ArmDetails | None = None

    def censor_months(self, endpoint: str, *, by_child_pugh: bool = False) -> dict[str, list[float]]:
        """Months of each censored subject, keyed like the KM curves ("PFS" / "OS", or the class letter);
        computed with the rest (``censors``), else from ``stats.subjects``."""
        key = f"{endpoint}_cp" if by_child_pugh else endpoint
        if key in self.censors:
            return self.censors[key]
        return censor_months(self.stats, endpoint, by_child_pugh=by_child_pugh)

    def logrank_p(self, endpoint: str) -> float | None:
        """Log-rank p across the Child-Pugh classes (from ``stats.subgroups``)."""
        # domain.cohort._subgroups: "logrank" maps "pfs" / "os" to LogRankResult.to_dict(), or None (one class)
        tests = cast("dict[str, dict[str, Any] | None]", self.stats.subgroups.get("logrank") or {})
        test = tests.get(endpoint)
        return None if not test else test.get("p_value")


def censor_months(stats: CohortStats, endpoint: str, *, by_child_pugh: bool = False) -> dict[str, list[float]]:
    """Months from the origin of each censored subject of ``endpoint``'s population ("pfs" / "os"), keyed like
    the KM curves: "PFS" / "OS", or the Child-Pugh class letter (one definition: ``domain.cohort``)."""
    return cohort.endpoint_censor_months(stats.subjects, endpoint, by_child_pugh=by_child_pugh)


def _check(progress: ProgressLike | None, fraction: float, text: str) -> None:
    if progress is None:
        return
    if getattr(progress, "cancelled", False):
        raise Cancelled(text)
    progress.report(fraction, text)


def compute_dashboard(
    data: StudyData,
    source: str | None = None,
    progress: ProgressLike | None = None,
    *,
    details: bool = True,
    arm: str | None = None,
) -> DashboardData:
    """Derive the dashboard for ``source`` (default: the study's default source). Pure; raises ValueError for
    an unknown source and :class:`Cancelled` when ``progress.cancelled`` is set.

    ``details=False`` leaves out the other sources' response columns, the Child-Pugh subgroup curves and the arms'
    comparison (:func:`complete_dashboard` adds them): the headline figures repaint sooner after an edit.
    ``arm``: the figures of that arm's patients (an arm the study does not have: the whole population).
    ``data`` stays the whole study's records (:func:`complete_dashboard` compares the arms on them).
    """
    started = time.perf_counter()
    _check(progress, 0.0, "cohort statistics")
    arms = study_arms(data.subjects)
    shown = arm if arm in arms else None
    whole, data = data, (arm_data(data, shown) if shown is not None else data)

    def step(done: int, total: int) -> None:
        _check(progress, 0.8 * done / max(total, 1), f"cohort statistics {done}/{total}")

    stats = compute_cohort_stats(data, source, progress=step if progress is not None else None)
    sources: list[str] = [*available_sources(data)] or [stats.source]
    if stats.source not in sources:
        sources = [stats.source, *sources]
    _check(progress, 0.8, "waterfall and swimmer")
    waterfall, readers, excluded = waterfall_rows(data, stats)
    summaries = {stats.source: SourceSummary.from_stats(stats)}
    out = DashboardData(
        source=stats.source,
        sources=sources,
        stats=stats,
        summaries=summaries,
        response_table=tables.response_table(summaries, stats.source, sources),
        baseline_table=tables.baseline_table(data, stats),
        toxicity_table=tables.toxicity_frame(stats),
        agreement_table=tables.agreement_frame(stats),
        waterfall=waterfall_order(waterfall),  # bars left to right: the window need not sort them
        waterfall_readers=readers,
        waterfall_excluded=excluded,
        swimmer=swimmer_lanes(data, stats),
        pfs_by_child_pugh={},
        os_by_child_pugh={},
        adjudication=tables.adjudication_progress(data, stats, summaries),
        censors={
            f"{e}{cp}": censor_months(stats, e, by_child_pugh=bool(cp)) for e in ("pfs", "os") for cp in ("", "_cp")
        },
        arm=shown,
        arms=arms,
    )
    if details:
        _check(progress, 0.9, "sources and subgroups")
        out = complete_dashboard(out, whole)
    return dataclasses.replace(out, compute_ms=1000.0 * (time.perf_counter() - started))


def complete_dashboard(dash: DashboardData, data: StudyData) -> DashboardData:
    """``dash`` with the best-response column of every available source (and, through the adjudicated
    source, the pending count), the Child-Pugh subgroup curves and, with two or more arms, the arms' comparison
    (always of the whole study, whichever arm is shown). ``data``: the whole study's records of ``dash``."""
    by_arm = None
    if len(dash.arms) >= 2:
        overall = dash.stats if dash.arm is None else compute_cohort_stats(data, dash.source)
        by_arm = arm_details(data, overall)
    if dash.arm is not None:
        data = arm_data(data, dash.arm)
    summaries = dict(dash.summaries)
    for src in dash.sources:
        if src not in summaries:
            summaries[src] = source_summary(data, src)
    pfs_cp, os_cp = child_pugh_curves(dash.stats)
    return dataclasses.replace(
        dash,
        summaries=summaries,
        response_table=tables.response_table(summaries, dash.source, dash.sources),
        adjudication=tables.adjudication_progress(data, dash.stats, summaries),
        pfs_by_child_pugh=pfs_cp,
        os_by_child_pugh=os_cp,
        by_arm=by_arm,
        complete=True,
    )


def waterfall_rows(
    data: StudyData, stats: CohortStats
) -> tuple[list[tuple[str, float, str]], dict[str, str], dict[str, str]]:
    """``(subject, best % change of the target sum from baseline, BOR)`` per subject with a measured target
    sum, from ``recist.timepoint_responses`` on the lesions of the reader the source used for that subject
    (computed source: the investigator's lesions; a pooled or accepted read: the first of its readers with
    lesions). Also returns the reader used per subject and, for subjects left out, why."""
    index = study_index(data)
    criteria = data.settings.criteria
    rows: list[tuple[str, float, str]] = []
    used: dict[str, str] = {}
    excluded: dict[str, str] = {}
    for o in stats.subjects:
        sid = o.subject_id
        lesions = index.lesions.get(sid, [])
        own = {les.reader for les in lesions}
        reader = next((n for n in (o.reader or "").split("+") if n in own), None)
        if reader is None:
            excluded[sid] = (
                "pending adjudication" if o.source_status == "pending" else "no lesions of the source's reader"
            )
            continue
        mine = [les for les in lesions if les.reader == reader]
        meas = [m for m in index.measurements.get(sid, []) if m.reader == reader]
        best = _best_change(sid, reader, str(criteria), (*mine, *meas), len(mine))
        if best is None:
            excluded[sid] = "no post-baseline target sum"
            continue
        rows.append((sid, best, o.bor))
        used[sid] = reader
    return rows, used, excluded


#: (subject, reader, criteria) → (the lesion and measurement records, best % change). A hit needs the very
#: same record objects (``is``): the partial reload keeps unchanged subjects' records, so after an edit only
#: the touched subjects are recomputed. The entry holds its records, so their identities cannot be reused.
_BEST_CHANGE: dict[tuple[str, str, str], tuple[tuple[Any, ...], float | None]] = {}
_BEST_CHANGE_LIMIT = 100_000


def _best_change(sid: str, reader: str, criteria: str, records: tuple[Any, ...], n_lesions: int) -> float | None:
    """Smallest ``pct_from_baseline`` over the timepoints (RECIST 1.1 §4.3.1), memoised by record identity."""
    key = (sid, reader, criteria)
    hit = _BEST_CHANGE.get(key)
    if hit is not None and len(hit[0]) == len(records) and all(a is b for a, b in zip(hit[0], records, strict=True)):
        return hit[1]
    changes = [
        tp.pct_from_baseline
        for tp in recist.timepoint_responses(records[:n_lesions], records[n_lesions:], criteria=Criteria(criteria))
        if tp.pct_from_baseline is not None
    ]
    best = float(min(changes)) if changes else None
    if len(_BEST_CHANGE) >= _BEST_CHANGE_LIMIT:
        _BEST_CHANGE.clear()
    _BEST_CHANGE[key] = (records, best)
    return best


def _treatment_span(cycles: list[Cycle]) -> tuple[int, int] | None:
    """First and last dosing day (dates as ordinals): first cycle start to the last cycle's last dosed day."""
    if not cycles:
        return None
    first = min(c.start_date for c in cycles)
    last = max(cycles, key=lambda c: (c.start_date, c.number))
    return first.toordinal(), last.start_date.toordinal() + max(1, last.days_dosed or 1) - 1


def swimmer_lanes(data: StudyData, stats: CohortStats) -> list[SwimmerLane]:
    """One lane per analysed subject: time on treatment from the cycles (first dose to the last dosed day),
    confirmed response onset, first documented progression (under the source), death, end of follow-up
    (death or last known alive, as OS), and "ongoing" = alive and progression-free at the cut-off."""
    cycles: dict[str, list[Cycle]] = defaultdict(list)
    for c in data.cycles:
        cycles[c.subject_id].append(c)
    lanes = []
    for o in stats.subjects:
        base = o.origin.toordinal()

        def months(day: Any, base: int = base) -> float | None:
            return None if day is None else (day.toordinal() - base) / MONTH_DAYS

        span = _treatment_span(cycles.get(o.subject_id, []))
        lanes.append(
            SwimmerLane(
                subject_id=o.subject_id,
                bor=o.bor,
                treatment_start=None if span is None else (span[0] - base) / MONTH_DAYS,
                treatment_end=None if span is None else (span[1] + 1 - base) / MONTH_DAYS,
                follow_up_end=o.os.days / MONTH_DAYS,
                response=months(o.best.response_date),
                progression=months(o.best.first_pd_date),
                death=months(o.os.event_date) if o.os.event else None,
                ongoing=not o.os.event and not o.pfs.event,
                child_pugh=o.child_pugh,
            )
        )
    return lanes


def child_pugh_curves(stats: CohortStats) -> tuple[dict[str, KMResult], dict[str, KMResult]]:
    """KM curves of PFS and OS per Child-Pugh class over each endpoint's population (``domain.cohort``: pending
    patients are out of PFS), fitted exactly as ``stats.subgroups`` summarises them."""
    return cohort.child_pugh_curves(stats.subjects)

"""Export a study as PDF: the cohort summary report or the adjudication meeting's case packet (issue 9).

:func:`render_report` is the worker function behind File → Export and ``hccreview report``: it gathers every
input from the services the GUI uses — cohort statistics (``compute_cohort_stats(...).to_dict()``, the
``stats --json`` object), the dashboard's tables and figure inputs, the response table of every available
read source, the adjudication queue and reader performance, the case view's data for packets — plus the
provenance read from the store (SHA-256 of the review data, audit-chain head), and hands plain data to
:mod:`hccreview.report.pdf`. No Qt: progress is reported through ``progress(fraction, text)`` (or an object
with ``report(fraction, text)``, such as ``ui.workers.Progress``) and cancellation is polled from ``cancel``
(a callable, a ``threading.Event`` or an object with ``cancelled``). The PDF is written to a temporary file
next to ``out`` and moved into place only when complete: a cancelled or failed export leaves no file.
"""

from __future__ import annotations

import functools
import os
import socket
import time
import uuid
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from hccreview import __version__
from hccreview.domain import cohort, reason_codes
from hccreview.domain.access import Capability
from hccreview.domain.cohort import plain
from hccreview.domain.records import StudyData
from hccreview.domain.sources import available_sources, study_index
from hccreview.report.pdf import render_case_packet, render_cohort_summary
from hccreview.report.pdf_data import (
    AdjudicationSummary,
    ArmComparisonInput,
    CasePacketInput,
    CohortReportInput,
    Provenance,
)
from hccreview.services import dashboard as dash
from hccreview.services import dashboard_tables as tables
from hccreview.services.adjudication import QueueItem, discordance_queue, reader_performance, reason_code_counts
from hccreview.services.dashboard_arms import details_from
from hccreview.services.demo_images import DemoImagesCancelled
from hccreview.services.queries import listing as query_listing
from hccreview.services.reporting_cases import UnknownPatients, case_section, select_cases
from hccreview.services.session import StudySession
from hccreview.services.stats import CohortStats, cohort_stats_from_data
from hccreview.store import access
from hccreview.store.provenance import study_provenance

__all__ = ["ReportCancelled", "ReportResult", "UnknownPatients", "data_cut", "render_report"]


class ReportCancelled(Exception):
    """The export was cancelled; no file was written."""


@dataclass(frozen=True)
class ReportResult:
    """A written PDF: where, how many pages, how long it took, and which patients a packet holds."""

    path: Path
    pages: int
    seconds: float
    kind: str  # "summary" | "packet"
    cases: list[str] = field(default_factory=list)


class _Job:
    """Progress reporting and cancellation polling for one export."""

    def __init__(self, progress: Any, cancel: Any) -> None:
        self._progress = progress
        self._cancel = cancel

    def cancelled(self) -> bool:
        c = self._cancel
        if c is None:
            return False
        if hasattr(c, "is_set"):
            return bool(c.is_set())
        if hasattr(c, "cancelled"):
            value = c.cancelled
            return bool(value() if callable(value) else value)
        return bool(c())

    def step(self, fraction: float, text: str) -> None:
        """Raise :class:`ReportCancelled` when cancelled, else report progress."""
        if self.cancelled():
            raise ReportCancelled(text)
        self.report(fraction, text)

    def report(self, fraction: float, text: str) -> None:
        """Report progress (no cancellation check)."""
        p = self._progress
        if p is None:
            return
        if hasattr(p, "report"):
            p.report(fraction, text)
        else:
            p(fraction, text)


# --- provenance -------------------------------------------------------------------------------------------


def data_cut(data: StudyData) -> date | None:
    """The latest assessment or contact date in the data: measurements, reads, cycles, adverse events, labs,
    deaths and last-known-alive dates."""
    days: list[date] = []
    days += [m.date for m in data.measurements]
    days += [r.date for r in data.reads]
    days += [c.start_date for c in data.cycles]
    days += [d for ae in data.adverse_events for d in (ae.onset, ae.resolution) if d is not None]
    days += [lab.date for lab in data.labs if lab.date is not None]
    days += [d for f in data.follow_up for d in (f.death_date, f.last_known_alive) if d is not None]
    return max(days, default=None)


def _author(session: StudySession) -> str:
    """The PDF's author: the signed-in user's full name. Nobody signed in (the command line or a script on a study
    without accounts), it says so and names the machine — never the operating-system account, which says
    nothing about who is responsible for the document and may be shared or generic."""
    user = session.signed_in
    if user is not None:
        return user.full_name.strip() or user.username
    return f"hccreview command line (nobody signed in) on {socket.gethostname()}"


def _provenance(session: StudySession, data: StudyData) -> Provenance:
    prov = study_provenance(session.store)
    settings = data.settings
    return Provenance(
        study_title=settings.title,
        protocol=settings.protocol,
        data_cut=data_cut(data),
        generated_at=datetime.now(UTC).replace(microsecond=0),
        program_version=__version__,
        review_digest=prov.review_digest,
        audit_head=prov.audit_head,
        audit_entries=prov.audit_entries,
        file_name=prov.file_name,
        author=_author(session),
    )


# --- cohort summary ---------------------------------------------------------------------------------------


def _censor_months(stats: CohortStats) -> dict[str, dict[str, list[float]]]:
    """Months of each censored patient of each endpoint's population, keyed like the KM curves (as
    ``DashboardData.censor_months``; one definition: ``domain.cohort.endpoint_censor_months``)."""
    out: dict[str, dict[str, list[float]]] = {}
    for endpoint in ("pfs", "os"):
        out[endpoint] = cohort.endpoint_censor_months(stats.subjects, endpoint)
        out[f"{endpoint}_cp"] = cohort.endpoint_censor_months(stats.subjects, endpoint, by_child_pugh=True)
    return out


def _decisions_in_force(session: StudySession) -> list[dict[str, Any]]:
    latest: dict[str, dict[str, Any]] = {}
    for row in access.adjudication_rows(session.store):  # oldest first: the latest wins
        latest[row["subject_id"]] = row
    return [
        {"subject_id": sid, "chosen_reader": r["chosen_reader"], "reason": r["reason"],
         "adjudicator": r["adjudicator"], "signed": (r.get("status") == "signed") or bool(r.get("signed"))}
        for sid, r in latest.items() if (r.get("status") or "open") != "reopened"
    ]  # fmt: skip


def _queue_dict(item: QueueItem) -> dict[str, Any]:
    return {"subject_id": item.subject_id, "readers": item.readers, "bor_a": item.bor_a, "bor_b": item.bor_b,
            "pd_date_a": item.pd_date_a, "pd_date_b": item.pd_date_b, "reasons": list(item.reasons),
            "status": item.status_label, "chosen_reader": item.chosen_reader}  # fmt: skip


def _adjudication(
    session: StudySession, data: StudyData, progress: tables.AdjudicationProgress | None
) -> AdjudicationSummary | None:
    if progress is None:
        return None
    queue = discordance_queue(session, data=data)
    return AdjudicationSummary(
        central_cases=progress.central,
        pending=progress.pending,
        queue=[_queue_dict(item) for item in queue],
        decisions=_decisions_in_force(session),
        performance=reader_performance(session, data=data),
        reason_codes=reason_codes.count_rows(reason_code_counts(session)),
        counts=progress.counts,
    )


def cohort_input(session: StudySession, data: StudyData, job: _Job | None = None) -> CohortReportInput:
    """Everything the cohort summary shows, from the services the dashboard and ``stats --json`` use."""
    job = job or _Job(None, None)
    job.step(0.05, "cohort statistics")
    stats = cohort_stats_from_data(data)  # = services.stats.cohort_stats(session) on the records loaded once
    job.step(0.25, "response by read source")
    sources: list[str] = [*available_sources(data)] or [stats.source]
    if stats.source not in sources:
        sources = [stats.source, *sources]
    summaries = {stats.source: tables.SourceSummary.from_stats(stats)}
    for src in sources:
        if src not in summaries:
            summaries[src] = tables.source_summary(data, src)
    job.step(0.3, "figures")
    waterfall, _, excluded = dash.waterfall_rows(data, stats)
    pfs_cp, os_cp = dash.child_pugh_curves(stats)
    arms = _arms(stats)
    job.step(0.33, "adjudication summary")
    progress = tables.adjudication_progress(data, stats, summaries)
    return CohortReportInput(
        provenance=_provenance(session, data),
        stats=stats.to_dict(),
        sources=sources,
        response_table=tables.response_table(summaries, stats.source, sources),
        baseline_table=tables.baseline_table(data, stats),
        pfs=stats.pfs,
        os=stats.os,
        pfs_by_child_pugh=pfs_cp,
        os_by_child_pugh=os_cp,
        censor_months=_censor_months(stats),
        waterfall=waterfall,
        waterfall_excluded=excluded,
        swimmer=dash.swimmer_lanes(data, stats),
        adjudication=_adjudication(session, data, progress) if study_index(data).central_readers else None,
        queries=[row.as_dict() for row in query_listing(session, state="open")],
        arms=arms,
    )


def _arms(stats: CohortStats) -> ArmComparisonInput | None:
    """The comparison page's input with two or more arms (``services.dashboard_arms``: the dashboard's table and
    curves, from the same ``domain.arms`` analysis as ``stats --json``), else None."""
    if stats.arms is None or not stats.arms.compared or stats.arms.reference is None:
        return None
    details = details_from(stats.arms)
    return ArmComparisonInput(
        reference=stats.arms.reference,
        grouping=details.grouping,
        columns=list(details.comparison.columns),
        rows=[[str(v) for v in row] for row in details.comparison.itertuples(index=False)],
        pfs=details.pfs,
        os=details.os,
        logrank_p=details.logrank_p,
        censors=details.censors,
        unassigned=details.unassigned,
    )


# --- case packet ------------------------------------------------------------------------------------------


def packet_input(session: StudySession, data: StudyData, cases: str, job: _Job | None = None) -> CasePacketInput:
    """The case packet's inputs for ``cases`` (``discordant``, ``all`` or ``ID,ID,...``)."""
    job = job or _Job(None, None)
    job.step(0.02, "adjudication queue")
    central = bool(study_index(data).central_readers)
    queue = discordance_queue(session, data=data) if central else []
    ids = select_cases(data, cases, queue)
    if not ids:
        what = "discordant patients" if cases.strip().lower() == "discordant" else "patients"
        raise ValueError(f"no {what} in this study: nothing to put in a case packet")
    by_id = {item.subject_id: item for item in queue}
    sections = []
    for i, sid in enumerate(ids):
        job.step(0.05 + 0.35 * i / len(ids), f"case {sid}")
        try:
            sections.append(case_section(session, sid, by_id.get(sid), cancelled=job.cancelled))
        except DemoImagesCancelled:  # cancelled while the patient's demo images were drawn for its key images
            raise ReportCancelled(f"case {sid}") from None
    settings = study_block(data)
    selection = cases.strip().lower() if cases.strip().lower() in ("discordant", "all") else ", ".join(ids)
    return CasePacketInput(_provenance(session, data), selection, str(data.settings.criteria), settings, sections)


def study_block(data: StudyData) -> dict[str, Any]:
    """The ``study`` block of ``stats --json`` (every setting, enums as values) without computing statistics."""
    return plain(asdict(data.settings))


# --- the use case -----------------------------------------------------------------------------------------


def _temp_path(out: Path) -> Path:
    return out.with_name(f".{out.name}.{uuid.uuid4().hex[:8]}.part")


def render_report(
    session: StudySession,
    out: str | Path,
    *,
    cases: str | None = None,
    progress: Callable[[float, str], None] | Any = None,
    cancel: Callable[[], bool] | Any = None,
) -> ReportResult:
    """Write the cohort summary (``cases`` None) or the case packet of ``cases`` to ``out``.

    Raises :class:`ReportCancelled` when cancelled (no file left), :class:`UnknownPatients` for ids the study
    does not have, ``ValueError`` for an empty selection and ``BlindingError`` for a blinded reader.
    """
    session.access.require(Capability.SEE_COHORT if cases is None else Capability.SEE_ADJUDICATION)
    started = time.perf_counter()
    job = _Job(progress, cancel)
    target = Path(out)
    job.step(0.0, "reading the study")
    data = session.data()
    if cases is None:
        render = functools.partial(render_cohort_summary, cohort_input(session, data, job))
        kind, ids = "summary", []
    else:
        inp_packet = packet_input(session, data, cases, job)
        render = functools.partial(render_case_packet, inp_packet)
        kind, ids = "packet", [c.subject_id for c in inp_packet.cases]

    def on_page(done: int, total: int) -> None:
        job.step(0.4 + 0.58 * done / max(total, 1), f"page {done + 1} of {total}")

    temp = _temp_path(target)
    try:
        pages = render(temp, on_page=on_page)
        job.step(0.99, "saving")
        os.replace(temp, target)
    finally:
        if temp.exists():
            temp.unlink()
    job.report(1.0, "done")
    return ReportResult(target, pages, time.perf_counter() - started, kind, ids)

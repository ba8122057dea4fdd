"""Cohort statistics for the CLI, the dashboard and the report: one computation, three views."""

from __future__ import annotations

from dataclasses import replace

from hccreview.domain.access import Capability
from hccreview.domain.adjudication_status import AdjudicationCounts
from hccreview.domain.cohort import CohortStats, compute_cohort_stats
from hccreview.domain.records import StudyData
from hccreview.domain.sources import COMPUTED, Source, parse_source, study_index
from hccreview.services.session import StudySession
from hccreview.store.study_data import gc_paused

__all__ = ["CohortStats", "cohort_stats", "cohort_stats_from_data", "format_summary"]


def cohort_stats(session: StudySession, *, source: str | None = None) -> CohortStats:
    """Compute the cohort statistics of the open study from its records (``source`` as in DESIGN §7), with the
    adjudication block when the user may see adjudications: ``counts`` (``domain.adjudication_status``, the
    counts every screen shows) when the study has central readers, and the decisions' discordance reason codes
    (``reason_codes``) when it has decisions (the block is absent otherwise).

    Reads only what the statistics use (``StudyCache.stats_data``: labs, cycles and — but for the ``computed``
    source — lesions and measurements enter through each patient's last contact date, computed in SQL) unless the
    session has the whole study loaded already; the figures are the same either way (tested)."""
    from hccreview.services.adjudication import BlindingError, queue_counts, queue_from_data, reason_code_counts

    session.access.require(Capability.SEE_COHORT)  # they derive from everybody's reads (DESIGN §4b)
    computed = source is not None and parse_source(source)[0] == COMPUTED  # raises ValueError for a bad source
    with gc_paused():  # the derivation makes ~10⁵ lasting objects and no cycles: collector passes cost ~25%
        data = session.cache.stats_data(computed=computed)
        stats = cohort_stats_from_data(data, source=source)
    try:
        codes = reason_code_counts(session)
    except BlindingError:
        return stats
    block: dict[str, object] = {}
    if study_index(data).central_readers:
        block["counts"] = queue_counts(queue_from_data(data, "central")).to_dict()  # the status bar's counts
    if any(codes.values()):
        block["reason_codes"] = codes
    return replace(stats, adjudication=block) if block else stats


def cohort_stats_from_data(data: StudyData, *, source: str | None = None) -> CohortStats:
    """The same, on records already loaded (workers load once and compute off the GUI thread)."""
    return compute_cohort_stats(data, source)


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{100 * rate:.1f}%"


def _months(value: float | None) -> str:
    return "NR" if value is None else f"{value:.1f}"


def format_summary(stats: CohortStats) -> str:
    """A readable plain-text summary of the figures in ``stats.to_dict()``."""
    d = stats.to_dict()
    study, resp = d["study"], d["response"]
    lines = [
        f"{study['title']} — {study['criteria']} (confirmation ≥{study['confirmation_days']} d, "
        f"SD ≥{study['min_sd_days']} d); source: {Source.parse(d['source']).label()}",
        f"Analysed: {d['n_enrolled']} patients",
    ]
    note = str(d.get("provisional_note") or "")
    if note:  # said once: the note itself begins "Provisional: ..."
        lines.append(note if note.lower().startswith("provisional") else f"Provisional: {note}")
    cp = d["baseline"]["child_pugh"]
    lines.append(
        f"Child-Pugh A {cp.get('A', 0)} / B {cp.get('B', 0)} / C {cp.get('C', 0)}; "
        f"extrahepatic disease {d['baseline']['extrahepatic']}"
    )
    counts = ", ".join(f"{k} {v}" for k, v in resp["bor_counts"].items())
    lines.append(f"Best overall response (confirmed): {counts}")
    for key, label in (("orr", "ORR"), ("dcr", "DCR")):
        block = resp[key]
        lo, hi = block["ci95"]
        lines.append(
            f"{label}: {block['n']}/{d['n_enrolled']} = {_pct(block['rate'])} "
            f"(exact 95% CI {_pct(lo)}–{_pct(hi)}, Clopper–Pearson)"
        )
    for key, label in (("pfs", "PFS"), ("os", "OS")):
        block = d[key]
        lo, hi = block["ci95_months"]
        method = block.get("ci_method", "")
        median = "not reached" if block["median_months"] is None else f"{_months(block['median_months'])} months"
        lines.append(
            f"{label}: median {median} "
            f"(95% CI {_months(lo)}–{_months(hi)}{'; ' + method if method else ''}); "
            f"{block['events']} events, {block['censored']} censored"
        )
    adjudication = d.get("adjudication") or {}
    if adjudication.get("counts"):
        lines.append(f"Adjudication: {AdjudicationCounts.from_dict(adjudication['counts']).text}")
    codes = adjudication.get("reason_codes") or {}
    if any(codes.values()):
        lines.append("Decisions by discordance reason code: " + ", ".join(f"{k} {v}" for k, v in codes.items() if v))
    tox = d["toxicity"]
    if tox:
        lines.append("Toxicity (patients by worst grade): term — any / G3 / G4 / G5 / attributable G≥3")
        for row in tox[:15]:
            lines.append(
                f"  {row['term']}: {row['any_grade']} / {row['grade3']} / {row['grade4']} / {row['grade5']} / "
                f"{row['attributable_grade3plus']}"
            )
        if len(tox) > 15:
            lines.append(f"  ... {len(tox) - 15} more terms (use --json)")
    return "\n".join(lines)

"""Cohort statistics for the CLI, the dashboard and the report: one computation, three views."""

from __future__ import annotations

from dataclasses import replace

from hccreview.domain.access import Capability
from hccreview.domain.cohort import CohortStats, compute_cohort_stats
from hccreview.domain.records import StudyData
from hccreview.domain.sources import COMPUTED, parse_source
from hccreview.services.session import StudySession
from hccreview.store.study_data import gc_paused

__all__ = ["CohortStats", "cohort_stats", "cohort_stats_from_data", "format_summary"]


def cohort_stats(session: StudySession, *, source: str | None = None) -> CohortStats:
    """Compute the cohort statistics of the open study from its records (``source`` as in DESIGN §7), with the
    decisions' discordance reason codes (``adjudication.reason_codes``) when the study has decisions and the
    user may see adjudications (the block is absent otherwise, so a study without decisions prints as before).

    Reads only what the statistics use (``StudyCache.stats_data``: labs, cycles and — but for the ``computed``
    source — lesions and measurements enter through each patient's last contact date, computed in SQL) unless the
    session has the whole study loaded already; the figures are the same either way (tested)."""
    from hccreview.services.adjudication import BlindingError, reason_code_counts

    session.access.require(Capability.SEE_COHORT)  # they derive from everybody's reads (DESIGN §4b)
    computed = source is not None and parse_source(source)[0] == COMPUTED  # raises ValueError for a bad source
    with gc_paused():  # the derivation makes ~10⁵ lasting objects and no cycles: collector passes cost ~25%
        stats = cohort_stats_from_data(session.cache.stats_data(computed=computed), source=source)
    try:
        codes = reason_code_counts(session)
    except BlindingError:
        return stats
    return replace(stats, adjudication={"reason_codes": codes}) if any(codes.values()) else stats


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
        f"SD ≥{study['min_sd_days']} d); source: {d['source']}",
        f"Analysed: {d['n_enrolled']} patients",
    ]
    if d.get("provisional_note"):
        lines.append(f"PROVISIONAL: {d['provisional_note']}")
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
        lines.append(
            f"{label}: median {_months(block['median_months'])} months "
            f"(95% CI {_months(lo)}–{_months(hi)}{'; ' + method if method else ''}); "
            f"{block['events']} events, {block['censored']} censored"
        )
    codes = (d.get("adjudication") or {}).get("reason_codes") or {}
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

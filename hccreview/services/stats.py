"""Cohort statistics for the CLI, the dashboard and the report: one computation, three views."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from hccreview.domain.access import Capability
from hccreview.domain.adjudication_status import AdjudicationCounts
from hccreview.domain.arms import arm_analysis
from hccreview.domain.cohort import CohortStats, compute_cohort_stats
from hccreview.domain.ctcae import NO_GRADE, carries_grades
from hccreview.domain.ctcae_labs import LAB_SOURCE
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


def cohort_stats_from_data(data: StudyData, *, source: str | None = None, arms: bool = True) -> CohortStats:
    """The same, on records already loaded (workers load once and compute off the GUI thread); with the
    per-arm figures and comparisons (``domain.arms``, ``stats --json`` ``by_arm``) unless ``arms`` is False."""
    stats = compute_cohort_stats(data, source)
    return replace(stats, arms=arm_analysis(data, stats)) if arms else stats


def _pct(rate: float | None) -> str:
    return "—" if rate is None else f"{100 * rate:.1f}%"


def _months(value: float | None) -> str:
    return "NR" if value is None else f"{value:.1f}"


def _p(value: float | None) -> str:
    return "—" if value is None else ("<0.001" if value < 0.001 else f"{value:.3f}")


def _arm_lines(d: dict[str, Any]) -> list[str]:
    """The per-arm block of the text summary (two or more arms): each arm's n, ORR, PFS / OS medians, then each
    arm against the reference (HR with 95% CI, log-rank p, ORR difference with its CI)."""
    arms = d.get("arms") or {}
    names = arms.get("names") or []
    if len(names) < 2:
        return []
    lines = [f"By arm ({arms['grouping']}):"]
    for name in names:
        arm = d["by_arm"][name]
        orr = arm["response"]["orr"]
        lo, hi = orr["ci95"]
        lines.append(
            f"  {name}: n {arm['n_enrolled']}; ORR {orr['n']}/{arm['n_enrolled']} = {_pct(orr['rate'])} "
            f"(exact 95% CI {_pct(lo)}–{_pct(hi)}); median PFS {_months(arm['pfs']['median_months'])}, "
            f"OS {_months(arm['os']['median_months'])} months"
        )
    by_arm: dict[str, list[dict[str, Any]]] = {}
    for c in d.get("comparisons") or []:
        by_arm.setdefault(c["arm"], []).append(c)
    for name, rows in by_arm.items():
        lines.append(f"  {name} vs {rows[0]['reference']}:")
        for c in rows:
            lo, hi = c["hr_ci"]
            hr = f"not estimable ({c['hr_note'].removeprefix('not estimable: ')})" if c["hr"] is None else (
                f"{c['hr']:.2f} (95% CI {_ratio(lo)}–{_ratio(hi)})")  # fmt: skip
            lines.append(f"    {c['endpoint'].upper()}: hazard ratio {hr}; log-rank p {_p(c['logrank_p'])}")
        lo, hi = rows[0]["orr_difference_ci"]
        lines.append(f"    ORR difference {100 * rows[0]['orr_difference']:+.1f} points "
                     f"(95% CI {100 * lo:+.1f} to {100 * hi:+.1f}; Newcombe hybrid score)")  # fmt: skip
    return lines


def _ratio(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


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
    has = d.get("collected") or {}  # absent (an older result): every field counts as collected
    baseline = [f"Child-Pugh A {cp.get('A', 0)} / B {cp.get('B', 0)} / C {cp.get('C', 0)}"] if has.get(
        "child_pugh", True) else []  # fmt: skip
    if has.get("extrahepatic", True):
        baseline.append(f"extrahepatic disease {d['baseline']['extrahepatic']}")
    if baseline:  # a study collecting neither gets no line of zeros (issue 23)
        text = "; ".join(baseline)
        lines.append(text[:1].upper() + text[1:])
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
    lines += _arm_lines(d)
    adjudication = d.get("adjudication") or {}
    if adjudication.get("counts"):
        lines.append(f"Adjudication: {AdjudicationCounts.from_dict(adjudication['counts']).text}")
    codes = adjudication.get("reason_codes") or {}
    if any(codes.values()):
        lines.append("Decisions by discordance reason code: " + ", ".join(f"{k} {v}" for k, v in codes.items() if v))
    tox = d["toxicity"]
    if tox and not carries_grades(tox):
        lines.append(f"{NO_GRADE}.")
        lines.append("Toxicity (patients by worst severity): term — any / mild / moderate / severe")
        for row in tox[:15]:
            lines.append(f"  {row['term']}: {row['any_grade']} / {row.get('mild', 0)} / {row.get('moderate', 0)} / "
                         f"{row.get('severe', 0)}")  # fmt: skip
    elif tox:
        lines.append("Toxicity (patients by worst grade): term — any / G3 / G4 / G5 / attributable G≥3")
        for row in tox[:15]:
            lines.append(
                f"  {row['term']}: {row['any_grade']} / {row['grade3']} / {row['grade4']} / {row['grade5']} / "
                f"{row['attributable_grade3plus']}"
            )
        if len(tox) > 15:
            lines.append(f"  ... {len(tox) - 15} more terms (use --json)")
    labs = d.get("lab_toxicity") or []
    if labs:  # beside the reported AEs, never merged with them (issue 23)
        lines.append(f"Laboratory toxicity — {LAB_SOURCE}, patients by worst post-baseline grade: "
                     "term — tested / any / G3 / G4")  # fmt: skip
        lines += [f"  {r['term']}: {r['n_tested']} / {r['any_grade']} / {r['grade3']} / {r['grade4']}" for r in labs]
    return "\n".join(lines)

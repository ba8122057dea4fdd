"""The dashboard's and the PDF's view of the study's arms (issue 23): the comparison table and the curves per arm.

Everything comes from :func:`hccreview.domain.arms.arm_analysis` — the per-arm figures are the cohort computation on
each arm's patients and the comparisons are the ``stats --json`` ``comparisons`` — so a figure here equals the
same figure there. :class:`ArmDetails` is small (frames and KM summaries, no per-patient lists): it crosses the
statistics process's pipe with the dashboard's details.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from hccreview.domain.arms import COMPARED, GROUPING, ArmAnalysis, ArmComparison, arm_analysis
from hccreview.domain.cohort import CohortStats, endpoint_results
from hccreview.domain.records import StudyData
from hccreview.domain.survival import KMResult, logrank

__all__ = ["COMPARISON_COLUMNS", "ArmDetails", "arm_details", "comparison_frame", "comparison_rows"]

COMPARISON_COLUMNS = ["Endpoint", "Arm", "n", "Estimate (95% CI)", "vs reference (95% CI)", "Log-rank p"]
ENDPOINT_LABELS = {"pfs": "PFS", "os": "OS"}


@dataclass(frozen=True)
class ArmDetails:
    """The arms of a study as screens show them: names (reference first), the comparison table (two or more arms),
    PFS / OS curves per arm and the log-rank p across all arms per endpoint (the per-arm plots' titles)."""

    names: tuple[str, ...]
    reference: str | None
    comparison: pd.DataFrame
    pfs: dict[str, KMResult] = field(default_factory=dict)
    os: dict[str, KMResult] = field(default_factory=dict)
    logrank_p: dict[str, float | None] = field(default_factory=dict)
    censors: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    unassigned: int = 0
    grouping: str = GROUPING

    @property
    def compared(self) -> bool:
        """Two or more arms."""
        return len(self.names) >= 2

    def curves(self, endpoint: str) -> dict[str, KMResult]:
        """``pfs`` or ``os`` per arm."""
        return dict(getattr(self, endpoint))


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def _mo(x: float | None) -> str:
    return "NR" if x is None else f"{x:.1f}"


def p_text(p: float | None) -> str:
    """A p value as tables print it: three decimals, "<0.001" below, "—" when there is none."""
    return "—" if p is None else ("<0.001" if p < 0.001 else f"{p:.3f}")


def _median(km: KMResult) -> str:
    lo, hi = km.ci95_months
    unit = "" if km.median_months is None else " mo"
    return f"{_mo(km.median_months)}{unit} ({_mo(lo)}–{_mo(hi)})"


def _hr(c: ArmComparison) -> str:
    if c.hr.hr is None:
        return "not estimable"  # why: ``hr_note`` in stats --json, the table's tooltip
    lo, hi = c.hr.ci95
    return f"HR {c.hr.hr:.2f} ({lo:.2f}–{hi:.2f})"


def comparison_rows(analysis: ArmAnalysis) -> list[list[str]]:
    """The comparison table's rows (:data:`COMPARISON_COLUMNS`): per endpoint each arm's median, the HR against the
    reference and the log-rank p; then each arm's ORR (exact CI) and its difference from the reference (Newcombe).
    Empty with fewer than two arms."""
    if not analysis.compared or analysis.reference is None:
        return []
    ref = analysis.reference
    found = {(c.arm, c.endpoint): c for c in analysis.comparisons}
    rows: list[list[str]] = []
    for endpoint in COMPARED:
        label = ENDPOINT_LABELS[endpoint]
        for name in analysis.names:
            km: KMResult = getattr(analysis.by_arm[name], endpoint)
            c = found.get((name, endpoint))
            versus = "reference" if name == ref else (_hr(c) if c else "—")
            p = "" if name == ref else p_text(c.logrank_p if c else None)
            events = f"{km.n} ({km.events} event{'' if km.events == 1 else 's'})"
            rows.append([f"{label} median", name, events, _median(km), versus, p])
    for name in analysis.names:
        orr = analysis.by_arm[name].orr
        estimate = f"{_pct(orr.rate)} ({_pct(orr.ci95[0])}–{_pct(orr.ci95[1])})"
        c = found.get((name, COMPARED[0]))
        if name == ref or c is None:
            versus = "reference" if name == ref else "—"
        else:
            lo, hi = c.orr_difference_ci
            versus = f"{100 * c.orr_difference:+.1f} pts ({100 * lo:+.1f} to {100 * hi:+.1f})"
        rows.append(["ORR", name, f"{orr.n}/{orr.denominator}", estimate, versus, ""])
    return rows


def comparison_frame(analysis: ArmAnalysis) -> pd.DataFrame:
    """:func:`comparison_rows` as a frame for ``ui.models.dataframe_model.DataFrameModel`` and CSV export."""
    return pd.DataFrame(comparison_rows(analysis), columns=COMPARISON_COLUMNS)


def _across_arms(by_arm: dict[str, CohortStats], endpoint: str) -> float | None:
    groups: dict[str, Any] = {}
    for name, stats in by_arm.items():
        results = endpoint_results(stats.subjects, endpoint)
        groups[name] = ([r.days for r in results], [r.event for r in results])
    test = logrank(groups)
    return None if test is None else test.p_value


def details_from(analysis: ArmAnalysis) -> ArmDetails:
    """:class:`ArmDetails` of an :class:`ArmAnalysis` (curves labelled by arm name)."""
    from dataclasses import replace

    curves = {e: {n: replace(getattr(analysis.by_arm[n], e), label=n) for n in analysis.names} for e in COMPARED}
    censors = {e: {n: list(km.censor_months or ()) for n, km in curves[e].items()} for e in COMPARED}
    return ArmDetails(
        names=analysis.names,
        reference=analysis.reference,
        comparison=comparison_frame(analysis),
        pfs=curves["pfs"],
        os=curves["os"],
        logrank_p={e: _across_arms(analysis.by_arm, e) for e in COMPARED} if analysis.compared else {},
        censors=censors,
        unassigned=len(analysis.unassigned),
    )


def arm_details(data: StudyData, overall: CohortStats) -> ArmDetails:
    """The arms of ``data`` (``overall`` = its cohort figures under the source shown) as screens show them."""
    return details_from(arm_analysis(data, overall))

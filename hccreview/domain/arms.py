"""The study's treatment arms: a first-class grouping of the cohort figures, and each arm against the reference.

Rules (issue 23; each a fact of the records, never of the study's title):

- **Arm of a subject**: ``Subject.arm``, the treatment actually received — SDTM DM ``ACTARM`` (``ARM`` only where a
  delivery has no ``ACTARM``, :mod:`hccreview.io.sdtm_subjects`), the CSV bundle's ``arm`` column. One arm per
  subject: the study file keeps the actual one, so every arm figure is *as treated*. ICH E9 §6.3 sums up safety
  over the subjects who received at least one dose, by the treatment received; for efficacy ICH E9 §5.2.1 prefers
  the randomised arm (intention to treat). The two groupings differ only for subjects treated otherwise than
  randomised — the SDTM import notes how many (12 of 254 in the pharmaverse ``onco`` delivery) — and the
  analysis population is already the treated one (screen failures and the never-treated are out: DESIGN §4).
  :data:`GROUPING` says this wherever the figures are printed.
- **Arms of the study**: the distinct non-blank arms of the analysed subjects (the cohort's analysis population:
  not a screen failure, with an origin). An analysed subject without an arm (``ACTARM`` blank or "not treated")
  counts in the overall figures only and is listed as ``unassigned``.
- **Reference arm**: the first arm whose name says placebo or control (case-insensitive), else the first by name.
  Order: the reference first, then the others by name.
- **Per-arm figures**: :func:`~hccreview.domain.cohort.compute_cohort_stats` on the arm's subjects — the very
  computation of the overall figures (ORR / DCR with exact CIs, KM PFS / OS / DoR, toxicity...), never a second one.
- **Comparison** (two or more arms), each other arm against the reference, for PFS and OS over each endpoint's
  population (:func:`~hccreview.domain.cohort_results.endpoint_results`):

  - log-rank p: :func:`~hccreview.domain.survival.logrank` on the two arms (lifelines' test, tested equal to
    ``lifelines.statistics.logrank_test``);
  - hazard ratio (arm / reference) with its 95% Wald CI: ``lifelines.CoxPHFitter`` on one covariate, the arm
    indicator (1 = the arm, 0 = the reference; Efron ties, lifelines' default). **Not estimable** (None, with the
    reason) when either arm has no event, or when the fit gives no finite CI (every event of one arm before any
    of the other's: monotone likelihood) — the partial likelihood then has no finite maximum;
  - ORR difference (arm − reference) with its 95% CI by Newcombe's hybrid score method (Newcombe 1998, Stat Med
    17:873, method 10: from the two Wilson intervals), ``statsmodels`` ``confint_proportions_2indep(method=
    "newcomb", compare="diff")``.

No Qt, no SQL.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from hccreview.domain.cohort import RESPONDER, CohortStats, compute_cohort_stats, endpoint_results
from hccreview.domain.plain_json import plain
from hccreview.domain.records import StudyData, Subject
from hccreview.domain.survival import logrank

#: How subjects are grouped into arms (printed with the figures: methods text of ``stats --json``, dashboard, PDF).
GROUPING = (
    "as treated: the arm actually received (SDTM DM ACTARM; ARM where a delivery has no ACTARM), ICH E9 §6.3; "
    "screen failures and subjects never treated are outside the analysis population"
)
HR_METHOD = "Cox proportional hazards, arm indicator only (lifelines CoxPHFitter, Efron ties), 95% Wald CI"
LOGRANK_METHOD = "log-rank, two arms (lifelines logrank_test)"
DIFFERENCE_METHOD = (
    "Newcombe hybrid score (Newcombe 1998, method 10), statsmodels confint_proportions_2indep(method='newcomb')"
)
#: Endpoints compared between arms.
COMPARED = ("pfs", "os")
_REFERENCE = re.compile(r"placebo|control", re.IGNORECASE)


@dataclass(frozen=True)
class HazardRatio:
    """Cox hazard ratio of an arm against the reference with its 95% CI; ``hr`` None with ``note`` saying why."""

    hr: float | None
    ci95: tuple[float | None, float | None]
    note: str | None = None


@dataclass(frozen=True)
class ArmComparison:
    """One arm against the reference on one endpoint (``comparisons[]`` of ``stats --json``)."""

    arm: str
    reference: str
    endpoint: str
    n: int
    n_reference: int
    events: int
    events_reference: int
    median_months: float | None
    median_months_reference: float | None
    logrank_p: float | None
    hr: HazardRatio
    orr: float
    orr_reference: float
    orr_difference: float
    orr_difference_ci: tuple[float, float]

    def to_dict(self) -> dict[str, object]:
        """The brief's shape ``{arm, reference, endpoint, logrank_p, hr, hr_ci, orr_difference,
        orr_difference_ci}`` plus the counts and medians behind them and the methods."""
        return plain(
            {
                "arm": self.arm,
                "reference": self.reference,
                "endpoint": self.endpoint,
                "n": self.n,
                "n_reference": self.n_reference,
                "events": self.events,
                "events_reference": self.events_reference,
                "median_months": self.median_months,
                "median_months_reference": self.median_months_reference,
                "logrank_p": self.logrank_p,
                "logrank_method": LOGRANK_METHOD,
                "hr": self.hr.hr,
                "hr_ci": list(self.hr.ci95),
                "hr_note": self.hr.note,
                "hr_method": HR_METHOD,
                "orr": self.orr,
                "orr_reference": self.orr_reference,
                "orr_difference": self.orr_difference,
                "orr_difference_ci": list(self.orr_difference_ci),
                "orr_difference_method": DIFFERENCE_METHOD,
            }
        )


@dataclass(frozen=True)
class ArmAnalysis:
    """The arms of a study, each arm's cohort figures and the comparisons with the reference."""

    names: tuple[str, ...]
    reference: str | None
    by_arm: dict[str, CohortStats]
    comparisons: list[ArmComparison] = field(default_factory=list)
    unassigned: tuple[str, ...] = ()
    screen_failures: int = 0

    @property
    def compared(self) -> bool:
        """Two or more arms: the figures come with a comparison."""
        return len(self.names) >= 2

    def arms_block(self) -> dict[str, object]:
        """``stats --json`` ``arms``: names in order, the reference, the grouping rule and who is in no arm."""
        return {
            "names": list(self.names),
            "reference": self.reference,
            "grouping": GROUPING,
            "population": "per arm: the analysis population (not a screen failure, with an origin) in that arm",
            "n": {name: self.by_arm[name].n_enrolled for name in self.names},
            "unassigned": list(self.unassigned),
            "screen_failures": self.screen_failures,
        }

    def by_arm_block(self) -> dict[str, dict[str, Any]]:
        """``stats --json`` ``by_arm``: per arm the overall object's figures (:func:`arm_figures`)."""
        return {name: arm_figures(self.by_arm[name]) for name in self.names}


#: The keys of the overall ``stats --json`` object repeated per arm in ``by_arm`` (same meaning, the arm's subjects).
ARM_KEYS = ("n_enrolled", "n_screened", "provisional", "pending", "baseline", "response", "pfs", "os", "dor",
            "toxicity", "lab_toxicity")  # fmt: skip


def arm_figures(stats: CohortStats) -> dict[str, Any]:
    """One arm's block of ``by_arm``: the :data:`ARM_KEYS` of its ``to_dict()`` and its subjects' ids."""
    full = stats.to_dict()
    return {**{k: full[k] for k in ARM_KEYS if k in full}, "subject_ids": [s["id"] for s in full["subjects"]]}


def arm_of(subject: Subject) -> str:
    """The subject's arm name (blank-stripped; "" when it has none)."""
    return subject.arm.strip()


def reference_arm(names: Sequence[str]) -> str | None:
    """The first arm whose name says placebo or control, else the first by name; None without arms."""
    return next((n for n in names if _REFERENCE.search(n)), min(names) if names else None)


def study_arms(subjects: Iterable[Subject], analysed: Iterable[str] | None = None) -> tuple[str, ...]:
    """The arms of the (analysed) subjects, reference first, then by name (module docstring)."""
    keep = None if analysed is None else set(analysed)
    names = sorted(
        {arm_of(s) for s in subjects if arm_of(s) and not s.screen_failure and (keep is None or s.subject_id in keep)}
    )
    ref = reference_arm(names)
    return tuple([ref, *(n for n in names if n != ref)] if ref is not None else names)


def arm_data(data: StudyData, arm: str) -> StudyData:
    """``data`` with only the subjects of ``arm`` (every other table shared: the memos keep their hits)."""
    return dataclasses.replace(data, subjects=tuple(s for s in data.subjects if arm_of(s) == arm))


def arm_analysis(data: StudyData, overall: CohortStats) -> ArmAnalysis:
    """The arms of ``data``, each arm's :func:`compute_cohort_stats` under the source of ``overall`` (the
    study's figures), and — with two or more arms — each other arm against the reference on PFS and OS."""
    analysed = [o.subject_id for o in overall.subjects]
    names = study_arms(data.subjects, analysed)
    arm_by_id = {s.subject_id: arm_of(s) for s in data.subjects}
    by_arm = {name: _arm_stats(data, name, overall) for name in names}
    ref = names[0] if len(names) >= 2 else None
    comparisons = (
        [] if ref is None else [compare(by_arm[a], by_arm[ref], a, ref, e) for a in names[1:] for e in COMPARED]
    )
    return ArmAnalysis(
        names=names,
        reference=ref,
        by_arm=by_arm,
        comparisons=comparisons,
        unassigned=tuple(sid for sid in analysed if not arm_by_id.get(sid)),
        screen_failures=sum(s.screen_failure for s in data.subjects),
    )


def _arm_stats(data: StudyData, arm: str, overall: CohortStats) -> CohortStats:
    """:func:`compute_cohort_stats` on the arm's subjects; ``overall`` itself when the arm holds every subject
    record (one arm: the same computation on the same records, not done twice)."""
    mine = arm_data(data, arm)
    return overall if len(mine.subjects) == len(data.subjects) else compute_cohort_stats(mine, overall.source)


def compare(arm: CohortStats, reference: CohortStats, name: str, ref: str, endpoint: str) -> ArmComparison:
    """``arm`` against ``reference`` on ``endpoint`` ("pfs" / "os"): log-rank p, Cox HR, ORR difference."""
    a = endpoint_results(arm.subjects, endpoint)
    r = endpoint_results(reference.subjects, endpoint)
    test = logrank(
        {name: ([x.days for x in a], [x.event for x in a]), ref: ([x.days for x in r], [x.event for x in r])}
    )
    km_a, km_r = getattr(arm, endpoint), getattr(reference, endpoint)
    k_a = sum(o.bor in RESPONDER for o in arm.subjects)
    k_r = sum(o.bor in RESPONDER for o in reference.subjects)
    diff, ci = orr_difference(k_a, arm.n_enrolled, k_r, reference.n_enrolled)
    return ArmComparison(
        arm=name,
        reference=ref,
        endpoint=endpoint,
        n=len(a),
        n_reference=len(r),
        events=sum(x.event for x in a),
        events_reference=sum(x.event for x in r),
        median_months=km_a.median_months,
        median_months_reference=km_r.median_months,
        logrank_p=test.p_value if test is not None else None,
        hr=hazard_ratio(tuple((x.days, x.event) for x in a), tuple((x.days, x.event) for x in r)),
        orr=arm.orr.rate,
        orr_reference=reference.orr.rate,
        orr_difference=diff,
        orr_difference_ci=ci,
    )


def orr_difference(k: int, n: int, k_ref: int, n_ref: int) -> tuple[float, tuple[float, float]]:
    """``k/n − k_ref/n_ref`` with Newcombe's hybrid score 95% CI (module docstring); with an empty arm the
    difference is 0.0 and the CI the uninformative [−1, 1]."""
    if n <= 0 or n_ref <= 0:
        return 0.0, (-1.0, 1.0)
    from statsmodels.stats.proportion import confint_proportions_2indep

    low, high = confint_proportions_2indep(k, n, k_ref, n_ref, method="newcomb", compare="diff")
    return k / n - k_ref / n_ref, (float(low), float(high))


@functools.lru_cache(maxsize=256)
def hazard_ratio(arm: tuple[tuple[int, bool], ...], reference: tuple[tuple[int, bool], ...]) -> HazardRatio:
    """Cox HR of ``arm`` against ``reference`` ((days, event) per subject) with its 95% CI; not estimable when
    either has no event (module docstring). Memoised: a dashboard recompute asks for the same fits again."""
    if not arm or not reference:
        return HazardRatio(None, (None, None), "not estimable: an arm has no subject in this analysis")
    if not any(e for _, e in arm) or not any(e for _, e in reference):
        return HazardRatio(None, (None, None), "not estimable: an arm has no event")
    import warnings

    import numpy as np
    import pandas as pd
    from lifelines import CoxPHFitter

    frame = pd.DataFrame(
        {
            "days": [float(d) for d, _ in (*arm, *reference)],
            "event": [bool(e) for _, e in (*arm, *reference)],
            "arm": [1.0] * len(arm) + [0.0] * len(reference),
        }
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # lifelines warns on convergence; a non-finite result is reported below
        try:
            fit = CoxPHFitter().fit(frame, duration_col="days", event_col="event")
        except Exception as exc:  # lifelines raises ConvergenceError (and others) on degenerate data
            return HazardRatio(None, (None, None), f"not estimable: {exc}".split("\n")[0])
    summary = fit.summary.loc["arm"]
    values = [float(summary["exp(coef)"]), float(summary["exp(coef) lower 95%"]), float(summary["exp(coef) upper 95%"])]
    if not all(np.isfinite(values)):
        return HazardRatio(None, (None, None), "not estimable: no finite Cox estimate (monotone likelihood)")
    return HazardRatio(values[0], (values[1], values[2]))


__all__ = [
    "COMPARED",
    "DIFFERENCE_METHOD",
    "GROUPING",
    "HR_METHOD",
    "LOGRANK_METHOD",
    "ArmAnalysis",
    "ArmComparison",
    "HazardRatio",
    "arm_analysis",
    "arm_data",
    "arm_figures",
    "arm_of",
    "compare",
    "hazard_ratio",
    "orr_difference",
    "reference_arm",
    "study_arms",
]

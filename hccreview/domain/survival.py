"""Kaplan–Meier estimates and the log-rank test via lifelines, returned as plain, JSON-ready results.

- Estimator: ``lifelines.KaplanMeierFitter`` on months (days / 30.4375).
- Median: the first time the estimate drops to ≤ 0.5 (lifelines' ``median_survival_time_``); ``None`` when
  not reached. Note R's ``survfit`` takes the midpoint of a plateau lying exactly at 0.5, lifelines does not.
- 95% CI of the median: ``lifelines.utils.median_survival_times(kmf.confidence_interval_)``. lifelines'
  pointwise interval is the log(-log) ("exponential Greenwood") transform; R's ``survfit`` defaults to
  ``conf.type = "log"`` and SAS PROC LIFETEST to log-log, so CIs of the same median differ between tools —
  :data:`CI_METHOD` names the one used wherever a median is shown (DESIGN §4).
- Risk table: at time *t*, **at risk = subjects whose duration ≥ t** (still under observation just before
  *t*), events / censored = cumulative counts with duration ≤ t. Computed from ``kmf.event_table`` (lifelines
  issues #1383 / #1316 discuss at-risk counts that look one tick off against SAS when read off the wrong row).
- Log-rank: ``lifelines.statistics.multivariate_logrank_test`` across ≥ 2 groups.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np

from hccreview.domain.endpoints import MONTH_DAYS

CI_METHOD = "log(-log) (exponential Greenwood), lifelines default"
LOGRANK_TEST_NAME = "log-rank (lifelines multivariate_logrank_test)"
RISK_TABLE_STEP_MONTHS = 3.0


class RiskRow(NamedTuple):
    """One column of the number-at-risk table under a KM curve."""

    time_months: float
    at_risk: int
    events_cumulative: int
    censored_cumulative: int


class CurvePoint(NamedTuple):
    """One step of the KM curve with its pointwise 95% band (None where lifelines gives no value)."""

    time: float
    survival: float
    lower: float | None
    upper: float | None


def _finite(value: object) -> float | None:
    """A plain float, or None for NaN / ±inf / None."""
    if value is None:
        return None
    out = float(value)  # type: ignore[arg-type]
    return out if math.isfinite(out) else None


@dataclass(frozen=True)
class KMResult:
    """A Kaplan–Meier summary in months: counts, median with 95% CI, risk table and curve points."""

    label: str
    n: int
    events: int
    censored: int
    median_months: float | None
    ci95_months: tuple[float | None, float | None]
    ci_method: str = CI_METHOD
    risk_table: list[RiskRow] = field(default_factory=list)
    curve: list[CurvePoint] = field(default_factory=list)

    def to_dict(self, include_curve: bool = True) -> dict[str, object]:
        """JSON-ready form; ``include_curve=False`` leaves out the (possibly long) curve points."""
        out: dict[str, object] = {
            "label": self.label,
            "n": self.n,
            "events": self.events,
            "censored": self.censored,
            "median_months": self.median_months,
            "ci95_months": [self.ci95_months[0], self.ci95_months[1]],
            "ci_method": self.ci_method,
            "risk_table": [
                {
                    "time_months": r.time_months,
                    "at_risk": r.at_risk,
                    "events_cumulative": r.events_cumulative,
                    "censored_cumulative": r.censored_cumulative,
                }
                for r in self.risk_table
            ],
        }
        if include_curve:
            out["curve"] = [
                {"time": p.time, "survival": p.survival, "lower": p.lower, "upper": p.upper} for p in self.curve
            ]
        return out


def default_risk_times(max_months: float, step: float = RISK_TABLE_STEP_MONTHS) -> list[float]:
    """0, step, 2·step, … up to and including the largest multiple ≤ ``max_months``."""
    if max_months < 0 or not math.isfinite(max_months):
        return [0.0]
    count = math.floor(max_months / step + 1e-9)
    return [float(i * step) for i in range(count + 1)]


def risk_table_from_event_table(event_table: object, times: Sequence[float]) -> list[RiskRow]:
    """Risk-table rows at ``times`` from a lifelines ``event_table`` (columns removed, observed, censored).

    at risk(t) = Σ removed over event-table times ≥ t; events(t) / censored(t) = Σ observed / censored over
    times ≤ t.
    """
    index = np.asarray(event_table.index, dtype=float)  # type: ignore[attr-defined]
    removed = np.asarray(event_table["removed"], dtype=np.int64)  # type: ignore[index]
    observed = np.asarray(event_table["observed"], dtype=np.int64)  # type: ignore[index]
    censored = np.asarray(event_table["censored"], dtype=np.int64)  # type: ignore[index]
    # cumulative sums in time order; searchsorted gives the split points
    removed_after = np.concatenate([np.cumsum(removed[::-1])[::-1], [0]])
    cum_obs = np.concatenate([[0], np.cumsum(observed)])
    cum_cens = np.concatenate([[0], np.cumsum(censored)])
    rows = []
    for t in times:
        first_ge = int(np.searchsorted(index, t, side="left"))
        n_le = int(np.searchsorted(index, t, side="right"))
        rows.append(RiskRow(float(t), int(removed_after[first_ge]), int(cum_obs[n_le]), int(cum_cens[n_le])))
    return rows


def kaplan_meier(
    durations_days: Sequence[float],
    events: Sequence[bool],
    label: str = "",
    times_months: Sequence[float] | None = None,
) -> KMResult:
    """Fit a KM curve on ``durations_days`` (converted to months) and summarise it.

    ``times_months`` are the risk-table times (default: every 3 months from 0 to the longest follow-up).
    An empty input gives n = 0, no median and an empty table.
    """
    if len(durations_days) != len(events):
        raise ValueError("durations and events differ in length")
    n = len(durations_days)
    n_events = int(sum(bool(e) for e in events))
    if n == 0:
        return KMResult(label, 0, 0, 0, None, (None, None))

    from lifelines import KaplanMeierFitter
    from lifelines.utils import median_survival_times

    months = np.asarray(durations_days, dtype=float) / MONTH_DAYS
    observed = np.asarray([bool(e) for e in events], dtype=bool)
    kmf = KaplanMeierFitter(label=label or "KM_estimate")
    kmf.fit(months, event_observed=observed)

    median = _finite(kmf.median_survival_time_)
    ci = median_survival_times(kmf.confidence_interval_)
    lower = _finite(ci.iloc[0, 0])
    upper = _finite(ci.iloc[0, 1])

    times = list(times_months) if times_months is not None else default_risk_times(float(months.max()))
    risk = risk_table_from_event_table(kmf.event_table, times)

    sf = kmf.survival_function_.iloc[:, 0]
    band = kmf.confidence_interval_
    curve = [
        CurvePoint(float(t), float(s), _finite(lo), _finite(hi))
        for t, s, lo, hi in zip(
            sf.index.to_numpy(dtype=float),
            sf.to_numpy(dtype=float),
            band.iloc[:, 0].to_numpy(dtype=float),
            band.iloc[:, 1].to_numpy(dtype=float),
            strict=True,
        )
    ]
    return KMResult(label, n, n_events, n - n_events, median, (lower, upper), CI_METHOD, risk, curve)


@dataclass(frozen=True)
class LogRankResult:
    """Result of a log-rank test across groups."""

    p_value: float | None
    statistic: float | None
    df: int
    test_name: str = LOGRANK_TEST_NAME
    groups: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """JSON-ready form."""
        return {
            "p_value": self.p_value,
            "statistic": self.statistic,
            "df": self.df,
            "test_name": self.test_name,
            "groups": list(self.groups),
        }


def logrank(groups: Mapping[str, tuple[Sequence[float], Sequence[bool]]]) -> LogRankResult | None:
    """Log-rank test across ``groups`` (label → (durations, events)); None with fewer than 2 non-empty
    groups. Durations may be in any unit (the test uses ranks only)."""
    used = {k: v for k, v in groups.items() if len(v[0]) > 0}
    if len(used) < 2:
        return None
    from lifelines.statistics import multivariate_logrank_test

    durations: list[float] = []
    labels: list[str] = []
    observed: list[bool] = []
    for name, (d, e) in used.items():
        if len(d) != len(e):
            raise ValueError(f"group {name!r}: durations and events differ in length")
        durations.extend(float(x) for x in d)
        observed.extend(bool(x) for x in e)
        labels.extend([name] * len(d))
    result = multivariate_logrank_test(durations, labels, observed)
    return LogRankResult(
        _finite(result.p_value),
        _finite(result.test_statistic),
        int(result.degrees_of_freedom),
        LOGRANK_TEST_NAME,
        tuple(used),
    )

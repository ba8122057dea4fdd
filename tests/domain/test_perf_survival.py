"""The numpy Kaplan–Meier and log-rank (domain.survival) against lifelines, the reference they replace."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hccreview.domain.survival import (
    Z_95,
    kaplan_meier,
    kaplan_meier_lifelines,
    logrank,
    logrank_lifelines,
)


def _cases() -> list[tuple[list[float], list[bool]]]:
    rng = np.random.default_rng(20261125)
    cases: list[tuple[list[float], list[bool]]] = [
        ([10.0], [True]),
        ([10.0], [False]),
        ([0.0, 0.0, 5.0], [True, False, True]),  # durations of 0 (birth and first time coincide)
        ([30.0] * 6, [True, True, False, True, False, True]),  # all tied
        ([5.0, 8.0, 12.0, 20.0], [False] * 4),  # all censored: no median
        ([5.0, 8.0, 12.0, 20.0], [True] * 4),  # every subject has the event: S reaches 0
        ([3.0, 6.0, 6.0, 9.0, 12.0, 12.0], [True, True, False, True, False, True]),  # S = 0.5 exactly at a step
    ]
    for trial in range(120):
        n = int(rng.integers(2, 90))
        durations = rng.integers(0, 500, n).astype(float) if trial % 2 else np.round(rng.exponential(150, n), 1)
        events = rng.random(n) < rng.uniform(0.1, 0.95)
        cases.append((durations.tolist(), events.tolist()))
    return cases


@pytest.mark.parametrize(("durations", "events"), _cases())
def test_kaplan_meier_equals_lifelines(durations: list[float], events: list[bool]) -> None:
    ours = kaplan_meier(durations, events, label="PFS")
    reference = kaplan_meier_lifelines(durations, events, label="PFS")
    assert ours == reference  # medians, CIs, risk table and every curve point, bit for bit


def test_kaplan_meier_with_given_risk_times_and_empty_input() -> None:
    durations, events = [30.0, 61.0, 95.0, 200.0, 400.0], [True, False, True, True, False]
    times = [0.0, 1.0, 2.5, 7.0, 20.0]
    assert kaplan_meier(durations, events, times_months=times) == kaplan_meier_lifelines(
        durations, events, times_months=times
    )
    empty = kaplan_meier([], [])
    assert (empty.n, empty.median_months, empty.risk_table) == (0, None, [])
    with pytest.raises(ValueError, match="differ in length"):
        kaplan_meier([1.0], [])


def test_z_is_the_normal_quantile_lifelines_uses() -> None:
    from scipy.stats import norm

    assert float(norm.ppf(0.975)) == Z_95


def test_logrank_equals_lifelines() -> None:
    rng = np.random.default_rng(7)
    for _ in range(60):
        groups = {}
        for name in rng.choice(["A", "B", "C"], size=int(rng.integers(2, 4)), replace=False):
            n = int(rng.integers(1, 40))
            groups[str(name)] = (rng.integers(0, 300, n).astype(float).tolist(), (rng.random(n) < 0.6).tolist())
        ours, reference = logrank(groups), logrank_lifelines(groups)
        assert ours is not None and reference is not None
        assert (ours.df, ours.groups, ours.test_name) == (reference.df, reference.groups, reference.test_name)
        for a, b in ((ours.statistic, reference.statistic), (ours.p_value, reference.p_value)):
            assert (a is None and b is None) or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)  # type: ignore[arg-type]


def test_logrank_needs_two_non_empty_groups() -> None:
    assert logrank({"A": ([1.0, 2.0], [True, False]), "B": ([], [])}) is None
    assert logrank_lifelines({"A": ([1.0, 2.0], [True, False])}) is None

"""Kaplan–Meier summaries and log-rank against lifelines itself and hand counts (DESIGN §4)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lifelines import KaplanMeierFitter
from lifelines.statistics import multivariate_logrank_test
from lifelines.utils import median_survival_times

from hccreview.domain.survival import (
    CI_METHOD,
    default_risk_times,
    kaplan_meier,
    logrank,
    risk_table_from_event_table,
)

M = 30.4375
# durations in days and events: a small cohort with ties, a censoring at an event time, and day 0
DAYS = [0, 30, 61, 61, 91, 110, 150, 183, 183, 240, 300, 400, 1000]
EVENTS = [False, True, True, False, True, True, False, True, True, False, True, False, False]


def _lifelines(days: list[float], events: list[bool]) -> KaplanMeierFitter:
    return KaplanMeierFitter().fit(np.asarray(days, dtype=float) / M, event_observed=events)


# a larger cohort whose median CI has both bounds finite
DAYS_30 = [15 * i + 7 for i in range(1, 31)]
EVENTS_30 = [i % 4 != 0 for i in range(1, 31)]


@pytest.mark.parametrize(("days", "events"), [(DAYS, EVENTS), (DAYS_30, EVENTS_30)])
def test_median_and_ci_equal_lifelines(days: list[int], events: list[bool]) -> None:
    km = kaplan_meier(days, events, label="PFS")
    kmf = _lifelines(days, events)
    ci = median_survival_times(kmf.confidence_interval_)
    assert km.median_months == pytest.approx(float(kmf.median_survival_time_))
    assert km.ci95_months[0] == pytest.approx(float(ci.iloc[0, 0]))
    upper = float(ci.iloc[0, 1])
    assert (km.ci95_months[1] is None) == (not np.isfinite(upper))
    if np.isfinite(upper):
        assert km.ci95_months[1] == pytest.approx(upper)
    assert km.ci_method == CI_METHOD and "log(-log)" in km.ci_method
    assert (km.n, km.events, km.censored) == (len(days), sum(events), len(days) - sum(events))


def test_median_ci_values_pinned() -> None:
    km = kaplan_meier(DAYS_30, EVENTS_30)
    assert km.median_months == pytest.approx(9.1006, abs=1e-4)
    assert km.ci95_months[0] == pytest.approx(5.6509, abs=1e-4)
    assert km.ci95_months[1] == pytest.approx(11.5647, abs=1e-4)
    small = kaplan_meier(DAYS, EVENTS)
    assert (small.n, small.events, small.censored) == (13, 7, 6)
    assert small.ci95_months[1] is None  # upper bound not reached


def test_median_by_hand() -> None:
    # 4 subjects all with events at 1, 2, 3, 4 months: S drops to 0.5 at 2 months
    km = kaplan_meier([M, 2 * M, 3 * M, 4 * M], [True] * 4)
    assert km.median_months == pytest.approx(2.0)


def test_median_not_reached_is_none() -> None:
    km = kaplan_meier([100, 200, 300, 400], [True, False, False, False])
    assert km.median_months is None
    assert km.ci95_months[1] is None
    json.dumps(km.to_dict())


def test_empty_input() -> None:
    km = kaplan_meier([], [])
    assert (km.n, km.events, km.median_months, km.ci95_months) == (0, 0, None, (None, None))


def test_risk_table_against_event_table_and_hand_count() -> None:
    times = [0.0, 2.0, 3.0, 6.0, 12.0]
    km = kaplan_meier(DAYS, EVENTS, times_months=times)
    months = np.asarray(DAYS) / M
    ev = np.asarray(EVENTS)
    kmf = _lifelines(DAYS, EVENTS)
    table = kmf.event_table
    for row in km.risk_table:
        t = row.time_months
        # hand count: at risk = duration >= t; cumulative events / censored = duration <= t
        assert row.at_risk == int((months >= t).sum())
        assert row.events_cumulative == int((ev & (months <= t)).sum())
        assert row.censored_cumulative == int((~ev & (months <= t)).sum())
        # lifelines' event table: at the first event-table time >= t, its at_risk column
        later = table[table.index >= t]
        expected_at_risk = int(later["at_risk"].iloc[0]) if len(later) else 0
        assert row.at_risk == expected_at_risk
        assert row.events_cumulative == int(table.loc[table.index <= t, "observed"].sum())
        assert row.censored_cumulative == int(table.loc[table.index <= t, "censored"].sum())
    # the one-tick trap: at an event time t the subjects with the event at t are still at risk
    t_event = 61 / M
    row = kaplan_meier(DAYS, EVENTS, times_months=[t_event]).risk_table[0]
    assert row.at_risk == 11  # 13 minus the day-0 and the day-30 subjects
    assert row.events_cumulative == 2 and row.censored_cumulative == 2


def test_risk_table_at_event_table_times_matches_at_risk_column() -> None:
    kmf = _lifelines(DAYS, EVENTS)
    times = [float(t) for t in kmf.event_table.index]
    rows = risk_table_from_event_table(kmf.event_table, times)
    assert [r.at_risk for r in rows] == [int(x) for x in kmf.event_table["at_risk"]]


def test_default_risk_times_every_three_months() -> None:
    assert default_risk_times(7.9) == [0.0, 3.0, 6.0]
    assert default_risk_times(6.0) == [0.0, 3.0, 6.0]
    km = kaplan_meier(DAYS, EVENTS)
    assert [r.time_months for r in km.risk_table] == [
        0.0,
        3.0,
        6.0,
        9.0,
        12.0,
        15.0,
        18.0,
        21.0,
        24.0,
        27.0,
        30.0,
    ]
    assert km.risk_table[0].at_risk == 13


def test_curve_points_and_dict() -> None:
    km = kaplan_meier(DAYS, EVENTS)
    kmf = _lifelines(DAYS, EVENTS)
    assert len(km.curve) == len(kmf.survival_function_)
    assert km.curve[0].time == 0.0 and km.curve[0].survival == 1.0
    assert [p.survival for p in km.curve] == pytest.approx(list(kmf.survival_function_.iloc[:, 0]))
    d = km.to_dict()
    json.dumps(d, allow_nan=False)
    assert set(d) >= {
        "n",
        "events",
        "censored",
        "median_months",
        "ci95_months",
        "ci_method",
        "risk_table",
        "curve",
    }
    assert "curve" not in km.to_dict(include_curve=False)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 800), st.booleans()), min_size=1, max_size=40))
def test_risk_table_hand_count_property(data: list[tuple[int, bool]]) -> None:
    days = [d for d, _ in data]
    events = [e for _, e in data]
    km = kaplan_meier(days, events)
    months = np.asarray(days) / M
    for row in km.risk_table:
        assert row.at_risk == int((months >= row.time_months).sum())
    assert km.events == sum(events) and km.censored == len(events) - sum(events)


def test_logrank_equals_lifelines() -> None:
    groups = {
        "A": ([100, 200, 300, 400, 500], [True, True, False, True, False]),
        "B": ([50, 60, 70, 80], [True, True, True, False]),
        "C": ([10, 900], [True, False]),
    }
    result = logrank(groups)
    assert result is not None
    durations = [d for g in groups.values() for d in g[0]]
    labels = [k for k, g in groups.items() for _ in g[0]]
    events = [e for g in groups.values() for e in g[1]]
    ref = multivariate_logrank_test(durations, labels, events)
    assert result.p_value == pytest.approx(float(ref.p_value))
    assert result.statistic == pytest.approx(float(ref.test_statistic))
    assert result.df == 2 and "log-rank" in result.test_name
    json.dumps(result.to_dict())


def test_logrank_needs_two_groups() -> None:
    assert logrank({"A": ([1, 2], [True, False])}) is None
    assert logrank({"A": ([1, 2], [True, False]), "B": ([], [])}) is None
    assert logrank({}) is None

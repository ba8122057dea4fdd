"""Lenalidomide dose summary: totals, dose intensity, reductions, delays, dose levels."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hccreview.domain.dosing import dose_level_of, dose_level_steps, dose_summary
from hccreview.domain.records import Cycle

D0 = date(2024, 1, 1)


def cyc(number, day, dose=25.0, days=21, delay=0, reduced=False, sid="S1"):
    return Cycle(sid, number, D0 + timedelta(days=day), dose, days, delay, reduced)


def test_full_schedule():
    s = dose_summary([cyc(1, 0), cyc(2, 28), cyc(3, 56), cyc(4, 84)])
    assert (s.cycles_received, s.total_dose_mg, s.planned_total_mg) == (4, 2100.0, 2100.0)
    assert (s.relative_total_dose, s.relative_dose_intensity) == (1.0, 1.0)
    assert (s.reductions, s.delays, s.current_dose_mg, s.current_dose_level) == (0, 0, 25.0, 0)


def test_reductions_follow_the_dose_levels():
    s = dose_summary([cyc(1, 0), cyc(2, 28), cyc(3, 56, 20.0), cyc(4, 84, 15.0)])
    assert s.reductions == 2
    assert s.dose_levels == (25.0, 25.0, 20.0, 15.0)
    assert (s.current_dose_mg, s.current_dose_level) == (15.0, 2)
    assert s.total_dose_mg == 21 * (25 + 25 + 20 + 15)


def test_reduced_flag_counts_even_without_a_lower_dose_and_a_lower_start_does_not():
    assert dose_summary([cyc(1, 0), cyc(2, 28, reduced=True)]).reductions == 1
    s = dose_summary([cyc(1, 0, 20.0), cyc(2, 28, 20.0)])
    assert (s.reductions, s.current_dose_level) == (0, 1)


def test_delay_lowers_dose_intensity_not_total():
    s = dose_summary([cyc(1, 0), cyc(2, 35, delay=7), cyc(3, 63)])
    assert (s.delays, s.delay_days) == (1, 7)
    assert s.relative_total_dose == 1.0
    # 1575 mg over 63 + 28 = 91 days, planned 25 x 21 / 28 = 18.75 mg/day
    assert s.relative_dose_intensity == pytest.approx(1575 / 91 / 18.75, abs=1e-4)


def test_partial_and_missing_days_dosed():
    s = dose_summary([cyc(1, 0, days=14), cyc(2, 28, days=None)])
    assert s.total_dose_mg == 25 * 14 + 25 * 21
    assert s.days_imputed == 1
    assert s.relative_total_dose == pytest.approx(35 / 42, abs=1e-4)


def test_held_cycle_is_not_received():
    s = dose_summary([cyc(1, 0), cyc(2, 28, dose=0.0, days=0), cyc(3, 56, 20.0)])
    assert s.cycles_received == 2
    assert s.reductions == 1  # 20 mg after the last received 25 mg
    assert s.dose_levels == (25.0, 0.0, 20.0)


def test_cycles_in_any_order():
    s = dose_summary([cyc(2, 28, 20.0), cyc(1, 0)])
    assert (s.dose_levels, s.current_dose_mg, s.reductions) == ((25.0, 20.0), 20.0, 1)


def test_no_cycles():
    s = dose_summary([])
    assert (s.cycles_received, s.total_dose_mg, s.relative_dose_intensity, s.current_dose_mg) == (0, 0.0, None, None)
    assert s.relative_total_dose is None


def test_invalid_input_refused():
    with pytest.raises(ValueError, match="one subject"):
        dose_summary([cyc(1, 0), cyc(2, 28, sid="S2")])
    with pytest.raises(ValueError, match="twice"):
        dose_summary([cyc(1, 0), cyc(1, 28)])
    with pytest.raises(ValueError, match="negative"):
        dose_summary([cyc(1, 0, dose=-5.0)])


def test_dose_levels_of_lenalidomide():
    assert dose_level_steps == (25, 20, 15, 10)
    assert [dose_level_of(d) for d in (25, 20.0, 15, 10, 12.5)] == [0, 1, 2, 3, None]


def test_to_dict():
    d = dose_summary([cyc(1, 0), cyc(2, 28, 20.0)]).to_dict()
    assert d["dose_levels"] == [25.0, 20.0]
    assert (d["cycles_received"], d["reductions"], d["current_dose_mg"]) == (2, 1, 20.0)
    assert d["relative_dose_intensity"] == pytest.approx((25 * 21 + 20 * 21) / 56 / 18.75, abs=1e-4)

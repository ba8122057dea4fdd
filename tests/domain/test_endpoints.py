"""Endpoints: origin, PFS censoring rules, OS, duration of response, months (DESIGN §4, FDA 2018)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hccreview.domain.endpoints import (
    MONTH_DAYS,
    analysis_population,
    days_to_months,
    duration_of_response,
    origin_date,
    origin_rule,
    overall_survival,
    pfs,
)
from hccreview.domain.recist import BestResponse
from hccreview.domain.records import FollowUp, Origin, Response, StudySettings, Subject

R = Response
O = date(2020, 1, 1)  # noqa: E741 - origin
NO_SCHEDULE = StudySettings(title="t")
SCHEDULE = StudySettings(title="t", assessment_interval_days=42, assessment_window_days=7)


def day(n: int) -> date:
    return O + timedelta(days=n)


# --- origin and population -------------------------------------------------------------------------------


def test_origin_follows_setting() -> None:
    s = Subject("S1", enrolment_date=day(-10), randomisation_date=day(-5), first_dose_date=day(0))
    assert origin_date(s, StudySettings(title="t", origin=Origin.RANDOMISATION)) == day(-5)
    assert origin_date(s, StudySettings(title="t", origin=Origin.ENROLMENT)) == day(-10)
    assert origin_date(s, StudySettings(title="t", origin=Origin.FIRST_DOSE)) == day(0)


def test_origin_fallback_order_randomisation_first_dose_enrolment() -> None:
    settings = StudySettings(title="t", origin=Origin.ENROLMENT)
    both = Subject("S1", randomisation_date=day(-5), first_dose_date=day(0))
    assert origin_date(both, settings) == day(-5)
    assert "fallback" in origin_rule(both, settings)[1]
    only_dose = Subject("S2", first_dose_date=day(0))
    assert origin_date(only_dose, StudySettings(title="t", origin=Origin.RANDOMISATION)) == day(0)
    only_enrol = Subject("S3", enrolment_date=day(-10))
    assert origin_date(only_enrol, StudySettings(title="t", origin=Origin.FIRST_DOSE)) == day(-10)
    assert origin_date(Subject("S4"), settings) is None


def test_analysis_population_excludes_screen_failures_and_no_origin() -> None:
    subjects = [
        Subject("A", first_dose_date=O),
        Subject("B", first_dose_date=O, screen_failure=True),
        Subject("C"),
    ]
    assert [s.subject_id for s in analysis_population(subjects, NO_SCHEDULE)] == ["A"]


def test_months_conversion() -> None:
    assert MONTH_DAYS == 30.4375
    assert days_to_months(365.25) == pytest.approx(12.0)
    assert days_to_months(30.4375) == 1.0
    assert days_to_months(110) == pytest.approx(3.6140, abs=1e-4)


# --- PFS ---------------------------------------------------------------------------------------------------


def test_pfs_event_first_pd() -> None:
    tps = [(day(42), R.SD), (day(84), R.PD), (day(126), R.PD)]
    r = pfs(O, tps, None, NO_SCHEDULE)
    assert (r.days, r.event, r.event_date, r.censor_date) == (84, True, day(84), None)
    assert "progression" in r.rule


def test_pfs_pd_before_origin_ignored() -> None:
    r = pfs(O, [(day(-3), R.PD), (day(42), R.SD)], None, NO_SCHEDULE)
    assert not r.event and r.days == 42


def test_pfs_death_event_when_earlier_than_pd() -> None:
    tps = [(day(42), R.SD), (day(126), R.PD)]
    r = pfs(O, tps, FollowUp("S", death_date=day(90)), NO_SCHEDULE)
    assert (r.days, r.event, r.event_date) == (90, True, day(90))
    assert "death" in r.rule
    # PD first: PD stands, not the later death
    r2 = pfs(O, tps, FollowUp("S", death_date=day(200)), NO_SCHEDULE)
    assert (r2.days, r2.event) == (126, True)


def test_pfs_censored_at_last_adequate_assessment() -> None:
    tps = [(day(42), R.SD), (day(84), R.PR), (day(126), R.PR)]
    r = pfs(O, tps, FollowUp("S", last_known_alive=day(300)), NO_SCHEDULE)
    assert (r.days, r.event, r.censor_date, r.event_date) == (126, False, day(126), None)
    assert "last adequate" in r.rule


def test_pfs_ne_assessments_are_not_adequate() -> None:
    tps = [(day(42), R.SD), (day(84), R.NE), (day(126), "NE"), (day(130), R.MISSING)]
    r = pfs(O, tps, None, NO_SCHEDULE)
    assert (r.days, r.event, r.censor_date) == (42, False, day(42))


def test_pfs_no_post_baseline_assessment_censored_at_origin() -> None:
    r = pfs(O, [(day(-7), R.SD), (day(0), R.SD)], None, NO_SCHEDULE)
    assert (r.days, r.event, r.censor_date) == (0, False, O)
    assert "origin" in r.rule
    r_empty = pfs(O, [], None, NO_SCHEDULE)
    assert (r_empty.days, r_empty.event) == (0, False)


def test_pfs_event_after_two_missed_assessments_censored_when_schedule() -> None:
    # last adequate at day 42; allowed gap 2*42+7 = 91 days -> PD at day 42+92 is after >= 2 missed visits
    tps = [(day(42), R.SD), (day(134), R.PD)]
    r = pfs(O, tps, None, SCHEDULE)
    assert (r.days, r.event, r.censor_date) == (42, False, day(42))
    assert "missed" in r.rule
    # a gap of exactly 91 days is still within the window: event
    r_ok = pfs(O, [(day(42), R.SD), (day(133), R.PD)], None, SCHEDULE)
    assert (r_ok.days, r_ok.event) == (133, True)


def test_pfs_death_after_missed_assessments_censored_when_schedule() -> None:
    r = pfs(O, [(day(42), R.SD)], FollowUp("S", death_date=day(300)), SCHEDULE)
    assert (r.days, r.event, r.censor_date) == (42, False, day(42))
    # no adequate assessment at all: censored at origin
    r0 = pfs(O, [(day(40), R.NE)], FollowUp("S", death_date=day(300)), SCHEDULE)
    assert (r0.days, r0.event, r0.censor_date) == (0, False, O)


def test_pfs_no_schedule_death_after_long_gap_is_event() -> None:
    r = pfs(O, [(day(42), R.SD)], FollowUp("S", death_date=day(300)), NO_SCHEDULE)
    assert (r.days, r.event, r.event_date) == (300, True, day(300))


def test_pfs_missed_rule_uses_setting_count() -> None:
    three = StudySettings(title="t", assessment_interval_days=42, missed_assessments_for_censoring=3)
    # gap 92 > 2*42+7 but <= 3*42+7: event with n = 3
    r = pfs(O, [(day(42), R.SD), (day(134), R.PD)], None, three)
    assert r.event and r.days == 134


def test_pfs_same_day_duplicate_and_unsorted_input() -> None:
    r = pfs(O, [(day(84), R.PD), (day(42), R.SD), (day(84), R.SD)], None, NO_SCHEDULE)
    assert (r.days, r.event) == (84, True)


# --- OS ----------------------------------------------------------------------------------------------------


def test_os_death_event() -> None:
    r = overall_survival(O, FollowUp("S", death_date=day(231), last_known_alive=day(200)), [day(250)])
    assert (r.days, r.event, r.event_date) == (231, True, day(231))


def test_os_censored_at_last_known_alive_max_of_dates() -> None:
    r = overall_survival(O, FollowUp("S", last_known_alive=day(200)), [day(150), day(260), None])
    assert (r.days, r.event, r.censor_date) == (260, False, day(260))
    r2 = overall_survival(O, FollowUp("S", last_known_alive=day(200)), [day(150)])
    assert (r2.days, r2.censor_date) == (200, day(200))


def test_os_no_follow_up_censored_at_origin() -> None:
    r = overall_survival(O, None, [])
    assert (r.days, r.event, r.censor_date) == (0, False, O)


def test_endpoint_months_and_dict() -> None:
    r = overall_survival(O, FollowUp("S", death_date=day(365)), [])
    assert r.months == pytest.approx(365 / 30.4375)
    d = r.to_dict()
    assert d["days"] == 365 and d["event"] is True and d["date"] == day(365).isoformat()


# --- duration of response ----------------------------------------------------------------------------------


def _best(confirmed: Response, response_date: date | None) -> BestResponse:
    return BestResponse(confirmed, confirmed, "test", response_date, None, None, ())


def test_dor_from_first_response_to_pd() -> None:
    tps = [(day(42), R.PR), (day(84), R.PR), (day(168), R.PD)]
    p = pfs(O, tps, None, NO_SCHEDULE)
    dor = duration_of_response(_best(R.PR, day(42)), p)
    assert dor is not None and (dor.days, dor.event, dor.event_date) == (126, True, day(168))


def test_dor_censored_as_pfs() -> None:
    tps = [(day(42), R.PR), (day(84), R.PR), (day(126), R.NE)]
    p = pfs(O, tps, None, NO_SCHEDULE)
    dor = duration_of_response(_best(R.PR, day(42)), p)
    assert dor is not None and (dor.days, dor.event, dor.censor_date) == (42, False, day(84))


def test_dor_none_without_confirmed_response() -> None:
    p = pfs(O, [(day(42), R.SD)], None, NO_SCHEDULE)
    assert duration_of_response(_best(R.SD, None), p) is None
    assert duration_of_response(_best(R.PR, None), p) is None

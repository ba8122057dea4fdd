"""Best overall response with confirmation: RECIST 1.1 §4.4 / Table 3 with the admiralonco defaults."""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hccreview.domain.recist import BestResponse, best_overall_response
from hccreview.domain.records import Response, StudySettings

R = Response
NCNP = R.NON_CR_NON_PD
ORIGIN = date(2022, 1, 10)
DEFAULT = StudySettings(title="t")  # confirmation 28 d, minimum SD 42 d, max_nr_ne 1, accept_sd False


def bor(*seq: tuple[int, Response | str], settings: StudySettings = DEFAULT, origin: date | None = ORIGIN, **kw):
    """Best response of a sequence of (days after ORIGIN, response)."""
    return best_overall_response([(ORIGIN + timedelta(days=d), r) for d, r in seq], origin, settings, **kw)


def day(n: int) -> date:
    return ORIGIN + timedelta(days=n)


# --- RECIST 1.1 Table 3 -------------------------------------------------------------------------------------
# (sequence, confirmed, unconfirmed). Day 42 meets the 42-day minimum SD duration; day 14 does not.
TABLE_3 = [
    pytest.param([(42, "CR"), (70, "CR")], R.CR, R.CR, id="CR CR -> CR"),
    # CR then PR: admiralonco default, a PR after a CR breaks the confirmation -> SD if the minimum duration
    # was met, else PD (when a PD follows) or NE (Table 3 footnote a).
    pytest.param([(42, "CR"), (70, "PR")], R.SD, R.CR, id="CR PR -> SD (duration met)"),
    pytest.param([(14, "CR"), (35, "PR"), (56, "PD")], R.PD, R.CR, id="CR PR PD -> PD (duration not met)"),
    pytest.param([(14, "CR"), (35, "PR")], R.NE, R.CR, id="CR PR -> NE (duration not met, no PD)"),
    pytest.param([(42, "CR"), (70, "SD")], R.SD, R.CR, id="CR SD -> SD"),
    pytest.param([(14, "CR"), (28, "SD"), (56, "PD")], R.PD, R.CR, id="CR SD PD -> PD (duration not met)"),
    pytest.param([(42, "CR"), (70, "PD")], R.SD, R.CR, id="CR PD -> SD (duration met)"),
    pytest.param([(14, "CR"), (42, "PD")], R.PD, R.CR, id="CR PD -> PD (duration not met)"),
    pytest.param([(42, "CR"), (70, "NE")], R.SD, R.CR, id="CR NE -> SD (duration met)"),
    pytest.param([(14, "CR"), (42, "NE")], R.NE, R.CR, id="CR NE -> NE (duration not met)"),
    pytest.param([(42, "PR"), (70, "CR")], R.PR, R.CR, id="PR CR -> PR"),
    pytest.param([(42, "PR"), (70, "PR")], R.PR, R.PR, id="PR PR -> PR"),
    pytest.param([(42, "PR"), (70, "SD")], R.SD, R.PR, id="PR SD -> SD"),
    pytest.param([(42, "PR"), (70, "PD")], R.SD, R.PR, id="PR PD -> SD (duration met)"),
    pytest.param([(14, "PR"), (42, "PD")], R.PD, R.PR, id="PR PD -> PD (duration not met)"),
    pytest.param([(42, "PR"), (70, "NE")], R.SD, R.PR, id="PR NE -> SD (duration met)"),
    pytest.param([(14, "PR"), (42, "NE")], R.NE, R.PR, id="PR NE -> NE (duration not met)"),
    pytest.param([(42, "NE"), (70, "NE")], R.NE, R.NE, id="NE NE -> NE"),
]


@pytest.mark.parametrize(("seq", "confirmed", "unconfirmed"), TABLE_3)
def test_table_3(seq: list[tuple[int, str]], confirmed: Response, unconfirmed: Response) -> None:
    result = bor(*seq)
    assert (result.confirmed, result.unconfirmed) == (confirmed, unconfirmed)
    assert result.rule.startswith(("Confirmed " + confirmed.value, confirmed.value))


def test_cr_then_pr_trap_is_named_in_the_rule() -> None:
    result = bor((42, "CR"), (70, "PR"))
    assert "footnote a" in result.rule
    assert result.response_date is None


def test_cr_then_pr_may_confirm_pr_as_a_study_option() -> None:
    result = bor((14, "CR"), (42, "PR"), cr_then_pr_confirms_pr=True)
    assert result.confirmed is R.PR
    assert (result.response_date, result.confirmation_date) == (day(14), day(42))


def test_a_pr_between_two_crs_breaks_the_cr_confirmation() -> None:
    result = bor((42, "CR"), (56, "PR"), (84, "CR"))
    assert result.confirmed is R.PR  # the PR of day 56 is confirmed by the CR of day 84
    assert result.response_date == day(56)


def test_a_pr_after_a_cr_inside_the_pr_confirmation_period_breaks_it() -> None:
    assert bor((42, "PR"), (56, "CR"), (84, "PR")).confirmed is R.SD
    assert bor((42, "PR"), (56, "CR"), (84, "PR"), cr_then_pr_confirms_pr=True).confirmed is R.PR


def test_pr_then_cr_confirms_pr_and_dates_it_at_the_pr() -> None:
    result = bor((42, "PR"), (70, "CR"))
    assert result.confirmed is R.PR
    assert (result.response_date, result.confirmation_date) == (day(42), day(70))
    assert result.decisive_dates == (day(42), day(70))


def test_confirmed_cr_after_a_confirmed_pr_keeps_the_first_response_date() -> None:
    result = bor((42, "PR"), (70, "CR"), (100, "CR"), (130, "PD"))
    assert result.confirmed is R.CR
    assert result.response_date == day(42)  # start of the duration of response
    assert result.first_pd_date == day(130)
    assert day(100) in result.decisive_dates


# --- boundaries ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("gap", "expected"), [(27, R.SD), (28, R.PR)])
def test_confirmation_needs_28_days(gap: int, expected: Response) -> None:
    assert bor((42, "PR"), (42 + gap, "PR")).confirmed is expected


@pytest.mark.parametrize(("gap", "expected"), [(27, R.SD), (28, R.CR)])
def test_cr_confirmation_needs_28_days(gap: int, expected: Response) -> None:
    assert bor((42, "CR"), (42 + gap, "CR")).confirmed is expected


@pytest.mark.parametrize(("sd_day", "expected"), [(41, R.PD), (42, R.SD)])
def test_minimum_sd_duration(sd_day: int, expected: Response) -> None:
    result = bor((sd_day, "SD"), (sd_day + 40, "PD"))
    assert result.confirmed is expected
    assert result.unconfirmed is expected


def test_sd_too_early_without_pd_is_ne() -> None:
    assert bor((41, "SD")).confirmed is R.NE
    assert bor((41, "SD")).unconfirmed is R.NE


@pytest.mark.parametrize(("between", "expected"), [([], R.PR), (["NE"], R.PR), (["NE", "NE"], R.SD)])
def test_ne_between_response_and_confirmation(between: list[str], expected: Response) -> None:
    seq = [(42, "PR"), *[(50 + 7 * i, code) for i, code in enumerate(between)], (84, "PR")]
    assert bor(*seq).confirmed is expected


def test_max_nr_ne_is_a_setting() -> None:
    two_ne = dataclasses.replace(DEFAULT, max_nr_ne=2)
    assert bor((42, "PR"), (56, "NE"), (63, "NE"), (84, "PR"), settings=two_ne).confirmed is R.PR
    assert bor((42, "CR"), (56, "NE"), (84, "CR")).confirmed is R.CR
    assert bor((42, "CR"), (56, "NE"), (63, "NE"), (84, "CR")).confirmed is R.SD


def test_sd_between_breaks_pr_confirmation_unless_accept_sd() -> None:
    assert bor((42, "PR"), (56, "SD"), (84, "PR")).confirmed is R.SD
    accept = dataclasses.replace(DEFAULT, accept_sd=True)
    assert bor((42, "PR"), (56, "SD"), (84, "PR"), settings=accept).confirmed is R.PR
    assert bor((42, "CR"), (56, "SD"), (84, "CR"), settings=accept).confirmed is R.SD  # never for CR


def test_confirmation_days_is_a_setting() -> None:
    six_weeks = dataclasses.replace(DEFAULT, confirmation_days=42)
    assert bor((42, "PR"), (80, "PR"), settings=six_weeks).confirmed is R.SD
    assert bor((42, "PR"), (84, "PR"), settings=six_weeks).confirmed is R.PR


# --- scope: origin, first PD, duplicates -------------------------------------------------------------------


def test_no_assessment_on_or_after_origin_is_missing() -> None:
    assert bor() == BestResponse(R.MISSING, R.MISSING, bor().rule, None, None, None, ())
    before = bor((-10, "PR"), (-1, "PR"))
    assert (before.confirmed, before.unconfirmed) == (R.MISSING, R.MISSING)


def test_assessments_before_origin_do_not_count() -> None:
    assert bor((-30, "PR"), (42, "PR")).confirmed is R.SD
    assert bor((0, "PR"), (42, "PR")).confirmed is R.PR  # on the origin counts


def test_assessments_after_first_pd_are_ignored() -> None:
    result = bor((14, "SD"), (28, "PD"), (84, "SD"), (120, "PR"), (150, "PR"))
    assert (result.confirmed, result.unconfirmed) == (R.PD, R.PD)
    assert result.first_pd_date == day(28)
    assert result.decisive_dates == (day(28),)


def test_pd_ends_a_response_before_confirmation() -> None:
    assert bor((42, "PR"), (56, "PD"), (84, "PR")).confirmed is R.SD


@pytest.mark.parametrize(
    ("first", "second", "kept"),
    [
        ("PR", "PD", R.PD),
        ("SD", "NON-CR/NON-PD", NCNP),
        ("CR", "PR", R.PR),
        ("NE", "SD", R.SD),
        ("CR", "NE", R.CR),
    ],
)
def test_two_responses_on_one_date_count_once_as_the_worse(first: str, second: str, kept: Response) -> None:
    assert bor((60, first), (60, second)).unconfirmed is kept
    assert bor((60, second), (60, first)).unconfirmed is kept


def test_origin_none_uses_the_first_assessment() -> None:
    assert bor((100, "SD"), (141, "SD"), origin=None).confirmed is R.NE
    assert bor((100, "SD"), (142, "SD"), origin=None).confirmed is R.SD


def test_non_target_only_subject_gets_non_cr_non_pd() -> None:
    result = bor((56, "NON-CR/NON-PD"), (112, "NON-CR/NON-PD"))
    assert (result.confirmed, result.unconfirmed) == (NCNP, NCNP)
    assert bor((28, "NON-CR/NON-PD"), (40, "PD")).confirmed is R.PD


def test_non_standard_codes_count_as_ne() -> None:
    assert bor((42, "PR"), (56, "CHECK"), (84, "PR")).confirmed is R.PR  # one NE allowed
    assert bor((42, "PR"), (56, "CHECK"), (63, ""), (84, "PR")).confirmed is R.SD


def test_to_dict() -> None:
    d = bor((42, "PR"), (70, "PR"), (100, "PD")).to_dict()
    assert d["confirmed"] == "PR"
    assert d["response_date"] == day(42).isoformat()
    assert d["first_pd_date"] == day(100).isoformat()
    assert d["decisive_dates"] == [day(42).isoformat(), day(70).isoformat()]


# --- properties ---------------------------------------------------------------------------------------

CODES = ["CR", "PR", "SD", "NON-CR/NON-PD", "PD", "NE"]
ORDER = [R.CR, R.PR, R.SD, NCNP, R.PD, R.NE, R.MISSING]  # best first
timepoints = st.lists(
    st.tuples(st.integers(min_value=-30, max_value=400).map(day), st.sampled_from(CODES)), max_size=10
)
settings_st = st.builds(
    lambda c, s, n, a: StudySettings(title="p", confirmation_days=c, min_sd_days=s, max_nr_ne=n, accept_sd=a),
    st.integers(0, 60),
    st.integers(0, 90),
    st.integers(0, 3),
    st.booleans(),
)
origins = st.one_of(st.none(), st.integers(min_value=-20, max_value=60).map(day))


@given(timepoints, origins, settings_st, st.booleans())
def test_property_no_response_without_a_responding_timepoint(tps, origin, settings, cr_pr: bool) -> None:
    result = best_overall_response(tps, origin, settings, cr_then_pr_confirms_pr=cr_pr)
    counted = {R(code) for d, code in tps if origin is None or d >= origin}
    for bor_value in (result.confirmed, result.unconfirmed):
        if bor_value is R.CR:
            assert R.CR in counted
        if bor_value is R.PR:
            assert counted & {R.CR, R.PR}
    if not counted:
        assert (result.confirmed, result.unconfirmed) == (R.MISSING, R.MISSING)


@given(timepoints, origins, settings_st, st.randoms(use_true_random=False))
def test_property_input_order_never_matters(tps, origin, settings, rnd) -> None:
    shuffled = list(tps)
    rnd.shuffle(shuffled)
    assert best_overall_response(shuffled, origin, settings) == best_overall_response(tps, origin, settings)


@given(timepoints, origins, settings_st, st.booleans())
def test_property_confirmed_never_better_than_unconfirmed(tps, origin, settings, cr_pr: bool) -> None:
    result = best_overall_response(tps, origin, settings, cr_then_pr_confirms_pr=cr_pr)
    assert ORDER.index(result.confirmed) >= ORDER.index(result.unconfirmed)

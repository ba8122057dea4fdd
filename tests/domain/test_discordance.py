"""Reader discordance and agreement (percent agreement, Cohen's kappa) — DESIGN §4 Adjudication."""

from __future__ import annotations

import json
from datetime import date

import pytest

from hccreview.domain.discordance import agreement, compare_reads, contingency_table
from hccreview.domain.recist import BestResponse
from hccreview.domain.records import Response

R = Response


def bor(confirmed: Response, pd: date | None = None) -> BestResponse:
    return BestResponse(confirmed, confirmed, "test", None, None, pd, ())


def test_same_bor_no_pd_is_concordant() -> None:
    res = compare_reads("S1", bor(R.PR), bor(R.PR), 0)
    assert not res.discordant and res.reasons == []
    assert (res.bor_a, res.bor_b) == ("PR", "PR")


def test_different_bor_is_discordant() -> None:
    res = compare_reads("S1", bor(R.PR), bor(R.SD), 0)
    assert res.discordant and "best overall response" in res.reasons[0]


def test_pd_dates_within_and_beyond_tolerance() -> None:
    a, b = bor(R.PD, date(2020, 3, 1)), bor(R.PD, date(2020, 3, 8))
    assert compare_reads("S1", a, b, 0).discordant
    assert compare_reads("S1", a, b, 6).discordant
    assert not compare_reads("S1", a, b, 7).discordant
    same = compare_reads("S1", a, bor(R.PD, date(2020, 3, 1)), 0)
    assert not same.discordant


def test_pd_in_one_read_only_is_discordant_even_with_same_bor() -> None:
    res = compare_reads("S1", bor(R.SD, date(2020, 5, 1)), bor(R.SD), 365)
    assert res.discordant and res.reasons == ["progression in one read only"]
    assert res.pd_date_a == date(2020, 5, 1) and res.pd_date_b is None
    json.dumps(res.to_dict())


def test_kappa_two_by_two_hand_computed() -> None:
    # table [[20, 5], [10, 15]]: p_o = 35/50 = 0.7, p_e = (25*30 + 25*20)/2500 = 0.5, kappa = 0.4
    pairs = [("PR", "PR")] * 20 + [("PR", "SD")] * 5 + [("SD", "PR")] * 10 + [("SD", "SD")] * 15
    res = agreement(pairs)
    assert res.n == 50 and res.n_agree == 35
    assert res.percent_agreement == pytest.approx(70.0)
    assert res.kappa == pytest.approx(0.4)
    assert res.categories == ["PR", "SD"] and res.table == [[20, 5], [10, 15]]
    json.dumps(res.to_dict())


def test_kappa_three_categories_hand_computed() -> None:
    # rows A, cols B over CR/PR/PD: [[2,1,0],[0,3,1],[0,0,3]] n = 10
    # p_o = 8/10; rows (3,4,3), cols (2,4,4): p_e = (6 + 16 + 12)/100 = 0.34; kappa = 0.46/0.66
    pairs = [("CR", "CR")] * 2 + [("CR", "PR")] + [("PR", "PR")] * 3 + [("PR", "PD")] + [("PD", "PD")] * 3
    res = agreement(pairs)
    assert res.percent_agreement == pytest.approx(80.0)
    assert res.kappa == pytest.approx(0.46 / 0.66)
    assert res.kappa_se is not None and res.kappa_se > 0


def test_perfect_and_degenerate_agreement() -> None:
    assert agreement([("PR", "PR"), ("SD", "SD")]).kappa == pytest.approx(1.0)
    one_category = agreement([("SD", "SD")] * 4)
    assert one_category.percent_agreement == 100.0 and one_category.kappa is None
    empty = agreement([])
    assert (empty.n, empty.percent_agreement, empty.kappa) == (0, None, None)


def test_contingency_order_follows_response_codes() -> None:
    cats, table = contingency_table([("PD", "CR"), ("NON-CR/NON-PD", "SD")])
    assert cats == ["CR", "SD", "NON-CR/NON-PD", "PD"]
    assert table.sum() == 2


def test_summarise_lists_discordant_subjects() -> None:
    from hccreview.domain.discordance import summarise

    results = [
        compare_reads("S1", bor(R.PR), bor(R.PR)),
        compare_reads("S2", bor(R.PR), bor(R.SD)),
        compare_reads("S3", bor(R.SD, date(2020, 1, 1)), bor(R.SD)),
    ]
    out = summarise(results)
    assert out is not None and out["discordant"] == ["S2", "S3"] and out["n_discordant"] == 2
    assert out["n"] == 3 and out["percent_agreement"] == pytest.approx(200 / 3)  # S3 agrees on BOR
    assert summarise([]) is None


def test_kappa_ci_is_clipped_to_valid_range() -> None:
    pairs = [("PR", "PR"), ("SD", "SD"), ("SD", "SD"), ("SD", "SD"), ("SD", "PD"), ("PD", "PD"), ("NE", "NE")]
    res = agreement(pairs)
    low, upp = res.kappa_ci95
    assert low is not None and upp is not None and -1.0 <= low <= res.kappa <= upp <= 1.0

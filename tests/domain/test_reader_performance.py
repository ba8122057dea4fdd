"""Early and late discrepancy rates of Amit et al., Eur J Cancer 2011;47:1772-1778."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hccreview.domain.reader_performance import ProgressionPair, classify, discrepancy_rates

D = date(2024, 3, 1)


def pair(sid: str, local: int | None, central: int | None) -> ProgressionPair:
    """Progression ``local`` / ``central`` days after D (None: no progression)."""
    at = lambda k: None if k is None else D + timedelta(days=k)  # noqa: E731
    return ProgressionPair(sid, at(local), at(central))


def test_each_cell_of_the_table() -> None:
    assert classify(pair("x", 0, 0)) == "a1"
    assert classify(pair("x", 0, 28)) == "a2"  # the investigator earlier
    assert classify(pair("x", 28, 0)) == "a3"  # the investigator later
    assert classify(pair("x", 0, None)) == "b"
    assert classify(pair("x", None, 0)) == "c"
    assert classify(pair("x", None, None)) == "d"
    assert classify(pair("x", 3, 0), tolerance_days=7) == "a1"
    assert classify(pair("x", 8, 0), tolerance_days=7) == "a3"


def test_edr_and_ldr_follow_the_published_formulae() -> None:
    cells = {"a1": 2, "a2": 3, "a3": 1, "b": 4, "c": 2, "d": 5}
    shapes = {"a1": (0, 0), "a2": (0, 14), "a3": (14, 0), "b": (0, None), "c": (None, 0), "d": (None, None)}
    pairs = [pair(f"{cell}{i}", *shapes[cell]) for cell, n in cells.items() for i in range(n)]
    rates = discrepancy_rates(pairs)
    assert rates.counts == cells and rates.n == 17 and rates.n_discrepant == 10
    assert rates.edr == pytest.approx((3 + 4) / (2 + 3 + 1 + 4))  # (a2 + b) / (a1 + a2 + a3 + b) = 0.7
    assert rates.ldr == pytest.approx((1 + 2) / (3 + 1 + 4 + 2))  # (a3 + c) / (a2 + a3 + b + c) = 0.3
    assert rates.subjects["b"] == ["b0", "b1", "b2", "b3"]
    out = rates.to_dict()
    assert out["edr_formula"] == "(a2 + b) / (a1 + a2 + a3 + b)" and "Amit" in out["reference"]


def test_undefined_rates_are_none() -> None:
    rates = discrepancy_rates([pair("a", None, None), pair("b", 0, 0)])
    assert rates.edr == 0.0 and rates.ldr is None  # no discrepancy at all
    assert discrepancy_rates([]).edr is None
    only_central = discrepancy_rates([pair("c", None, 5)])
    assert only_central.edr is None and only_central.ldr == 1.0
    with pytest.raises(ValueError):
        discrepancy_rates([], tolerance_days=-1)

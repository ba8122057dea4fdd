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


def test_central_progression_is_the_chosen_readers_not_the_rejected_readers_later_visit() -> None:
    """Issue 18, defect 1: R1 accepted (PR on days 42, 84), R2 rejected (PD on days 44, 86), the investigator
    PR on days 42, 84. The central progression is R1's (none), so the patient is in cell d, not c (PD by
    central review only, as when R2's day-44 read leaked into the adjudicated source)."""
    from hccreview.domain.cohort_subjects import subject_outcomes
    from hccreview.domain.records import Read, ReadRole, StudyData, StudySettings, Subject

    def read(reader: str, role: ReadRole, k: int, visit: str, code: str, accepted: bool = False) -> Read:
        return Read("S1", reader, role, D + timedelta(days=k), visit, overall=code, accepted=accepted)

    data = StudyData(
        settings=StudySettings(title="t"),
        subjects=(Subject("S1", first_dose_date=D),),
        reads=(
            read("INV", ReadRole.INVESTIGATOR, 42, "WEEK 6", "PR"),
            read("INV", ReadRole.INVESTIGATOR, 84, "WEEK 12", "PR"),
            read("R1", ReadRole.READER, 42, "WEEK 6", "PR", accepted=True),
            read("R1", ReadRole.READER, 84, "WEEK 12", "PR", accepted=True),
            read("R2", ReadRole.READER, 44, "WEEK 6", "PD"),
            read("R2", ReadRole.READER, 86, "WEEK 12", "PD"),
        ),
    )
    (inv,) = subject_outcomes(data, "investigator")
    (central,) = subject_outcomes(data, "adjudicated")
    got = ProgressionPair("S1", inv.best.first_pd_date, central.best.first_pd_date)
    assert central.reader == "R1" and got.central_pd is None
    assert classify(got) == "d"
    rates = discrepancy_rates([got])
    assert rates.counts["c"] == 0 and rates.ldr is None

"""Which earlier timepoint the Images tab shows as the prior (RECIST 1.1 §4.3.1: response from the baseline,
progression from the nadir), from the evaluator's own target sums."""

from __future__ import annotations

from datetime import date

import pytest

from hccreview.domain.records import Lesion, LesionKind, Measurement
from hccreview.services.case_images import prior_date, target_sums

D = [date(2024, 1, 1), date(2024, 3, 1), date(2024, 5, 1), date(2024, 7, 1)]


def _sums(values: list[float | None]) -> dict[date, float]:
    lesions = [Lesion("P", "r", "T01", LesionKind.TARGET), Lesion("P", "r", "N1", LesionKind.NON_TARGET)]
    ms = [Measurement("P", "r", "T01", d, diameter_mm=v) for d, v in zip(D, values, strict=True)]
    ms += [Measurement("P", "r", "N1", d, diameter_mm=99.0) for d in D]  # a non-target never counts
    return target_sums(lesions, ms, "RECIST 1.1")


def test_target_sums_need_every_target_sized() -> None:
    assert _sums([50.0, 30.0, None, 40.0]) == {D[0]: 50.0, D[1]: 30.0, D[3]: 40.0}


@pytest.mark.parametrize(
    ("kind", "current", "values", "expected"),
    [
        ("baseline", D[3], [50.0, 30.0, 20.0, 40.0], D[0]),
        ("previous", D[3], [50.0, 30.0, 20.0, 40.0], D[2]),
        ("nadir", D[3], [50.0, 30.0, 20.0, 40.0], D[2]),  # the smallest sum before the current timepoint
        ("nadir", D[2], [50.0, 30.0, 20.0, 40.0], D[1]),  # only earlier timepoints count
        ("nadir", D[3], [20.0, 30.0, 25.0, 40.0], D[0]),  # the baseline can be the nadir
        ("nadir", D[3], [30.0, 20.0, 20.0, 40.0], D[1]),  # equal sums: the earliest
        ("nadir", D[2], [None, None, None, None], D[0]),  # no sums: the baseline
        ("baseline", D[0], [50.0, 30.0, 20.0, 40.0], None),  # the first timepoint has no prior
    ],
)
def test_the_prior_of_a_timepoint(kind: str, current: date, values: list, expected: date | None) -> None:
    assert prior_date(kind, current, D, _sums(values)) == expected


def test_an_unknown_prior_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown prior 'best'"):
        prior_date("best", D[3], D, {})

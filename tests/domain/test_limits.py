"""One diameter limit (``domain.limits``): what a review edit refuses, both importers refuse, at the same value."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from hccreview.domain.limits import MAX_DIAMETER_MM
from hccreview.io.sdtm import read_sdtm
from hccreview.services.review import ValidationError, update_measurement
from hccreview.services.session import StudySession
from tests.factories import small_study
from tests.io.test_csv_bundle_errors import read_with
from tests.io.test_sdtm_errors import minimal_delivery


def test_the_limit_is_a_thousand_millimetres() -> None:
    assert MAX_DIAMETER_MM == 1000


def test_a_review_edit_takes_the_limit_and_refuses_more(tmp_path: Path) -> None:
    session = StudySession(small_study(tmp_path / "s.db"))
    mid = int(session.store.rows("measurements", "subject_id = 'P01' AND visit = 'WEEK 8'")[0]["id"])
    update_measurement(session, measurement_id=mid, values={"diameter_mm": "1000"}, reason="unit check")
    assert session.store.get("measurements", mid)["diameter_mm"] == 1000.0
    with pytest.raises(ValidationError) as info:
        update_measurement(session, measurement_id=mid, values={"diameter_mm": "1000.5"}, reason="unit check")
    assert (info.value.field, info.value.reason) == ("diameter_mm", "implausible diameter (over 1000 mm)")
    session.close()


def _sdtm_with_diameter(folder: Path, value: str) -> Path:
    minimal_delivery(folder)
    tr = pd.read_csv(folder / "tr.csv", dtype=str, keep_default_na=False)
    tr.loc[0, ["TRSTRESC", "TRSTRESN"]] = value
    tr.to_csv(folder / "tr.csv", index=False)
    return folder


def test_an_sdtm_delivery_takes_the_limit_and_refuses_more(tmp_path: Path) -> None:
    assert read_sdtm(_sdtm_with_diameter(tmp_path / "at", "1000")).errors == []
    errors = read_sdtm(_sdtm_with_diameter(tmp_path / "over", "1000.5")).errors
    assert [(p.file, p.row, p.field, p.reason) for p in errors] == [
        ("tr.csv", 1, "TRSTRESN", "implausible diameter (over 1000 mm)")
    ]


@pytest.mark.parametrize("field", ["diameter_mm", "short_axis_mm", "viable_mm"])
def test_a_csv_bundle_takes_the_limit_and_refuses_more(tmp_path: Path, field: str) -> None:
    assert read_with(tmp_path / "at", "measurements.csv", 1, **{field: "1000"}).errors == []
    errors = read_with(tmp_path / "over", "measurements.csv", 1, **{field: "1000.5"}).errors
    assert [(p.file, p.row, p.field, p.reason) for p in errors] == [
        ("measurements.csv", 1, field, "must be >= 0 and <= 1000")
    ]

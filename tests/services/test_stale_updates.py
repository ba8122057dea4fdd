"""Two app instances on one study file: an edit based on stale data is refused, not silently overwritten."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from hccreview.services.review import (
    StaleDataError,
    ValidationError,
    update_measurement,
    update_read,
)
from hccreview.services.session import StudySession, open_study
from tests.factories import small_study


@pytest.fixture
def two(tmp_path: Path) -> Iterator[tuple[StudySession, StudySession]]:
    """Two sessions (two users, two connections) on the same study file."""
    path = tmp_path / "shared.db"
    small_study(path).close()
    a, b = open_study(path, user="alice"), open_study(path, user="bob")
    yield a, b
    a.close()
    b.close()


def _mid(session: StudySession) -> int:
    rows = session.store.rows("measurements", "subject_id = 'P01' AND lesion_id = 'T01' AND visit = 'WEEK 8'")
    return int(rows[0]["id"])


def _audit_count(session: StudySession) -> int:
    return session.store.count("audit_log")


def test_measurement_edit_on_stale_values_is_refused_and_writes_nothing(two: tuple[StudySession, ...]) -> None:
    a, b = two
    mid = _mid(a)
    seen_by_a = {"diameter_mm": a.store.get("measurements", mid)["diameter_mm"]}
    seen_by_b = {"diameter_mm": b.store.get("measurements", mid)["diameter_mm"]}
    assert seen_by_a == seen_by_b == {"diameter_mm": 30.0}
    update_measurement(b, measurement_id=mid, values={"diameter_mm": 31.0}, reason="bob", expected=seen_by_b)
    before = _audit_count(a)
    with pytest.raises(StaleDataError, match="changed by another user since you loaded it; reloaded") as info:
        update_measurement(a, measurement_id=mid, values={"diameter_mm": 35.0}, reason="alice", expected=seen_by_a)
    assert info.value.differences == {"diameter_mm": (30.0, 31.0)}
    assert info.value.current["diameter_mm"] == 31.0  # what to reload
    assert a.store.get("measurements", mid)["diameter_mm"] == 31.0  # bob's change kept
    assert _audit_count(a) == before  # nothing written, not even an audit row
    # after reloading, alice's edit goes through
    edit = update_measurement(a, measurement_id=mid, values={"diameter_mm": 35.0}, expected=info.value.current)
    assert edit.old_values == {"diameter_mm": 31.0}
    assert b.store.get("measurements", mid)["diameter_mm"] == 35.0


def test_fresh_expected_values_are_accepted(two: tuple[StudySession, ...]) -> None:
    a, _ = two
    mid = _mid(a)
    row = a.store.get("measurements", mid)
    expected = {"diameter_mm": row["diameter_mm"], "status": row["status"], "short_axis_mm": row["short_axis_mm"]}
    update_measurement(a, measurement_id=mid, values={"diameter_mm": 29}, expected=expected)
    assert a.store.get("measurements", mid)["diameter_mm"] == 29.0


def test_without_expected_the_last_writer_wins_as_before(two: tuple[StudySession, ...]) -> None:
    a, b = two
    mid = _mid(a)
    update_measurement(b, measurement_id=mid, values={"diameter_mm": 31.0})
    update_measurement(a, measurement_id=mid, values={"diameter_mm": 35.0})
    assert b.store.get("measurements", mid)["diameter_mm"] == 35.0


def test_read_edit_on_stale_values_is_refused(two: tuple[StudySession, ...]) -> None:
    a, b = two
    rid = a.store.rows("reads", "subject_id = 'P02'", order_by="date")[0]["id"]
    seen = {"overall": a.store.get("reads", rid)["overall"]}
    bobs = "PD" if seen["overall"] != "PD" else "SD"
    update_read(b, read_id=rid, values={"overall": bobs}, expected=seen)
    with pytest.raises(StaleDataError, match="reads"):
        update_read(a, read_id=rid, values={"overall": "PR"}, expected=seen)
    assert a.store.get("reads", rid)["overall"] == bobs


def test_expected_naming_an_unknown_field_is_a_validation_error(two: tuple[StudySession, ...]) -> None:
    a, _ = two
    with pytest.raises(ValidationError):
        update_measurement(a, measurement_id=_mid(a), values={"diameter_mm": 1}, expected={"nonsense": 1})

"""Review edits through the service: validated, audited with old and new value, revertible (undo)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from hccreview.domain.changes import ChangeKind
from hccreview.services.review import (
    ValidationError,
    revert,
    set_review_state,
    update_measurement,
    update_read,
)
from hccreview.services.session import StudySession
from tests.factories import small_study


@pytest.fixture
def session(tmp_path: Path) -> StudySession:
    s = StudySession(small_study(tmp_path / "s.db"))
    yield s
    s.close()


def _measurement_id(session: StudySession, subject: str, lesion: str, visit: str) -> int:
    rows = session.store.rows(
        "measurements", "subject_id = ? AND lesion_id = ? AND visit = ?", [subject, lesion, visit]
    )
    return int(rows[0]["id"])


def test_measurement_edit_is_audited_and_reverted(session: StudySession) -> None:
    mid = _measurement_id(session, "P01", "T01", "WEEK 8")
    edit = update_measurement(session, measurement_id=mid, values={"diameter_mm": "33.5"}, reason="re-measured")
    assert edit.changes.subjects == {"P01"} and ChangeKind.MEASUREMENTS in edit.changes.kinds
    assert edit.old_values == {"diameter_mm": 30.0} and edit.new_values == {"diameter_mm": 33.5}
    assert session.store.get("measurements", mid)["diameter_mm"] == 33.5
    entry = session.store.rows("audit_log", "table_name = 'measurements' AND row_key = ?", [str(mid)])[-1]
    assert (entry["field"], json.loads(entry["old_value"]), json.loads(entry["new_value"])) == ("diameter_mm", 30, 33.5)
    assert entry["reason"] == "re-measured" and entry["username"] == "tester"
    revert(session, edit, reason="undo")
    assert session.store.get("measurements", mid)["diameter_mm"] == 30.0
    last = session.store.rows("audit_log", "table_name = 'measurements'", order_by="seq")[-1]
    assert (json.loads(last["old_value"]), json.loads(last["new_value"]), last["reason"]) == (33.5, 30, "undo")


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"diameter_mm": "-3"}, "diameter_mm"),
        ({"diameter_mm": "abc"}, "diameter_mm"),
        ({"diameter_mm": "nan"}, "diameter_mm"),
        ({"short_axis_mm": 5000}, "short_axis_mm"),
        ({"status": "vanished"}, "status"),
        ({"date": "2024-01-01"}, "date"),
    ],
)
def test_bad_measurement_input_is_refused_and_nothing_saved(session: StudySession, values: dict, field: str) -> None:
    mid = _measurement_id(session, "P01", "T01", "WEEK 8")
    before = session.store.count("audit_log")
    with pytest.raises(ValidationError) as info:
        update_measurement(session, measurement_id=mid, values=values)
    assert info.value.field == field
    assert session.store.count("audit_log") == before
    assert session.store.get("measurements", mid)["diameter_mm"] == 30.0


def test_read_edits_validate_and_a_changed_value_needs_a_reason(session: StudySession) -> None:
    from hccreview.domain.access import AccessDenied
    from hccreview.domain.records import Role

    rid = session.store.rows("reads", "subject_id = 'P02'", order_by="date")[0]["id"]
    with pytest.raises(ValidationError):
        update_read(session, read_id=rid, values={"overall": "GREAT"})
    session.store.sign_as("investigator", Role.ADJUDICATOR)  # as if the evaluator were a user (gate rules below)
    with pytest.raises(AccessDenied, match="needs a reason"):
        update_read(session, read_id=rid, values={"overall": "pd"})
    session.store.sign_as(None, None)
    edit = update_read(session, read_id=rid, values={"overall": "pd"}, reason="re-read")
    assert edit.new_values == {"overall": "PD"}


def test_review_state_round_trip(session: StudySession) -> None:
    edit = set_review_state(session, subject_id="P01", state="reviewed")
    assert edit.old_values == {"state": "not started"}
    revert(session, edit)
    assert session.store.rows("review_status")[0]["state"] == "not started"
    with pytest.raises(ValidationError):
        set_review_state(session, subject_id="P01", state="done-ish")


def test_read_edits_respect_blinding_and_locks(session: StudySession) -> None:
    from hccreview.domain.records import Role
    from hccreview.store.users import User

    rid = session.store.rows("reads", "subject_id = 'P02'", order_by="date")[0]["id"]
    session.signed_in = User("someone-else", "Other Reader", Role.READER)
    with pytest.raises(PermissionError, match="may not see reads"):
        update_read(session, read_id=rid, values={"overall": "PD"}, reason="r")
    session.signed_in = None
    session.store.insert(
        "adjudications",
        {"subject_id": "P02", "chosen_reader": "investigator", "reason": "r", "adjudicator": "a", "status": "signed"},
    )
    session.store.sign_as("investigator", Role.ADJUDICATOR)  # even the row's own evaluator: the case is locked
    with pytest.raises(PermissionError, match="locked"):
        update_read(session, read_id=rid, values={"overall": "PD"}, reason="r")

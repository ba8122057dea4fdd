"""Recording reads: prefilled computed response, overrides with a reason, audit, undo, lock (issue 7 item 2)."""

from __future__ import annotations

from pathlib import Path

import pytest

from hccreview.domain.changes import ChangeKind
from hccreview.domain.cohort import compute_cohort_stats
from hccreview.services import adjudication, reading
from hccreview.services.reading import LockedError, ValidationError
from tests.factories_central import PASSWORDS, R1, R2, central_study, day, open_as


@pytest.fixture
def path(study_path: Path) -> Path:
    central_study(study_path).close()
    return study_path


def _read_row(session, reader: str, when) -> dict:
    rows = session.store.rows("reads", "subject_id = 'C03' AND reader = ? AND date = ?", [reader, when.isoformat()])
    assert len(rows) == 1
    return rows[0]


def test_the_computed_response_is_the_default_and_entry_is_audited(path: Path) -> None:
    with open_as(path, R1) as session:
        # week 16 of C03: reader1's measurements end at week 8, so the stated components decide (Table 1)
        edit = reading.record_read(session, "C03", day(2), "WEEK 16", target="PD", non_target="", new_lesion=False)
        assert edit.old_values == {} and edit.changes.subjects == {"C03"} and ChangeKind.READS in edit.changes.kinds
        row = _read_row(session, R1, day(2))
        assert (row["overall"], row["computed_overall"], row["override_reason"]) == ("PD", "PD", "")
        assert (row["entered_by"], row["role"]) == (R1, "reader")
        entry = session.store.rows("audit_log", order_by="seq")[-1]
        assert (entry["action"], entry["table_name"], entry["username"]) == ("create", "reads", R1)


def test_overriding_the_computed_response_needs_a_reason(path: Path) -> None:
    with open_as(path, R2) as session:
        before = session.store.count("audit_log")
        # reader2's own measurements at week 8 of C03 give NE (a target not assessed)
        with pytest.raises(ValidationError) as err:
            reading.record_read(session, "C03", day(1), "WEEK 8", overall="SD", target="SD")
        assert err.value.field == "override_reason"
        assert session.store.count("audit_log") == before
        edit = reading.record_read(session, "C03", day(1), "WEEK 8", overall="SD", target="SD",
                                   override_reason="T02 seen on the coronal series")  # fmt: skip
        assert edit.old_values["overall"] == "NE" and edit.new_values["overall"] == "SD"
        row = _read_row(session, R2, day(1))
        assert (row["computed_overall"], row["override_reason"]) == ("NE", "T02 seen on the coronal series")
        entry = session.store.rows("audit_log", "field = 'overall'", order_by="seq")[-1]
        assert (entry["old_value"], entry["new_value"]) == ('"NE"', '"SD"') and "override" in entry["reason"]
        # undo writes the old values back (audited), and the inverse redoes it
        inverse = reading.undo_read(session, edit)
        assert _read_row(session, R2, day(1))["overall"] == "NE"
        reading.undo_read(session, inverse)
        assert _read_row(session, R2, day(1))["overall"] == "SD"


def test_bad_codes_are_refused_and_undo_of_a_new_read_deletes_it(path: Path) -> None:
    with open_as(path, R1) as session:
        with pytest.raises(ValidationError):
            reading.record_read(session, "C03", day(2), target="SMALLER")
        with pytest.raises(ValidationError):
            reading.record_read(session, "C03", "2024-13-01", target="PD")
        with pytest.raises(ValidationError):
            reading.record_read(session, "NOPE", day(2), target="PD")
        edit = reading.record_read(session, "C03", day(2), target="PD")
        reading.undo_read(session, edit)
        assert not session.store.rows(
            "reads", "subject_id = 'C03' AND reader = ? AND date = ?", [R1, day(2).isoformat()]
        )
        assert session.store.rows("audit_log", order_by="seq")[-1]["action"] == "delete"
    with open_as(path, R2) as session, pytest.raises(PermissionError):
        reading.undo_read(session, edit)


def test_an_adjudicators_own_read_can_be_chosen(path: Path) -> None:
    with open_as(path, "adj") as session:
        reading.record_read(session, "C01", day(1), "WEEK 8", overall="PR", target="PR")
        reading.record_read(session, "C01", day(2), "WEEK 16", overall="PR", target="PR")
        assert session.store.rows("reads", "reader = 'adj'")[0]["role"] == "adjudicator"
        comparison = adjudication.case_comparison(session, "C01")
        assert comparison.choices == [R1, R2, "adj"]
        adjudication.adjudicate(
            session, subject_id="C01", chosen_reader="adj", reason="own read after consensus", reason_code="measurement"
        )
        outcome = {o.subject_id: o for o in compute_cohort_stats(session.data(), "adjudicated").subjects}
        assert outcome["C01"].bor == "PR" and outcome["C01"].reader == "adj"


def test_reads_of_a_signed_case_are_locked(path: Path) -> None:
    with open_as(path, "adj") as session:
        adjudication.adjudicate(
            session, subject_id="C03", chosen_reader=R2, reason="PD at week 8 is equivocal", reason_code="pd_timing"
        )
        adjudication.sign_adjudication(session, subject_id="C03", password=PASSWORDS["adj"])
    with open_as(path, R1) as session, pytest.raises(LockedError):
        reading.record_read(session, "C03", day(2), target="PD")

"""Reads and adjudication decisions made on a stale view are refused (two app instances on one study file).

Instance A loaded the case, instance B wrote meanwhile; A's write passes what A showed (``expected``) and is
refused with :class:`StaleDataError` naming the field, the stored value and who changed it; nothing is written.
Decisions are the adjudicators' (DESIGN §4b: an admin may re-open, not decide), so the other user who decides
meanwhile is a second adjudicator, ``adj2``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from hccreview.domain.access import AccessDenied
from hccreview.services import adjudication as adj
from hccreview.services import reading
from hccreview.services.auth import sign_in
from hccreview.services.reading import LockedError, StaleDataError
from hccreview.services.session import StudySession, open_study
from hccreview.store.study_data import review_tables_digest
from hccreview.store.users import create_user
from tests.factories import signed_as
from tests.factories_central import PASSWORDS, R1, R2, central_study, day, open_as

ADJ2_PASSWORD = "second-adjudicator"


@pytest.fixture
def path(study_path: Path) -> Path:
    with central_study(study_path) as store, signed_as(store, "admin"):  # the admin adds a second adjudicator
        create_user(store, username="adj2", full_name="Dr Adj Two", role="adjudicator", password=ADJ2_PASSWORD)
    return study_path


def _open_adj2(path: Path) -> StudySession:
    session = open_study(path)
    sign_in(session, "adj2", ADJ2_PASSWORD)
    return session


def _admin_may_not_decide(admin: StudySession, subject: str) -> None:
    """An admin deciding is refused (DESIGN §4b: decide = adjudicator), and nothing is written."""
    before = review_tables_digest(admin.store)
    with pytest.raises(AccessDenied, match="adjudication decisions"):
        adj.adjudicate(admin, subject_id=subject, chosen_reader=R2, reason="admin decides", reason_code="measurement")
    assert review_tables_digest(admin.store) == before


def _rows(session, table: str) -> int:
    return session.store.count(table)


def test_a_decision_made_meanwhile_elsewhere_is_not_overwritten(path: Path) -> None:
    with open_as(path, "adj") as a, open_as(path, "admin") as admin, _open_adj2(path) as b:
        seen = adj.seen_decision(adj.decision_for(a, "C01"))
        assert seen == {}
        _admin_may_not_decide(admin, "C01")
        adj.adjudicate(
            b, subject_id="C01", chosen_reader=R2, reason="SD on the central review", reason_code="measurement"
        )
        before = _rows(a, "audit_log")
        with pytest.raises(StaleDataError) as err:
            adj.adjudicate(
                a, subject_id="C01", chosen_reader=R1, reason="PR confirmed", reason_code="measurement", expected=seen
            )
        assert err.value.differences["chosen_reader"] == (None, R2)
        assert err.value.changed_by == "adj2" and "changed by another user" in str(err.value)
        assert _rows(a, "audit_log") == before
        decision = adj.decision_for(a, "C01")
        assert (decision.chosen_reader, decision.adjudicator) == (R2, "adj2")
        # with what is stored now, the adjudicator may change the decision
        adj.adjudicate(a, subject_id="C01", chosen_reader=R1, reason="PR confirmed", reason_code="measurement",
                       expected=adj.seen_decision(decision))  # fmt: skip
        assert adj.decision_for(a, "C01").chosen_reader == R1


def test_a_changed_decision_is_refused_to_a_stale_view(path: Path) -> None:
    with open_as(path, "adj") as a, open_as(path, "admin") as admin, _open_adj2(path) as b:
        adj.adjudicate(a, subject_id="C03", chosen_reader=R1, reason="PD at week 8", reason_code="measurement")
        seen = adj.seen_decision(adj.decision_for(a, "C03"))
        _admin_may_not_decide(admin, "C03")  # not even to change a decision it sees
        adj.adjudicate(b, subject_id="C03", chosen_reader=R2, reason="NE at week 8: PD at week 16",
                       reason_code="pd_timing", expected=adj.seen_decision(adj.decision_for(b, "C03")))  # fmt: skip
        with pytest.raises(StaleDataError) as err:
            adj.adjudicate(
                a, subject_id="C03", chosen_reader=R1, reason="again", reason_code="measurement", expected=seen
            )
        assert err.value.differences["chosen_reader"] == (R1, R2)
        assert err.value.differences["adjudicator"] == ("adj", "adj2") and err.value.changed_by == "adj2"
        assert adj.decision_for(a, "C03").chosen_reader == R2


def test_signing_a_decision_changed_since_it_was_shown_is_refused(path: Path) -> None:
    with open_as(path, "adj") as a, open_as(path, "adj") as b:
        adj.adjudicate(a, subject_id="C01", chosen_reader=R1, reason="PR confirmed", reason_code="measurement")
        seen_by_a = adj.seen_decision(adj.decision_for(a, "C01"))
        adj.adjudicate(b, subject_id="C01", chosen_reader=R2, reason="on second thoughts SD", reason_code="measurement",
                       expected=adj.seen_decision(adj.decision_for(b, "C01")))  # fmt: skip
        with pytest.raises(StaleDataError) as err:
            adj.sign_adjudication(a, subject_id="C01", password=PASSWORDS["adj"], expected=seen_by_a)
        assert err.value.differences == {"chosen_reader": (R1, R2)}
        assert _rows(a, "signatures") == 0 and not adj.decision_for(a, "C01").locked
        adj.sign_adjudication(a, subject_id="C01", password=PASSWORDS["adj"],
                              expected=adj.seen_decision(adj.decision_for(a, "C01")))  # fmt: skip
        assert adj.decision_for(a, "C01").locked and _rows(a, "signatures") == 1


def test_deciding_or_reading_after_a_sign_off_elsewhere_is_refused(path: Path) -> None:
    with open_as(path, "adj") as a, open_as(path, "adj") as b, open_as(path, R1) as reader:
        adj.adjudicate(a, subject_id="C01", chosen_reader=R1, reason="PR confirmed", reason_code="measurement")
        seen = adj.seen_decision(adj.decision_for(a, "C01"))
        read_seen = {"overall": reader.store.rows("reads", "subject_id='C01' AND reader=?", [R1])[0]["overall"]}
        adj.sign_adjudication(b, subject_id="C01", password=PASSWORDS["adj"], expected=seen)
        before = _rows(a, "audit_log")
        with pytest.raises(LockedError):
            adj.adjudicate(
                a, subject_id="C01", chosen_reader=R2, reason="late", reason_code="measurement", expected=seen
            )
        first = reader.store.rows("reads", "subject_id='C01' AND reader=?", [R1], order_by="date")[0]
        with pytest.raises(LockedError):
            reading.record_read(reader, "C01", first["date"], overall="SD", target="SD", override_reason="late",
                                expected=read_seen)  # fmt: skip
        assert _rows(a, "audit_log") == before


def test_a_read_recorded_meanwhile_in_another_instance_is_not_overwritten(path: Path) -> None:
    with open_as(path, R1) as a, open_as(path, R1) as b:
        when = day(2)  # reader1 has no read of C03 at week 16
        assert not a.store.rows("reads", "subject_id='C03' AND reader=? AND date=?", [R1, when.isoformat()])
        reading.record_read(b, "C03", when, "WEEK 16", target="PD", expected={"overall": ""})
        before = _rows(a, "audit_log")
        with pytest.raises(StaleDataError) as err:
            reading.record_read(a, "C03", when, "WEEK 16", overall="SD", target="SD", override_reason="x",
                                expected={"overall": ""})  # fmt: skip
        assert err.value.differences["overall"] == ("", "PD") and err.value.changed_by == R1
        assert _rows(a, "audit_log") == before
        row = a.store.rows("reads", "subject_id='C03' AND reader=? AND date=?", [R1, when.isoformat()])[0]
        assert row["overall"] == "PD"


def test_undo_of_a_read_changed_since_elsewhere_is_refused(path: Path) -> None:
    with open_as(path, R2) as a, open_as(path, R2) as b:
        edit = reading.record_read(a, "C03", day(1), "WEEK 8", overall="SD", target="SD", override_reason="seen")
        reading.record_read(b, "C03", day(1), "WEEK 8", overall="PD", target="PD", override_reason="new lesion",
                            expected={"overall": "SD"})  # fmt: skip
        with pytest.raises(StaleDataError) as err:
            reading.undo_read(a, edit)
        assert err.value.differences["overall"] == ("SD", "PD")
        row = a.store.rows("reads", "subject_id='C03' AND reader=? AND date=?", [R2, day(1).isoformat()])[0]
        assert row["overall"] == "PD"

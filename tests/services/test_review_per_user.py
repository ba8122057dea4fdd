"""Review marks are per user (issue 17 item 6): each user's "reviewed" marks and state are their own, undo restores
only its author's, recording an unchanged read keeps "reviewed", and a blinded reader is not told that another
reader's records changed. Two sessions on the same demo study file stand for two users at two workstations."""

from __future__ import annotations

import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from hccreview.services import reading, record_review, review
from hccreview.services.auth import sign_in
from hccreview.services.navigation import first_rows, review_progress
from hccreview.services.session import StudySession, open_study
from hccreview.store import Store, audit, schema
from hccreview.store import access as store_access
from hccreview.store.record_review import REVIEW_KINDS, kind_states, set_marks
from hccreview.store.review_state import audit_entries_for, review_states

PATIENT = "HCC-002"


@pytest.fixture(scope="module")
def _demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hccreview.services.demo_study import build_demo_study

    return build_demo_study(tmp_path_factory.mktemp("demo") / "demo.db")


@pytest.fixture
def demo(_demo_template: Path, tmp_path: Path) -> Path:
    """A fresh copy of the demo study (users reader1, reader2, adjudicator, admin; password ``<name>-demo``)."""
    target = tmp_path / "demo.db"
    shutil.copyfile(_demo_template, target)
    return target


@contextmanager
def signed(path: Path, username: str) -> Iterator[StudySession]:
    """A session on ``path`` with ``username`` signed in (the demo accounts' documented passwords)."""
    with open_study(path) as session:
        sign_in(session, username, f"{username}-demo")
        yield session


def _state(session: StudySession, subject_id: str = PATIENT) -> str:
    return record_review.patient_review(session, subject_id).state


def _kinds(session: StudySession, subject_id: str = PATIENT) -> dict[str, str]:
    return {k: s.state for k, s in record_review.patient_review(session, subject_id).kinds.items()}


def _own_measurement(session: StudySession, reader: str, subject_id: str = PATIENT) -> dict:
    rows = session.store.rows("measurements", "subject_id = ? AND reader = ?", [subject_id, reader], order_by="id")
    return rows[0]


def test_a_mark_is_its_authors_only(demo: Path) -> None:
    with signed(demo, "reader1") as r1, signed(demo, "reader2") as r2:
        record_review.mark_reviewed(r1, subject_id=PATIENT)
        assert _state(r1) == "reviewed" and set(_kinds(r1).values()) == {"reviewed"}
        assert _state(r2) == "not started" and set(_kinds(r2).values()) == {"not reviewed"}
        assert PATIENT not in review_states(r2.store) and review_states(r1.store)[PATIENT] == "reviewed"
        # the navigator's rows, counts and next-unreviewed stepping read the same per-user states
        rows1 = {r.subject_id: r.review_state for r in first_rows(r1)}
        rows2 = {r.subject_id: r.review_state for r in first_rows(r2)}
        assert rows1[PATIENT] == "reviewed" and rows2[PATIENT] == "not started"
        assert review_progress(first_rows(r1))[0] == 1 and review_progress(first_rows(r2))[0] == 0
        assert record_review.status_counts(rows2.values()) == {"not started": len(rows2)}


def test_a_second_users_mark_leaves_the_first_and_undo_restores_only_its_authors(demo: Path) -> None:
    with signed(demo, "reader1") as r1, signed(demo, "adjudicator") as r2:
        with pytest.raises(PermissionError, match="clinical data is hidden"):  # a blinded reader's kinds only
            record_review.mark_reviewed(r1, subject_id=PATIENT, kinds=["cycles"])
        assert set(_kinds(r1)) == {"assessments"}
        edit1 = record_review.mark_reviewed(r1, subject_id=PATIENT)
        before = record_review.patient_review(r1, PATIENT).kinds
        edit2 = record_review.mark_reviewed(r2, subject_id=PATIENT, kinds=["cycles"])
        assert record_review.patient_review(r1, PATIENT).kinds == before  # reader1's marks untouched
        assert _state(r2) == "in progress" and _kinds(r2)["cycles"] == "reviewed"
        assert _kinds(r2)["baseline"] == "not reviewed"
        with pytest.raises(PermissionError):  # an undo restores its author's marks; nobody else's
            record_review.undo_mark(r2, edit1)
        inverse = record_review.undo_mark(r1, edit1)
        assert _state(r1) == "not started" and set(_kinds(r1).values()) == {"not reviewed"}
        assert _state(r2) == "in progress" and _kinds(r2)["cycles"] == "reviewed"  # reader2's mark stays
        record_review.undo_mark(r1, inverse)  # redo: reader1's marks come back as they were
        assert record_review.patient_review(r1, PATIENT).kinds == before
        assert _kinds(r2)["cycles"] == "reviewed" and _kinds(r2)["baseline"] == "not reviewed"
        record_review.undo_mark(r2, edit2)
        assert _state(r2) == "not started" and _state(r1) == "reviewed"
        left = r1.store.conn.execute("SELECT DISTINCT reviewed_by FROM record_review WHERE subject_id = ?", [PATIENT])
        assert [r[0] for r in left] == ["reader1"]
        # each user's state row is audited under its own user, and the patient's audit view finds them all
        entries = [e for e in audit_entries_for(r1.store, PATIENT) if e["table_name"] == "review_status"]
        assert {e["username"] for e in entries} == {"reader1", "adjudicator"}
        assert {e["action"] for e in entries} == {"create", "update"}


def _last_seq(session: StudySession) -> int:
    """The audit trail's newest sequence number."""
    return int(session.store.conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0])


def test_a_mark_is_undone_by_the_one_inverse_of_every_edit(demo: Path) -> None:
    """``services.review.revert`` undoes a review mark as it undoes every other edit: audited under its author with
    the reason given, refused to another user, and reverting the inverse redoes the mark."""
    with signed(demo, "reader1") as r1, signed(demo, "reader2") as r2:
        before = record_review.patient_review(r1, PATIENT).kinds
        edit = record_review.mark_reviewed(r1, subject_id=PATIENT)
        marked = record_review.patient_review(r1, PATIENT).kinds
        with pytest.raises(
            PermissionError, match=r"^reader2 may not undo reader1's review marks \(sign in as reader1\)$"
        ):
            review.revert(r2, edit)
        seq = _last_seq(r1)
        inverse = review.revert(r1, edit)
        assert _state(r1) == "not started" and record_review.patient_review(r1, PATIENT).kinds == before
        undone = r1.store.rows("audit_log", "seq > ?", [seq], order_by="seq")
        assert {e["table_name"] for e in undone} == {"record_review", "review_status"}
        assert {(e["username"], e["reason"]) for e in undone} == {("reader1", "undo")}
        assert (inverse.table, inverse.key, inverse.new_values) == ("record_review", PATIENT, edit.old_values)
        assert inverse.changes == edit.changes
        redone = review.revert(r1, inverse, reason="redo")
        assert _state(r1) == "reviewed" and record_review.patient_review(r1, PATIENT).kinds == marked
        assert redone.new_values == edit.new_values
        assert {e["reason"] for e in r1.store.rows("audit_log", "seq > ?", [seq]) if e["reason"] != "undo"} == {"redo"}


def test_set_review_state_is_the_signed_in_users(demo: Path) -> None:
    from hccreview.store.review_state import set_review_state

    with signed(demo, "reader1") as r1, signed(demo, "adjudicator") as adj:
        set_review_state(r1.store, PATIENT, "reviewed")
        set_review_state(adj.store, PATIENT, "in progress")
        assert _state(r1) == "reviewed" and set(_kinds(r1).values()) == {"reviewed"}
        assert _state(adj) == "in progress" and set(_kinds(adj).values()) == {"not reviewed"}
        set_review_state(adj.store, PATIENT, "not started")  # removes the adjudicator's marks only
        assert _state(r1) == "reviewed" and set(_kinds(r1).values()) == {"reviewed"}


def test_recording_an_unchanged_read_keeps_reviewed(demo: Path) -> None:
    with signed(demo, "reader1") as r1:
        store = r1.store
        read = store.rows("reads", "subject_id = ? AND reader = ?", [PATIENT, "reader1"], order_by="date")[0]
        again = {
            "overall": read["overall"],
            "target": read["target"],
            "non_target": read["non_target"],
            "new_lesion": bool(read["new_lesion"]),
        }
        record_review.mark_reviewed(r1, subject_id=PATIENT)
        # the first recording in hccreview fills in who entered it and the computed response: no value changed
        first = reading.record_read(r1, PATIENT, read["date"], read["visit"], **again)
        assert set(first.new_values) <= {"entered_by", "computed_overall"}
        assert _state(r1) == "reviewed"
        n = store.count("audit_log")
        second = reading.record_read(r1, PATIENT, read["date"], read["visit"], **again)
        assert second.old_values == {} and store.count("audit_log") == n  # nothing changed: nothing audited
        assert _state(r1) == "reviewed" and _kinds(r1)["assessments"] == "reviewed"
        # Store.update with the values already there writes no audit entry either
        m = _own_measurement(r1, "reader1")
        assert store.update("measurements", m["id"], {"diameter_mm": m["diameter_mm"]}, reason="same") == {}
        assert store.count("audit_log") == n


def test_own_edits_after_the_mark_count_until_set_back(demo: Path) -> None:
    with signed(demo, "reader1") as r1:
        store = r1.store
        record_review.mark_reviewed(r1, subject_id=PATIENT)
        m = _own_measurement(r1, "reader1")
        store.update("measurements", m["id"], {"diameter_mm": m["diameter_mm"] + 3}, reason="re-measured")
        review = record_review.patient_review(r1, PATIENT)
        assert review.state == "changed since review" and review.changed_kinds == ["assessments"]
        assert "diameter_mm" in review.kinds["assessments"].changes[0]
        store.update("measurements", m["id"], {"diameter_mm": m["diameter_mm"]}, reason="undo")  # the value reviewed
        assert _state(r1) == "reviewed" and _kinds(r1)["assessments"] == "reviewed"


def test_another_readers_change_does_not_flag_a_blinded_reader_but_does_the_adjudicator(demo: Path) -> None:
    with signed(demo, "reader1") as r1, signed(demo, "adjudicator") as adj, signed(demo, "reader2") as r2:
        record_review.mark_reviewed(r1, subject_id=PATIENT)
        record_review.mark_reviewed(adj, subject_id=PATIENT)
        m = _own_measurement(r2, "reader2")
        r2.store.update("measurements", m["id"], {"diameter_mm": m["diameter_mm"] + 5}, reason="re-measured")
        assert _state(r1) == "reviewed" and _kinds(r1)["assessments"] == "reviewed"
        assert kind_states(r1.store, PATIENT)[PATIENT]["assessments"].changes == ()
        review = record_review.patient_review(adj, PATIENT)
        assert review.state == "changed since review" and review.changed_kinds == ["assessments"]
        assert "reader2" in review.kinds["assessments"].changes[0]
        # the same study read as reader1 by name (e.g. a script) applies reader1's view too
        assert review_states(adj.store, user="reader1")[PATIENT] == "reviewed"
        assert review_states(adj.store, user="adjudicator")[PATIENT] == "changed since review"
        with signed(demo, "admin") as admin:  # unblinded, reader1 may see reader2's reads: the change shows
            store_access.set_blinded(admin.store, False, reason="end of blinded review")
        assert _state(r1) == "changed since review"


def _make_v4_file(path: Path) -> None:
    """A schema-4 study: rev reviewed S0 (every kind); ann marked S1's cycles, then bob set S1 in progress."""
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("BEGIN")
    for step in schema.MIGRATIONS[:4]:
        for statement in step:
            conn.execute(statement)
    conn.execute("PRAGMA user_version = 4")
    conn.execute("INSERT INTO settings VALUES ('title', '\"V4 study\"')")
    for sid in ("S0", "S1"):
        conn.execute("INSERT INTO subjects (subject_id) VALUES (?)", [sid])
        audit.append(conn, username="old", action="create", table_name="subjects", row_key=sid, new_value={"x": 1})
    for i, kind in enumerate(REVIEW_KINDS, start=1):
        conn.execute("INSERT INTO record_review VALUES (?, 'S0', ?, 'rev', '2024-04-03T00:00:00+00:00', 2)", [i, kind])
    conn.execute("INSERT INTO record_review VALUES (9, 'S1', 'cycles', 'ann', '2024-04-04T00:00:00+00:00', 2)")
    conn.execute("INSERT INTO review_status VALUES ('S0', 'reviewed', 'rev', '2024-04-03T00:00:00+00:00')")
    conn.execute("INSERT INTO review_status VALUES ('S1', 'in progress', 'bob', '2024-04-05T00:00:00+00:00')")
    conn.execute("COMMIT")
    conn.close()


def test_a_v4_file_keeps_its_marks_for_their_authors(tmp_path: Path) -> None:
    path = tmp_path / "v4.db"
    _make_v4_file(path)
    with Store.open(path, user="rev") as store:
        assert store.schema_version == schema.SCHEMA_VERSION
        assert review_states(store) == {"S0": "reviewed"}
        assert {k: s.state for k, s in kind_states(store)["S0"].items()} == dict.fromkeys(REVIEW_KINDS, "reviewed")
        assert review_states(store, user="ann") == {"S1": "in progress"}  # ann's state follows her marks
        assert kind_states(store, user="ann")["S1"]["cycles"].reviewed_by == "ann"
        assert review_states(store, user="bob") == {"S1": "in progress"} and kind_states(store, user="bob") == {}
        ids = [r[0] for r in store.conn.execute("SELECT id FROM record_review ORDER BY id")]
        assert ids == [1, 2, 3, 4, 9]  # ids kept: the audit trail still points at its rows
        # another user may now hold a mark of the same patient and kind
        store.user = "ann"
        set_marks(store, "S0", ("baseline",))
        store.user = "rev"
        assert kind_states(store)["S0"]["baseline"].reviewed_by == "rev"
        assert kind_states(store, user="ann")["S0"]["baseline"].reviewed_by == "ann"
        assert store.conn.execute("PRAGMA foreign_key_check").fetchall() == []

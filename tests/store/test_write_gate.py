"""The one write gate (store.write_gate), rule by rule, on the demo study: every refusal writes nothing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from hccreview.domain.access import AccessDenied, CaseLocked
from hccreview.domain.records import Role
from hccreview.services import adjudication, auth, reading, review
from hccreview.services.session import StudySession, open_study
from hccreview.services.verify import verify_study
from hccreview.store import write_gate
from hccreview.store.study_data import review_tables_digest
from tests.factories import signed_as, source_transfer

PASSWORDS = {"reader1": "reader1-demo", "reader2": "reader2-demo", "adjudicator": "adjudicator-demo",
             "admin": "admin-demo"}  # fmt: skip


@pytest.fixture(scope="module")
def _demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hccreview.services.demo_study import build_demo_study

    return build_demo_study(tmp_path_factory.mktemp("gate") / "demo.db")


@pytest.fixture
def path(_demo: Path, tmp_path: Path) -> Path:
    target = tmp_path / "demo.db"
    shutil.copyfile(_demo, target)
    return target


@pytest.fixture
def as_user(path: Path) -> Iterator[object]:
    opened: list[StudySession] = []

    def open_as(username: str) -> StudySession:
        session = open_study(path)
        auth.sign_in(session, username, PASSWORDS[username])
        opened.append(session)
        return session

    yield open_as
    for s in opened:
        s.close()


def _row_id(session: StudySession, table: str, subject: str, evaluator: str, *, date: str | None = None) -> int:
    sql = f"SELECT id FROM {table} WHERE subject_id = ? AND reader = ?" + (" AND date = ?" if date else "")
    params = [subject, evaluator] + ([date] if date else [])
    return int(session.store.conn.execute(sql + " ORDER BY date DESC, id", params).fetchone()[0])


def _discordant(session: StudySession) -> str:
    return adjudication.discordance_queue(session, "central")[0].subject_id


def _refused(session: StudySession, call: object, match: str, kind: type[BaseException] = AccessDenied) -> None:
    before = review_tables_digest(session.store)
    with pytest.raises(kind, match=match):
        call()  # type: ignore[operator]
    assert review_tables_digest(session.store) == before


def test_source_records_are_read_only_for_every_role(as_user) -> None:  # type: ignore[no-untyped-def]
    for name in ("reader1", "adjudicator", "admin"):
        s = as_user(name)
        sid = "HCC-009"
        conn = s.store.conn
        ae = conn.execute("SELECT id FROM adverse_events WHERE subject_id = ?", [sid]).fetchone()[0]
        cycle = conn.execute("SELECT id FROM cycles WHERE subject_id = ?", [sid]).fetchone()[0]
        inv = _row_id(s, "measurements", sid, "investigator")
        for table, key, values in (("adverse_events", ae, {"grade": 1}), ("cycles", cycle, {"dose_mg": 1.0}),
                                   ("follow_up", sid, {"death_cause": "x"}), ("subjects", sid, {"site": "x"}),
                                   ("measurements", inv, {"diameter_mm": 5.0})):  # fmt: skip
            message = "source records are read-only|investigator's|may not (see|record)"
            _refused(s, lambda t=table, k=key, v=values, w=s: w.store.update(t, k, v, reason="correction"), message)


def test_a_reader_changes_only_their_own_measurements_with_a_reason(as_user) -> None:  # type: ignore[no-untyped-def]
    s = as_user("reader1")
    sid = "HCC-009"
    other = _row_id(s, "measurements", sid, "reader2")
    _refused(s, lambda: review.update_measurement(s, measurement_id=other, values={"diameter_mm": 5.0},
                                                  reason="typo"), "may not see")  # fmt: skip
    _refused(s, lambda: s.store.update("measurements", other, {"diameter_mm": 5.0}, reason="x"), "reader1 may not")
    own = _row_id(s, "measurements", sid, "reader1")
    _refused(s, lambda: review.update_measurement(s, measurement_id=own, values={"diameter_mm": 5.0}),
             "needs a reason")  # fmt: skip
    edit = review.update_measurement(s, measurement_id=own, values={"diameter_mm": 5.0}, reason="re-measured")
    entry = s.store.conn.execute("SELECT username, reason FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    assert tuple(entry) == ("reader1", "re-measured")
    review.revert(s, edit, reason="undo")  # the undo passes the same gate and is audited with its reason


def test_an_adjudicator_or_viewer_changes_no_readers_data(as_user, path: Path) -> None:  # type: ignore[no-untyped-def]
    s = as_user("adjudicator")
    mid = _row_id(s, "measurements", "HCC-009", "reader2")
    _refused(s, lambda: review.update_measurement(s, measurement_id=mid, values={"diameter_mm": 5.0}, reason="r"),
             "adjudicator may not change reader2's")  # fmt: skip
    admin = as_user("admin")
    auth.add_user(admin, username="stat", full_name="Trial Statistician", role="viewer", password="statistic-1")
    with open_study(path) as viewer:
        auth.sign_in(viewer, "stat", "statistic-1")
        assert viewer.access.role is Role.VIEWER and len(viewer.data().reads) == len(admin.data().reads)
        _refused(viewer, lambda: review.update_measurement(viewer, measurement_id=mid, values={"diameter_mm": 5.0},
                                                           reason="r"), "viewer")  # fmt: skip
        _refused(viewer, lambda: review.set_review_state(viewer, subject_id="HCC-009", state="reviewed"), "viewer")


def test_a_signed_case_is_locked_for_everybody_until_reopened(as_user, path: Path) -> None:  # type: ignore[no-untyped-def]
    reader = as_user("reader1")
    adj = as_user("adjudicator")
    sid = _discordant(adj)
    own = _row_id(reader, "measurements", sid, "reader1")
    before_sign = review.update_measurement(reader, measurement_id=own, values={"diameter_mm": 44.0}, reason="r")
    adjudication.adjudicate(adj, subject_id=sid, chosen_reader="reader2", reason="reader 2 stands",
                            reason_code="measurement")  # fmt: skip
    adjudication.sign_adjudication(adj, subject_id=sid, password=PASSWORDS["adjudicator"])
    # the reader's own edit, their undo from before the signature, a read: all refused, nothing written
    _refused(reader, lambda: review.update_measurement(reader, measurement_id=own, values={"diameter_mm": 45.0},
                                                       reason="r"), "closed", CaseLocked)  # fmt: skip
    _refused(reader, lambda: review.revert(reader, before_sign, reason="undo"), "locked", CaseLocked)
    day = reader.store.conn.execute("SELECT max(date) FROM reads WHERE subject_id = ? AND reader = 'reader1'",
                                    [sid]).fetchone()[0]  # fmt: skip
    _refused(reader, lambda: reading.record_read(reader, sid, day, overall="PD", override_reason="x",
                                                 change_reason="x"), "locked|signed", CaseLocked)  # fmt: skip
    # a second window of the same reader sees the lock as well (the gate reads the file, not a window's state)
    with open_study(path) as second:
        auth.sign_in(second, "reader1", PASSWORDS["reader1"])
        _refused(second, lambda: review.revert(second, before_sign, reason="undo"), "locked", CaseLocked)
    # a reader cannot re-open; the adjudicator can, with a reason; the signature is superseded, verify says so
    _refused(reader, lambda: adjudication.reopen(reader, subject_id=sid, reason="x"), "re-open")
    adjudication.reopen(adj, subject_id=sid, reason="new information from the site")
    review.update_measurement(reader, measurement_id=own, values={"diameter_mm": 45.0}, reason="after re-opening")
    report = {c.name: c for c in verify_study(path)}
    assert report["signatures"].ok and "superseded" in report["signatures"].detail
    assert "new information from the site" in report["signatures"].detail


def test_a_submitted_read_is_final_for_its_reader(as_user) -> None:  # type: ignore[no-untyped-def]
    s = as_user("reader1")
    sid = "HCC-003"
    day = s.store.conn.execute("SELECT max(date) FROM reads WHERE subject_id = ? AND reader = 'reader1'",
                               [sid]).fetchone()[0]  # fmt: skip
    with pytest.raises(auth.AuthError):
        reading.submit_read(s, sid, day, password="wrong")
    reading.submit_read(s, sid, day, password=PASSWORDS["reader1"])
    read = _row_id(s, "reads", sid, "reader1", date=day)
    assert reading.is_submitted(s, read)
    other = "SD" if s.store.get("reads", read)["overall"] != "SD" else "PR"
    _refused(s, lambda: review.update_read(s, read_id=read, values={"overall": other}, reason="second look"),
             "submitted")  # fmt: skip
    mid = _row_id(s, "measurements", sid, "reader1", date=day)
    _refused(s, lambda: review.update_measurement(s, measurement_id=mid, values={"diameter_mm": 1.0}, reason="x"),
             "submitted")  # fmt: skip
    with pytest.raises(reading.ValidationError, match="already submitted"):
        reading.submit_read(s, sid, day, password=PASSWORDS["reader1"])


def test_unsigned_writes_and_scopes(path: Path, as_user) -> None:  # type: ignore[no-untyped-def]
    with open_study(path) as system:
        _refused(system, lambda: system.store.update("settings", "drug", {"value": '"x"'}), "sign in")
        _refused(system, lambda: system.store.scope(write_gate.BUILD).__enter__(), "without accounts")
    reader = as_user("reader1")
    _refused(reader, lambda: reader.store.scope(write_gate.TRANSFER).__enter__(), "reader1 \\(reader\\) may not")
    admin = as_user("admin")
    with source_transfer(admin.store):  # an admin's data transfer changes source records, never review data
        admin.store.update("follow_up", "HCC-009", {"death_cause": "disease progression"}, reason="delivery 2")
        review_read = _row_id(admin, "reads", "HCC-009", "reader1")
        admin.store.conn.execute("UPDATE reads SET entered_by = 'reader1' WHERE id = ?", [review_read])  # as entered
        new = "SD" if admin.store.get("reads", review_read)["overall"] != "SD" else "PR"
        _refused(admin, lambda: admin.store.update("reads", review_read, {"overall": new}, reason="delivery 2"),
                 "never changes review data")  # fmt: skip


def test_tables_the_review_tool_does_not_write_are_refused(as_user) -> None:  # type: ignore[no-untyped-def]
    admin = as_user("admin")
    admin.store.conn.execute("CREATE TABLE IF NOT EXISTS scratch (id INTEGER PRIMARY KEY, note TEXT)")
    _refused(admin, lambda: admin.store.insert("scratch", {"note": "x"}), "default deny")


def test_signed_as_helper_restores_the_previous_user(as_user) -> None:  # type: ignore[no-untyped-def]
    s = as_user("reader1")
    with signed_as(s.store, "admin"):
        assert s.store.access.role is Role.ADMIN
    assert (s.store.access.username, s.store.access.role, s.store.user) == ("reader1", Role.READER, "reader1")


def _key_image(sid: str, reader: str, day: str, sop: str = "1.2.826.0.1.3680043.10.1.1") -> dict[str, object]:
    return {"subject_id": sid, "reader": reader, "date": day, "series_uid": "1.2.3", "sop_instance_uid": sop,
            "created_at": "2026-12-08T00:00:00+00:00"}  # fmt: skip


def _document(sid: str, reader: str, day: str, uid: str = "1.2.826.0.1.3680043.10.2.1") -> dict[str, object]:
    return {"sop_instance_uid": uid, "kind": "SR", "subject_id": sid, "reader": reader, "date": day,
            "series_uid": "1.2.4", "sha256": "0" * 64, "size": 3, "document": b"DCM",
            "created_at": "2026-12-08T00:00:00+00:00"}  # fmt: skip


def test_key_images_and_documents_are_their_readers_own(as_user) -> None:  # type: ignore[no-untyped-def]
    """Issue 22: a read's key images and DICOM documents are its reader's (DESIGN §4b, as their lesions): added
    by them until they submit; a document only once the read is submitted, then never changed; others see none
    of a blinded reader's."""
    s, other = as_user("reader1"), as_user("reader2")
    sid = _discordant(as_user("adjudicator"))
    day = s.store.conn.execute("SELECT max(date) FROM reads WHERE subject_id = ? AND reader = 'reader1'",
                               [sid]).fetchone()[0]  # fmt: skip
    _refused(other, lambda: other.store.insert("key_images", _key_image(sid, "reader1", day)), "only their own")
    _refused(s, lambda: s.store.insert("structured_reports", _document(sid, "reader1", day)), "when its reader submits")
    key = s.store.insert("key_images", _key_image(sid, "reader1", day))
    assert other.store.rows("key_images") == [] and len(s.store.rows("key_images")) == 1  # blinded: not seen
    assert len(as_user("adjudicator").store.rows("key_images")) == 1
    reading.submit_read(s, sid, day, password=PASSWORDS["reader1"])
    _refused(s, lambda: s.store.delete("key_images", key, reason="not key"), "submitted")
    _refused(s, lambda: s.store.insert("key_images", _key_image(sid, "reader1", day, "1.2.9")), "submitted")
    uid = s.store.insert("structured_reports", _document(sid, "reader1", day))
    entry = s.store.conn.execute("SELECT new_value FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()[0]
    assert '"sha256"' in entry and "document" not in entry  # the trail names the bytes by their hash
    _refused(s, lambda: s.store.update("structured_reports", uid, {"visit": "C3"}, reason="x"), "immutable")
    _refused(s, lambda: s.store.delete("structured_reports", uid, reason="x"), "immutable")
    assert other.store.rows("structured_reports") == []

"""The session's study cache (store.study_data.StudyCache): always equal to a fresh read of the file."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from hccreview.domain.records import Adjudication, FollowUp
from hccreview.services.demo_study import build_demo_study
from hccreview.services.review import update_measurement, update_read
from hccreview.services.session import StudySession, open_study
from hccreview.store.rows import to_row
from hccreview.store.study_data import load_study
from tests.factories import signed_as, source_transfer


@pytest.fixture(scope="module")
def _demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_demo_study(tmp_path_factory.mktemp("cache") / "demo.db")


@pytest.fixture
def path(_demo: Path, tmp_path: Path) -> Path:
    target = tmp_path / "demo.db"
    shutil.copyfile(_demo, target)
    return target


@pytest.fixture
def session(path: Path) -> Iterator[StudySession]:
    with open_study(path, user="tester") as s:
        yield s


def _ids(session: StudySession, table: str, subject_id: str) -> list[int]:
    sql = f"SELECT id FROM [{table}] WHERE subject_id = ? ORDER BY id"
    return [int(r[0]) for r in session.store.conn.execute(sql, [subject_id])]


def test_unchanged_study_is_served_from_the_cache(session: StudySession) -> None:
    first = session.data()
    assert session.data() is first
    assert session.cache.loads == 1 and session.cache.patches == 0
    assert first == load_study(session.store)


def test_edits_through_the_session_are_patched_in(session: StudySession) -> None:
    before = session.data()
    sid = before.subjects[5].subject_id
    with source_transfer(session.store):  # the investigator's rows change only through a data transfer
        update_measurement(session, measurement_id=_ids(session, "measurements", sid)[2],
                           values={"diameter_mm": 61.0}, reason="re-measured")  # fmt: skip
        other = before.subjects[9].subject_id
        update_read(session, read_id=_ids(session, "reads", other)[0], values={"overall": "PD"}, reason="re-read")
    after = session.data()
    assert after == load_study(session.store) and after != before
    assert session.cache.loads == 1 and session.cache.patches == 1
    # subjects that were not touched keep their record objects (the per-subject memos rely on it)
    untouched = before.subjects[20].subject_id
    old = [m for m in before.measurements if m.subject_id == untouched]
    new = [m for m in after.measurements if m.subject_id == untouched]
    assert old and all(a is b for a, b in zip(old, new, strict=True))
    assert after.adverse_events is before.adverse_events  # an untouched table is the same tuple


def test_a_change_through_another_connection_is_seen(session: StudySession, path: Path) -> None:
    before = session.data()
    sid = before.subjects[3].subject_id
    with open_study(path, user="second instance") as other:
        with signed_as(other.store, "adjudicator"):
            other.store.insert("adjudications", to_row(Adjudication(sid, "reader1", "other instance", "adjudicator")))
        with source_transfer(other.store):
            fid = before.follow_up[0].subject_id
            other.store.update("follow_up", fid, {"last_known_alive": "2011-01-02"}, reason="new contact")
            gone = _ids(other, "adverse_events", before.adverse_events[0].subject_id)[0]
            other.store.delete("adverse_events", gone, reason="entered in error")
    after = session.data()
    fresh = load_study(session.store)
    assert after == fresh
    assert [a.subject_id for a in after.adjudications] == [sid]
    assert len(after.adverse_events) == len(before.adverse_events) - 1
    assert session.cache.loads == 1


def test_settings_changes_are_seen(session: StudySession) -> None:
    session.data()
    with signed_as(session.store, "admin"):
        session.store.update_settings(confirmation_days=35, reason="protocol amendment")
    assert session.data().settings.confirmation_days == 35


def test_a_batch_import_rereads_the_table(session: StudySession) -> None:
    before = session.data()
    extra = FollowUp(before.subjects[0].subject_id + "-X", None, None, None)
    with source_transfer(session.store):
        session.store.bulk_insert("subjects", [{**to_row(before.subjects[0]), "subject_id": extra.subject_id}],
                                  note="t")  # fmt: skip
    after = session.data()
    assert after == load_study(session.store)
    assert len(after.subjects) == len(before.subjects) + 1


def test_a_write_that_bypassed_the_audit_trail_is_caught_by_the_row_counts(session: StudySession) -> None:
    before = session.data()
    sid = before.subjects[1].subject_id
    lesion = before.lesions[0]
    session.store.conn.execute(  # an unaudited insert (never done by the program) next to an audited edit
        "INSERT INTO lesions (subject_id, reader, lesion_id, kind, organ) VALUES (?, ?, ?, ?, ?)",
        [sid, lesion.reader, "UNAUDITED", lesion.kind.value, lesion.organ],
    )
    with signed_as(session.store, "adjudicator"):
        session.store.insert("adjudications", to_row(Adjudication(sid, "reader1", "audited", "adjudicator")))
    after = session.data()
    assert after == load_study(session.store)
    assert session.cache.loads == 2  # the counts did not match: everything was read again


def test_a_replaced_trail_reads_everything_again(session: StudySession) -> None:
    session.data()
    session.cache._hash = "not the hash of the last entry seen"  # as after a restore of an older copy
    first = session.data().subjects[0].subject_id
    with signed_as(session.store, "adjudicator"):
        session.store.insert("adjudications", to_row(Adjudication(first, "reader1", "x", "adjudicator")))
    assert session.data() == load_study(session.store)
    assert session.cache.loads == 2


def test_inside_a_write_transaction_nothing_is_cached(session: StudySession) -> None:
    cached = session.data()
    sid = cached.subjects[2].subject_id
    with pytest.raises(RuntimeError), signed_as(session.store, "adjudicator"), session.store.transaction():
        session.store.insert("adjudications", to_row(Adjudication(sid, "reader1", "rolled back", "adj")))
        inside = session.data()
        assert [a.subject_id for a in inside.adjudications] == [sid]
        raise RuntimeError("roll back")
    assert session.data().adjudications == () == load_study(session.store).adjudications


def test_clear_reads_everything_again(session: StudySession) -> None:
    first = session.data()
    session.cache.clear()
    again = session.data()
    assert again == first and again is not first and session.cache.loads == 2

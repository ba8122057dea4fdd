"""A read's key images (issue 22 item 2): every caliper slice of a read is one by itself; the reader marks others
and unmarks them (audited, undone by ``review.revert``); the gate refuses another reader's read, a submitted read
and a locked case; a blinded reader sees only their own key images."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from hccreview.demo import images as synthetic
from hccreview.domain.access import AccessDenied, CaseLocked
from hccreview.domain.changes import ChangeKind
from hccreview.domain.key_images import CALIPER, MANUAL
from hccreview.domain.records import LesionKind
from hccreview.services import adjudication, auth, images, key_images, reading
from hccreview.services.review import ValidationError, revert, update_measurement
from hccreview.services.session import StudySession, open_study
from hccreview.store.database import Store
from hccreview.store.study_data import load_study


@pytest.fixture(scope="module")
def _demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hccreview.services.demo_study import build_demo_study

    return build_demo_study(tmp_path_factory.mktemp("key_images") / "demo.db", patients=8)


@pytest.fixture
def demo(_demo: Path, tmp_path: Path) -> Path:
    return Path(shutil.copyfile(_demo, tmp_path / "demo.db"))


def _signed(path: Path, user: str) -> StudySession:
    session = open_study(path)
    auth.sign_in(session, user, f"{user}-demo")
    return session


def _discordant(path: Path) -> str:
    with _signed(path, "adjudicator") as session:
        return adjudication.discordance_queue(session, "central")[0].subject_id


def _slice(session: StudySession, sid: str, n: int = 3, *, read: bool = False) -> tuple[date, str, str]:
    """A scan date of ``sid`` (the baseline; with ``read``, the first the user has a timepoint read of) and the
    ``n``-th image of its first series there."""
    dates = {r["date"] for r in session.store.rows("reads", "subject_id = ? AND reader = ?",
                                                    [sid, session.access.username])}  # fmt: skip
    series = next(s for s in images.series_for(session, sid) if not read or s.date.isoformat() in dates)
    return series.date, series.series_uid, images.instances(session, series.series_uid)[n].sop_instance_uid


def test_every_caliper_slice_is_a_key_image_of_its_read(demo: Path) -> None:
    sid = _discordant(demo)
    with Store.open(demo, migrate=False) as system:
        data = load_study(system, subject_id=sid)
    plan = next(p for p in synthetic.plan_subject(data, sid) if p.phase == synthetic.PORTAL_VENOUS)
    truth = next(t for t in plan.lesions if t.kind is LesionKind.TARGET)
    caliper = synthetic.truth_caliper(plan, truth)
    with _signed(demo, "reader1") as session:
        row = session.store.rows("measurements", "subject_id = ? AND reader = 'reader1' AND lesion_id = ? AND date = ?",
                                 [sid, truth.lesion_id, plan.date.isoformat()])[0]  # fmt: skip
        update_measurement(session, measurement_id=int(row["id"]), values={"caliper": caliper}, reason="measured")
        found = key_images.key_images(session, sid)
        assert [(k.reader, k.date, k.sop_instance_uid, k.lesion_ids, k.source) for k in found] == [
            ("reader1", plan.date, caliper.sop_instance_uid, (truth.lesion_id,), CALIPER)
        ]
        with pytest.raises(ValidationError, match="already a key image of your read"):  # nothing stored twice
            key_images.add_key_image(session, sid, plan.date, caliper.series_uid, caliper.sop_instance_uid)
        assert session.store.rows("key_images") == []


def test_a_reader_marks_and_unmarks_a_slice_audited_and_undone(demo: Path) -> None:
    sid = _discordant(demo)
    with _signed(demo, "reader1") as session:
        day, series_uid, sop = _slice(session, sid)
        edit = key_images.add_key_image(session, sid, day, series_uid, sop, note="equivocal new lesion?")
        assert edit.changes.touches(sid) and ChangeKind.LESIONS in edit.changes.kinds  # the case view reloads
        [marked] = key_images.key_images(session, sid)
        assert (marked.source, marked.sop_instance_uid, marked.key_id) == (MANUAL, sop, edit.key)
        assert marked.note == "equivocal new lesion?"
        undone = revert(session, edit)  # Ctrl+Z: the row goes, audited
        assert key_images.key_images(session, sid) == []
        revert(session, undone, reason="redo")  # redo (as the undo stack does): marked again
        [again] = key_images.key_images(session, sid)
        key_images.remove_key_image(session, int(again.key_id or 0), reason="not the lesion after all")
        assert key_images.key_images(session, sid) == []
        audit = session.store.conn.execute(
            "SELECT username, action, reason, new_value, old_value FROM audit_log WHERE table_name = 'key_images' "
            "ORDER BY seq"
        ).fetchall()  # fmt: skip
    assert [(u, a, r) for u, a, r, _n, _o in audit] == [
        ("reader1", "create", None), ("reader1", "delete", "undo"), ("reader1", "create", "redo"),
        ("reader1", "delete", "not the lesion after all"),
    ]  # fmt: skip
    assert json.loads(audit[-1][4])["sop_instance_uid"] == sop  # the deleted row kept whole


def test_a_slice_of_another_patient_is_refused(demo: Path) -> None:
    sid = _discordant(demo)
    with _signed(demo, "reader1") as session:
        other = next(s.subject_id for s in session.data().subjects if s.subject_id != sid)
        day, series_uid, sop = _slice(session, other)
        with pytest.raises(ValidationError, match=f"not a registered series of {sid}"):
            key_images.add_key_image(session, sid, day, series_uid, sop)


def test_another_readers_key_image_is_neither_seen_nor_removed_by_a_blinded_reader(demo: Path) -> None:
    sid = _discordant(demo)
    with _signed(demo, "reader2") as session:
        day, series_uid, sop = _slice(session, sid)
        theirs = key_images.add_key_image(session, sid, day, series_uid, sop).key
    with _signed(demo, "reader1") as session:
        assert key_images.key_images(session, sid) == []  # blinded: only their own
        with pytest.raises(AccessDenied, match="may see only their own key images"):
            key_images.read_key_images(session, sid, "reader2")
        with pytest.raises(AccessDenied, match="may not see key_images"):
            key_images.remove_key_image(session, theirs, reason="not mine")
        mine = key_images.add_key_image(session, sid, day, series_uid, sop).key  # the same slice, their own read
    with _signed(demo, "adjudicator") as session:  # who may see other reads sees both, read by read
        both = [(k.reader, k.key_id) for k in key_images.key_images(session, sid)]
        assert both == [("reader1", mine), ("reader2", theirs)]
        with pytest.raises(ValidationError, match="not a key image of your read"):
            key_images.remove_key_image(session, theirs, reason="tidy")
    with Store.open(demo, migrate=False) as system:
        assert len(system.rows("key_images")) == 2


def test_a_submitted_read_is_read_only(demo: Path) -> None:
    sid = _discordant(demo)
    with _signed(demo, "reader1") as session:
        day, series_uid, sop = _slice(session, sid, read=True)
        kept = key_images.add_key_image(session, sid, day, series_uid, sop).key
        reading.submit_read(session, sid, day, password="reader1-demo")
        other = images.instances(session, series_uid)[5].sop_instance_uid
        with pytest.raises(AccessDenied, match="reader1 has submitted this timepoint read; it is read-only"):
            key_images.add_key_image(session, sid, day, series_uid, other)
        with pytest.raises(AccessDenied, match="reader1 has submitted this timepoint read; it is read-only"):
            key_images.remove_key_image(session, kept, reason="changed my mind")
        assert day in key_images.read_key_images(session, sid, "reader1").submitted
        assert len(session.store.rows("key_images")) == 1


def test_a_locked_case_is_read_only(demo: Path) -> None:
    sid = _discordant(demo)
    with _signed(demo, "reader1") as session:
        day, series_uid, sop = _slice(session, sid)
        kept = key_images.add_key_image(session, sid, day, series_uid, sop).key
    with _signed(demo, "adjudicator") as session:
        adjudication.adjudicate(session, subject_id=sid, chosen_reader="reader1", reason="reader 1 stands",
                                reason_code="measurement")  # fmt: skip
        adjudication.sign_adjudication(session, subject_id=sid, password="adjudicator-demo")
    with _signed(demo, "reader1") as session:
        with pytest.raises(CaseLocked, match=f"the review of {sid} is closed"):
            key_images.add_key_image(session, sid, day, series_uid, images.instances(session, series_uid)[6]
                                     .sop_instance_uid)  # fmt: skip
        with pytest.raises(CaseLocked, match=f"the review of {sid} is closed"):
            key_images.remove_key_image(session, kept, reason="tidy")

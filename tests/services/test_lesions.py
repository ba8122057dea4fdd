"""The reader's own lesion list (issue 21 item 3): a reader records their baseline lesions, starts each follow-up
from them, records new lesions after baseline and removes what they recorded — one group of rows per action,
through the one gate, undone and redone as one by ``review.revert``.

Two studies: the demo (every reader already has rows) and a small study delivered with the investigator's reads
only, where the central readers start from nothing.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from hccreview.domain import recist
from hccreview.domain.access import AccessDenied, CaseLocked
from hccreview.domain.changes import ChangeKind, Changes
from hccreview.domain.records import Response
from hccreview.services import adjudication, auth, lesions, reading
from hccreview.services.review import EditGroup, ValidationError, revert, update_measurement
from hccreview.services.session import StudySession, open_study
from hccreview.store.study_data import load_study, review_tables_digest
from tests.factories import small_study

PASSWORDS = {"admin": "admin-password", "ann": "ann-password", "bob": "bob-password", "stat": "stat-password"}
#: The small study's scan dates of P01 (tests/factories.py: baseline a week before the first dose, then 8-weekly).
BASELINE, WEEK8, WEEK16, WEEK24 = date(2024, 1, 1), date(2024, 3, 4), date(2024, 4, 29), date(2024, 6, 24)
BOTH = Changes.of("P01", kinds={ChangeKind.LESIONS, ChangeKind.MEASUREMENTS})


# ---------------------------------------------------------------------------------------------- studies
@pytest.fixture(scope="module")
def _small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small study with accounts: an admin, two central readers without any row, a viewer."""
    path = tmp_path_factory.mktemp("lesions_small") / "small.db"
    small_study(path).close()
    with open_study(path) as session:
        auth.create_first_admin(session, username="admin", full_name="Admin", password=PASSWORDS["admin"])
        for name, role in (("ann", "reader"), ("bob", "reader"), ("stat", "viewer")):
            auth.add_user(session, username=name, full_name=name.title(), role=role, password=PASSWORDS[name])
    return path


@pytest.fixture
def small(_small: Path, tmp_path: Path) -> Path:
    return Path(shutil.copyfile(_small, tmp_path / "small.db"))


@pytest.fixture(scope="module")
def _demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hccreview.services.demo_study import build_demo_study

    return build_demo_study(tmp_path_factory.mktemp("lesions_demo") / "demo.db")


@pytest.fixture
def demo(_demo: Path, tmp_path: Path) -> Path:
    return Path(shutil.copyfile(_demo, tmp_path / "demo.db"))


@pytest.fixture
def as_user(small: Path) -> Iterator[Any]:
    """``as_user(name)``: a session of the small study signed in as ``name`` (closed at the end)."""
    opened: list[StudySession] = []

    def sign(name: str, path: Path = small) -> StudySession:
        session = open_study(path)
        opened.append(session)
        auth.sign_in(session, name, PASSWORDS.get(name) or f"{name}-demo")
        return session

    yield sign
    for session in opened:
        session.close()


def _rows(session: StudySession, reader: str, subject: str = "P01") -> dict[str, list[tuple[Any, ...]]]:
    """The reader's lesions and measurements of one patient, without row ids (a re-inserted row gets a new one)."""
    conn = session.store.conn
    return {
        "lesions": conn.execute(
            "SELECT lesion_id, kind, organ, site, is_node, method, tracking_uid FROM lesions "
            "WHERE subject_id = ? AND reader = ? ORDER BY lesion_id", [subject, reader]).fetchall(),
        "measurements": conn.execute(
            "SELECT lesion_id, date, visit, diameter_mm, short_axis_mm, viable_mm, status, method, caliper "
            "FROM measurements WHERE subject_id = ? AND reader = ? ORDER BY lesion_id, date",
            [subject, reader]).fetchall(),
    }  # fmt: skip


def _audit(session: StudySession, after: int) -> list[tuple[str, str, str, str | None]]:
    return session.store.conn.execute(
        "SELECT username, action, table_name, reason FROM audit_log WHERE seq > ? ORDER BY seq", [after]
    ).fetchall()


def _last_seq(session: StudySession) -> int:
    return int(session.store.conn.execute("SELECT coalesce(max(seq), 0) FROM audit_log").fetchone()[0])


def _baseline_targets(session: StudySession) -> tuple[EditGroup, EditGroup]:
    return (
        lesions.add_lesion(session, subject_id="P01", kind="target", organ="liver", site="segment VII", date=BASELINE,
                           visit="BASELINE", method="CT"),
        lesions.add_lesion(session, subject_id="P01", kind="target", organ="lung", date=BASELINE),
    )  # fmt: skip


def _measure(session: StudySession, lesion_id: str, day: date, mm: float) -> None:
    mid = session.store.conn.execute(
        "SELECT id FROM measurements WHERE subject_id = 'P01' AND reader = ? AND lesion_id = ? AND date = ?",
        [session.store.user, lesion_id, day.isoformat()],
    ).fetchone()[0]
    update_measurement(session, measurement_id=int(mid), values={"diameter_mm": mm})


# ---------------------------------------------------------------------------------------------- a reader with no rows
def test_a_reader_without_rows_records_baseline_targets_and_starts_a_follow_up_from_them(as_user: Any) -> None:
    ann = as_user("ann")
    before = lesions.reader_timepoints(ann, "P01")
    assert (before.baseline, before.follow_ups) == (BASELINE, (WEEK8, WEEK16, WEEK24))
    assert (before.own_dates, before.startable, before.baseline_lesions) == ((), (), 0)

    first, second = _baseline_targets(ann)
    other = lesions.add_lesion(ann, subject_id="P01", kind="non-target", organ="bone", date=BASELINE)
    assert [g.edits[0].new_values["lesion_id"] for g in (first, second, other)] == ["T01", "T02", "NT01"]
    assert first.changes == BOTH and [e.table for e in first.edits] == ["lesions", "measurements"]
    rows = _rows(ann, "ann")
    assert rows["lesions"] == [("NT01", "non-target", "bone", "", 0, "", ""),
                               ("T01", "target", "liver", "segment VII", 0, "CT", ""),
                               ("T02", "target", "lung", "", 0, "", "")]  # fmt: skip
    assert rows["measurements"] == [
        ("NT01", "2024-01-01", "BASELINE", None, None, None, "present", "", ""),
        ("T01", "2024-01-01", "BASELINE", None, None, None, "present", "CT", ""),
        ("T02", "2024-01-01", "BASELINE", None, None, None, "present", "", ""),
    ], "status present, values empty: the reader measures next; the visit name of the scan's other rows is kept"
    assert lesions.reader_timepoints(ann, "P01").startable == (WEEK8, WEEK16, WEEK24)

    started = lesions.start_timepoint(ann, subject_id="P01", date=WEEK8, visit="WEEK 8")
    assert started.changes == BOTH
    assert sorted(e.new_values["lesion_id"] for e in started.edits) == ["NT01", "T01", "T02"]
    at_week8 = [r for r in _rows(ann, "ann")["measurements"] if r[1] == WEEK8.isoformat()]
    assert at_week8 == [("NT01", "2024-03-04", "WEEK 8", None, None, None, "present", "", ""),
                        ("T01", "2024-03-04", "WEEK 8", None, None, None, "present", "CT", ""),
                        ("T02", "2024-03-04", "WEEK 8", None, None, None, "present", "", "")]  # fmt: skip
    reasons = {r[3] for r in _audit(ann, 0) if r[1] == "create" and r[2] == "measurements"}
    assert "follow-up 2024-03-04 started from the baseline lesion list" in reasons

    seq, digest = _last_seq(ann), review_tables_digest(ann.store)
    again = lesions.start_timepoint(ann, subject_id="P01", date=WEEK8)
    assert again == EditGroup(Changes(), ()), "idempotent: every row exists, nothing to write"
    assert _last_seq(ann) == seq and review_tables_digest(ann.store) == digest
    assert lesions.reader_timepoints(ann, "P01").startable == (WEEK16, WEEK24)


def test_targets_at_baseline_new_lesions_after_it_and_only_at_scan_dates(as_user: Any) -> None:
    ann = as_user("ann")
    digest = review_tables_digest(ann.store)
    refusals = [
        ({"kind": "target", "organ": "liver", "date": WEEK8}, "kind",
         "target lesions are chosen at baseline (2024-01-01); one first seen later is a new lesion (RECIST 1.1 §4.2)"),
        ({"kind": "non-target", "organ": "bone", "date": WEEK16}, "kind",
         "non-target lesions are chosen at baseline (2024-01-01); one first seen later is a new lesion"),
        ({"kind": "new", "organ": "liver", "date": BASELINE}, "kind",
         "a new lesion appears after baseline (2024-01-01); at baseline record target and non-target lesions"),
        ({"kind": "target", "organ": "liver", "date": date(2024, 1, 2)}, "date", "not a scan date of P01"),
        ({"kind": "target", "organ": " ", "date": BASELINE}, "organ", "the organ is required"),
        ({"kind": "tumour", "organ": "liver", "date": BASELINE}, "kind", "a lesion is target, non-target or new"),
    ]  # fmt: skip
    for kwargs, field, words in refusals:
        with pytest.raises(ValidationError, match=re.escape(words)) as info:
            lesions.add_lesion(ann, subject_id="P01", **kwargs)
        assert info.value.field == field
    with pytest.raises(ValidationError, match="no such patient in this study"):
        lesions.add_lesion(ann, subject_id="P99", kind="target", organ="liver", date=BASELINE)
    with pytest.raises(ValidationError, match="you have no baseline lesions of P01 yet"):
        lesions.start_timepoint(ann, subject_id="P01", date=WEEK8)
    assert review_tables_digest(ann.store) == digest, "every refusal wrote nothing"

    new = lesions.add_lesion(ann, subject_id="P01", kind="new", organ="liver", site="segment III", date=WEEK16)
    assert new.edits[0].new_values["lesion_id"] == "N01"
    assert new.edits[1].new_values["date"] == "2024-04-29"


def test_a_follow_up_carries_the_baseline_list_and_the_new_lesions_seen_before(as_user: Any) -> None:
    ann = as_user("ann")
    _baseline_targets(ann)
    lesions.add_lesion(ann, subject_id="P01", kind="new", organ="liver", date=WEEK16)  # N01, first seen at week 16
    early = lesions.start_timepoint(ann, subject_id="P01", date=WEEK8)
    assert sorted(e.new_values["lesion_id"] for e in early.edits) == ["T01", "T02"], "N01 was not seen yet"
    same_day = lesions.start_timepoint(ann, subject_id="P01", date=WEEK16)
    assert sorted(e.new_values["lesion_id"] for e in same_day.edits) == ["T01", "T02"], "N01 has its row there"
    later = lesions.start_timepoint(ann, subject_id="P01", date=WEEK24)
    assert sorted(e.new_values["lesion_id"] for e in later.edits) == ["N01", "T01", "T02"]
    with pytest.raises(ValidationError, match="the baseline of P01"):
        lesions.start_timepoint(ann, subject_id="P01", date=BASELINE)


def test_the_rules_engine_reads_the_list_the_reader_built(as_user: Any) -> None:
    """Two targets of 40 and 30 mm at baseline, 26 and 20 mm at week 8: sum 70 → 46 mm, −34.3 % ⇒ PR (RECIST 1.1
    Table 1: ≥30 % decrease); with a new lesion at week 16 ⇒ PD (§4.3.4)."""
    ann = as_user("ann")
    _baseline_targets(ann)
    _measure(ann, "T01", BASELINE, 40.0)
    _measure(ann, "T02", BASELINE, 30.0)
    lesions.start_timepoint(ann, subject_id="P01", date=WEEK8)
    _measure(ann, "T01", WEEK8, 26.0)
    _measure(ann, "T02", WEEK8, 20.0)
    data = load_study(ann.store, ("lesions", "measurements"), subject_id="P01")
    own = [x for x in data.lesions if x.reader == "ann"]
    measured = [m for m in data.measurements if m.reader == "ann"]
    results = recist.timepoint_responses(own, measured, data.settings.criteria)
    assert [(tp.date, tp.target_sum_mm, tp.overall) for tp in results] == [(WEEK8, 46.0, Response.PR)]
    assert results[0].pct_from_baseline == pytest.approx(-34.29, abs=0.01)
    lesions.start_timepoint(ann, subject_id="P01", date=WEEK16)
    _measure(ann, "T01", WEEK16, 26.0)
    _measure(ann, "T02", WEEK16, 20.0)
    lesions.add_lesion(ann, subject_id="P01", kind="new", organ="lung", date=WEEK16)
    computed = reading.get_reads(ann, "P01", "ann").computed
    assert [(tp.date, tp.overall, tp.new_lesion) for tp in computed] == [
        (WEEK8, Response.PR, False), (WEEK16, Response.PD, True),
    ]  # fmt: skip


# ---------------------------------------------------------------------------------------------- undo / redo
def test_undo_and_redo_of_each_action_restore_the_rows_exactly_and_are_audited(as_user: Any) -> None:
    ann = as_user("ann")
    empty = _rows(ann, "ann")
    seq = _last_seq(ann)
    added = lesions.add_lesion(ann, subject_id="P01", kind="target", organ="liver", date=BASELINE, method="MRI")
    with_target = _rows(ann, "ann")
    undone = revert(ann, added)
    assert isinstance(undone, EditGroup) and undone.changes == BOTH
    assert _rows(ann, "ann") == empty
    redone = revert(ann, undone, reason="redo")
    assert _rows(ann, "ann") == with_target
    assert [(a, t, r) for _u, a, t, r in _audit(ann, seq)] == [
        ("create", "lesions", None), ("create", "measurements", None),
        ("delete", "measurements", "undo"), ("delete", "lesions", "undo"),  # last first: the lesion's rows go first
        ("create", "lesions", "redo"), ("create", "measurements", "redo"),
    ]  # fmt: skip
    assert {u for u, *_ in _audit(ann, seq)} == {"ann"}

    seq = _last_seq(ann)
    started = lesions.start_timepoint(ann, subject_id="P01", date=WEEK8)
    followed = _rows(ann, "ann")
    revert(ann, revert(ann, revert(ann, started)), reason="undo")  # undo, redo, undo
    assert _rows(ann, "ann") == with_target
    assert [(a, r) for _u, a, _t, r in _audit(ann, seq)] == [
        ("create", "follow-up 2024-03-04 started from the baseline lesion list"),
        ("delete", "undo"), ("create", "undo"), ("delete", "undo"),
    ]  # fmt: skip
    revert(ann, lesions.start_timepoint(ann, subject_id="P01", date=WEEK8), reason="x")
    assert lesions.reader_timepoints(ann, "P01").startable == (WEEK8, WEEK16, WEEK24)
    lesions.start_timepoint(ann, subject_id="P01", date=WEEK8)
    assert _rows(ann, "ann") == followed

    seq = _last_seq(ann)
    removed = lesions.remove_lesion(ann, subject_id="P01", lesion_id="T01", reason="")
    assert _rows(ann, "ann") == empty and removed.changes == BOTH
    assert [(a, t, r) for _u, a, t, r in _audit(ann, seq)] == [
        ("delete", "measurements", "T01 removed by its reader before any value was recorded"),
        ("delete", "measurements", "T01 removed by its reader before any value was recorded"),
        ("delete", "lesions", "T01 removed by its reader before any value was recorded"),
    ]  # fmt: skip
    back = revert(ann, removed)
    assert _rows(ann, "ann") == followed, "the lesion first, then its measurements: everything as it was"
    revert(ann, back, reason="redo")
    assert _rows(ann, "ann") == empty
    assert redone.edits[0].new_values["lesion_id"] == "T01"


def test_a_lesion_with_values_needs_a_reason_and_a_delivered_one_stays(demo: Path) -> None:
    with open_study(demo) as session:
        auth.sign_in(session, "reader1", "reader1-demo")
        sid = "HCC-001"
        before = _rows(session, "reader1", sid)
        with pytest.raises(ValidationError, match="came with the study's data, not recorded by you in hccreview"):
            lesions.remove_lesion(session, subject_id=sid, lesion_id="T01", reason="wrong lesion")
        with pytest.raises(ValidationError, match="no lesion T09 of yours on HCC-001"):
            lesions.remove_lesion(session, subject_id=sid, lesion_id="T09", reason="wrong lesion")
        tp = lesions.reader_timepoints(session, sid)
        assert tp.startable == () and tp.baseline_lesions == 3, "the demo reader has read every scan already"
        added = lesions.add_lesion(session, subject_id=sid, kind="target", organ="lung", date=tp.baseline)
        lesion_id = added.edits[0].new_values["lesion_id"]
        assert lesion_id == "T03", "after the demo reader's T01 and T02"
        update_measurement(session, measurement_id=added.edits[1].key, values={"diameter_mm": 14.0})
        seq = _last_seq(session)
        with pytest.raises(ValidationError, match="T03 has recorded values: removing it needs a reason") as info:
            lesions.remove_lesion(session, subject_id=sid, lesion_id=lesion_id, reason="  ")
        assert info.value.field == "reason" and _last_seq(session) == seq
        removed = lesions.remove_lesion(session, subject_id=sid, lesion_id=lesion_id, reason="a vessel, not a lesion")
        assert _rows(session, "reader1", sid) == before
        assert {r for *_x, r in _audit(session, seq)} == {"a vessel, not a lesion"}
        revert(session, removed)
        assert (lesion_id, "2008-09-15") in {r[:2] for r in _rows(session, "reader1", sid)["measurements"]}
        assert next(r for r in _rows(session, "reader1", sid)["measurements"] if r[0] == lesion_id)[3] == 14.0


# ---------------------------------------------------------------------------------------------- the policy
def test_a_reader_writes_their_own_list_only(as_user: Any) -> None:
    ann = as_user("ann")
    added, _ = _baseline_targets(ann)
    anns = _rows(ann, "ann")
    bob = as_user("bob")
    assert lesions.reader_timepoints(bob, "P01").baseline_lesions == 0, "ann's lesions are not bob's list"
    digest = review_tables_digest(bob.store)
    with pytest.raises(ValidationError, match="you have no baseline lesions of P01 yet"):
        lesions.start_timepoint(bob, subject_id="P01", date=WEEK8)
    with pytest.raises(ValidationError, match="no lesion T01 of yours on P01"):
        lesions.remove_lesion(bob, subject_id="P01", lesion_id="T01", reason="not mine")
    with pytest.raises(AccessDenied, match="bob"):
        revert(bob, added)  # undoing ann's action in bob's name: the gate refuses the whole group
    assert review_tables_digest(bob.store) == digest
    bobs = lesions.add_lesion(bob, subject_id="P01", kind="target", organ="liver", date=BASELINE)
    assert bobs.edits[0].new_values["reader"] == "bob" and bobs.edits[0].new_values["lesion_id"] == "T01"
    assert _rows(bob, "ann") == anns
    for name in ("admin", "stat"):
        other = as_user(name)
        with pytest.raises(AccessDenied, match="may not record their own lesions, measurements and timepoint reads"):
            lesions.add_lesion(other, subject_id="P01", kind="target", organ="liver", date=BASELINE)
        with pytest.raises(AccessDenied):
            lesions.reader_timepoints(other, "P01")
    assert _rows(bob, "ann") == anns


def test_a_submitted_timepoint_takes_no_rows_and_loses_none(as_user: Any) -> None:
    ann = as_user("ann")
    _baseline_targets(ann)
    lesions.start_timepoint(ann, subject_id="P01", date=WEEK8)
    reading.record_read(ann, "P01", WEEK8, target="SD", non_target="", new_lesion=False)
    reading.submit_read(ann, "P01", WEEK8, password=PASSWORDS["ann"])
    digest = review_tables_digest(ann.store)
    said = "of P01: ann has submitted this timepoint read; it is read-only"
    with pytest.raises(AccessDenied, match="insert measurements " + said):
        lesions.add_lesion(ann, subject_id="P01", kind="new", organ="liver", date=WEEK8)
    with pytest.raises(AccessDenied, match="delete measurements " + said):
        lesions.remove_lesion(ann, subject_id="P01", lesion_id="T02", reason="not a lesion")
    with pytest.raises(AccessDenied, match="insert measurements " + said):  # the gate itself, below the service
        ann.store.insert("measurements", {"subject_id": "P01", "reader": "ann", "lesion_id": "T01",
                                          "date": WEEK8.isoformat(), "status": "present"})  # fmt: skip
    assert lesions.start_timepoint(ann, subject_id="P01", date=WEEK8).edits == ()
    assert review_tables_digest(ann.store) == digest


def test_a_locked_case_is_refused_in_the_gates_words_and_nothing_is_written(demo: Path) -> None:
    sid = "HCC-001"
    with open_study(demo) as session:
        auth.sign_in(session, "reader1", "reader1-demo")
        added = lesions.add_lesion(session, subject_id=sid, kind="target", organ="lung", date=date(2008, 9, 15))
    with open_study(demo) as session:
        auth.sign_in(session, "adjudicator", "adjudicator-demo")
        adjudication.adjudicate(session, subject_id=sid, chosen_reader="reader1", reason="reader 1 stands",
                                reason_code="measurement")  # fmt: skip
        adjudication.sign_adjudication(session, subject_id=sid, password="adjudicator-demo")
    with open_study(demo) as session:
        auth.sign_in(session, "reader1", "reader1-demo")
        digest = review_tables_digest(session.store)
        closed = re.escape(f"of {sid}: the review of {sid} is closed (locked); nothing was written")
        with pytest.raises(CaseLocked, match="insert lesions " + closed):
            lesions.add_lesion(session, subject_id=sid, kind="new", organ="liver", date=date(2008, 11, 12))
        with pytest.raises(CaseLocked, match="delete measurements " + closed):
            lesions.remove_lesion(session, subject_id=sid, lesion_id="T03", reason="a vessel")
        with pytest.raises(CaseLocked, match="delete measurements " + closed):
            revert(session, added)  # undo after the signature: refused by the gate, the whole group stays
        assert review_tables_digest(session.store) == digest

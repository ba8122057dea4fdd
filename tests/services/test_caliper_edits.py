"""A caliper is a measurement edit (issue 21 item 3): its length *is* the grid's value, through the one edit core
(``services.review.update_measurement``), the one gate, the one inverse and the one stale check."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from hccreview.domain import calipers
from hccreview.domain.access import AccessDenied, CaseLocked
from hccreview.domain.calipers import Caliper, Line
from hccreview.domain.changes import ChangeKind
from hccreview.domain.records import Measurement
from hccreview.services import adjudication, auth
from hccreview.services.review import StaleDataError, ValidationError, revert, update_measurement
from hccreview.services.session import StudySession, open_study
from hccreview.store.rows import from_row

SPACING = (0.78, 0.78)


@pytest.fixture(scope="module")
def _demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hccreview.services.demo_study import build_demo_study

    return build_demo_study(tmp_path_factory.mktemp("calipers") / "demo.db")


@pytest.fixture
def demo(_demo: Path, tmp_path: Path) -> Path:
    return Path(shutil.copyfile(_demo, tmp_path / "demo.db"))


def _open_target(session: StudySession, reader: str) -> dict:
    """A target measurement of ``reader`` at a timepoint they have not submitted, on a case nobody signed."""
    row = session.store.conn.execute(
        """SELECT m.* FROM measurements m JOIN lesions l USING (subject_id, reader, lesion_id)
           WHERE m.reader = ? AND l.kind = 'target' AND l.is_node = 0 AND m.diameter_mm IS NOT NULL
           AND NOT EXISTS (SELECT 1 FROM reads r WHERE r.subject_id = m.subject_id AND r.reader = m.reader
                           AND r.date = m.date AND r.submitted_at IS NOT NULL)
           ORDER BY m.subject_id, m.date LIMIT 1""",
        [reader],
    ).fetchone()
    names = [d[0] for d in session.store.conn.execute("SELECT * FROM measurements LIMIT 0").description]
    return dict(zip(names, row, strict=True))


def _bidirectional(long_px: float, short_px: float) -> Caliper:
    long = Line((100.0, 200.0), (100.0 + long_px, 200.0))
    short = calipers.perpendicular(long, long.midpoint, short_px * SPACING[0], SPACING)
    return Caliper("1.2.826.0.1.3680043.8.498.1", "1.2.826.0.1.3680043.8.498.2", SPACING, "1.2.3",
                   {"long": long, "short": short})  # fmt: skip


def _stored(session: StudySession, mid: int) -> Measurement:
    return from_row(Measurement, session.store.get("measurements", mid))


def test_a_caliper_sets_the_value_it_measures_audited_and_undone_exactly(demo: Path) -> None:
    with open_study(demo) as session:
        auth.sign_in(session, "reader1", "reader1-demo")
        row = _open_target(session, "reader1")
        mid, before = int(row["id"]), row["diameter_mm"]
        caliper = _bidirectional(60.0, 40.0)  # 46.8 mm x 31.2 mm
        edit = update_measurement(session, measurement_id=mid, values={"caliper": caliper},
                                  reason="measured on the image", expected={"diameter_mm": before})  # fmt: skip
        stored = _stored(session, mid)
        assert stored.diameter_mm == 46.8 and stored.short_axis_mm == 31.2
        assert calipers.image_derived(stored) == {"diameter_mm": True, "short_axis_mm": True} | (
            {"viable_mm": False} if stored.viable_mm is not None else {}
        )
        assert ChangeKind.MEASUREMENTS in edit.changes.kinds and edit.changes.subjects == {row["subject_id"]}
        entries = session.store.rows("audit_log", "table_name = 'measurements' AND row_key = ?", [str(mid)])
        assert {e["field"] for e in entries} >= {"diameter_mm", "caliper", "short_axis_mm"}
        assert {e["reason"] for e in entries[-3:]} == {"measured on the image"}
        undo = revert(session, edit)
        back = session.store.get("measurements", mid)
        assert (back["diameter_mm"], back["caliper"], back["short_axis_mm"]) == (before, row["caliper"],
                                                                                 row["short_axis_mm"])  # fmt: skip
        revert(session, undo)  # redo
        assert _stored(session, mid).caliper == calipers.dump([caliper])


def test_a_value_beside_its_caliper_must_agree_and_nothing_is_written_otherwise(demo: Path) -> None:
    with open_study(demo) as session:
        auth.sign_in(session, "reader1", "reader1-demo")
        row = _open_target(session, "reader1")
        audit = session.store.count("audit_log")
        both = {"caliper": _bidirectional(60.0, 40.0), "diameter_mm": 50.0}
        with pytest.raises(ValidationError, match=r"differs from its caliper's 46\.8 mm"):
            update_measurement(session, measurement_id=int(row["id"]), values=both, reason="x")
        with pytest.raises(ValidationError, match="caliper"):
            update_measurement(session, measurement_id=int(row["id"]), values={"caliper": "{not json"}, reason="x")
        assert session.store.count("audit_log") == audit


def test_typing_over_a_caliper_makes_the_value_not_image_derived(demo: Path) -> None:
    with open_study(demo) as session:
        auth.sign_in(session, "reader1", "reader1-demo")
        mid = int(_open_target(session, "reader1")["id"])
        update_measurement(session, measurement_id=mid, values={"caliper": _bidirectional(60.0, 40.0)}, reason="img")
        edit = update_measurement(session, measurement_id=mid, values={"diameter_mm": 47.5}, reason="typed")
        stored = _stored(session, mid)
        assert stored.diameter_mm == 47.5
        assert calipers.image_derived(stored)["diameter_mm"] is False
        assert calipers.image_derived(stored)["short_axis_mm"] is True  # the short axis line stays
        assert "caliper" in edit.new_values  # the dropped line is part of the edit, so undo puts it back
        revert(session, edit)
        assert calipers.image_derived(_stored(session, mid))["diameter_mm"] is True


def test_the_gate_holds_for_calipers_as_for_typed_values(demo: Path) -> None:
    with open_study(demo) as session:
        auth.sign_in(session, "reader2", "reader2-demo")
        theirs = _open_target(session, "reader2")
    with open_study(demo) as session:
        auth.sign_in(session, "reader1", "reader1-demo")
        mine = _open_target(session, "reader1")
    with open_study(demo) as session:  # another reader's measurement: refused, nothing written
        auth.sign_in(session, "reader1", "reader1-demo")
        before = session.store.count("audit_log")
        with pytest.raises(AccessDenied):
            update_measurement(session, measurement_id=int(theirs["id"]),
                               values={"caliper": _bidirectional(60.0, 40.0)}, reason="x")  # fmt: skip
        assert session.store.count("audit_log") == before
    with open_study(demo) as session:  # a stale caliper (someone changed the value meanwhile): refused
        auth.sign_in(session, "reader1", "reader1-demo")
        with pytest.raises(StaleDataError):
            update_measurement(session, measurement_id=int(mine["id"]), values={"caliper": _bidirectional(60.0, 40.0)},
                               reason="x", expected={"diameter_mm": (mine["diameter_mm"] or 0) + 9.0})  # fmt: skip
    sid = mine["subject_id"]
    with open_study(demo) as session:  # the case signed: locked for calipers too
        auth.sign_in(session, "adjudicator", "adjudicator-demo")
        adjudication.adjudicate(session, subject_id=sid, chosen_reader="reader1", reason="reader 1 stands",
                                reason_code="measurement")  # fmt: skip
        adjudication.sign_adjudication(session, subject_id=sid, password="adjudicator-demo")
    with open_study(demo) as session:
        auth.sign_in(session, "reader1", "reader1-demo")
        with pytest.raises(CaseLocked):
            update_measurement(session, measurement_id=int(mine["id"]),
                               values={"caliper": _bidirectional(60.0, 40.0)}, reason="x")  # fmt: skip


def test_the_first_caliper_gives_the_lesion_a_tracking_uid_kept_through_undo(demo: Path) -> None:
    with open_study(demo) as session:
        auth.sign_in(session, "reader1", "reader1-demo")
        row = _open_target(session, "reader1")
        where = "subject_id = ? AND reader = ? AND lesion_id = ?"
        key = [row["subject_id"], "reader1", row["lesion_id"]]
        assert session.store.rows("lesions", where, key)[0]["tracking_uid"] == ""
        edit = update_measurement(session, measurement_id=int(row["id"]), values={"caliper": _bidirectional(60, 40)},
                                  reason="measured on the image")  # fmt: skip
        uid = session.store.rows("lesions", where, key)[0]["tracking_uid"]
        assert uid.startswith("2.25.") and len(uid) <= 64 and uid[5:].isdigit()
        assert ChangeKind.LESIONS in edit.changes.kinds
        revert(session, edit)
        again = update_measurement(session, measurement_id=int(row["id"]), values={"caliper": _bidirectional(50, 30)},
                                   reason="measured again")  # fmt: skip
        assert session.store.rows("lesions", where, key)[0]["tracking_uid"] == uid  # kept once
        assert ChangeKind.LESIONS not in again.changes.kinds

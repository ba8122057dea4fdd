"""The Images tab's Key image toggle (issue 22 item 2): K marks the slice on screen as a key image of the reader's
read at the current timepoint and unmarks it again, each an undoable edit; the count under the lesion list follows;
a caliper's slice is a key image by itself; on a read that is not the user's the button is disabled and says why."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PySide6.QtCore import Qt

from hccreview.demo import images as synthetic
from hccreview.domain.calipers import Caliper
from hccreview.domain.records import LesionKind
from hccreview.services import auth, demo_images, key_images
from hccreview.services.review import update_measurement
from hccreview.services.session import StudySession, open_study
from hccreview.store.database import Store
from hccreview.store.study_data import load_study
from hccreview.ui.panel_context import PanelContext
from hccreview.ui.views.case_images import CaseImagesTab
from hccreview.ui.views.case_view import CaseView


@pytest.fixture(scope="module")
def study(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, Caliper]:
    """A demo study whose patient has reader1's caliper on its first target at baseline (images drawn)."""
    from hccreview.services.demo_study import build_demo_study

    path = build_demo_study(tmp_path_factory.mktemp("key-images-ui") / "demo.db", patients=6)
    with Store.open(path, migrate=False) as system:
        data = load_study(system)
    sid = next(s.subject_id for s in data.subjects
               if any(x.subject_id == s.subject_id and x.reader == "reader1" and x.kind is LesionKind.TARGET
                      for x in data.lesions))  # fmt: skip
    plan = next(p for p in synthetic.plan_subject(data, sid) if p.phase == synthetic.PORTAL_VENOUS)
    truth = next(t for t in plan.lesions if t.kind is LesionKind.TARGET)
    caliper = synthetic.truth_caliper(plan, truth)
    with open_study(path) as session:
        auth.sign_in(session, "reader1", "reader1-demo")
        demo_images.generate(session, sid)
        row = session.store.rows("measurements", "subject_id = ? AND reader = ? AND lesion_id = ? AND date = ?",
                                 [sid, "reader1", truth.lesion_id, plan.date.isoformat()])[0]  # fmt: skip
        update_measurement(session, measurement_id=int(row["id"]), values={"caliper": caliper}, reason="measured")
    return path, sid, caliper


@contextmanager
def _images(qtbot, path: Path, user: str, sid: str) -> Iterator[tuple[CaseView, CaseImagesTab, StudySession]]:  # type: ignore[no-untyped-def]
    session = open_study(path)
    auth.sign_in(session, user, f"{user}-demo")
    context = PanelContext.standalone(session)
    view = CaseView(context)
    qtbot.addWidget(view)
    view.resize(1366, 740)
    view.show()
    view.show_subject(sid)
    qtbot.waitUntil(lambda: view.ready, timeout=20_000)
    view.tabs.setCurrentIndex(view.tab_index("images"))
    tab = view.images
    qtbot.waitUntil(lambda: tab.images is not None and not tab.images.undrawn, timeout=60_000)
    tab._current_chosen(tab.images.timepoints[0].date.isoformat())  # type: ignore[union-attr]  # the baseline
    viewer = tab.reading.current.viewer
    qtbot.waitUntil(lambda: viewer.volume is not None, timeout=10_000)
    try:
        yield view, tab, session
    finally:
        context.runner.wait()
        tab.close()
        session.close()


def test_k_marks_and_unmarks_the_slice_shown_and_ctrl_z_undoes(qtbot, study) -> None:  # type: ignore[no-untyped-def]
    path, sid, caliper = study
    with _images(qtbot, path, "reader1", sid) as (view, tab, session):
        viewer = tab.reading.current.viewer
        assert viewer.show_slice_of(caliper.sop_instance_uid)
        qtbot.waitUntil(lambda: tab.key_count.text().startswith("1 key image at"), timeout=10_000)
        assert tab.key_image.isChecked() and not tab.key_image.isEnabled()  # the caliper's slice: key by itself
        assert "is on this slice: it is a key image while the caliper stays" in tab.key_image.toolTip()

        viewer.set_slice(0 if viewer.index > 0 else 1)  # a slice without a caliper
        qtbot.waitUntil(lambda: tab.key_image.isEnabled())
        assert not tab.key_image.isChecked() and tab.key_image.toolTip().startswith("Mark the slice shown")
        shown = viewer.volume.sop_uid(viewer.index)  # type: ignore[union-attr]
        viewer.setFocus()
        qtbot.keyClick(viewer, Qt.Key.Key_K)
        qtbot.waitUntil(lambda: tab.key_count.text().startswith("2 key images at"), timeout=10_000)
        assert tab.key_image.isChecked() and tab.key_image.toolTip().startswith("Unmark the slice shown")
        marked = key_images.read_key_images(session, sid, "reader1")
        assert [(k.source, k.sop_instance_uid) for k in marked.images][-1] == ("manual", shown)
        audit = session.store.conn.execute("SELECT action FROM audit_log WHERE table_name = 'key_images'").fetchall()
        assert [a for (a,) in audit] == ["create"]

        view.undo_stack.undo()  # Ctrl+Z: the mark goes (an audited delete)
        qtbot.waitUntil(lambda: tab.key_count.text().startswith("1 key image at"), timeout=10_000)
        assert not tab.key_image.isChecked()

        qtbot.keyClick(viewer, Qt.Key.Key_K)  # marked again, then unmarked with K
        qtbot.waitUntil(lambda: tab.key_count.text().startswith("2 key images at"), timeout=10_000)
        qtbot.keyClick(viewer, Qt.Key.Key_K)
        qtbot.waitUntil(lambda: tab.key_count.text().startswith("1 key image at"), timeout=10_000)
        assert [k.source for k in key_images.read_key_images(session, sid, "reader1").images] == ["caliper"]


def test_the_button_is_disabled_on_a_read_that_is_not_yours(qtbot, study) -> None:  # type: ignore[no-untyped-def]
    path, sid, _caliper = study
    with _images(qtbot, path, "adjudicator", sid) as (_view, tab, _session):
        assert tab.evaluator == "reader1" and not tab.editable
        qtbot.waitUntil(lambda: tab.key_count.text().startswith("1 key image at"), timeout=10_000)
        assert not tab.key_image.isEnabled()
        assert tab.key_image.toolTip() == "Read-only: this is not your read, or the case is locked."
        assert tab.toggle_key_image() is None

"""Both readers' calipers on the same images for who may see other reads (issue 22 item 1, first part), and none
of them for a blinded reader (DESIGN §4b): the adjudicator's Images tab lays reader 2's calipers over reader 1's in
another colour (pixels of both colours at the caliper ends), toggled per reader; reader 1 sees only their own."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage

from hccreview.demo import images as synthetic
from hccreview.domain.calipers import Caliper
from hccreview.domain.records import LesionKind
from hccreview.services import auth, demo_images
from hccreview.services.review import update_measurement
from hccreview.services.session import StudySession, open_study
from hccreview.store.database import Store
from hccreview.store.study_data import load_study
from hccreview.ui.panel_context import PanelContext
from hccreview.ui.views.case_images import OVERLAY_COLOURS, VIEW_COLOUR
from hccreview.ui.views.case_view import CaseView
from tests.ui.imaging.support import at


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, dict[str, list[Caliper]]]:
    """A demo study where reader1 and reader2 measured the first target of one patient at baseline, reader2 with
    a longer long axis (a disagreement to see)."""
    from hccreview.services.demo_study import build_demo_study

    path = build_demo_study(tmp_path_factory.mktemp("two-readers") / "demo.db", patients=6)
    with Store.open(path, migrate=False) as system:
        data = load_study(system)
    sid = next(
        s.subject_id
        for s in data.subjects
        if any(
            x.subject_id == s.subject_id and x.reader == "reader2" and x.kind is LesionKind.TARGET for x in data.lesions
        )
    )
    plan = next(p for p in synthetic.plan_subject(data, sid) if p.phase == synthetic.PORTAL_VENOUS)
    truth = next(t for t in plan.lesions if t.kind is LesionKind.TARGET)
    drawn: dict[str, list[Caliper]] = {}
    for reader, stretch in (("reader1", 0.0), ("reader2", 12.0)):
        with open_study(path) as session:
            auth.sign_in(session, reader, f"{reader}-demo")
            if reader == "reader1":
                demo_images.generate(session, sid)
            caliper = synthetic.truth_caliper(plan, truth, stretch_px=stretch)
            row = session.store.rows("measurements", "subject_id = ? AND reader = ? AND lesion_id = ? AND date = ?",
                                     [sid, reader, truth.lesion_id, plan.date.isoformat()])[0]  # fmt: skip
            update_measurement(session, measurement_id=int(row["id"]), values={"caliper": caliper}, reason="measured")
            drawn[reader] = [caliper]
    return path, sid, drawn


@contextmanager
def _open(qtbot, path: Path, user: str, sid: str) -> Iterator[tuple[CaseView, StudySession]]:  # type: ignore[no-untyped-def]
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
    yield view, session
    context.runner.wait()
    tab.close()
    session.close()


def _near(image: QImage, x: int, y: int, colour: str, radius: int = 3) -> bool:
    want = QColor(colour)
    for dx in range(-radius, radius + 1):
        for dy in range(-radius, radius + 1):
            c = image.pixelColor(x + dx, y + dy)
            if (
                abs(c.red() - want.red()) < 40
                and abs(c.green() - want.green()) < 40
                and abs(c.blue() - want.blue()) < 40
            ):
                return True
    return False


def test_the_adjudicator_sees_both_readers_calipers_in_two_colours(qtbot, measured) -> None:  # type: ignore[no-untyped-def]
    path, sid, drawn = measured
    with _open(qtbot, path, "adjudicator", sid) as (view, _session):
        tab = view.images
        assert tab.evaluator == "reader1" and [b.text() for b in tab._overlay_boxes] == ["reader2"]
        first = drawn["reader1"][0]
        tab._current_chosen(tab.images.timepoints[0].date.isoformat())  # type: ignore[union-attr]
        viewer = tab.reading.current.viewer
        qtbot.waitUntil(lambda: viewer.volume is not None and viewer.volume.series_uid == first.series_uid)
        assert viewer.show_slice_of(first.sop_instance_uid)
        qtbot.waitUntil(lambda: viewer.volume is not None and viewer.volume.is_loaded(viewer.index), timeout=10_000)
        tags = {c.tag.split(":")[0] for c in viewer.calipers}
        assert tags == {"reader1", "reader2"} and len(viewer.caliper_overlays) == 2  # read-only tags name the reader
        assert all(not c.editable for c in viewer.calipers)  # the adjudicator draws nothing on the readers' reads
        image = viewer.grab().toImage()
        end1 = at(viewer, drawn["reader1"][0].lines["long"].end)
        end2 = at(viewer, drawn["reader2"][0].lines["long"].end)
        assert _near(image, end1.x(), end1.y(), VIEW_COLOUR) and _near(image, end2.x(), end2.y(), OVERLAY_COLOURS[0])
        tab._overlay_boxes[0].setChecked(False)  # toggled off: reader 2's caliper goes
        assert len(viewer.caliper_overlays) == 1
        assert not _near(viewer.grab().toImage(), end2.x(), end2.y(), OVERLAY_COLOURS[0])


def test_a_blinded_reader_sees_only_their_own_calipers(qtbot, measured) -> None:  # type: ignore[no-untyped-def]
    path, sid, _drawn = measured
    with _open(qtbot, path, "reader1", sid) as (view, _session):
        tab = view.images
        assert tab.evaluator == "reader1" and tab._overlay_boxes == [] and not tab.overlay_label.isVisible()
        shown = [c for pane in (tab.reading.prior, tab.reading.current) for c in pane.viewer.calipers]
        assert shown and all(c.tag.isdigit() for c in shown)  # their own rows only: no "reader2:" overlay

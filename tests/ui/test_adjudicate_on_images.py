"""Adjudication on the images (issue 22 item 1, "Must show").

reader1 and reader2 measure the same lesion of a discordant demo patient at the same visit with different calipers
(the services path the Images tab's MeasureOnImageCommand takes); the adjudicator opens Adjudication ▸ Images on that
patient: both readers' calipers are on the same slice in two colours (pixels of each colour at its caliper's ends),
reader 2's toggle takes its colour away, the per-lesion difference table lists the lesion (drivers first) with both
values and their difference; the adjudicator chooses a read with a reason and signs, and the cohort figures change
as that read implies. Meeting mode toggles the reads and the images with I. A blinded reader gets nothing of it.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QImage, QUndoStack

from hccreview.demo import images as synthetic
from hccreview.domain.calipers import Caliper
from hccreview.services import adjudication, auth, demo_images
from hccreview.services.adjudication import BlindingError
from hccreview.services.adjudication_images import load_adjudication_images
from hccreview.services.adjudication_ui import BLINDED_MESSAGE
from hccreview.services.review import update_measurement
from hccreview.services.session import open_study
from hccreview.services.stats import cohort_stats
from hccreview.store.database import Store
from hccreview.store.study_data import load_study
from hccreview.ui.bus import ChangeBus
from hccreview.ui.models.lesion_difference_model import COLOUR_ROLE, LesionDifferenceModel
from hccreview.ui.views import adjudication_images as images_view
from hccreview.ui.views.adjudication import AdjudicationPanel
from hccreview.ui.views.adjudication_images import AdjudicationImages
from hccreview.ui.views.case_images import OVERLAY_COLOURS
from hccreview.ui.views.meeting_mode import BASE_PT, MeetingModeWindow
from hccreview.ui.workers import Runner
from tests.ui.adjudication_support import DEMO_DISCORDANT, TIMEOUT, Answers, QtParts, answers  # noqa: F401
from tests.ui.imaging.support import at

SUBJECT = "HCC-010"  # discordant in the demo: reader1 PD, reader2 SD at one follow-up (one visit to look at)
LESION = "T01"
STRETCH_PX = 14.0  # reader 2's long axis is this much longer: a disagreement to see


@dataclass(frozen=True)
class Measured:
    path: Path
    visit_date: str  # reader1's date of the measured visit
    calipers: dict[str, Caliper]


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> Measured:
    """The demo study with reader1 and reader2 each measuring T01 of SUBJECT at its follow-up on the images."""
    from hccreview.services.demo_study import build_demo_study

    path = build_demo_study(tmp_path_factory.mktemp("adjudicate-images") / "demo.db")
    with Store.open(path, migrate=False) as system:
        data = load_study(system)
    day = max(m.date for m in data.measurements if m.subject_id == SUBJECT and m.reader == "reader1")
    plans = [p for p in synthetic.plan_subject(data, SUBJECT) if p.phase == synthetic.PORTAL_VENOUS]
    plan = min(plans, key=lambda p: abs((p.date - day).days))  # the scan of that visit
    truth = next(t for t in plan.lesions if t.lesion_id == LESION)
    drawn: dict[str, Caliper] = {}
    for reader, stretch in (("reader1", 0.0), ("reader2", STRETCH_PX)):
        with open_study(path) as session:
            auth.sign_in(session, reader, f"{reader}-demo")
            if reader == "reader1":
                demo_images.generate(session, SUBJECT)
            caliper = synthetic.truth_caliper(plan, truth, stretch_px=stretch)
            row = session.store.rows("measurements", "subject_id = ? AND reader = ? AND lesion_id = ? AND date = ?",
                                     [SUBJECT, reader, LESION, day.isoformat()])[0]  # fmt: skip
            update_measurement(session, measurement_id=int(row["id"]), values={"caliper": caliper}, reason="measured")
            drawn[reader] = caliper
    return Measured(path, day.isoformat(), drawn)


@pytest.fixture
def parts(qapp, measured: Measured, tmp_path: Path) -> Iterator[QtParts]:
    target = tmp_path / "demo.db"
    shutil.copyfile(measured.path, target)
    session = open_study(target)
    runner, bus, stack = Runner(), ChangeBus(), QUndoStack()
    yield QtParts(session, runner, bus, stack, target)
    runner.wait()
    stack.clear()
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


def _panel(qtbot, parts: QtParts, size: tuple[int, int] = (1366, 768)) -> AdjudicationPanel:
    panel = AdjudicationPanel(parts.context)
    qtbot.addWidget(panel)
    panel.resize(*size)
    panel.show()
    return panel


def _images_on(qtbot, view: AdjudicationImages, subject: str) -> None:
    """Wait until the view shows ``subject``'s reads and its images are loaded (drawn once for the module)."""
    qtbot.waitUntil(lambda: view.data is not None and view.data.subject_id == subject and view.images is not None
                    and view.images.images is not None and view.images.images.subject_id == subject
                    and not view.images.images.undrawn, timeout=60_000)  # fmt: skip


def _settled(qtbot, panel: AdjudicationPanel, subject: str) -> None:
    qtbot.waitUntil(lambda: not panel.runner.busy and panel.comparison is not None
                    and panel.comparison.subject_id == subject, timeout=TIMEOUT)  # fmt: skip


def test_both_readers_calipers_on_one_slice_then_a_signed_choice_changes_the_figures(
    qtbot,
    parts: QtParts,
    answers: Answers,  # noqa: F811
    measured: Measured,
) -> None:
    session = parts.session
    parts.sign_in("adjudicator")
    panel = _panel(qtbot, parts)
    qtbot.waitUntil(lambda: panel.comparison is not None, timeout=TIMEOUT)
    panel.show_subject(SUBJECT)
    _settled(qtbot, panel, SUBJECT)
    assert panel.tabs.tabText(panel.TAB_IMAGES) == "&Images" and panel.tabs.tabText(panel.TAB_CASE) == "&Case"
    panel.tabs.setCurrentIndex(panel.TAB_IMAGES)
    view = panel.images
    _images_on(qtbot, view, SUBJECT)
    assert view.images is not None and view.model is not None and view.table is not None and view.visits is not None

    # the visits: the discordant one first, marked
    visits = view.data.visits  # type: ignore[union-attr]
    assert visits[0].discordant and view.visits.itemText(0).startswith("◆")
    index = next(n for n, v in enumerate(visits) if v.dates.get("reader1") and v.dates["reader1"].isoformat()
                 == measured.visit_date)  # fmt: skip
    view.show_visit(index)

    # the difference table: the measured lesion with both values and their difference, drivers first
    model: LesionDifferenceModel = view.model
    rows = [model.lesion(r) for r in range(model.rowCount())]
    row = next(n for n, r in enumerate(rows) if r.lesion_id == LESION and r.kind == "target")
    assert all(r.drives for r in rows[:row]), "the lesions that drive the discordance come first"
    value1 = measured.calipers["reader1"].values()["diameter_mm"]
    value2 = measured.calipers["reader2"].values()["diameter_mm"]
    lesion = rows[row]
    assert (lesion.value_a, lesion.value_b) == (value1, value2) and abs(value2 - value1) > 5
    assert lesion.diff_mm == round(value2 - value1, 1)
    texts = [model.index(row, c).data() for c in range(model.columnCount())]
    assert texts[model.READ_A] == f"{value1:.1f}" and texts[model.READ_B] == f"{value2:.1f}"
    assert texts[model.DIFF] == f"{lesion.diff_mm:+.1f}".replace("-", "−")
    assert model.rowCount() and model.lesion(0).drives, "a lesion drives this discordant visit and is first"

    # colours: the same for each reader in the toggles and the table headers, and distinct
    colours = view.reader_colours()
    assert colours == {"reader1": OVERLAY_COLOURS[0], "reader2": OVERLAY_COLOURS[1]}
    for column, reader in ((model.READ_A, "reader1"), (model.READ_B, "reader2")):
        assert model.headerData(column, Qt.Orientation.Horizontal, COLOUR_ROLE) == colours[reader]
        assert reader in model.headerData(column, Qt.Orientation.Horizontal)
        box = view.images.overlay_box(reader)
        assert box is not None and box.isChecked() and colours[reader] in box.styleSheet()
    assert not view.images.side.isVisible() and not view.images.measure.isVisible()  # read-only, no own list

    # selecting the lesion opens reader 1's caliper slice: both calipers there, in two colours
    view.table.selectRow(row)
    viewer = view.images.reading.current.viewer
    first = measured.calipers["reader1"]
    qtbot.waitUntil(lambda: viewer.volume is not None and viewer.volume.series_uid == first.series_uid
                    and viewer.volume.sources[viewer.index].sop_instance_uid == first.sop_instance_uid
                    and viewer.volume.is_loaded(viewer.index), timeout=20_000)  # fmt: skip
    qtbot.waitUntil(lambda: len(viewer.caliper_overlays) == 2, timeout=TIMEOUT)
    assert {c.tag.split(":")[0] for c in viewer.calipers} == {"reader1", "reader2"}
    assert all(not c.editable for c in viewer.calipers)
    image = viewer.grab().toImage()
    end1 = at(viewer, measured.calipers["reader1"].lines["long"].end)
    end2 = at(viewer, measured.calipers["reader2"].lines["long"].end)
    assert (end2 - end1).manhattanLength() >= 8, "the two ends are apart on screen"
    assert _near(image, end1.x(), end1.y(), colours["reader1"]), "reader 1's colour at reader 1's caliper end"
    assert _near(image, end2.x(), end2.y(), colours["reader2"]), "reader 2's colour at reader 2's caliper end"
    view.images.overlay_box("reader2").setChecked(False)  # type: ignore[union-attr]
    assert len(viewer.caliper_overlays) == 1
    image = viewer.grab().toImage()
    assert not _near(image, end2.x(), end2.y(), colours["reader2"]) and _near(image, end1.x(), end1.y(),
                                                                                colours["reader1"])  # fmt: skip
    view.images.overlay_box("reader2").setChecked(True)  # type: ignore[union-attr]

    # choose read 1 with a reason and sign it; the cohort figures change as read 1 implies
    comparison = panel.comparison
    chosen = comparison.sides["reader1"]  # type: ignore[union-attr]
    before = cohort_stats(session, source="adjudicated").to_dict()
    preview = adjudication.impact_preview(session, SUBJECT)["reader1"]
    panel.tabs.setCurrentIndex(panel.TAB_CASE)
    answers.reasons.append("On the images reader 1's T01 follows the lesion's edge; reader 2 overshoots it.")
    with qtbot.waitSignal(parts.bus.changed, timeout=TIMEOUT):
        panel.case.cards[0].choose.click()
    qtbot.waitUntil(lambda: panel.comparison is not None and panel.comparison.decision is not None
                    and not parts.runner.busy, timeout=TIMEOUT)  # fmt: skip
    answers.passwords.append("adjudicator-demo")
    with qtbot.waitSignal(parts.bus.changed, timeout=TIMEOUT):
        panel.case.sign_button.click()
    qtbot.waitUntil(lambda: panel.comparison is not None and panel.comparison.locked, timeout=TIMEOUT)
    parts.runner.wait()
    after = cohort_stats(session, source="adjudicated").to_dict()
    bor = str(chosen.bor.confirmed)
    b, a = before["response"]["bor_counts"], after["response"]["bor_counts"]
    assert a["PENDING"] == b["PENDING"] - 1 and a[bor] == b.get(bor, 0) + 1
    subject = next(s for s in after["subjects"] if s["id"] == SUBJECT)
    assert subject["bor"] == bor and subject["reader"] == "reader1"
    assert subject["pfs_event"] == (chosen.bor.first_pd_date is not None)
    if chosen.bor.first_pd_date is not None:  # a progression: PFS gains the patient and an event
        assert subject["pfs_date"] == chosen.bor.first_pd_date.isoformat()
        assert (after["pfs"]["n"], after["pfs"]["events"]) == (before["pfs"]["n"] + 1, before["pfs"]["events"] + 1)
    assert adjudication.current_figures(session, SUBJECT) == preview
    panel.close()


def test_meeting_mode_toggles_the_reads_and_the_images_with_i(
    qtbot,
    parts: QtParts,
    answers: Answers,  # noqa: F811
) -> None:
    parts.sign_in("adjudicator")
    window = MeetingModeWindow(parts.context)
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.start(full_screen=False)
    qtbot.waitUntil(lambda: window.loaded and window.case is not None, timeout=TIMEOUT)
    position = DEMO_DISCORDANT.index(SUBJECT)
    for _ in range(position):
        qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: window.loaded and window.case.subject_id == SUBJECT, timeout=TIMEOUT)
    assert window.images is None and window.reads_table.isVisible()
    assert "I images" in window.hint.text()
    qtbot.keyClick(window, Qt.Key.Key_I)
    view = window.images
    assert view is not None and window.showing_images and not window.reads_table.isVisible()
    _images_on(qtbot, view, SUBJECT)
    assert view.table is not None and view.table.font().pointSizeF() >= BASE_PT  # large type for the room
    assert view.model is not None and view.model.rowCount() > 0 and view.model.lesion(0).drives
    assert view.table.focusPolicy() == Qt.FocusPolicy.NoFocus  # the keys stay the meeting's
    qtbot.keyClick(window, Qt.Key.Key_Left)  # the images follow the case
    previous = DEMO_DISCORDANT[position - 1]
    qtbot.waitUntil(lambda: window.loaded and window.case.subject_id == previous, timeout=TIMEOUT)
    _images_on(qtbot, view, previous)
    qtbot.keyClick(window, Qt.Key.Key_Right)
    qtbot.waitUntil(lambda: window.loaded and window.case.subject_id == SUBJECT, timeout=TIMEOUT)
    _images_on(qtbot, view, SUBJECT)
    answers.reasons.append("the images show reader 1's progression")
    qtbot.keyClick(window, Qt.Key.Key_1)  # deciding still works from the images
    assert answers.asked and answers.asked[-1][0] == "decision" and SUBJECT in answers.asked[-1][1]
    qtbot.waitUntil(lambda: window.case.comparison.decision is not None and not parts.runner.busy, timeout=TIMEOUT)
    assert window.case.comparison.decision.chosen_reader == "reader1"
    qtbot.keyClick(window, Qt.Key.Key_I)
    assert not window.showing_images and window.reads_table.isVisible()


def test_a_blinded_reader_gets_no_images_of_the_other_read(
    qtbot,
    parts: QtParts,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    parts.sign_in("reader1")
    with pytest.raises(BlindingError):
        load_adjudication_images(parts.session, SUBJECT)  # the service's own gate
    calls: list[str] = []
    monkeypatch.setattr(images_view, "load_adjudication_images", lambda *a, **k: calls.append("load"))
    panel = _panel(qtbot, parts)
    with qtbot.waitSignal(panel.updated, timeout=TIMEOUT):
        pass
    assert panel.blinded and panel.banner.text() == BLINDED_MESSAGE and not panel.tabs.isVisible()
    panel.tabs.setCurrentIndex(panel.TAB_IMAGES)
    view = panel.images
    view.set_subject(SUBJECT)  # even asked for a case directly
    view._load()
    parts.runner.wait()
    assert calls == [] and view.data is None and view.images is None and view.table is None
    assert view.message.text() == BLINDED_MESSAGE
    assert not any("reader2" in w.text() for w in view.findChildren(type(view.message)))
    window = MeetingModeWindow(parts.context)
    qtbot.addWidget(window)
    window.start(full_screen=False)
    qtbot.keyClick(window, Qt.Key.Key_I)
    assert window.images is None and window.message.text() == BLINDED_MESSAGE

"""Read on the images (issue 21, must show): a reader places bidirectional calipers with the mouse on each target
lesion of a demo patient's synthetic CT; the long axes are the truth within 2 pixels, land in the reader's grid
through the one edit core (reason asked, audited), and the target responses the rules engine derives from them are
the simulated ones; undo works on a caliper as on a typed value, and the lock holds."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest

from hccreview.demo import images as synthetic
from hccreview.domain import calipers, recist
from hccreview.domain.records import LesionKind, Measurement, StudyData
from hccreview.services import adjudication, auth
from hccreview.services.session import StudySession, open_study
from hccreview.store.database import Store
from hccreview.store.rows import from_row
from hccreview.store.study_data import load_study
from hccreview.ui.dialogs.reason import ReasonDialog
from hccreview.ui.imaging.viewer import SliceViewer
from hccreview.ui.panel_context import PanelContext
from hccreview.ui.views.case_view import CaseView
from tests.ui.imaging.support import at, drag

READER = "reader1"


def _truth_data(path: Path) -> StudyData:
    with Store.open(path, migrate=False) as system:
        return load_study(system)


def _targets(data: StudyData, sid: str, reader: str) -> list[str]:
    return sorted(x.lesion_id for x in data.lesions if x.subject_id == sid and x.reader == reader
                  and x.kind is LesionKind.TARGET)  # fmt: skip


def _clear_margin(data: StudyData, sid: str) -> bool:
    """The investigator's target responses are not within 3 % of a threshold (measuring within 2 px keeps them)."""
    lesions = [x for x in data.lesions if x.subject_id == sid and x.reader == "investigator"]
    ms = [m for m in data.measurements if m.subject_id == sid and m.reader == "investigator"]
    results = recist.timepoint_responses(lesions, ms, data.settings.criteria)
    for r in results:
        for pct, edge in ((r.pct_from_baseline, -30.0), (r.pct_from_nadir, 20.0)):
            if pct is not None and abs(pct - edge) < 3.0:
                return False
    return bool(results)


@pytest.fixture(scope="module")
def _demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from hccreview.services.demo_study import build_demo_study

    return build_demo_study(tmp_path_factory.mktemp("read-on-images") / "demo.db")


@pytest.fixture
def demo(_demo: Path, tmp_path: Path) -> Path:
    return Path(shutil.copyfile(_demo, tmp_path / "demo.db"))


def _patient(data: StudyData) -> str:
    """A patient with 2–3 non-nodal targets (same ids for reader1 and the investigator), 2–3 timepoints, reader1
    not submitted, and no investigator response near a threshold."""
    for s in data.subjects:
        sid = s.subject_id
        inv, own = _targets(data, sid, "investigator"), _targets(data, sid, READER)
        nodes = {x.lesion_id for x in data.lesions if x.subject_id == sid and x.is_node}
        dates = {m.date for m in data.measurements if m.subject_id == sid and m.reader == READER}
        if (
            inv == own
            and 2 <= len(inv) <= 3
            and not nodes & set(inv)
            and 2 <= len(dates) <= 3
            and _clear_margin(data, sid)
        ):
            return sid
    raise AssertionError("no demo patient fits")


@pytest.fixture
def window(qtbot, demo: Path) -> Iterator[tuple[CaseView, StudySession, str]]:  # type: ignore[no-untyped-def]
    sid = _patient(_truth_data(demo))
    session = open_study(demo)
    auth.sign_in(session, READER, "reader1-demo")
    context = PanelContext.standalone(session)
    view = CaseView(context)
    qtbot.addWidget(view)
    view.resize(1366, 740)
    view.show()
    view.show_subject(sid)
    qtbot.waitUntil(lambda: view.ready, timeout=20_000)
    view.tabs.setCurrentIndex(view.tab_index("images"))
    tab = view.images
    qtbot.waitUntil(lambda: tab.images is not None and not tab.images.undrawn and tab.current is not None,
                    timeout=60_000)  # fmt: skip
    yield view, session, sid
    context.runner.wait()
    view.images.close()
    session.close()


def _stored(session: StudySession, sid: str) -> list[Measurement]:
    rows = session.store.rows("measurements", "subject_id = ? AND reader = ?", [sid, READER])
    return [from_row(Measurement, r) for r in rows]


def _measure(qtbot, view: CaseView, plan: synthetic.SeriesPlan, truth: synthetic.LesionTruth) -> None:  # type: ignore[no-untyped-def]
    """Select the lesion, press Measure, go to its slice, drag the long axis, then the short axis."""
    tab = view.images
    tab._current_chosen(plan.date.isoformat())
    assert tab.lesions.select_lesion(truth.lesion_id)
    viewer: SliceViewer = tab.reading.current.viewer
    qtbot.waitUntil(lambda: viewer.volume is not None and viewer.volume.series_uid == plan.series_uid)
    volume = viewer.volume
    assert volume is not None
    index = volume.index_of_sop(plan.sop_uids[truth.slice_index])
    assert index is not None
    viewer.set_slice(index)
    qtbot.waitUntil(lambda: volume.is_loaded(index), timeout=10_000)
    assert tab.start_measuring("long")
    drag(viewer, at(viewer, truth.long_axis_px[0]), at(viewer, truth.long_axis_px[1]))
    drag(viewer, at(viewer, truth.short_axis_px[0]), at(viewer, truth.short_axis_px[1]))


def test_calipers_drawn_with_the_mouse_are_the_grid_values_and_give_the_simulated_responses(
    qtbot,
    window,
    monkeypatch: pytest.MonkeyPatch,  # type: ignore[no-untyped-def]
) -> None:
    view, session, sid = window
    asked: list[str] = []
    monkeypatch.setattr(ReasonDialog, "ask", classmethod(lambda cls, parent, title, prompt: asked.append(prompt)
                                                         or "measured on the image"))  # fmt: skip
    truth_data = _truth_data(Path(session.path))
    plans = [p for p in synthetic.plan_subject(truth_data, sid) if p.phase == synthetic.PORTAL_VENOUS]
    targets = set(_targets(truth_data, sid, READER))
    spacing = plans[0].spacing_mm
    expected: dict[tuple[str, date], float] = {}
    for plan in plans:
        for truth in plan.lesions:
            if truth.lesion_id not in targets:
                continue
            before = view.undo_stack.count()
            _measure(qtbot, view, plan, truth)
            qtbot.waitUntil(lambda b=before: view.undo_stack.count() == b + 1 and not view.runner.busy, timeout=10_000)
            expected[truth.lesion_id, plan.date] = truth.long_axis_mm
    assert asked and all("caliper changes a recorded value" in p for p in asked)  # the reader's values existed
    stored = {(m.lesion_id, m.date): m for m in _stored(session, sid)}
    for key, mm in expected.items():
        m = stored[key]
        assert m.diameter_mm is not None and abs(m.diameter_mm - mm) <= 2 * spacing, (key, m.diameter_mm, mm)
        assert calipers.image_derived(m)["diameter_mm"] is True
        (caliper,) = calipers.parse(m.caliper)
        assert calipers.angle_between(caliper.lines["long"], caliper.lines["short"], caliper.spacing) == (
            pytest.approx(90.0, abs=0.5)
        )
    # the grid shows them (the case reloaded through the bus)
    qtbot.waitUntil(lambda: view.ready and not view.runner.busy)
    detail = view.detail
    assert detail is not None
    shown = {(m.lesion_id, m.date): m.diameter_mm for _, m in detail.case.measurements[READER]}
    assert all(shown[k] == stored[k].diameter_mm for k in expected)
    # the lesion list says which values were measured on the image, and shows each caliper's thumbnail
    tab = view.images
    tab._current_chosen(plans[-1].date.isoformat())
    listed = {r.lesion.lesion_id: r for r in tab.lesions.rows}
    for lid in targets:  # RECIST 1.1: the (typed) viable diameter does not count, so the list says "on image"
        assert calipers.image_derived(listed[lid].measurement)["diameter_mm"] is True
        assert tab.lesions.item(list(listed).index(lid), 3).text() == "on image"
        assert listed[lid].measured_text(viable=True) in ("on image", "partly typed")
    qtbot.waitUntil(lambda: all(not tab.lesions.item(i, 0).icon().isNull() for i, r in enumerate(tab.lesions.rows)
                                if r.lesion.lesion_id in targets), timeout=10_000)  # fmt: skip
    # the rules engine on the reader's calipers gives the investigator's (simulated) target responses
    mine = recist.timepoint_responses([x for x in detail.case.lesions[READER]], [m for _, m in
                                      detail.case.measurements[READER]], truth_data.settings.criteria)  # fmt: skip
    inv_lesions = [x for x in truth_data.lesions if x.subject_id == sid and x.reader == "investigator"]
    inv_ms = [m for m in truth_data.measurements if m.subject_id == sid and m.reader == "investigator"]
    simulated = recist.timepoint_responses(inv_lesions, inv_ms, truth_data.settings.criteria)
    assert [(r.date, r.target) for r in mine] == [(r.date, r.target) for r in simulated]

    # undo a caliper as a typed value: the previous value and caliper come back; redo puts it again
    last = _stored(session, sid)
    view.undo_stack.undo()
    qtbot.waitUntil(lambda: not view.runner.busy)
    undone = {(m.lesion_id, m.date): m for m in _stored(session, sid)}
    changed = [k for k in expected if undone[k].diameter_mm != {(m.lesion_id, m.date): m for m in last}[k].diameter_mm]
    assert len(changed) == 1 and calipers.image_derived(undone[changed[0]])["diameter_mm"] is False
    view.undo_stack.redo()
    qtbot.waitUntil(lambda: not view.runner.busy)
    assert {(m.lesion_id, m.date): m.diameter_mm for m in _stored(session, sid)} == {
        (m.lesion_id, m.date): m.diameter_mm for m in last
    }


def test_the_lock_holds_for_a_caliper_as_for_a_typed_value(qtbot, window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    view, session, sid = window
    monkeypatch.setattr(ReasonDialog, "ask", classmethod(lambda cls, parent, title, prompt: "measured"))
    with open_study(session.path) as adj:  # the case is signed in another window meanwhile
        auth.sign_in(adj, "adjudicator", "adjudicator-demo")
        adjudication.adjudicate(adj, subject_id=sid, chosen_reader=READER, reason="reader 1 stands",
                                reason_code="measurement")  # fmt: skip
        adjudication.sign_adjudication(adj, subject_id=sid, password="adjudicator-demo")
    before = session.store.count("audit_log")
    tab = view.images
    stored_calipers = [c.caliper for c in tab.reading.current.viewer.calipers]
    tab.lesions.selectRow(0)
    failed: list[str] = []
    view.edit_failed.connect(failed.append)
    viewer = tab.reading.current.viewer
    qtbot.waitUntil(lambda: viewer.volume is not None and viewer.volume.is_loaded(viewer.index), timeout=10_000)
    assert tab.start_measuring("long")  # a blinded reader learns the case is closed when a write is refused
    drag(viewer, at(viewer, (100.0, 100.0)), at(viewer, (160.0, 100.0)))
    drag(viewer, at(viewer, (130.0, 80.0)), at(viewer, (130.0, 120.0)))
    qtbot.waitUntil(lambda: bool(failed), timeout=10_000)
    assert "closed (locked)" in failed[0] and "nothing was written" in failed[0]
    assert session.store.count("audit_log") == before
    assert [c.caliper for c in viewer.calipers] == stored_calipers  # the refused caliper is not left drawn
    assert view.undo_stack.count() == 0


def test_the_rules_speak_beside_a_caliper(qtbot, window, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A baseline target measured below 10 mm is named at once (RECIST 1.1 §3.1.1); the value is still saved."""
    view, session, _sid = window
    monkeypatch.setattr(ReasonDialog, "ask", classmethod(lambda cls, parent, title, prompt: "re-measured"))
    tab = view.images
    baseline = tab.images.timepoints[0].date  # type: ignore[union-attr]
    tab._current_chosen(baseline.isoformat())
    target = next(r for r in tab.lesions.rows if r.lesion.kind is LesionKind.TARGET)
    tab.lesions.select_lesion(target.lesion.lesion_id)
    viewer = tab.reading.current.viewer
    qtbot.waitUntil(lambda: viewer.volume is not None and viewer.volume.is_loaded(viewer.index), timeout=10_000)
    assert tab.start_measuring("long")
    drag(viewer, at(viewer, (200.0, 200.0)), at(viewer, (210.0, 200.0)))  # about 8 mm
    drag(viewer, at(viewer, (205.0, 197.0)), at(viewer, (205.0, 203.0)))
    qtbot.waitUntil(lambda: "below the measurable minimum" in tab.rules.text(), timeout=10_000)
    assert f"target {target.lesion.lesion_id}:" in tab.rules.text() and "RECIST 1.1 §3.1.1" in tab.rules.text()
    qtbot.waitUntil(lambda: view.undo_stack.count() == 1 and not view.runner.busy, timeout=10_000)
    stored = session.store.get("measurements", target.measurement_id)
    assert stored["diameter_mm"] is not None and stored["diameter_mm"] < 10

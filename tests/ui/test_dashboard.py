"""The live cohort dashboard (pytest-qt): an adjudication reaches the figures, which equal ``stats --json``;
failures are shown, not raised; plots export, tables copy and save; clicks open patients."""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from matplotlib.backend_bases import MouseEvent
from matplotlib.colors import to_hex
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QApplication, QTabWidget, QToolButton

from hccreview import cli
from hccreview.domain.changes import ChangeKind, Changes
from hccreview.domain.cohort import compute_cohort_stats
from hccreview.domain.sources import Source
from hccreview.report.cohort_figures import subject_of
from hccreview.report.figures import response_colour
from hccreview.services.dashboard_process import DashboardProcess, LocalDashboard, ProcessDashboard
from hccreview.services.session import StudySession, open_study
from hccreview.ui.bus import ChangeBus
from hccreview.ui.panel_context import PanelContext
from hccreview.ui.views.dashboard import DashboardPanel
from hccreview.ui.views.dashboard_canvas import SaveLocation
from hccreview.ui.workers import Runner

Env = tuple[DashboardPanel, StudySession, ChangeBus, Runner]


@pytest.fixture
def env(qtbot, review_study: Path) -> Iterator[Env]:  # type: ignore[no-untyped-def]
    session = open_study(review_study, user="tester")
    bus, runner = ChangeBus(), Runner()
    panel = DashboardPanel(PanelContext(session, bus, runner, QUndoStack()))
    qtbot.addWidget(panel)
    panel.resize(1366, 768)
    with qtbot.waitSignal(panel.details_updated, timeout=30000):
        panel.show()
    runner.wait()
    yield panel, session, bus, runner
    panel.close()
    runner.wait()
    session.close()


#: stats --json fields the dashboard's headline statistics leave out: the decisions' reason codes (read from the
#: store) and the arms (shown in the Arms table and by the arm selector, from the same ``domain.arms`` analysis).
NOT_IN_THE_HEADLINE = ("adjudication", "arms", "by_arm", "comparisons")


def _stats_json(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> dict:
    capsys.readouterr()
    assert cli.run(["stats", str(path), "--json", *extra]) == 0
    return json.loads(capsys.readouterr().out)


def _shown_bars(panel: DashboardPanel) -> dict[str, tuple[float, str]]:
    fig = panel.plots["waterfall"].figure
    return {subject_of(p): (p.get_height(), to_hex(p.get_facecolor())) for ax in fig.axes for p in ax.patches
            if subject_of(p)}  # fmt: skip


def _click(canvas: object, artist: object) -> None:
    canvas.draw()  # type: ignore[attr-defined]
    box = artist.get_window_extent()  # type: ignore[attr-defined]
    MouseEvent("button_press_event", canvas, (box.x0 + box.x1) / 2, (box.y0 + box.y1) / 2, 1)._process()


def test_an_adjudication_updates_the_figures_which_equal_stats_json(qtbot, env: Env, capsys) -> None:  # type: ignore[no-untyped-def]
    panel, session, bus, _ = env
    from hccreview.services.adjudication import adjudicate
    from hccreview.services.auth import sign_in

    before = panel.data
    assert before is not None and before.stats.pending, "the demo has patients awaiting adjudication"
    data = session.data()
    reader1 = {o.subject_id: o.bor for o in compute_cohort_stats(data, "reader:reader1").subjects}
    reader2 = {o.subject_id: o.bor for o in compute_cohort_stats(data, "reader:reader2").subjects}
    choice = next(((sid, r) for sid in before.stats.pending for r, bors in (("reader1", reader1), ("reader2", reader2))
                   if bors[sid] in ("CR", "PR")), (before.stats.pending[0], "reader1"))  # fmt: skip
    panel.plot_tabs.setCurrentWidget(panel.plots["waterfall"])
    qtbot.waitUntil(lambda: not panel.plots["waterfall"].pending)
    assert choice[0] not in _shown_bars(panel)  # pending: no read stands yet

    sign_in(session, "adjudicator", "adjudicator-demo")
    edit = adjudicate(
        session,
        subject_id=choice[0],
        chosen_reader=choice[1],
        reason="reader's lesions confirmed",
        reason_code="measurement",
    )
    details: list[object] = []
    panel.details_updated.connect(details.append)
    with qtbot.waitSignal(panel.updated, timeout=10000) as blocker:
        bus.publish(edit.changes)
    printed = _stats_json(session.path, capsys)
    stats = blocker.args[0]
    # the same figures; stats --json adds the decisions' reason codes (read from the store, not a cohort figure)
    # and the arms (the dashboard's Arms table and arm selector, tests/ui/test_arms_gui.py)
    assert stats.to_dict() == {k: v for k, v in printed.items() if k not in NOT_IN_THE_HEADLINE}
    assert printed["adjudication"]["reason_codes"]["measurement"] == 1
    assert printed["response"]["pending"] == len(before.stats.pending) - 1
    orr = printed["response"]["orr"]
    assert f"ORR <b>{100 * orr['rate']:.1f}%</b> ({orr['n']}/{printed['n_enrolled']};" in panel.summary_label.text()
    if reader1.get(choice[0]) in ("CR", "PR") or reader2.get(choice[0]) in ("CR", "PR"):
        assert orr["n"] == before.stats.orr.n + 1
    for key, name in (("pfs", "PFS"), ("os", "OS")):
        median = printed[key]["median_months"]
        assert f"Median {name} <b>{median:.1f}</b> mo" in panel.summary_label.text()
    bars = _shown_bars(panel)
    bors = {s["id"]: s["bor"] for s in printed["subjects"]}
    assert choice[0] in bars
    assert {sid: colour for sid, (_, colour) in bars.items()} == {sid: response_colour(bors[sid]) for sid in bars}
    assert {sid: h for sid, (h, _) in bars.items()} == {sid: pct for sid, pct, _ in panel.data.waterfall}
    assert panel.last_recompute_ms is not None and panel.last_recompute_ms > 0
    qtbot.waitUntil(lambda: bool(details), timeout=10000)
    assert panel.data.adjudication.adjudicated == before.adjudication.adjudicated + 1


def test_previous_figures_stay_visible_and_greyed_while_recomputing(qtbot, env: Env) -> None:  # type: ignore[no-untyped-def]
    panel, session, bus, _ = env
    axes_before = list(panel.plots["pfs"].figure.axes)
    with qtbot.waitSignal(panel.updated, timeout=10000):
        bus.publish(Changes.of(session.data().subjects[0].subject_id, kinds={ChangeKind.READS}))
        assert panel.busy and panel.veil.isVisibleTo(panel) and panel.updating_label.isVisibleTo(panel)
        assert panel.plots["pfs"].figure.axes == axes_before
    assert not panel.veil.isVisibleTo(panel) and not panel.updating_label.isVisibleTo(panel)


def test_a_review_state_change_does_not_recompute(qtbot, env: Env) -> None:  # type: ignore[no-untyped-def]
    panel, session, bus, _ = env
    with qtbot.assertNotEmitted(panel.updated, wait=400):
        bus.publish(Changes.of(session.data().subjects[0].subject_id, kinds={ChangeKind.REVIEW_STATUS}))
        assert not panel.busy


def test_a_failing_compute_shows_a_message_and_recovers(qtbot, env: Env) -> None:  # type: ignore[no-untyped-def]
    panel, session, bus, runner = env
    sid = session.data().subjects[0].subject_id
    working = panel.backend

    class Broken:
        lane = working.lane

        def compute(self, *args: object, **kwargs: object) -> None:
            raise RuntimeError("statistics engine exploded")

    panel.backend = Broken()  # type: ignore[assignment]
    with qtbot.waitSignal(panel.failed, timeout=10000):
        bus.publish(Changes.of(sid, kinds={ChangeKind.READS}))
    assert panel.error_label.isVisibleTo(panel)
    assert "statistics engine exploded" in panel.error_label.text()
    assert "last successful update" in panel.error_label.text()
    assert panel.plots["pfs"].figure.axes and not panel.busy
    panel.backend = working
    runner.wait()
    with qtbot.waitSignal(panel.updated, timeout=10000):
        bus.publish(Changes.of(sid, kinds={ChangeKind.READS}))
    assert not panel.error_label.isVisibleTo(panel)


def test_figures_are_computed_in_the_statistics_process_which_restarts_after_a_crash(qtbot, env: Env) -> None:  # type: ignore[no-untyped-def]
    panel, session, bus, runner = env
    assert isinstance(panel.backend, ProcessDashboard) and panel.fallback_reason is None
    process = panel.backend.process
    assert process.pid is not None and process.pid != os.getpid()
    sid = session.data().subjects[0].subject_id
    with qtbot.waitSignal(panel.failed, timeout=10000) as blocker:
        panel.backend = _KillDuringCompute(panel.backend)  # type: ignore[assignment]
        bus.publish(Changes.of(sid, kinds={ChangeKind.READS}))
    assert "statistics process stopped unexpectedly" in blocker.args[0]
    assert "statistics process stopped unexpectedly" in panel.error_label.text()
    panel.backend = panel.backend.inner  # type: ignore[attr-defined]
    runner.wait()
    starts = process.starts
    with qtbot.waitSignal(panel.updated, timeout=30000) as blocker:
        bus.publish(Changes.of(sid, kinds={ChangeKind.READS}))
    assert process.starts == starts + 1 and process.pid is not None
    assert blocker.args[0].to_dict() == compute_cohort_stats(session.data(), None).to_dict()
    assert not panel.error_label.isVisibleTo(panel)


class _KillDuringCompute:
    """A backend that kills the statistics process while its request is in flight."""

    def __init__(self, inner: ProcessDashboard) -> None:
        self.inner, self.lane = inner, inner.lane

    def compute(self, source: str | None, *, fresh: bool = False) -> object:
        pid = self.inner.process.pid
        threading.Timer(0.05, lambda: os.kill(pid, signal.SIGKILL)).start()
        self.inner.process.call("sleep", 5.0)  # the child is busy when it is killed
        raise AssertionError("the child answered although it was killed")


def test_without_a_statistics_process_the_panel_computes_here(qtbot, review_study: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from hccreview.services import dashboard_process

    monkeypatch.setattr(dashboard_process, "child_command", lambda: ["/nonexistent/hccreview-python"])
    session = open_study(review_study, user="tester")
    bus, runner = ChangeBus(), Runner()
    context = PanelContext(session, bus, runner, QUndoStack())
    panel = DashboardPanel(context, backend=ProcessDashboard(session.path, DashboardProcess()))
    qtbot.addWidget(panel)
    try:
        with qtbot.waitSignal(panel.updated, timeout=30000) as blocker:
            panel.show()
        assert isinstance(panel.backend, LocalDashboard)
        assert "could not be started" in (panel.fallback_reason or "")
        assert blocker.args[0].to_dict() == compute_cohort_stats(session.data(), None).to_dict()
        assert not panel.error_label.isVisibleTo(panel)
    finally:
        panel.close()
        runner.wait()
        session.close()


def test_switching_the_source_shows_that_sources_figures(qtbot, env: Env, capsys) -> None:  # type: ignore[no-untyped-def]
    panel, session, _, _ = env
    with qtbot.waitSignal(panel.updated, timeout=10000) as blocker:
        panel.set_source("investigator")
    printed = _stats_json(session.path, capsys, "--source", "investigator")
    assert blocker.args[0].to_dict() == {k: v for k, v in printed.items() if k not in NOT_IN_THE_HEADLINE}
    assert panel.source_combo.currentData() == "investigator"
    assert [panel.source_combo.itemData(i) for i in range(panel.source_combo.count())] == panel.data.sources


def test_plots_export_as_png_and_svg(env: Env, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    panel, *_ = env
    asked: list[str] = []

    def ask(cls, parent, caption, suggested, kind):  # type: ignore[no-untyped-def]
        asked.append(kind)
        return tmp_path / suggested

    monkeypatch.setattr(SaveLocation, "ask_path", classmethod(ask))
    png = panel.plots["pfs"].ask_and_export("png")
    svg = panel.plots["pfs"].ask_and_export("svg")
    assert asked == ["png", "svg"]
    assert png is not None and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert svg is not None and "<svg" in svg.read_text() and "Number at risk" in svg.read_text()
    monkeypatch.setattr(SaveLocation, "ask_path", classmethod(lambda cls, *a: None))
    assert panel.plots["os"].ask_and_export("png") is None  # cancelled: nothing written


def _export_menu_texts(tabs: QTabWidget) -> list[str]:
    """The Export button's menu beside ``tabs`` as the user opens it (filled on ``aboutToShow``)."""
    button = tabs.cornerWidget()
    assert isinstance(button, QToolButton) and button.text() == "Export"
    menu = button.menu()
    menu.aboutToShow.emit()
    return [action.text() for action in menu.actions()]


def test_the_export_buttons_offer_the_current_plot_and_table(env: Env) -> None:
    panel, *_ = env
    panel.plot_tabs.setCurrentWidget(panel.plots["pfs"])
    assert _export_menu_texts(panel.plot_tabs) == ["Save Progression-free survival as PNG…",
                                                   "Save Progression-free survival as SVG…"]  # fmt: skip
    panel.plot_tabs.setCurrentWidget(panel.plots["waterfall"])
    assert _export_menu_texts(panel.plot_tabs) == ["Save Waterfall as PNG…", "Save Waterfall as SVG…"]
    panel.table_tabs.setCurrentWidget(panel.tables["toxicity"])
    assert _export_menu_texts(panel.table_tabs) == ["Copy selection", "Copy Toxicity (all rows)",
                                                    "Save Toxicity as CSV…"]  # fmt: skip


def test_tables_copy_as_tsv_and_save_as_csv(qtbot, env: Env, tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    panel, *_ = env
    table = panel.tables["response"]
    panel.table_tabs.setCurrentWidget(table)
    table.selectAll()
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    lines = QApplication.clipboard().text().splitlines()
    frame = panel.data.response_table
    assert lines[0].split("\t") == [frame.columns[0], *(Source.parse(c).label(short=True) for c in frame.columns[1:])]
    assert lines[1 + list(frame.iloc[:, 0]).index("ORR (CR + PR)")].split("\t") == list(
        frame[frame.iloc[:, 0] == "ORR (CR + PR)"].iloc[0])  # fmt: skip
    monkeypatch.setattr(SaveLocation, "ask_path", classmethod(lambda cls, parent, cap, name, kind: tmp_path / name))
    path = panel.tables["toxicity"].ask_and_save()
    assert path is not None
    saved = pd.read_csv(path)
    assert saved["Term"].tolist() == panel.data.toxicity_table["Term"].tolist()
    assert saved["Any grade"].tolist() == panel.data.toxicity_table["Any grade"].tolist()


def test_clicking_a_bar_or_a_lane_activates_that_patient(qtbot, env: Env) -> None:  # type: ignore[no-untyped-def]
    panel, *_ = env
    for name in ("waterfall", "swimmer"):
        canvas = panel.plots[name]
        panel.plot_tabs.setCurrentWidget(canvas)
        qtbot.waitUntil(lambda canvas=canvas: not canvas.pending)
        artist = next(p for ax in canvas.figure.axes for p in ax.patches if subject_of(p))
        with qtbot.waitSignal(panel.subject_activated, timeout=2000) as blocker:
            _click(canvas.host.canvas, artist)
        assert blocker.args == [subject_of(artist)]


def test_panel_state_round_trip(env: Env) -> None:
    from hccreview.ui.settings import AppSettings

    panel, *_ = env
    settings = AppSettings()
    panel.plot_tabs.setCurrentIndex(4)
    panel.table_tabs.setCurrentIndex(2)
    panel.save_state(settings)
    panel.plot_tabs.setCurrentIndex(0)
    panel.table_tabs.setCurrentIndex(0)
    panel.restore_state(settings)
    assert (panel.plot_tabs.currentIndex(), panel.table_tabs.currentIndex()) == (4, 2)


def test_a_measurement_edit_moves_that_patients_waterfall_bar(qtbot, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from hccreview.services.review import update_measurement
    from tests.factories import small_study

    small_study(tmp_path / "small.db").close()
    session = open_study(tmp_path / "small.db", user="tester")
    bus, runner = ChangeBus(), Runner()
    panel = DashboardPanel(PanelContext(session, bus, runner, QUndoStack()))
    qtbot.addWidget(panel)
    panel.plot_tabs.setCurrentWidget(panel.plots["waterfall"])
    with qtbot.waitSignal(panel.details_updated, timeout=30000):
        panel.show()
    runner.wait()
    try:
        assert "No central review" in panel.review_label.text() and panel.source == "investigator"
        before = _shown_bars(panel)["P01"][0]
        assert before == pytest.approx(100 * (38 - 70) / 70)  # best of the 3 follow-up sums (P01: 70 mm baseline)
        row = session.store.rows("measurements", "subject_id = 'P01' AND lesion_id = 'T01' AND visit = 'WEEK 8'")[0]
        mid = int(row["id"])
        edit = update_measurement(session, measurement_id=mid, values={"diameter_mm": 10.0}, reason="re-read")
        with qtbot.waitSignal(panel.updated, timeout=10000):
            bus.publish(edit.changes)
        assert _shown_bars(panel)["P01"][0] == pytest.approx(100 * (28 - 70) / 70)
    finally:
        panel.close()
        runner.wait()
        session.close()

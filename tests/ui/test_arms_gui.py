"""Arms on screen (issue 23, pytest-qt): the dashboard's arm selector and Arms comparison on the real ``onco`` study
(three arms, placebo the reference), none of it on the one-arm demo, and the navigator's arm filter."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack

from hccreview.services.dashboard_process import LocalDashboard
from hccreview.services.navigation import navigator_inputs, overview_from
from hccreview.services.overview import Overview, PatientRow
from hccreview.services.session import StudySession, open_study
from hccreview.services.stats import cohort_stats
from hccreview.ui.bus import ChangeBus
from hccreview.ui.panel_context import PanelContext
from hccreview.ui.views.dashboard import DashboardPanel
from hccreview.ui.views.navigator import NavigatorPanel
from hccreview.ui.workers import Runner

ARMS = ["Placebo", "Xanomeline High Dose", "Xanomeline Low Dose"]
#: Randomised to the high dose (DM ARM), treated with the low dose (ACTARM): in the low-dose arm, as treated.
SWITCHED = "01-701-1181"


@pytest.fixture
def onco(sdtm_template: Callable[[str], Path], tmp_path: Path) -> Iterator[StudySession]:
    session = open_study(shutil.copyfile(sdtm_template("onco"), tmp_path / "onco.db"), user="tester")
    yield session
    session.close()


def _panel(qtbot, session: StudySession) -> tuple[DashboardPanel, Runner]:
    runner = Runner()
    panel = DashboardPanel(PanelContext(session, ChangeBus(), runner, QUndoStack()), backend=LocalDashboard(session))
    qtbot.addWidget(panel)
    panel.resize(1366, 768)
    with qtbot.waitSignal(panel.details_updated, timeout=60000):
        panel.show()
    return panel, runner


def _cells(panel: DashboardPanel, name: str) -> list[list[str]]:
    model = panel.tables[name].model()
    return [[str(model.index(r, c).data(Qt.ItemDataRole.DisplayRole)) for c in range(model.columnCount())]
            for r in range(model.rowCount())]  # fmt: skip


def test_onco_dashboard_follows_the_arm_selector_and_compares_the_arms(qtbot, onco: StudySession) -> None:
    expected = cohort_stats(onco).to_dict()  # what stats --json says
    panel, runner = _panel(qtbot, onco)
    combo = panel.arm_combo
    assert combo.isVisibleTo(panel) and panel.arm_label.isVisibleTo(panel)
    assert [combo.itemText(i) for i in range(combo.count())] == ["Overall", *ARMS]
    tabs = panel.table_tabs
    assert tabs.isTabVisible(tabs.indexOf(panel.tables["arms"]))
    assert panel.plot_tabs.isTabVisible(panel.plot_tabs.indexOf(panel.plots["pfs_arm"]))
    rows = _cells(panel, "arms")
    low_pfs = next(c for c in expected["comparisons"] if c["arm"] == ARMS[2] and c["endpoint"] == "pfs")
    lo, hi = low_pfs["hr_ci"]
    assert ["PFS median", ARMS[2]] == rows[2][:2]
    assert rows[2][4] == f"HR {low_pfs['hr']:.2f} ({lo:.2f}–{hi:.2f})" and rows[2][5] == f"{low_pfs['logrank_p']:.3f}"
    assert rows[4][1] == ARMS[1] and rows[4][4] == "not estimable"  # OS: no death on the high dose
    assert [r[2] for r in rows[6:]] == [
        f"{expected['by_arm'][a]['response']['orr']['n']}/{expected['by_arm'][a]['n_enrolled']}" for a in ARMS
    ]

    with qtbot.waitSignal(panel.updated, timeout=60000) as blocker:
        combo.setCurrentIndex(3)
        combo.activated.emit(3)
    shown = blocker.args[0]
    assert panel.arm == ARMS[2] and shown.n_enrolled == expected["by_arm"][ARMS[2]]["n_enrolled"] == 96
    assert shown.to_dict()["response"] == expected["by_arm"][ARMS[2]]["response"]
    assert SWITCHED in {o.subject_id for o in shown.subjects}
    assert "96</b> patients analysed in <b>Xanomeline Low Dose" in panel.summary_label.text()
    runner.wait()
    panel.close()
    runner.wait()


def test_the_one_arm_demo_has_no_arm_selector(qtbot, demo_copy: Path) -> None:
    session = open_study(demo_copy, user="tester")
    try:
        panel, runner = _panel(qtbot, session)
        assert not panel.arm_combo.isVisibleTo(panel) and not panel.arm_label.isVisibleTo(panel)
        assert not panel.table_tabs.isTabVisible(panel.table_tabs.indexOf(panel.tables["arms"]))
        for key in ("pfs_arm", "os_arm"):
            assert not panel.plot_tabs.isTabVisible(panel.plot_tabs.indexOf(panel.plots[key]))
        assert panel.data is not None and len(panel.data.arms) == 1 and panel.data.by_arm is None
        runner.wait()
        panel.close()
        runner.wait()
    finally:
        session.close()


def _row(sid: str, arm: str) -> PatientRow:
    return PatientRow(sid, None, None, 0, {"investigator": "PR"}, {"investigator": "PR"}, 1.0, False, 2.0, False,
                      "not started", False, 0, arm=arm)  # fmt: skip


def test_navigator_filters_by_arm_shown_with_two_arms_only(qtbot) -> None:
    nav = NavigatorPanel()
    qtbot.addWidget(nav)
    nav.show()
    rows = [_row("A1", "Drug"), _row("P1", "Placebo"), _row("A2", "Drug"), _row("U1", "")]
    nav.set_overview(Overview("T", "RECIST 1.1", ["investigator"], "investigator", rows), "investigator")
    combo = nav.arm_filter
    assert combo.isVisibleTo(nav)
    assert [combo.itemText(i) for i in range(combo.count())] == ["All arms", "Placebo", "Drug"]
    combo.setCurrentIndex(2)
    assert nav.visible_subjects() == ["A1", "A2"] and nav.count_label.text() == "2 of 4 patients"
    nav.clear_filters()
    assert nav.visible_subjects() == ["A1", "A2", "P1", "U1"]
    one = [_row("A1", "Drug"), _row("A2", "Drug")]
    nav.set_overview(Overview("T", "RECIST 1.1", ["investigator"], "investigator", one), "investigator")
    assert not combo.isVisibleTo(nav) and nav.visible_subjects() == ["A1", "A2"]


def test_navigator_rows_carry_the_arm_as_treated(onco: StudySession) -> None:
    overview = overview_from(*navigator_inputs(onco))
    assert overview.arms == tuple(ARMS)
    arms = {r.subject_id: r.arm for r in overview.rows}
    assert arms[SWITCHED] == ARMS[2]
    assert sum(a == ARMS[0] for a in arms.values()) == 86

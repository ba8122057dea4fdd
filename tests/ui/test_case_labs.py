"""The case view's Labs tab (issue 23 item 3, pytest-qt): the real SDTM ``onco`` LB graded by CTCAE v5.0 — tests ×
dates, values converted to the criteria's units, range flags, grade >= 3 highlighted, the rule of the selected
value — the timeline's grade >= 3 lab marker and legend, the dashboard's laboratory toxicity table labelled with its
source; and no Labs tab (the service refuses) for a blinded reader of the demo study."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QUndoStack

from hccreview.domain.access import AccessDenied
from hccreview.report.figures import GRADE_COLOURS
from hccreview.services import auth
from hccreview.services.case_labs import case_labs
from hccreview.services.session import StudySession, open_study
from hccreview.ui.bus import ChangeBus
from hccreview.ui.panel_context import PanelContext
from hccreview.ui.views.case_view import CaseView
from hccreview.ui.workers import Runner
from tests.ui.case_support import DEMO_PASSWORDS

#: An onco patient whose bilirubin rises to grade 3 over an abnormal baseline (25.65 µmol/L > ULN 21), with a
#: baseline GGT of 466 U/L (> 5 x ULN 50: grade 3 already at baseline).
BILIRUBIN = "01-705-1186"
BACKGROUND = Qt.ItemDataRole.BackgroundRole


@pytest.fixture
def onco(sdtm_template: Callable[[str], Path], tmp_path: Path) -> Iterator[StudySession]:
    session = open_study(shutil.copyfile(sdtm_template("onco"), tmp_path / "onco.db"), user="tester")
    yield session
    session.close()


def _view(qtbot, session: StudySession, subject: str) -> tuple[CaseView, Runner]:  # type: ignore[no-untyped-def]
    runner = Runner()
    view = CaseView(PanelContext(session, ChangeBus(), runner, QUndoStack()))
    qtbot.addWidget(view)
    view.resize(1366, 768)
    view.show()
    with qtbot.waitSignal(view.loaded, timeout=20000):
        view.show_subject(subject)
    return view, runner


def _header(model, column: int) -> str:  # type: ignore[no-untyped-def]
    return str(model.headerData(column, Qt.Orientation.Horizontal))


def test_the_labs_tab_grades_the_real_lb_with_units_flags_and_rules(qtbot, onco: StudySession) -> None:  # type: ignore[no-untyped-def]
    view, runner = _view(qtbot, onco, BILIRUBIN)
    assert view.shows("labs")
    view.tabs.setCurrentIndex(view.tab_index("labs"))
    assert view.tabs.tabText(view.tab_index("labs")) == "La&bs ⚠"  # 4 bilirubin, GGT at baseline
    assert view.tabs.tabToolTip(view.tab_index("labs")) == "5 laboratory value(s) of CTCAE grade ≥3"
    tab = view.labs
    model = tab.model
    assert [_header(model, c) for c in range(5)] == ["Test", "CTCAE v5.0 term", "Unit", "Range", "Worst"]
    first = [str(model.index(0, c).data()) for c in range(5)]
    assert first == ["BILI", "Blood bilirubin increased (↑)", "mg/dL", "0.1754–1.228", "G3"]  # 3-21 µmol/L
    day = [_header(model, c) for c in range(model.columnCount())].index("2014-01-26")
    cell = model.index(0, day)
    assert cell.data() == "7.3 H G3"  # 124.83 µmol/L = 7.3 mg/dL, above the range, grade 3
    assert QColor(cell.data(BACKGROUND)).name() == GRADE_COLOURS[3]
    base = [_header(model, c) for c in range(model.columnCount())].index("2014-01-03")
    assert model.index(0, base).data() == "1.5 H G1"  # the abnormal baseline itself: > ULN
    tab.table.setCurrentIndex(cell)
    assert tab.detail_line.text() == (
        "BILI 2014-01-26: 7.3 mg/dL (recorded 124.8 umol/L); range 0.1754–1.228; above the range. CTCAE v5.0 Blood "
        "bilirubin increased G3: 7.3 > 3 x baseline 1.5 (abnormal baseline) — grade 3 (severe or medically "
        "significant)."
    )
    terms = {str(model.index(r, 0).data()): str(model.index(r, 1).data()) for r in range(model.rowCount())}
    assert terms["HGB"] == "Anemia (↓)" and terms["K"] == "Hyperkalemia / Hypokalemia (↓↑)"
    assert "CHOL" not in terms and tab.show_all.isVisibleTo(tab)
    assert tab.summary.text() == (
        "13 of 39 tests graded — laboratory (CTCAE v5.0 from LB); values in the criteria's units · <b>5</b> values "
        "at grade ≥3 · worst <b>G3 GGT increased</b> on 2014-01-03 (baseline) · baseline = last value on or before "
        "the first dose 2014-01-08 — source data (read-only): to dispute a value, raise a query on the Queries tab"
    )
    tab.show_all.setChecked(True)  # the tests without a criterion: value and flag, no grade
    shown = {str(model.index(r, 0).data()): r for r in range(model.rowCount())}
    assert model.index(shown["CHOL"], 1).data() == "— (no CTCAE criterion here)"
    assert model.index(shown["CHOL"], 4).data() == "—"

    view.tabs.setCurrentIndex(view.tab_index("timeline"))  # grade >= 3 lab values: their own marker and legend
    host = view.timeline.host
    qtbot.waitUntil(lambda: not host.pending and bool(host.figure.axes), timeout=10000)
    marks = [line for line in host.figure.axes[0].lines if str(line.get_gid()) == "lab:3"]
    assert len(marks) == 5 and all(line.get_marker() == "v" for line in marks)
    legend = [t.get_text() for legend in host.figure.legends for t in legend.get_texts()]
    assert "Lab G≥3 (CTCAE, LB)" in legend
    labels = sorted(t.get_text() for t in host.figure.axes[0].texts if t.get_gid() == "lab-label")
    assert labels == ["BILI↑ G3"] * 4 + ["GGT↑ G3"]
    runner.wait()


def test_a_blinded_reader_has_no_labs_tab_and_the_service_refuses(qtbot, demo_copy: Path) -> None:  # type: ignore[no-untyped-def]
    with open_study(demo_copy) as session:
        subject = session.store.conn.execute("SELECT subject_id FROM labs ORDER BY id LIMIT 1").fetchone()[0]
        auth.sign_in(session, "reader1", DEMO_PASSWORDS["reader1"])
        view, runner = _view(qtbot, session, subject)
        assert not view.shows("labs") and view.labs.model.rowCount() == 0
        with pytest.raises(AccessDenied, match="may not see clinical data"):
            case_labs(session, subject)
        auth.sign_in(session, "adjudicator", DEMO_PASSWORDS["adjudicator"])  # who may see clinical data: it is there
        view.apply_access()
        view.reload()
        qtbot.waitUntil(lambda: view.labs.model.rowCount() > 0, timeout=20000)
        assert view.shows("labs") and case_labs(session, subject).values
        runner.wait()

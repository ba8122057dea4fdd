"""The patient case view, driven like a reader would: load, step, edit through the models, undo.

Edits go through the models' ``setData`` (pytest-qt's advice over synthetic typing), one keyboard test
covers F2 → type → Enter. Waiting is on signals and model content, never on sleeps. The view is signed in as
``reader1`` (``case_support``), who edits their own rows; a change to a recorded value asks why (answered by the
``reasons`` fixture; a cancelled prompt writes nothing).
"""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QApplication, QLineEdit

from hccreview.services import review
from hccreview.services.case import audit_trail
from hccreview.services.case_extra import load_case_detail
from hccreview.services.session import open_study
from hccreview.ui.views.case_view import NO_REASON, CaseView
from tests.ui.case_support import (  # noqa: F401
    EDITING_READER,
    Reasons,
    _case_template,
    case_study,
    case_user,
    case_view,
    detail_of,
    qt_env,
    reasons,
    sign_in,
    target_cell,
)

TIMEOUT = 20000


def _cell_text(view: CaseView, row_key: str, day: object) -> str:
    model = view.tumour.model
    return str(model.index(model.find_row(row_key), model.dates.index(day)).data() or "")


def _audit_count(view: CaseView) -> int:
    view.runner.wait()
    return len(audit_trail(view.session, view.subject_id))


@pytest.mark.parametrize("case_user", ["adjudicator"])  # sees every panel (clinical data, every reader)
def test_loads_the_patient_into_every_panel(qtbot, case_view: CaseView, case_study) -> None:  # noqa: F811
    view = case_view
    detail = view.detail
    assert detail is not None and detail.subject_id == case_study.subject
    assert view.header.title.text() == case_study.subject
    assert "Child-Pugh" in view.header.child_pugh.text()
    assert view.tabs.currentWidget() is view.tumour  # the tumour tab is the default
    assert view.tumour.model.rowCount() > 0 and view.tumour.model.columnCount() >= 2
    assert view.cycles.model.rowCount() == len(detail.case.cycles)
    assert view.adverse_events.model.rowCount() == len(detail.case.adverse_events)
    assert view.audit.model.rowCount() == len(detail.audit)
    qtbot.waitUntil(lambda: bool(view.tumour.spider.figure.axes), timeout=TIMEOUT)  # drawn after a quiet spell
    readers = [line for line in view.tumour.spider.figure.axes[0].lines if str(line.get_gid()).startswith("reader:")]
    assert len(readers) == len([f for f in detail.readers.values() if f.spider])
    assert view.last_load_ms is not None


def test_stepping_fast_shows_the_last_patient_only(
    qtbot,
    monkeypatch,
    case_view: CaseView,  # noqa: F811
    case_study,  # noqa: F811
) -> None:
    import hccreview.ui.views.case_view as module

    view = case_view
    subjects = case_study.subjects
    loads: list[str] = []

    def counting(session, subject_id):
        loads.append(subject_id)
        return load_case_detail(session, subject_id)

    monkeypatch.setattr(module, "load_case_detail", counting)
    shown: list[str] = []
    view.loaded.connect(shown.append)
    last = next(s for s in reversed(subjects) if s != case_study.subject)
    for sid in [*subjects, last]:
        view.show_subject(sid)
    qtbot.waitUntil(lambda: view.ready, timeout=TIMEOUT)
    view.runner.wait()
    QApplication.processEvents()
    assert view.detail.subject_id == last and shown[-1] == last
    assert view.header.title.text() == last
    assert len(loads) <= 3 and loads[-1] == last, "loads are coalesced: no queue of stale patients"
    view.show_subject(None)
    assert view.detail is None and view.tumour.model.rowCount() == 0


def test_a_change_during_a_load_loads_the_case_again(qtbot, monkeypatch, case_view: CaseView, case_study) -> None:  # noqa: F811
    """A write announced while the case loads supersedes that load (the runner's key): its stale result is never
    shown, and the case is loaded again with the change."""
    import hccreview.ui.views.case_view as module

    view, subject = case_view, case_study.subject
    lesion, _day, mid, old = target_cell(view.detail, EDITING_READER)
    field = view.detail.readers[EDITING_READER].counted[lesion]
    read, release = threading.Event(), threading.Event()
    loads: list[float] = []

    def held(session, subject_id):  # the first load has read the case, then waits while another instance writes
        detail = load_case_detail(session, subject_id)
        loads.append(target_cell(detail, EDITING_READER)[3])
        if len(loads) == 1:
            read.set()
            release.wait(10)
        return detail

    monkeypatch.setattr(module, "load_case_detail", held)
    shown: list[str] = []
    view.loaded.connect(shown.append)
    view.reload()
    assert read.wait(10)
    with open_study(case_study.session.path) as other:  # a second app instance of the same reader
        sign_in(other, EDITING_READER)
        edit = review.update_measurement(other, measurement_id=mid, values={field: old + 5}, reason="re-measured")
    view.bus.publish(edit.changes)  # this window learns of that write while its load runs
    with qtbot.waitSignal(view.loaded, timeout=TIMEOUT):
        release.set()
    view.runner.wait()
    QApplication.processEvents()
    assert loads == [old, old + 5], "loaded again after the change"
    assert shown == [subject], "the stale load was dropped, not drawn"
    assert target_cell(view.detail, EDITING_READER)[3] == old + 5


def test_measurement_edit_updates_sums_response_and_audit_and_undo_restores(
    qtbot,
    case_view: CaseView,  # noqa: F811
    reasons: Reasons,  # noqa: F811
) -> None:
    view = case_view
    reader = view.tumour.current_reader
    lesion, day, _, old = target_cell(view.detail, reader)
    old_sum, old_response = _cell_text(view, "sum", day), _cell_text(view, "computed", day)
    audit_before = _audit_count(view)
    model = view.tumour.model
    index = model.index(model.find_row(f"lesion:{lesion}"), model.dates.index(day))
    new = round(old * 3 + 60)

    with qtbot.waitSignal(view.bus.changed, timeout=TIMEOUT):
        assert model.setData(index, str(new))
    qtbot.waitUntil(lambda: _cell_text(view, "computed", day) == "PD", timeout=TIMEOUT)
    assert float(_cell_text(view, "sum", day)) == float(old_sum) - old + new
    assert _cell_text(view, f"lesion:{lesion}", day) == str(new)
    assert view.undo_stack.count() == 1 and lesion in view.undo_stack.undoText()
    assert view.audit.model.rowCount() == audit_before + 1
    newest = [view.audit.model.index(0, c).data() for c in range(view.audit.model.columnCount())]
    assert newest[2] == "update" and lesion in newest[3] and newest[5].endswith(f"→ {new}")
    assert newest[6] == "re-measured (test)", "the reason asked for the change is audited"
    assert len(reasons.asked) == 1 and str(new) in reasons.asked[0][1]

    with qtbot.waitSignal(view.bus.changed, timeout=TIMEOUT):
        view.undo_stack.undo()
    qtbot.waitUntil(lambda: _cell_text(view, "computed", day) == old_response, timeout=TIMEOUT)
    assert _cell_text(view, "sum", day) == old_sum
    qtbot.waitUntil(lambda: view.audit.model.rowCount() == audit_before + 2, timeout=TIMEOUT)
    assert view.audit.model.index(0, 6).data() == "undo"

    with qtbot.waitSignal(view.bus.changed, timeout=TIMEOUT):
        view.undo_stack.redo()
    qtbot.waitUntil(lambda: _cell_text(view, "computed", day) == "PD", timeout=TIMEOUT)


def test_bad_diameter_shows_the_reason_and_saves_nothing(qtbot, case_view: CaseView) -> None:  # noqa: F811
    view = case_view
    lesion, day, _, old = target_cell(view.detail, view.tumour.current_reader)
    model = view.tumour.model
    index = model.index(model.find_row(f"lesion:{lesion}"), model.dates.index(day))
    audit_before = _audit_count(view)
    for bad, reason in (("-3", "negative"), ("abc", "not a number")):
        with qtbot.waitSignal(view.edit_failed, timeout=TIMEOUT) as failed:
            assert model.setData(index, bad)
        assert reason in failed.args[0]
        assert view.message.isVisible() and reason in view.message.text()
        assert view.undo_stack.count() == 0, "a refused edit leaves nothing to undo"
    assert _audit_count(view) == audit_before
    assert float(model.index(index.row(), index.column()).data(Qt.ItemDataRole.EditRole)) == old


def test_a_cancelled_reason_writes_nothing(qtbot, case_view: CaseView, reasons: Reasons) -> None:  # noqa: F811
    view = case_view
    lesion, day, _, old = target_cell(view.detail, view.tumour.current_reader)
    model = view.tumour.model
    index = model.index(model.find_row(f"lesion:{lesion}"), model.dates.index(day))
    audit_before = _audit_count(view)
    reasons.answers.append(None)  # the user cancels the reason prompt
    with qtbot.waitSignal(view.edit_failed, timeout=TIMEOUT) as failed:
        assert model.setData(index, str(round(old + 7)))
    assert failed.args[0] == NO_REASON and view.message.text() == NO_REASON
    assert view.undo_stack.count() == 0 and _audit_count(view) == audit_before
    assert float(model.index(index.row(), index.column()).data(Qt.ItemDataRole.EditRole)) == old


@pytest.mark.parametrize("case_user", ["adjudicator"])  # sees clinical data
def test_adverse_events_are_read_only_and_say_how_to_disagree(qtbot, case_view: CaseView, case_study) -> None:  # noqa: F811
    view = case_view
    model = view.adverse_events.model
    if model.rowCount() == 0:  # pick a patient with an adverse event
        sid = next(s for s in case_study.subjects if detail_of(case_study, s).case.adverse_events)
        with qtbot.waitSignal(view.loaded, timeout=TIMEOUT):
            view.show_subject(sid)
    assert model.rowCount() > 0
    assert view.adverse_events.table.editTriggers() == QAbstractItemView.EditTrigger.NoEditTriggers
    assert not any(model.flags(model.index(0, c)) & Qt.ItemFlag.ItemIsEditable for c in range(model.columnCount()))
    assert "source data" in view.adverse_events.summary.text() and "Queries tab" in view.adverse_events.summary.text()


def test_stated_response_edit_flags_the_mismatch(qtbot, case_view: CaseView, reasons: Reasons) -> None:  # noqa: F811
    view = case_view
    model = view.tumour.model
    row = model.find_row("stated")
    column = next(
        c for c in range(model.columnCount()) if model.flags(model.index(row, c)) & Qt.ItemFlag.ItemIsEditable
    )
    day = model.dates[column]
    computed = _cell_text(view, "computed", day)
    different = "PD" if computed != "PD" else "SD"
    with qtbot.waitSignal(view.bus.changed, timeout=TIMEOUT):
        model.setData(model.index(row, column), different)
    qtbot.waitUntil(lambda: _cell_text(view, "stated", day) == different, timeout=TIMEOUT)
    index = model.index(row, column)
    assert "MISMATCH" in index.data(Qt.ItemDataRole.ToolTipRole)
    assert index.data(Qt.ItemDataRole.BackgroundRole).name() == "#c62828"
    text = view.undo_stack.undoText()
    assert text.startswith(f"Edit {view.tumour.current_reader} response {day.isoformat()}: ")
    assert text.endswith(f"→ {different}")
    assert reasons.asked and "stated response" in reasons.asked[-1][1], "changing a recorded response asks why"


def test_f2_edits_a_diameter_from_the_keyboard(qtbot, case_view: CaseView) -> None:  # noqa: F811
    view = case_view
    lesion, day, _, old = target_cell(view.detail, view.tumour.current_reader)
    grid = view.tumour.grid
    view.activateWindow()
    assert view.tumour.select_cell(f"lesion:{lesion}", day)
    grid.setFocus()
    qtbot.keyClick(grid, Qt.Key.Key_F2)
    editor = QApplication.focusWidget()
    assert isinstance(editor, QLineEdit)
    editor.selectAll()
    new = int(old) + 1
    with qtbot.waitSignal(view.bus.changed, timeout=TIMEOUT):
        qtbot.keyClicks(editor, str(new))
        qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: _cell_text(view, f"lesion:{lesion}", day) == str(new), timeout=TIMEOUT)
    assert view.tumour.grid.currentIndex().isValid(), "the current cell survives the reload"


def test_layout_state_round_trip(case_view: CaseView) -> None:  # noqa: F811
    view = case_view
    view.tabs.setCurrentWidget(view.audit)
    state = view.save_state()
    view.tabs.setCurrentWidget(view.tumour)
    view.restore_state(state)
    assert view.tabs.currentWidget() is view.audit
    view.restore_state({"tab": 99, "tumour_split": "zz"})  # damaged settings are ignored
    view.restore_state({"tab": "cycles"})  # a tab this user (a blinded reader) has not: ignored
    assert view.tabs.currentWidget() is view.audit

"""The tumour tab's lesion-list actions (issue 21 item 3): a central reader of a study delivered with the
investigator's reads only records their baseline lesions and starts a follow-up from them in the GUI; the grid
shows the new rows and Ctrl+Z takes them away again. The actions are on the user's own grid only.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QUndoStack

from hccreview.services import auth
from hccreview.services.lesions import ReaderTimepoints
from hccreview.services.session import StudySession, open_study
from hccreview.ui.bus import ChangeBus
from hccreview.ui.dialogs.lesion_dialogs import AddLesionDialog, NewLesion, StartTimepointDialog, TimepointStart
from hccreview.ui.dialogs.reason import ReasonDialog
from hccreview.ui.panel_context import PanelContext
from hccreview.ui.views.case_view import CaseView
from hccreview.ui.workers import Runner
from tests.factories import small_study

TIMEOUT = 20000
BASELINE, WEEK8, WEEK16, WEEK24 = date(2024, 1, 1), date(2024, 3, 4), date(2024, 4, 29), date(2024, 6, 24)
PASSWORDS = {"admin": "admin-password", "ann": "ann-password", "adjudicator": "adjudicator-demo",
             "stat": "stat-password"}  # fmt: skip


@pytest.fixture(scope="module")
def _small(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The small study (the investigator's reads only) with an admin and a central reader without any row."""
    path = tmp_path_factory.mktemp("lesion_actions") / "small.db"
    small_study(path).close()
    with open_study(path) as session:
        auth.create_first_admin(session, username="admin", full_name="Admin", password=PASSWORDS["admin"])
        auth.add_user(session, username="ann", full_name="Ann Reader", role="reader", password=PASSWORDS["ann"])
    return path


class Answers:
    """What the monkeypatched prompts answer next (first in, first out), and the reason prompts asked."""

    def __init__(self) -> None:
        self.lesions: list[NewLesion] = []
        self.starts: list[TimepointStart] = []
        self.reasons: list[str] = []
        self.asked: list[str] = []


@pytest.fixture
def answers(monkeypatch: pytest.MonkeyPatch) -> Answers:
    given = Answers()
    monkeypatch.setattr(AddLesionDialog, "ask", classmethod(lambda cls, *a, **k: given.lesions.pop(0)))
    monkeypatch.setattr(StartTimepointDialog, "ask", classmethod(lambda cls, *a, **k: given.starts.pop(0)))

    def reason(cls: type, parent: Any, title: str, prompt: str) -> str:
        given.asked.append(prompt)
        return given.reasons.pop(0)

    monkeypatch.setattr(ReasonDialog, "ask", classmethod(reason))
    return given


@pytest.fixture
def open_view(qtbot: Any, _small: Path, tmp_path: Path) -> Iterator[Any]:
    """``open_view(user, subject, path=small study copy)``: a shown CaseView signed in as ``user``, with an undo
    action on Ctrl+Z as the window's Edit menu has."""
    made: list[tuple[StudySession, Runner]] = []

    def make(user: str, subject: str = "P01", path: Path | None = None) -> CaseView:
        study = path or Path(shutil.copyfile(_small, tmp_path / f"{user}.db"))
        session = open_study(study)
        auth.sign_in(session, user, PASSWORDS[user])
        runner = Runner()
        made.append((session, runner))
        stack = QUndoStack()
        view = CaseView(PanelContext(session, ChangeBus(), runner, stack))
        undo = stack.createUndoAction(view)
        undo.setShortcut(QKeySequence.StandardKey.Undo)
        view.addAction(undo)
        qtbot.addWidget(view)
        view.resize(1100, 700)
        view.show()
        with qtbot.waitSignal(view.loaded, timeout=TIMEOUT):
            view.show_subject(subject)
        return view

    yield make
    for session, runner in made:
        runner.wait()
        session.close()


def _lesion_rows(view: CaseView) -> list[str]:
    model = view.tumour.model
    return [model.row_key(r) for r in range(model.rowCount()) if model.row_key(r).startswith("lesion:")]


def _cell(view: CaseView, lesion: str, day: date) -> str:
    model = view.tumour.model
    return str(model.index(model.find_row(f"lesion:{lesion}"), model.dates.index(day)).data())


def test_a_reader_without_rows_adds_lesions_starts_a_follow_up_and_ctrl_z_takes_them_away(
    qtbot: Any, open_view: Any, answers: Answers
) -> None:
    view = open_view("ann")
    tumour = view.tumour
    assert [tumour.reader.itemText(i) for i in range(tumour.reader.count())] == ["ann"], "their own grid, empty"
    assert tumour.model.rowCount() == 0 and tumour.lesion_tools.isVisible()
    assert tumour.hint.text() == "no lesions of yours yet · Add lesion… records your baseline lesions"
    assert tumour.add_lesion_action.isEnabled() and not tumour.start_action.isEnabled()
    assert tumour.start_action.toolTip() == "Add your baseline lesions first: each follow-up starts from them"
    messages: list[str] = []
    view.status_message.connect(messages.append)

    answers.lesions += [NewLesion("target", "liver", "segment VII", False, BASELINE),
                        NewLesion("target", "lung", "", False, BASELINE)]  # fmt: skip
    tumour.add_lesion_action.trigger()
    qtbot.waitUntil(lambda: _lesion_rows(view) == ["lesion:T01"], timeout=TIMEOUT)
    assert (
        messages[-1] == "Saved: Add target lesion (liver) on 2024-01-01: T01 — type its diameter next (Ctrl+Z undoes)"
    )
    qtbot.waitUntil(lambda: tumour.grid.currentIndex().isValid(), timeout=TIMEOUT)
    assert tumour.model.row_key(tumour.grid.currentIndex().row()) == "lesion:T01", "the new lesion's cell is current"
    tumour.add_lesion_action.trigger()
    qtbot.waitUntil(lambda: _lesion_rows(view) == ["lesion:T01", "lesion:T02"], timeout=TIMEOUT)
    assert tumour.model.dates == [BASELINE] and _cell(view, "T02", BASELINE) == "present"
    qtbot.waitUntil(tumour.start_action.isEnabled, timeout=TIMEOUT)

    answers.starts.append(TimepointStart(WEEK8, "WEEK 8"))
    tumour.start_action.trigger()
    qtbot.waitUntil(lambda: tumour.model.dates == [BASELINE, WEEK8], timeout=TIMEOUT)
    assert [_cell(view, lesion, WEEK8) for lesion in ("T01", "T02")] == ["present", "present"]
    assert messages[-1] == "Saved: Start 2024-03-04 from the baseline lesions: 2 row(s) to measure (Ctrl+Z undoes)"
    assert view.undo_stack.undoText() == "Start 2024-03-04 from the baseline lesions"

    view.activateWindow()
    qtbot.waitUntil(view.isActiveWindow, timeout=TIMEOUT)
    qtbot.keyClick(tumour.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: tumour.model.dates == [BASELINE], timeout=TIMEOUT)
    assert _lesion_rows(view) == ["lesion:T01", "lesion:T02"], "the follow-up's rows went, the baseline list stays"
    qtbot.keyClick(tumour.grid, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: _lesion_rows(view) == ["lesion:T01"], timeout=TIMEOUT)
    view.undo_stack.redo()
    qtbot.waitUntil(lambda: _lesion_rows(view) == ["lesion:T01", "lesion:T02"], timeout=TIMEOUT)
    assert view.undo_stack.canRedo(), "the start is still offered for redo"


def test_remove_lesion_asks_why_and_undo_puts_it_back(qtbot: Any, open_view: Any, answers: Answers) -> None:
    view = open_view("ann")
    tumour = view.tumour
    answers.lesions.append(NewLesion("non-target", "bone", "left iliac", False, BASELINE))
    tumour.add_lesion_action.trigger()
    qtbot.waitUntil(lambda: _lesion_rows(view) == ["lesion:NT01"], timeout=TIMEOUT)
    qtbot.waitUntil(tumour.remove_lesion_action.isEnabled, timeout=TIMEOUT)
    assert tumour.remove_lesion_action.toolTip() == "Remove NT01 and its measurements (a lesion you recorded; audited)"
    answers.reasons.append("not a lesion: a bone island")
    tumour.remove_lesion_action.trigger()
    qtbot.waitUntil(lambda: _lesion_rows(view) == [], timeout=TIMEOUT)
    assert answers.asked == ["P01 NT01 and its measurements at every scan are removed (audited; Ctrl+Z puts them "
                             "back). Why?"]  # fmt: skip
    assert view.undo_stack.undoText() == "Remove NT01"
    view.undo_stack.undo()
    qtbot.waitUntil(lambda: _lesion_rows(view) == ["lesion:NT01"], timeout=TIMEOUT)


def test_a_refused_lesion_says_why_and_leaves_nothing_to_undo(qtbot: Any, open_view: Any, answers: Answers) -> None:
    view = open_view("ann")
    answers.lesions.append(NewLesion("target", "liver", "", False, WEEK8))  # a target at a follow-up: refused
    with qtbot.waitSignal(view.edit_failed, timeout=TIMEOUT) as refused:
        view.tumour.add_lesion_action.trigger()
    assert refused.args[0] == (
        "Not saved — kind “target”: target lesions are chosen at baseline (2024-01-01); one first seen later is a "
        "new lesion (RECIST 1.1 §4.2)."
    )
    assert view.message.text() == refused.args[0] and not view.undo_stack.canUndo()


def test_the_actions_are_on_the_users_own_grid_only(qtbot: Any, open_view: Any, tmp_path: Path) -> None:
    from hccreview.services.demo_study import build_demo_study

    demo = build_demo_study(tmp_path / "demo.db")
    view = open_view("adjudicator", "HCC-001", demo)
    tumour = view.tumour
    readers = [tumour.reader.itemText(i) for i in range(tumour.reader.count())]
    assert readers[-1] == "adjudicator" and "reader1" in readers, "their own read's grid beside the readers'"
    tumour.reader.setCurrentText("reader1")
    assert not tumour.lesion_tools.isVisible() and not any(a.isVisible() for a in tumour.lesion_actions)
    tumour.reader.setCurrentText("adjudicator")
    assert tumour.lesion_tools.isVisible() and tumour.add_lesion_action.isEnabled()
    with open_study(demo) as session:
        auth.sign_in(session, "admin", "admin-demo")
        auth.add_user(session, username="stat", full_name="Statistician", role="viewer", password=PASSWORDS["stat"])
    viewer = open_view("stat", "HCC-001", demo)
    assert viewer.tumour.reader.count() > 1 and not viewer.tumour.lesion_tools.isVisible()
    assert viewer.lesion_actions.timepoints is None


def test_the_new_lesion_form_offers_the_dates_its_kind_allows(qtbot: Any) -> None:
    timepoints = ReaderTimepoints("P01", "ann", (BASELINE, WEEK8, WEEK16), (BASELINE,), (WEEK8, WEEK16), 2)
    dialog = AddLesionDialog("P01", timepoints, day=WEEK16)
    qtbot.addWidget(dialog)
    assert dialog.kind.currentData() == "new", "asked on a follow-up column: a new lesion"
    assert [dialog.day.itemData(i) for i in range(dialog.day.count())] == [WEEK8, WEEK16]
    assert dialog.day.currentData() == WEEK16 and not dialog.ok_button.isEnabled(), "the organ is still missing"
    dialog.organ.setCurrentText("liver")
    assert dialog.answer() == NewLesion("new", "liver", "", False, WEEK16) and dialog.ok_button.isEnabled()
    dialog.kind.setCurrentIndex(dialog.kind.findData("target"))
    assert [dialog.day.itemText(i) for i in range(dialog.day.count())] == ["2024-01-01 (baseline)"]
    start = StartTimepointDialog("P01", timepoints, day=WEEK16)
    qtbot.addWidget(start)
    assert start.answer() == TimepointStart(WEEK16, "")

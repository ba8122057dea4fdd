"""Two app instances on one study file, driven through the case view (issue 10 "stale edits from the GUI").

Each instance is a CaseView with its own session (its own user and connection), runner, change bus and undo
stack, as two running copies of the app would have. Instance A edits a cell; instance B still shows the old
value and edits the same cell: B is refused with a message naming the field, the value now stored and who
changed it, B reloads and shows A's value, and the audit trail holds only A's change (no lost update).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack

from hccreview.services.case import audit_trail
from hccreview.services.session import StudySession, open_study
from hccreview.ui.bus import ChangeBus
from hccreview.ui.models.case_models import AdverseEventsModel
from hccreview.ui.views.case_view import CaseView
from hccreview.ui.workers import Runner
from tests.ui.case_support import _case_template, target_cell  # noqa: F401

TIMEOUT = 20000


@dataclass
class Instance:
    """One "app instance": a session and a case view showing the test patient."""

    session: StudySession
    view: CaseView
    runner: Runner


@pytest.fixture
def shared_file(_case_template: tuple[Path, str, list[str], str], tmp_path: Path) -> tuple[Path, str, list[str]]:  # noqa: F811
    template, subject, subjects, _origin = _case_template
    path = tmp_path / "shared.db"
    shutil.copyfile(template, path)
    return path, subject, subjects


@pytest.fixture
def open_instance(qtbot, shared_file, private_settings) -> Iterator[Callable[..., Instance]]:  # type: ignore[no-untyped-def]
    made: list[Instance] = []

    def make(user: str, subject: str | None = None) -> Instance:
        path, default_subject, _ = shared_file
        session = open_study(path, user=user)
        runner = Runner()
        view = CaseView(session, ChangeBus(), runner, QUndoStack())
        qtbot.addWidget(view)
        view.resize(1000, 680)
        view.show()
        with qtbot.waitSignal(view.loaded, timeout=TIMEOUT):
            view.show_subject(subject or default_subject)
        made.append(Instance(session, view, runner))
        return made[-1]

    yield make
    for inst in made:
        inst.runner.wait()
        inst.view.close()
        inst.session.close()


def _cell(view: CaseView, lesion: str, day: object) -> object:
    model = view.tumour.model
    return model.index(model.find_row(f"lesion:{lesion}"), model.dates.index(day))


def _text(view: CaseView, lesion: str, day: object) -> str:
    return str(_cell(view, lesion, day).data() or "")


def _entries(session: StudySession, subject: str, table: str, key: int) -> list[dict[str, object]]:
    return [e for e in audit_trail(session, subject) if e["table_name"] == table and e["row_key"] == str(key)]


def test_stale_diameter_edit_is_refused_reloaded_and_not_lost(qtbot, open_instance) -> None:  # type: ignore[no-untyped-def]
    a, b = open_instance("alice"), open_instance("bob")
    reader = a.view.tumour.current_reader
    lesion, day, mid, old = target_cell(a.view.detail, reader)
    assert b.view.tumour.current_reader == reader
    subject = a.view.subject_id
    shown_old = _text(b.view, lesion, day)
    assert float(shown_old) == old
    new_a, new_b = round(old + 7), round(old + 13)

    with qtbot.waitSignal(a.view.bus.changed, timeout=TIMEOUT):
        assert a.view.tumour.model.setData(_cell(a.view, lesion, day), str(new_a))
    qtbot.waitUntil(lambda: _text(a.view, lesion, day) == str(new_a), timeout=TIMEOUT)
    assert _text(b.view, lesion, day) == shown_old, "B has not been told (another process in real life)"

    with qtbot.waitSignal(b.view.edit_failed, timeout=TIMEOUT) as failed:
        assert b.view.tumour.model.setData(_cell(b.view, lesion, day), str(new_b))
    message = failed.args[0]
    assert "diameter" in message and f"was {shown_old} mm" in message and f"now {new_a} mm" in message
    assert "by alice" in message and "nothing was overwritten" in message
    assert b.view.message.isVisible() and b.view.message.text() == message
    qtbot.waitUntil(lambda: _text(b.view, lesion, day) == str(new_a), timeout=TIMEOUT)  # B reloaded
    assert b.view.undo_stack.count() == 0, "the refused edit is not on B's undo stack"

    b.runner.wait()
    field = a.view.detail.readers[reader].counted.get(lesion, "diameter_mm")
    assert float(a.session.store.get("measurements", mid)[field]) == new_a
    entries = _entries(a.session, subject, "measurements", mid)
    assert [(e["username"], e["field"], float(e["new_value"])) for e in entries] == [("alice", field, new_a)]


def test_after_the_reload_the_second_instance_can_edit(qtbot, open_instance) -> None:  # type: ignore[no-untyped-def]
    a, b = open_instance("alice"), open_instance("bob")
    lesion, day, mid, old = target_cell(a.view.detail, a.view.tumour.current_reader)
    with qtbot.waitSignal(a.view.bus.changed, timeout=TIMEOUT):
        a.view.tumour.model.setData(_cell(a.view, lesion, day), str(round(old + 5)))
    with qtbot.waitSignal(b.view.edit_failed, timeout=TIMEOUT):
        b.view.tumour.model.setData(_cell(b.view, lesion, day), str(round(old + 9)))
    qtbot.waitUntil(lambda: _text(b.view, lesion, day) == str(round(old + 5)), timeout=TIMEOUT)
    with qtbot.waitSignal(b.view.bus.changed, timeout=TIMEOUT):  # B now edits what it shows: accepted
        b.view.tumour.model.setData(_cell(b.view, lesion, day), str(round(old + 9)))
    qtbot.waitUntil(lambda: _text(b.view, lesion, day) == str(round(old + 9)), timeout=TIMEOUT)
    users = [e["username"] for e in _entries(a.session, a.view.subject_id, "measurements", mid)]
    assert users == ["alice", "bob"]


def test_undo_does_not_overwrite_the_other_instance_s_later_change(qtbot, open_instance) -> None:  # type: ignore[no-untyped-def]
    a = open_instance("alice")
    lesion, day, mid, old = target_cell(a.view.detail, a.view.tumour.current_reader)
    with qtbot.waitSignal(a.view.bus.changed, timeout=TIMEOUT):
        a.view.tumour.model.setData(_cell(a.view, lesion, day), str(round(old + 4)))
    b = open_instance("bob")  # opens after A's edit: shows it
    with qtbot.waitSignal(b.view.bus.changed, timeout=TIMEOUT):
        b.view.tumour.model.setData(_cell(b.view, lesion, day), str(round(old + 11)))
    with qtbot.waitSignal(a.view.edit_failed, timeout=TIMEOUT) as failed:
        a.view.undo_stack.undo()  # A's undo would write back the value B replaced
    assert "by bob" in failed.args[0] and f"now {round(old + 11)} mm" in failed.args[0]
    qtbot.waitUntil(lambda: _text(a.view, lesion, day) == str(round(old + 11)), timeout=TIMEOUT)
    field = a.view.detail.readers[a.view.tumour.current_reader].counted.get(lesion, "diameter_mm")
    assert float(a.session.store.get("measurements", mid)[field]) == round(old + 11)
    actions = [(e["username"], e["reason"]) for e in _entries(a.session, a.view.subject_id, "measurements", mid)]
    assert actions == [("alice", None), ("bob", None)], "no undo was written"


def test_stale_adverse_event_grade_is_refused(qtbot, open_instance, shared_file) -> None:  # type: ignore[no-untyped-def]
    path, _subject, subjects = shared_file
    with open_study(path) as probe:
        subject = next(s for s in subjects if probe.store.rows("adverse_events", "subject_id = ?", [s]))
    a, b = open_instance("alice", subject), open_instance("bob", subject)
    model_a, model_b = a.view.adverse_events.model, b.view.adverse_events.model
    old = int(model_b.index(0, AdverseEventsModel.GRADE).data(Qt.ItemDataRole.EditRole))
    grade_a = 1 if old != 1 else 2
    grade_b = 3 if grade_a != 3 and old != 3 else 4
    with qtbot.waitSignal(a.view.bus.changed, timeout=TIMEOUT):
        assert model_a.setData(model_a.index(0, AdverseEventsModel.GRADE), str(grade_a))
    with qtbot.waitSignal(b.view.edit_failed, timeout=TIMEOUT) as failed:
        assert model_b.setData(model_b.index(0, AdverseEventsModel.GRADE), str(grade_b))
    assert f"grade was {old} on your screen and is now {grade_a}" in failed.args[0] and "by alice" in failed.args[0]
    qtbot.waitUntil(lambda: model_b.index(0, AdverseEventsModel.GRADE).data() == f"G{grade_a}", timeout=TIMEOUT)

"""Two app instances on one study file, driven through the case view (issue 10 "stale edits from the GUI").

Each instance is a CaseView with its own session (its own signed-in user and connection), runner, change bus
and undo stack, as two running copies of the app would have. Only a reader changes their own measurements
(DESIGN §4b), so the two instances are the same reader on two workstations (or two windows). Instance A edits
a cell; instance B still shows the old value and edits the same cell: B is refused with a message naming the
field, the value now stored and who changed it, B reloads and shows A's value, and the audit trail holds only
A's change (no lost update). Every change of a recorded value is given a reason (the ``reasons`` fixture
answers the prompt). Adverse events are imported source data: read-only in every instance.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QUndoStack

from hccreview.domain.access import AccessDenied
from hccreview.services.case import audit_trail
from hccreview.services.session import StudySession, open_study
from hccreview.store.study_data import review_tables_digest
from hccreview.ui.bus import ChangeBus
from hccreview.ui.models.case_models import AdverseEventsModel
from hccreview.ui.panel_context import PanelContext
from hccreview.ui.views.case_view import CaseView
from hccreview.ui.workers import Runner
from tests.ui.case_support import EDITING_READER, Reasons, _case_template, reasons, sign_in, target_cell  # noqa: F401

TIMEOUT = 20000
R1 = EDITING_READER  # the reader whose measurements both instances show and edit


@dataclass
class Instance:
    """One "app instance": a session and a case view showing the test patient."""

    session: StudySession
    view: CaseView
    runner: Runner


@pytest.fixture
def shared_file(_case_template: tuple[Path, str, list[str], str], tmp_path: Path) -> tuple[Path, str, list[str]]:  # noqa: F811
    template, subject, subjects, origin = _case_template
    assert origin == "demo", "the demo study (with its accounts) is needed"
    path = tmp_path / "shared.db"
    shutil.copyfile(template, path)
    return path, subject, subjects


@pytest.fixture
def open_instance(qtbot, shared_file, private_settings) -> Iterator[Callable[..., Instance]]:  # type: ignore[no-untyped-def]
    made: list[Instance] = []

    def make(user: str, subject: str | None = None) -> Instance:
        path, default_subject, _ = shared_file
        session = open_study(path, user=user)
        sign_in(session, user)  # the demo account: reads and writes follow its access (DESIGN §4b)
        runner = Runner()
        view = CaseView(PanelContext(session, ChangeBus(), runner, QUndoStack()))
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


def test_stale_diameter_edit_is_refused_reloaded_and_not_lost(qtbot, open_instance, reasons: Reasons) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    reasons.answers += ["re-measured on A", "re-measured on B"]
    a, b = open_instance(R1), open_instance(R1)
    reader = a.view.tumour.current_reader
    assert reader == R1
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
    assert f"by {R1}" in message and "nothing was overwritten" in message
    assert b.view.message.isVisible() and b.view.message.text() == message
    qtbot.waitUntil(lambda: _text(b.view, lesion, day) == str(new_a), timeout=TIMEOUT)  # B reloaded
    assert b.view.undo_stack.count() == 0, "the refused edit is not on B's undo stack"

    b.runner.wait()
    field = a.view.detail.readers[reader].counted.get(lesion, "diameter_mm")
    assert float(a.session.store.get("measurements", mid)[field]) == new_a
    entries = _entries(a.session, subject, "measurements", mid)
    assert [(e["username"], e["field"], float(e["new_value"]), e["reason"]) for e in entries] == [
        (R1, field, new_a, "re-measured on A")
    ]


def test_after_the_reload_the_second_instance_can_edit(qtbot, open_instance, reasons: Reasons) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    reasons.answers += ["re-measured on A", "refused: stale", "re-measured on B"]
    a, b = open_instance(R1), open_instance(R1)
    lesion, day, mid, old = target_cell(a.view.detail, a.view.tumour.current_reader)
    with qtbot.waitSignal(a.view.bus.changed, timeout=TIMEOUT):
        a.view.tumour.model.setData(_cell(a.view, lesion, day), str(round(old + 5)))
    with qtbot.waitSignal(b.view.edit_failed, timeout=TIMEOUT):
        b.view.tumour.model.setData(_cell(b.view, lesion, day), str(round(old + 9)))
    qtbot.waitUntil(lambda: _text(b.view, lesion, day) == str(round(old + 5)), timeout=TIMEOUT)
    with qtbot.waitSignal(b.view.bus.changed, timeout=TIMEOUT):  # B now edits what it shows: accepted
        b.view.tumour.model.setData(_cell(b.view, lesion, day), str(round(old + 9)))
    qtbot.waitUntil(lambda: _text(b.view, lesion, day) == str(round(old + 9)), timeout=TIMEOUT)
    users = [(e["username"], e["reason"]) for e in _entries(a.session, a.view.subject_id, "measurements", mid)]
    assert users == [(R1, "re-measured on A"), (R1, "re-measured on B")]


def test_undo_does_not_overwrite_the_other_instance_s_later_change(qtbot, open_instance, reasons: Reasons) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    reasons.answers += ["re-measured on A", "re-measured on B"]
    a = open_instance(R1)
    lesion, day, mid, old = target_cell(a.view.detail, a.view.tumour.current_reader)
    with qtbot.waitSignal(a.view.bus.changed, timeout=TIMEOUT):
        a.view.tumour.model.setData(_cell(a.view, lesion, day), str(round(old + 4)))
    b = open_instance(R1)  # opens after A's edit: shows it
    with qtbot.waitSignal(b.view.bus.changed, timeout=TIMEOUT):
        b.view.tumour.model.setData(_cell(b.view, lesion, day), str(round(old + 11)))
    with qtbot.waitSignal(a.view.edit_failed, timeout=TIMEOUT) as failed:
        a.view.undo_stack.undo()  # A's undo would write back the value B replaced
    assert f"by {R1}" in failed.args[0] and f"now {round(old + 11)} mm" in failed.args[0]
    qtbot.waitUntil(lambda: _text(a.view, lesion, day) == str(round(old + 11)), timeout=TIMEOUT)
    field = a.view.detail.readers[a.view.tumour.current_reader].counted.get(lesion, "diameter_mm")
    assert float(a.session.store.get("measurements", mid)[field]) == round(old + 11)
    actions = [(e["username"], e["reason"]) for e in _entries(a.session, a.view.subject_id, "measurements", mid)]
    assert actions == [(R1, "re-measured on A"), (R1, "re-measured on B")], "no undo was written"


def test_adverse_event_grades_are_read_only_in_every_instance(qtbot, open_instance, shared_file) -> None:  # type: ignore[no-untyped-def]
    """Was: a stale AE grade edit is refused. An AE is imported source data, read-only for everybody in hccreview
    (DESIGN §4b; a disagreement is a query, the correction comes in a transfer): no instance can edit the grade,
    and a write past the GUI is refused by the write gate with nothing written."""
    path, _subject, subjects = shared_file
    with open_study(path) as probe:
        subject = next(s for s in subjects if probe.store.rows("adverse_events", "subject_id = ?", [s]))
    a, b = open_instance("adjudicator", subject), open_instance("admin", subject)  # both may see clinical data
    model_a, model_b = a.view.adverse_events.model, b.view.adverse_events.model
    assert model_a.rowCount() and model_b.rowCount()
    old = int(model_b.row_at(0)[1].grade)
    assert model_b.index(0, AdverseEventsModel.GRADE).data() == f"G{old}"
    grade_a = 1 if old != 1 else 2
    before = review_tables_digest(a.session.store)
    for inst, model in ((a, model_a), (b, model_b)):
        cell = model.index(0, AdverseEventsModel.GRADE)
        assert not model.flags(cell) & Qt.ItemFlag.ItemIsEditable
        assert not model.setData(cell, str(grade_a))
        ae_id, _ae = model.row_at(0)
        with pytest.raises(AccessDenied, match="source records are read-only"):
            inst.session.store.update("adverse_events", ae_id, {"grade": grade_a}, reason="site says otherwise")
    assert review_tables_digest(a.session.store) == before
    assert model_b.index(0, AdverseEventsModel.GRADE).data() == f"G{old}"

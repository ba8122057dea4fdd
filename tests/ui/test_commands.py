"""Undo commands of the case view: redo / undo / redo through the runner's database lane and the ChangeBus.

The study is signed in as ``reader1`` (``case_support``): a reader changes their own measurements and reads, and a
change to a recorded value carries a reason (DESIGN §4b). Adverse events are source data: no command edits them.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView

import hccreview.ui.commands as commands
from hccreview.domain.changes import ChangeKind
from hccreview.domain.records import AdverseEvent
from hccreview.services.case import audit_trail
from hccreview.services.review import ValidationError
from hccreview.ui.commands import (
    EditMeasurementCommand,
    EditReadCommand,
    PendingEdit,
    apply_edit,
    describe,
    drop_failed,
    measurement_values,
    revert_edit,
)
from tests.ui.case_support import _case_template, case_study, case_user, detail_of, qt_env, target_cell  # noqa: F401

TIMEOUT = 20000


def _measurement(session, mid: int) -> dict:
    return session.store.get("measurements", mid)


def test_measurement_command_redo_undo_redo(qtbot, case_study, qt_env) -> None:  # noqa: F811
    runner, bus, stack = qt_env
    session = case_study.session
    detail = detail_of(case_study)
    reader = detail.case.readers[0]
    lesion, day, mid, old = target_cell(detail, reader)
    field = detail.readers[reader].counted[lesion]
    done = []
    command = EditMeasurementCommand(
        session, runner, bus, measurement_id=mid, values={field: "28"}, old_values={field: old},
        lesion_id=lesion, when=day, reason="re-measured", initiator="test", on_done=done.append,
    )  # fmt: skip
    name = {"diameter_mm": "diameter", "short_axis_mm": "short axis", "viable_mm": "viable diameter"}[field]
    assert command.text() == f"Edit {lesion} {name} {day.isoformat()}: {describe(field, old, '28').split(': ')[1]}"
    before = len(audit_trail(session, case_study.subject))
    with qtbot.waitSignal(bus.changed, timeout=TIMEOUT) as published:
        stack.push(command)
    changes, initiator = published.args
    assert changes.touches(case_study.subject) and ChangeKind.MEASUREMENTS in changes.kinds and initiator == "test"
    assert _measurement(session, mid)[field] == 28.0 and done and done[-1].new_values == {field: 28.0}
    with qtbot.waitSignal(bus.changed, timeout=TIMEOUT):
        stack.undo()
    assert _measurement(session, mid)[field] == old
    with qtbot.waitSignal(bus.changed, timeout=TIMEOUT):
        stack.redo()
    assert _measurement(session, mid)[field] == 28.0
    runner.wait()
    reasons = [e["reason"] for e in audit_trail(session, case_study.subject)[before:]]
    assert reasons == ["re-measured", "undo", "redo"], "every write, undo and redo included, is audited with why"


def test_undo_queued_before_the_redo_landed_still_reverts(qtbot, case_study, qt_env) -> None:  # noqa: F811
    runner, bus, stack = qt_env
    detail = detail_of(case_study)
    reader = detail.case.readers[0]
    lesion, day, mid, old = target_cell(detail, reader)
    field = detail.readers[reader].counted[lesion]
    command = EditMeasurementCommand(
        case_study.session, runner, bus, measurement_id=mid, values={field: "41"}, old_values={field: old},
        lesion_id=lesion, when=day, reason="re-measured",
    )  # fmt: skip
    seen = []
    bus.changed.connect(lambda changes, _: seen.append(changes))
    stack.push(command)
    stack.undo()  # the database lane runs jobs in order: the undo sees the redo's edit
    qtbot.waitUntil(lambda: len(seen) == 2, timeout=TIMEOUT)
    assert _measurement(case_study.session, mid)[field] == old


def test_refused_edit_is_obsolete_reported_and_dropped(qtbot, case_study, qt_env) -> None:  # noqa: F811
    runner, bus, stack = qt_env
    detail = detail_of(case_study)
    reader = detail.case.readers[0]
    lesion, day, mid, old = target_cell(detail, reader)
    field = detail.readers[reader].counted[lesion]
    errors: list[BaseException] = []
    published = []
    bus.changed.connect(lambda *args: published.append(args))
    before = len(audit_trail(case_study.session, case_study.subject))
    command = EditMeasurementCommand(
        case_study.session, runner, bus, measurement_id=mid, values={field: "-3"}, old_values={field: old},
        lesion_id=lesion, when=day, on_error=errors.append,
    )  # fmt: skip
    stack.push(command)
    qtbot.waitUntil(lambda: bool(errors), timeout=TIMEOUT)
    assert isinstance(errors[0], ValidationError) and "negative" in errors[0].reason
    assert command.isObsolete() and stack.count() == 1
    assert drop_failed(stack, command)
    assert stack.count() == 0 and not stack.canUndo() and not published
    runner.wait()
    assert len(audit_trail(case_study.session, case_study.subject)) == before
    assert _measurement(case_study.session, mid)[field] == old


def test_read_command_and_no_adverse_event_editing(qtbot, case_study, qt_env) -> None:  # noqa: F811
    runner, bus, stack = qt_env
    session = case_study.session
    detail = detail_of(case_study)
    reader = detail.case.readers[0]
    rid, read = detail.case.reads[reader][0]
    command = EditReadCommand(
        session, runner, bus, read_id=rid, values={"overall": "sd"}, old_values={"overall": read.overall},
        reader=reader, when=read.date, reason="second look",
    )  # fmt: skip
    assert command.text() == f"Edit {reader} response {read.date.isoformat()}: {read.overall or '—'} → SD"
    with qtbot.waitSignal(bus.changed, timeout=TIMEOUT):
        stack.push(command)
    assert session.store.get("reads", rid)["overall"] == "SD"
    with qtbot.waitSignal(bus.changed, timeout=TIMEOUT):
        stack.undo()
    assert session.store.get("reads", rid)["overall"] == read.overall

    assert not hasattr(commands, "EditAdverseEventCommand"), "adverse events are source data: no edit command"


def test_the_adverse_event_table_is_not_editable(qtbot) -> None:
    """Adverse events are imported source data (DESIGN §4b): no cell is editable and nothing is requested; a
    reviewer who disagrees raises a query (the summary says so)."""
    from hccreview.ui.views.case_adverse_events import CaseAdverseEvents

    panel = CaseAdverseEvents()
    qtbot.addWidget(panel)
    ae = AdverseEvent("P1", 1, "Fatigue", "General disorders", 3, onset=date(2024, 1, 20), attribution="possible")
    panel.model.set_rows([(11, ae)])
    panel.summary.setText(panel._summary([(11, ae)]))
    assert panel.table.editTriggers() == QAbstractItemView.EditTrigger.NoEditTriggers
    for column in range(panel.model.columnCount()):
        index = panel.model.index(0, column)
        assert not panel.model.flags(index) & Qt.ItemFlag.ItemIsEditable
        assert not panel.model.setData(index, "1")
        assert panel.table.itemDelegateForColumn(column) is None, "no grade / attribution editor"
    assert not hasattr(panel.model, "edit_requested")
    assert "source data" in panel.summary.text() and "query" in panel.summary.text()


def test_worker_functions_without_qt(case_study) -> None:  # noqa: F811
    """apply_edit / revert_edit are plain functions: redo → undo → redo on the service, no Qt involved."""
    from hccreview.services.review import update_measurement

    detail = detail_of(case_study)
    reader = detail.case.readers[0]
    lesion, _, mid, old = target_cell(detail, reader)
    field = detail.readers[reader].counted[lesion]
    pending = PendingEdit()
    kwargs = {"measurement_id": mid, "values": {field: 12}, "reason": "re-measured"}  # a reader's own row
    apply_edit(case_study.session, pending, update_measurement, kwargs)
    assert _measurement(case_study.session, mid)[field] == 12
    assert revert_edit(case_study.session, pending) is not None
    assert _measurement(case_study.session, mid)[field] == old
    assert revert_edit(case_study.session, pending) is None, "nothing left to undo"
    apply_edit(case_study.session, pending, update_measurement, kwargs)
    assert _measurement(case_study.session, mid)[field] == 12


def test_measurement_values_from_typed_text() -> None:
    assert measurement_values("28", "diameter_mm", "present") == {"diameter_mm": "28"}
    assert measurement_values("12", "short_axis_mm", "absent") == {"short_axis_mm": "12", "status": "present"}
    assert measurement_values("Too small", "diameter_mm", "present") == {"status": "too_small"}
    assert measurement_values("gone", "viable_mm", "present") == {"status": "absent"}
    assert measurement_values("NE", "diameter_mm", "present") == {"status": "not_assessed"}
    assert describe("diameter_mm", 32.0, "28") == "diameter: 32 → 28 mm"
    assert describe("overall", None, "PR") == "response: — → PR"

"""Undo commands for review edits in the case view: a lesion measurement, a stated response.

Each command's ``redo()`` / ``undo()`` returns at once. The service call (``services.review.update_*`` / ``revert``)
runs through :func:`hccreview.ui.operations.run_write` on the runner's database lane, which publishes the edit's
:class:`~hccreview.domain.changes.Changes` on the :class:`ChangeBus` with the command's initiator, and every panel
refreshes what it touches. The database lane runs jobs one at a time in submission order, so an undo queued right
after a redo sees the redo's result (HOUSE-STYLE §3 "the flow of one edit"). Every write, including undo and redo,
is audited by the service.

A redo refused by validation (``ValidationError``) or by the access policy (``AccessDenied``: not the user's own
row, a locked case, a change without a reason) writes nothing: the command marks itself obsolete and reports the
error through ``on_error``; :func:`drop_failed` then takes it off the stack. An undo refused the same way (a case
signed since, in this window or another) writes nothing either: :func:`drop_failed` then puts the stack back to
the command done, so Edit ▸ Undo still offers it and nothing pretends it was undone.

Stale edits (issue 10): every edit passes the values the user saw as ``expected``, and undo / redo check that
the row still holds what this command wrote. When another user or app instance changed the row meanwhile the
service raises ``StaleDataError`` and writes nothing; ``run_write`` publishes the subject's Changes so the case
reloads and shows the stored value, and :func:`stale_text` says which field, what it holds now and who changed it.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtGui import QUndoCommand, QUndoStack

from hccreview.domain.calipers import Caliper
from hccreview.services import review
from hccreview.services.review import StaleDataError, Undoable
from hccreview.services.session import StudySession
from hccreview.ui.bus import ChangeBus
from hccreview.ui.operations import run_write
from hccreview.ui.wording import field_label, value_text
from hccreview.ui.workers import Runner


class PendingEdit:
    """Hands the last write from one database-lane job to the next (redo → undo → redo). Qt-free."""

    def __init__(self) -> None:
        self.edit: Undoable | None = None  # the forward edit in force (what undo must revert)
        self.inverse: Undoable | None = None  # the undo's edit (what a redo after an undo reverts)


#: A service call that writes an edit's inverse: ``inverse(session, edit, reason=...) -> Edit`` (audited); an
#: ``EditGroup`` (several rows as one: ``services.lesions``) has the same one inverse, ``review.revert``.
Inverse = Callable[..., Undoable]


def apply_edit(
    session: StudySession,
    pending: PendingEdit,
    service: Callable[..., Undoable],
    kwargs: dict[str, Any],
    inverse: Inverse = review.revert,
) -> Undoable:
    """Worker function (database lane): the first redo calls the service; a later redo reverts the undo."""
    if pending.inverse is not None:
        edit = inverse(session, pending.inverse, reason="redo")
    else:
        edit = service(session, **kwargs)
    pending.edit, pending.inverse = edit, None
    return edit


def revert_edit(session: StudySession, pending: PendingEdit, inverse: Inverse = review.revert) -> Undoable | None:
    """Worker function (database lane): undo the edit in force (audited, reason "undo")."""
    if pending.edit is None:  # the redo failed or is undone already: nothing to revert
        return None
    undone = inverse(session, pending.edit, reason="undo")
    pending.edit, pending.inverse = None, undone
    return undone


_STATUS_WORDS = {"absent": "absent", "gone": "absent", "too_small": "too_small", "too small": "too_small",
                 "ne": "not_assessed", "not_assessed": "not_assessed", "not assessed": "not_assessed",
                 "present": "present", "equivocal": "equivocal", "unequivocal_progression": "unequivocal_progression",
                 "pd": "unequivocal_progression"}  # fmt: skip
_NO_SIZE = ("absent", "too_small", "not_assessed")


def measurement_values(text: Any, field: str, old_status: str | None) -> dict[str, Any]:
    """The values of a measurement edit from what the user typed in a diameter cell.

    A status word ("gone", "too small", "NE", ...) changes the status; anything else is the new value of
    ``field`` (the service validates it), and a lesion that was gone / too small / not assessed becomes
    present again.
    """
    word = " ".join(str(text).strip().lower().split())
    if word in _STATUS_WORDS:
        return {"status": _STATUS_WORDS[word]}
    values: dict[str, Any] = {field: text}
    if old_status in _NO_SIZE:
        values["status"] = "present"
    return values


def stale_text(exc: StaleDataError) -> str:
    """A refused stale edit in words: what happened (who changed the case, when), each field as the user saw it
    and as it is now (names in words, nothing shown as "empty"), and what to do next."""
    parts = []
    shown = {f: d for f, d in exc.differences.items() if f != "id"} or exc.differences  # the row id says little
    for field, (seen, now) in shown.items():
        parts.append(f"{field_label(field)} was {value_text(seen, field, empty='empty')} on your screen and is now "
                     f"{value_text(now, field, empty='empty')}")  # fmt: skip
    who = f"by {exc.changed_by}" if exc.changed_by else "by someone else (another user or app instance)"
    when = f" at {exc.changed_at.replace('T', ' ')[:16]} UTC" if exc.changed_at else ""
    return (f"Not saved — this case was changed {who}{when} while you were editing: {'; '.join(parts)}. "
            "The case is shown as it is now and nothing was overwritten; make your change again if it is still "
            "needed.")  # fmt: skip


def describe(field: str, old: Any, new: Any) -> str:
    """``"diameter: 32 → 28 mm"``."""
    return f"{field_label(field)}: {value_text(old)} → {value_text(new, field)}"


class ReviewEditCommand(QUndoCommand):
    """One audited write through a service function; undo calls its ``inverse`` (default: write the old values
    back with ``services.review.revert``). The base of every undoable review command (measurements, reads,
    recorded reads, adjudication decisions). Adverse events are source data: no command edits them.

    Callbacks (GUI thread): ``on_error(exc)`` when the service refuses or fails (without one, the runner's
    ``error`` signal reports it); ``on_done(edit)`` after each successful write, after the bus has been told.
    The Changes go out with ``initiator``. No signals.
    """

    def __init__(
        self,
        session: StudySession,
        runner: Runner,
        bus: ChangeBus,
        *,
        service: Callable[..., Undoable],
        kwargs: dict[str, Any],
        text: str,
        inverse: Inverse = review.revert,
        initiator: object | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_done: Callable[[Any], None] | None = None,
    ) -> None:
        super().__init__(text)
        self.session, self.runner, self.bus = session, runner, bus
        self.service, self.kwargs, self.inverse = service, kwargs, inverse
        self.initiator = initiator
        self.on_error, self.on_done = on_error, on_done
        self.pending = PendingEdit()
        self.applied = False  # a redo has succeeded at least once
        self.undo_refused = False  # the last undo was refused: the edit still stands (see drop_failed)
        self._undoing = False
        self._skip_redo = False  # drop_failed re-does the stack's index only: the edit is in force already

    def redo(self) -> None:
        if self._skip_redo:
            self._skip_redo = False
            return
        self._undoing = False
        self._write(apply_edit, self.service, self.kwargs)

    def undo(self) -> None:
        if self.isObsolete():
            return
        self._undoing = True
        self._write(revert_edit)

    def _write(self, worker: Callable[..., Undoable | None], *args: Any) -> None:
        run_write(self.runner, self.bus, worker, self.session, self.pending, *args, inverse=self.inverse,
                  initiator=self.initiator, on_done=self._written, on_error=self._failed)  # fmt: skip

    def _written(self, edit: Undoable | None) -> None:
        if edit is None:
            return
        self.applied = True
        if self.on_done is not None:
            self.on_done(edit)

    def _failed(self, exc: BaseException) -> None:
        if not self.applied:
            self.setObsolete(True)  # nothing was written: the stack drops it (see drop_failed)
        elif self._undoing:
            self.undo_refused = True  # the edit still stands: the stack is put back (see drop_failed)
        if self.on_error is not None:
            self.on_error(exc)
        else:
            self.runner.error.emit(exc)  # the window reports it; a refusal is never swallowed


class EditMeasurementCommand(ReviewEditCommand):
    """Change one lesion measurement (diameter, short axis, viable diameter, status)."""

    def __init__(
        self,
        session: StudySession,
        runner: Runner,
        bus: ChangeBus,
        *,
        measurement_id: int,
        values: dict[str, Any],
        old_values: dict[str, Any],
        lesion_id: str,
        when: date | None,
        reason: str | None = None,
        **options: Any,
    ) -> None:
        field = next(iter(values))
        text = f"Edit {lesion_id} {field_label(field)} {when.isoformat() if when else ''}".rstrip()
        text += ": " + describe(field, old_values.get(field), values[field]).split(": ", 1)[1]
        seen = {k: v for k, v in old_values.items() if k != "status" or v is not None}  # what the user saw
        kwargs = {"measurement_id": measurement_id, "values": values, "reason": reason, "expected": seen}
        super().__init__(session, runner, bus, service=review.update_measurement, kwargs=kwargs, text=text, **options)


class MeasureOnImageCommand(ReviewEditCommand):
    """A caliper drawn or moved on an image (issue 21): its lengths become the measurement's values through the
    same service, gate, lock, stale check and inverse as a typed value (``review.update_measurement``)."""

    def __init__(
        self,
        session: StudySession,
        runner: Runner,
        bus: ChangeBus,
        *,
        measurement_id: int,
        caliper: Caliper,
        old_values: dict[str, Any],
        lesion_id: str,
        when: date | None,
        reason: str | None = None,
        **options: Any,
    ) -> None:
        sizes = " × ".join(f"{mm:g}" for mm in caliper.values().values())
        text = f"Measure {lesion_id} on the image {when.isoformat() if when else ''}".rstrip()
        text += f": {sizes} mm" if sizes else ": marked"
        seen = {k: v for k, v in old_values.items() if k in caliper.values()}  # what the reader saw of them
        kwargs = {"measurement_id": measurement_id, "values": {"caliper": caliper}, "reason": reason,
                  "expected": seen}  # fmt: skip
        super().__init__(session, runner, bus, service=review.update_measurement, kwargs=kwargs, text=text, **options)


class EditReadCommand(ReviewEditCommand):
    """Change a reader's stated timepoint response (overall, target, non-target) or new-lesion flag."""

    def __init__(
        self,
        session: StudySession,
        runner: Runner,
        bus: ChangeBus,
        *,
        read_id: int,
        values: dict[str, Any],
        old_values: dict[str, Any],
        reader: str,
        when: date | None,
        reason: str | None = None,
        **options: Any,
    ) -> None:
        field = next(iter(values))
        day = when.isoformat() if when else ""
        text = f"Edit {reader} {describe(field, old_values.get(field), str(values[field]).upper())}"
        text = text.replace(": ", f" {day}: ", 1) if day else text
        seen = {k: old_values[k] for k in values if k in old_values}
        kwargs = {"read_id": read_id, "values": values, "reason": reason, "expected": seen}
        super().__init__(session, runner, bus, service=review.update_read, kwargs=kwargs, text=text, **options)


def drop_failed(stack: QUndoStack, command: QUndoCommand) -> bool:
    """Take a failed (obsolete) command off the top of ``stack`` so Edit ▸ Undo never offers it; or, after a
    refused undo of a :class:`ReviewEditCommand`, put ``stack`` back to the command done (its edit still stands;
    no service is called for that).

    QUndoStack deletes an obsolete command when it is undone, without calling its ``undo()``. Returns
    whether it was dropped (it is left alone when other commands were pushed on top since).
    """
    top = stack.index() - 1
    if top >= 0 and command.isObsolete() and stack.command(top) is command:
        stack.undo()
        return True
    if isinstance(command, ReviewEditCommand) and command.undo_refused:
        command.undo_refused = False
        if stack.index() < stack.count() and stack.command(stack.index()) is command:
            command._skip_redo = True
            stack.redo()
    return False

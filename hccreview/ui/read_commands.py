"""Undoable reads: a QUndoCommand over ``services.reading`` (issue 7 item 2; HOUSE-STYLE §3).

``RecordReadCommand.redo()`` asks the runner's database lane to call ``reading.record_read`` (the signed-in
user's own read of one timepoint, with the override reason when the stated response differs from the computed
one; audited); ``undo()`` calls ``reading.undo_read`` with the read's :class:`Edit` (itself audited, reason
"undo"); a redo after an undo reverts that undo (reason "redo"). Back on the GUI thread the command publishes
the edit's :class:`Changes` (kinds ``{"reads"}``) on the :class:`ChangeBus` with its initiator. The database
lane runs jobs one at a time in submission order, so an undo queued right after a redo sees the redo's result.

A first redo refused by the service (``ValidationError``, ``BlindingError``, ``LockedError``) writes nothing:
the command marks itself obsolete and reports through ``on_error``; ``ui.commands.drop_failed`` then takes it
off the stack.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtGui import QUndoCommand

from hccreview.services import reading
from hccreview.services.review import Edit
from hccreview.services.session import StudySession
from hccreview.ui.bus import ChangeBus
from hccreview.ui.workers import Runner


class PendingRead:
    """Hands the last write from one database-lane job to the next (redo → undo → redo). Qt-free."""

    def __init__(self) -> None:
        self.edit: Edit | None = None  # the forward edit in force (what undo must revert)
        self.inverse: Edit | None = None  # the undo's edit (what a redo after an undo reverts)


def apply_read(session: StudySession, pending: PendingRead, kwargs: dict[str, Any]) -> Edit:
    """Worker function (database lane): the first redo records the read; a later redo reverts the undo."""
    if pending.inverse is not None:
        edit = reading.undo_read(session, pending.inverse, reason="redo")
    else:
        edit = reading.record_read(session, **kwargs)
    pending.edit, pending.inverse = edit, None
    return edit


def revert_read(session: StudySession, pending: PendingRead) -> Edit | None:
    """Worker function (database lane): undo the read in force (audited, reason "undo")."""
    if pending.edit is None:  # the redo failed or is undone already: nothing to revert
        return None
    inverse = reading.undo_read(session, pending.edit, reason="undo")
    pending.edit, pending.inverse = None, inverse
    return inverse


class RecordReadCommand(QUndoCommand):
    """Record (or correct) the signed-in user's read of one timepoint of one patient.

    Callbacks (GUI thread): ``on_done(edit)`` after each successful write (redo, undo or redo again), after
    the bus has been told; ``on_error(exc)`` when the service refuses or fails. No signals of its own; the
    Changes go out on the bus with ``initiator``.
    """

    def __init__(
        self,
        session: StudySession,
        runner: Runner,
        bus: ChangeBus,
        *,
        subject_id: str,
        day: date,
        visit: str = "",
        overall: str,
        target: str,
        non_target: str,
        new_lesion: bool | None,
        override_reason: str | None = None,
        initiator: object | None = None,
        on_done: Callable[[Edit], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        super().__init__(f"Record read {subject_id} {day.isoformat()}: {overall}")
        self.session, self.runner, self.bus = session, runner, bus
        self.subject_id, self.day = subject_id, day
        self.kwargs: dict[str, Any] = {
            "subject_id": subject_id, "date": day, "visit": visit, "overall": overall, "target": target,
            "non_target": non_target, "new_lesion": new_lesion, "override_reason": override_reason,
        }  # fmt: skip
        self.initiator = initiator
        self.on_done, self.on_error = on_done, on_error
        self.pending = PendingRead()
        self.applied = False  # a redo has succeeded at least once

    def redo(self) -> None:
        self.runner.run(apply_read, self.session, self.pending, self.kwargs, lane="db", on_done=self._written,
                        on_error=self._failed)  # fmt: skip

    def undo(self) -> None:
        if self.isObsolete():
            return
        self.runner.run(revert_read, self.session, self.pending, lane="db", on_done=self._written,
                        on_error=self._failed)  # fmt: skip

    def _written(self, edit: Edit | None) -> None:
        if edit is None:
            return
        self.applied = True
        self.bus.publish(edit.changes, self.initiator)
        if self.on_done is not None:
            self.on_done(edit)

    def _failed(self, exc: BaseException) -> None:
        if not self.applied:
            self.setObsolete(True)  # nothing was written: the stack drops it (ui.commands.drop_failed)
        if self.on_error is not None:
            self.on_error(exc)

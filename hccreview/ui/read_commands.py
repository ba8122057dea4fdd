"""Undoable reads: a QUndoCommand over ``services.reading`` (issue 7 item 2; HOUSE-STYLE §3).

``RecordReadCommand.redo()`` asks the runner's database lane to call ``reading.record_read`` (the signed-in
user's own read of one timepoint, with the override reason when the stated response differs from the computed
one; audited); ``undo()`` calls ``reading.undo_read`` with the read's :class:`Edit` (itself audited, reason
"undo"); a redo after an undo reverts that undo (reason "redo"). ``ui.operations.run_write`` publishes the
edit's :class:`Changes` (``ChangeKind.READS``) on the :class:`ChangeBus` with the command's initiator. The database
lane runs jobs one at a time in submission order, so an undo queued right after a redo sees the redo's result.

A first redo refused by the service (``ValidationError``, ``BlindingError``, ``LockedError``) writes nothing:
the command marks itself obsolete and reports through ``on_error``; ``ui.commands.drop_failed`` then takes it
off the stack. The redo / undo plumbing is :class:`hccreview.ui.commands.ReviewEditCommand`'s.

``expected`` is the user's read of that date as shown (``{"overall": ...}``, blank when none): a read recorded
or changed meanwhile in another app instance refuses the write (``StaleDataError``). ``change_reason`` says why a
read already recorded is corrected (the write gate refuses a changed value without one; audited).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from hccreview.services import reading
from hccreview.services.session import StudySession
from hccreview.ui.bus import ChangeBus
from hccreview.ui.commands import ReviewEditCommand
from hccreview.ui.workers import Runner


class RecordReadCommand(ReviewEditCommand):
    """Record (or correct) the signed-in user's read of one timepoint of one patient. ``options``: the base
    class's ``initiator`` and GUI-thread callbacks. No signals of its own."""

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
        change_reason: str | None = None,
        expected: dict[str, Any] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(
            session, runner, bus,
            service=reading.record_read,
            inverse=reading.undo_read,
            kwargs={
                "subject_id": subject_id, "date": day, "visit": visit, "overall": overall, "target": target,
                "non_target": non_target, "new_lesion": new_lesion, "override_reason": override_reason,
                "expected": expected, "change_reason": change_reason,
            },
            text=f"Record read {subject_id} {day.isoformat()}: {overall}", **options,
        )  # fmt: skip
        self.subject_id, self.day = subject_id, day

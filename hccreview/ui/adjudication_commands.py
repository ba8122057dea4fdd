"""Undoable adjudication decisions: a QUndoCommand over ``services.adjudication`` (HOUSE-STYLE §3).

``AdjudicateCommand.redo()`` asks the runner's database lane to call ``adjudication.adjudicate`` (the choice and its
reason, audited); ``undo()`` calls ``adjudication.undo_adjudication`` with the decision's :class:`Edit` (itself
audited, reason "undo"); a redo after an undo reverts that undo (reason "redo"). Back on the GUI thread
``ui.operations.run_write`` has published the edit's :class:`Changes` (``ChangeKind.ADJUDICATIONS``) on the
:class:`ChangeBus` with the command's initiator. The database lane runs jobs one at a time in submission order, so
an undo queued right after a redo sees the redo's result.

Undo works before sign-off only (issue 7 item 4): the service refuses it with ``LockedError`` once the case
is signed, and the panels clear the undo stack when they sign. A first redo refused by the service
(``ValidationError``, ``PermissionError``, ``LockedError``) writes nothing: the command marks itself obsolete
and reports through ``on_error``; ``ui.commands.drop_failed`` then takes it off the stack. The redo / undo
plumbing is :class:`hccreview.ui.commands.ReviewEditCommand`'s. ``expected`` is the decision the user saw
(``adjudication.seen_decision``): a decision made meanwhile elsewhere refuses the write (``StaleDataError``).
"""

from __future__ import annotations

from typing import Any

from hccreview.services import adjudication
from hccreview.services.session import StudySession
from hccreview.ui.bus import ChangeBus
from hccreview.ui.commands import ReviewEditCommand
from hccreview.ui.workers import Runner


class AdjudicateCommand(ReviewEditCommand):
    """Choose the read that stands for one patient, with the adjudicator's reason. ``options``: the base class's
    ``initiator`` and GUI-thread callbacks. No signals of its own."""

    def __init__(
        self,
        session: StudySession,
        runner: Runner,
        bus: ChangeBus,
        *,
        subject_id: str,
        chosen_reader: str,
        reason: str,
        reason_code: str,
        reason_other: str = "",
        label: str = "",
        expected: dict[str, Any] | None = None,
        **options: Any,
    ) -> None:
        super().__init__(
            session, runner, bus,
            service=adjudication.adjudicate,
            inverse=adjudication.undo_adjudication,
            kwargs={"subject_id": subject_id, "chosen_reader": chosen_reader, "reason": reason,
                    "reason_code": reason_code, "reason_other": reason_other, "expected": expected},
            text=f"Adjudicate {subject_id}: {label or chosen_reader}", **options,
        )  # fmt: skip
        self.subject_id, self.chosen_reader, self.reason = subject_id, chosen_reader, reason

"""Undoable adjudication decisions: a QUndoCommand over ``services.adjudication`` (HOUSE-STYLE §3).

``AdjudicateCommand.redo()`` asks the runner's database lane to call ``adjudication.adjudicate`` (the choice and
its reason, audited); ``undo()`` calls ``adjudication.undo_adjudication`` with the decision's :class:`Edit`
(itself audited, reason "undo"); a redo after an undo reverts that undo (reason "redo"). Back on the GUI
thread the command publishes the edit's :class:`Changes` (kinds ``{"adjudications"}``) on the
:class:`ChangeBus` with its initiator. The database lane runs jobs one at a time in submission order, so an
undo queued right after a redo sees the redo's result.

Undo works before sign-off only (issue 7 item 4): the service refuses it with ``LockedError`` once the case
is signed, and the panels clear the undo stack when they sign. A first redo refused by the service
(``ValidationError``, ``PermissionError``, ``LockedError``) writes nothing: the command marks itself obsolete
and reports through ``on_error``; ``ui.commands.drop_failed`` then takes it off the stack.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

from hccreview.services import adjudication
from hccreview.services.review import Edit
from hccreview.services.session import StudySession
from hccreview.ui.bus import ChangeBus
from hccreview.ui.workers import Runner


class PendingDecision:
    """Hands the last write from one database-lane job to the next (redo → undo → redo). Qt-free."""

    def __init__(self) -> None:
        self.edit: Edit | None = None  # the forward edit in force (what undo must revert)
        self.inverse: Edit | None = None  # the undo's edit (what a redo after an undo reverts)


def apply_decision(
    session: StudySession, pending: PendingDecision, *, subject_id: str, chosen_reader: str, reason: str
) -> Edit:
    """Worker function (database lane): the first redo decides; a later redo reverts the undo."""
    if pending.inverse is not None:
        edit = adjudication.undo_adjudication(session, pending.inverse, reason="redo")
    else:
        edit = adjudication.adjudicate(session, subject_id=subject_id, chosen_reader=chosen_reader, reason=reason)
    pending.edit, pending.inverse = edit, None
    return edit


def revert_decision(session: StudySession, pending: PendingDecision) -> Edit | None:
    """Worker function (database lane): undo the decision in force (audited, reason "undo")."""
    if pending.edit is None:  # the redo failed or is undone already: nothing to revert
        return None
    inverse = adjudication.undo_adjudication(session, pending.edit, reason="undo")
    pending.edit, pending.inverse = None, inverse
    return inverse


class AdjudicateCommand(QUndoCommand):
    """Choose the read that stands for one patient, with the adjudicator's reason.

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
        chosen_reader: str,
        reason: str,
        label: str = "",
        initiator: object | None = None,
        on_done: Callable[[Edit], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        super().__init__(f"Adjudicate {subject_id}: {label or chosen_reader}")
        self.session, self.runner, self.bus = session, runner, bus
        self.subject_id, self.chosen_reader, self.reason = subject_id, chosen_reader, reason
        self.initiator = initiator
        self.on_done, self.on_error = on_done, on_error
        self.pending = PendingDecision()
        self.applied = False  # a redo has succeeded at least once

    def redo(self) -> None:
        self.runner.run(
            apply_decision, self.session, self.pending, subject_id=self.subject_id,
            chosen_reader=self.chosen_reader, reason=self.reason,
            lane="db", on_done=self._written, on_error=self._failed,
        )  # fmt: skip

    def undo(self) -> None:
        if self.isObsolete():
            return
        self.runner.run(revert_decision, self.session, self.pending, lane="db", on_done=self._written,
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

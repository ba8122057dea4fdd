"""Undoable review-state changes (the navigator's "Mark reviewed"): a QUndoCommand over services.review.

The command's ``redo()`` / ``undo()`` return at once: the service call runs in the runner's database lane,
and the :class:`~hccreview.domain.changes.Changes` it returns is published on the :class:`ChangeBus` back on
the GUI thread. Because the database lane runs jobs one at a time in submission order, an ``undo()`` pushed
right after a ``redo()`` always sees the redo's result (the old state it must restore).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtGui import QUndoCommand

from hccreview.services.review import Edit, revert, set_review_state
from hccreview.services.session import StudySession
from hccreview.ui.bus import ChangeBus
from hccreview.ui.workers import Runner


class _Pending:
    """The edit a redo made, handed from the redo job to the undo job (both on the database lane)."""

    def __init__(self) -> None:
        self.edit: Edit | None = None


def apply_review_state(
    session: StudySession, pending: _Pending, subject_id: str, state: str, reason: str | None
) -> Edit:
    """Worker function (database lane): set the state, remember the edit for the undo."""
    edit = set_review_state(session, subject_id=subject_id, state=state, reason=reason)
    pending.edit = edit
    return edit


def revert_review_state(session: StudySession, pending: _Pending) -> Edit | None:
    """Worker function (database lane): write the old state back (audited, reason "undo")."""
    if pending.edit is None:  # the redo failed: nothing to undo
        return None
    edit = revert(session, pending.edit, reason="undo")
    return edit


class SetReviewStateCommand(QUndoCommand):
    """Set one patient's review state ("not started", "in progress", "reviewed"); undo restores the old one.

    The service calls run on the runner's database lane; the Changes are published on the GUI thread with
    this command as the initiator. ``on_error`` (GUI thread) receives a failed service call's exception.
    No signals of its own.
    """

    def __init__(
        self,
        session: StudySession,
        runner: Runner,
        bus: ChangeBus,
        *,
        subject_id: str,
        state: str,
        reason: str | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        super().__init__(f"mark {subject_id} {state}")
        self.session = session
        self.runner = runner
        self.bus = bus
        self.subject_id = subject_id
        self.state = state
        self.reason = reason
        self.on_error = on_error
        self._pending = _Pending()

    def redo(self) -> None:
        self.runner.run(
            apply_review_state,
            self.session,
            self._pending,
            self.subject_id,
            self.state,
            self.reason,
            lane="db",
            on_done=self._published,
            on_error=self.on_error,
        )

    def undo(self) -> None:
        self.runner.run(
            revert_review_state,
            self.session,
            self._pending,
            lane="db",
            on_done=self._published,
            on_error=self.on_error,
        )

    def _published(self, edit: Edit | None) -> None:
        if edit is not None:
            self.bus.publish(edit.changes, self)

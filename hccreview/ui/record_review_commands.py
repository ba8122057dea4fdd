"""Undoable "mark reviewed" of a patient or of one record kind: a QUndoCommand over
:mod:`hccreview.services.record_review`.

``redo()`` / ``undo()`` return at once: the service call runs in the runner's database lane (in submission order,
so an undo always sees its redo's result) and the :class:`~hccreview.domain.changes.Changes` it returns is
published on the :class:`ChangeBus` on the GUI thread. Undo restores the previous marks and state exactly
(a "changed since review" kind comes back as changed), itself audited.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtGui import QUndoCommand

from hccreview.services.record_review import KIND_TITLES, mark_reviewed, undo_mark
from hccreview.services.review import Edit
from hccreview.services.session import StudySession
from hccreview.ui.bus import ChangeBus
from hccreview.ui.workers import Runner


class _Pending:
    """The edit a redo made, handed from the redo job to the undo job (both on the database lane)."""

    def __init__(self) -> None:
        self.edit: Edit | None = None


def apply_mark(session: StudySession, pending: _Pending, subject_id: str, kinds: Sequence[str] | None) -> Edit:
    """Worker function (database lane): mark reviewed, remember the edit for the undo."""
    pending.edit = mark_reviewed(session, subject_id=subject_id, kinds=kinds)
    return pending.edit


def revert_mark(session: StudySession, pending: _Pending) -> Edit | None:
    """Worker function (database lane): restore the marks and state before the redo (audited, reason "undo")."""
    if pending.edit is None:  # the redo failed: nothing to undo
        return None
    return undo_mark(session, pending.edit, reason="undo")


class MarkReviewedCommand(QUndoCommand):
    """Mark a patient (``kinds`` None) or some of its record kinds reviewed; undo restores what was there.

    ``on_error`` (GUI thread) receives a failed service call's exception. No signals of its own.
    """

    def __init__(
        self,
        session: StudySession,
        runner: Runner,
        bus: ChangeBus,
        *,
        subject_id: str,
        kinds: Sequence[str] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
    ) -> None:
        what = "reviewed" if kinds is None else ", ".join(KIND_TITLES.get(k, k).lower() for k in kinds) + " reviewed"
        super().__init__(f"mark {subject_id} {what}")
        self.session, self.runner, self.bus = session, runner, bus
        self.subject_id = subject_id
        self.kinds = None if kinds is None else tuple(kinds)
        self.on_error = on_error
        self._pending = _Pending()

    def redo(self) -> None:
        self.runner.run(apply_mark, self.session, self._pending, self.subject_id, self.kinds, lane="db",
                        on_done=self._published, on_error=self.on_error)  # fmt: skip

    def undo(self) -> None:
        self.runner.run(revert_mark, self.session, self._pending, lane="db", on_done=self._published,
                        on_error=self.on_error)  # fmt: skip

    def _published(self, edit: Edit | None) -> None:
        if edit is not None:
            self.bus.publish(edit.changes, self)

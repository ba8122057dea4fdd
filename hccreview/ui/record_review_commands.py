"""Undoable "mark reviewed" of a patient or of one record kind: a :class:`~hccreview.ui.commands.ReviewEditCommand`
over :func:`hccreview.services.record_review.mark_reviewed`, undone by the one inverse of every edit,
``services.review.revert`` (the base class's default).

The redo / undo plumbing is the base class's: the service call runs through ``ui.operations.run_write`` on the
runner's database lane (in submission order, so an undo always sees its redo's result), which publishes the
edit's :class:`~hccreview.domain.changes.Changes` on the :class:`ChangeBus`. Undo restores the previous marks and
state exactly (a "changed since review" kind comes back as changed), itself audited; a redo after an undo writes
the marks again (reason "redo").
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hccreview.services.record_review import KIND_TITLES, mark_reviewed
from hccreview.services.session import StudySession
from hccreview.ui.bus import ChangeBus
from hccreview.ui.commands import ReviewEditCommand
from hccreview.ui.workers import Runner


class MarkReviewedCommand(ReviewEditCommand):
    """Mark a patient (``kinds`` None) or some of its record kinds reviewed; undo restores what was there.

    Callbacks as :class:`ReviewEditCommand`'s (``on_error`` on the GUI thread; without it the runner's ``error``
    signal reports a refusal). No signals of its own.
    """

    def __init__(
        self,
        session: StudySession,
        runner: Runner,
        bus: ChangeBus,
        *,
        subject_id: str,
        kinds: Sequence[str] | None = None,
        **options: Any,
    ) -> None:
        what = "reviewed" if kinds is None else ", ".join(KIND_TITLES.get(k, k).lower() for k in kinds) + " reviewed"
        chosen = None if kinds is None else tuple(kinds)
        super().__init__(session, runner, bus, service=mark_reviewed,
                         kwargs={"subject_id": subject_id, "kinds": chosen}, text=f"mark {subject_id} {what}",
                         **options)  # fmt: skip
        self.subject_id, self.kinds = subject_id, chosen

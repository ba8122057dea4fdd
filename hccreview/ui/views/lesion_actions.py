"""The tumour tab's lesion-list actions, written: Add lesion…, Start follow-up…, Remove lesion… (issue 21 item 3).

The tumour panel asks (``CaseTumour.add_lesion_requested`` ...); this asks the user (``ui.dialogs.lesion_dialogs``,
``ReasonDialog`` for a removal) and pushes one :class:`~hccreview.ui.commands.ReviewEditCommand` on the window's
undo stack. Its service (``services.lesions``) runs through ``ui.operations.run_write`` like every edit, and its
undo is the one inverse, ``services.review.revert``, of the whole group of rows. After a lesion is added, the new
lesion's cell is made current once the case has reloaded, so the reader types its diameter next.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from hccreview.services import lesions
from hccreview.services.lesions import ReaderTimepoints
from hccreview.services.review import EditGroup
from hccreview.ui.commands import ReviewEditCommand, drop_failed
from hccreview.ui.dialogs.lesion_dialogs import AddLesionDialog, StartTimepointDialog
from hccreview.ui.dialogs.reason import ReasonDialog
from hccreview.ui.panel_context import PanelContext
from hccreview.ui.views.case_tumour import CaseTumour
from hccreview.ui.wording import LESION_KIND_NAMES


class LesionActions(QObject):
    """Writes the lesion-list requests of ``tumour`` for the case shown in ``parent`` (the case view).

    ``done(text)`` after a write landed (the bus told first), ``refused(command, exc)`` when the service or the
    gate refused it (nothing written). GUI thread only.

    Signals:
        status_message(str): a start that found nothing to write (no command stays on the undo stack).
    """

    status_message = Signal(str)

    def __init__(
        self,
        context: PanelContext,
        tumour: CaseTumour,
        parent: QWidget,
        *,
        done: Callable[[str], None],
        refused: Callable[[ReviewEditCommand, BaseException], None],
    ) -> None:
        super().__init__(parent)
        self.session, self.bus, self.runner, self.undo_stack = context
        self.tumour, self.parent_widget = tumour, parent
        self.done, self.refused = done, refused
        self.subject_id: str | None = None
        self.timepoints: ReaderTimepoints | None = None
        self._select: tuple[str, date] | None = None  # the cell to make current after the next load
        tumour.add_lesion_requested.connect(self.add)
        tumour.start_requested.connect(self.start)
        tumour.remove_requested.connect(self.remove)

    def set_case(self, subject_id: str | None, timepoints: ReaderTimepoints | None) -> None:
        """The case now shown, and its scan dates for the user's own list (None: they have none)."""
        self.subject_id, self.timepoints = subject_id, timepoints
        if self._select is not None and subject_id is not None and self.tumour.select_cell(*self._select):
            self._select = None

    # ------------------------------------------------------------------ the actions
    def add(self, day: date | None = None) -> ReviewEditCommand | None:
        """Ask for a new lesion of the user's and record it (the dates follow its kind)."""
        sid, tp = self.subject_id, self.timepoints
        if sid is None or tp is None:
            return None
        asked = AddLesionDialog.ask(self.parent_widget, sid, tp, day=day)
        if asked is None:
            return None
        kwargs = {"subject_id": sid, "kind": asked.kind, "organ": asked.organ, "site": asked.site,
                  "is_node": asked.is_node, "date": asked.date}  # fmt: skip
        kind = LESION_KIND_NAMES[asked.kind].lower()
        text = f"Add {kind} ({asked.organ}) on {asked.date.isoformat()}"
        return self._push(lesions.add_lesion, kwargs, text, self._added)

    def start(self, day: date | None = None) -> ReviewEditCommand | None:
        """Ask which follow-up scan to start and give each baseline lesion of the user's a row there."""
        sid, tp = self.subject_id, self.timepoints
        if sid is None or tp is None:
            return None
        asked = StartTimepointDialog.ask(self.parent_widget, sid, tp, day=day)
        if asked is None:
            return None
        kwargs = {"subject_id": sid, "date": asked.date, "visit": asked.visit}
        return self._push(lesions.start_timepoint, kwargs, f"Start {asked.date.isoformat()} from the baseline lesions",
                          self._started)  # fmt: skip

    def remove(self, lesion_id: str) -> ReviewEditCommand | None:
        """Ask why, then remove one of the user's lesions with its measurements."""
        sid = self.subject_id
        if sid is None:
            return None
        reason = ReasonDialog.ask(
            self.parent_widget, f"Remove {lesion_id}",
            f"{sid} {lesion_id} and its measurements at every scan are removed (audited; Ctrl+Z puts them back). Why?",
        )  # fmt: skip
        if reason is None:
            return None
        kwargs = {"subject_id": sid, "lesion_id": lesion_id, "reason": reason}
        return self._push(lesions.remove_lesion, kwargs, f"Remove {lesion_id}", lambda _g, t: t)

    # ------------------------------------------------------------------ writing
    def _push(
        self, service: Callable[..., EditGroup], kwargs: dict[str, Any], text: str,
        said: Callable[[EditGroup, str], str | None],
    ) -> ReviewEditCommand:  # fmt: skip
        command = ReviewEditCommand(self.session, self.runner, self.bus, service=service, kwargs=kwargs, text=text,
                                    initiator=self.parent_widget)  # fmt: skip
        command.on_error = lambda exc, cmd=command: self.refused(cmd, exc)
        command.on_done = lambda group, cmd=command: self._landed(cmd, group, said)
        self.undo_stack.push(command)
        return command

    def _landed(self, command: ReviewEditCommand, group: Any, said: Callable[[EditGroup, str], str | None]) -> None:
        if not isinstance(group, EditGroup) or command.pending.inverse is not None:
            return  # an undo landed (the window's status bar says "Undo …" already)
        text = said(group, command.text())
        if text is None:  # nothing was written: nothing to undo either
            command.setObsolete(True)
            drop_failed(self.undo_stack, command)
            self.status_message.emit("Nothing to start: every lesion of yours has a row at that scan already.")
            return
        self.done(text)

    def _added(self, group: EditGroup, text: str) -> str:
        lesion = group.edits[0].new_values
        self._select = (f"lesion:{lesion['lesion_id']}", date.fromisoformat(group.edits[1].new_values["date"]))
        return f"{text}: {lesion['lesion_id']} — type its diameter next"

    def _started(self, group: EditGroup, text: str) -> str | None:
        return f"{text}: {len(group.edits)} row(s) to measure" if group.edits else None

"""What every panel of the window is given, in one object (issue 20: one way to set a panel up).

The window builds one :class:`PanelContext` — its :class:`~hccreview.services.session.StudySession`, its
:class:`~hccreview.ui.bus.ChangeBus`, its :class:`~hccreview.ui.workers.Runner` and its QUndoStack — and hands
it to each panel it composes; a test or a screenshot tool builds its own with :meth:`PanelContext.standalone`.
A panel takes it in its constructor and unpacks what it uses, so no panel repeats the four-argument signature and
nothing is a global (house style §5: the session and the bus are passed explicitly).
"""

from __future__ import annotations

from typing import NamedTuple

from PySide6.QtGui import QUndoStack

from hccreview.services.session import StudySession
from hccreview.ui.bus import ChangeBus
from hccreview.ui.workers import Runner


class PanelContext(NamedTuple):
    """The open study, the bus that announces its changes, the runner that does the work off the GUI thread,
    and the undo stack the panels' edits go on (the window's Edit menu mirrors it)."""

    session: StudySession
    bus: ChangeBus
    runner: Runner
    undo_stack: QUndoStack

    @classmethod
    def standalone(cls, session: StudySession) -> PanelContext:
        """A context of its own for a panel shown outside the window (tests, screenshot tools): a new bus, runner
        and undo stack. Call ``runner.wait()`` before closing the session."""
        return cls(session, ChangeBus(), Runner(), QUndoStack())

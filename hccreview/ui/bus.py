"""The change bus: one signal tells every panel what a write touched (Anki's operation_did_execute)."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from hccreview.domain.changes import Changes


class ChangeBus(QObject):
    """Carries :class:`Changes` after each write.

    Signals:
        changed(Changes, object): emitted on the GUI thread after a write completed; the second argument is
            the initiator (the panel that asked for the write, or None). Each panel decides for itself what to
            refresh and may ignore changes it initiated. Handlers must not block: heavy work goes to the runner.
    """

    changed = Signal(object, object)

    def publish(self, changes: Changes, initiator: object | None = None) -> None:
        """Emit ``changed`` (call on the GUI thread)."""
        if not changes.empty:
            self.changed.emit(changes, initiator)

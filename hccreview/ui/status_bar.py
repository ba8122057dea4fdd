"""The main window's status bar: messages in their own eliding label, never over the permanent labels.

``QStatusBar.showMessage`` paints a message over the area of the normal widgets, unelided, so a long message ran
into the study, user and progress labels on a small screen (issue 19). Here the window's messages go to
:attr:`StatusBar.message_label`, an :class:`~hccreview.ui.elided_label.ElidedLabel` that takes the room left of
the permanent labels and elides (the whole message is its tooltip). ``showMessage`` / ``currentMessage`` /
``clearMessage`` keep Qt's meaning for Python callers (timeout in ms; 0: until replaced).
"""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QSizePolicy, QStatusBar, QWidget

from hccreview.ui.elided_label import ElidedLabel


class StatusBar(QStatusBar):
    """A status bar whose messages elide in a label of their own. Signals: QStatusBar's (``messageChanged`` is
    emitted for these messages too). GUI thread only."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("status_bar")
        self.message_label = ElidedLabel(minimum_chars=3)
        self.message_label.setObjectName("status_message")
        self.message_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.addWidget(self.message_label, 1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clearMessage)

    def showMessage(self, text: str, timeout: int | None = 0) -> None:
        """Show ``text`` for ``timeout`` ms (0 or None, as QStatusBar takes it: until the next message)."""
        self._timer.stop()
        self.message_label.setText(text)
        if timeout is not None and timeout > 0:
            self._timer.start(timeout)
        self.messageChanged.emit(text)

    def clearMessage(self) -> None:
        self._timer.stop()
        if self.message_label.text():
            self.message_label.setText("")
            self.messageChanged.emit("")

    def currentMessage(self) -> str:
        return self.message_label.text()

"""A translucent layer over a panel's content: still visible, greyed, while it is out of date.

Cheaper than a ``QGraphicsOpacityEffect``, which renders the whole widget tree through an off-screen pixmap
on every repaint of any part of it: the veil is one widget that paints a single translucent rectangle over
whatever lies beneath; mouse events pass through it to the content.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette
from PySide6.QtWidgets import QStackedLayout, QWidget


class Veil(QWidget):
    """A translucent cover (the window colour at ``opacity``) over its sibling in a :func:`veiled` stack."""

    def __init__(self, opacity: float = 0.55, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("veil")
        self.opacity = opacity
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.setAttribute(Qt.WidgetAttribute.WA_NoSystemBackground)
        self.hide()

    def paintEvent(self, event: QPaintEvent) -> None:
        colour = QColor(self.palette().color(QPalette.ColorRole.Window))
        colour.setAlphaF(self.opacity)
        painter = QPainter(self)
        painter.fillRect(event.rect(), colour)
        painter.end()


def veiled(content: QWidget, veil: Veil) -> QWidget:
    """A container showing ``content`` with ``veil`` stacked over it (hidden until shown)."""
    container = QWidget()
    stack = QStackedLayout(container)
    stack.setStackingMode(QStackedLayout.StackingMode.StackAll)
    stack.addWidget(content)
    stack.addWidget(veil)
    stack.setCurrentWidget(veil)  # raised above the content
    veil.hide()
    return container

"""A one-line label that elides its text to the width it is given and then shows the whole text as its tooltip.

For text that must never widen a window (a study title in the status bar, a read's details on a card, a hint
above a grid): its minimum width is small, it asks for the whole text's width when there is room, and when it
is cut the reader still has the full text on hover. ``elides`` tells the layout checks (tests/ui/layout_checks.py)
that the cut is deliberate.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QLabel, QSizePolicy, QStyle, QStyleOption, QWidget


class ElidedLabel(QLabel):
    """A plain-text label elided at the right (or ``mode``); tooltip = the whole text while it is cut, unless a
    tooltip of its own was set with :meth:`set_tip`. Signals: none. GUI thread only."""

    elides = True

    def __init__(
        self,
        text: str = "",
        parent: QWidget | None = None,
        *,
        mode: Qt.TextElideMode = Qt.TextElideMode.ElideRight,
        minimum_chars: int = 6,
    ) -> None:
        super().__init__(parent)
        self._mode = mode
        self._minimum_chars = minimum_chars
        self._tip = ""
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        self.setText(text)

    def setText(self, text: str) -> None:
        super().setText(text)
        self._update_tip()

    def set_tip(self, tip: str) -> None:
        """A tooltip of its own (shown whether or not the text is cut)."""
        self._tip = tip
        self._update_tip()

    @property
    def elided(self) -> bool:
        """Whether the text is cut at the present width."""
        return self.fontMetrics().horizontalAdvance(self.text()) > self.contentsRect().width()

    def minimumSizeHint(self) -> QSize:
        hint = super().minimumSizeHint()
        room = self.fontMetrics().horizontalAdvance("x" * self._minimum_chars + "…")
        margins = self.contentsMargins()
        return QSize(min(hint.width(), room + margins.left() + margins.right()), hint.height())

    def _update_tip(self) -> None:
        self.setToolTip(self._tip or (self.text() if self.elided else ""))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._update_tip()

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        option = QStyleOption()
        option.initFrom(self)
        self.style().drawPrimitive(QStyle.PrimitiveElement.PE_Widget, option, painter, self)  # stylesheet chips
        rect = self.contentsRect()
        text = self.fontMetrics().elidedText(self.text(), self._mode, rect.width())
        self.style().drawItemText(painter, rect, int(self.alignment()) | Qt.TextFlag.TextSingleLine, self.palette(),
                                  self.isEnabled(), text, self.foregroundRole())  # fmt: skip

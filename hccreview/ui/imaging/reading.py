"""The reading layout (issue 21): the prior beside the current, and for mRECIST a second contrast phase.

Three :class:`~hccreview.ui.imaging.pane.ViewerPane` side by side — ``prior`` (baseline, nadir or previous, as
its timepoint picker says), ``current`` and ``phase`` (the current timepoint's other contrast phase, e.g.
arterial beside portal venous; hidden until :meth:`ReadingView.set_phase_visible`) — with the prior and the
phase each linked to the current by patient position (``linked.SliceLink``; the phase without offset, both
series being of one acquisition). The caller fills the pickers and gives each pane's viewer its volume and
calipers; it listens to the panes' and viewers' own signals (``timepointChosen``, ``seriesChosen``,
``caliperFinished`` ...). No study knowledge here.
"""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QSplitter, QVBoxLayout, QWidget

from hccreview.ui.imaging.linked import LinkBar, SliceLink
from hccreview.ui.imaging.pane import ViewerPane


class ReadingView(QWidget):
    """Prior | current | phase, linked; the prior link's bar (linked, offset) underneath."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.prior, self.current, self.phase = ViewerPane(), ViewerPane(), ViewerPane()
        self.prior_link = SliceLink(self.current.viewer, self.prior.viewer, parent=self)
        self.phase_link = SliceLink(self.current.viewer, self.phase.viewer, parent=self)
        self.link_bar = LinkBar(self.prior_link)
        self.splitter = QSplitter()
        for pane in (self.prior, self.current, self.phase):
            self.splitter.addWidget(pane)
        self.phase.hide()
        bottom = QHBoxLayout()
        bottom.setContentsMargins(4, 0, 4, 0)
        bottom.addWidget(self.link_bar)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.splitter, 1)
        layout.addLayout(bottom)

    def set_phase_visible(self, on: bool) -> None:
        """Show the current timepoint's second contrast phase beside it (mRECIST: arterial enhancement)."""
        self.phase.setVisible(on)
        if on:
            self.phase_link.sync()


__all__ = ["ReadingView"]
